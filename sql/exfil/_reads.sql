-- The bucket's object reads in the window, one row per eventid (CloudTrail
-- delivers some events twice). Needs: buckets, since, until, day_from, day_to.
reads AS (
  SELECT
    eventid,
    min({{> common/_principal}}) AS principal,
    min(useridentity.accountid) AS account,
    min(sourceipaddress) AS source_ip,
    min(useragent) AS user_agent,
    min(json_extract_scalar(requestparameters, '$.bucketName')) AS bucket,
    min(json_extract_scalar(requestparameters, '$.key')) AS object_key,
    min(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    min(errorcode) AS error_code,
    min(vpcendpointid) AS vpc_endpoint,
    min(recipientaccountid) AS event_account,
    min(awsregion) AS region,
    min(eventtime) AS eventtime
  FROM {{data}}
  WHERE {{> exfil/_read_events}}
  GROUP BY eventid
)
