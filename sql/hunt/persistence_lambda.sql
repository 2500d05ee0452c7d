-- name: hunt/persistence_lambda
-- summary: Lambda functions changed: code replaced, configuration or layers changed, layers published, invoke permission granted; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0003 T1546 T1648
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.functionName'), json_extract_scalar(requestparameters, '$.layerName'))) AS target,
  min(COALESCE(CASE WHEN eventname LIKE 'AddPermission%' THEN 'invoke allowed for ' || COALESCE(json_extract_scalar(requestparameters, '$.principal'), 'unknown') END, json_extract_scalar(requestparameters, '$.layers[0]'), json_extract_scalar(requestparameters, '$.handler'))) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND (eventsource = 'lambda.amazonaws.com' AND regexp_like(eventname, '^(UpdateFunctionCode|UpdateFunctionConfiguration|PublishLayerVersion|AddPermission|AddLayerVersionPermission|CreateFunctionUrlConfig)([0-9]{8}(v[0-9]+){0,1}){0,1}$'))
GROUP BY eventid
ORDER BY event_time, event_id
