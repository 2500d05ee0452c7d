-- name: exfil/baseline
-- summary: each reader's baseline: objects and bytes a day before the window, against the window
-- param: buckets        s3_bucket_list  the bucket(s) under investigation
-- param: since          timestamp       start of the baseline (window start less the baseline length)
-- param: window_since   timestamp       start of the window (inclusive); the baseline ends here
-- param: until          timestamp       end of the window (exclusive)
-- param: day_from       day             first partition day (baseline start less one day)
-- param: day_to         day             last partition day (window end plus one day)
-- param: baseline_days  int             length of the baseline in days
-- table: data
WITH {{> exfil/_reads}}, ok AS (
  -- failed reads (AccessDenied, NoSuchKey) transferred no object
  SELECT * FROM reads WHERE error_code IS NULL
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
  baseline_active_days,
  CAST(baseline_objects AS DOUBLE) / :baseline_days AS baseline_objects_per_day,
  CAST(baseline_bytes AS DOUBLE) / :baseline_days AS baseline_bytes_per_day
FROM per
WHERE window_objects > 0
ORDER BY window_bytes DESC, window_objects DESC, principal
