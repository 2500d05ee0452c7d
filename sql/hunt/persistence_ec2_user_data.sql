-- name: hunt/persistence_ec2_user_data
-- summary: EC2 instance user data replaced (ModifyInstanceAttribute userData): code that runs as root at the next boot
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0002 TA0003 T1059.009 T1037
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.instanceId')) AS target,
  min('user data replaced') AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND (eventsource = 'ec2.amazonaws.com' AND eventname = 'ModifyInstanceAttribute' AND (json_extract_scalar(requestparameters, '$.userData') IS NOT NULL OR json_extract_scalar(requestparameters, '$.userData.value') IS NOT NULL OR json_extract_scalar(requestparameters, '$.attribute') = 'userData'))
GROUP BY eventid
ORDER BY event_time, event_id
