-- The columns that end a hunt query grouping several events into one row:
-- the account, region and user agent, when the group began and ended, and
-- the eventIDs of its first and last event (ties broken by eventID). Needs
-- account, region, user_agent, eventtime and eventid in the rows grouped.
min(account) AS account,
  min(region) AS region,
  min(user_agent) AS user_agent,
  from_iso8601_timestamp(min(eventtime)) AS event_time,
  from_iso8601_timestamp(max(eventtime)) AS last_seen,
  min_by(eventid, eventtime || eventid) AS event_id,
  max_by(eventid, eventtime || eventid) AS last_event_id
