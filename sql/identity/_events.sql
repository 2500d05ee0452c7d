-- Every event of the given identities, access keys or source addresses in
-- the window, from both tables, one row per eventid. Needs: arns, arn_prefix, keys, ips,
-- ip_range, ip_lo, ip_hi,
-- since, until, day_from, day_to.
hits AS (
  -- Both tables: management calls and S3 data events, filtered once (Trino
  -- pushes the filter into each branch, so partitions are still pruned).
  -- When data events share the management table (the default setup, and
  -- the local engine's one view) that table is read once. CloudTrail
  -- delivers some events twice; the GROUP BY below keeps one.
  SELECT * FROM (
    SELECT eventid, eventtime, eventsource, eventname, readonly, errorcode, errormessage, useridentity, sourceipaddress, useragent, requestparameters, responseelements, additionaleventdata, vpcendpointid, recipientaccountid, awsregion, eventcategory, day
    FROM {{management}}
    {{#own_data}}
    UNION ALL
    SELECT eventid, eventtime, eventsource, eventname, readonly, errorcode, errormessage, useridentity, sourceipaddress, useragent, requestparameters, responseelements, additionaleventdata, vpcendpointid, recipientaccountid, awsregion, eventcategory, day
    FROM {{data}}
    {{/own_data}}
  ) both_tables
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    -- An empty list is NULL, which matches nothing.
    AND (useridentity.arn IN (:arns)
      OR (:arn_prefix <> '' AND starts_with(useridentity.arn, :arn_prefix))
      OR contains(nullif(:ip_range, ''), TRY_CAST(sourceipaddress AS IPADDRESS))
      OR (:ip_lo >= 0
        AND regexp_like(sourceipaddress, '^[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$')
        AND TRY_CAST(split_part(sourceipaddress, '.', 1) AS BIGINT) * 16777216
          + TRY_CAST(split_part(sourceipaddress, '.', 2) AS BIGINT) * 65536
          + TRY_CAST(split_part(sourceipaddress, '.', 3) AS BIGINT) * 256
          + TRY_CAST(split_part(sourceipaddress, '.', 4) AS BIGINT) BETWEEN :ip_lo AND :ip_hi)
      OR useridentity.accesskeyid IN (:keys)
      OR sourceipaddress IN (:ips))
), ev AS (
  SELECT
    eventid,
    min({{> common/_principal}}) AS principal,
    min(useridentity.accesskeyid) AS access_key,
    min(sourceipaddress) AS source_ip,
    min(useragent) AS user_agent,
    min(eventsource) AS event_source,
    min(eventname) AS event_name,
    min(readonly) AS read_only,
    min(errorcode) AS error_code,
    min(errormessage) AS error_message,
    min(eventcategory) AS event_category,
    min(requestparameters) AS request_parameters,
    min(responseelements) AS response_elements,
    min(additionaleventdata) AS additional_event_data,
    min(useridentity.accountid) AS account,
    min(vpcendpointid) AS vpc_endpoint,
    min(recipientaccountid) AS event_account,
    min(awsregion) AS region,
    min(eventtime) AS eventtime
  FROM hits
  GROUP BY eventid
)
