// mDNS (UDP 5353): the service types, instance and host names, and TXT model
// a device announces (or proposes while probing).

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

namespace {

// Splits "instance._svc._tcp.local" at the first '.' that is not escaped.
size_t first_label_end(std::string_view name) {
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\') {
            ++i;
            continue;
        }
        if (name[i] == '.') return i;
    }
    return std::string_view::npos;
}

bool is_service_type(std::string_view name) {
    return !name.empty() && name[0] == '_' &&
           (name.find("._tcp") != std::string_view::npos || name.find("._udp") != std::string_view::npos);
}

std::string_view strip_local(std::string_view host) {
    if (iends_with(host, ".local")) host.remove_suffix(6);
    return host;
}

void mdns_record(DeviceHint& h, const DnsRecord& rr) {
    switch (rr.type) {
    case dns_type::ptr:
        if (rr.name == "_services._dns-sd._udp.local") {
            if (is_service_type(rr.target)) add_evidence(h, "mdns", rr.target);
        } else if (iends_with(rr.name, ".in-addr.arpa") || iends_with(rr.name, ".ip6.arpa")) {
            set_once(h.hostname, strip_local(rr.target));
        } else if (is_service_type(rr.name)) {
            add_evidence(h, "mdns", rr.name);
            std::string_view target = rr.target;
            if (target.size() > rr.name.size() + 1 && iends_with(target, rr.name) &&
                target[target.size() - rr.name.size() - 1] == '.')
                add_evidence(h, "mdns-instance", target.substr(0, target.size() - rr.name.size() - 1));
        }
        break;
    case dns_type::srv: {
        std::string_view owner = rr.name;
        size_t dot = first_label_end(owner);
        if (dot != std::string_view::npos && is_service_type(owner.substr(dot + 1))) {
            add_evidence(h, "mdns", owner.substr(dot + 1));
            add_evidence(h, "mdns-instance", owner.substr(0, dot));
        }
        if (!rr.target.empty()) {
            set_once(h.hostname, strip_local(rr.target));
            add_evidence(h, "mdns-host", rr.target);
        }
        break;
    }
    case dns_type::a:
    case dns_type::aaaa:
        if (iends_with(rr.name, ".local") && rr.name.size() > 6) {
            set_once(h.hostname, strip_local(rr.name));
            add_evidence(h, "mdns-host", rr.name);
        }
        break;
    case dns_type::txt: {
        bool hap = rr.name.find("._hap._tcp") != std::string::npos;
        for (const std::string& s : rr.txt) {
            std::string_view kv = s;
            size_t eq = kv.find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
            if (iequals(key, "md") || iequals(key, "model")) {
                set_once(h.model, value);
                add_evidence(h, "mdns-model", value);
            } else if (iequals(key, "manufacturer") || iequals(key, "vendor")) {
                set_once(h.vendor, value);
            } else if (hap && iequals(key, "ci")) {
                add_evidence(h, "hap-ci", value);
            }
        }
        break;
    }
    default: break;
    }
}

}  // namespace

DeviceHint parse_mdns_hints(const DnsMessage& message) {
    DeviceHint h;
    if (message.is_response) {
        for (const DnsRecord& rr : message.answers) mdns_record(h, rr);
        for (const DnsRecord& rr : message.additionals) mdns_record(h, rr);
    } else {
        // A probe: the records the sender proposes for itself.
        for (const DnsRecord& rr : message.authorities) mdns_record(h, rr);
        size_t asked = 0;
        for (const DnsQuestion& q : message.questions) {
            if ((q.type == dns_type::ptr || q.type == dns_type::any) && is_service_type(q.name) &&
                asked++ < 8)
                add_evidence(h, "mdns-query", q.name);
        }
    }
    classify_hint(h);
    return h;
}

}  // namespace egresswatch
