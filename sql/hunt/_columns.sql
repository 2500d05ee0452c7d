-- The columns every hunt hit carries (one row per eventid: each query groups
-- by eventid). Followed by the query's own target and detail columns.
from_iso8601_timestamp(arbitrary(eventtime)) AS event_time,
  arbitrary(eventname) AS event_name,
  arbitrary(eventsource) AS event_source,
  arbitrary({{> common/_principal}}) AS principal,
  arbitrary(COALESCE(recipientaccountid, account)) AS account,
  arbitrary(awsregion) AS region,
  arbitrary(sourceipaddress) AS source_ip,
  arbitrary(useragent) AS user_agent,
  arbitrary(errorcode) AS error_code,
  arbitrary(errormessage) AS error_message,
