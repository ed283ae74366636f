#include "alert_out.hpp"

#include <unistd.h>

namespace egresswatch::daemon {

std::string describe(const DeliveryStats& stats) {
    return std::to_string(stats.sent.load()) + " sent, " + std::to_string(stats.failed.load()) + " failed, " +
           std::to_string(stats.dropped.load()) + " dropped (queue full)";
}

std::string alert_summary(const FlowRecord& r, const FlowDevice& device) {
    std::string s = r.severity.empty() ? std::string("alert") : r.severity + " alert";
    if (r.late_alert) s += " (raised late, once the device was identified)";
    s += ": ";
    s += device.kind;
    s += " " + r.device_ip;
    if (!device.vendor.empty()) {
        s += " (";
        s += device.vendor;
        s += ")";
    }
    s += " -> " + r.remote_ip;
    if (r.remote_port) s += ":" + std::to_string(*r.remote_port);
    s += "/" + r.transport;
    if (r.domain) s += " " + *r.domain;
    if (r.country) s += " " + *r.country;
    if (r.asn) s += " AS" + std::to_string(*r.asn);
    if (r.as_org) s += " " + *r.as_org;
    if (!r.reasons.empty()) {
        s += ":";
        for (size_t i = 0; i < r.reasons.size(); ++i) s += (i ? ", " : " ") + r.reasons[i];
    }
    return s;
}

std::string sensor_hostname() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || !name[0]) return "-";
    std::string out;
    for (const char* p = name; *p; ++p) out += (*p > 32 && *p < 127) ? *p : '-';
    return out;
}

int severity_rank(std::string_view severity) {
    if (severity == "high") return 3;
    if (severity == "medium") return 2;
    if (severity == "low") return 1;
    return 0;
}

std::string redact_url(std::string_view url) {
    size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return "(a URL)";
    size_t host_start = scheme + 3;
    size_t host_end = url.find_first_of("/?#", host_start);
    std::string_view authority = url.substr(host_start, host_end == std::string_view::npos ? url.npos : host_end - host_start);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string out(url.substr(0, host_start));
    out += authority;
    if (host_end != std::string_view::npos && host_end + 1 < url.size()) out += "/...";
    return out;
}

}  // namespace egresswatch::daemon
