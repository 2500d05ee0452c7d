-- name: hunt/exfil_bucket_exposure
-- summary: bucket data copied out or exposed: replication set up (to which bucket and account), public access blocks removed or changed (a restrictive change told apart); failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0010 T1537 TA0005 T1562.001
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.bucketName')) AS target,
  min(json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule.Destination.Bucket')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND eventsource = 's3.amazonaws.com'
  AND eventname IN ('PutBucketReplication', 'DeleteBucketPublicAccessBlock', 'PutBucketPublicAccessBlock')
GROUP BY eventid
ORDER BY event_time, event_id
