-- name: hunt/exfil_sharing
-- summary: data shared out: EBS snapshots, AMIs and RDS snapshots shared with other accounts or made public (a share told apart from its undo), bucket policies and ACLs written; failed attempts included
-- param: since      timestamp  start of the window (inclusive)
-- param: until      timestamp  end of the window (exclusive)
-- param: day_from   day        first partition day (window start less one day)
-- param: day_to     day        last partition day (window end plus one day)
-- table: management
-- attack: TA0010 T1537
SELECT
  {{> hunt/_columns}}
  min(COALESCE(json_extract_scalar(requestparameters, '$.snapshotId'), json_extract_scalar(requestparameters, '$.imageId'), json_extract_scalar(requestparameters, '$.dBSnapshotIdentifier'), json_extract_scalar(requestparameters, '$.dBClusterSnapshotIdentifier'), json_extract_scalar(requestparameters, '$.bucketName'))) AS target,
  min(CASE WHEN eventsource = 's3.amazonaws.com' THEN 'bucket access changed' WHEN (json_extract_scalar(requestparameters, '$.createVolumePermission.add.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.createVolumePermission.add.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.add.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.add.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.valuesToAdd[0]') IS NOT NULL) AND (json_extract_scalar(requestparameters, '$.createVolumePermission.remove.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.createVolumePermission.remove.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.remove.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.remove.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.valuesToRemove[0]') IS NOT NULL) THEN 'share and unshare' WHEN (json_extract_scalar(requestparameters, '$.createVolumePermission.add.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.createVolumePermission.add.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.add.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.add.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.valuesToAdd[0]') IS NOT NULL) THEN 'share' WHEN (json_extract_scalar(requestparameters, '$.createVolumePermission.remove.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.createVolumePermission.remove.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.remove.items[0].userId') IS NOT NULL OR json_extract_scalar(requestparameters, '$.launchPermission.remove.items[0].group') IS NOT NULL OR json_extract_scalar(requestparameters, '$.valuesToRemove[0]') IS NOT NULL) THEN 'unshare' ELSE 'attribute changed' END || COALESCE(' with ' || COALESCE(json_extract_scalar(requestparameters, '$.createVolumePermission.add.items[0].userId'), json_extract_scalar(requestparameters, '$.createVolumePermission.add.items[0].group'), json_extract_scalar(requestparameters, '$.launchPermission.add.items[0].userId'), json_extract_scalar(requestparameters, '$.launchPermission.add.items[0].group'), json_extract_scalar(requestparameters, '$.valuesToAdd[0]')), '')) AS detail,
  min(requestparameters) AS request_parameters,
  eventid AS event_id
FROM {{management}}
WHERE day BETWEEN :day_from AND :day_to
  AND eventtime >= :since AND eventtime < :until
  AND ((eventsource = 'ec2.amazonaws.com' AND eventname IN ('ModifySnapshotAttribute', 'ModifyImageAttribute')) OR (eventsource = 'rds.amazonaws.com' AND eventname IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute')) OR (eventsource = 's3.amazonaws.com' AND eventname IN ('PutBucketPolicy', 'PutBucketAcl')))
GROUP BY eventid
ORDER BY event_time, event_id
