-- The columns of one event, for a hunt that groups events itself: one row
-- per eventid (CloudTrail delivers some events twice). Followed by the
-- query's own error columns, then FROM.
eventid,
    arbitrary(eventtime) AS eventtime,
    arbitrary(eventname) AS event_name,
    arbitrary(eventsource) AS event_source,
    arbitrary({{> common/_principal}}) AS principal,
    arbitrary(COALESCE(recipientaccountid, account)) AS account,
    arbitrary(awsregion) AS region,
    arbitrary(COALESCE(sourceipaddress, '')) AS source_ip,
    arbitrary(useragent) AS user_agent,
