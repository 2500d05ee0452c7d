-- name: hunt/errors_by_source_ip
-- summary: where errors come from: error code and message per source IP and API call, the long tail (fewest events) first
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
WITH failed AS (
  SELECT * FROM (
    SELECT
      {{> hunt/_per_event}}
      min(errorcode) OVER per_event AS error_code,
      min(COALESCE(errormessage, '')) OVER per_event AS error_message
    FROM {{management}}
    WHERE day BETWEEN :day_from AND :day_to
      AND eventtime >= :since AND eventtime < :until
      AND errorcode IS NOT NULL AND errorcode <> ''
    WINDOW per_event AS (PARTITION BY eventid)
  ) delivered
  WHERE delivery = 1
)
SELECT
  source_ip,
  error_code,
  error_message,
  event_source,
  event_name,
  count(*) AS events,
  count(DISTINCT principal) AS principals,
  min(principal) AS principal,
  min(account) AS account,
  min(region) AS region,
  min(user_agent) AS user_agent,
  from_iso8601_timestamp(min(eventtime)) AS event_time,
  from_iso8601_timestamp(max(eventtime)) AS last_seen,
  min(eventid) AS event_id
FROM failed
GROUP BY source_ip, error_code, error_message, event_source, event_name
ORDER BY events, event_time, source_ip, error_code, error_message, event_source, event_name
