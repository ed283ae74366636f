// The sensor: one packet at a time through decode -> flow table -> DPI, and
// a short loop over stages that own their state: payloads that tell who a
// device is or which names it uses go to DeviceIdentity and PassiveDns; each
// flow record (on flush and at flow end) is made by RecordEnricher (geo, DNS
// name, rules, Community ID) and written to the store and the RecordSink.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/device_identity.hpp"
#include "egresswatch/devices.hpp"
#include "egresswatch/dns_cache.hpp"
#include "egresswatch/dns_message.hpp"
#include "egresswatch/flow_schedule.hpp"
#include "egresswatch/flow_table.hpp"
#include "egresswatch/flow_workers.hpp"
#include "egresswatch/frame_header.hpp"
#include "egresswatch/geo.hpp"
#include "egresswatch/net.hpp"
#include "egresswatch/oui.hpp"
#include "egresswatch/packet_hold.hpp"
#include "egresswatch/passive_dns.hpp"
#include "egresswatch/record_enricher.hpp"
#include "egresswatch/record_sink.hpp"
#include "egresswatch/rules.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch {

struct SensorConfig {
    std::string store_path;
    std::string rules_dir;
    std::vector<std::string> geoip_dirs;
    std::string oui_dir = "/usr/share/ieee-data";
    std::string inventory_file;  // optional site inventory CSV
    std::string home_country = "GB";
    std::vector<Cidr> local_networks = default_local_networks();
    int64_t flush_interval_us = 60'000'000;
    // What the interval counts (flow_schedule.hpp); the daemon uses the wall
    // clock unless told otherwise, tests packet time.
    FlushClock flush_clock = FlushClock::packet;
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

// A packet more than this ahead of the capture clock is held until the next
// packet says whether time moved on or it is an outlier (see Sensor::process).
inline constexpr int64_t kMaxClockLeapUs = 3'600'000'000;
// Frames the lanes hand to the capture thread for inspection (DNS, DHCP,
// discovery) between two service_lanes() calls.
inline constexpr size_t kMaxLaneFramesWaiting = 65536;

// What a sensor is built from: loaded once, replaceable in tests (a store in
// a temporary file, rules and geolocation of the test's own).
struct SensorParts {
    std::shared_ptr<const Rules> rules;
    std::unique_ptr<GeoLocator> geo;
    OuiRegistry oui;
    std::unique_ptr<Inventory> inventory;  // null: no site inventory
    std::unique_ptr<StoreWriter> store;
    std::string run_id;  // starts every flow record's uid

    // The parts `config` names: rules, geolocation, the MAC registry and the
    // site inventory loaded, the store opened, a random run id. Throws
    // RulesError, GeoError or StoreError with a message for the user.
    static SensorParts load(const SensorConfig& config);
};

class Sensor {
public:
    // Loads its parts as `config` says (SensorParts::load) and nDPI.
    // Records go to the store and, if not null, to `sink` (which must outlive the sensor).
    explicit Sensor(SensorConfig config, RecordSink* sink = nullptr);
    // With parts loaded by the caller (tests); `config` gives the rest.
    Sensor(SensorConfig config, SensorParts parts, RecordSink* sink = nullptr);
    ~Sensor();

    // One captured frame. `frame_stays` says the frame stays where it is
    // until finish() (a mapped file): flow workers then get it without a copy.
    void process(int linktype, const FrameHeader& header, const uint8_t* frame, bool frame_stays = false);
    // Frames read in place from `file`, which may shrink while it is read:
    // its `cut` goes up once such a frame may read as zeros. A packet whose
    // decoding saw it up is not counted, nor makes a flow; an evidence copy
    // made while it was up is not kept. The evidence hold reads frames it
    // keeps back from the file. nullptr: frames are the reader's own.
    void watch_frames(const FramesInPlace* file);

    // Live capture with PACKET_FANOUT (--workers N): the capture's lane
    // threads read their own sockets. Before they start, start_lanes(); on
    // lane k's thread, serve_lane(k) between reads and process_on_lane(k, ...)
    // for every frame; after they have stopped, lanes_stopped(). The capture
    // thread calls service_lanes() often: it takes the packets that tell who
    // devices are (DNS, DHCP, discovery), and writes the flows that left the lanes.
    void start_lanes();
    void serve_lane(size_t lane);
    void process_on_lane(size_t lane, int linktype, const FrameHeader& header, const uint8_t* frame);
    void service_lanes();
    void lanes_stopped();
    // Packets each lane has read (empty without lanes): how evenly the kernel spreads them.
    std::vector<uint64_t> lane_packets() const;
    // A tick of the clock with no packet (live capture, about once a second):
    // ends flows idle at `wall_us` and writes open flows when the schedule
    // says (flow_schedule.hpp). flushes() counts every write of open flows.
    void on_clock(int64_t wall_us);
    uint64_t flushes() const { return schedule_.flushes(); }
    // Records capture health for one input over [start, end].
    void record_capture_stats(const std::string& source, int64_t start_us, int64_t end_us,
                              uint64_t dropped);
    // Reloads rules/ and the geolocation databases. On any error the old ones
    // stay in use and the error (file:line for rules) is thrown to the caller.
    void reload();
    // Ends every flow (lanes stopped first: LiveCapture::stop) and waits until
    // the store has everything. False if the store could not take it all.
    bool finish();

    const SensorCounters& counters() const { return counters_; }
    size_t open_flows() const { return flows_->open_flows(); }
    uint64_t flows_evicted() const { return flows_->evicted(); }
    // --workers N when packet-fed (a file): what was sent to the workers.
    const FlowWorkers::HandOver& hand_over() const { return flows_->hand_over(); }
    StoreWriter::Health store_health() const { return store_->health(); }
    const std::unordered_map<IpAddress, DeviceState, IpAddressHash>& devices() const { return identity_.devices(); }
    uint64_t devices_evicted() const { return identity_.devices_evicted(); }
    uint64_t dns_evicted() const { return passive_dns_.evicted(); }
    // The latest time a packet was taken at in the last process() call (0:
    // none was: a stamp refused, or a packet held; see process()).
    int64_t last_packet_time_us() const { return last_time_used_us_; }

private:
    // Writes open flows that changed and devices that changed (waits for the workers).
    void write_open_flows();
    void after_writing_open_flows();
    // Barriers posted to the flow workers are collected later, in order, and
    // the payloads that tell who a device is or which names it uses (DNS,
    // DHCP, discovery) wait behind them: the passive DNS and device state a
    // flow's record is made with is then the state at its barrier's point
    // of the capture, for any number of workers, while the capture thread
    // goes on. The evidence hold notes DNS answers at once (the shards hold
    // the flows' first packets meanwhile).
    void defer_barrier(uint64_t ticket, bool flush);
    void defer_payload(int linktype, const FrameHeader& header, const uint8_t* frame, const DecodedPacket& packet,
                       int64_t ts_us);
    // What waits, up to the first barrier whose workers are not done; all
    // of it (waiting for them) if `all`, or once too much waits.
    void drain(bool all);
    void emit_flows(std::vector<FlowOutput> outputs);
    void emit_flow(const FlowOutput& output);
    void inspect_payload(const DecodedPacket& packet, int64_t ts_us);
    static bool needs_inspection(const DecodedPacket& packet);
    void learn_dns(DnsLearnt learnt, const DecodedPacket& packet, int64_t ts_us);
    void hold_dns_answer(const DnsLearnt& learnt, const DecodedPacket& packet);
    // Device records (and the re-judging they ask for) to the sink and the store.
    void write_device_records(std::vector<StoreRecord> records);
    void process_at(int linktype, const FrameHeader& header, const uint8_t* frame, bool frame_stays, int64_t ts_us);
    // Late alerts the store raised (re-judged flows) go to the record sink.
    void emit_late_alerts();
    void store_evidence_packets(const std::string& uid, std::vector<HeldPacket> packets);

    SensorConfig config_;
    RecordSink* sink_;
    // Flow records are submitted here directly, not through a RecordSink: the
    // sink takes a record by reference, and the store would then need a copy
    // of every record instead of taking it by move.
    std::unique_ptr<StoreWriter> store_;
    std::shared_ptr<const Rules> rules_;  // for the store's "rules" note; the stages hold it too
    DeviceIdentity identity_;
    PassiveDns passive_dns_;
    RecordEnricher enricher_;
    int64_t clock_us_ = 0;            // the capture clock: packet time, not moved by outliers
    // A packet far ahead of the clock, until the next says what it is.
    struct OutlierPacket {
        int linktype;
        FrameHeader header;
        std::vector<uint8_t> frame;
        int64_t ts_us;
    };
    std::optional<OutlierPacket> held_;
    int64_t last_time_used_us_ = 0;
    bool reported_bad_time_ = false, reported_outlier_ = false, reported_dns_ = false,
         reported_dns_evicted_ = false, reported_lanes_ = false;
    // Packets of flagged flows, and the frame being inspected (for the DNS
    // answers among them). Before flows_, whose shards hold packets in it.
    FramesCutWatch frames_;  // watch_frames(); the hold reads it too
    PacketHold hold_;
    std::unique_ptr<FlowWorkers> flows_;
    SensorCounters counters_;
    SensorCounters counters_at_last_stats_;
    FlowSchedule schedule_;
    bool eviction_reported_ = false;
    // Lanes (live capture with PACKET_FANOUT): what their threads hand over.
    struct LaneCounters {
        std::atomic<uint64_t> packets{0}, bytes{0}, ip_packets{0}, not_ip{0}, malformed{0}, unsupported_link{0};
        std::atomic<uint64_t> bad_timestamps{0}, dropped{0};
        std::atomic<uint64_t> total_packets{0};  // never taken
    };
    struct InspectedFrame {
        int linktype;
        FrameHeader header;
        std::vector<uint8_t> frame;
    };
    bool lanes_ = false;
    std::unique_ptr<LaneCounters[]> lane_counters_;
    std::atomic<uint64_t> lane_packet_index_{0};
    std::mutex inspect_mutex_;
    std::vector<InspectedFrame> to_inspect_;
    struct InspectedFrameRef {
        int linktype = 0;
        const FrameHeader* header = nullptr;
        const uint8_t* frame = nullptr;
    } inspecting_;
    uint64_t not_kept_at_last_stats_ = 0;
    struct Deferred {
        uint64_t ticket = 0;   // a barrier's; 0: a payload to inspect
        bool flush = false;    // the barrier writes open flows
        int64_t clock_us = 0;  // the capture clock when it came
        // A payload: its frame, and a DNS payload's responses as read when it came.
        int linktype = 0;
        FrameHeader header{};
        std::vector<uint8_t> frame;
        int64_t ts_us = 0;
        bool dns = false;
        std::vector<DnsLearnt> dns_answers;
    };
    std::deque<Deferred> deferred_;
    size_t deferred_barriers_ = 0;
    size_t deferred_frame_bytes_ = 0;
    std::vector<std::vector<uint8_t>> spare_frames_;  // payloads' frame buffers, for reuse
};

}  // namespace egresswatch
