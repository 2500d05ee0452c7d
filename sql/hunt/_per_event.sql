-- The columns of one event, for a hunt that groups events itself: one row
-- per eventid (CloudTrail delivers some events twice). Each column is the
-- least of the event's deliveries, over the window of its eventid; the
-- query adds its own columns the same way and keeps delivery 1.
-- A GROUP BY eventid with these min()s held every string it kept outside
-- DuckDB's memory limit, where nothing spills: the 10,000,000-event
-- hunt's errors_by_source_ip took 1,163 MiB that way, 889 this way, with
-- the same result byte for byte.
eventid,
      min(eventtime) OVER (PARTITION BY eventid) AS eventtime,
      min(eventname) OVER (PARTITION BY eventid) AS event_name,
      min(eventsource) OVER (PARTITION BY eventid) AS event_source,
      min({{> common/_principal}}) OVER (PARTITION BY eventid) AS principal,
      min(COALESCE(recipientaccountid, account)) OVER (PARTITION BY eventid) AS account,
      min(awsregion) OVER (PARTITION BY eventid) AS region,
      min(COALESCE(sourceipaddress, '')) OVER (PARTITION BY eventid) AS source_ip,
      min(useragent) OVER (PARTITION BY eventid) AS user_agent,
      row_number() OVER (PARTITION BY eventid) AS delivery,
