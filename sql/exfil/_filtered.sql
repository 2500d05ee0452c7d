-- The reads narrowed by the optional --principal, --ip (address or CIDR
-- range) and --key-prefix filters.
filtered AS (
  SELECT * FROM reads
  WHERE (:principal = '' OR principal = :principal)
    AND (:principal_prefix = '' OR starts_with(principal, :principal_prefix))
    AND (:ip = '' OR source_ip = :ip)
    -- A range matches the parsed address (contains, which both engines
    -- compute the same way; a source that is not an IP, such as
    -- s3.amazonaws.com, casts to NULL and matches nothing) and, for IPv4,
    -- the dotted quad as a number, which also takes the leading zeros of
    -- anonymised logs. TRY_CAST: Trino does not promise to test the
    -- regexp_like guard first, and a plain CAST of a non-number would fail
    -- the whole query.
    AND ((:ip_range = '' AND :ip_lo < 0)
      OR contains(nullif(:ip_range, ''), TRY_CAST(source_ip AS IPADDRESS))
      OR (:ip_lo >= 0
          AND regexp_like(source_ip, '^[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}$')
          AND TRY_CAST(split_part(source_ip, '.', 1) AS BIGINT) * 16777216
            + TRY_CAST(split_part(source_ip, '.', 2) AS BIGINT) * 65536
            + TRY_CAST(split_part(source_ip, '.', 3) AS BIGINT) * 256
            + TRY_CAST(split_part(source_ip, '.', 4) AS BIGINT) BETWEEN :ip_lo AND :ip_hi))
    AND (:key_prefix = '' OR starts_with(object_key, :key_prefix))
)
