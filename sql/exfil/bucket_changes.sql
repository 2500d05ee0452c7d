-- name: exfil/bucket_changes
-- summary: changes to the bucket's policy, ACL, public access block, replication, lifecycle and ownership in the window, failed attempts included
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- param: principal  arn optional    only changes by this principal
-- param: principal_prefix text optional  only changes by principals whose ARN starts with this (--principal ending in *)
-- param: ip         ip optional     only changes from this source IP
-- param: ip_range   cidr optional    an --ip CIDR range (IPv4 or IPv6); empty for none
-- param: ip_lo      int             lowest IPv4 address of an IPv4 range as a number (for dotted quads with leading zeros), -1 for none
-- param: ip_hi      int             highest IPv4 address of the range
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
  min(recipientaccountid) AS account,
  min(awsregion) AS region,
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
  AND (:principal = '' OR COALESCE(useridentity.arn, useridentity.invokedby, useridentity.principalid) = :principal)
  AND (:principal_prefix = '' OR starts_with(COALESCE(useridentity.arn, useridentity.invokedby, useridentity.principalid), :principal_prefix))
  AND (:ip = '' OR sourceipaddress = :ip)
  AND ((:ip_range = '' AND :ip_lo < 0)
    OR contains(nullif(:ip_range, ''), TRY_CAST(sourceipaddress AS IPADDRESS))
    OR (:ip_lo >= 0
        AND regexp_like(sourceipaddress, '^[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$')
        AND TRY_CAST(split_part(sourceipaddress, '.', 1) AS BIGINT) * 16777216
          + TRY_CAST(split_part(sourceipaddress, '.', 2) AS BIGINT) * 65536
          + TRY_CAST(split_part(sourceipaddress, '.', 3) AS BIGINT) * 256
          + TRY_CAST(split_part(sourceipaddress, '.', 4) AS BIGINT) BETWEEN :ip_lo AND :ip_hi))
GROUP BY eventid
ORDER BY event_time, event_id
