-- What makes an event one of the bucket(s)' object reads: an S3 GetObject
-- data event, failed ones included, of a bucket in :buckets. Needs: buckets.
eventsource = 's3.amazonaws.com'
    AND eventname = 'GetObject'
    AND json_extract_scalar(requestparameters, '$.bucketName') IN (:buckets)
