-- sigma/aws_cloudtrail_disable_logging
-- arg 1 day_from = "2026/02/28"
-- arg 2 day_to = "2026/03/03"
-- arg 3 since = "2026-03-01T00:00:00Z"
-- arg 4 until = "2026-03-02T00:00:00Z"
-- arg 5 v1_eventsource = "cloudtrail.amazonaws.com"
-- arg 6 v2_eventname = "StopLogging"
-- arg 7 v3_eventname = "UpdateTrail"
-- arg 8 v4_eventname = "DeleteTrail"
SELECT
  from_iso8601_timestamp(arbitrary(eventtime)) AS event_time,
  arbitrary(eventname) AS event_name,
  arbitrary(eventsource) AS event_source,
  arbitrary(CASE
  WHEN useridentity.accountid = 'anonymous' OR useridentity.principalid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
  ELSE COALESCE(useridentity.arn, useridentity.invokedby,
                'account:' || useridentity.accountid || COALESCE('/' || useridentity.principalid, ''),
                useridentity.principalid, 'unknown')
END) AS principal,
  arbitrary(COALESCE(recipientaccountid, account)) AS account,
  arbitrary(awsregion) AS region,
  arbitrary(sourceipaddress) AS source_ip,
  arbitrary(useragent) AS user_agent,
  arbitrary(errorcode) AS error_code,
  arbitrary(errormessage) AS error_message,
  arbitrary(COALESCE(json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.roleName'),
                      json_extract_scalar(requestparameters, '$.bucketName'), json_extract_scalar(requestparameters, '$.name'),
                      json_extract_scalar(requestparameters, '$.functionName'), json_extract_scalar(requestparameters, '$.instanceId'),
                      json_extract_scalar(requestparameters, '$.groupId'), json_extract_scalar(requestparameters, '$.snapshotId'),
                      json_extract_scalar(requestparameters, '$.dBInstanceIdentifier'), json_extract_scalar(requestparameters, '$.keyId'))) AS target,
  arbitrary(requestparameters) AS request_parameters,
  eventid AS event_id
FROM "ctathena"."management"
WHERE day BETWEEN ? AND ?
  AND eventtime >= ? AND eventtime < ?
  AND (COALESCE(lower(eventsource) = lower(?), FALSE) AND COALESCE(lower(eventname) IN (lower(?), lower(?), lower(?)), FALSE))
GROUP BY eventid
ORDER BY event_time, event_id
