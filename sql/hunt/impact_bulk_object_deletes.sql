-- name: hunt/impact_bulk_object_deletes
-- summary: objects deleted in bulk (S3 data events): per principal, source IP and bucket, every DeleteObjects call and runs of 25 or more DeleteObject calls; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: data
-- attack: TA0040 T1485
WITH deletes AS (
  SELECT * FROM (
    SELECT
      {{> hunt/_per_object_call}}
    FROM {{data}}
    WHERE day BETWEEN :day_from AND :day_to
      AND eventtime >= :since AND eventtime < :until
      AND eventsource = 's3.amazonaws.com' AND eventname IN ('DeleteObject', 'DeleteObjects')
    WINDOW per_event AS (PARTITION BY eventid)
  ) delivered
  WHERE delivery = 1
)
SELECT
  principal,
  source_ip,
  bucket AS target,
  error_code,
  CASE WHEN count_if(event_name = 'DeleteObjects') > 0 THEN 'DeleteObjects' ELSE 'DeleteObject' END AS event_name,
  's3.amazonaws.com' AS event_source,
  count(*) AS events,
  count_if(event_name = 'DeleteObjects') AS bulk_calls,
  {{> hunt/_group_tail}}
FROM deletes
GROUP BY principal, source_ip, bucket, error_code
HAVING count_if(event_name = 'DeleteObjects') > 0 OR count(*) >= 25
ORDER BY event_time, principal, source_ip, target, error_code
