-- The columns of one S3 object call, for a hunt over the data table that
-- groups calls itself: hunt/_per_event, then the call's error code ('' if
-- it succeeded) and its bucket. Followed by FROM.
{{> hunt/_per_event}}
      min(COALESCE(errorcode, '')) OVER per_event AS error_code,
      min(json_extract_scalar(requestparameters, '$.bucketName')) OVER per_event AS bucket
