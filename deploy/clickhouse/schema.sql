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
-- its severity changes). Only final records are counted in the summary.
-- Column names are the JSON keys; unknown keys are skipped when loading.
CREATE TABLE IF NOT EXISTS egresswatch.records
(
    sensor        String,                -- the SPAN point's sensor (the loader's --sensor)
    home_country  String,                -- the sensor's --home-country: what "abroad" means there
    event_type    String DEFAULT 'flow', -- flow | alert
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

-- The records the summary counts: final flow records, one per flow, with
-- "abroad" decided by the sensor's own home country.
CREATE VIEW IF NOT EXISTS egresswatch.final_flows AS
SELECT sensor, home_country, first_seen, last_seen, first_seen_us, last_seen_us, day,
       device_ip, ifNull(device_mac, '') AS device_mac, ifNull(device_kind, 'other') AS device_kind,
       remote_ip, remote_port, transport, remote_local, app_protocol, domain, country, asn, as_org,
       bytes_out, bytes_in, packets_out, packets_in, severity, reasons, community_id,
       isNotNull(country) AND assumeNotNull(country) != home_country AS abroad
FROM egresswatch.records FINAL
WHERE event_type = 'flow' AND state = 'closed';
