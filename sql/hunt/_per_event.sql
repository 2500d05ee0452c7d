-- The columns of one event, for a hunt that groups events itself: one row
-- per eventid (CloudTrail delivers some events twice). Each column is the
-- least of the event's deliveries over the window per_event, which the
-- query defines as (PARTITION BY eventid); the query adds its own columns
-- the same way and keeps delivery 1.
-- A GROUP BY eventid with these min()s held every string it kept outside
-- DuckDB's memory limit, where nothing spills: on the 10,000,000-event
-- trail, errors_by_source_ip alone took 1,163 MiB that way, 889 this way,
-- with the same result byte for byte.
eventid,
      min(eventtime) OVER per_event AS eventtime,
      min(eventname) OVER per_event AS event_name,
      min(eventsource) OVER per_event AS event_source,
      min({{> common/_principal}}) OVER per_event AS principal,
      min(COALESCE(recipientaccountid, account)) OVER per_event AS account,
      min(awsregion) OVER per_event AS region,
      min(COALESCE(sourceipaddress, '')) OVER per_event AS source_ip,
      min(useragent) OVER per_event AS user_agent,
      row_number() OVER per_event AS delivery,
