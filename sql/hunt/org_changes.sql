-- name: hunt/org_changes
-- summary: AWS Organizations changed: accounts created, invited or removed, the organization deleted, service control policies detached, deleted, changed or switched off; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0005 T1666 TA0003
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.accountId'), json_extract_scalar(requestparameters, '$.policyId'), json_extract_scalar(requestparameters, '$.accountName'), json_extract_scalar(requestparameters, '$.target.id'))) AS target,
  min(COALESCE(json_extract_scalar(requestparameters, '$.targetId'), json_extract_scalar(requestparameters, '$.policyType'))) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND eventsource = 'organizations.amazonaws.com'
  AND eventname IN ('CreateAccount', 'InviteAccountToOrganization', 'RemoveAccountFromOrganization', 'DeleteOrganization', 'DetachPolicy', 'DeletePolicy', 'UpdatePolicy', 'DisablePolicyType')
GROUP BY eventid
ORDER BY event_time, event_id
