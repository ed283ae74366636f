#include "egresswatch/sensor.hpp"

#include <string_view>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>

#include "egresswatch/clock.hpp"
#include "egresswatch/community_id.hpp"

namespace egresswatch {
namespace {

std::string new_run_id() {
    std::random_device device;
    std::ostringstream id;
    id << std::hex << device() << device();
    return id.str();
}

}  // namespace

std::string transport_name(uint8_t ip_protocol, uint8_t ip_version) {
    switch (ip_protocol) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return ip_version == 6 ? "icmpv6" : "ip-58";
    case 132: return "sctp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    default: return "ip-" + std::to_string(ip_protocol);
    }
}

Sensor::Sensor(SensorConfig config)
    : config_(std::move(config)),
      rules_(std::make_shared<const Rules>(Rules::load(config_.rules_dir, config_.home_country))),
      geo_(std::make_unique<GeoLocator>(config_.geoip_dirs)),
      oui_(OuiRegistry::load(config_.oui_dir)),
      inventory_(config_.inventory_file.empty() ? nullptr
                                                : std::make_unique<Inventory>(Inventory::load(config_.inventory_file))),
      devices_(oui_, inventory_.get(), config_.max_devices),
      dns_cache_(config_.dns_cache_bytes),
      store_(config_.store_path),
      run_id_(new_run_id()),
      hold_([this] {
          PacketHoldConfig evidence = config_.evidence;
          evidence.vlan_in_key = config_.vlan_in_flow_key;
          return evidence;
      }()) {
    FlowShardConfig shards;
    shards.max_flows = config_.max_flows;
    shards.timeouts = config_.timeouts;
    shards.is_local = [this](const IpAddress& a) { return is_local(a); };  // reads the configuration only
    shards.custom_protocols_file = (std::filesystem::path(config_.rules_dir) / "ndpi_protos.txt").string();
    shards.vlan_in_key = config_.vlan_in_flow_key;
    flows_ = std::make_unique<FlowWorkers>(config_.workers, shards);
    store_.submit(MetaRecord{"sensor.version", EGRESSWATCH_VERSION});
    store_.submit(MetaRecord{"geoip", geo_->describe()});
    store_.submit(MetaRecord{"rules", rules_->directory() + " (" + std::to_string(rules_->entry_count()) + " entries)"});
    store_.submit(MetaRecord{"home_country", config_.home_country});
}

Sensor::~Sensor() = default;

void Sensor::reload() {
    // Build both before replacing either: a failure leaves the old ones intact.
    auto rules = std::make_shared<const Rules>(Rules::load(config_.rules_dir, config_.home_country));
    auto geo = std::make_unique<GeoLocator>(config_.geoip_dirs);
    rules_ = std::move(rules);
    geo_ = std::move(geo);
    store_.submit(MetaRecord{"geoip", geo_->describe()});
    store_.submit(MetaRecord{"rules", rules_->directory() + " (" + std::to_string(rules_->entry_count()) + " entries)"});
}

bool Sensor::is_local(const IpAddress& address) const {
    for (const auto& net : config_.local_networks)
        if (net.contains(address)) return true;
    return false;
}

void Sensor::report_bound(bool& reported, const std::string& message) {
    if (reported) return;
    reported = true;
    std::cerr << "egresswatchd: " << message << "\n";
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
void Sensor::process(int linktype, const pcap_pkthdr& header, const uint8_t* frame, bool frame_stays) {
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

void Sensor::process_at(int linktype, const pcap_pkthdr& header, const uint8_t* frame, bool frame_stays,
                        int64_t ts_us) {
    ++counters_.packets;
    counters_.bytes += header.caplen;
    clock_us_ = std::max(clock_us_, ts_us);
    last_time_used_us_ = std::max(last_time_used_us_, ts_us);
    last_packet_us_ = std::max(last_packet_us_, ts_us);

    DecodedPacket packet;
    switch (decode_packet(linktype, frame, header.caplen, header.len, packet)) {
    case DecodeStatus::ok: break;
    case DecodeStatus::not_ip: ++counters_.not_ip; return;
    case DecodeStatus::malformed: ++counters_.malformed; return;
    case DecodeStatus::unsupported_link: ++counters_.unsupported_link; return;
    }
    ++counters_.ip_packets;
    // Expiry once per packet-time second (as FlowTable does alone), here so
    // that every worker's table expires at the same point of the capture.
    if (ts_us - last_expiry_us_ >= 1'000'000 || ts_us < last_expiry_us_) {
        last_expiry_us_ = ts_us;
        emit_flows(flows_->expire(ts_us));
    }
    flows_->process(header, frame, packet, ts_us, counters_.packets, frame_stays);
    hold_.add(packet, counters_.packets, linktype, header, frame);
    inspecting_ = {linktype, &header, frame};
    inspect_payload(packet, ts_us);
    inspecting_ = {};

    if (last_flush_us_ == 0) last_flush_us_ = ts_us;
    if (ts_us - last_flush_us_ >= config_.flush_interval_us) flush_open(ts_us);
}

DeviceState* Sensor::observe_device(const IpAddress& ip, const MacAddress* mac, int64_t first_us,
                                    int64_t last_us) {
    if (!is_local(ip) || ip.is_group_or_unspecified()) return nullptr;
    DeviceState* device = &devices_.observe(ip, mac, first_us, last_us, *rules_);
    if (devices_.evicted() > 0)
        report_bound(reported_devices_, "more devices than --max-devices " + std::to_string(config_.max_devices) +
                                            ": the least recently seen is written to the store and forgotten "
                                            "(capture_stats.devices_evicted)");
    // Evicted devices wait for the next flush, but not in their thousands.
    if (devices_.evicted_waiting() >= 256) write_evicted_devices();
    return device;
}

namespace {

std::string vendor_from_cloud_label(const std::string& label);

// The kind of device that uses a vendor cloud, if the domain is one.
std::optional<DeviceKind> kind_from_cloud(const DomainRule& rule) {
    if (rule.domain_class == DomainClass::camera_cloud) return DeviceKind::camera;
    if (rule.domain_class == DomainClass::iot_cloud) return DeviceKind::iot;
    return std::nullopt;
}

}  // namespace

namespace {

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

// A parser of a message with a hint, as a parser of the hint alone.
template <class Message>
auto hint_of(std::optional<Message> (*parse)(const uint8_t*, size_t)) {
    return [parse](const uint8_t* data, size_t length) -> std::optional<DeviceHint> {
        auto message = parse(data, length);
        if (!message) return std::nullopt;
        return std::move(message->hint);
    };
}

}  // namespace

bool Sensor::needs_inspection(const DecodedPacket& p) { return payload_of(p) != Payload::none; }

// Application payloads that tell who a device is or which names it uses. Only
// a few well-known ports are looked at (payload_of), so most packets return at once.
void Sensor::inspect_payload(const DecodedPacket& p, int64_t ts_us) {
    const uint8_t* data = p.payload;
    size_t length = p.payload_captured;
    const MacAddress* src_mac = p.has_src_mac ? &p.src_mac : nullptr;
    switch (payload_of(p)) {
    case Payload::none: return;
    case Payload::dns_tcp: {
        DnsTcpResult result = parse_dns_tcp_segment(data, length);
        for (const auto& message : result.messages) learn_dns_answers(message, p, ts_us);
        return;
    }
    case Payload::dns:
        if (auto message = parse_dns_message(data, length)) learn_dns_answers(*message, p, ts_us);
        return;
    case Payload::mdns:
        if (auto hint = announced_hint(static_cast<int>(Payload::mdns), data, length,
                                       [](const uint8_t* d, size_t n) -> std::optional<DeviceHint> {
                                           auto message = parse_dns_message(d, n);
                                           if (!message) return std::nullopt;
                                           return parse_mdns_hints(*message);
                                       }))
            apply_hint(p.src_ip, src_mac, *hint, signal_strength::names_itself, ts_us);
        return;
    case Payload::dhcp: {
        auto dhcp = parse_dhcp(data, length);
        if (!dhcp) return;
        if (dhcp->op == 2 && src_mac) devices_.note_router(*src_mac);  // a DHCP server or relay: a router
        if (dhcp->op == 1) {  // from the client: about the client
            const IpAddress* ip = dhcp->client_ip ? &*dhcp->client_ip
                                  : dhcp->requested_ip ? &*dhcp->requested_ip
                                  : p.src_ip.is_group_or_unspecified() ? nullptr : &p.src_ip;
            const MacAddress* mac = dhcp->client_mac ? &*dhcp->client_mac : src_mac;
            if (ip) apply_hint(*ip, mac, classified(std::move(dhcp->hint)), signal_strength::names_itself, ts_us);
            else if (mac) remember_dhcp_hint(*mac, dhcp->hint, signal_strength::names_itself);
        } else if (dhcp->your_ip && dhcp->client_mac) {  // the server's answer binds MAC to IP
            auto pending = hints_by_mac_.find(mac_to_string(*dhcp->client_mac));
            if (pending != hints_by_mac_.end()) {
                PendingHint hint = std::move(pending->second);
                hint_recency_.erase(hint.recency);
                hints_by_mac_.erase(pending);
                apply_hint(*dhcp->your_ip, &*dhcp->client_mac, classified(std::move(hint.hint)), hint.strength, ts_us);
            }
        }
        return;
    }
    case Payload::ssdp:
        if (auto hint = announced_hint(static_cast<int>(Payload::ssdp), data, length, hint_of(parse_ssdp)))
            apply_hint(p.src_ip, src_mac, *hint, signal_strength::names_itself, ts_us);
        return;
    case Payload::ws_discovery:
        if (auto hint = announced_hint(static_cast<int>(Payload::ws_discovery), data, length,
                                       hint_of(parse_ws_discovery)))
            apply_hint(p.src_ip, src_mac, *hint, signal_strength::self_announced, ts_us);
        return;
    case Payload::sadp:
        if (auto hint = announced_hint(static_cast<int>(Payload::sadp), data, length, hint_of(parse_hikvision_sadp)))
            apply_hint(p.src_ip, src_mac, *hint, signal_strength::self_announced, ts_us);
        return;
    case Payload::dahua:
        if (auto hint = announced_hint(static_cast<int>(Payload::dahua), data, length,
                                       hint_of(parse_dahua_discovery)))
            apply_hint(p.src_ip, src_mac, *hint, signal_strength::self_announced, ts_us);
        return;
    }
}

// A DHCP client's hint, kept until the server's answer gives it an address.
// At most max_devices wait; beyond that the least recently heard goes.
void Sensor::remember_dhcp_hint(const MacAddress& mac, const DeviceHint& hint, int strength) {
    std::string key = mac_to_string(mac);
    auto it = hints_by_mac_.find(key);
    if (it != hints_by_mac_.end()) {
        it->second.hint = hint;
        it->second.strength = strength;
        hint_recency_.splice(hint_recency_.end(), hint_recency_, it->second.recency);
        return;
    }
    if (hints_by_mac_.size() >= config_.max_devices) {
        hints_by_mac_.erase(hint_recency_.front());
        hint_recency_.pop_front();
        ++counters_.dhcp_hints_evicted;
        report_bound(reported_hints_, "more DHCP clients wait for an address than --max-devices " +
                                          std::to_string(config_.max_devices) +
                                          ": the least recently heard one's hints are dropped "
                                          "(capture_stats.dhcp_hints_evicted)");
    }
    auto recency = hint_recency_.insert(hint_recency_.end(), key);
    hints_by_mac_.emplace(std::move(key), PendingHint{hint, strength, recency});
}

Sensor::ClassifiedHint Sensor::classified(DeviceHint hint) {
    constexpr size_t kMaxEvidenceKinds = 4096;
    ClassifiedHint c;
    for (const auto& evidence : hint.evidence) {
        auto known = evidence_kinds_.find(evidence);
        if (known == evidence_kinds_.end()) {
            if (evidence_kinds_.size() >= kMaxEvidenceKinds) evidence_kinds_.clear();
            known = evidence_kinds_.emplace(evidence, classify_evidence(evidence)).first;
        }
        c.kinds.push_back(known->second);
        if (evidence.rfind("dhcp-hostname:", 0) == 0) c.from_dhcp = true;
    }
    c.hint = std::move(hint);
    return c;
}

template <class Parse>
const Sensor::ClassifiedHint* Sensor::announced_hint(int payload_kind, const uint8_t* data, size_t length,
                                                     Parse parse) {
    constexpr size_t kMaxAnnouncements = 1024;
    std::string_view payload(reinterpret_cast<const char*>(data), length);
    uint64_t key = std::hash<std::string_view>{}(payload) ^ static_cast<uint64_t>(payload_kind) * 0x9e3779b97f4a7c15ull;
    auto it = announcements_.find(key);
    if (it != announcements_.end() && it->second.payload_kind == payload_kind && it->second.payload == payload)
        return it->second.hint ? &*it->second.hint : nullptr;
    if (it == announcements_.end() && announcements_.size() >= kMaxAnnouncements) announcements_.clear();
    Announcement& a = announcements_[key];
    a.payload_kind = payload_kind;
    a.payload.assign(payload);
    a.hint.reset();
    if (std::optional<DeviceHint> hint = parse(data, length)) a.hint = classified(std::move(*hint));
    return a.hint ? &*a.hint : nullptr;
}

void Sensor::apply_hint(const IpAddress& ip, const MacAddress* mac, const ClassifiedHint& classified, int strength,
                        int64_t ts_us) {
    const DeviceHint& hint = classified.hint;
    if (hint.empty()) return;
    DeviceState* device = observe_device(ip, mac, ts_us, ts_us);
    if (!device) return;
    for (size_t i = 0; i < hint.evidence.size(); ++i)
        device->add_evidence(hint.evidence[i], classified.kinds[i], classified.kinds[i] ? strength : signal_strength::note);
    // The name a device gives itself in DHCP is the one operators know; the
    // other protocols only fill in where DHCP was not seen.
    if (hint.hostname && device->hostname != *hint.hostname && (classified.from_dhcp || device->hostname.empty())) {
        device->hostname = *hint.hostname;
        device->dirty = true;
    }
    if (hint.vendor) device->infer_vendor(*hint.vendor);
}

namespace {
std::string dns_bounds_message() {
    return "a DNS response is beyond passive DNS's bounds (names of " + std::to_string(kDnsMaxNameChars) +
           " characters, " + std::to_string(kDnsMaxAliases) + " aliases, " + std::to_string(kDnsMaxAnswersKept) +
           " answers per response): the rest is counted (capture_stats.dns_dropped)";
}
}  // namespace

// Passive DNS: remembers which client resolved which name to which address,
// stores every answer, and notes clients that look up camera vendor clouds.
void Sensor::learn_dns_answers(const DnsMessage& message, const DecodedPacket& p, int64_t ts_us) {
    if (!message.is_response) return;
    const IpAddress& client = p.dst_ip;
    // An internal device answering another's query resolves for the LAN (a
    // router, a site resolver): it is not identified by the names it resolves.
    if (p.src_ip != client && is_local(client) && !client.is_group_or_unspecified())
        if (DeviceState* resolver = observe_device(p.src_ip, p.has_src_mac ? &p.src_mac : nullptr, ts_us, ts_us))
            resolver->answered_dns_client(client);
    if (message.rcode != 0 || message.qname.empty()) return;
    // Bounds per response (a forged one may carry 512 records with 255-octet
    // names, each four times longer in presentation form): at most
    // kDnsMaxAliases hops, kDnsMaxAnswersKept answers, names of at most
    // kDnsMaxNameChars characters. What is left out is counted.
    uint64_t dropped = 0;
    auto too_long = [](const std::string& name) { return name.size() > kDnsMaxNameChars; };
    if (too_long(message.qname)) {
        counters_.dns_dropped += message.answers.size() + 1;
        report_bound(reported_dns_, dns_bounds_message());
        return;
    }
    // Follow the CNAME chain from the question so that only answers for it count.
    auto resolved = std::make_shared<ResolvedName>(ResolvedName{message.qname, {}});
    std::string current = message.qname;
    for (size_t hops = 0; hops <= kDnsMaxAliases; ++hops) {
        auto next = std::find_if(message.answers.begin(), message.answers.end(), [&](const DnsRecord& r) {
            return r.type == dns_type::cname && r.name == current;
        });
        if (next == message.answers.end()) break;
        if (hops == kDnsMaxAliases || too_long(next->target)) {
            ++dropped;
            break;
        }
        current = next->target;
        resolved->aliases.push_back(current);
    }
    auto in_chain = [&](const std::string& name) {
        return name == message.qname ||
               std::find(resolved->aliases.begin(), resolved->aliases.end(), name) != resolved->aliases.end();
    };
    std::vector<StoreRecord> observations;
    std::vector<IpAddress> named;  // for the packet hold
    std::string transport = p.ip_protocol == 6 ? "tcp" : "udp";
    size_t kept = 0;
    std::string client_ip, resolver_ip;  // as text once, for the first answer
    for (const auto& answer : message.answers) {
        bool address = answer.type == dns_type::a || answer.type == dns_type::aaaa;
        if (!address && answer.type != dns_type::cname) continue;
        if (kept == kDnsMaxAnswersKept || too_long(answer.name) || (!address && too_long(answer.target))) {
            ++dropped;
            continue;
        }
        ++kept;
        if (address && in_chain(answer.name) && !client.is_group_or_unspecified()) {
            dns_cache_.remember(client, answer.address, resolved, answer.ttl, ts_us);
            named.push_back(answer.address);
        }
        DnsObservation o;
        o.time_us = ts_us;
        if (client_ip.empty()) client_ip = client.to_string(), resolver_ip = p.src_ip.to_string();
        o.client_ip = client_ip;
        o.resolver_ip = resolver_ip;
        o.transport = transport;
        o.query = message.qname;
        o.name = answer.name;
        o.type = dns_type_name(answer.type);
        o.answer = address ? answer.address.to_string() : answer.target;
        o.ttl = answer.ttl;
        observations.emplace_back(std::move(o));
        ++counters_.dns_answers;
    }
    if (dropped) {
        counters_.dns_dropped += dropped;
        report_bound(reported_dns_, dns_bounds_message());
    }
    if (dns_cache_.evicted() > 0)
        report_bound(reported_dns_evicted_, "passive DNS is full (" + std::to_string(config_.dns_cache_bytes >> 20) +
                                                " MiB): the oldest answers are evicted (capture_stats.dns_evicted)");
    if (!observations.empty()) store_.submit(std::move(observations));
    if (inspecting_.frame && !named.empty())
        hold_.add_dns_answer(client, named, inspecting_.linktype, *inspecting_.header, inspecting_.frame);

    const DomainRule* rule = rules_->match_domain(message.qname);
    for (size_t i = 0; !rule && i < resolved->aliases.size(); ++i) rule = rules_->match_domain(resolved->aliases[i]);
    if (auto kind = rule ? kind_from_cloud(*rule) : std::nullopt) {
        if (DeviceState* device = observe_device(client, p.has_dst_mac ? &p.dst_mac : nullptr, ts_us, ts_us)) {
            device->add_evidence("dns:" + message.qname, *kind, signal_strength::vendor_cloud);
            device->infer_vendor(vendor_from_cloud_label(rule->label), true);
        }
    }
}

void Sensor::start_lanes(std::function<void(size_t)> read_lane) {
    lanes_ = true;
    hold_.set_threaded();
    lane_counters_ = std::make_unique<LaneCounters[]>(static_cast<size_t>(flows_->workers()));
    flows_->start_lanes(std::move(read_lane));
}

// On lane k's thread: only its shard, its counters and the hand-over queue.
void Sensor::process_on_lane(size_t lane, int linktype, const pcap_pkthdr& header, const uint8_t* frame) {
    LaneCounters& c = lane_counters_[lane];
    c.packets.fetch_add(1, std::memory_order_relaxed);
    c.total_packets.fetch_add(1, std::memory_order_relaxed);
    c.bytes.fetch_add(header.caplen, std::memory_order_relaxed);
    DecodedPacket packet;
    switch (decode_packet(linktype, frame, header.caplen, header.len, packet)) {
    case DecodeStatus::ok: break;
    case DecodeStatus::not_ip: c.not_ip.fetch_add(1, std::memory_order_relaxed); return;
    case DecodeStatus::malformed: c.malformed.fetch_add(1, std::memory_order_relaxed); return;
    case DecodeStatus::unsupported_link: c.unsupported_link.fetch_add(1, std::memory_order_relaxed); return;
    }
    auto time = packet_time_us(header.ts);
    if (!time) {
        c.malformed.fetch_add(1, std::memory_order_relaxed);
        c.bad_timestamps.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    c.ip_packets.fetch_add(1, std::memory_order_relaxed);
    int64_t ts_us = *time;
    uint64_t index = lane_packet_index_.fetch_add(1, std::memory_order_relaxed) + 1;
    flows_->process_on_lane(lane, packet, ts_us, index);
    hold_.add(packet, index, linktype, header, frame);
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
        last_packet_us_ = std::max(last_packet_us_, ts_us);
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

void Sensor::stop_lanes() {
    if (!lanes_) return;
    flows_->stop_lanes();
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
    bool final = output.final;
    DeviceState* device = observe_device(flow.device_ip(), flow.has_device_mac ? &flow.device_mac : nullptr,
                                         flow.first_us, flow.last_us);
    DeviceState* remote_device =
        flow.remote_is_local ? observe_device(flow.remote_ip(), flow.has_remote_mac ? &flow.remote_mac : nullptr,
                                              flow.first_us, flow.last_us)
                             : nullptr;
    // The link-layer end of a conversation with the Internet is the gateway:
    // a router, whose MAC fronts many addresses and makes no box.
    if (!flow.remote_is_local && flow.has_remote_mac) devices_.note_router(flow.remote_mac);
    identify_from_flow(output, device, remote_device);

    FlowRecord r;
    r.uid = run_id_ + "-" + std::to_string(flow.sequence);
    r.first_us = flow.first_us;
    r.last_us = flow.last_us;
    if (flow.vlan_out >= 0) r.vlan = flow.vlan_out;
    if (flow.inner_vlan_out >= 0) r.inner_vlan = flow.inner_vlan_out;
    if (flow.vlan_in >= 0) r.vlan_in = flow.vlan_in;
    if (flow.inner_vlan_in >= 0) r.inner_vlan_in = flow.inner_vlan_in;
    r.ip_version = flow.ip_version;
    r.ip_protocol = flow.key.protocol;
    r.transport = transport_name(flow.key.protocol, flow.ip_version);
    r.device_ip = flow.device_ip().to_string();
    r.remote_ip = flow.remote_ip().to_string();
    bool has_ports = flow.key.protocol == 6 || flow.key.protocol == 17 || flow.key.protocol == 132 ||
                     flow.key.protocol == 136;
    if (has_ports) {
        r.device_port = flow.device_port();
        r.remote_port = flow.remote_port();
    }
    if (flow.has_device_mac) r.device_mac = mac_to_string(flow.device_mac);
    r.device_initiated = flow.device_initiated;
    // Hashed as the initiator sent it (matters for one-way ICMP messages only).
    r.community_id = flow.device_initiated
        ? community_id_v1(flow.device_ip(), flow.remote_ip(), flow.key.protocol, flow.device_port(), flow.remote_port())
        : community_id_v1(flow.remote_ip(), flow.device_ip(), flow.key.protocol, flow.remote_port(), flow.device_port());
    r.bytes_out = flow.bytes_out;
    r.bytes_in = flow.bytes_in;
    r.packets_out = flow.packets_out;
    r.packets_in = flow.packets_in;
    if (flow.classified) {
        r.app_protocol = output.app_protocol;
        r.app_category = output.app_category;
    }
    if (!flow.domain.empty()) r.domain = flow.domain;
    r.remote_local = flow.remote_is_local;
    const ResolvedName* resolved = dns_cache_.lookup(flow.device_ip(), flow.remote_ip(), flow.first_us);
    if (!r.domain && resolved) r.domain = resolved->query;
    r.closed = final;
    r.first_record = !flow.ever_written;

    FlowFacts facts;
    // The box's identity: an NVR's IPv6 flows are an NVR's too.
    const DeviceState* identity = device ? devices_.identity_of(flow.device_ip()) : nullptr;
    facts.device_kind = identity ? identity->kind : DeviceKind::other;
    facts.remote_is_local = flow.remote_is_local;
    facts.sent_data = flow.packets_out > 0;
    bool dns_port = (flow.key.protocol == 17 || flow.key.protocol == 6) &&
                    (flow.remote_port() == 53 || flow.remote_port() == 853);
    // A resolver's lookups upstream are its clients' names, judged on the
    // clients' own flows; its other traffic is judged as anyone's.
    bool resolving_for_others = dns_port && device && device->is_resolver();
    if (r.domain && !resolving_for_others) facts.domain = *r.domain;
    if (resolved && facts.domain == resolved->query) facts.domain_aliases = resolved->aliases;
    if (!flow.remote_is_local) {
        const GeoInfo& geo = geo_->lookup(flow.remote_ip());
        if (!geo.country.empty()) r.country = geo.country;
        if (geo.asn) r.asn = geo.asn;
        if (!geo.as_org.empty()) r.as_org = geo.as_org;
        facts.country = geo.country;
        facts.asn = geo.asn;
        facts.resolver_abroad = dns_port && !geo.country.empty() && geo.country != config_.home_country;
    }
    Verdict verdict = rules_->evaluate(facts);
    if (verdict.severity != Severity::none) {
        r.severity = to_string(verdict.severity);
        r.reasons = std::move(verdict.reasons);
        if (final) ++counters_.alerts;
    }
    if (final) ++counters_.flows_written;
    if (config_.on_flow_record) {
        FlowDevice context;
        if (identity) context = {to_string(identity->kind), device->vendor.empty() ? identity->vendor : device->vendor};
        config_.on_flow_record(r, context);
    }
    std::vector<HeldPacket> packets = hold_.take(flow, r.uid, !r.severity.empty(), final);
    std::string uid = packets.empty() ? std::string() : r.uid;
    store_.submit(std::move(r));
    store_evidence_packets(uid, std::move(packets));
}

// After the flow's record, so that the writer finds its row.
void Sensor::store_evidence_packets(const std::string& uid, std::vector<HeldPacket> packets) {
    if (packets.empty()) return;
    counters_.evidence_packets += packets.size();
    store_.submit(EvidencePacketsRecord{uid, std::move(packets)});
}

namespace {

// Services a camera or recorder offers on the LAN (the port the server listens on).
struct VideoService {
    uint16_t port;
    uint8_t protocol;
    const char* evidence;
};
constexpr VideoService kVideoServices[] = {
    {554, 6, "rtsp-server"},              // RTSP, RFC 2326
    {8554, 6, "rtsp-server"},             // RTSP alternate port (Hik-Connect VTM, LIVE555)
    {37777, 6, "dahua-dvrip-server"},     // Dahua SDK/DVRIP (camera-egress-facts.md)
    {34567, 6, "xiongmai-dvrip-server"},  // Xiongmai "Sofia" (camera-egress-facts.md)
    {9000, 6, "reolink-baichuan-server"}, // Reolink Baichuan (camera-egress-facts.md)
};

// "Xiongmai XMEye cloud" -> "Xiongmai XMEye": the vendor a cloud rule names.
std::string vendor_from_cloud_label(const std::string& label) {
    constexpr std::string_view suffix = " cloud";
    if (label.size() > suffix.size() && label.compare(label.size() - suffix.size(), suffix.size(), suffix) == 0)
        return label.substr(0, label.size() - suffix.size());
    return label;
}

}  // namespace

void Sensor::identify_from_flow(const FlowOutput& output, DeviceState* device, DeviceState* remote_device) {
    const FlowData& flow = output.flow;
    // A LAN end that answered on a video service port serves video.
    if (remote_device && flow.packets_in > 0 && flow.device_initiated) {
        bool rtsp_by_dpi = output.app_protocol.find("RTSP") != std::string::npos;
        for (const auto& service : kVideoServices)
            if ((service.port == flow.remote_port() && service.protocol == flow.key.protocol) ||
                (rtsp_by_dpi && std::string_view(service.evidence) == "rtsp-server")) {
                remote_device->add_evidence(std::string(service.evidence) + ":" + std::to_string(flow.remote_port()),
                                            DeviceKind::camera, signal_strength::serves_video);
                if (device && std::string_view(service.evidence) == "rtsp-server")
                    device->add_evidence("rtsp-client", DeviceKind::nvr, signal_strength::pulls_video);
                break;
            }
    }
    // Talking to a camera vendor's cloud by name (SNI or HTTP Host seen on the wire).
    if (device && !flow.domain.empty() && flow.packets_out > 0) {
        const DomainRule* rule = rules_->match_domain(flow.domain);
        if (auto kind = rule ? kind_from_cloud(*rule) : std::nullopt) {
            // nDPI's name is the DNS query on DNS flows, the Host on HTTP, else SNI.
            const std::string& app = output.app_protocol;
            const char* source = app.find("DNS") != std::string::npos    ? "dns:"
                                 : app.find("HTTP") != std::string::npos ? "http-host:"
                                                                         : "sni:";
            device->add_evidence(source + flow.domain, *kind, signal_strength::vendor_cloud);
            device->infer_vendor(vendor_from_cloud_label(rule->label), std::string_view(source) == "dns:");
        }
    }
}

// `box`: the identity of the address's box (box_state), or its own.
void Sensor::device_record(const IpAddress& ip, DeviceState& device, const DeviceState& box,
                           std::optional<MacAddress> box_mac, std::vector<StoreRecord>& records,
                           std::vector<RejudgeRequest>& rejudge) {
    DeviceRecord r;
    r.ip = ip.to_string();
    if (box.has_mac) r.mac = mac_to_string(box.mac);
    if (!box.vendor.empty()) r.vendor = box.vendor;
    if (!box.vendor_country.empty()) r.vendor_country = box.vendor_country;
    r.kind = to_string(box.kind);
    r.identified_by = box.identified_by;
    if (!box.hostname.empty()) r.hostname = box.hostname;
    if (!box.label.empty()) r.label = box.label;
    if (!box.site.empty()) r.site = box.site;
    if (box_mac) r.box = mac_to_string(*box_mac);
    r.first_us = box.first_us;
    r.last_us = box.last_us;
    if (config_.on_device_record) config_.on_device_record(r);
    records.emplace_back(std::move(r));
    device.dirty = false;
    // Identified (or re-identified) after some of its flows were judged:
    // judge them again, once the device row above says what it is now.
    if (box.kind != device.judged_kind) {
        device.judged_kind = box.kind;
        rejudge.push_back(RejudgeRequest{ip.to_string(), 0, std::nullopt, "re-judged:" + box.kind_evidence,
                                         last_packet_us_, rules_});
    }
}

// Devices evicted at the --max-devices cap: what changed is written before
// they are forgotten (a device seen again starts afresh, and its row is
// updated as before).
void Sensor::write_evicted_devices() {
    std::vector<StoreRecord> records;
    std::vector<RejudgeRequest> rejudge;
    for (auto& [ip, device] : devices_.take_evicted())
        if (device.dirty) device_record(ip, device, device, std::nullopt, records, rejudge);
    for (auto& request : rejudge) records.emplace_back(std::move(request));
    if (!records.empty()) store_.submit(std::move(records));
}

void Sensor::emit_devices() {
    write_evicted_devices();
    std::vector<StoreRecord> records;
    std::vector<RejudgeRequest> rejudge;
    devices_.spread_changes();
    for (auto& [ip, device] : devices_.all())
        if (device.dirty) device_record(ip, device, devices_.box_state(ip), devices_.box_of(ip), records, rejudge);
    for (auto& request : rejudge) records.emplace_back(std::move(request));
    if (!records.empty()) store_.submit(std::move(records));
}

void Sensor::emit_late_alerts() {
    for (const FlowRecord& r : store_.take_late_alerts()) {
        ++counters_.alerts;
        ++counters_.late_alerts;
        store_evidence_packets(r.uid, hold_.take_ended(r.uid));
        if (!config_.on_flow_record) continue;
        FlowDevice context;
        if (auto ip = IpAddress::parse(r.device_ip))
            if (const DeviceState* device = devices_.identity_of(*ip)) context = {to_string(device->kind), device->vendor};
        config_.on_flow_record(r, context);
    }
}

void Sensor::flush_open(int64_t now_us) {
    last_flush_us_ = now_us;
    emit_flows(flows_->snapshot_changed());
    emit_devices();
    emit_late_alerts();
    hold_.age();
}

void Sensor::expire_idle(int64_t now_us) {
    if (now_us - last_expiry_us_ < 1'000'000) return;  // packets did it within the second
    last_expiry_us_ = now_us;
    emit_flows(flows_->expire(now_us));
}

void Sensor::record_capture_stats(const std::string& source, int64_t start_us, int64_t end_us,
                                  uint64_t dropped) {
    CaptureStatsRecord r;
    r.source = source;
    r.start_us = start_us;
    r.end_us = end_us;
    r.packets = counters_.packets - counters_at_last_stats_.packets;
    r.bytes = counters_.bytes - counters_at_last_stats_.bytes;
    r.malformed = counters_.malformed - counters_at_last_stats_.malformed;
    r.dropped = dropped;
    r.flows_evicted = flows_->evicted();
    r.dns_evicted = dns_cache_.evicted();
    r.dns_dropped = counters_.dns_dropped;
    r.devices_evicted = devices_.evicted();
    r.dhcp_hints_evicted = counters_.dhcp_hints_evicted;
    r.bad_timestamps = counters_.bad_timestamps;
    r.time_outliers = counters_.time_outliers;
    r.lane_dropped = counters_.lane_dropped;
    r.evidence_packets_not_kept = hold_.not_kept() - not_kept_at_last_stats_;
    not_kept_at_last_stats_ = hold_.not_kept();
    counters_at_last_stats_ = counters_;
    store_.submit(std::move(r));
}

bool Sensor::finish() {
    if (held_) {
        OutlierPacket held = std::move(*held_);
        held_.reset();
        process_at(held.linktype, held.header, held.frame.data(), false, held.ts_us);
    }
    stop_lanes();
    emit_flows(flows_->end_all());
    emit_devices();
    bool stored = store_.flush();
    emit_late_alerts();
    return stored && store_.close();
}

}  // namespace egresswatch
