-- The columns every hunt hit carries (one row per eventid: each query groups
-- by eventid). Followed by the query's own target and detail columns.
from_iso8601_timestamp(min(eventtime)) AS event_time,
  min(eventname) AS event_name,
  min(eventsource) AS event_source,
  min({{> common/_principal}}) AS principal,
  min(COALESCE(recipientaccountid, account)) AS account,
  min(awsregion) AS region,
  min(sourceipaddress) AS source_ip,
  min(useragent) AS user_agent,
  min(errorcode) AS error_code,
  min(errormessage) AS error_message,
