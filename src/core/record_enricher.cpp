#include "egresswatch/record_enricher.hpp"

#include "egresswatch/community_id.hpp"

namespace egresswatch {

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

FlowDevice flow_device(const FlowContext& context) {
    FlowDevice device;
    if (const DeviceState* identity = context.identity)
        device = {to_string(identity->kind),
                  context.device->vendor.empty() ? identity->vendor : context.device->vendor};
    return device;
}

RecordEnricher::RecordEnricher(std::shared_ptr<const Rules> rules, std::unique_ptr<GeoLocator> geo,
                               std::string home_country, std::string run_id)
    : rules_(std::move(rules)), geo_(std::move(geo)), home_country_(std::move(home_country)),
      run_id_(std::move(run_id)) {}

void RecordEnricher::use(std::shared_ptr<const Rules> rules, std::unique_ptr<GeoLocator> geo) {
    rules_ = std::move(rules);
    geo_ = std::move(geo);
}

FlowRecord RecordEnricher::enrich(const FlowOutput& output, const FlowContext& context) {
    const FlowData& flow = output.flow;
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
    const ResolvedName* resolved = context.resolved;
    if (!r.domain && resolved) r.domain = resolved->query;
    r.closed = output.final;
    r.first_record = !flow.ever_written;

    FlowFacts facts;
    // The box's identity: an NVR's IPv6 flows are an NVR's too.
    facts.device_kind = judging_kind(context);
    facts.remote_is_local = flow.remote_is_local;
    facts.sent_data = flow.packets_out > 0;
    bool dns_port = (flow.key.protocol == 17 || flow.key.protocol == 6) &&
                    (flow.remote_port() == 53 || flow.remote_port() == 853);
    // A resolver's lookups upstream are its clients' names, judged on the
    // clients' own flows; its other traffic is judged as anyone's.
    bool resolving_for_others = dns_port && context.device && context.device->is_resolver();
    if (r.domain && !resolving_for_others) facts.domain = *r.domain;
    if (resolved && facts.domain == resolved->query) facts.domain_aliases = resolved->aliases;
    if (!flow.remote_is_local) {
        const GeoInfo& geo = geo_->lookup(flow.remote_ip());
        if (!geo.country.empty()) r.country = geo.country;
        if (geo.asn) r.asn = geo.asn;
        if (!geo.as_org.empty()) r.as_org = geo.as_org;
        facts.country = geo.country;
        facts.asn = geo.asn;
        facts.resolver_abroad = dns_port && !geo.country.empty() && geo.country != home_country_;
    }
    Verdict verdict = rules_->evaluate(facts);
    if (verdict.severity != Severity::none) {
        r.severity = to_string(verdict.severity);
        r.reasons = std::move(verdict.reasons);
    }
    return r;
}

}  // namespace egresswatch
