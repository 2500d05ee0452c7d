-- name: exfil/baseline_days
-- summary: the days of the baseline (before the window) on which the logs of the bucket(s)' account and region hold any object read (GetObject, of any bucket): a baseline rate divides by these days, and "read nothing" is said only of them
-- param: buckets        s3_bucket_list  the bucket(s) under investigation
-- param: since          timestamp       start of the baseline (window start less the baseline length)
-- param: window_since   timestamp       start of the window; the baseline ends here
-- param: until          timestamp       end of the window (exclusive)
-- param: day_from       day             first partition day (baseline start less one day)
-- param: day_to         day             last partition day (window end plus one day)
-- table: data
SELECT
  substr(eventtime, 1, 10) AS day_utc,
  count(DISTINCT eventid) AS object_reads_logged
FROM {{data}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :window_since
  AND eventsource = 's3.amazonaws.com'
  AND eventname = 'GetObject'
  -- S3 delivers every read of a bucket to its owner's account in its
  -- region: the partitions that hold the bucket(s)' reads
  AND account || '/' || region IN (
    SELECT DISTINCT account || '/' || region FROM {{data}}
    WHERE {{> exfil/_read_events}})
GROUP BY substr(eventtime, 1, 10)
ORDER BY 1
