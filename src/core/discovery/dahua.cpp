// Dahua discovery: DHIP (UDP 37810, a 32-byte header and a JSON body) and the
// older binary reply (UDP 5050).

#include <algorithm>
#include <cstring>

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

namespace {

// ---- Dahua binary (UDP 5050) -------------------------------------------------------------

// Layout from a public description of the reply (UniversalScanner's Dahua v1
// engine): byte 0 magic 0xb3 (0xa3 in the request), byte 2 the length of
// section 2, bytes 0x14-0x15 (little-endian) the length of section 3; a
// 0x78-byte section 1 with the device type as 16 NUL-padded bytes at 0x28;
// section 2 the MAC as text (17 bytes) then, optionally, the device type;
// section 3 "Key:Value" lines (SerialNo, IPv6Addr, ...).
std::optional<DahuaDiscoveryMessage> parse_dahua_binary(const uint8_t* d, size_t len) {
    constexpr size_t kSection1 = 0x78;
    DahuaDiscoveryMessage m;
    m.binary = true;
    if (d[0] == 0xa3) {
        if (len < 32) return std::nullopt;
        m.is_search = true;
        return m;
    }
    if (d[0] != 0xb3 || len < kSection1) return std::nullopt;
    size_t section2 = std::min<size_t>(d[2], len - kSection1);
    size_t section3 = std::min<size_t>(static_cast<size_t>(d[0x14]) | static_cast<size_t>(d[0x15]) << 8,
                                       len - kSection1 - section2);
    m.device_type = clean_field(view(d + 0x28, 16));
    std::string_view s2 = view(d + kSection1, section2);
    if (s2.size() >= 17) {
        m.mac = clean_field(s2.substr(0, 17));
        if (auto t = clean_field(s2.substr(17))) m.device_type = t;
    } else {
        m.mac = clean_field(s2);
    }
    std::string_view s3 = view(d + kSection1 + section2, section3);
    size_t lines = 0;
    while (!s3.empty() && lines++ < 64) {
        size_t nl = s3.find('\n');
        std::string_view line = s3.substr(0, nl);
        s3 = nl == std::string_view::npos ? std::string_view{} : s3.substr(nl + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        if (trim(line.substr(0, colon)) == "SerialNo") m.serial = clean_field(line.substr(colon + 1));
    }
    if (!m.device_type && !m.serial && !m.mac) return std::nullopt;
    return m;
}

void dahua_hint(DahuaDiscoveryMessage& m) {
    if (m.is_search) return;
    DeviceHint& h = m.hint;
    if (m.device_type) {
        h.model = m.device_type;
        add_evidence(h, "dahua-discovery", *m.device_type);
    }
    if (m.device_class) add_evidence(h, "dahua-class", *m.device_class);
    if (m.vendor) {
        h.vendor = m.vendor;
        add_evidence(h, "dahua-vendor", *m.vendor);
    }
    if (m.version) add_evidence(h, "dahua-firmware", *m.version);
    if (m.machine_name) h.hostname = m.machine_name;
    // Without a model or class the message is still Dahua discovery.
    if (!m.device_type && !m.device_class) add_evidence(h, "dahua-discovery", "unknown");
    classify_hint(h);
}

}  // namespace

std::optional<DahuaDiscoveryMessage> parse_dahua_discovery(const uint8_t* payload, size_t len) {
    if (payload == nullptr || len == 0) return std::nullopt;
    len = std::min<size_t>(len, 65535);

    std::string_view body;
    if (len >= 32 && std::memcmp(payload + 4, "DHIP", 4) == 0) {
        body = view(payload + 32, len - 32);
    } else {
        std::string_view head = view(payload, std::min<size_t>(len, 64));
        size_t brace = head.find('{');
        if (brace == std::string_view::npos) {
            auto binary = parse_dahua_binary(payload, len);
            if (binary) dahua_hint(*binary);
            return binary;
        }
        body = view(payload + brace, len - brace);
    }
    if (body.find('{') == std::string_view::npos) return std::nullopt;

    DahuaDiscoveryMessage m;
    auto str = [&](std::string_view key) -> std::optional<std::string> {
        auto v = json_string(body, key);
        if (!v) return std::nullopt;
        return clean_field(*v);
    };
    m.method = str("method");
    m.device_type = str("DeviceType");
    m.device_class = str("DeviceClass");
    m.serial = str("SerialNo");
    m.vendor = str("Vendor");
    m.version = str("Version");
    m.machine_name = str("MachineName");
    m.mac = str("mac");
    if (!m.mac) m.mac = str("Mac");
    size_t v4 = body.find("\"IPv4Address\"");
    if (v4 != std::string_view::npos)
        if (auto ip = json_string(body, "IPAddress", v4)) m.ipv4 = clean_field(*ip);

    if (m.method && *m.method == "DHDiscover.search") {
        m.is_search = true;
        return m;
    }
    if (!m.method && !m.device_type && !m.serial && !m.device_class) return std::nullopt;
    dahua_hint(m);
    return m;
}

}  // namespace egresswatch
