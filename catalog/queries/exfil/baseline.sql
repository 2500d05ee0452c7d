-- name: exfil/baseline
-- summary: each reader's baseline: objects and bytes a day before the window, against the window
-- param: buckets        s3_bucket_list  the bucket(s) under investigation
-- param: base_since     timestamp       start of the baseline (window start less the baseline length)
-- param: since          timestamp       start of the window (inclusive); the baseline ends here
-- param: until          timestamp       end of the window (exclusive)
-- param: day_from       day             first partition day (baseline start less one day)
-- param: day_to         day             last partition day (window end plus one day)
-- param: baseline_days  int             length of the baseline in days
-- table: data
WITH reads AS (
  SELECT
    eventid,
    arbitrary(CASE
      WHEN useridentity.accountid = 'anonymous' OR useridentity.principalid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
      ELSE COALESCE(useridentity.arn, useridentity.invokedby,
                    'account:' || useridentity.accountid || COALESCE('/' || useridentity.principalid, ''),
                    useridentity.principalid, 'unknown')
    END) AS principal,
    arbitrary(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    arbitrary(errorcode) AS error_code,
    arbitrary(eventtime) AS eventtime
  FROM {{data}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :base_since AND eventtime < :until
    AND eventsource = 's3.amazonaws.com'
    AND eventname = 'GetObject'
    AND strpos(',' || :buckets || ',', ',' || json_extract_scalar(requestparameters, '$.bucketName') || ',') > 0
  GROUP BY eventid
), ok AS (
  -- failed reads (AccessDenied, NoSuchKey) transferred no object
  SELECT * FROM reads WHERE error_code IS NULL
), per AS (
  SELECT
    principal,
    count_if(eventtime >= :since) AS window_objects,
    COALESCE(sum(CASE WHEN eventtime >= :since THEN bytes_out END), 0) AS window_bytes,
    count_if(eventtime < :since) AS baseline_objects,
    COALESCE(sum(CASE WHEN eventtime < :since THEN bytes_out END), 0) AS baseline_bytes,
    count(DISTINCT CASE WHEN eventtime < :since THEN substr(eventtime, 1, 10) END) AS baseline_active_days
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
