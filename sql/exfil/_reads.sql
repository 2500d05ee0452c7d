-- The bucket's object reads in the window, one row per eventid (CloudTrail
-- delivers some events twice). Needs: buckets, since, until, day_from, day_to.
reads AS (
  SELECT
    eventid,
    arbitrary({{> common/_principal}}) AS principal,
    arbitrary(useridentity.accountid) AS account,
    arbitrary(sourceipaddress) AS source_ip,
    arbitrary(useragent) AS user_agent,
    arbitrary(json_extract_scalar(requestparameters, '$.bucketName')) AS bucket,
    arbitrary(json_extract_scalar(requestparameters, '$.key')) AS object_key,
    arbitrary(TRY_CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS DOUBLE)) AS bytes_out,
    arbitrary(errorcode) AS error_code,
    arbitrary(vpcendpointid) AS vpc_endpoint,
    arbitrary(recipientaccountid) AS event_account,
    arbitrary(awsregion) AS region,
    arbitrary(eventtime) AS eventtime
  FROM {{data}}
  WHERE {{> exfil/_read_events}}
  GROUP BY eventid
)
