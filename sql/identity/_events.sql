-- Every event of the given identities, access keys or source addresses in
-- the window, from both tables, one row per eventid. Needs: arns, keys, ips,
-- since, until, day_from, day_to.
hits AS (
  -- Both tables: management calls and S3 data events, filtered once (Trino
  -- pushes the filter into each branch, so partitions are still pruned).
  -- When data events share the management table (the default setup, and
  -- the local engine's one view) that table is read once. CloudTrail
  -- delivers some events twice; the GROUP BY below keeps one.
  SELECT * FROM (
    SELECT eventid, eventtime, eventsource, eventname, readonly, errorcode, errormessage, useridentity, sourceipaddress, useragent, requestparameters, responseelements, eventcategory, day
    FROM {{management}}
    {{#own_data}}
    UNION ALL
    SELECT eventid, eventtime, eventsource, eventname, readonly, errorcode, errormessage, useridentity, sourceipaddress, useragent, requestparameters, responseelements, eventcategory, day
    FROM {{data}}
    {{/own_data}}
  ) both_tables
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    -- An empty list is NULL, which matches nothing.
    AND (useridentity.arn IN (:arns)
      OR useridentity.accesskeyid IN (:keys)
      OR sourceipaddress IN (:ips))
), ev AS (
  SELECT
    eventid,
    arbitrary({{> common/_principal}}) AS principal,
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
