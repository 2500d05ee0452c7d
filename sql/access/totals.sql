-- name: access/totals
-- summary: totals per bucket and operation class (read, write, delete, list, other): events, errors, principals, source IPs, keys, bytes
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- table: data
WITH {{> access/_events}}
SELECT
  bucket,
  operation,
  count(*) AS events,
  count_if(error_code IS NOT NULL AND error_code <> '') AS errors,
  count(DISTINCT principal) AS principals,
  count(DISTINCT source_ip) AS source_ips,
  count(DISTINCT object_key) AS distinct_keys,
  CAST(round(COALESCE(sum(CASE WHEN error_code IS NULL OR error_code = '' THEN bytes_in END), 0)) AS BIGINT) AS bytes_in,
  CAST(round(COALESCE(sum(CASE WHEN error_code IS NULL OR error_code = '' THEN bytes_out END), 0)) AS BIGINT) AS bytes_out,
  from_iso8601_timestamp(min(eventtime)) AS first_seen,
  from_iso8601_timestamp(max(eventtime)) AS last_seen
FROM ev
GROUP BY bucket, operation
ORDER BY bucket, operation
