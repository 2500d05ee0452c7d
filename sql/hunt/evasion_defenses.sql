-- name: hunt/evasion_defenses
-- summary: defences removed: CloudWatch log groups deleted, MFA devices deactivated or deleted, IAM Access Analyzer deleted, GuardDuty and Security Hub narrowed, alarms silenced; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0005 T1562.008 T1562.001 T1556.006
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.logGroupName'), json_extract_scalar(requestparameters, '$.userName'), json_extract_scalar(requestparameters, '$.serialNumber'), json_extract_scalar(requestparameters, '$.analyzerName'), json_extract_scalar(requestparameters, '$.detectorId'))) AS target,
  min(json_extract_scalar(requestparameters, '$.logStreamName')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'logs.amazonaws.com' AND eventname IN ('DeleteLogGroup', 'DeleteLogStream'))
    OR (eventsource = 'iam.amazonaws.com' AND eventname IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice'))
    OR (eventsource = 'access-analyzer.amazonaws.com' AND eventname IN ('DeleteAnalyzer'))
    OR (eventsource = 'guardduty.amazonaws.com' AND eventname IN ('StopMonitoringMembers', 'DeletePublishingDestination', 'DisassociateFromAdministratorAccount'))
    OR (eventsource = 'securityhub.amazonaws.com' AND eventname IN ('BatchDisableStandards', 'DisableOrganizationAdminAccount'))
    OR (eventsource = 'monitoring.amazonaws.com' AND eventname IN ('DeleteAlarms', 'DisableAlarmActions')))
GROUP BY eventid
ORDER BY event_time, event_id
