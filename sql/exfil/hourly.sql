-- name: exfil/hourly
-- summary: reads and bytes out per hour of the window, for the activity chart
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- param: principal  arn optional    only this principal
-- param: principal_prefix text optional  only principals whose ARN starts with this (--principal ending in *)
-- param: ip         ip optional     only this source IP
-- param: ip_range   cidr optional    an --ip CIDR range (IPv4 or IPv6); empty for none
-- param: ip_lo      int             lowest IPv4 address of an IPv4 range as a number (for dotted quads with leading zeros), -1 for none
-- param: ip_hi      int             highest IPv4 address of the range
-- param: key_prefix text optional   only keys starting with this
-- table: data
WITH {{> exfil/_reads}},
{{> exfil/_filtered}}
SELECT
  from_iso8601_timestamp(substr(eventtime, 1, 13) || ':00:00Z') AS hour,
  substr(eventtime, 1, 13) || ':00' AS hour_utc,
  count_if(error_code IS NULL) AS reads,
  count_if(error_code IS NOT NULL) AS failed_reads,
  count(DISTINCT principal) AS principals,
  CAST(round(COALESCE(sum(CASE WHEN error_code IS NULL THEN bytes_out END), 0)) AS BIGINT) AS bytes_out
FROM filtered
GROUP BY substr(eventtime, 1, 13)
ORDER BY 2
