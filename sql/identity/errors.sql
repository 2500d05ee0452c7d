-- name: identity/errors
-- summary: the identities' failed calls per principal, error code, event and source IP
-- param: arns      arn_list optional         identities (userIdentity.arn) to follow
-- param: arn_prefix text optional             identities whose ARN starts with this (--arn ending in *)
-- param: ip_range  cidr optional              an --ip CIDR range (IPv4 or IPv6); empty for none
-- param: ip_lo     int                       lowest IPv4 address of an IPv4 range as a number (for dotted quads with leading zeros), -1 for none
-- param: ip_hi     int                       highest IPv4 address of the range
-- param: keys      access_key_list optional  access key ids (userIdentity.accessKeyId) to follow
-- param: ips       ip_list optional          source IP addresses to follow
-- param: since     timestamp                 start of the window (inclusive)
-- param: until     timestamp                 end of the window (exclusive)
-- param: day_from  day                       first partition day (window start less one day)
-- param: day_to    day                       last partition day (window end plus one day)
-- table: management data
WITH {{> identity/_events}}
SELECT
  principal,
  error_code,
  event_source,
  event_name,
  source_ip,
  min_by(eventid, eventtime || eventid) AS first_event_id,
  max_by(eventid, eventtime || eventid) AS last_event_id,
  count(*) AS events,
  min(error_message) AS sample_error_message,
  from_iso8601_timestamp(min(eventtime)) AS first_seen,
  from_iso8601_timestamp(max(eventtime)) AS last_seen
FROM ev
WHERE error_code IS NOT NULL AND error_code <> ''
GROUP BY principal, error_code, event_source, event_name, source_ip
ORDER BY events DESC, principal, error_code, event_source, event_name, source_ip
