-- name: hunt/initial_console_login_without_mfa
-- summary: AWS console sign-ins by IAM users and the root user without MFA (SAML sign-ins excluded: the identity provider does MFA), successful or not
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0001 T1078.004
SELECT
  {{> hunt/_columns}}
  min(COALESCE(useridentity.username, useridentity.arn)) AS target,
  min(json_extract_scalar(responseelements, '$.ConsoleLogin')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND (eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin' AND useridentity.type IN ('IAMUser', 'Root') AND json_extract_scalar(additionaleventdata, '$.MFAUsed') = 'No' AND json_extract_scalar(additionaleventdata, '$.SamlProviderArn') IS NULL)
GROUP BY eventid
ORDER BY event_time, event_id
