-- The columns of one event, for a hunt that groups events itself: one row
-- per eventid (CloudTrail delivers some events twice). Followed by the
-- query's own error columns, then FROM.
eventid,
    min(eventtime) AS eventtime,
    min(eventname) AS event_name,
    min(eventsource) AS event_source,
    min({{> common/_principal}}) AS principal,
    min(COALESCE(recipientaccountid, account)) AS account,
    min(awsregion) AS region,
    min(COALESCE(sourceipaddress, '')) AS source_ip,
    min(useragent) AS user_agent,
