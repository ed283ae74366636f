// Samples and checks shared by the discovery parsers' unit tests
// (test_discovery_*.cpp): the messages capgen sends, shapes of public replies,
// and the properties every parsed hint must have.
#pragma once

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/discovery.hpp"
#include "egresswatch/dns_message.hpp"

namespace discovery_test {

using namespace egresswatch;

using Bytes = std::vector<uint8_t>;
using Strings = std::vector<std::string>;

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// BOOTP fixed part (236 bytes) + magic cookie, then the given option bytes,
// as tests/gen/packet_builder's dhcp_request() lays them out.
inline Bytes dhcp(uint8_t op, std::initializer_list<uint8_t> options, const uint8_t* ciaddr = nullptr) {
    Bytes m(236, 0);
    m[0] = op;
    m[1] = 1;  // Ethernet
    m[2] = 6;
    m[4] = 0x44; m[5] = 0x19; m[6] = 0xb6; m[7] = 0x21;  // xid
    if (ciaddr) std::copy(ciaddr, ciaddr + 4, m.begin() + 12);
    const uint8_t mac[] = {0x44, 0x19, 0xb6, 0x00, 0x00, 0x21};
    std::copy(mac, mac + 6, m.begin() + 28);
    m.insert(m.end(), {0x63, 0x82, 0x53, 0x63});
    m.insert(m.end(), options);
    return m;
}

inline void put_option(Bytes& b, uint8_t code, std::string_view value) {
    b.push_back(code);
    b.push_back(static_cast<uint8_t>(value.size()));
    b.insert(b.end(), value.begin(), value.end());
}

// capgen's sample camera: DHCPREQUEST with 53, 61, 50, 12, 60, 55, end.
inline Bytes capgen_dhcp_request() {
    Bytes m = dhcp(1, {53, 1, 3, 61, 7, 1, 0x44, 0x19, 0xb6, 0x00, 0x00, 0x21, 50, 4, 10, 20, 1, 21});
    put_option(m, 12, "DS-2CD2143G2-I");
    put_option(m, 60, "udhcp 1.22.1");
    m.insert(m.end(), {55, 7, 1, 3, 6, 12, 15, 28, 42, 255});
    m.resize(300, 0);
    return m;
}

// tests/gen/packet_builder ssdp_notify() as capgen's Hikvision sample sends it.
inline constexpr char kSsdpNotify[] =
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "CACHE-CONTROL: max-age=1800\r\n"
    "LOCATION: http://10.20.1.21:49152/rootDesc.xml\r\n"
    "NT: upnp:rootdevice\r\n"
    "NTS: ssdp:alive\r\n"
    "SERVER: Linux/3.0 UPnP/1.0 IPCamera/1.0\r\n"
    "USN: uuid:a1b2c3d4-0000-1000-8000-4419b6000021::upnp:rootdevice\r\n"
    "\r\n";

// packet_builder ws_discovery_probe_match() with capgen's Dahua sample.
inline constexpr char kProbeMatch[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
    " xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
    " xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\""
    " xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
    "<s:Header>"
    "<a:MessageID>urn:uuid:e0508b00-0022-4000-8000-000000000001</a:MessageID>"
    "<a:RelatesTo>urn:uuid:00112233-4455-4000-8000-000000000001</a:RelatesTo>"
    "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
    "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>"
    "</s:Header>"
    "<s:Body><d:ProbeMatches><d:ProbeMatch>"
    "<a:EndpointReference><a:Address>urn:uuid:e0508b00-0022-4000-8000-e0508b000022"
    "</a:Address></a:EndpointReference>"
    "<d:Types>dn:NetworkVideoTransmitter</d:Types>"
    "<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/IPC-HDW2431T</d:Scopes>"
    "<d:XAddrs>http://10.20.1.22/onvif/device_service</d:XAddrs>"
    "<d:MetadataVersion>1</d:MetadataVersion>"
    "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>";

// packet_builder sadp_announcement() with capgen's Hikvision sample.
inline constexpr char kSadpCapgen[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ProbeMatch>"
    "<Uuid>a1b2c3d4-0000-1000-8000-4419b6000021</Uuid>"
    "<Types>hello</Types>"
    "<DeviceType>IPC</DeviceType>"
    "<DeviceDescription>DS-2CD2143G2-I</DeviceDescription>"
    "<DeviceSN>DS-2CD2143G2-I20261102AAWRJ00000021</DeviceSN>"
    "<MAC>44-19-b6-00-00-21</MAC>"
    "<IPv4Address>10.20.1.21</IPv4Address>"
    "<SoftwareVersion>V5.7.3</SoftwareVersion>"
    "</ProbeMatch>";

// The shape of a real SADP reply from a recorder, as published in a public
// write-up of the protocol (fields abridged, values changed).
inline constexpr char kSadpRecorder[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n<ProbeMatch>\r\n"
    "\t<Uuid>8282F1DB-2FA6-4709-B261-3C6B6A48CA17</Uuid>\r\n"
    "\t<Types>inquiry</Types>\r\n\t<Encrypt>true</Encrypt>\r\n"
    "\t<DeviceType>44322</DeviceType>\r\n"
    "\t<DeviceDescription>DS-7804HQH-K1</DeviceDescription>\r\n"
    "\t<DeviceSN>DS-7804HQH-K10420190822CCCHD00000000WCVU</DeviceSN>\r\n"
    "\t<CommandPort>8000</CommandPort>\r\n\t<HttpPort>80</HttpPort>\r\n"
    "\t<MAC>68-6d-bc-00-00-01</MAC>\r\n\t<IPv4Address>192.168.1.227</IPv4Address>\r\n"
    "\t<AnalogChannelNum>4</AnalogChannelNum>\r\n\t<DigitalChannelNum>5</DigitalChannelNum>\r\n"
    "\t<SoftwareVersion>V3.5.38build 191215</SoftwareVersion>\r\n"
    "</ProbeMatch>\r\n";

// DHIP header: 0x20 (header size, little-endian), "DHIP", zeros, the body
// length (little-endian) at 16 and 24.
inline Bytes dhip(std::string_view json) {
    Bytes b = {0x20, 0, 0, 0, 'D', 'H', 'I', 'P'};
    b.resize(32, 0);
    uint32_t n = static_cast<uint32_t>(json.size());
    for (size_t at : {16u, 24u})
        for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(n >> (8 * i));
    b.insert(b.end(), json.begin(), json.end());
    return b;
}

// The shape of a public DHIP reply of a Dahua camera (values changed).
inline constexpr char kDahuaCamera[] =
    "{ \"mac\" : \"3c:ef:8c:00:00:22\", \"method\" : \"client.notifyDevInfo\", \"params\" : "
    "{ \"deviceInfo\" : { \"AlarmInputChannels\" : 1, \"DeviceClass\" : \"IPC\", "
    "\"DeviceType\" : \"IPC-HDW2431T\", \"HttpPort\" : 80, \"IPv4Address\" : "
    "{ \"DefaultGateway\" : \"10.20.0.1\", \"DhcpEnable\" : true, \"IPAddress\" : \"10.20.1.22\", "
    "\"SubnetMask\" : \"255.255.0.0\" }, \"IPv6Address\" : { \"IPAddress\" : \"fe80::1\\/64\" }, "
    "\"MachineName\" : \"Front-Door\", \"Manufacturer\" : \"Dahua\", \"Port\" : 37777, "
    "\"SerialNo\" : \"6G0ABCDEF000022\", \"Vendor\" : \"Dahua\", "
    "\"Version\" : \"2.800.0000000.25.R\" } } }\n";

inline bool has(const Strings& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

template <typename F>
inline void mutate_and_truncate(const Bytes& sample, F&& parse) {
    for (size_t n = 0; n <= sample.size(); ++n) {
        Bytes cut(sample.begin(), sample.begin() + static_cast<long>(n));
        parse(cut.data(), cut.size());
    }
    std::mt19937 rng(99);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 2000; ++round) {
        Bytes b = sample;
        for (int i = 0; i < 1 + round % 8; ++i)
            b[static_cast<size_t>(rng()) % b.size()] = static_cast<uint8_t>(byte(rng));
        b.resize(static_cast<size_t>(rng()) % (b.size() + 1));
        parse(b.data(), b.size());
    }
}

inline void check_clean(const DeviceHint& h) {
    auto ok = [](const std::string& s) {
        for (unsigned char c : s)
            if (c < 0x20 || c == 0x7f) return false;
        return true;
    };
    for (const auto* f : {&h.hostname, &h.vendor, &h.model})
        if (*f) {
            CHECK(ok(**f));
            CHECK((*f)->size() <= 128);
        }
    CHECK(h.kind != DeviceKind::other);  // no kind is nullopt, never other
    CHECK(h.evidence.size() <= kMaxEvidence);
    for (const std::string& e : h.evidence) {
        CHECK(ok(e));
        CHECK(e.size() <= 160);
        CHECK(e.find(':') != std::string::npos);
    }
}


// An mDNS resource record.
inline DnsRecord rr(std::string name, uint16_t type, std::string target = {}, std::vector<std::string> txt = {}) {
    DnsRecord r;
    r.name = std::move(name);
    r.type = type;
    r.target = std::move(target);
    r.txt = std::move(txt);
    return r;
}

}  // namespace discovery_test
