-- name: hunt/persistence_ec2_key_pairs
-- summary: EC2 SSH key pairs created or imported (a way back into instances launched with them); failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0003 T1098.004
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.keyName')) AS target,
  min(json_extract_scalar(requestparameters, '$.keyType')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND eventsource = 'ec2.amazonaws.com' AND eventname IN ('CreateKeyPair', 'ImportKeyPair')
GROUP BY eventid
ORDER BY event_time, event_id
