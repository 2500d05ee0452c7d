-- name: exfil/bucket_changes
-- summary: changes to the bucket's policy, ACL, public access block, replication, lifecycle and ownership in the window, failed attempts included
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- table: management
SELECT
  from_iso8601_timestamp(arbitrary(eventtime)) AS event_time,
  arbitrary(eventname) AS event_name,
  arbitrary(json_extract_scalar(requestparameters, '$.bucketName')) AS bucket,
  arbitrary(COALESCE(useridentity.arn, useridentity.invokedby, useridentity.principalid)) AS principal,
  arbitrary(sourceipaddress) AS source_ip,
  arbitrary(useragent) AS user_agent,
  arbitrary(errorcode) AS error_code,
  arbitrary(errormessage) AS error_message,
  arbitrary(requestparameters) AS request_parameters,
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
  AND json_extract_scalar(requestparameters, '$.bucketName') IN (:buckets)
GROUP BY eventid
ORDER BY event_time, event_id
