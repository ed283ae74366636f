-- The egress summary over every sensor loaded into ClickHouse: the numbers of
-- `egresswatch report` (headline, countries, networks) for a period.
--
-- egresswatch-clickhouse-summary --since T --until T runs it; by hand, replace
-- {since_us} and {until_us} with the period's ends in microseconds since the
-- epoch (UTC): the period is [since, until).
--
-- The same definitions as the report:
--   - a flow counts in the period in which it started (first_seen);
--   - only final records (event_type flow, state closed) and remote ends
--     outside the local networks;
--   - "abroad": the flow's country is known and is not its sensor's home country;
--   - "cameras": devices of kind camera or nvr; "iot": kind iot; a device is
--     its address and MAC, the same device at every sensor;
--   - countries and networks: flows abroad of cameras and IoT devices.
-- One row per number: section, key, flows, bytes_out, bytes_in, devices
-- (devices that sent bytes abroad), most bytes first within a section.
SELECT section, key, n AS flows, sent AS bytes_out, received AS bytes_in, senders AS devices
FROM
(
    SELECT 'cameras' AS section, '' AS key, count() AS n, sum(bytes_out) AS sent, sum(bytes_in) AS received,
           uniqExactIf((device_ip, device_mac), bytes_out > 0) AS senders
    FROM egresswatch.final_flows
    WHERE first_seen_us >= {since_us} AND first_seen_us < {until_us} AND remote_local = 0 AND abroad
      AND device_kind IN ('camera', 'nvr')
    UNION ALL
    SELECT 'iot' AS section, '' AS key, count() AS n, sum(bytes_out) AS sent, sum(bytes_in) AS received,
           uniqExactIf((device_ip, device_mac), bytes_out > 0) AS senders
    FROM egresswatch.final_flows
    WHERE first_seen_us >= {since_us} AND first_seen_us < {until_us} AND remote_local = 0 AND abroad
      AND device_kind = 'iot'
    UNION ALL
    SELECT 'country' AS section, assumeNotNull(country) AS key, count() AS n, sum(bytes_out) AS sent,
           sum(bytes_in) AS received, uniqExactIf((device_ip, device_mac), bytes_out > 0) AS senders
    FROM egresswatch.final_flows
    WHERE first_seen_us >= {since_us} AND first_seen_us < {until_us} AND remote_local = 0 AND abroad
      AND device_kind IN ('camera', 'nvr', 'iot')
    GROUP BY key
    UNION ALL
    SELECT 'network' AS section, if(isNull(asn), 'unknown', concat('AS', toString(assumeNotNull(asn)))) AS key,
           count() AS n, sum(bytes_out) AS sent, sum(bytes_in) AS received,
           uniqExactIf((device_ip, device_mac), bytes_out > 0) AS senders
    FROM egresswatch.final_flows
    WHERE first_seen_us >= {since_us} AND first_seen_us < {until_us} AND remote_local = 0 AND abroad
      AND device_kind IN ('camera', 'nvr', 'iot')
    GROUP BY key
)
ORDER BY section, bytes_out DESC, key
