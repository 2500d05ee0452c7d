-- name: hunt/impact_data_destruction
-- summary: data destroyed or made unreadable: bucket lifecycle rules that expire objects (the CloudTrail lifecycle-rule technique included), buckets deleted, KMS keys disabled or scheduled for deletion; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0040 T1485 T1486
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.bucketName'), json_extract_scalar(requestparameters, '$.keyId'))) AS target,
  min(COALESCE(json_extract_scalar(requestparameters, '$.LifecycleConfiguration.Rule.Expiration.Days'), json_extract_scalar(requestparameters, '$.pendingWindowInDays'))) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 's3.amazonaws.com' AND eventname IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration', 'DeleteBucket'))
    OR (eventsource = 'kms.amazonaws.com' AND eventname IN ('ScheduleKeyDeletion', 'DisableKey')))
GROUP BY eventid
ORDER BY event_time, event_id
