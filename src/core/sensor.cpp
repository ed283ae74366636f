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
      devices_(oui_, inventory_.get()),
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

void Sensor::process(int linktype, const pcap_pkthdr& header, const uint8_t* frame, bool frame_stays) {
    ++counters_.packets;
    counters_.bytes += header.caplen;
    int64_t ts_us = to_us(header.ts);
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
    return &devices_.observe(ip, mac, first_us, last_us, *rules_);
}

namespace {

std::string vendor_from_cloud_label(const std::string& label);

// The kind of device that uses a vendor cloud, if the domain is one.
std::optional<DeviceKind> kind_from_cloud(const DomainRule& rule) {
    if (rule.domain_class == DomainClass::camera_cloud) return DeviceKind::camera;
    if (rule.domain_class == DomainClass::iot_cloud) return DeviceKind::iot;
    return std::nullopt;
}

std::optional<DeviceKind> kind_of(std::string_view hint) {
    if (hint.empty()) return std::nullopt;
    return parse_device_kind(hint);
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
        if (auto message = parse_dns_message(data, length))
            apply_hint(p.src_ip, src_mac, parse_mdns_hints(*message), signal_strength::names_itself, ts_us);
        return;
    case Payload::dhcp: {
        auto dhcp = parse_dhcp(data, length);
        if (!dhcp) return;
        if (dhcp->op == 1) {  // from the client: about the client
            const IpAddress* ip = dhcp->client_ip ? &*dhcp->client_ip
                                  : dhcp->requested_ip ? &*dhcp->requested_ip
                                  : p.src_ip.is_group_or_unspecified() ? nullptr : &p.src_ip;
            const MacAddress* mac = dhcp->client_mac ? &*dhcp->client_mac : src_mac;
            if (ip) apply_hint(*ip, mac, dhcp->hint, signal_strength::names_itself, ts_us);
            else if (mac) hints_by_mac_[mac_to_string(*mac)] = {dhcp->hint, signal_strength::names_itself};
        } else if (dhcp->your_ip && dhcp->client_mac) {  // the server's answer binds MAC to IP
            auto pending = hints_by_mac_.find(mac_to_string(*dhcp->client_mac));
            if (pending != hints_by_mac_.end()) {
                apply_hint(*dhcp->your_ip, &*dhcp->client_mac, pending->second.first, pending->second.second, ts_us);
                hints_by_mac_.erase(pending);
            }
        }
        return;
    }
    case Payload::ssdp:
        if (auto ssdp = parse_ssdp(data, length)) apply_hint(p.src_ip, src_mac, ssdp->hint, signal_strength::names_itself, ts_us);
        return;
    case Payload::ws_discovery:
        if (auto wsd = parse_ws_discovery(data, length))
            apply_hint(p.src_ip, src_mac, wsd->hint, signal_strength::self_announced, ts_us);
        return;
    case Payload::sadp:
        if (auto sadp = parse_hikvision_sadp(data, length))
            apply_hint(p.src_ip, src_mac, sadp->hint, signal_strength::self_announced, ts_us);
        return;
    case Payload::dahua:
        if (auto dahua = parse_dahua_discovery(data, length))
            apply_hint(p.src_ip, src_mac, dahua->hint, signal_strength::self_announced, ts_us);
        return;
    }
}

void Sensor::apply_hint(const IpAddress& ip, const MacAddress* mac, const DeviceHint& hint, int strength,
                        int64_t ts_us) {
    if (hint.empty()) return;
    DeviceState* device = observe_device(ip, mac, ts_us, ts_us);
    if (!device) return;
    for (const auto& evidence : hint.evidence)
        device->add_evidence(evidence, kind_of(classify_evidence(evidence)),
                             classify_evidence(evidence).empty() ? signal_strength::note : strength);
    // The name a device gives itself in DHCP is the one operators know; the
    // other protocols only fill in where DHCP was not seen.
    bool from_dhcp = std::any_of(hint.evidence.begin(), hint.evidence.end(),
                                 [](const std::string& e) { return e.rfind("dhcp-hostname:", 0) == 0; });
    if (hint.hostname && device->hostname != *hint.hostname && (from_dhcp || device->hostname.empty())) {
        device->hostname = *hint.hostname;
        device->dirty = true;
    }
    if (hint.vendor) device->infer_vendor(*hint.vendor);
}

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
    // Follow the CNAME chain from the question so that only answers for it count.
    ResolvedName resolved{message.qname, {}};
    std::string current = message.qname;
    for (size_t hops = 0; hops < 16; ++hops) {
        auto next = std::find_if(message.answers.begin(), message.answers.end(), [&](const DnsRecord& r) {
            return r.type == dns_type::cname && r.name == current;
        });
        if (next == message.answers.end()) break;
        current = next->target;
        resolved.aliases.push_back(current);
    }
    auto in_chain = [&](const std::string& name) {
        return name == message.qname ||
               std::find(resolved.aliases.begin(), resolved.aliases.end(), name) != resolved.aliases.end();
    };
    std::vector<StoreRecord> observations;
    std::vector<IpAddress> named;  // for the packet hold
    std::string transport = p.ip_protocol == 6 ? "tcp" : "udp";
    for (const auto& answer : message.answers) {
        bool address = answer.type == dns_type::a || answer.type == dns_type::aaaa;
        if (!address && answer.type != dns_type::cname) continue;
        if (address && in_chain(answer.name) && !client.is_group_or_unspecified()) {
            dns_cache_.remember(client, answer.address, resolved, answer.ttl, ts_us);
            named.push_back(answer.address);
        }
        DnsObservation o;
        o.time_us = ts_us;
        o.client_ip = client.to_string();
        o.resolver_ip = p.src_ip.to_string();
        o.transport = transport;
        o.query = message.qname;
        o.name = answer.name;
        o.type = dns_type_name(answer.type);
        o.answer = address ? answer.address.to_string() : answer.target;
        o.ttl = answer.ttl;
        observations.emplace_back(std::move(o));
        ++counters_.dns_answers;
    }
    if (!observations.empty()) store_.submit(std::move(observations));
    if (inspecting_.frame && !named.empty())
        hold_.add_dns_answer(client, named, inspecting_.linktype, *inspecting_.header, inspecting_.frame);

    const DomainRule* rule = rules_->match_domain(message.qname);
    for (size_t i = 0; !rule && i < resolved.aliases.size(); ++i) rule = rules_->match_domain(resolved.aliases[i]);
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
    c.ip_packets.fetch_add(1, std::memory_order_relaxed);
    int64_t ts_us = to_us(header.ts);
    uint64_t index = lane_packet_index_.fetch_add(1, std::memory_order_relaxed) + 1;
    flows_->process_on_lane(lane, packet, ts_us, index);
    hold_.add(packet, index, linktype, header, frame);
    if (needs_inspection(packet)) {
        std::lock_guard lock(inspect_mutex_);
        to_inspect_.push_back({linktype, header, std::vector<uint8_t>(frame, frame + header.caplen)});
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
    }
    std::vector<InspectedFrame> frames;
    {
        std::lock_guard lock(inspect_mutex_);
        frames.swap(to_inspect_);
    }
    for (const auto& f : frames) {
        DecodedPacket packet;
        if (decode_packet(f.linktype, f.frame.data(), f.header.caplen, f.header.len, packet) != DecodeStatus::ok)
            continue;
        int64_t ts_us = to_us(f.header.ts);
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
    facts.device_kind = device ? device->kind : DeviceKind::other;
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
        if (device) context = {to_string(device->kind), device->vendor};
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

void Sensor::emit_devices() {
    std::vector<StoreRecord> records;
    std::vector<RejudgeRequest> rejudge;
    for (auto& [ip, device] : devices_.all()) {
        if (!device.dirty) continue;
        DeviceRecord r;
        r.ip = ip.to_string();
        if (device.has_mac) r.mac = mac_to_string(device.mac);
        if (!device.vendor.empty()) r.vendor = device.vendor;
        if (!device.vendor_country.empty()) r.vendor_country = device.vendor_country;
        r.kind = to_string(device.kind);
        r.identified_by = device.identified_by;
        if (!device.hostname.empty()) r.hostname = device.hostname;
        if (!device.label.empty()) r.label = device.label;
        if (!device.site.empty()) r.site = device.site;
        r.first_us = device.first_us;
        r.last_us = device.last_us;
        if (config_.on_device_record) config_.on_device_record(r);
        records.emplace_back(std::move(r));
        device.dirty = false;
        // Identified (or re-identified) after some of its flows were judged:
        // judge them again, once the device row above says what it is now.
        if (device.kind != device.judged_kind) {
            device.judged_kind = device.kind;
            rejudge.push_back(RejudgeRequest{ip.to_string(), 0, "re-judged:" + device.kind_evidence,
                                             last_packet_us_, rules_});
        }
    }
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
            if (const DeviceState* device = devices_.find(*ip)) context = {to_string(device->kind), device->vendor};
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
    r.evidence_packets_not_kept = hold_.not_kept() - not_kept_at_last_stats_;
    not_kept_at_last_stats_ = hold_.not_kept();
    counters_at_last_stats_ = counters_;
    store_.submit(std::move(r));
}

bool Sensor::finish() {
    stop_lanes();
    emit_flows(flows_->end_all());
    emit_devices();
    bool stored = store_.flush();
    emit_late_alerts();
    return stored && store_.close();
}

}  // namespace egresswatch
