-- name: hunt/initial_console_login_failures
-- summary: bursts of failed console sign-ins: source addresses with 5 or more failed ConsoleLogin events in the window, with how many user names they tried
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0006 T1110 TA0001
WITH failures AS (
  SELECT * FROM (
    SELECT
      {{> hunt/_per_event}}
      min(COALESCE(useridentity.username, json_extract_scalar(additionaleventdata, '$.LoginTo'), '')) OVER per_event AS tried_user
    FROM {{management}}
    WHERE day BETWEEN :day_from AND :day_to
      AND eventtime >= :since AND eventtime < :until
      AND eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin'
      AND (json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure' OR errormessage = 'Failed authentication')
    WINDOW per_event AS (PARTITION BY eventid)
  ) delivered
  WHERE delivery = 1
)
SELECT
  source_ip,
  'ConsoleLogin' AS event_name,
  'signin.amazonaws.com' AS event_source,
  'Failed authentication' AS error_code,
  count(*) AS events,
  count(DISTINCT principal) AS principals,
  min(principal) AS principal,
  count(DISTINCT tried_user) AS users_tried,
  min(tried_user) AS target,
  {{> hunt/_group_tail}}
FROM failures
GROUP BY source_ip
HAVING count(*) >= 5
ORDER BY event_time, source_ip
