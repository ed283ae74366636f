// The one schema of the evidence store. Every reader and writer uses these
// definitions; migrations move an older store forward one version at a time.
#pragma once

#include <array>
#include <string_view>

namespace egresswatch::schema {

// PRAGMA user_version of a store created or migrated by this build.
inline constexpr int kVersion = 12;

// migrations[i] takes a store from version i to version i + 1.
inline constexpr std::array<std::string_view, kVersion> kMigrations = {
    // 0 -> 1: the first schema.
    R"SQL(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per internal address seen. Times are microseconds since the epoch, UTC.
CREATE TABLE devices (
    ip             TEXT PRIMARY KEY,
    mac            TEXT,
    vendor         TEXT,
    vendor_country TEXT,
    kind           TEXT NOT NULL DEFAULT 'other',   -- camera | nvr | iot | other
    identified_by  TEXT NOT NULL DEFAULT '[]',      -- JSON array of evidence strings
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL
);
CREATE INDEX devices_mac ON devices(mac);

-- One row per bidirectional flow. "device" is the internal end, "remote" the other;
-- "out" is device -> remote. Bytes are IP-layer bytes.
CREATE TABLE flows (
    id           INTEGER PRIMARY KEY,
    flow_uid     TEXT NOT NULL UNIQUE,              -- sensor run + sequence; stable across flushes
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    vlan         INTEGER,                           -- outer 802.1Q id, NULL if untagged
    inner_vlan   INTEGER,                           -- inner id of a QinQ frame
    ip_version   INTEGER NOT NULL,
    transport    TEXT NOT NULL,                     -- tcp | udp | icmp | icmpv6 | ip-<n>
    ip_proto     INTEGER NOT NULL,
    device_ip    TEXT NOT NULL,
    device_port  INTEGER,
    device_mac   TEXT,
    remote_ip    TEXT NOT NULL,
    remote_port  INTEGER,
    initiator    TEXT NOT NULL,                     -- device | remote: who sent the first packet seen
    bytes_out    INTEGER NOT NULL,
    bytes_in     INTEGER NOT NULL,
    packets_out  INTEGER NOT NULL,
    packets_in   INTEGER NOT NULL,
    app_protocol TEXT,
    app_category TEXT,
    domain       TEXT,
    remote_local INTEGER NOT NULL DEFAULT 0,        -- 1 if the remote end is internal too
    country      TEXT,
    asn          INTEGER,
    as_org       TEXT,
    state        TEXT NOT NULL                      -- open | closed
);
CREATE INDEX flows_device_time ON flows(device_ip, first_seen);
CREATE INDEX flows_time ON flows(first_seen);
CREATE INDEX flows_country ON flows(country, first_seen);
CREATE INDEX flows_asn ON flows(asn, first_seen);

-- One row per flagged flow; updated while the flow is open.
CREATE TABLE alerts (
    flow_id   INTEGER PRIMARY KEY REFERENCES flows(id),
    severity  TEXT NOT NULL,                        -- high | medium | low
    reasons   TEXT NOT NULL                         -- JSON array of strings
);

-- Capture health per input or interface, one row per interval.
CREATE TABLE capture_stats (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,
    start_time     INTEGER NOT NULL,
    end_time       INTEGER NOT NULL,
    packets        INTEGER NOT NULL,
    bytes          INTEGER NOT NULL,
    malformed      INTEGER NOT NULL,
    dropped        INTEGER NOT NULL,
    flows_evicted  INTEGER NOT NULL DEFAULT 0
);
)SQL",
    // 1 -> 2: passive DNS, device inventory fields, flow hashes, evidence chain.
    R"SQL(
ALTER TABLE devices ADD COLUMN hostname TEXT;       -- from DHCP, mDNS, discovery
ALTER TABLE devices ADD COLUMN label TEXT;          -- from the site's inventory
ALTER TABLE devices ADD COLUMN site TEXT;           -- from the site's inventory

-- Community ID v1 of the flow (https://github.com/corelight/community-id-spec),
-- so records correlate with Zeek and Suricata logs.
ALTER TABLE flows ADD COLUMN community_id TEXT;

-- Passive DNS: one row per answer record seen in a response.
CREATE TABLE dns (
    id           INTEGER PRIMARY KEY,
    time         INTEGER NOT NULL,                  -- response time, microseconds UTC
    client_ip    TEXT NOT NULL,
    resolver_ip  TEXT NOT NULL,
    transport    TEXT NOT NULL,                     -- udp | tcp
    query        TEXT NOT NULL,                     -- the question name
    name         TEXT NOT NULL,                     -- the owner name of this answer
    type         TEXT NOT NULL,                     -- A | AAAA | CNAME
    answer       TEXT NOT NULL,                     -- address or CNAME target
    ttl          INTEGER NOT NULL
);
CREATE INDEX dns_client_time ON dns(client_ip, time);
CREATE INDEX dns_answer ON dns(answer);
CREATE INDEX dns_query ON dns(query);

-- Tamper evidence: every final flow record (with its alert, if any) is hashed
-- and chained: chain_hash = SHA-256(previous chain_hash || record_hash).
CREATE TABLE evidence_chain (
    seq          INTEGER PRIMARY KEY,               -- 1, 2, 3 ... in commit order
    flow_id      INTEGER NOT NULL UNIQUE REFERENCES flows(id),
    record_hash  TEXT NOT NULL,                     -- hex SHA-256 of the canonical record
    chain_hash   TEXT NOT NULL                      -- hex
);
)SQL",
    // 2 -> 3: a device's flows by MAC address (the query CLI's --device MAC),
    // in any letter case, without reading the whole table.
    R"SQL(
CREATE INDEX flows_device_mac_time ON flows(lower(device_mac), first_seen);
)SQL",
    // 3 -> 4: times the store took no records, so that reports can say so.
    R"SQL(
-- One row per time the writer dropped records instead of storing them: its
-- file system had less free space than the floor (--min-free-mb). Times are
-- wall-clock microseconds, UTC; end_time is NULL if the sensor stopped
-- (or was killed) before the gap ended.
CREATE TABLE store_gaps (
    id            INTEGER PRIMARY KEY,
    start_time    INTEGER NOT NULL,
    end_time      INTEGER,
    reason        TEXT NOT NULL,
    records_lost  INTEGER NOT NULL DEFAULT 0      -- flow, device, DNS and statistics records
);
)SQL",
    // 4 -> 5: retention may delete sealed flows. Their chain entries stay, so the
    // chain still verifies link by link; the deletion is recorded, and verify
    // accepts a missing sealed flow only if it is listed here. The chain no
    // longer has a foreign key on flows (SQLite cannot drop one: rebuild).
    R"SQL(
CREATE TABLE evidence_chain_v5 (
    seq          INTEGER PRIMARY KEY,
    flow_id      INTEGER NOT NULL UNIQUE,
    record_hash  TEXT NOT NULL,
    chain_hash   TEXT NOT NULL
);
INSERT INTO evidence_chain_v5 (seq, flow_id, record_hash, chain_hash)
    SELECT seq, flow_id, record_hash, chain_hash FROM evidence_chain;
DROP TABLE evidence_chain;
ALTER TABLE evidence_chain_v5 RENAME TO evidence_chain;

CREATE TABLE pruned_flows (
    flow_id    INTEGER PRIMARY KEY,               -- the deleted flow's id (its chain entry remains)
    pruned_at  INTEGER NOT NULL,                  -- wall clock, microseconds UTC
    cutoff     INTEGER NOT NULL                   -- the policy's cutoff: the flow had ended before it
);
)SQL",
    // 5 -> 6: a flow overlaps a time window [since, until) only if it began at
    // or after since minus the longest flow's duration; with that lower bound
    // the (..., first_seen) indexes read the window alone, not everything
    // before it. Flows longer than kLongFlowUs are few: this partial index
    // gives the longest at once and costs writes next to nothing.
    R"SQL(
CREATE INDEX flows_long ON flows(last_seen - first_seen) WHERE last_seen - first_seen > 3600000000;
)SQL",
    // 6 -> 7: a flow is its addresses, ports and protocol (the VLAN is not in
    // its key unless --vlan-in-flow-key), and a mirror may tag one direction
    // only, so the tags are kept per direction: vlan and inner_vlan are those
    // of the device's packets, these of the remote end's.
    R"SQL(
ALTER TABLE flows ADD COLUMN vlan_in INTEGER;
ALTER TABLE flows ADD COLUMN inner_vlan_in INTEGER;
)SQL",
    // 7 -> 8: late alerts. A flow judged again after its device was
    // identified (or the rules changed) that now breaks a rule gets an alerts
    // row marked late (what queries and reports count), and a late_alerts row
    // with when and why; its sealed record (which reads the alert only when not
    // late) is never rewritten. Late alerts have their own chain, whose
    // entries name the flow's sealed record by its hash.
    R"SQL(
ALTER TABLE alerts ADD COLUMN late INTEGER NOT NULL DEFAULT 0;   -- 1: raised after the flow was sealed
CREATE TABLE late_alerts (
    flow_id          INTEGER PRIMARY KEY,           -- the flow (its row may be pruned later)
    flow_uid         TEXT NOT NULL,
    flow_record_hash TEXT,                          -- the flow's record_hash in evidence_chain
    raised_at        INTEGER NOT NULL,              -- microseconds UTC (packet time in the sensor)
    cause            TEXT NOT NULL                  -- re-judged:<what changed>
);
CREATE TABLE late_alert_chain (
    seq          INTEGER PRIMARY KEY,
    flow_id      INTEGER NOT NULL UNIQUE,
    record_hash  TEXT NOT NULL,
    chain_hash   TEXT NOT NULL
);
)SQL",
    // 8 -> 9: hostile traffic. Passive DNS is stored deduplicated: one row
    // per client, resolver, transport, question and answer, with the first
    // (time) and last (last_time) response and how many (count), so that
    // repeated or forged responses cannot grow the store; rows of older
    // stores are merged the same way. capture_stats counts what the bounds
    // on packet-grown state turned away (running counts, like flows_evicted).
    R"SQL(
CREATE TABLE dns_v9 (
    id           INTEGER PRIMARY KEY,
    time         INTEGER NOT NULL,                  -- first response time, microseconds UTC
    last_time    INTEGER,                           -- last response time (NULL: the same as time)
    count        INTEGER NOT NULL DEFAULT 1,        -- responses that carried this answer
    client_ip    TEXT NOT NULL,
    resolver_ip  TEXT NOT NULL,
    transport    TEXT NOT NULL,
    query        TEXT NOT NULL,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    answer       TEXT NOT NULL,
    ttl          INTEGER NOT NULL                   -- of the last response
);
INSERT INTO dns_v9 (time, last_time, count, client_ip, resolver_ip, transport, query, name, type, answer, ttl)
    SELECT g.first_time, g.last_time, g.n, d.client_ip, d.resolver_ip, d.transport, d.query, d.name, d.type,
           d.answer, d.ttl
    FROM (SELECT min(time) AS first_time, max(time) AS last_time, count(*) AS n, min(id) AS first_id,
                 max(id) AS last_id
          FROM dns GROUP BY client_ip, query, name, type, answer, resolver_ip, transport) AS g
    JOIN dns AS d ON d.id = g.last_id
    ORDER BY g.first_id;
DROP TABLE dns;
ALTER TABLE dns_v9 RENAME TO dns;
CREATE UNIQUE INDEX dns_observation ON dns(client_ip, query, name, type, answer, resolver_ip, transport);
CREATE INDEX dns_client_time ON dns(client_ip, time);
CREATE INDEX dns_answer ON dns(answer);
CREATE INDEX dns_query ON dns(query);

ALTER TABLE capture_stats ADD COLUMN dns_evicted INTEGER NOT NULL DEFAULT 0;        -- passive DNS full (bytes)
ALTER TABLE capture_stats ADD COLUMN dns_dropped INTEGER NOT NULL DEFAULT 0;        -- beyond per-response bounds
ALTER TABLE capture_stats ADD COLUMN devices_evicted INTEGER NOT NULL DEFAULT 0;    -- --max-devices
ALTER TABLE capture_stats ADD COLUMN dhcp_hints_evicted INTEGER NOT NULL DEFAULT 0; -- --max-devices
ALTER TABLE capture_stats ADD COLUMN bad_timestamps INTEGER NOT NULL DEFAULT 0;     -- before 1970, after 9999
ALTER TABLE capture_stats ADD COLUMN time_outliers INTEGER NOT NULL DEFAULT 0;      -- did not move the clock
ALTER TABLE capture_stats ADD COLUMN lane_dropped INTEGER NOT NULL DEFAULT 0;       -- --workers queue full
)SQL",
    // 9 -> 10: evidence a store writer cannot quietly edit. Each pruning by
    // retention is sealed in evidence_chain as an entry of its own, whose
    // flow_id is minus the pruning's id (flow ids are positive): what was
    // deleted, when, under which cutoff, and a hash over the pruned_flows rows
    // it made, so that a pruned_flows row added by hand breaks verify. Rows
    // pruned before version 10 are sealed once, when egresswatchd first opens
    // the store (a pruning of kind 'before_sealing'). Signed checkpoints: the
    // daemon signs the chain heads with its Ed25519 key (--signing-key).
    R"SQL(
CREATE TABLE evidence_prunings (
    id             INTEGER PRIMARY KEY,             -- its chain entry has flow_id = -id
    kind           TEXT NOT NULL,                   -- flows | alerted_flows | before_sealing
    pruned_at      INTEGER NOT NULL,                -- when retention ran, microseconds UTC
    retention_days INTEGER NOT NULL,                -- the policy's days (0: before_sealing)
    cutoff         INTEGER NOT NULL,                -- pruned_at minus the days: flows ended before it
    flows          INTEGER NOT NULL,                -- the sealed flows it deleted
    flows_hash     TEXT NOT NULL                    -- hex SHA-256 over its pruned_flows rows (evidence.hpp)
);
ALTER TABLE pruned_flows ADD COLUMN pruning_id INTEGER;   -- the sealed pruning that deleted it
ALTER TABLE pruned_flows ADD COLUMN last_seen INTEGER;    -- the flow's last_seen (NULL: pruned before 10)
CREATE INDEX pruned_flows_pruning ON pruned_flows(pruning_id, flow_id);

CREATE TABLE chain_signatures (
    id              INTEGER PRIMARY KEY,            -- 1, 2, 3 ... (a gap: a checkpoint was deleted)
    signed_at       INTEGER NOT NULL,               -- microseconds UTC
    chain_seq       INTEGER NOT NULL,               -- evidence_chain head signed
    chain_hash      TEXT NOT NULL,
    late_seq        INTEGER NOT NULL,               -- late_alert_chain head signed
    late_hash       TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,                  -- hex SHA-256 of the raw Ed25519 public key
    signature       TEXT NOT NULL                   -- hex Ed25519 signature of the checkpoint text
);
)SQL",
    // 10 -> 11: one box, one device. Addresses seen with the same MAC (not a
    // router's, which fronts many) are one box: each address keeps its row and
    // its own first/last seen, with the box's identity, and names the box.
    R"SQL(
ALTER TABLE devices ADD COLUMN box TEXT;   -- the box's MAC (lower case); NULL: the address is the device
CREATE INDEX devices_box ON devices(box);
)SQL",
    // 11 -> 12: the packets of flagged flows (egresswatchd --evidence-packets),
    // sealed in a chain of their own, and legal holds that retention honours.
    R"SQL(
-- The first packets of each direction of an alert's flow, and the DNS answer
-- that named its remote end, as captured (cut to --evidence-snaplen bytes).
CREATE TABLE evidence_packets (
    id         INTEGER PRIMARY KEY,
    flow_id    INTEGER NOT NULL,                  -- the alert's flow (flows.id)
    flow_uid   TEXT NOT NULL,
    seq        INTEGER NOT NULL,                  -- 1, 2, ... within the flow, in the order stored
    direction  TEXT NOT NULL,                     -- out (device -> remote) | in | dns
    ts         INTEGER NOT NULL,                  -- capture time, microseconds UTC
    caplen     INTEGER NOT NULL,                  -- bytes kept (length of data)
    origlen    INTEGER NOT NULL,                  -- the frame's length on the wire
    linktype   INTEGER NOT NULL,                  -- pcap LINKTYPE_* of data
    data       BLOB NOT NULL,
    sha256     TEXT NOT NULL,                     -- hex SHA-256 of data
    UNIQUE (flow_id, seq)
);
-- Seals each packet when stored: record_hash = SHA-256 of its canonical text
-- (evidence::packet_text), chain_hash = SHA-256(previous chain_hash || record_hash).
CREATE TABLE evidence_packet_chain (
    seq          INTEGER PRIMARY KEY,
    packet_id    INTEGER NOT NULL UNIQUE,
    flow_id      INTEGER NOT NULL,                -- the packet's flow, when its row is pruned with the flow
    record_hash  TEXT NOT NULL,
    chain_hash   TEXT NOT NULL
);
-- Packets the sensor would have kept had the memory budget allowed.
ALTER TABLE capture_stats ADD COLUMN evidence_packets_not_kept INTEGER NOT NULL DEFAULT 0;
-- Legal holds (egresswatch hold): retention deletes nothing of these devices.
CREATE TABLE evidence_holds (
    device   TEXT PRIMARY KEY,                    -- an IP address, or a MAC in lower case
    kind     TEXT NOT NULL,                       -- ip | mac
    held_at  INTEGER NOT NULL                     -- wall clock, microseconds UTC
);
)SQL",
};

// The duration (µs) from which flows are in index flows_long (the literal in
// migration 5 -> 6, which queries repeat so that SQLite uses the index).
inline constexpr int64_t kLongFlowUs = 3'600'000'000;

}  // namespace egresswatch::schema
