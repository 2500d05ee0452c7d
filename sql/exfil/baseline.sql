-- name: exfil/baseline
-- summary: each reader's baseline: objects read and bytes before the window, and on how many days, against the window
-- param: buckets        s3_bucket_list  the bucket(s) under investigation
-- param: since          timestamp       start of the baseline (window start less the baseline length)
-- param: window_since   timestamp       start of the window (inclusive); the baseline ends here
-- param: until          timestamp       end of the window (exclusive)
-- param: day_from       day             first partition day (baseline start less one day)
-- param: day_to         day             last partition day (window end plus one day)
-- param: principal  arn optional    only this principal
-- param: ip         ip optional     only this source IP
-- param: ip_lo      int             lowest IPv4 address as a number, -1 for no range
-- param: ip_hi      int             highest IPv4 address as a number
-- param: key_prefix text optional   only keys starting with this
-- table: data
WITH {{> exfil/_reads}},
{{> exfil/_filtered}}, ok AS (
  -- failed reads (AccessDenied, NoSuchKey) transferred no object
  SELECT * FROM filtered WHERE error_code IS NULL
), per AS (
  SELECT
    principal,
    count_if(eventtime >= :window_since) AS window_objects,
    COALESCE(sum(CASE WHEN eventtime >= :window_since THEN bytes_out END), 0) AS window_bytes,
    count_if(eventtime < :window_since) AS baseline_objects,
    COALESCE(sum(CASE WHEN eventtime < :window_since THEN bytes_out END), 0) AS baseline_bytes,
    count(DISTINCT CASE WHEN eventtime < :window_since THEN substr(eventtime, 1, 10) END) AS baseline_active_days
  FROM ok
  GROUP BY principal
)
SELECT
  principal,
  window_objects,
  CAST(round(window_bytes) AS BIGINT) AS window_bytes,
  baseline_objects,
  CAST(round(baseline_bytes) AS BIGINT) AS baseline_bytes,
  -- a rate a day divides by the baseline's days that have logs
  -- (exfil/baseline_days), which this query cannot see: the report says it
  baseline_active_days
FROM per
WHERE window_objects > 0
ORDER BY window_bytes DESC, window_objects DESC, principal
