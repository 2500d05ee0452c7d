-- sigma/aws_cloudtrail_disable_logging
-- arg 1 day_from = "2026/02/28"
-- arg 2 day_to = "2026/03/03"
-- arg 3 since = "2026-03-01T00:00:00Z"
-- arg 4 until = "2026-03-02T00:00:00Z"
-- arg 5 v1_eventsource = "cloudtrail.amazonaws.com"
-- arg 6 v2_eventname = "StopLogging"
-- arg 7 v3_eventname = "UpdateTrail"
-- arg 8 v4_eventname = "DeleteTrail"
-- arg 9 day_from = "2026/02/28"
-- arg 10 day_to = "2026/03/03"
-- arg 11 since = "2026-03-01T00:00:00Z"
-- arg 12 until = "2026-03-02T00:00:00Z"
-- arg 13 v1_eventsource = "cloudtrail.amazonaws.com"
-- arg 14 v2_eventname = "StopLogging"
-- arg 15 v3_eventname = "UpdateTrail"
-- arg 16 v4_eventname = "DeleteTrail"
WITH matched AS (
  SELECT eventid, from_iso8601_timestamp(min(eventtime)) AS first_time
  FROM "ctathena"."management"
  WHERE day BETWEEN ? AND ?
    AND eventtime >= ? AND eventtime < ?
    AND (COALESCE(lower(eventsource) = lower(?), FALSE) AND COALESCE(lower(eventname) IN (lower(?), lower(?), lower(?)), FALSE))
  GROUP BY eventid
), listed AS (
  SELECT eventid AS listed_id, count(*) OVER () AS matched_events
  FROM matched
  ORDER BY first_time, eventid
  LIMIT 10000
)
SELECT
  from_iso8601_timestamp(min(eventtime)) AS event_time,
  min(eventname) AS event_name,
  min(eventsource) AS event_source,
  min(CASE
  WHEN useridentity.accountid = 'anonymous' OR useridentity.principalid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
  ELSE COALESCE(useridentity.arn, useridentity.invokedby,
                'account:' || useridentity.accountid || COALESCE('/' || useridentity.principalid, ''),
                useridentity.principalid, 'unknown')
END) AS principal,
  min(COALESCE(recipientaccountid, account)) AS account,
  min(awsregion) AS region,
  min(sourceipaddress) AS source_ip,
  min(useragent) AS user_agent,
  min(errorcode) AS error_code,
  min(errormessage) AS error_message,
  min(COALESCE(json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.roleName'),
                      json_extract_scalar(requestparameters, '$.bucketName'), json_extract_scalar(requestparameters, '$.name'),
                      json_extract_scalar(requestparameters, '$.functionName'), json_extract_scalar(requestparameters, '$.instanceId'),
                      json_extract_scalar(requestparameters, '$.groupId'), json_extract_scalar(requestparameters, '$.snapshotId'),
                      json_extract_scalar(requestparameters, '$.dBInstanceIdentifier'), json_extract_scalar(requestparameters, '$.keyId'))) AS target,
  min(requestparameters) AS request_parameters,
  eventid AS event_id,
  min(matched_events) AS matched_events
FROM "ctathena"."management" JOIN listed ON eventid = listed_id
WHERE day BETWEEN ? AND ?
  AND eventtime >= ? AND eventtime < ?
  AND (COALESCE(lower(eventsource) = lower(?), FALSE) AND COALESCE(lower(eventname) IN (lower(?), lower(?), lower(?)), FALSE))
GROUP BY eventid
ORDER BY event_time, event_id
LIMIT 10000
