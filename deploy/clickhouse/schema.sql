-- egresswatch in ClickHouse: one central view over many sensors.
--
-- Every sensor writes JSON lines (egresswatchd --json-log FILE); the loader
-- (egresswatch-clickhouse-load, beside this file) inserts them here, tagged
-- with the sensor's name and home country. summary.sql computes the egress
-- summary that `egresswatch report` computes from the SQLite stores.
--
-- Written for Debian 12's clickhouse-server 18.16 (no DateTime64, no
-- LowCardinality, no query parameters) and newer. Create with:
--     clickhouse-client --multiquery < schema.sql
-- (or egresswatch-clickhouse-load --create). Safe to run again.

CREATE DATABASE IF NOT EXISTS egresswatch;

-- One row per JSON line. event_type "flow" is a flow's final record (state
-- "closed"); "alert" is a flow flagged while it is still open (and again if
-- its severity changes); "device" describes a device (device_* columns, first
-- and last seen) when it is new or changes. Only final flow records are
-- counted in the summary; device events give their devices' kinds.
-- Column names are the JSON keys; unknown keys are skipped when loading.
CREATE TABLE IF NOT EXISTS egresswatch.records
(
    sensor        String,                -- the SPAN point's sensor (the loader's --sensor)
    home_country  String,                -- the sensor's --home-country: what "abroad" means there
    event_type    String DEFAULT 'flow', -- flow | alert | device
    state         String DEFAULT 'closed', -- closed | open
    flow_uid      String DEFAULT '',     -- unique per sensor run; stable across a flow's records
    community_id  Nullable(String),      -- Community ID v1, joins Zeek and Suricata logs
    first_seen    String,                -- ISO 8601 UTC as written: 2026-11-02T09:00:00.250000Z
    last_seen     String,
    -- Microseconds since the epoch and the UTC day the flow started, as the report counts them.
    first_seen_us UInt64 MATERIALIZED toUInt64(toUnixTimestamp(parseDateTimeBestEffort(first_seen))) * 1000000
                                      + toUInt64OrZero(substring(concat(extract(first_seen, '\\.([0-9]+)'), '000000'), 1, 6)),
    last_seen_us  UInt64 MATERIALIZED toUInt64(toUnixTimestamp(parseDateTimeBestEffort(last_seen))) * 1000000
                                      + toUInt64OrZero(substring(concat(extract(last_seen, '\\.([0-9]+)'), '000000'), 1, 6)),
    day           Date MATERIALIZED toDate(parseDateTimeBestEffort(first_seen)),
    transport     String DEFAULT '',     -- tcp | udp | icmp | icmpv6 | ip-<n>
    ip_proto      UInt8 DEFAULT 0,
    vlan          Nullable(Int32),
    inner_vlan    Nullable(Int32),
    vlan_in       Nullable(Int32),       -- the remote end's packets' tags (vlan: the device's)
    inner_vlan_in Nullable(Int32),
    device_ip     String,                -- the internal end
    device_port   Nullable(UInt16),
    device_mac    Nullable(String),
    device_vendor Nullable(String),
    device_kind   Nullable(String),      -- camera | nvr | iot | other
    remote_ip     String,
    remote_port   Nullable(UInt16),
    remote_local  UInt8 DEFAULT 0,       -- 1 if the remote end is internal too
    initiator     String DEFAULT '',     -- device | remote
    app_protocol  Nullable(String),
    app_category  Nullable(String),
    domain        Nullable(String),
    country       Nullable(String),      -- ISO 3166 alpha-2 of the remote end
    asn           Nullable(UInt32),
    as_org        Nullable(String),
    bytes_out     UInt64,                -- IP-layer bytes, device -> remote
    bytes_in      UInt64,
    packets_out   UInt64,
    packets_in    UInt64,
    severity      Nullable(String),      -- high | medium | low; null if not flagged
    reasons       Array(String),
    loaded_at     DateTime DEFAULT now()
)
-- Loading a file twice, or overlapping files, keeps one row per record:
-- rows with the same sorting key are merged (read with FINAL, as summary.sql does).
-- The key is the sensor plus the flow's identity: its uid where the record has
-- one, else its Community ID, ends and start time.
ENGINE = ReplacingMergeTree(loaded_at)
PARTITION BY toYYYYMM(day)
ORDER BY (sensor, event_type, first_seen, flow_uid, ifNull(community_id, ''), device_ip, remote_ip, transport,
          ifNull(device_port, 0), ifNull(remote_port, 0));

-- Views hold no data: dropped and made again, so that running this file again
-- brings an older install's views up to date.
DROP TABLE IF EXISTS egresswatch.final_flows;
DROP TABLE IF EXISTS egresswatch.device_kinds;
DROP TABLE IF EXISTS egresswatch.sensor_devices;

-- Each sensor's devices as it last described them (its "device" events; the
-- same as its store's devices table): address, MAC and kind.
CREATE VIEW egresswatch.sensor_devices AS
SELECT sensor, device_ip,
       argMax(ifNull(device_mac, ''), last_seen_us) AS mac,
       argMax(ifNull(device_kind, 'other'), last_seen_us) AS kind
FROM egresswatch.records FINAL
WHERE event_type = 'device'
GROUP BY sensor, device_ip;

-- A device (address and MAC) over every sensor that saw it, with the strongest
-- kind any of them gave it, as the report over several stores: camera or nvr,
-- then iot, then other.
CREATE VIEW egresswatch.device_kinds AS
SELECT device_ip, mac, argMin(kind, multiIf(kind IN ('camera', 'nvr'), 0, kind = 'iot', 1, 2)) AS kind
FROM egresswatch.sensor_devices
GROUP BY device_ip, mac;

-- The records the summary counts: final flow records, one per flow, with
-- "abroad" decided by the sensor's own home country. A flow's device kind is
-- its device's (above), which may have been learnt after the flow ended; the
-- kind in the flow's own record stands where the sensor wrote no device events.
CREATE VIEW egresswatch.final_flows AS
SELECT sensor, home_country, first_seen, last_seen, first_seen_us, last_seen_us, day,
       device_ip, device_mac, if(kind = '', flow_device_kind, kind) AS device_kind,
       remote_ip, remote_port, transport, remote_local, app_protocol, domain, country, asn, as_org,
       bytes_out, bytes_in, packets_out, packets_in, severity, reasons, community_id, abroad
FROM
(
    SELECT *
    FROM
    (
        SELECT sensor, home_country, first_seen, last_seen, first_seen_us, last_seen_us, day,
               device_ip, ifNull(device_mac, '') AS device_mac, ifNull(device_kind, 'other') AS flow_device_kind,
               remote_ip, remote_port, transport, remote_local, app_protocol, domain, country, asn, as_org,
               bytes_out, bytes_in, packets_out, packets_in, severity, reasons, community_id,
               isNotNull(country) AND assumeNotNull(country) != home_country AS abroad
        FROM egresswatch.records FINAL
        WHERE event_type = 'flow' AND state = 'closed'
    )
    ANY LEFT JOIN (SELECT sensor, device_ip, mac FROM egresswatch.sensor_devices) USING (sensor, device_ip)
)
ANY LEFT JOIN (SELECT device_ip, mac, kind FROM egresswatch.device_kinds) USING (device_ip, mac);
