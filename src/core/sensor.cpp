#include "egresswatch/sensor.hpp"

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>

namespace egresswatch {
namespace {


uint32_t oui_of(const MacAddress& mac) { return uint32_t{mac[0]} << 16 | uint32_t{mac[1]} << 8 | mac[2]; }

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
      rules_(Rules::load(config_.rules_dir, config_.home_country)),
      geo_(std::make_unique<GeoLocator>(config_.geoip_dirs)),
      oui_(OuiRegistry::load(config_.oui_dir)),
      dpi_((std::filesystem::path(config_.rules_dir) / "ndpi_protos.txt").string()),
      store_(config_.store_path),
      run_id_(new_run_id()) {
    flows_ = std::make_unique<FlowTable>(
        config_.max_flows, config_.timeouts, [this](const IpAddress& a) { return is_local(a); },
        [this](Flow& flow, FlowEnd) {
            dpi_.give_up(flow);
            emit_flow(flow, true);
        });
    store_.submit(MetaRecord{"sensor.version", EGRESSWATCH_VERSION});
    store_.submit(MetaRecord{"geoip", geo_->describe()});
    store_.submit(MetaRecord{"rules", rules_.directory() + " (" + std::to_string(rules_.entry_count()) + " entries)"});
    store_.submit(MetaRecord{"home_country", config_.home_country});
}

Sensor::~Sensor() = default;

void Sensor::reload() {
    // Build both before replacing either: a failure leaves the old ones intact.
    Rules rules = Rules::load(config_.rules_dir, config_.home_country);
    auto geo = std::make_unique<GeoLocator>(config_.geoip_dirs);
    rules_ = std::move(rules);
    geo_ = std::move(geo);
    store_.submit(MetaRecord{"geoip", geo_->describe()});
    store_.submit(MetaRecord{"rules", rules_.directory() + " (" + std::to_string(rules_.entry_count()) + " entries)"});
}

bool Sensor::is_local(const IpAddress& address) const {
    for (const auto& net : config_.local_networks)
        if (net.contains(address)) return true;
    return false;
}

void Sensor::process(int linktype, const pcap_pkthdr& header, const uint8_t* frame) {
    ++counters_.packets;
    counters_.bytes += header.caplen;
    int64_t ts_us = int64_t{header.ts.tv_sec} * 1'000'000 + header.ts.tv_usec;
    last_packet_us_ = std::max(last_packet_us_, ts_us);

    DecodedPacket packet;
    switch (decode_packet(linktype, frame, header.caplen, header.len, packet)) {
    case DecodeStatus::ok: break;
    case DecodeStatus::not_ip: ++counters_.not_ip; return;
    case DecodeStatus::malformed: ++counters_.malformed; return;
    case DecodeStatus::unsupported_link: ++counters_.unsupported_link; return;
    }
    ++counters_.ip_packets;
    Flow& flow = flows_->account(packet, ts_us);
    if (!flow.dpi_done) dpi_.process(flow, packet, ts_us);

    if (last_flush_us_ == 0) last_flush_us_ = ts_us;
    if (ts_us - last_flush_us_ >= config_.flush_interval_us) flush_open(ts_us);
}

DeviceState& Sensor::observe_device(const IpAddress& ip, const MacAddress* mac, int64_t first_us,
                                    int64_t last_us) {
    auto [it, inserted] = devices_.try_emplace(ip);
    DeviceState& device = it->second;
    if (inserted) {
        device.first_us = first_us;
        device.last_us = last_us;
    }
    if (first_us < device.first_us) device.first_us = first_us, device.dirty = true;
    if (last_us > device.last_us) device.last_us = last_us, device.dirty = true;
    if (mac && (!device.has_mac || device.mac != *mac)) {
        device.mac = *mac;
        device.has_mac = true;
        device.dirty = true;
        device.vendor.clear();
        device.vendor_country.clear();
        device.identified_by.clear();
        device.kind = DeviceKind::other;
        if (const MacVendor* vendor = oui_.lookup(*mac)) {
            device.vendor = vendor->organisation;
            device.vendor_country = vendor->country;
            if (const MacVendorRule* rule = rules_.match_mac_vendor(oui_of(*mac), vendor->organisation)) {
                device.kind = rule->kind;
                device.identified_by.push_back("oui:" + vendor->organisation +
                                               (vendor->country.empty() ? "" : " (" + vendor->country + ")"));
            }
        }
    }
    if (inserted) device.dirty = true;
    return device;
}

void Sensor::emit_flow(Flow& flow, bool final) {
    const MacAddress* device_mac = flow.has_device_mac ? &flow.device_mac : nullptr;
    DeviceState* device = nullptr;
    if (is_local(flow.device_ip) && !flow.device_ip.is_group_or_unspecified())
        device = &observe_device(flow.device_ip, device_mac, flow.first_us, flow.last_us);
    if (flow.remote_is_local && !flow.remote_ip.is_group_or_unspecified())
        observe_device(flow.remote_ip, flow.has_remote_mac ? &flow.remote_mac : nullptr, flow.first_us, flow.last_us);

    FlowRecord r;
    r.uid = run_id_ + "-" + std::to_string(flow.sequence);
    r.first_us = flow.first_us;
    r.last_us = flow.last_us;
    if (flow.key.vlan >= 0) r.vlan = flow.key.vlan;
    if (flow.key.inner_vlan >= 0) r.inner_vlan = flow.key.inner_vlan;
    r.ip_version = flow.ip_version;
    r.ip_protocol = flow.key.protocol;
    r.transport = transport_name(flow.key.protocol, flow.ip_version);
    r.device_ip = flow.device_ip.to_string();
    r.remote_ip = flow.remote_ip.to_string();
    bool has_ports = flow.key.protocol == 6 || flow.key.protocol == 17 || flow.key.protocol == 132 ||
                     flow.key.protocol == 136;
    if (has_ports) {
        r.device_port = flow.device_port;
        r.remote_port = flow.remote_port;
    }
    if (flow.has_device_mac) r.device_mac = mac_to_string(flow.device_mac);
    r.device_initiated = flow.device_initiated;
    r.bytes_out = flow.bytes_out;
    r.bytes_in = flow.bytes_in;
    r.packets_out = flow.packets_out;
    r.packets_in = flow.packets_in;
    if (!flow.app_protocol.empty()) r.app_protocol = flow.app_protocol;
    if (!flow.app_category.empty()) r.app_category = flow.app_category;
    if (!flow.domain.empty()) r.domain = flow.domain;
    r.remote_local = flow.remote_is_local;
    r.closed = final;

    FlowFacts facts;
    facts.device_kind = device ? device->kind : DeviceKind::other;
    facts.remote_is_local = flow.remote_is_local;
    facts.sent_data = flow.packets_out > 0;
    facts.domain = flow.domain;
    if (!flow.remote_is_local) {
        const GeoInfo& geo = geo_->lookup(flow.remote_ip);
        if (!geo.country.empty()) r.country = geo.country;
        if (geo.asn) r.asn = geo.asn;
        if (!geo.as_org.empty()) r.as_org = geo.as_org;
        facts.country = geo.country;
        facts.asn = geo.asn;
        bool dns_port = (flow.key.protocol == 17 || flow.key.protocol == 6) &&
                        (flow.remote_port == 53 || flow.remote_port == 853);
        facts.resolver_abroad = dns_port && !geo.country.empty() && geo.country != config_.home_country;
    }
    Verdict verdict = rules_.evaluate(facts);
    if (verdict.severity != Severity::none) {
        r.severity = to_string(verdict.severity);
        r.reasons = std::move(verdict.reasons);
        if (final) ++counters_.alerts;
    }
    if (final) ++counters_.flows_written;
    flow.dirty = false;
    flow.ever_written = true;
    if (config_.on_flow_record) config_.on_flow_record(r);
    store_.submit(std::move(r));
}

void Sensor::emit_devices() {
    std::vector<StoreRecord> records;
    for (auto& [ip, device] : devices_) {
        if (!device.dirty) continue;
        DeviceRecord r;
        r.ip = ip.to_string();
        if (device.has_mac) r.mac = mac_to_string(device.mac);
        if (!device.vendor.empty()) r.vendor = device.vendor;
        if (!device.vendor_country.empty()) r.vendor_country = device.vendor_country;
        r.kind = to_string(device.kind);
        r.identified_by = device.identified_by;
        r.first_us = device.first_us;
        r.last_us = device.last_us;
        records.emplace_back(std::move(r));
        device.dirty = false;
    }
    if (!records.empty()) store_.submit(std::move(records));
}

void Sensor::flush_open(int64_t now_us) {
    last_flush_us_ = now_us;
    flows_->for_each([this](Flow& flow) {
        if (flow.dirty) emit_flow(flow, false);
    });
    emit_devices();
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
    counters_at_last_stats_ = counters_;
    store_.submit(std::move(r));
}

bool Sensor::finish() {
    flows_->end_all();
    emit_devices();
    return store_.flush() && store_.close();
}

}  // namespace egresswatch
