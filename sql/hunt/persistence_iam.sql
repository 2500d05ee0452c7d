-- name: hunt/persistence_iam
-- summary: new IAM users, passwords, access keys, roles, trust policy and policy version changes (policies attached to users are in hunt/privilege_iam), IAM Roles Anywhere trust anchors; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0003 T1098 T1098.001 T1136.003
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.roleName'), json_extract_scalar(requestparameters, '$.policyArn'), json_extract_scalar(requestparameters, '$.name'))) AS target,
  min(COALESCE(json_extract_scalar(requestparameters, '$.policyArn'), json_extract_scalar(requestparameters, '$.policyName'), CASE WHEN eventname = 'UpdateAssumeRolePolicy' OR eventname = 'CreateRole' THEN 'trust policy in request_parameters' END)) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'iam.amazonaws.com' AND eventname IN ('CreateUser', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateAccessKey', 'CreateRole', 'UpdateAssumeRolePolicy', 'CreatePolicyVersion')) OR (eventsource = 'rolesanywhere.amazonaws.com' AND eventname IN ('CreateTrustAnchor', 'CreateProfile')))
GROUP BY eventid
ORDER BY event_time, event_id
