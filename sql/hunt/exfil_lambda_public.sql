-- name: hunt/exfil_lambda_public
-- summary: Lambda functions opened to anyone: function URLs with no authentication (AuthType NONE) and invoke permissions for any principal (*); failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0001 T1190 TA0003 T1546
SELECT
  {{> hunt/_columns}}
  min(json_extract_scalar(requestparameters, '$.functionName')) AS target,
  min(COALESCE(json_extract_scalar(requestparameters, '$.authType'), json_extract_scalar(requestparameters, '$.principal'))) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND eventsource = 'lambda.amazonaws.com'
  AND ((regexp_like(eventname, '^(CreateFunctionUrlConfig|UpdateFunctionUrlConfig)([0-9]{8}(v[0-9]+){0,1}){0,1}$') AND json_extract_scalar(requestparameters, '$.authType') = 'NONE')
    OR (regexp_like(eventname, '^(AddPermission)([0-9]{8}(v[0-9]+){0,1}){0,1}$') AND json_extract_scalar(requestparameters, '$.principal') = '*'))
GROUP BY eventid
ORDER BY event_time, event_id
