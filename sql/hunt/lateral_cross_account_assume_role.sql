-- name: hunt/lateral_cross_account_assume_role
-- summary: AssumeRole into a role of another account than the caller's (the role's account from requestParameters.roleArn); denied attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0008 TA0004 T1078.004
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.roleArn')) AS target,
  min(json_extract_scalar(requestparameters, '$.roleSessionName')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND (eventsource = 'sts.amazonaws.com' AND eventname = 'AssumeRole' AND useridentity.accountid IS NOT NULL AND useridentity.accountid <> '' AND split_part(json_extract_scalar(requestparameters, '$.roleArn'), ':', 5) <> useridentity.accountid)
GROUP BY eventid
ORDER BY event_time, event_id
