// The one schema of the evidence store. Every reader and writer uses these
// definitions; migrations move an older store forward one version at a time.
#pragma once

#include <array>
#include <string_view>

namespace egresswatch::schema {

// PRAGMA user_version of a store created or migrated by this build.
inline constexpr int kVersion = 9;

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
    // 8 -> 9: the packets of flagged flows (egresswatchd --evidence-packets),
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
