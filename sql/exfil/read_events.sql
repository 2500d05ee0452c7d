-- name: exfil/read_events
-- summary: every object read (GetObject) the findings rest on, one row per eventID, in time order: who, from where, which object, bytes out, and the error of a failed read
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- param: principal_prefix text optional  only principals whose ARN starts with this (--principal ending in *)
-- param: principal  arn optional    only this principal
-- param: ip         ip optional     only this source IP
-- param: ip_range   cidr optional    an --ip CIDR range (IPv4 or IPv6); empty for none
-- param: ip_lo      int             lowest IPv4 address of an IPv4 range as a number (for dotted quads with leading zeros), -1 for none
-- param: ip_hi      int             highest IPv4 address of the range
-- param: key_prefix text optional   only keys starting with this
-- table: data
WITH {{> exfil/_reads}},
{{> exfil/_filtered}}
SELECT
  from_iso8601_timestamp(eventtime) AS event_time,
  eventid AS event_id,
  principal,
  account,
  source_ip,
  vpc_endpoint,
  user_agent,
  bucket,
  object_key,
  CAST(round(bytes_out) AS BIGINT) AS bytes_out,
  error_code,
  event_account,
  region
FROM filtered
ORDER BY eventtime, eventid
