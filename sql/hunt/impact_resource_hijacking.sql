-- name: hunt/impact_resource_hijacking
-- summary: compute and AI models used on the account's bill: Bedrock model access enabled and models invoked, GPU and accelerated EC2 instances launched; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0040 T1496
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.modelId'), json_extract_scalar(requestparameters, '$.instanceType'), json_extract_scalar(requestparameters, '$.instanceType.value'))) AS target,
  min(CASE WHEN eventname = 'RunInstances' THEN 'instances: ' || COALESCE(json_extract_scalar(requestparameters, '$.instancesSet.items[0].maxCount'), 'unknown') END) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'bedrock.amazonaws.com' AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream', 'PutUseCaseForModelAccess', 'CreateFoundationModelAgreement', 'PutFoundationModelEntitlement')) OR (eventsource = 'ec2.amazonaws.com' AND eventname = 'RunInstances' AND regexp_like(COALESCE(json_extract_scalar(requestparameters, '$.instanceType'), json_extract_scalar(requestparameters, '$.instanceType.value'), ''), '^(p[0-9]|g[0-9]|inf[0-9]|trn[0-9]|dl[0-9]|f[0-9])')))
GROUP BY eventid
ORDER BY event_time, event_id
