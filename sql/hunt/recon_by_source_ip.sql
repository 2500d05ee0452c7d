-- name: hunt/recon_by_source_ip
-- summary: odd credential use: who-am-I and inventory calls (GetCallerIdentity, ListBuckets, DescribeInstances, IAM and organization listings) per source IP and principal, rarest first
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0007 T1580 T1087.004 T1619 T1033
WITH calls AS (
  SELECT * FROM (
    SELECT
      {{> hunt/_per_event}}
      min(COALESCE(errorcode, '')) OVER per_event AS error_code,
      min(errormessage) OVER per_event AS error_message
    FROM {{management}}
    WHERE day BETWEEN :day_from AND :day_to
      AND eventtime >= :since AND eventtime < :until
      AND ((eventsource = 'sts.amazonaws.com' AND eventname IN ('GetCallerIdentity'))
        OR (eventsource = 's3.amazonaws.com' AND eventname IN ('ListBuckets'))
        OR (eventsource = 'ec2.amazonaws.com' AND eventname IN ('DescribeInstances'))
        OR (eventsource = 'iam.amazonaws.com' AND eventname IN ('GetAccountAuthorizationDetails', 'ListUsers', 'ListRoles', 'ListAccessKeys'))
        OR (eventsource = 'organizations.amazonaws.com' AND eventname IN ('ListAccounts', 'DescribeOrganization')))
    WINDOW per_event AS (PARTITION BY eventid)
  ) delivered
  WHERE delivery = 1
)
SELECT
  source_ip,
  principal,
  event_source,
  event_name,
  error_code,
  count(*) AS events,
  min(error_message) AS error_message,
  min(account) AS account,
  min(region) AS region,
  min(user_agent) AS user_agent,
  count(DISTINCT user_agent) AS user_agents,
  from_iso8601_timestamp(min(eventtime)) AS event_time,
  from_iso8601_timestamp(max(eventtime)) AS last_seen,
  min(eventid) AS event_id
FROM calls
GROUP BY source_ip, principal, event_source, event_name, error_code
ORDER BY events, event_time, source_ip, principal, event_name, error_code
