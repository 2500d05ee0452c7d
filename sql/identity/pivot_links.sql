-- name: identity/pivot_links
-- summary: one pivot round: every combination of identity, access key, source IP, minted or created key and session issuer in events touching the frontier
-- param: arns      arn_list optional         identities (userIdentity.arn) to follow
-- param: keys      access_key_list optional  access key ids (userIdentity.accessKeyId) to follow
-- param: ips       ip_list optional          source IP addresses to follow
-- param: since     timestamp                 start of the window (inclusive)
-- param: until     timestamp                 end of the window (exclusive)
-- param: day_from  day                       first partition day (window start less one day)
-- param: day_to    day                       last partition day (window end plus one day)
-- table: management data
WITH raw AS (
  -- Both tables: management calls and S3 data events; one table, read once,
  -- when data events share the management table (the default setup, and
  -- the local engine's one view). The GROUP BY eventid keeps one row of an
  -- event CloudTrail delivered twice.
  SELECT eventid, eventtime, eventname, useridentity, sourceipaddress,
    json_extract_scalar(responseelements, '$.credentials.accessKeyId') AS minted_key,
    json_extract_scalar(responseelements, '$.accessKey.accessKeyId') AS created_key
  FROM {{management}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
  {{#own_data}}
  UNION ALL
  SELECT eventid, eventtime, eventname, useridentity, sourceipaddress,
    json_extract_scalar(responseelements, '$.credentials.accessKeyId') AS minted_key,
    json_extract_scalar(responseelements, '$.accessKey.accessKeyId') AS created_key
  FROM {{data}}
  WHERE day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
  {{/own_data}}
), hits AS (
  SELECT * FROM raw
  -- An empty list is NULL, which matches nothing.
  WHERE useridentity.arn IN (:arns)
    OR useridentity.accesskeyid IN (:keys)
    -- Keys handed out by a call link back to the key or identity that asked.
    OR minted_key IN (:keys)
    OR created_key IN (:keys)
    OR sourceipaddress IN (:ips)
), ev AS (
  SELECT
    eventid,
    min(useridentity.type) AS identity_type,
    min({{> common/_principal}}) AS principal,
    min(useridentity.arn) AS arn,
    min(useridentity.accesskeyid) AS access_key,
    min(sourceipaddress) AS source_ip,
    min(minted_key) AS minted_key,
    min(created_key) AS created_key,
    min(useridentity.sessioncontext.sessionissuer.arn) AS session_issuer,
    min(CASE WHEN minted_key IS NOT NULL OR created_key IS NOT NULL THEN eventname END) AS via,
    min(eventtime) AS eventtime
  FROM hits
  GROUP BY eventid
)
SELECT
  identity_type,
  principal,
  arn,
  access_key,
  source_ip,
  minted_key,
  created_key,
  session_issuer,
  via,
  count(*) AS events,
  from_iso8601_timestamp(min(eventtime)) AS first_seen,
  from_iso8601_timestamp(max(eventtime)) AS last_seen
FROM ev
GROUP BY identity_type, principal, arn, access_key, source_ip, minted_key, created_key, session_issuer, via
ORDER BY principal, access_key, source_ip, minted_key, created_key, session_issuer, via
