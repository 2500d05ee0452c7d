-- name: identity/errors
-- summary: the identities' failed calls per principal, error code, event and source IP
-- param: arns      arn_list optional         identities (userIdentity.arn) to follow
-- param: keys      access_key_list optional  access key ids (userIdentity.accessKeyId) to follow
-- param: ips       ip_list optional          source IP addresses to follow
-- param: since     timestamp                 start of the window (inclusive)
-- param: until     timestamp                 end of the window (exclusive)
-- param: day_from  day                       first partition day (window start less one day)
-- param: day_to    day                       last partition day (window end plus one day)
-- table: management data
WITH hits AS (
  -- Both tables: management calls and S3 data events. Locally they are one
  -- view, so every event arrives twice here and the GROUP BY below keeps one.
  SELECT eventid, eventtime, eventsource, eventname, readonly, errorcode, errormessage, useridentity, sourceipaddress, useragent, requestparameters, responseelements, eventcategory
  FROM {{management}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    AND (
      -- A logged value holding a comma could straddle two list elements, so
      -- such values never match; the Go side never puts them in a list.
      (:arns <> '' AND strpos(useridentity.arn, ',') = 0
        AND strpos(',' || :arns || ',', ',' || useridentity.arn || ',') > 0)
      OR (:keys <> '' AND strpos(useridentity.accesskeyid, ',') = 0
        AND strpos(',' || :keys || ',', ',' || useridentity.accesskeyid || ',') > 0)
      OR (:ips <> '' AND strpos(sourceipaddress, ',') = 0
        AND strpos(',' || :ips || ',', ',' || sourceipaddress || ',') > 0))
  UNION ALL
  SELECT eventid, eventtime, eventsource, eventname, readonly, errorcode, errormessage, useridentity, sourceipaddress, useragent, requestparameters, responseelements, eventcategory
  FROM {{data}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    AND (
      -- A logged value holding a comma could straddle two list elements, so
      -- such values never match; the Go side never puts them in a list.
      (:arns <> '' AND strpos(useridentity.arn, ',') = 0
        AND strpos(',' || :arns || ',', ',' || useridentity.arn || ',') > 0)
      OR (:keys <> '' AND strpos(useridentity.accesskeyid, ',') = 0
        AND strpos(',' || :keys || ',', ',' || useridentity.accesskeyid || ',') > 0)
      OR (:ips <> '' AND strpos(sourceipaddress, ',') = 0
        AND strpos(',' || :ips || ',', ',' || sourceipaddress || ',') > 0))
), ev AS (
  SELECT
    eventid,
    arbitrary(CASE
      WHEN useridentity.accountid = 'anonymous' OR useridentity.principalid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
      ELSE COALESCE(useridentity.arn, useridentity.invokedby,
                    'account:' || useridentity.accountid || COALESCE('/' || useridentity.principalid, ''),
                    useridentity.principalid, 'unknown')
    END) AS principal,
    arbitrary(useridentity.accesskeyid) AS access_key,
    arbitrary(sourceipaddress) AS source_ip,
    arbitrary(useragent) AS user_agent,
    arbitrary(eventsource) AS event_source,
    arbitrary(eventname) AS event_name,
    arbitrary(readonly) AS read_only,
    arbitrary(errorcode) AS error_code,
    arbitrary(errormessage) AS error_message,
    arbitrary(eventcategory) AS event_category,
    arbitrary(requestparameters) AS request_parameters,
    arbitrary(responseelements) AS response_elements,
    arbitrary(eventtime) AS eventtime
  FROM hits
  GROUP BY eventid
)
SELECT
  principal,
  error_code,
  event_source,
  event_name,
  source_ip,
  count(*) AS events,
  arbitrary(error_message) AS sample_error_message,
  from_iso8601_timestamp(min(eventtime)) AS first_seen,
  from_iso8601_timestamp(max(eventtime)) AS last_seen
FROM ev
WHERE error_code IS NOT NULL AND error_code <> ''
GROUP BY principal, error_code, event_source, event_name, source_ip
ORDER BY events DESC, principal, error_code, event_source, event_name, source_ip
