-- name: hunt/lateral_remote_access
-- summary: remote access to instances: SSM sessions and commands, EC2 Instance Connect and serial console keys pushed, serial console access enabled; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0008 TA0002 T1021.007 T1651 T1098.004
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.instanceId'), json_extract_scalar(requestparameters, '$.target'), json_extract_scalar(requestparameters, '$.instanceIds[0]'))) AS target,
  min(COALESCE(json_extract_scalar(requestparameters, '$.documentName'), json_extract_scalar(requestparameters, '$.instanceOSUser'))) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'ssm.amazonaws.com' AND eventname IN ('StartSession', 'SendCommand', 'ResumeSession')) OR (eventsource = 'ec2-instance-connect.amazonaws.com' AND eventname IN ('SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey')) OR (eventsource = 'ec2.amazonaws.com' AND eventname IN ('EnableSerialConsoleAccess')))
GROUP BY eventid
ORDER BY event_time, event_id
