#include "egresswatch/device_identity.hpp"

#include <iostream>
#include <string_view>

namespace egresswatch {

void report_bound(bool& reported, const std::string& message) {
    if (reported) return;
    reported = true;
    std::cerr << "egresswatchd: " << message << "\n";
}

namespace {

// The kind of device that uses a vendor cloud, if the domain is one.
std::optional<DeviceKind> kind_from_cloud(const DomainRule& rule) {
    if (rule.domain_class == DomainClass::camera_cloud) return DeviceKind::camera;
    if (rule.domain_class == DomainClass::iot_cloud) return DeviceKind::iot;
    return std::nullopt;
}

// "Xiongmai XMEye cloud" -> "Xiongmai XMEye": the vendor a cloud rule names.
std::string vendor_from_cloud_label(const std::string& label) {
    constexpr std::string_view suffix = " cloud";
    if (label.size() > suffix.size() && label.compare(label.size() - suffix.size(), suffix.size(), suffix) == 0)
        return label.substr(0, label.size() - suffix.size());
    return label;
}

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

// A parser of a message with a hint, as a parser of the hint alone.
template <class Message>
auto hint_of(std::optional<Message> (*parse)(const uint8_t*, size_t)) {
    return [parse](const uint8_t* data, size_t length) -> std::optional<DeviceHint> {
        auto message = parse(data, length);
        if (!message) return std::nullopt;
        return std::move(message->hint);
    };
}

std::optional<DeviceHint> mdns_hint(const uint8_t* data, size_t length) {
    auto message = parse_dns_message(data, length);
    if (!message) return std::nullopt;
    return parse_mdns_hints(*message);
}

}  // namespace

DeviceIdentity::DeviceIdentity(OuiRegistry oui, std::unique_ptr<Inventory> inventory,
                               std::shared_ptr<const Rules> rules, std::vector<Cidr> local_networks,
                               size_t max_devices, RecordsOut out)
    : oui_(std::move(oui)),
      inventory_(std::move(inventory)),
      rules_(std::move(rules)),
      local_networks_(std::move(local_networks)),
      max_devices_(max_devices),
      out_(std::move(out)),
      registry_(oui_, inventory_.get(), max_devices) {}

bool DeviceIdentity::is_local(const IpAddress& address) const {
    for (const auto& net : local_networks_)
        if (net.contains(address)) return true;
    return false;
}

DeviceState* DeviceIdentity::observe(const IpAddress& ip, const MacAddress* mac, int64_t first_us, int64_t last_us) {
    if (!is_local(ip) || ip.is_group_or_unspecified()) return nullptr;
    DeviceState* device = &registry_.observe(ip, mac, first_us, last_us, *rules_);
    if (registry_.evicted() > 0)
        report_bound(reported_devices_, "more devices than --max-devices " + std::to_string(max_devices_) +
                                            ": the least recently seen is written to the store and forgotten "
                                            "(capture_stats.devices_evicted)");
    // Evicted devices wait for the next flush, but not in their thousands.
    if (registry_.evicted_waiting() >= 256) write_evicted();
    return device;
}

void DeviceIdentity::learn_from_dhcp(const DecodedPacket& p, int64_t ts_us) {
    const MacAddress* src_mac = p.has_src_mac ? &p.src_mac : nullptr;
    auto dhcp = parse_dhcp(p.payload, p.payload_captured);
    if (!dhcp) return;
    if (dhcp->op == 2 && src_mac) registry_.note_router(*src_mac);  // a DHCP server or relay: a router
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
}

void DeviceIdentity::learn_from_announcement(Announcement protocol, const DecodedPacket& p, int64_t ts_us) {
    const uint8_t* data = p.payload;
    size_t length = p.payload_captured;
    const ClassifiedHint* hint = nullptr;
    int strength = signal_strength::self_announced;
    switch (protocol) {
    case Announcement::mdns:
        hint = announced_hint(protocol, data, length, mdns_hint);
        strength = signal_strength::names_itself;
        break;
    case Announcement::ssdp:
        hint = announced_hint(protocol, data, length, hint_of(parse_ssdp));
        strength = signal_strength::names_itself;
        break;
    case Announcement::ws_discovery: hint = announced_hint(protocol, data, length, hint_of(parse_ws_discovery)); break;
    case Announcement::sadp: hint = announced_hint(protocol, data, length, hint_of(parse_hikvision_sadp)); break;
    case Announcement::dahua: hint = announced_hint(protocol, data, length, hint_of(parse_dahua_discovery)); break;
    }
    if (hint) apply_hint(p.src_ip, p.has_src_mac ? &p.src_mac : nullptr, *hint, strength, ts_us);
}

// A DHCP client's hint, kept until the server's answer gives it an address.
// At most max_devices wait; beyond that the least recently heard goes.
void DeviceIdentity::remember_dhcp_hint(const MacAddress& mac, const DeviceHint& hint, int strength) {
    std::string key = mac_to_string(mac);
    auto it = hints_by_mac_.find(key);
    if (it != hints_by_mac_.end()) {
        it->second.hint = hint;
        it->second.strength = strength;
        hint_recency_.splice(hint_recency_.end(), hint_recency_, it->second.recency);
        return;
    }
    if (hints_by_mac_.size() >= max_devices_) {
        hints_by_mac_.erase(hint_recency_.front());
        hint_recency_.pop_front();
        ++dhcp_hints_evicted_;
        report_bound(reported_hints_, "more DHCP clients wait for an address than --max-devices " +
                                          std::to_string(max_devices_) +
                                          ": the least recently heard one's hints are dropped "
                                          "(capture_stats.dhcp_hints_evicted)");
    }
    auto recency = hint_recency_.insert(hint_recency_.end(), key);
    hints_by_mac_.emplace(std::move(key), PendingHint{hint, strength, recency});
}

DeviceIdentity::ClassifiedHint DeviceIdentity::classified(DeviceHint hint) {
    ClassifiedHint c;
    for (const auto& evidence : hint.evidence) {
        c.kinds.push_back(classify_evidence(evidence));
        if (evidence.rfind("dhcp-hostname:", 0) == 0) c.from_dhcp = true;
    }
    c.hint = std::move(hint);
    return c;
}

template <class Parse>
const DeviceIdentity::ClassifiedHint* DeviceIdentity::announced_hint(Announcement protocol, const uint8_t* data,
                                                                     size_t length, Parse parse) {
    constexpr size_t kMaxAnnouncements = 1024;
    std::string_view payload(reinterpret_cast<const char*>(data), length);
    uint64_t key = std::hash<std::string_view>{}(payload) ^
                   (static_cast<uint64_t>(protocol) + 1) * 0x9e3779b97f4a7c15ull;
    auto it = announcements_.find(key);
    if (it != announcements_.end() && it->second.protocol == protocol && it->second.payload == payload)
        return it->second.hint ? &*it->second.hint : nullptr;
    if (it == announcements_.end() && announcements_.size() >= kMaxAnnouncements) announcements_.clear();
    KnownAnnouncement& a = announcements_[key];
    a.protocol = protocol;
    a.payload.assign(payload);
    a.hint.reset();
    if (std::optional<DeviceHint> hint = parse(data, length)) a.hint = classified(std::move(*hint));
    return a.hint ? &*a.hint : nullptr;
}

void DeviceIdentity::apply_hint(const IpAddress& ip, const MacAddress* mac, const ClassifiedHint& classified,
                                int strength, int64_t ts_us) {
    const DeviceHint& hint = classified.hint;
    if (hint.empty()) return;
    DeviceState* device = observe(ip, mac, ts_us, ts_us);
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

void DeviceIdentity::note_dns_answer(const DecodedPacket& p, int64_t ts_us) {
    const IpAddress& client = p.dst_ip;
    // An internal device answering another's query resolves for the LAN (a
    // router, a site resolver): it is not identified by the names it resolves.
    if (p.src_ip != client && is_local(client) && !client.is_group_or_unspecified())
        if (DeviceState* resolver = observe(p.src_ip, p.has_src_mac ? &p.src_mac : nullptr, ts_us, ts_us))
            resolver->answered_dns_client(client);
}

void DeviceIdentity::note_dns_lookup(const IpAddress& client, const MacAddress* mac, const ResolvedName& name,
                                     int64_t ts_us) {
    const DomainRule* rule = rules_->match_domain(name.query);
    for (size_t i = 0; !rule && i < name.aliases.size(); ++i) rule = rules_->match_domain(name.aliases[i]);
    if (auto kind = rule ? kind_from_cloud(*rule) : std::nullopt) {
        if (DeviceState* device = observe(client, mac, ts_us, ts_us)) {
            device->add_evidence("dns:" + name.query, *kind, signal_strength::vendor_cloud);
            device->infer_vendor(vendor_from_cloud_label(rule->label), true);
        }
    }
}

FlowEnds DeviceIdentity::observe_flow(const FlowOutput& output) {
    const FlowData& flow = output.flow;
    FlowEnds ends;
    ends.device = observe(flow.device_ip(), flow.has_device_mac ? &flow.device_mac : nullptr, flow.first_us,
                          flow.last_us);
    if (flow.remote_is_local)
        ends.remote = observe(flow.remote_ip(), flow.has_remote_mac ? &flow.remote_mac : nullptr, flow.first_us,
                              flow.last_us);
    // The link-layer end of a conversation with the Internet is the gateway:
    // a router, whose MAC fronts many addresses and makes no box.
    if (!flow.remote_is_local && flow.has_remote_mac) registry_.note_router(flow.remote_mac);
    identify_from_flow(output, ends.device, ends.remote);
    return ends;
}

void DeviceIdentity::identify_from_flow(const FlowOutput& output, DeviceState* device, DeviceState* remote_device) {
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
void DeviceIdentity::device_record(const IpAddress& ip, DeviceState& device, const DeviceState& box,
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
    records.emplace_back(std::move(r));
    device.dirty = false;
    // Identified (or re-identified) after some of its flows were judged:
    // judge them again, once the device row above says what it is now. Only
    // those judged with another kind: of this run, those that began by the
    // last of them (most devices are identified before most of their flows
    // end); of earlier runs, all. Re-reading every flow of every identified
    // device was most of the writer's work after the end of a week of real
    // traffic. A device evicted at --max-devices may have had flows judged by
    // a state now gone: then all of them.
    std::optional<int64_t> stale_until;  // the latest first_seen judged with another kind
    for (std::size_t k = 0; k < kDeviceKindCount; ++k)
        if (k != static_cast<std::size_t>(box.kind) && device.judged_first_us[k])
            stale_until = std::max(stale_until.value_or(INT64_MIN), *device.judged_first_us[k]);
    auto request = [&](std::optional<int64_t> until_us, bool earlier_runs_only) {
        RejudgeRequest r{ip.to_string(), 0, until_us, "re-judged:" + box.kind_evidence, last_packet_us_, rules_};
        r.earlier_runs_only = earlier_runs_only;
        rejudge.push_back(std::move(r));
    };
    bool earlier_stale = box.kind != device.judged_kind;
    if (registry_.evicted() > 0 && (earlier_stale || stale_until)) {
        request(std::nullopt, false);
    } else {
        // until is exclusive (none past the last microsecond there is)
        if (stale_until) request(*stale_until < INT64_MAX ? std::optional(*stale_until + 1) : std::nullopt, false);
        if (earlier_stale) request(std::nullopt, true);
    }
    device.judged_kind = box.kind;
    device.judged_first_us = {};
}

// Devices evicted at the --max-devices cap: what changed is written before
// they are forgotten (a device seen again starts afresh, and its row is
// updated as before).
void DeviceIdentity::write_evicted() {
    std::vector<StoreRecord> records;
    std::vector<RejudgeRequest> rejudge;
    for (auto& [ip, device] : registry_.take_evicted())
        if (device.dirty) device_record(ip, device, device, std::nullopt, records, rejudge);
    for (auto& request : rejudge) records.emplace_back(std::move(request));
    if (!records.empty()) out_(std::move(records));
}

void DeviceIdentity::write_changed() {
    write_evicted();
    std::vector<StoreRecord> records;
    std::vector<RejudgeRequest> rejudge;
    registry_.spread_changes();
    for (auto& [ip, device] : registry_.all())
        if (device.dirty) device_record(ip, device, registry_.box_state(ip), registry_.box_of(ip), records, rejudge);
    for (auto& request : rejudge) records.emplace_back(std::move(request));
    if (!records.empty()) out_(std::move(records));
}

}  // namespace egresswatch
