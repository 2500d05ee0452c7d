-- name: exfil/read_partitions
-- summary: the account/region partitions holding the bucket(s)' object reads in the window; the local engine reads the baseline's days only there
-- param: buckets    s3_bucket_list  the bucket(s) under investigation
-- param: since      timestamp       start of the window (inclusive)
-- param: until      timestamp       end of the window (exclusive)
-- param: day_from   day             first partition day (window start less one day)
-- param: day_to     day             last partition day (window end plus one day)
-- table: data
SELECT DISTINCT account, region
FROM {{data}}
WHERE {{> exfil/_read_events}}
ORDER BY account, region
