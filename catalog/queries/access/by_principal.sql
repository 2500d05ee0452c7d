-- name: access/by_principal
-- summary: who did what to the bucket(s): S3 data events per principal, source IP and operation class (read, write, delete, list, other)
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- table: data
WITH ev AS (
  -- CloudTrail delivers some events twice: one row per eventid.
  SELECT
    eventid,
    arbitrary(CASE
      WHEN useridentity.accountid = 'anonymous' OR useridentity.principalid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
      ELSE COALESCE(useridentity.arn, useridentity.invokedby,
                    'account:' || useridentity.accountid || COALESCE('/' || useridentity.principalid, ''),
                    useridentity.principalid, 'unknown')
    END) AS principal,
    arbitrary(sourceipaddress) AS source_ip,
    arbitrary(CASE
      WHEN eventname IN ('GetObject', 'HeadObject', 'GetObjectAcl', 'GetObjectAttributes', 'GetObjectTagging',
                         'GetObjectRetention', 'GetObjectLegalHold', 'GetObjectTorrent', 'SelectObjectContent') THEN 'read'
      WHEN eventname IN ('PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy',
                         'CompleteMultipartUpload', 'PutObjectAcl', 'PutObjectTagging', 'PutObjectRetention',
                         'PutObjectLegalHold', 'RestoreObject') THEN 'write'
      WHEN eventname IN ('DeleteObject', 'DeleteObjects', 'DeleteObjectTagging', 'AbortMultipartUpload') THEN 'delete'
      WHEN eventname IN ('ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'ListParts') THEN 'list'
      ELSE 'other'
    END) AS operation,
    arbitrary(json_extract_scalar(requestparameters, '$.key')) AS object_key,
    arbitrary(errorcode) AS error_code,
    arbitrary(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredIn') AS DOUBLE)) AS bytes_in,
    arbitrary(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    arbitrary(eventtime) AS eventtime
  FROM {{data}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    AND eventsource = 's3.amazonaws.com'
    -- Only data events: locally both tables are one view, and logs older
    -- than eventCategory are recognised by their object-level event names.
    AND (eventcategory = 'Data' OR (eventcategory IS NULL AND eventname IN (
      'GetObject', 'HeadObject', 'GetObjectAcl', 'GetObjectAttributes', 'GetObjectTagging', 'GetObjectRetention',
      'GetObjectLegalHold', 'GetObjectTorrent', 'SelectObjectContent', 'PutObject', 'CopyObject',
      'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'PutObjectAcl',
      'PutObjectTagging', 'PutObjectRetention', 'PutObjectLegalHold', 'RestoreObject', 'DeleteObject',
      'DeleteObjects', 'DeleteObjectTagging', 'AbortMultipartUpload', 'ListObjects', 'ListObjectsV2',
      'ListObjectVersions', 'ListMultipartUploads', 'ListParts')))
    AND strpos(',' || :buckets || ',', ',' || json_extract_scalar(requestparameters, '$.bucketName') || ',') > 0
  GROUP BY eventid
)
SELECT
  principal,
  source_ip,
  operation,
  count(*) AS events,
  count_if(error_code IS NOT NULL AND error_code <> '') AS errors,
  count(DISTINCT object_key) AS distinct_keys,
  -- Bytes count only calls that succeeded: an error body is not the object.
  CAST(round(COALESCE(sum(CASE WHEN error_code IS NULL OR error_code = '' THEN bytes_in END), 0)) AS BIGINT) AS bytes_in,
  CAST(round(COALESCE(sum(CASE WHEN error_code IS NULL OR error_code = '' THEN bytes_out END), 0)) AS BIGINT) AS bytes_out,
  from_iso8601_timestamp(min(eventtime)) AS first_seen,
  from_iso8601_timestamp(max(eventtime)) AS last_seen
FROM ev
GROUP BY principal, source_ip, operation
ORDER BY events DESC, bytes_out DESC, principal, source_ip, operation
