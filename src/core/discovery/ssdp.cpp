// SSDP (UDP 1900): NOTIFY, M-SEARCH and 200 OK; the SERVER string and the
// device types announced.

#include <algorithm>

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

std::optional<SsdpMessage> parse_ssdp(const uint8_t* payload, size_t len) {
    if (payload == nullptr) return std::nullopt;
    std::string_view text = view(payload, std::min<size_t>(len, 8192));
    size_t nul = text.find('\0');
    if (nul != std::string_view::npos) text = text.substr(0, nul);

    auto next_line = [&text]() {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return line;
    };

    SsdpMessage m;
    std::string_view first = next_line();
    if (istarts_with(first, "NOTIFY ")) {
        m.kind = SsdpKind::notify;
    } else if (istarts_with(first, "M-SEARCH ")) {
        m.kind = SsdpKind::search;
    } else if (istarts_with(first, "HTTP/1.") && first.size() >= 12 && first.substr(8, 4) == " 200") {
        m.kind = SsdpKind::response;
    } else {
        return std::nullopt;
    }

    for (int count = 0; count < 64 && !text.empty(); ++count) {
        std::string_view line = next_line();
        if (trim(line).empty()) break;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = trim(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        std::optional<std::string>* field = nullptr;
        if (iequals(name, "SERVER")) field = &m.server;
        else if (iequals(name, "USER-AGENT")) field = &m.user_agent;
        else if (iequals(name, "USN")) field = &m.usn;
        else if (iequals(name, "NT")) field = &m.nt;
        else if (iequals(name, "NTS")) field = &m.nts;
        else if (iequals(name, "ST")) field = &m.st;
        else if (iequals(name, "LOCATION")) field = &m.location;
        if (field && !*field) *field = clean_field(value, kMaxHeaderValue);
    }

    DeviceHint& h = m.hint;
    // uuid:... names one unit, not a kind of device. In announcements, a
    // device also announces each of its services (a WeMo plug a dozen): only
    // device and vendor types (and upnp:rootdevice) are kept, so services
    // cannot crowd out the rest. What a search asks for is kept.
    auto type_evidence = [&h](std::string_view key, const std::optional<std::string>& type,
                              bool announced) {
        if (!type || istarts_with(*type, "uuid:")) return;
        if (announced && ifind(*type, ":service:") != std::string_view::npos) return;
        add_evidence(h, key, *type);
    };
    if (m.kind == SsdpKind::search) {
        if (m.user_agent) add_evidence(h, "ssdp-user-agent", *m.user_agent);
        type_evidence("ssdp-search", m.st, false);
    } else {
        if (m.server) add_evidence(h, "ssdp-server", *m.server);
        if (m.user_agent) add_evidence(h, "ssdp-user-agent", *m.user_agent);
        type_evidence("ssdp-nt", m.kind == SsdpKind::notify ? m.nt : m.st, true);
    }
    classify_hint(h);
    return m;
}

}  // namespace egresswatch
