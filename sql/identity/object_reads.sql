-- name: identity/object_reads
-- summary: every S3 object read (GetObject) the identities made, one row per event: who, from which address, which object, the bytes sent out, and whether it succeeded
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
  from_iso8601_timestamp(eventtime) AS event_time,
  eventid AS event_id,
  principal,
  account,
  source_ip,
  vpc_endpoint,
  user_agent,
  json_extract_scalar(request_parameters, '$.bucketName') AS bucket,
  json_extract_scalar(request_parameters, '$.key') AS object_key,
  CAST(round(TRY_CAST(json_extract_scalar(additional_event_data, '$.bytesTransferredOut') AS DOUBLE)) AS BIGINT) AS bytes_out,
  error_code,
  event_account,
  region
FROM ev
WHERE event_source = 's3.amazonaws.com' AND event_name = 'GetObject'
ORDER BY eventtime, eventid
LIMIT 100000
