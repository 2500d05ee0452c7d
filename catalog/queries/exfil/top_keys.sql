-- name: exfil/top_keys
-- summary: every object read, most bytes first: reads, failed reads, readers, source IPs, bytes out, first and last read
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- param: principal  arn optional    only this principal
-- param: ip         ip optional     only this source IP
-- param: ip_lo      int             lowest IPv4 address as a number, -1 for no range
-- param: ip_hi      int             highest IPv4 address as a number
-- param: key_prefix text optional   only keys starting with this
-- table: data
WITH reads AS (
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
    arbitrary(useragent) AS user_agent,
    arbitrary(json_extract_scalar(requestparameters, '$.key')) AS object_key,
    arbitrary(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    arbitrary(errorcode) AS error_code,
    arbitrary(eventtime) AS eventtime
  FROM {{data}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    AND eventsource = 's3.amazonaws.com'
    AND eventname = 'GetObject'
    AND strpos(',' || :buckets || ',', ',' || json_extract_scalar(requestparameters, '$.bucketName') || ',') > 0
  GROUP BY eventid
), filtered AS (
  SELECT * FROM reads
  WHERE (:principal = '' OR principal = :principal)
    AND (:ip = '' OR source_ip = :ip)
    AND (:ip_lo < 0 OR (
          regexp_like(source_ip, '^[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$')
          AND CAST(split_part(source_ip, '.', 1) AS BIGINT) * 16777216
            + CAST(split_part(source_ip, '.', 2) AS BIGINT) * 65536
            + CAST(split_part(source_ip, '.', 3) AS BIGINT) * 256
            + CAST(split_part(source_ip, '.', 4) AS BIGINT) BETWEEN :ip_lo AND :ip_hi))
    AND (:key_prefix = '' OR starts_with(object_key, :key_prefix))
)
SELECT
  object_key,
  count_if(error_code IS NULL) AS reads,
  count_if(error_code IS NOT NULL) AS failed_reads,
  count(DISTINCT principal) AS readers,
  count(DISTINCT source_ip) AS source_ips,
  CAST(round(COALESCE(sum(CASE WHEN error_code IS NULL THEN bytes_out END), 0)) AS BIGINT) AS bytes_out,
  from_iso8601_timestamp(min(CASE WHEN error_code IS NULL THEN eventtime END)) AS first_seen,
  from_iso8601_timestamp(max(CASE WHEN error_code IS NULL THEN eventtime END)) AS last_seen
FROM filtered
GROUP BY object_key
ORDER BY bytes_out DESC, reads DESC, object_key
