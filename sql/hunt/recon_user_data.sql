-- name: hunt/recon_user_data
-- summary: reads of EC2 instance user data (DescribeInstanceAttribute userData), where credentials and bootstrap secrets often sit; denied reads included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0006 TA0007 T1552 T1580
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.instanceId')) AS target,
  min(json_extract_scalar(requestparameters, '$.attribute')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND (eventsource = 'ec2.amazonaws.com' AND eventname = 'DescribeInstanceAttribute' AND json_extract_scalar(requestparameters, '$.attribute') = 'userData')
GROUP BY eventid
ORDER BY event_time, event_id
