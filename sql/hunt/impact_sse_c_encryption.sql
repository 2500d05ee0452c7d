-- name: hunt/impact_sse_c_encryption
-- summary: objects written encrypted with a customer-provided key (SSE-C, the S3 ransomware pattern): PutObject, CopyObject and multipart uploads carrying x-amz-server-side-encryption-customer-algorithm, per principal, source IP and bucket; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: data
-- attack: TA0040 T1486
WITH writes AS (
  SELECT * FROM (
    SELECT
      {{> hunt/_per_object_call}}
    FROM {{data}}
    WHERE day BETWEEN :day_from AND :day_to
      AND eventtime >= :since AND eventtime < :until
      AND eventsource = 's3.amazonaws.com' AND eventname IN ('PutObject', 'CopyObject', 'CreateMultipartUpload')
      AND strpos(requestparameters, 'x-amz-server-side-encryption-customer-algorithm') > 0
    WINDOW per_event AS (PARTITION BY eventid)
  ) delivered
  WHERE delivery = 1
)
SELECT
  principal,
  source_ip,
  bucket AS target,
  error_code,
  min(event_name) AS event_name,
  's3.amazonaws.com' AS event_source,
  count(*) AS events,
  {{> hunt/_group_tail}}
FROM writes
GROUP BY principal, source_ip, bucket, error_code
ORDER BY event_time, principal, source_ip, target, error_code
