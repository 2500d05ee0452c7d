-- name: identity/created
-- summary: resources the identities created (successful Create*, Run* and Put* management calls) with the ids from the response
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
  COALESCE(
    json_extract_scalar(response_elements, '$.accessKey.accessKeyId'),
    json_extract_scalar(response_elements, '$.user.arn'),
    json_extract_scalar(response_elements, '$.role.arn'),
    json_extract_scalar(response_elements, '$.group.arn'),
    json_extract_scalar(response_elements, '$.policy.arn'),
    json_extract_scalar(response_elements, '$.instanceProfile.arn'),
    json_extract_scalar(response_elements, '$.loginProfile.userName'),
    json_extract_scalar(response_elements, '$.instancesSet.items[0].instanceId'),
    json_extract_scalar(response_elements, '$.keyMetadata.arn'),
    json_extract_scalar(response_elements, '$.functionArn'),
    json_extract_scalar(response_elements, '$.trailARN'),
    json_extract_scalar(response_elements, '$.groupId'),
    json_extract_scalar(response_elements, '$.snapshotId'),
    json_extract_scalar(response_elements, '$.volumeId'),
    json_extract_scalar(response_elements, '$.arn'),
    json_extract_scalar(response_elements, '$.aRN'),
    json_extract_scalar(request_parameters, '$.userName'),
    json_extract_scalar(request_parameters, '$.roleName'),
    json_extract_scalar(request_parameters, '$.bucketName'),
    json_extract_scalar(request_parameters, '$.name')) AS resource_id,
  request_parameters,
  response_elements,
  eventid AS event_id
FROM ev
WHERE (error_code IS NULL OR error_code = '')
  AND (starts_with(event_name, 'Create') OR starts_with(event_name, 'Run') OR starts_with(event_name, 'Put'))
  -- Object uploads are data events, and access --bucket covers them.
  AND COALESCE(event_category, '') <> 'Data'
  AND event_name NOT IN ('PutObject', 'PutObjectAcl', 'PutObjectTagging', 'PutObjectRetention', 'PutObjectLegalHold', 'CreateMultipartUpload')
ORDER BY eventtime, eventid
