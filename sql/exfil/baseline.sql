-- name: exfil/baseline
-- summary: each reader's baseline: reads and bytes before the window, and on how many days, against the window
-- param: buckets          s3_bucket_list  the bucket(s) under investigation
-- param: since            timestamp       start of the baseline (window start less the baseline length)
-- param: window_since     timestamp       start of the window (inclusive); the baseline ends here
-- param: until            timestamp       end of the window (exclusive)
-- param: day_from         day             first partition day of the baseline (its start less one day)
-- param: baseline_day_to  day             last partition day of the baseline (window start plus one day)
-- param: window_day_from  day             first partition day of the window (window start less one day)
-- param: day_to           day             last partition day (window end plus one day)
-- param: principal_prefix text optional  only principals whose ARN starts with this (--principal ending in *)
-- param: principal        arn optional    only this principal
-- param: ip               ip optional     only this source IP
-- param: ip_range         cidr optional    an --ip CIDR range (IPv4 or IPv6); empty for none
-- param: ip_lo            int             lowest IPv4 address of an IPv4 range as a number (for dotted quads with leading zeros), -1 for none
-- param: ip_hi            int             highest IPv4 address of the range
-- param: key_prefix       text optional   only keys starting with this
-- table: data
WITH periods AS (
  -- One branch per period, each filtered on its own days and times, so the
  -- period of a read is a constant of its branch (Athena takes parameters
  -- only in WHERE clauses). Only the partitions of the days around the
  -- window's start are read by both branches.
  SELECT 'baseline' AS period, * FROM {{data}}
  WHERE day BETWEEN :day_from AND :baseline_day_to
    AND eventtime >= :since AND eventtime < :window_since
    AND {{> exfil/_read_kind}}
  UNION ALL
  SELECT 'window' AS period, * FROM {{data}}
  WHERE day BETWEEN :window_day_from AND :day_to
    AND eventtime >= :window_since AND eventtime < :until
    AND {{> exfil/_read_kind}}
), reads AS (
  -- one row per eventid (CloudTrail delivers some events twice)
  SELECT
    eventid,
    min(period) AS period,
    min({{> common/_principal}}) AS principal,
    min(sourceipaddress) AS source_ip,
    min(json_extract_scalar(requestparameters, '$.key')) AS object_key,
    min(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    min(errorcode) AS error_code,
    min(eventtime) AS eventtime
  FROM periods
  GROUP BY eventid
),
{{> exfil/_filtered}}, ok AS (
  -- failed reads (AccessDenied, NoSuchKey) transferred no object
  SELECT * FROM filtered WHERE error_code IS NULL
), per AS (
  SELECT
    principal,
    count_if(period = 'window') AS window_objects,
    COALESCE(sum(CASE WHEN period = 'window' THEN bytes_out END), 0) AS window_bytes,
    count_if(period = 'baseline') AS baseline_objects,
    COALESCE(sum(CASE WHEN period = 'baseline' THEN bytes_out END), 0) AS baseline_bytes,
    count(DISTINCT CASE WHEN period = 'baseline' THEN substr(eventtime, 1, 10) END) AS baseline_active_days
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
