-- name: hunt/baseline_calls
-- summary: each principal's own baseline for calls that are routine for some principals (Lambda code and configuration, SSM sessions and commands): how often and on how many days it made each in the days before the window, and how many of those days have logs (the row with an empty principal)
-- param: baseline_since  timestamp  start of the baseline (inclusive)
-- param: since           timestamp  start of the window: the baseline ends here (exclusive)
-- param: day_from        day        first partition day (baseline start less one day)
-- param: day_to          day        last partition day (window start plus one day)
-- table: management
WITH ev AS (
  SELECT
    eventid,
    min(substr(eventtime, 1, 10)) AS logged_day,
    min(eventsource) AS event_source,
    min(eventname) AS event_name,
    min({{> common/_principal}}) AS principal
  FROM {{management}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :baseline_since AND eventtime < :since
  GROUP BY eventid
)
SELECT '' AS principal, '' AS event_source, '' AS event_name, 0 AS events, count(DISTINCT logged_day) AS days
FROM ev
UNION ALL
SELECT principal, event_source, event_name, count(*) AS events, count(DISTINCT logged_day) AS days
FROM ev
WHERE (event_source = 'lambda.amazonaws.com' AND regexp_like(event_name, '^(UpdateFunctionCode|UpdateFunctionConfiguration|PublishLayerVersion|AddPermission)([0-9]{8}(v[0-9]+){0,1}){0,1}$'))
  OR (event_source = 'ssm.amazonaws.com' AND event_name IN ('StartSession', 'SendCommand'))
GROUP BY principal, event_source, event_name
ORDER BY 1, 2, 3
