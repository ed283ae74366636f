// The sensor: one packet at a time through decode -> flow table -> DPI ->
// (on flush and at flow end) geolocation, device identity, rules -> store.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/devices.hpp"
#include "egresswatch/discovery.hpp"
#include "egresswatch/dns_message.hpp"
#include "egresswatch/dns_cache.hpp"
#include "egresswatch/dpi.hpp"
#include "egresswatch/flow_table.hpp"
#include "egresswatch/flow_workers.hpp"
#include "egresswatch/geo.hpp"
#include "egresswatch/net.hpp"
#include "egresswatch/oui.hpp"
#include "egresswatch/packet_hold.hpp"
#include "egresswatch/rules.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch {

// A flow's device when its record is made: its kind and vendor so far.
struct FlowDevice {
    std::string_view kind = "other";  // camera | nvr | iot | other
    std::string_view vendor;          // empty if unknown
};

struct SensorConfig {
    std::string store_path;
    std::string rules_dir;
    std::vector<std::string> geoip_dirs;
    std::string oui_dir = "/usr/share/ieee-data";
    std::string inventory_file;  // optional site inventory CSV
    std::string home_country = "GB";
    std::vector<Cidr> local_networks = default_local_networks();
    int64_t flush_interval_us = 60'000'000;
    size_t max_flows = 2'000'000;
    // Devices kept in memory (least recently seen evicted, written first and
    // counted), and DHCP clients whose hints wait for their address.
    size_t max_devices = DeviceRegistry::kDefaultMaxDevices;
    // Memory for passive DNS answers (least recently learnt evicted, counted).
    size_t dns_cache_bytes = DnsCache::kDefaultMaxBytes;
    // Threads that track flows and run nDPI (1: the capture thread does it).
    int workers = 1;
    FlowTimeouts timeouts;
    // Keep the 802.1Q ids in the flow key (sites whose VLANs reuse addresses).
    bool vlan_in_flow_key = false;
    // Packets of flagged flows (--evidence-packets, --evidence-snaplen,
    // --evidence-memory-mb); per_direction 0 keeps none.
    PacketHoldConfig evidence;
    // Called with every flow record the sensor writes (open snapshots and final
    // records; FlowRecord::closed tells which), e.g. for a JSON-lines log, with
    // the flow's device as known then (the store keeps devices in their own table).
    std::function<void(const FlowRecord&, const FlowDevice&)> on_flow_record;
    // Called with every device record the sensor writes (when a device is new
    // or changed, at each flush and at the end).
    std::function<void(const DeviceRecord&)> on_device_record;
};

struct SensorCounters {
    uint64_t packets = 0;
    uint64_t bytes = 0;  // captured frame bytes
    uint64_t ip_packets = 0;
    uint64_t not_ip = 0;
    uint64_t malformed = 0;
    uint64_t unsupported_link = 0;
    uint64_t flows_written = 0;
    uint64_t alerts = 0;  // flows flagged (final records, and late alerts)
    uint64_t late_alerts = 0;  // flows flagged when judged again (see rejudge.hpp)
    uint64_t dns_answers = 0;
    // What the bounds on packet-grown state turned away (running counts, in
    // capture_stats): see README "Hostile traffic".
    uint64_t bad_timestamps = 0;   // before 1970 or after 9999 (also in malformed)
    uint64_t time_outliers = 0;    // far ahead of the capture clock: did not move it
    uint64_t dns_dropped = 0;      // answers, names and aliases beyond the per-response bounds
    uint64_t dhcp_hints_evicted = 0;
    uint64_t lane_dropped = 0;     // frames the lanes could not hand over (queue full)
    uint64_t evidence_packets = 0;  // packets of alerts handed to the store
};

// Per DNS response: what passive DNS keeps at most (the rest is counted in dns_dropped).
inline constexpr size_t kDnsMaxAnswersKept = 32;   // answer records stored and remembered
inline constexpr size_t kDnsMaxAliases = 8;        // CNAME hops followed from the question
inline constexpr size_t kDnsMaxNameChars = 255;    // a name's presentation form (253 plus room)
// A packet more than this ahead of the capture clock is held until the next
// packet says whether time moved on or it is an outlier (see Sensor::process).
inline constexpr int64_t kMaxClockLeapUs = 3'600'000'000;
// Frames the lanes hand to the capture thread for inspection (DNS, DHCP,
// discovery) between two service_lanes() calls.
inline constexpr size_t kMaxLaneFramesWaiting = 65536;

class Sensor {
public:
    // Loads rules, geolocation, the MAC registry and nDPI, and opens the store.
    // Throws RulesError, GeoError or StoreError with a message for the user.
    explicit Sensor(SensorConfig config);
    ~Sensor();

    // One captured frame. `frame_stays` says the frame stays where it is
    // until finish() (a mapped file): flow workers then get it without a copy.
    void process(int linktype, const pcap_pkthdr& header, const uint8_t* frame, bool frame_stays = false);

    // Live capture with PACKET_FANOUT (--workers N): lane k's thread reads its
    // own sockets with `read_lane(k)`, which hands every frame to
    // process_on_lane(k, ...). The capture thread then calls service_lanes()
    // often: it takes the packets that tell who devices are (DNS, DHCP,
    // discovery), and writes the flows that left the lanes.
    void start_lanes(std::function<void(size_t lane)> read_lane);
    void process_on_lane(size_t lane, int linktype, const pcap_pkthdr& header, const uint8_t* frame);
    void service_lanes();
    void stop_lanes();
    // Packets each lane has read (empty without lanes): how evenly the kernel spreads them.
    std::vector<uint64_t> lane_packets() const;
    // Writes open flows and devices that changed (called every flush interval).
    void flush_open(int64_t now_us);
    // Ends flows idle at `now_us` by the clock (live capture, about once a
    // second): on a quiet network no packet comes to do it.
    void expire_idle(int64_t now_us);
    // Records capture health for one input over [start, end].
    void record_capture_stats(const std::string& source, int64_t start_us, int64_t end_us,
                              uint64_t dropped);
    // Reloads rules/ and the geolocation databases. On any error the old ones
    // stay in use and the error (file:line for rules) is thrown to the caller.
    void reload();
    // Ends every flow and waits until the store has everything. False if the
    // store could not take it all.
    bool finish();

    const SensorCounters& counters() const { return counters_; }
    size_t open_flows() const { return flows_->open_flows(); }
    uint64_t flows_evicted() const { return flows_->evicted(); }
    StoreWriter::Health store_health() const { return store_.health(); }
    const std::unordered_map<IpAddress, DeviceState, IpAddressHash>& devices() const { return devices_.all(); }
    uint64_t devices_evicted() const { return devices_.evicted(); }
    uint64_t dns_evicted() const { return dns_cache_.evicted(); }
    // The latest time a packet was taken at in the last process() call (0:
    // none was: a stamp refused, or a packet held; see process()).
    int64_t last_packet_time_us() const { return last_time_used_us_; }

private:
    bool is_local(const IpAddress& address) const;
    void emit_flows(std::vector<FlowOutput> outputs);
    void emit_flow(const FlowOutput& output);
    DeviceState* observe_device(const IpAddress& ip, const MacAddress* mac, int64_t first_us, int64_t last_us);
    void identify_from_flow(const FlowOutput& output, DeviceState* device, DeviceState* remote_device);
    void inspect_payload(const DecodedPacket& packet, int64_t ts_us);
    static bool needs_inspection(const DecodedPacket& packet);
    void learn_dns_answers(const DnsMessage& message, const DecodedPacket& packet, int64_t ts_us);
    // A hint with the kind of each evidence worked out once (classify_evidence).
    struct ClassifiedHint {
        DeviceHint hint;
        std::vector<std::optional<DeviceKind>> kinds;  // classify_evidence of each evidence, in order
        bool from_dhcp = false;               // a "dhcp-hostname:" among them
    };
    ClassifiedHint classified(DeviceHint hint);
    // The hint of an announcement (mDNS, SSDP, WS-Discovery, SADP, Dahua),
    // parsed and classified once per distinct payload: devices repeat theirs
    // byte for byte all day. Null when `parse` finds none.
    template <class Parse>
    const ClassifiedHint* announced_hint(int payload_kind, const uint8_t* data, size_t length, Parse parse);
    void apply_hint(const IpAddress& ip, const MacAddress* mac, const ClassifiedHint& hint, int strength,
                    int64_t ts_us);
    void emit_devices();
    void write_evicted_devices();
    void device_record(const IpAddress& ip, DeviceState& device, const DeviceState& box,
                       std::optional<MacAddress> box_mac, std::vector<StoreRecord>& records,
                       std::vector<RejudgeRequest>& rejudge);
    void process_at(int linktype, const pcap_pkthdr& header, const uint8_t* frame, bool frame_stays, int64_t ts_us);
    void remember_dhcp_hint(const MacAddress& mac, const DeviceHint& hint, int strength);
    void report_bound(bool& reported, const std::string& message);
    // Late alerts the store raised (re-judged flows) go to on_flow_record.
    void emit_late_alerts();

    SensorConfig config_;
    std::shared_ptr<const Rules> rules_;  // shared with re-judging in the store's writer
    std::unique_ptr<GeoLocator> geo_;
    OuiRegistry oui_;
    std::unique_ptr<Inventory> inventory_;
    DeviceRegistry devices_;
    DnsCache dns_cache_;
    // Hints from DHCP messages sent before the client had an address, by MAC,
    // until the MAC shows up with an IP.
    // At most max_devices of them, least recently heard evicted.
    struct PendingHint {
        DeviceHint hint;
        int strength;
        std::list<std::string>::iterator recency;
    };
    std::unordered_map<std::string, PendingHint> hints_by_mac_;
    std::list<std::string> hint_recency_;
    int64_t clock_us_ = 0;            // the capture clock: packet time, not moved by outliers
    // A packet far ahead of the clock, until the next says what it is.
    struct OutlierPacket {
        int linktype;
        pcap_pkthdr header;
        std::vector<uint8_t> frame;
        int64_t ts_us;
    };
    std::optional<OutlierPacket> held_;
    int64_t last_time_used_us_ = 0;
    bool reported_bad_time_ = false, reported_outlier_ = false, reported_dns_ = false,
         reported_dns_evicted_ = false, reported_devices_ = false, reported_hints_ = false, reported_lanes_ = false;
    // announced_hint's memory, by a hash of the payload (the payload itself
    // is kept to tell a collision from a repeat); cleared when full.
    struct Announcement {
        int payload_kind = 0;
        std::string payload;
        std::optional<ClassifiedHint> hint;
    };
    std::unordered_map<uint64_t, Announcement> announcements_;
    // classify_evidence by evidence: the same few strings come again and
    // again (DHCP host names and vendor classes); cleared when full.
    std::unordered_map<std::string, std::optional<DeviceKind>> evidence_kinds_;
    std::unique_ptr<FlowWorkers> flows_;
    StoreWriter store_;
    std::string run_id_;
    SensorCounters counters_;
    SensorCounters counters_at_last_stats_;
    int64_t last_flush_us_ = 0;
    int64_t last_expiry_us_ = 0;
    bool eviction_reported_ = false;
    // Lanes (live capture with PACKET_FANOUT): what their threads hand over.
    struct LaneCounters {
        std::atomic<uint64_t> packets{0}, bytes{0}, ip_packets{0}, not_ip{0}, malformed{0}, unsupported_link{0};
        std::atomic<uint64_t> bad_timestamps{0}, dropped{0};
        std::atomic<uint64_t> total_packets{0};  // never taken
    };
    struct InspectedFrame {
        int linktype;
        pcap_pkthdr header;
        std::vector<uint8_t> frame;
    };
    bool lanes_ = false;
    std::unique_ptr<LaneCounters[]> lane_counters_;
    std::atomic<uint64_t> lane_packet_index_{0};
    std::mutex inspect_mutex_;
    std::vector<InspectedFrame> to_inspect_;
    int64_t last_packet_us_ = 0;
    // Packets of flagged flows, and the frame being inspected (for the DNS
    // answers among them).
    PacketHold hold_;
    struct InspectedFrameRef {
        int linktype = 0;
        const pcap_pkthdr* header = nullptr;
        const uint8_t* frame = nullptr;
    } inspecting_;
    uint64_t not_kept_at_last_stats_ = 0;
    void store_evidence_packets(const std::string& uid, std::vector<HeldPacket> packets);
};

std::string transport_name(uint8_t ip_protocol, uint8_t ip_version);

}  // namespace egresswatch
