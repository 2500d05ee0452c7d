-- name: hunt/privilege_iam
-- summary: permissions granted: policies attached or written to users, roles and groups, users added to groups, default policy versions switched; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0004 T1098 T1098.003
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.roleName'), json_extract_scalar(requestparameters, '$.groupName'), json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.policyArn'))) AS target,
  min(COALESCE(json_extract_scalar(requestparameters, '$.policyArn'), json_extract_scalar(requestparameters, '$.policyName'), json_extract_scalar(requestparameters, '$.versionId'))) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'iam.amazonaws.com' AND eventname IN ('AttachUserPolicy', 'PutUserPolicy', 'AttachRolePolicy', 'PutRolePolicy', 'AttachGroupPolicy', 'PutGroupPolicy', 'AddUserToGroup', 'SetDefaultPolicyVersion')))
GROUP BY eventid
ORDER BY event_time, event_id
