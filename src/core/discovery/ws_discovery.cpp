// WS-Discovery (UDP 3702), ONVIF: Probe, ProbeMatches, Hello, Bye, Resolve and
// ResolveMatches; ONVIF types and scopes.

#include <algorithm>
#include <utility>

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

namespace {

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::optional<WsDiscoveryMessage> parse_ws_discovery(const uint8_t* payload, size_t len) {
    if (payload == nullptr) return std::nullopt;
    std::string_view xml = view(payload, std::min<size_t>(len, 65535));
    auto envelope = find_start_tag(xml, "Envelope", 0);
    if (!envelope) return std::nullopt;

    WsDiscoveryMessage m;
    bool known = false;
    if (auto action = element_text(xml, "Action", envelope->content)) {
        std::string_view a = trim(*action);
        std::string_view last = a.substr(a.rfind('/') == std::string_view::npos ? 0 : a.rfind('/') + 1);
        static constexpr std::pair<std::string_view, WsDiscoveryKind> kActions[] = {
            {"Probe", WsDiscoveryKind::probe},
            {"ProbeMatches", WsDiscoveryKind::probe_matches},
            {"Hello", WsDiscoveryKind::hello},
            {"Bye", WsDiscoveryKind::bye},
            {"Resolve", WsDiscoveryKind::resolve},
            {"ResolveMatches", WsDiscoveryKind::resolve_matches},
        };
        for (auto [name, kind] : kActions)
            if (last == name) {
                m.kind = kind;
                known = true;
            }
    }
    if (!known) {
        // No (or an unknown) Action: the body element says what it is.
        static constexpr std::pair<std::string_view, WsDiscoveryKind> kBodies[] = {
            {"ProbeMatches", WsDiscoveryKind::probe_matches},
            {"ResolveMatches", WsDiscoveryKind::resolve_matches},
            {"Hello", WsDiscoveryKind::hello},
            {"Bye", WsDiscoveryKind::bye},
            {"Probe", WsDiscoveryKind::probe},
            {"Resolve", WsDiscoveryKind::resolve},
        };
        for (auto [name, kind] : kBodies)
            if (find_start_tag(xml, name, envelope->content)) {
                m.kind = kind;
                known = true;
                break;
            }
    }
    if (!known) return std::nullopt;

    constexpr size_t kMaxItems = 16;
    std::vector<std::string> type_qnames;
    size_t from = envelope->content;
    for (size_t n = 0; n < kMaxItems; ++n) {
        auto text = next_element_text(xml, "Types", from);
        if (!text) break;
        for (std::string_view t : split_blank(*text, kMaxItems)) {
            if (m.types.size() >= kMaxItems) break;
            if (auto local = clean_field(local_part(t))) {
                m.types.push_back(*local);
                type_qnames.emplace_back(t);
            }
        }
    }
    from = envelope->content;
    for (size_t n = 0; n < kMaxItems; ++n) {
        auto text = next_element_text(xml, "Scopes", from);
        if (!text) break;
        const std::string unescaped = xml_unescape(*text);
        for (std::string_view s : split_blank(unescaped, kMaxItems)) {
            if (m.scopes.size() >= kMaxItems) break;
            if (auto c = clean_field(s, kMaxHeaderValue)) m.scopes.push_back(*c);
        }
    }
    from = envelope->content;
    for (size_t n = 0; n < kMaxItems; ++n) {
        auto text = next_element_text(xml, "XAddrs", from);
        if (!text) break;
        const std::string unescaped = xml_unescape(*text);
        for (std::string_view s : split_blank(unescaped, kMaxItems)) {
            if (m.xaddrs.size() >= kMaxItems) break;
            if (auto c = clean_field(s, kMaxHeaderValue)) m.xaddrs.push_back(*c);
        }
    }
    if (auto ref = find_start_tag(xml, "EndpointReference", envelope->content))
        if (auto address = element_text(xml, "Address", ref->content))
            m.endpoint = clean_field(xml_unescape(*address), kMaxHeaderValue);

    DeviceHint& h = m.hint;
    bool about_sender = m.kind == WsDiscoveryKind::probe_matches ||
                        m.kind == WsDiscoveryKind::hello ||
                        m.kind == WsDiscoveryKind::resolve_matches;
    for (size_t i = 0; i < m.types.size(); ++i) {
        const std::string& local = m.types[i];
        std::string_view ns = namespace_of(xml, prefix_part(type_qnames[i]));
        bool onvif = ns.find("onvif.org") != std::string_view::npos ||
                     istarts_with(local, "NetworkVideo");
        if (!about_sender)
            add_evidence(h, "wsd-probe", local);
        else
            add_evidence(h, onvif ? "onvif" : "wsd-type", local);
    }
    if (about_sender) {
        for (const std::string& scope : m.scopes) {
            constexpr std::string_view kOnvif = "onvif://www.onvif.org/";
            if (!istarts_with(scope, kOnvif)) continue;
            std::string_view rest = std::string_view(scope).substr(kOnvif.size());
            size_t slash = rest.find('/');
            if (slash == std::string_view::npos) continue;
            std::string_view category = rest.substr(0, slash);
            std::string value = percent_decode(rest.substr(slash + 1));
            if (iequals(category, "type")) {
                add_evidence(h, "onvif-scope-type", value);
            } else if (iequals(category, "hardware")) {
                set_once(h.model, value);
                add_evidence(h, "onvif-hardware", value);
            } else if (iequals(category, "name")) {
                add_evidence(h, "onvif-name", value);
            } else if (iequals(category, "location")) {
                add_evidence(h, "onvif-location", value);
            } else if (iequals(category, "Profile")) {
                add_evidence(h, "onvif-profile", value);
            }
        }
    }
    classify_hint(h);
    return m;
}

}  // namespace egresswatch
