#include "egresswatch/sensor.hpp"

#include <atomic>
#include <filesystem>
#include <future>
#include <iostream>
#include <random>
#include <sstream>

#include "egresswatch/clock.hpp"

namespace egresswatch {
namespace {

std::string new_run_id() {
    std::random_device device;
    std::ostringstream id;
    id << std::hex << device() << device();
    return id.str();
}

// The payloads that tell who a device is or which names it uses, by their
// well-known ports: the one place that decides which packets are inspected.
enum class Payload { none, dns_tcp, dns, mdns, dhcp, ssdp, ws_discovery, sadp, dahua };

Payload payload_of(const DecodedPacket& p) {
    if (p.payload_captured == 0) return Payload::none;
    if (p.ip_protocol == 6) return p.src_port == 53 ? Payload::dns_tcp : Payload::none;
    if (p.ip_protocol != 17) return Payload::none;
    if (p.src_port == 53) return Payload::dns;
    if (either_port(p, 5353)) return Payload::mdns;
    if (either_port(p, 67) && either_port(p, 68)) return Payload::dhcp;
    if (either_port(p, 1900)) return Payload::ssdp;
    if (either_port(p, 3702)) return Payload::ws_discovery;
    if (either_port(p, 37020)) return Payload::sadp;
    if (either_port(p, 37810) || either_port(p, 5050)) return Payload::dahua;
    return Payload::none;
}

bool is_dns(Payload kind) { return kind == Payload::dns || kind == Payload::dns_tcp; }

// The responses in a DNS payload, as passive DNS reads them (queries skipped).
std::vector<DnsLearnt> read_dns_answers(Payload kind, const DecodedPacket& p, int64_t ts_us) {
    std::vector<DnsLearnt> answers;
    auto read = [&](const DnsMessage& message) {
        if (message.is_response) answers.push_back(PassiveDns::read(message, p, ts_us));
    };
    if (kind == Payload::dns_tcp) {
        for (const auto& message : parse_dns_tcp_segment(p.payload, p.payload_captured).messages) read(message);
    } else if (auto message = parse_dns_message(p.payload, p.payload_captured)) {
        read(*message);
    }
    return answers;
}

void bump(uint64_t& counter) { ++counter; }
void bump(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

// The one place a frame's decoding is counted, for the capture thread's
// counters and for a lane's: true for an IP packet, to be tracked.
template <class Counters>
bool count_decoded(DecodeStatus status, Counters& c) {
    switch (status) {
    case DecodeStatus::ok: bump(c.ip_packets); return true;
    case DecodeStatus::not_ip: bump(c.not_ip); return false;
    case DecodeStatus::malformed: bump(c.malformed); return false;
    case DecodeStatus::unsupported_link: bump(c.unsupported_link); return false;
    }
    return false;
}

std::string dns_bounds_message() {
    return "a DNS response is beyond passive DNS's bounds (names of " + std::to_string(kDnsMaxNameChars) +
           " characters, " + std::to_string(kDnsMaxAliases) + " aliases, " + std::to_string(kDnsMaxAnswersKept) +
           " answers per response): the rest is counted (capture_stats.dns_dropped)";
}

}  // namespace

SensorParts SensorParts::load(const SensorConfig& config) {
    SensorParts parts;
    // The IEEE registry (tens of thousands of lines) is parsed beside the
    // rest: the capture thread's start-up was the sum of both.
    auto oui = std::async(std::launch::async, [dir = config.oui_dir] { return OuiRegistry::load(dir); });
    parts.rules = std::make_shared<const Rules>(Rules::load(config.rules_dir, config.home_country));
    parts.geo = std::make_unique<GeoLocator>(config.geoip_dirs);
    if (!config.inventory_file.empty()) parts.inventory = std::make_unique<Inventory>(Inventory::load(config.inventory_file));
    parts.store = std::make_unique<StoreWriter>(config.store_path);
    parts.oui = oui.get();
    parts.run_id = new_run_id();
    return parts;
}

Sensor::Sensor(SensorConfig config, RecordSink* sink) : Sensor(config, SensorParts::load(config), sink) {}

Sensor::Sensor(SensorConfig config, SensorParts parts, RecordSink* sink)
    : config_(std::move(config)),
      sink_(sink),
      store_(std::move(parts.store)),
      rules_(parts.rules),
      identity_(std::move(parts.oui), std::move(parts.inventory), parts.rules, config_.local_networks,
                config_.max_devices, [this](std::vector<StoreRecord> records) { write_device_records(std::move(records)); }),
      passive_dns_(config_.dns_cache_bytes),
      enricher_(parts.rules, std::move(parts.geo), config_.home_country, std::move(parts.run_id)),
      hold_([this] {
          PacketHoldConfig evidence = config_.evidence;
          evidence.vlan_in_key = config_.vlan_in_flow_key;
          return evidence;
      }()),
      schedule_(config_.flush_interval_us, config_.flush_clock) {
    FlowShardConfig shards;
    shards.max_flows = config_.max_flows;
    shards.timeouts = config_.timeouts;
    shards.is_local = [this](const IpAddress& a) { return identity_.is_local(a); };  // reads the configuration only
    shards.custom_protocols_file = (std::filesystem::path(config_.rules_dir) / "ndpi_protos.txt").string();
    shards.vlan_in_key = config_.vlan_in_flow_key;
    shards.hold = &hold_;
    if (config_.workers > 1) hold_.set_threaded();  // the shards' threads hold packets
    hold_.watch_frames(&frames_);
    flows_ = std::make_unique<FlowWorkers>(config_.workers, shards);
    store_->submit(MetaRecord{"sensor.version", EGRESSWATCH_VERSION});
    store_->submit(MetaRecord{"geoip", enricher_.geo().describe()});
    store_->submit(MetaRecord{"rules", rules_->directory() + " (" + std::to_string(rules_->entry_count()) + " entries)"});
    store_->submit(MetaRecord{"home_country", config_.home_country});
}

Sensor::~Sensor() = default;

void Sensor::reload() {
    drain(true);  // what came before is judged by the rules it came under
    // Build both before replacing either: a failure leaves the old ones intact.
    auto rules = std::make_shared<const Rules>(Rules::load(config_.rules_dir, config_.home_country));
    auto geo = std::make_unique<GeoLocator>(config_.geoip_dirs);
    rules_ = std::move(rules);
    identity_.use_rules(rules_);
    enricher_.use(rules_, std::move(geo));
    store_->submit(MetaRecord{"geoip", enricher_.geo().describe()});
    store_->submit(MetaRecord{"rules", rules_->directory() + " (" + std::to_string(rules_->entry_count()) + " entries)"});
}

// The capture clock follows packet time, but not on one packet far ahead of
// it (a damaged or forged record in a file): were it moved, every open flow
// would expire at once, and that one flow, stamped in the future, would stay
// at the head of the idle order and stop every flow behind it from expiring.
// Such a packet is held until the next one. If the next is near it, time
// really moved on (a gap between files, a quiet night): the held packet is
// taken at its own time and the clock follows, so real captures come out as
// before. Otherwise it is an outlier: taken at the clock's time, and counted.
// The last packet of a capture is taken at its own time (nothing follows it
// whose expiry it could stop).
void Sensor::process(int linktype, const FrameHeader& header, const uint8_t* frame, bool frame_stays) {
    last_time_used_us_ = 0;
    auto ts = packet_time_us(header.ts);
    if (!ts) {
        ++counters_.packets;
        counters_.bytes += header.caplen;
        ++counters_.malformed;
        ++counters_.bad_timestamps;
        report_bound(reported_bad_time_, "a packet is stamped before 1970 or after the year 9999: counted as "
                                         "malformed and skipped (capture_stats.bad_timestamps)");
        return;
    }
    if (held_) {
        OutlierPacket held = std::move(*held_);
        held_.reset();
        bool confirmed = *ts >= held.ts_us - kMaxClockLeapUs && *ts <= held.ts_us + kMaxClockLeapUs;
        if (!confirmed) {
            ++counters_.time_outliers;
            report_bound(reported_outlier_, "a packet is stamped more than an hour ahead of those around it: taken "
                                            "at their time; the capture clock does not jump on one packet "
                                            "(capture_stats.time_outliers)");
        }
        process_at(held.linktype, held.header, held.frame.data(), false, confirmed ? held.ts_us : clock_us_);
    }
    if (clock_us_ != 0 && *ts > clock_us_ + kMaxClockLeapUs) {
        held_ = OutlierPacket{linktype, header, std::vector<uint8_t>(frame, frame + header.caplen), *ts};
        return;
    }
    process_at(linktype, header, frame, frame_stays, *ts);
}

void Sensor::watch_frames(const FramesInPlace* file) { frames_.watch(file); }

void Sensor::process_at(int linktype, const FrameHeader& header, const uint8_t* frame, bool frame_stays,
                        int64_t ts_us) {
    DecodedPacket packet;
    DecodeStatus decoded = decode_packet(linktype, frame, header.caplen, header.len, packet);
    // The file was cut under this frame: some of what was decoded may be
    // zeros, not the packet (the reader stops and says so).
    if (frames_.cut()) return;
    ++counters_.packets;
    counters_.bytes += header.caplen;
    clock_us_ = std::max(clock_us_, ts_us);
    last_time_used_us_ = std::max(last_time_used_us_, ts_us);
    if (!count_decoded(decoded, counters_)) return;
    // Here, not in each table, so that every worker's table expires at the
    // same point of the capture.
    if (schedule_.expiry_due(ts_us))
        if (auto ticket = flows_->post_expiry(ts_us)) defer_barrier(*ticket, false);
    flows_->process(FrameRef{linktype, header, frame, frame_stays}, packet, ts_us, counters_.packets);
    if (needs_inspection(packet)) {
        if (deferred_barriers_ > 0) {
            defer_payload(linktype, header, frame, packet, ts_us);
        } else {
            identity_.note_time(clock_us_);
            inspecting_ = {linktype, &header, frame};
            inspect_payload(packet, ts_us);
            inspecting_ = {};
        }
    }
    if (schedule_.flush_due_after_packet(ts_us)) defer_barrier(flows_->post(FlowWorkers::Command::snapshot), true);
}

namespace {
// What may wait behind barriers not yet collected before the capture thread
// waits for the workers: twice what a worker is sent at once (so that the
// oldest barrier has always been sent), and the payloads' frames.
constexpr size_t kMaxDeferredBarriers = 2 * FlowWorkers::kMarksPerBatch;
constexpr size_t kMaxDeferredFrameBytes = 8u << 20;
constexpr size_t kSpareFrames = 1024, kSpareFrameBytes = 2048;  // buffers kept for reuse
}  // namespace

void Sensor::defer_barrier(uint64_t ticket, bool flush) {
    Deferred d;
    d.ticket = ticket;
    d.flush = flush;
    d.clock_us = clock_us_;
    deferred_.push_back(std::move(d));
    ++deferred_barriers_;
    drain(false);
}

void Sensor::defer_payload(int linktype, const FrameHeader& header, const uint8_t* frame, const DecodedPacket& packet,
                           int64_t ts_us) {
    Deferred d;
    // A DNS payload is read now, once: the hold notes its answers now,
    // numbered by their packet, as inspecting at once does; passive DNS learns
    // them in drain().
    Payload kind = payload_of(packet);
    d.dns = is_dns(kind);
    if (d.dns) {
        d.dns_answers = read_dns_answers(kind, packet, ts_us);
        inspecting_ = {linktype, &header, frame};
        for (const DnsLearnt& learnt : d.dns_answers) hold_dns_answer(learnt, packet);
        inspecting_ = {};
    }
    d.clock_us = clock_us_;
    d.linktype = linktype;
    d.header = header;
    d.ts_us = ts_us;
    if (!spare_frames_.empty()) {
        d.frame = std::move(spare_frames_.back());
        spare_frames_.pop_back();
    }
    d.frame.assign(frame, frame + header.caplen);
    deferred_frame_bytes_ += header.caplen;
    deferred_.push_back(std::move(d));
    if (deferred_frame_bytes_ > kMaxDeferredFrameBytes) drain(false);
}

void Sensor::drain(bool all) {
    while (!deferred_.empty()) {
        Deferred& d = deferred_.front();
        if (d.ticket != 0) {
            bool wait = all || deferred_barriers_ > kMaxDeferredBarriers || deferred_frame_bytes_ > kMaxDeferredFrameBytes;
            if (!wait && !flows_->done(d.ticket)) return;
            auto outputs = flows_->collect(d.ticket);
            identity_.note_time(d.clock_us);
            emit_flows(std::move(outputs));
            if (d.flush) after_writing_open_flows();
            --deferred_barriers_;
        } else {
            identity_.note_time(d.clock_us);
            DecodedPacket packet;
            bool decoded = decode_packet(d.linktype, d.frame.data(), d.header.caplen, d.header.len, packet) ==
                           DecodeStatus::ok;  // as when it came
            // inspecting_ unset: the hold has the DNS answers already.
            if (decoded && d.dns) {
                for (DnsLearnt& learnt : d.dns_answers) learn_dns(std::move(learnt), packet, d.ts_us);
            } else if (decoded) {
                inspect_payload(packet, d.ts_us);
            }
            deferred_frame_bytes_ -= d.header.caplen;
            if (spare_frames_.size() < kSpareFrames && d.frame.capacity() <= kSpareFrameBytes)
                spare_frames_.push_back(std::move(d.frame));
        }
        deferred_.pop_front();
    }
}

bool Sensor::needs_inspection(const DecodedPacket& p) { return payload_of(p) != Payload::none; }

// Application payloads that tell who a device is or which names it uses. Only
// a few well-known ports are looked at (payload_of), so most packets return at once.
void Sensor::inspect_payload(const DecodedPacket& p, int64_t ts_us) {
    Payload kind = payload_of(p);
    switch (kind) {
    case Payload::none: return;
    case Payload::dns_tcp:
    case Payload::dns:
        for (DnsLearnt& learnt : read_dns_answers(kind, p, ts_us)) learn_dns(std::move(learnt), p, ts_us);
        return;
    case Payload::dhcp:
        identity_.learn_from_dhcp(p, ts_us);
        counters_.dhcp_hints_evicted = identity_.dhcp_hints_evicted();
        return;
    case Payload::mdns: identity_.learn_from_announcement(Announcement::mdns, p, ts_us); return;
    case Payload::ssdp: identity_.learn_from_announcement(Announcement::ssdp, p, ts_us); return;
    case Payload::ws_discovery: identity_.learn_from_announcement(Announcement::ws_discovery, p, ts_us); return;
    case Payload::sadp: identity_.learn_from_announcement(Announcement::sadp, p, ts_us); return;
    case Payload::dahua: identity_.learn_from_announcement(Announcement::dahua, p, ts_us); return;
    }
}

// Passive DNS learns the answers; device identity notes who resolves for
// others and who looks up vendor clouds.
void Sensor::learn_dns(DnsLearnt learnt, const DecodedPacket& p, int64_t ts_us) {
    identity_.note_dns_answer(p, ts_us);
    passive_dns_.remember(learnt, p, ts_us);
    counters_.dns_answers = passive_dns_.answers();
    counters_.dns_dropped = passive_dns_.dropped();
    if (learnt.beyond_bounds) report_bound(reported_dns_, dns_bounds_message());
    if (!learnt.resolved) return;
    if (passive_dns_.evicted() > 0)
        report_bound(reported_dns_evicted_, "passive DNS is full (" + std::to_string(config_.dns_cache_bytes >> 20) +
                                                " MiB): the oldest answers are evicted (capture_stats.dns_evicted)");
    if (!learnt.observations.empty()) store_->submit(std::move(learnt.observations));
    hold_dns_answer(learnt, p);
    identity_.note_dns_lookup(p.dst_ip, p.has_dst_mac ? &p.dst_mac : nullptr, *learnt.resolved, ts_us);
}

// The answer's packet, for the flows it names (the frame being inspected).
void Sensor::hold_dns_answer(const DnsLearnt& learnt, const DecodedPacket& p) {
    if (!inspecting_.frame || !learnt.resolved || learnt.named.empty()) return;
    hold_.add_dns_answer(p.dst_ip, learnt.named, inspecting_.linktype, *inspecting_.header, inspecting_.frame,
                         lanes_ ? 0 : counters_.packets);  // lanes number packets in no one order
}

void Sensor::write_device_records(std::vector<StoreRecord> records) {
    if (sink_)
        for (const auto& record : records)
            if (const auto* device = std::get_if<DeviceRecord>(&record)) sink_->on_device_record(*device);
    store_->submit(std::move(records));
}

void Sensor::start_lanes() {
    lanes_ = true;
    hold_.set_threaded();
    lane_counters_ = std::make_unique<LaneCounters[]>(static_cast<size_t>(flows_->workers()));
    flows_->start_lanes();
}

void Sensor::serve_lane(size_t lane) { flows_->serve_lane(lane); }

// On lane k's thread: only its shard, its counters and the hand-over queue.
void Sensor::process_on_lane(size_t lane, int linktype, const FrameHeader& header, const uint8_t* frame) {
    LaneCounters& c = lane_counters_[lane];
    c.packets.fetch_add(1, std::memory_order_relaxed);
    c.total_packets.fetch_add(1, std::memory_order_relaxed);
    c.bytes.fetch_add(header.caplen, std::memory_order_relaxed);
    // As process(): the stamp first, then the decoding.
    auto time = packet_time_us(header.ts);
    if (!time) {
        c.malformed.fetch_add(1, std::memory_order_relaxed);
        c.bad_timestamps.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    DecodedPacket packet;
    if (!count_decoded(decode_packet(linktype, frame, header.caplen, header.len, packet), c)) return;
    int64_t ts_us = *time;
    uint64_t index = lane_packet_index_.fetch_add(1, std::memory_order_relaxed) + 1;
    flows_->process_on_lane(lane, FrameRef{linktype, header, frame}, packet, ts_us, index);
    if (needs_inspection(packet)) {
        std::lock_guard lock(inspect_mutex_);
        // Bounded: if the capture thread falls behind, frames are dropped and counted.
        if (to_inspect_.size() >= kMaxLaneFramesWaiting) c.dropped.fetch_add(1, std::memory_order_relaxed);
        else to_inspect_.push_back({linktype, header, std::vector<uint8_t>(frame, frame + header.caplen)});
    }
}

void Sensor::service_lanes() {
    if (!lanes_) return;
    for (int i = 0; i < flows_->workers(); ++i) {
        LaneCounters& c = lane_counters_[static_cast<size_t>(i)];
        counters_.packets += c.packets.exchange(0, std::memory_order_relaxed);
        counters_.bytes += c.bytes.exchange(0, std::memory_order_relaxed);
        counters_.ip_packets += c.ip_packets.exchange(0, std::memory_order_relaxed);
        counters_.not_ip += c.not_ip.exchange(0, std::memory_order_relaxed);
        counters_.malformed += c.malformed.exchange(0, std::memory_order_relaxed);
        counters_.unsupported_link += c.unsupported_link.exchange(0, std::memory_order_relaxed);
        counters_.bad_timestamps += c.bad_timestamps.exchange(0, std::memory_order_relaxed);
        counters_.lane_dropped += c.dropped.exchange(0, std::memory_order_relaxed);
    }
    if (counters_.lane_dropped > 0)
        report_bound(reported_lanes_, "the lanes' queue of DNS, DHCP and discovery frames is full (" +
                                          std::to_string(kMaxLaneFramesWaiting) +
                                          "): frames are dropped (capture_stats.lane_dropped)");
    std::vector<InspectedFrame> frames;
    {
        std::lock_guard lock(inspect_mutex_);
        frames.swap(to_inspect_);
    }
    for (const auto& f : frames) {
        DecodedPacket packet;
        if (decode_packet(f.linktype, f.frame.data(), f.header.caplen, f.header.len, packet) != DecodeStatus::ok)
            continue;
        int64_t ts_us = packet_time_us(f.header.ts).value_or(0);  // checked on the lane
        identity_.note_time(ts_us);
        inspecting_ = {f.linktype, &f.header, f.frame.data()};
        inspect_payload(packet, ts_us);
        inspecting_ = {};
    }
    emit_flows(flows_->take_lane_output());
}

std::vector<uint64_t> Sensor::lane_packets() const {
    std::vector<uint64_t> packets;
    if (lanes_)
        for (int i = 0; i < flows_->workers(); ++i)
            packets.push_back(lane_counters_[static_cast<size_t>(i)].total_packets.load(std::memory_order_relaxed));
    return packets;
}

void Sensor::lanes_stopped() {
    if (!lanes_) return;
    flows_->lanes_stopped();
    service_lanes();
}

void Sensor::emit_flows(std::vector<FlowOutput> outputs) {
    if (!eviction_reported_ && flows_->evicted() > 0) {
        eviction_reported_ = true;
        std::cerr << "egresswatchd: flow table full (--max-flows " << config_.max_flows
                  << "): evicting the least recently active flows; each is stored and counted\n";
    }
    for (const auto& output : outputs) emit_flow(output);
}

void Sensor::emit_flow(const FlowOutput& output) {
    const FlowData& flow = output.flow;
    FlowEnds ends = identity_.observe_flow(output);
    FlowContext context;
    context.device = ends.device;
    context.identity = ends.device ? identity_.identity_of(flow.device_ip()) : nullptr;
    context.resolved = passive_dns_.lookup(flow.device_ip(), flow.remote_ip(), flow.first_us);
    FlowRecord r = enricher_.enrich(output, context);
    bool flagged = !r.severity.empty();
    if (output.final && ends.device) ends.device->note_judged(judging_kind(context), flow.first_us);
    if (output.final) {
        ++counters_.flows_written;
        if (flagged) ++counters_.alerts;
    }
    if (sink_) sink_->on_flow_record(r, flow_device(context));
    std::vector<HeldPacket> packets = hold_.take(flow, r.uid, flagged, output.final);
    std::string uid = packets.empty() ? std::string() : r.uid;
    store_->submit(std::move(r));
    store_evidence_packets(uid, std::move(packets));
}

// After the flow's record, so that the writer finds its row.
void Sensor::store_evidence_packets(const std::string& uid, std::vector<HeldPacket> packets) {
    if (packets.empty()) return;
    counters_.evidence_packets += packets.size();
    store_->submit(EvidencePacketsRecord{uid, std::move(packets)});
}

void Sensor::emit_late_alerts() {
    for (const FlowRecord& r : store_->take_late_alerts()) {
        ++counters_.alerts;
        ++counters_.late_alerts;
        store_evidence_packets(r.uid, hold_.take_ended(r.uid));
        if (!sink_) continue;
        FlowDevice context;
        if (auto ip = IpAddress::parse(r.device_ip))
            if (const DeviceState* device = identity_.identity_of(*ip)) context = {to_string(device->kind), device->vendor};
        sink_->on_flow_record(r, context);
    }
}

void Sensor::write_open_flows() {
    drain(true);
    identity_.note_time(clock_us_);
    emit_flows(flows_->snapshot_changed());
    after_writing_open_flows();
}

void Sensor::after_writing_open_flows() {
    identity_.write_changed();
    emit_late_alerts();
    hold_.age();
}

void Sensor::on_clock(int64_t wall_us) {
    drain(true);
    identity_.note_time(clock_us_);
    if (schedule_.expiry_due_idle(wall_us)) emit_flows(flows_->expire(wall_us));
    if (schedule_.flush_due_idle(wall_us)) write_open_flows();
}

void Sensor::record_capture_stats(const std::string& source, int64_t start_us, int64_t end_us,
                                  uint64_t dropped) {
    drain(true);
    CaptureStatsRecord r;
    r.source = source;
    r.start_us = start_us;
    r.end_us = end_us;
    r.packets = counters_.packets - counters_at_last_stats_.packets;
    r.bytes = counters_.bytes - counters_at_last_stats_.bytes;
    r.malformed = counters_.malformed - counters_at_last_stats_.malformed;
    r.dropped = dropped;
    r.flows_evicted = flows_->evicted();
    r.dns_evicted = passive_dns_.evicted();
    r.dns_dropped = counters_.dns_dropped;
    r.devices_evicted = identity_.devices_evicted();
    r.dhcp_hints_evicted = counters_.dhcp_hints_evicted;
    r.bad_timestamps = counters_.bad_timestamps;
    r.time_outliers = counters_.time_outliers;
    r.lane_dropped = counters_.lane_dropped;
    r.evidence_packets_not_kept = hold_.not_kept() - not_kept_at_last_stats_;
    not_kept_at_last_stats_ = hold_.not_kept();
    counters_at_last_stats_ = counters_;
    store_->submit(std::move(r));
}

bool Sensor::finish() {
    if (held_) {
        OutlierPacket held = std::move(*held_);
        held_.reset();
        process_at(held.linktype, held.header, held.frame.data(), false, held.ts_us);
    }
    drain(true);
    identity_.note_time(clock_us_);  // the last packet's time, as every packet once noted it
    emit_flows(flows_->end_all());
    flows_->stop_workers();
    identity_.write_changed();
    bool stored = store_->flush();
    emit_late_alerts();
    return stored && store_->close();
}

}  // namespace egresswatch
