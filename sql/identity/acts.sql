-- name: identity/acts
-- summary: the calls whose effect the findings state, one row per event with its request and response: every mutating management call, the reads of secrets and passwords, and the calls that hand out credentials (roles assumed, session and federation tokens), failed attempts included, oldest first (at most 100,000)
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
  principal,
  source_ip,
  event_source,
  event_name,
  error_code,
  error_message,
  request_parameters,
  response_elements,
  eventid AS event_id
FROM ev
WHERE (read_only = 'false' AND COALESCE(event_category, '') <> 'Data')
  OR event_name = 'DeleteObjects'
  OR (event_name IN ('PutObject', 'CopyObject', 'CreateMultipartUpload')
    AND strpos(request_parameters, 'x-amz-server-side-encryption-customer-algorithm') > 0)
  OR event_name IN ('GetSecretValue', 'BatchGetSecretValue', 'GetPasswordData', 'GetParameter', 'GetParameters', 'GetParametersByPath',
    'AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken')
ORDER BY eventtime, eventid
LIMIT 100000
