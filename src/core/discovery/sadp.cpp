// Hikvision SADP (UDP 37020): the XML that Hikvision devices and their OEM
// rebrands send to say who they are.

#include <algorithm>

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

std::optional<SadpMessage> parse_hikvision_sadp(const uint8_t* payload, size_t len) {
    if (payload == nullptr) return std::nullopt;
    std::string_view xml = view(payload, std::min<size_t>(len, 65535));
    if (find_start_tag(xml, "Envelope", 0)) return std::nullopt;  // SOAP: WS-Discovery

    SadpMessage m;
    auto root = find_start_tag(xml, "ProbeMatch", 0);
    if (!root) {
        root = find_start_tag(xml, "Probe", 0);
        if (!root) return std::nullopt;
        m.is_probe = true;
    }
    auto field = [&](std::string_view name) -> std::optional<std::string> {
        auto text = element_text(xml, name, root->content);
        if (!text) return std::nullopt;
        return clean_field(xml_unescape(*text));
    };
    m.types = field("Types");
    if (m.is_probe) return m;

    m.device_type = field("DeviceType");
    m.device_description = field("DeviceDescription");
    m.serial = field("DeviceSN");
    m.mac = field("MAC");
    m.ipv4 = field("IPv4Address");
    m.software_version = field("SoftwareVersion");
    m.analog_channels = field("AnalogChannelNum");
    m.digital_channels = field("DigitalChannelNum");
    if (!m.device_type && !m.device_description && !m.serial && !m.mac) return std::nullopt;

    DeviceHint& h = m.hint;
    h.vendor = "Hikvision";  // the protocol's maker; OEM rebrands speak it too
    h.model = m.device_description;
    add_evidence(h, "sadp", m.device_description ? *m.device_description : std::string("unknown"));
    if (m.device_type) add_evidence(h, "sadp-type", *m.device_type);
    if (m.software_version) add_evidence(h, "sadp-firmware", *m.software_version);
    classify_hint(h);
    return m;
}

}  // namespace egresswatch
