-- name: hunt/secrets_reads
-- summary: secret values read: Secrets Manager reads and listings, EC2 Windows passwords, SSM parameters read with decryption; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0006 T1555.006 T1552
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.secretId'), json_extract_scalar(requestparameters, '$.instanceId'), json_extract_scalar(requestparameters, '$.name'), json_extract_scalar(requestparameters, '$.names[0]'), json_extract_scalar(requestparameters, '$.secretIdList[0]'))) AS target,
  min(CASE WHEN json_extract_scalar(requestparameters, '$.withDecryption') = 'true' THEN 'read with decryption' END) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'secretsmanager.amazonaws.com' AND eventname IN ('GetSecretValue', 'BatchGetSecretValue', 'ListSecrets')) OR (eventsource = 'ec2.amazonaws.com' AND eventname IN ('GetPasswordData')) OR (eventsource = 'ssm.amazonaws.com' AND eventname IN ('GetParameter', 'GetParameters', 'GetParametersByPath') AND json_extract_scalar(requestparameters, '$.withDecryption') = 'true'))
GROUP BY eventid
ORDER BY event_time, event_id
