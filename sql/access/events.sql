-- name: access/events
-- summary: every S3 data event on the bucket(s) the findings rest on, one row per eventID, in time order: who, from where, what operation on which object, and how it ended
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- table: data
WITH {{> access/_events}}
SELECT
  from_iso8601_timestamp(eventtime) AS event_time,
  eventid AS event_id,
  principal,
  source_ip,
  operation,
  event_name,
  bucket,
  object_key,
  error_code,
  CAST(round(bytes_in) AS BIGINT) AS bytes_in,
  CAST(round(bytes_out) AS BIGINT) AS bytes_out,
  event_account,
  region
FROM ev
ORDER BY eventtime, eventid
