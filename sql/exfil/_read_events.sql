-- The conditions that pick the bucket's object reads (S3 GetObject data
-- events, failed ones included) in the window from {{data}}. Needs: buckets,
-- since, until, day_from, day_to.
day BETWEEN :day_from AND :day_to
    AND eventtime >= :since AND eventtime < :until
    AND {{> exfil/_read_kind}}
