// The bidirectional flow table. Both directions of a conversation share one
// entry: the key orders its two endpoints, and the hash is seeded per process
// so that hostile traffic cannot aim collisions at one bucket (as Suricata's
// flow-hash.c does). Flows expire by inactivity, measured in packet time so
// that offline and live capture behave alike; a hard cap evicts the least
// recently active flow and counts it.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "egresswatch/decode.hpp"
#include "egresswatch/net.hpp"

namespace egresswatch {

struct FlowKey {
    IpAddress low_ip, high_ip;  // ordered so both directions give the same key
    uint16_t low_port = 0, high_port = 0;
    uint8_t protocol = 0;
    // 802.1Q ids, -1 when untagged; -1 also unless the VLAN is part of the
    // key (--vlan-in-flow-key): by default a flow is its addresses, ports and
    // protocol, as in Zeek, because mirrors often tag one direction only.
    int16_t vlan = -1, inner_vlan = -1;

    static FlowKey from(const DecodedPacket& p, bool vlan_in_key = false);
    // Compared as words: the defaulted form called libc's memcmp for each
    // address, on every probe of the flow table (3% of capture time).
    bool operator==(const FlowKey& o) const noexcept {
        uint64_t a[4], b[4];
        std::memcpy(a, low_ip.bytes.data(), 16);
        std::memcpy(a + 2, high_ip.bytes.data(), 16);
        std::memcpy(b, o.low_ip.bytes.data(), 16);
        std::memcpy(b + 2, o.high_ip.bytes.data(), 16);
        return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0 &&
               low_port == o.low_port && high_port == o.high_port && protocol == o.protocol &&
               vlan == o.vlan && inner_vlan == o.inner_vlan && low_ip.is_v4 == o.low_ip.is_v4 &&
               high_ip.is_v4 == o.high_ip.is_v4;
    }
};

struct FlowKeyHash {
    uint64_t seed;
    size_t operator()(const FlowKey& k) const noexcept;
    // With a random seed, drawn anew for each table.
    static FlowKeyHash random();
};

class DpiState;  // per-flow nDPI state, freed once classification is done

// What is known about a flow: plain data, copied when an open flow is
// written out (the table's Flow adds the DPI state and list links).
struct FlowData {
    FlowKey key;
    // Unique per sensor run, names the flow in the store: the index of the
    // flow's first packet in the capture, so the same with any number of workers.
    uint64_t sequence = 0;
    // Orientation: "device" is the internal end; if both or neither are
    // internal, the end that sent the first packet seen. The addresses live
    // in the key once: device_is_low says which end of it is the device.
    bool device_is_low = true;
    const IpAddress& device_ip() const { return device_is_low ? key.low_ip : key.high_ip; }
    const IpAddress& remote_ip() const { return device_is_low ? key.high_ip : key.low_ip; }
    uint16_t device_port() const { return device_is_low ? key.low_port : key.high_port; }
    uint16_t remote_port() const { return device_is_low ? key.high_port : key.low_port; }
    MacAddress device_mac{}, remote_mac{};
    // The 802.1Q ids on the first packet each way (-1: untagged or none seen).
    int16_t vlan_out = -1, inner_vlan_out = -1, vlan_in = -1, inner_vlan_in = -1;
    bool has_device_mac = false, has_remote_mac = false;
    bool device_initiated = true;
    bool remote_is_local = false;
    uint8_t ip_version = 4;
    int64_t first_us = 0, last_us = 0;
    uint64_t bytes_out = 0, bytes_in = 0;  // IP-layer bytes; out = device -> remote
    uint64_t packets_out = 0, packets_in = 0;
    // TCP teardown seen: FIN from both sides, or RST.
    bool fin_from_device = false, fin_from_remote = false, reset = false;
    // DNS over UDP: queries not yet answered, and whether any answer came.
    // A lookup is over once answered, as a TCP connection is after FIN.
    uint8_t dns_unanswered = 0;
    bool dns_answered = false;
    bool dirty = false;      // changed since last written to the store
    bool ever_written = false;
    // Application layer, filled in by DPI and passive DNS.
    // nDPI's verdict is kept as ids (names are looked up when written).
    std::string domain;
    uint16_t app_master = 0, app_id = 0, app_category = 0;
    bool classified = false;
    bool dpi_done = false;
    uint16_t dpi_packets = 0;

    // The conversation is over, so the flow ends after the short closed
    // timeout: TCP after FIN from both ends or RST; DNS over UDP once every
    // query seen has an answer (as Zeek's dns_session_timeout ends them).
    bool is_closed() const {
        return reset || (fin_from_device && fin_from_remote) || (dns_answered && dns_unanswered == 0);
    }
    bool from_device(const DecodedPacket& p) const;
};

struct Flow : FlowData {
    std::unique_ptr<DpiState> dpi;
    // Intrusive list by last activity within the flow's timeout class.
    Flow* older = nullptr;
    Flow* newer = nullptr;
    uint8_t timeout_class = 0;

    Flow();
    ~Flow();
    Flow(Flow&&) noexcept;
    Flow& operator=(Flow&&) noexcept;
};

struct FlowTimeouts {
    int64_t tcp_us = 300'000'000;      // established TCP idle
    int64_t udp_us = 60'000'000;       // UDP and other protocols
    int64_t closed_us = 5'000'000;     // after FIN/RST or a DNS answer, for stragglers
};

enum class FlowEnd { idle, closed, evicted, shutdown };

class FlowTable {
public:
    using IsLocal = std::function<bool(const IpAddress&)>;
    // Called for every flow leaving the table, before it is destroyed.
    using OnEnd = std::function<void(Flow&, FlowEnd)>;

    FlowTable(size_t max_flows, FlowTimeouts timeouts, IsLocal is_local, OnEnd on_end, bool vlan_in_key = false);
    ~FlowTable();

    // Finds or creates the packet's flow and counts the packet in it. Expires
    // idle flows as packet time passes. Returns the flow (valid until the next call).
    // A new flow's sequence is `packet_index` if given, else the next number.
    Flow& account(const DecodedPacket& p, int64_t ts_us, uint64_t packet_index = 0);

    // Expires every flow idle at `now_us` (called for live capture when no packets come).
    void expire(int64_t now_us);
    // Ends every flow (at the end of the captures or on shutdown).
    void end_all();
    // Visits every flow changed since it was last visited here (for periodic
    // flushing), and marks it unchanged. Walks only those: a changed flow was
    // touched, which moved it to the newest end of its timeout list, so the
    // changed flows are the newest of each list, down to the first unchanged one.
    void take_changed(const std::function<void(Flow&)>& visit);

    // When the next flow would expire if no packet came (INT64_MAX: none open).
    int64_t next_expiry_us() const;
    // Off: account() leaves expiry to the caller's expire() calls (flow
    // workers, whose shards expire together at points the capture thread sets).
    void set_expires_itself(bool on) { expires_itself_ = on; }

    size_t size() const { return flows_.size(); }
    uint64_t evicted() const { return evicted_; }
    uint64_t created() const { return created_; }

private:
    struct TimeoutList {
        Flow* oldest = nullptr;
        Flow* newest = nullptr;
    };
    void touch(Flow& flow, uint8_t timeout_class);
    void unlink(Flow& flow);
    void finish(Flow& flow, FlowEnd why);
    int64_t timeout_of(uint8_t timeout_class) const;
    uint8_t timeout_class_of(const Flow& flow) const;

    size_t max_flows_;
    FlowTimeouts timeouts_;
    bool vlan_in_key_;
    IsLocal is_local_;
    OnEnd on_end_;
    std::unordered_map<FlowKey, Flow, FlowKeyHash> flows_;
    TimeoutList lists_[3];
    uint64_t next_sequence_ = 1;
    uint64_t evicted_ = 0;
    uint64_t created_ = 0;
    int64_t last_expiry_us_ = 0;
    bool expires_itself_ = true;
};

}  // namespace egresswatch
