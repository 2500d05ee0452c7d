-- name: hunt/lateral_security_group_ingress
-- summary: security group ingress opened (AuthorizeSecurityGroupIngress), flagging rules open to any address; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0005 TA0008 T1562.007
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.groupId')) AS target,
  min(CASE WHEN strpos(requestparameters, '0.0.0.0/0') > 0 OR strpos(requestparameters, '::/0') > 0 OR regexp_like(COALESCE(json_extract_scalar(requestparameters, '$.cidrIp'), ''), '/0$') THEN 'open to any address' END || COALESCE(' port ' || json_extract_scalar(requestparameters, '$.fromPort'), '')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'ec2.amazonaws.com' AND eventname IN ('AuthorizeSecurityGroupIngress')))
GROUP BY eventid
ORDER BY event_time, event_id
