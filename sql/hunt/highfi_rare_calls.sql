-- name: hunt/highfi_rare_calls
-- summary: calls that are rare in normal operation and common in intrusions: Roles Anywhere trust anchors, leaving the organization, deleting a VPC, federation tokens, Lambda configuration changes
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0003 TA0005 T1098 T1666
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.name'), json_extract_scalar(requestparameters, '$.vpcId'), json_extract_scalar(requestparameters, '$.functionName'))) AS target,
  min(CASE WHEN eventname = 'GetFederationToken' AND strpos(COALESCE(json_extract_scalar(requestparameters, '$.policy'), ''), '"*"') > 0 THEN 'token policy allows *' END) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'rolesanywhere.amazonaws.com' AND eventname IN ('CreateTrustAnchor')) OR (eventsource = 'organizations.amazonaws.com' AND eventname IN ('LeaveOrganization')) OR (eventsource = 'ec2.amazonaws.com' AND eventname IN ('DeleteVpc')) OR (eventsource = 'sts.amazonaws.com' AND eventname IN ('GetFederationToken')) OR (eventsource = 'lambda.amazonaws.com' AND regexp_like(eventname, '^UpdateFunctionConfiguration([0-9]{8}(v[0-9]+){0,1}){0,1}$')))
GROUP BY eventid
ORDER BY event_time, event_id
