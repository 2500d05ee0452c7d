-- Every S3 data event on the bucket(s) in the window, one row per eventid,
-- with its operation class. Needs: buckets, since, until, day_from, day_to.
ev AS (
  -- CloudTrail delivers some events twice: one row per eventid.
  SELECT
    eventid,
    min({{> common/_principal}}) AS principal,
    min(sourceipaddress) AS source_ip,
    min(eventname) AS event_name,
    min(recipientaccountid) AS event_account,
    min(awsregion) AS region,
    min(json_extract_scalar(requestparameters, '$.bucketName')) AS bucket,
    min(CASE
      WHEN eventname IN ('GetObject', 'HeadObject', 'GetObjectAcl', 'GetObjectAttributes', 'GetObjectTagging',
                         'GetObjectRetention', 'GetObjectLegalHold', 'GetObjectTorrent', 'SelectObjectContent') THEN 'read'
      WHEN eventname IN ('PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy',
                         'CompleteMultipartUpload', 'PutObjectAcl', 'PutObjectTagging', 'PutObjectRetention',
                         'PutObjectLegalHold', 'RestoreObject') THEN 'write'
      WHEN eventname IN ('DeleteObject', 'DeleteObjects', 'DeleteObjectTagging', 'AbortMultipartUpload') THEN 'delete'
      WHEN eventname IN ('ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'ListParts') THEN 'list'
      ELSE 'other'
    END) AS operation,
    min(json_extract_scalar(requestparameters, '$.key')) AS object_key,
    min(errorcode) AS error_code,
    min(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredIn') AS DOUBLE)) AS bytes_in,
    min(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    min(eventtime) AS eventtime
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
    AND json_extract_scalar(requestparameters, '$.bucketName') IN (:buckets)
  GROUP BY eventid
)
