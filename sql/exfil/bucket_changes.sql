-- name: exfil/bucket_changes
-- summary: changes to the bucket's policy, ACL, public access block, replication, lifecycle and ownership in the window, failed attempts included
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- table: management
SELECT
  from_iso8601_timestamp(min(eventtime)) AS event_time,
  min(eventname) AS event_name,
  min(json_extract_scalar(requestparameters, '$.bucketName')) AS bucket,
  min(COALESCE(useridentity.arn, useridentity.invokedby, useridentity.principalid)) AS principal,
  min(sourceipaddress) AS source_ip,
  min(useragent) AS user_agent,
  min(errorcode) AS error_code,
  min(errormessage) AS error_message,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND eventsource = 's3.amazonaws.com'
  AND eventname IN (
    'PutBucketPolicy', 'DeleteBucketPolicy',
    'PutBucketAcl',
    'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock',
    'PutBucketReplication', 'DeleteBucketReplication',
    'PutBucketLifecycle', 'PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle',
    'PutBucketOwnershipControls', 'DeleteBucketOwnershipControls',
    'PutBucketVersioning', 'PutBucketEncryption', 'DeleteBucketEncryption')
  AND strpos(',' || :buckets || ',', ',' || json_extract_scalar(requestparameters, '$.bucketName') || ',') > 0
GROUP BY eventid
ORDER BY event_time, event_id
