// What every discovery parser must do: survive any bytes, keep only clean
// text, and give the DeviceKind its evidence says.

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("discovery parsers: truncated and mutated samples, random bytes", "[discovery]") {
    auto dhcp_parse = [](const uint8_t* d, size_t n) {
        if (auto m = parse_dhcp(d, n)) check_clean(m->hint);
    };
    auto ssdp_parse = [](const uint8_t* d, size_t n) {
        if (auto m = parse_ssdp(d, n)) check_clean(m->hint);
    };
    auto wsd_parse = [](const uint8_t* d, size_t n) {
        if (auto m = parse_ws_discovery(d, n)) check_clean(m->hint);
    };
    auto sadp_parse = [](const uint8_t* d, size_t n) {
        if (auto m = parse_hikvision_sadp(d, n)) check_clean(m->hint);
    };
    auto dahua_parse = [](const uint8_t* d, size_t n) {
        if (auto m = parse_dahua_discovery(d, n)) check_clean(m->hint);
    };
    mutate_and_truncate(capgen_dhcp_request(), dhcp_parse);
    mutate_and_truncate(bytes(kSsdpNotify), ssdp_parse);
    mutate_and_truncate(bytes(kProbeMatch), wsd_parse);
    mutate_and_truncate(bytes(kSadpCapgen), sadp_parse);
    mutate_and_truncate(dhip(kDahuaCamera), dahua_parse);

    std::mt19937 rng(7);
    for (int round = 0; round < 3000; ++round) {
        Bytes b(static_cast<size_t>(rng()) % 600);
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        if (round % 3 == 0 && b.size() > 240) {  // a DHCP header, random options
            b[0] = 1; b[2] = 6;
            b[236] = 0x63; b[237] = 0x82; b[238] = 0x53; b[239] = 0x63;
        }
        dhcp_parse(b.data(), b.size());
        ssdp_parse(b.data(), b.size());
        wsd_parse(b.data(), b.size());
        sadp_parse(b.data(), b.size());
        dahua_parse(b.data(), b.size());
        if (auto m = parse_dns_message(b.data(), b.size())) check_clean(parse_mdns_hints(*m));
    }
}

TEST_CASE("discovery: text cleaning keeps UTF-8 and drops the rest", "[discovery]") {
    Bytes b = dhcp(1, {12, 12, 'K', 0xc3, 0xbc, 'c', 'h', 'e', 0xc3, '-', 0xed, 0xa0, 0x80, '\n', 255});
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->hostname == "K\xc3\xbc" "che?-???");  // the trailing LF is trimmed
    Bytes long_name = dhcp(1, {});
    put_option(long_name, 12, std::string(200, 'a'));
    m = parse_dhcp(long_name.data(), long_name.size());
    REQUIRE(m);
    CHECK(m->hostname->size() == 128);
    check_clean(m->hint);
}

namespace {

// The kind the sensor reads from a hint, item by item (classify_evidence):
// the strongest kind any one evidence string gives.
std::optional<DeviceKind> strongest_item(const DeviceHint& h) {
    std::optional<DeviceKind> best;
    for (const std::string& e : h.evidence)
        if (auto k = classify_evidence(e); k && (!best || *k > *best)) best = k;
    return best;
}

struct KindCase {
    const char* what;
    DeviceHint hint;
    std::optional<DeviceKind> expected;
};

template <typename Message>
DeviceHint hint_of(const std::optional<Message>& m) {
    REQUIRE(m);
    return m->hint;
}

DeviceHint dhcp_with(std::string_view hostname, std::string_view vendor_class) {
    Bytes b = dhcp(1, {53, 1, 3});
    if (!hostname.empty()) put_option(b, 12, hostname);
    if (!vendor_class.empty()) put_option(b, 60, vendor_class);
    b.push_back(255);
    return hint_of(parse_dhcp(b.data(), b.size()));
}

DeviceHint ssdp(std::string_view text) {
    Bytes b = bytes(text);
    return hint_of(parse_ssdp(b.data(), b.size()));
}

DeviceHint wsd(std::string_view text) {
    Bytes b = bytes(text);
    return hint_of(parse_ws_discovery(b.data(), b.size()));
}

DeviceHint sadp(std::string_view text) {
    Bytes b = bytes(text);
    return hint_of(parse_hikvision_sadp(b.data(), b.size()));
}

DeviceHint dahua(const Bytes& b) { return hint_of(parse_dahua_discovery(b.data(), b.size())); }

DeviceHint mdns_ptr(std::string service, std::string instance) {
    DnsMessage m;
    m.is_response = true;
    m.answers = {rr(service, dns_type::ptr, instance + "." + service)};
    return parse_mdns_hints(m);
}

}  // namespace

TEST_CASE("discovery: each parser's kind is the DeviceKind its evidence gives", "[discovery]") {
    const std::string wsd_recorder =
        "<Envelope><Body><ProbeMatches><ProbeMatch><Types>NetworkVideoStorage</Types>"
        "</ProbeMatch></ProbeMatches></Body></Envelope>";
    const std::string wsd_printer =
        "<Envelope xmlns:p=\"http://schemas.microsoft.com/windows/2006/08/wdp/print\"><Body><Hello>"
        "<Types>p:PrintDeviceType</Types></Hello></Body></Envelope>";
    const Bytes request = capgen_dhcp_request();
    const KindCase cases[] = {
        {"dhcp camera", hint_of(parse_dhcp(request.data(), request.size())), DeviceKind::camera},
        {"dhcp recorder", dhcp_with("DS-7608NI-K2", "udhcp 1.22.1"), DeviceKind::nvr},
        {"dhcp embedded linux", dhcp_with("", "udhcp 1.22.1"), DeviceKind::iot},
        {"dhcp laptop", dhcp_with("camille-laptop", "MSFT 5.0"), std::nullopt},
        {"mdns camera", mdns_ptr("_rtsp._tcp.local", "cam1"), DeviceKind::camera},
        {"mdns recorder", mdns_ptr("_axis-nvr._tcp.local", "rec"), DeviceKind::nvr},
        {"mdns cast", mdns_ptr("_googlecast._tcp.local", "tv"), DeviceKind::iot},
        {"mdns printer", mdns_ptr("_ipp._tcp.local", "printer"), std::nullopt},
        {"ssdp camera", ssdp(kSsdpNotify), DeviceKind::camera},
        {"ssdp recorder", ssdp("HTTP/1.1 200 OK\r\nSERVER: Linux, UPnP/1.0, NVR/2.0\r\n\r\n"), DeviceKind::nvr},
        {"ssdp wemo", ssdp("NOTIFY * HTTP/1.1\r\nNT: urn:Belkin:device:controllee:1\r\n\r\n"), DeviceKind::iot},
        {"ssdp search", ssdp("M-SEARCH * HTTP/1.1\r\nST: urn:schemas-upnp-org:device:DigitalSecurityCamera:1\r\n\r\n"),
         std::nullopt},
        {"onvif camera", wsd(kProbeMatch), DeviceKind::camera},
        {"onvif recorder", wsd(wsd_recorder), DeviceKind::nvr},
        {"wsd printer", wsd(wsd_printer), std::nullopt},
        {"sadp camera", sadp(kSadpCapgen), DeviceKind::camera},
        {"sadp recorder", sadp(kSadpRecorder), DeviceKind::nvr},
        {"dahua camera", dahua(dhip(kDahuaCamera)), DeviceKind::camera},
        {"dahua recorder", dahua(dhip("{\"method\":\"client.notifyDevInfo\",\"DeviceClass\":\"NVR\"}")),
         DeviceKind::nvr},
    };
    for (const KindCase& c : cases) {
        INFO(c.what);
        CHECK(c.hint.kind == c.expected);
        CHECK(c.hint.kind == strongest_item(c.hint));  // what the sensor reads item by item
        if (c.hint.kind) CHECK(is_identified(*c.hint.kind));
    }
}

TEST_CASE("device kinds: text, identified, camera or nvr", "[discovery][device_kind]") {
    for (DeviceKind k : {DeviceKind::other, DeviceKind::iot, DeviceKind::camera, DeviceKind::nvr})
        CHECK(parse_device_kind(to_string(k)) == k);
    CHECK_FALSE(parse_device_kind("Camera"));
    CHECK_FALSE(parse_device_kind(""));
    CHECK_FALSE(is_identified(DeviceKind::other));
    CHECK(is_identified(DeviceKind::iot));
    CHECK(is_identified(DeviceKind::camera));
    CHECK(is_identified(DeviceKind::nvr));
    CHECK_FALSE(is_camera_or_nvr(DeviceKind::other));
    CHECK_FALSE(is_camera_or_nvr(DeviceKind::iot));
    CHECK(is_camera_or_nvr(DeviceKind::camera));
    CHECK(is_camera_or_nvr(DeviceKind::nvr));
}
