-- name: hunt/evasion_logging
-- summary: logging and detection switched off or narrowed: CloudTrail, VPC flow logs, DNS query logs, GuardDuty, Config, Security Hub, leaving the organization; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0005 T1562.008 T1562.001
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.name'), json_extract_scalar(requestparameters, '$.trailName'),
                      json_extract_scalar(requestparameters, '$.detectorId'), json_extract_scalar(requestparameters, '$.resolverQueryLogConfigId'),
                      json_extract_scalar(requestparameters, '$.DeleteFlowLogsRequest.FlowLogId.content'),
                      json_extract_scalar(requestparameters, '$.configurationRecorderName'), json_extract_scalar(requestparameters, '$.deliveryChannelName'),
                      json_extract_scalar(requestparameters, '$.resourceId'))) AS target,
  min(CASE
      WHEN eventname = 'PutEventSelectors' AND json_extract_scalar(requestparameters, '$.eventSelectors[0].includeManagementEvents') = 'false' THEN 'management events excluded'
      WHEN eventname = 'PutEventSelectors' AND json_extract_scalar(requestparameters, '$.eventSelectors[0].readWriteType') = 'ReadOnly' THEN 'write events no longer logged'
      WHEN eventname = 'UpdateDetector' AND json_extract_scalar(requestparameters, '$.enable') = 'false' THEN 'detector disabled'
      ELSE NULL END) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'cloudtrail.amazonaws.com' AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'))
    OR (eventsource = 'ec2.amazonaws.com' AND eventname IN ('DeleteFlowLogs'))
    OR (eventsource = 'route53resolver.amazonaws.com' AND eventname IN ('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'))
    OR (eventsource = 'guardduty.amazonaws.com' AND eventname IN ('DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount', 'DeleteMembers', 'DisassociateMembers'))
    OR (eventsource = 'config.amazonaws.com' AND eventname IN ('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'))
    OR (eventsource = 'securityhub.amazonaws.com' AND eventname IN ('DisableSecurityHub'))
    OR (eventsource = 'organizations.amazonaws.com' AND eventname IN ('LeaveOrganization')))
GROUP BY eventid
ORDER BY event_time, event_id
