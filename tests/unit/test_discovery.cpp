#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/discovery.hpp"
#include "egresswatch/dns_message.hpp"

using namespace egresswatch;

namespace {

using Bytes = std::vector<uint8_t>;
using Strings = std::vector<std::string>;

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// BOOTP fixed part (236 bytes) + magic cookie, then the given option bytes,
// as tests/gen/packet_builder's dhcp_request() lays them out.
Bytes dhcp(uint8_t op, std::initializer_list<uint8_t> options, const uint8_t* ciaddr = nullptr) {
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

void put_option(Bytes& b, uint8_t code, std::string_view value) {
    b.push_back(code);
    b.push_back(static_cast<uint8_t>(value.size()));
    b.insert(b.end(), value.begin(), value.end());
}

// capgen's sample camera: DHCPREQUEST with 53, 61, 50, 12, 60, 55, end.
Bytes capgen_dhcp_request() {
    Bytes m = dhcp(1, {53, 1, 3, 61, 7, 1, 0x44, 0x19, 0xb6, 0x00, 0x00, 0x21, 50, 4, 10, 20, 1, 21});
    put_option(m, 12, "DS-2CD2143G2-I");
    put_option(m, 60, "udhcp 1.22.1");
    m.insert(m.end(), {55, 7, 1, 3, 6, 12, 15, 28, 42, 255});
    m.resize(300, 0);
    return m;
}

// tests/gen/packet_builder ssdp_notify() as capgen's Hikvision sample sends it.
const char kSsdpNotify[] =
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
const char kProbeMatch[] =
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
const char kSadpCapgen[] =
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
const char kSadpRecorder[] =
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
Bytes dhip(std::string_view json) {
    Bytes b = {0x20, 0, 0, 0, 'D', 'H', 'I', 'P'};
    b.resize(32, 0);
    uint32_t n = static_cast<uint32_t>(json.size());
    for (size_t at : {16u, 24u})
        for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(n >> (8 * i));
    b.insert(b.end(), json.begin(), json.end());
    return b;
}

// The shape of a public DHIP reply of a Dahua camera (values changed).
const char kDahuaCamera[] =
    "{ \"mac\" : \"3c:ef:8c:00:00:22\", \"method\" : \"client.notifyDevInfo\", \"params\" : "
    "{ \"deviceInfo\" : { \"AlarmInputChannels\" : 1, \"DeviceClass\" : \"IPC\", "
    "\"DeviceType\" : \"IPC-HDW2431T\", \"HttpPort\" : 80, \"IPv4Address\" : "
    "{ \"DefaultGateway\" : \"10.20.0.1\", \"DhcpEnable\" : true, \"IPAddress\" : \"10.20.1.22\", "
    "\"SubnetMask\" : \"255.255.0.0\" }, \"IPv6Address\" : { \"IPAddress\" : \"fe80::1\\/64\" }, "
    "\"MachineName\" : \"Front-Door\", \"Manufacturer\" : \"Dahua\", \"Port\" : 37777, "
    "\"SerialNo\" : \"6G0ABCDEF000022\", \"Vendor\" : \"Dahua\", "
    "\"Version\" : \"2.800.0000000.25.R\" } } }\n";

bool has(const Strings& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

template <typename F>
void mutate_and_truncate(const Bytes& sample, F&& parse) {
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

void check_clean(const DeviceHint& h) {
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

}  // namespace

// ---- DHCP -----------------------------------------------------------------------------

TEST_CASE("DHCP: capgen's camera request", "[discovery]") {
    Bytes b = capgen_dhcp_request();
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->op == 1);
    CHECK(m->xid == 0x4419b621);
    CHECK(m->message_type == dhcp_message_type::request);
    REQUIRE(m->client_mac);
    CHECK(mac_to_string(*m->client_mac) == "44:19:b6:00:00:21");
    CHECK_FALSE(m->client_ip);
    REQUIRE(m->requested_ip);
    CHECK(m->requested_ip->to_string() == "10.20.1.21");
    CHECK(m->hostname == "DS-2CD2143G2-I");
    CHECK(m->vendor_class == "udhcp 1.22.1");
    CHECK(m->parameter_list == std::vector<uint8_t>{1, 3, 6, 12, 15, 28, 42});
    CHECK(m->client_id == std::vector<uint8_t>{1, 0x44, 0x19, 0xb6, 0x00, 0x00, 0x21});
    CHECK_FALSE(m->fqdn);
    CHECK_FALSE(m->options_truncated);
    CHECK(m->hint.hostname == "DS-2CD2143G2-I");
    CHECK_FALSE(m->hint.vendor);  // the vendor class names the DHCP client, not the maker
    CHECK(m->hint.evidence == Strings{"dhcp-hostname:DS-2CD2143G2-I", "dhcp-vendor-class:udhcp 1.22.1",
                                      "dhcp-params:1,3,6,12,15,28,42"});
    CHECK(m->hint.kind == DeviceKind::camera);  // DS-2CD beats udhcp's "iot"
}

TEST_CASE("DHCP: ciaddr, a reply, FQDN forms", "[discovery]") {
    const uint8_t ip[] = {10, 20, 5, 50};
    Bytes renew = dhcp(1, {53, 1, 3, 81, 12, 0x05, 0, 0, 3, 'p', 'c', '1', 3, 'L', 'A', 'N', 0, 255}, ip);
    auto m = parse_dhcp(renew.data(), renew.size());
    REQUIRE(m);
    REQUIRE(m->client_ip);
    CHECK(m->client_ip->to_string() == "10.20.5.50");
    CHECK(m->fqdn == "pc1.lan");
    CHECK(m->hint.hostname == "pc1");
    CHECK(has(m->hint.evidence, "dhcp-fqdn:pc1.lan"));
    CHECK_FALSE(m->hint.kind);

    Bytes ascii = dhcp(1, {81, 11, 0x01, 0, 0, 'h', 'o', 's', 't', '.', 'O', 'R', 'G', 255});
    m = parse_dhcp(ascii.data(), ascii.size());
    REQUIRE(m);
    CHECK(m->fqdn == "host.org");

    Bytes ack = dhcp(2, {53, 1, 5, 12, 4, 'c', 'a', 'm', '1', 255});
    ack[16] = 10; ack[17] = 20; ack[18] = 1; ack[19] = 21;  // yiaddr
    m = parse_dhcp(ack.data(), ack.size());
    REQUIRE(m);
    CHECK(m->op == 2);
    CHECK(m->message_type == dhcp_message_type::ack);
    CHECK(m->your_ip->to_string() == "10.20.1.21");
    CHECK(m->hostname == "cam1");
    CHECK(m->hint.empty());  // the server speaks: no hint about the sender
    CHECK_FALSE(m->hint.kind);
}

TEST_CASE("DHCP: pad, end, option overload into file and sname", "[discovery]") {
    Bytes b = dhcp(1, {0, 0, 53, 1, 1, 52, 1, 3, 255, 12, 3, 'b', 'a', 'd'});
    // file (108..235): hostname; sname (44..107): vendor class.
    const char host[] = {12, 5, 'c', 'a', 'm', '-', '9', (char)255};
    std::copy(host, host + sizeof host, b.begin() + 108);
    const char vendor[] = {0, 60, 4, 'a', 'c', 'm', 'e', (char)255};
    std::copy(vendor, vendor + sizeof vendor, b.begin() + 44);
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->message_type == dhcp_message_type::discover);
    CHECK(m->hostname == "cam-9");  // after end, "bad" is not read
    CHECK(m->vendor_class == "acme");
    CHECK_FALSE(m->options_truncated);

    // Without option 52 the same file bytes are a boot file name.
    Bytes plain = dhcp(1, {53, 1, 1, 255});
    std::copy(host, host + sizeof host, plain.begin() + 108);
    m = parse_dhcp(plain.data(), plain.size());
    REQUIRE(m);
    CHECK_FALSE(m->hostname);
}

TEST_CASE("DHCP: lengths beyond the buffer and bad headers", "[discovery]") {
    Bytes b = dhcp(1, {53, 1, 3, 12, 3, 'c', 'a', 'm', 60, 40, 'u', 'd'});
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->options_truncated);
    CHECK(m->hostname == "cam");  // the options before the bad one stay
    CHECK_FALSE(m->vendor_class);

    Bytes code_only = dhcp(1, {53, 1, 3, 12});
    m = parse_dhcp(code_only.data(), code_only.size());
    REQUIRE(m);
    CHECK(m->options_truncated);

    Bytes no_cookie = dhcp(1, {53, 1, 3, 255});
    no_cookie[236] = 0;
    CHECK_FALSE(parse_dhcp(no_cookie.data(), no_cookie.size()));
    Bytes bad_op = dhcp(3, {255});
    CHECK_FALSE(parse_dhcp(bad_op.data(), bad_op.size()));
    Bytes bad_hlen = dhcp(1, {255});
    bad_hlen[2] = 17;
    CHECK_FALSE(parse_dhcp(bad_hlen.data(), bad_hlen.size()));
    CHECK_FALSE(parse_dhcp(b.data(), 239));
    CHECK_FALSE(parse_dhcp(nullptr, 300));

    Bytes token_ring = dhcp(1, {255});
    token_ring[1] = 6;
    m = parse_dhcp(token_ring.data(), token_ring.size());
    REQUIRE(m);
    CHECK_FALSE(m->client_mac);
}

TEST_CASE("DHCP: repeated options concatenate; text is cleaned", "[discovery]") {
    Bytes b = dhcp(1, {12, 3, 'c', 'a', 'm', 12, 4, '-', '0', '1', 0, 60, 5, 'v', 0x01, 'x', 0xff, 'y',
                       255});
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->hostname == "cam-01");  // RFC 3396, then the trailing NUL is dropped
    CHECK(m->vendor_class == "v?x?y");
    check_clean(m->hint);
}

// ---- SSDP -------------------------------------------------------------------------------

TEST_CASE("SSDP: capgen's camera NOTIFY", "[discovery]") {
    auto m = parse_ssdp(reinterpret_cast<const uint8_t*>(kSsdpNotify), sizeof kSsdpNotify - 1);
    REQUIRE(m);
    CHECK(m->kind == SsdpKind::notify);
    CHECK(m->server == "Linux/3.0 UPnP/1.0 IPCamera/1.0");
    CHECK(m->nt == "upnp:rootdevice");
    CHECK(m->nts == "ssdp:alive");
    CHECK(m->usn == "uuid:a1b2c3d4-0000-1000-8000-4419b6000021::upnp:rootdevice");
    CHECK(m->location == "http://10.20.1.21:49152/rootDesc.xml");
    CHECK(m->hint.evidence ==
          Strings{"ssdp-server:Linux/3.0 UPnP/1.0 IPCamera/1.0", "ssdp-nt:upnp:rootdevice"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("SSDP: header case, LF lines, M-SEARCH and 200 OK", "[discovery]") {
    Bytes search = bytes(
        "M-SEARCH * HTTP/1.1\nHost: 239.255.255.250:1900\nMan: \"ssdp:discover\"\nMX: 1\n"
        "st: urn:dial-multiscreen-org:service:dial:1\nUser-Agent: Google Chrome/90.0 Linux\n\n");
    auto m = parse_ssdp(search.data(), search.size());
    REQUIRE(m);
    CHECK(m->kind == SsdpKind::search);
    CHECK(m->st == "urn:dial-multiscreen-org:service:dial:1");
    CHECK(m->hint.evidence == Strings{"ssdp-user-agent:Google Chrome/90.0 Linux",
                                      "ssdp-search:urn:dial-multiscreen-org:service:dial:1"});
    CHECK_FALSE(m->hint.kind);

    Bytes ok = bytes(
        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=100\r\nEXT:\r\n"
        "LOCATION: http://10.20.1.5:8000/desc.xml\r\nserver: Linux, UPnP/1.0, NVR/2.0\r\n"
        "ST: urn:schemas-upnp-org:device:Basic:1\r\nUSN: uuid:x::urn:schemas-upnp-org:device:Basic:1\r\n\r\n");
    m = parse_ssdp(ok.data(), ok.size());
    REQUIRE(m);
    CHECK(m->kind == SsdpKind::response);
    CHECK(m->hint.evidence == Strings{"ssdp-server:Linux, UPnP/1.0, NVR/2.0",
                                      "ssdp-nt:urn:schemas-upnp-org:device:Basic:1"});
    CHECK(m->hint.kind == DeviceKind::nvr);

    Bytes wemo = bytes("NOTIFY * HTTP/1.1\r\nNT: urn:Belkin:device:controllee:1\r\n"
                       "NTS: ssdp:byebye\r\nSERVER: Unspecified, UPnP/1.0, Unspecified\r\n\r\n");
    m = parse_ssdp(wemo.data(), wemo.size());
    REQUIRE(m);
    CHECK(m->nts == "ssdp:byebye");
    CHECK(m->hint.kind == DeviceKind::iot);

    Bytes service = bytes("NOTIFY * HTTP/1.1\r\nNT: urn:Belkin:service:basicevent:1\r\n\r\n");
    m = parse_ssdp(service.data(), service.size());
    REQUIRE(m);
    CHECK(m->nt == "urn:Belkin:service:basicevent:1");
    CHECK(m->hint.evidence.empty());  // services of a device are not evidence

    Bytes seek = bytes("M-SEARCH * HTTP/1.1\r\nST: urn:schemas-upnp-org:service:WANIPConnection:1\r\n\r\n");
    m = parse_ssdp(seek.data(), seek.size());
    REQUIRE(m);  // what a search asks for is kept: here, a port-mapping router
    CHECK(m->hint.evidence == Strings{"ssdp-search:urn:schemas-upnp-org:service:WANIPConnection:1"});

    Bytes uuid_nt = bytes("NOTIFY * HTTP/1.1\r\nNT: uuid:1234\r\n\r\n");
    m = parse_ssdp(uuid_nt.data(), uuid_nt.size());
    REQUIRE(m);
    CHECK(m->hint.evidence.empty());  // a unit's uuid is not evidence
}

TEST_CASE("SSDP: not SSDP", "[discovery]") {
    for (std::string_view s : {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n", "", "NOTIFY",
                               "HTTP/1.1 20"}) {
        Bytes b = bytes(s);
        CHECK_FALSE(parse_ssdp(b.data(), b.size()));
    }
    CHECK_FALSE(parse_ssdp(nullptr, 10));
}

// ---- WS-Discovery -------------------------------------------------------------------

TEST_CASE("WS-Discovery: capgen's ONVIF ProbeMatch", "[discovery]") {
    auto m = parse_ws_discovery(reinterpret_cast<const uint8_t*>(kProbeMatch), sizeof kProbeMatch - 1);
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::probe_matches);
    CHECK(m->types == Strings{"NetworkVideoTransmitter"});
    CHECK(m->scopes == Strings{"onvif://www.onvif.org/type/video_encoder",
                               "onvif://www.onvif.org/hardware/IPC-HDW2431T"});
    CHECK(m->xaddrs == Strings{"http://10.20.1.22/onvif/device_service"});
    CHECK(m->endpoint == "urn:uuid:e0508b00-0022-4000-8000-e0508b000022");
    CHECK(m->hint.model == "IPC-HDW2431T");
    CHECK(m->hint.evidence == Strings{"onvif:NetworkVideoTransmitter", "onvif-scope-type:video_encoder",
                                      "onvif-hardware:IPC-HDW2431T"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("WS-Discovery: other prefixes, Hello, escapes, several types", "[discovery]") {
    Bytes hello = bytes(
        "<?xml version=\"1.0\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:wsdd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" "
        "xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
        "<SOAP-ENV:Header><wsa:Action SOAP-ENV:mustUnderstand=\"true\">"
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action></SOAP-ENV:Header>"
        "<SOAP-ENV:Body><wsdd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:1</wsa:Address>"
        "</wsa:EndpointReference>\n<wsdd:Types>tds:Device dn:NetworkVideoTransmitter</wsdd:Types>\n"
        "<wsdd:Scopes>\n onvif://www.onvif.org/type/Network_Video_Transmitter "
        "onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I "
        "onvif://www.onvif.org/hardware/DS-2CD2143G2-I onvif://www.onvif.org/location/city/hangzhou "
        "onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/MAC/44:19:b6:00:00:21 "
        "http://example.com/x?a=1&amp;b=2</wsdd:Scopes>"
        "<wsdd:XAddrs>http://10.20.1.21/onvif/device_service http://[fd00::21]/onvif/device_service"
        "</wsdd:XAddrs></wsdd:Hello></SOAP-ENV:Body></SOAP-ENV:Envelope>");
    auto m = parse_ws_discovery(hello.data(), hello.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::hello);
    CHECK(m->types == Strings{"Device", "NetworkVideoTransmitter"});
    CHECK(m->scopes.size() == 7);
    CHECK(m->scopes.back() == "http://example.com/x?a=1&b=2");
    CHECK(m->xaddrs.size() == 2);
    CHECK(m->endpoint == "urn:uuid:1");
    CHECK(m->hint.model == "DS-2CD2143G2-I");
    CHECK(m->hint.evidence ==
          Strings{"onvif:Device", "onvif:NetworkVideoTransmitter",
                  "onvif-scope-type:Network_Video_Transmitter", "onvif-name:HIKVISION DS-2CD2143G2-I",
                  "onvif-hardware:DS-2CD2143G2-I", "onvif-location:city/hangzhou",
                  "onvif-profile:Streaming"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("WS-Discovery: a recorder, a probe, a printer, no Action", "[discovery]") {
    Bytes nvr = bytes(
        "<e:Envelope xmlns:e=\"s\" xmlns:d=\"d\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
        "<e:Body><d:ProbeMatches><d:ProbeMatch><d:Types>dn:NetworkVideoStorage</d:Types>"
        "</d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>");
    auto m = parse_ws_discovery(nvr.data(), nvr.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::probe_matches);
    CHECK(m->hint.kind == DeviceKind::nvr);

    Bytes probe = bytes(
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Header><Action>"
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</Action></Header><Body><Probe>"
        "<Types xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">dn:NetworkVideoTransmitter</Types>"
        "</Probe></Body></Envelope>");
    m = parse_ws_discovery(probe.data(), probe.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::probe);
    CHECK(m->hint.evidence == Strings{"wsd-probe:NetworkVideoTransmitter"});
    CHECK_FALSE(m->hint.kind);  // looking for cameras does not make one

    Bytes printer = bytes(
        "<soap:Envelope xmlns:soap=\"x\" xmlns:wsdp=\"http://schemas.xmlsoap.org/ws/2006/02/devprof\" "
        "xmlns:wprt=\"http://schemas.microsoft.com/windows/2006/08/wdp/print\"><soap:Body><wsd:Hello>"
        "<wsd:Types>wsdp:Device wprt:PrintDeviceType</wsd:Types></wsd:Hello></soap:Body></soap:Envelope>");
    m = parse_ws_discovery(printer.data(), printer.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::hello);
    CHECK(m->hint.evidence == Strings{"wsd-type:Device", "wsd-type:PrintDeviceType"});
    CHECK_FALSE(m->hint.kind);
}

TEST_CASE("WS-Discovery: not WS-Discovery", "[discovery]") {
    for (std::string_view s :
         {"", "<xml/>", "<s:Envelope><s:Body><x:Other/></s:Body></s:Envelope>", "<Envelope",
          "<Envelope><Body><ProbeMatches><Types>dn:NetworkVideoTransmitter",
          "<<<<<<<<<<<<<<<<<<<<<<<<"}) {
        Bytes b = bytes(s);
        auto m = parse_ws_discovery(b.data(), b.size());
        if (m) {
            CHECK(m->types.empty());  // an unterminated element is not read
        }
    }
    Bytes sadp = bytes(kSadpCapgen);
    CHECK_FALSE(parse_ws_discovery(sadp.data(), sadp.size()));
}

// ---- Hikvision SADP -----------------------------------------------------------------

TEST_CASE("SADP: capgen's announcement and a recorder's reply", "[discovery]") {
    auto m = parse_hikvision_sadp(reinterpret_cast<const uint8_t*>(kSadpCapgen), sizeof kSadpCapgen - 1);
    REQUIRE(m);
    CHECK_FALSE(m->is_probe);
    CHECK(m->types == "hello");
    CHECK(m->device_type == "IPC");
    CHECK(m->device_description == "DS-2CD2143G2-I");
    CHECK(m->serial == "DS-2CD2143G2-I20261102AAWRJ00000021");
    CHECK(m->mac == "44-19-b6-00-00-21");
    CHECK(m->ipv4 == "10.20.1.21");
    CHECK(m->software_version == "V5.7.3");
    CHECK(m->hint.vendor == "Hikvision");
    CHECK(m->hint.model == "DS-2CD2143G2-I");
    CHECK(m->hint.evidence == Strings{"sadp:DS-2CD2143G2-I", "sadp-type:IPC", "sadp-firmware:V5.7.3"});
    CHECK(m->hint.kind == DeviceKind::camera);

    m = parse_hikvision_sadp(reinterpret_cast<const uint8_t*>(kSadpRecorder), sizeof kSadpRecorder - 1);
    REQUIRE(m);
    CHECK(m->device_type == "44322");
    CHECK(m->analog_channels == "4");
    CHECK(m->digital_channels == "5");
    CHECK(m->software_version == "V3.5.38build 191215");
    CHECK(m->hint.kind == DeviceKind::nvr);  // DS-7xxx
}

TEST_CASE("SADP: probes, WS-Discovery and garbage", "[discovery]") {
    Bytes probe = bytes("<?xml version=\"1.0\" encoding=\"utf-8\"?><Probe><Uuid>8282F1DB</Uuid>"
                        "<Types>inquiry</Types></Probe>");
    auto m = parse_hikvision_sadp(probe.data(), probe.size());
    REQUIRE(m);
    CHECK(m->is_probe);
    CHECK(m->types == "inquiry");
    CHECK(m->hint.empty());

    CHECK_FALSE(parse_hikvision_sadp(reinterpret_cast<const uint8_t*>(kProbeMatch), sizeof kProbeMatch - 1));
    Bytes empty_match = bytes("<ProbeMatch><Uuid>x</Uuid></ProbeMatch>");
    CHECK_FALSE(parse_hikvision_sadp(empty_match.data(), empty_match.size()));
    Bytes cut = bytes("<ProbeMatch><DeviceDescription>DS-2CD");
    CHECK_FALSE(parse_hikvision_sadp(cut.data(), cut.size()));
    CHECK_FALSE(parse_hikvision_sadp(nullptr, 5));
}

// ---- Dahua ----------------------------------------------------------------------------

TEST_CASE("Dahua: DHIP camera reply", "[discovery]") {
    Bytes b = dhip(kDahuaCamera);
    auto m = parse_dahua_discovery(b.data(), b.size());
    REQUIRE(m);
    CHECK_FALSE(m->is_search);
    CHECK_FALSE(m->binary);
    CHECK(m->method == "client.notifyDevInfo");
    CHECK(m->device_type == "IPC-HDW2431T");
    CHECK(m->device_class == "IPC");
    CHECK(m->serial == "6G0ABCDEF000022");
    CHECK(m->vendor == "Dahua");
    CHECK(m->version == "2.800.0000000.25.R");
    CHECK(m->machine_name == "Front-Door");
    CHECK(m->mac == "3c:ef:8c:00:00:22");
    CHECK(m->ipv4 == "10.20.1.22");
    CHECK(m->hint.hostname == "Front-Door");
    CHECK(m->hint.vendor == "Dahua");
    CHECK(m->hint.model == "IPC-HDW2431T");
    CHECK(m->hint.evidence == Strings{"dahua-discovery:IPC-HDW2431T", "dahua-class:IPC",
                                      "dahua-vendor:Dahua", "dahua-firmware:2.800.0000000.25.R"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("Dahua: recorders, searches, no header, escapes", "[discovery]") {
    Bytes xvr = dhip(R"({"method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceClass":"XVR",)"
                     R"("DeviceType":"XVR5108HS-I3","Vendor":"General"}}})");
    auto m = parse_dahua_discovery(xvr.data(), xvr.size());
    REQUIRE(m);
    CHECK(m->hint.kind == DeviceKind::nvr);
    CHECK(m->vendor == "General");

    Bytes search = dhip("{\"method\":\"DHDiscover.search\",\"params\":{\"mac\":\"\",\"uni\":1}}\n");
    m = parse_dahua_discovery(search.data(), search.size());
    REQUIRE(m);
    CHECK(m->is_search);
    CHECK(m->hint.empty());

    Bytes bare = bytes(R"(xx{"DeviceType" : "DH-IPC-HFW1230S\"x\u0041\u4e2d","SerialNo":1,"SerialNo":"S1"})");
    m = parse_dahua_discovery(bare.data(), bare.size());
    REQUIRE(m);
    CHECK(m->device_type == "DH-IPC-HFW1230S\"xA?");
    CHECK(m->serial == "S1");  // a number is not a string: the next one is read
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("Dahua: binary UDP 5050 reply", "[discovery]") {
    Bytes b(0x78, 0);
    b[0] = 0xb3;
    std::string mac = "3c:ef:8c:00:00:23";
    std::string trailer = "SerialNo:4K0000AAA123\r\nIPv6Addr:fe80::1/64;\r\n";
    b[2] = static_cast<uint8_t>(mac.size() + 8);
    b[0x14] = static_cast<uint8_t>(trailer.size());
    std::string type = "IPC-HFW4431R";
    std::copy(type.begin(), type.end(), b.begin() + 0x28);
    b.insert(b.end(), mac.begin(), mac.end());
    for (char c : std::string("NVR4104\0", 8)) b.push_back(static_cast<uint8_t>(c));
    b.insert(b.end(), trailer.begin(), trailer.end());
    auto m = parse_dahua_discovery(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->binary);
    CHECK(m->mac == mac);
    CHECK(m->device_type == "NVR4104");  // section 2's type wins over section 1's
    CHECK(m->serial == "4K0000AAA123");
    CHECK(m->hint.kind == DeviceKind::nvr);

    Bytes request(32, 0);
    request[0] = 0xa3;
    m = parse_dahua_discovery(request.data(), request.size());
    REQUIRE(m);
    CHECK(m->is_search);
}

TEST_CASE("Dahua: not Dahua", "[discovery]") {
    for (std::string_view s : {std::string_view(""), std::string_view("hello"), std::string_view("{}"),
                               std::string_view("{\"a\":\"b\"}"), std::string_view("{\"DeviceType\":\"cut"),
                               std::string_view("\x20\0\0\0DHIP", 8)}) {
        Bytes b = bytes(s);
        CHECK_FALSE(parse_dahua_discovery(b.data(), b.size()));
    }
    Bytes short_binary(0x40, 0);
    short_binary[0] = 0xb3;
    CHECK_FALSE(parse_dahua_discovery(short_binary.data(), short_binary.size()));
    CHECK_FALSE(parse_dahua_discovery(nullptr, 4));
}

// ---- mDNS ------------------------------------------------------------------------------

namespace {
DnsRecord rr(std::string name, uint16_t type, std::string target = {}, std::vector<std::string> txt = {}) {
    DnsRecord r;
    r.name = std::move(name);
    r.type = type;
    r.target = std::move(target);
    r.txt = std::move(txt);
    return r;
}
}  // namespace

TEST_CASE("mDNS: services, instances, host names, TXT", "[discovery]") {
    DnsMessage m;
    m.is_response = true;
    m.answers = {rr("_rtsp._tcp.local", dns_type::ptr, "cam1._rtsp._tcp.local"),
                 rr("_services._dns-sd._udp.local", dns_type::ptr, "_http._tcp.local")};
    m.additionals = {rr("cam1._rtsp._tcp.local", dns_type::srv, "ipcam-21.local"),
                     rr("cam1._rtsp._tcp.local", dns_type::txt, {}, {"md=X-100", "junk", "manufacturer=Acme"}),
                     rr("ipcam-21.local", dns_type::a)};
    DeviceHint h = parse_mdns_hints(m);
    CHECK(h.hostname == "ipcam-21");
    CHECK(h.model == "X-100");
    CHECK(h.vendor == "Acme");
    CHECK(h.evidence == Strings{"mdns:_rtsp._tcp.local", "mdns-instance:cam1", "mdns:_http._tcp.local",
                                "mdns-host:ipcam-21.local", "mdns-model:X-100"});
    CHECK(h.kind == DeviceKind::camera);

    DnsMessage hap;
    hap.is_response = true;
    hap.answers = {rr("_hap._tcp.local", dns_type::ptr, "doorbell._hap._tcp.local"),
                   rr("doorbell._hap._tcp.local", dns_type::txt, {}, {"ci=18", "md=Doorbell 2"}),
                   rr("21.1.20.10.in-addr.arpa", dns_type::ptr, "bell.local")};
    h = parse_mdns_hints(hap);
    CHECK(h.kind == DeviceKind::camera);
    CHECK(h.hostname == "bell");
    CHECK(has(h.evidence, "hap-ci:18"));

    DnsMessage cast;
    cast.is_response = true;
    cast.answers = {rr("_googlecast._tcp.local", dns_type::ptr, "chromecast-1234._googlecast._tcp.local")};
    CHECK(parse_mdns_hints(cast).kind == DeviceKind::iot);
}

TEST_CASE("mDNS: queries and probes", "[discovery]") {
    DnsMessage q;
    q.questions = {{"_spotify-connect._tcp.local", dns_type::ptr, 1, false},
                   {"android.local", dns_type::any, 1, true}};
    q.authorities = {rr("android.local", dns_type::a)};
    DeviceHint h = parse_mdns_hints(q);
    CHECK(h.hostname == "android");
    CHECK(h.evidence == Strings{"mdns-host:android.local", "mdns-query:_spotify-connect._tcp.local"});
    CHECK_FALSE(h.kind);

    // Answers in a query are known answers about others: not read.
    DnsMessage known;
    known.answers = {rr("_rtsp._tcp.local", dns_type::ptr, "other._rtsp._tcp.local")};
    CHECK(parse_mdns_hints(known).empty());
}

TEST_CASE("mDNS: from bytes, with an escaped instance name", "[discovery]") {
    // _axis-video._tcp.local PTR "AXIS M3045.V - 1"._axis-video._tcp.local
    Bytes b = {0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    auto label = [&b](std::string_view s) {
        b.push_back(static_cast<uint8_t>(s.size()));
        b.insert(b.end(), s.begin(), s.end());
    };
    label("_axis-video");
    label("_tcp");
    label("local");
    b.push_back(0);
    b.insert(b.end(), {0, 12, 0, 1, 0, 0, 0x11, 0x94, 0, 19});
    label("AXIS M3045.V - 1");
    b.insert(b.end(), {0xc0, 12});
    auto m = parse_dns_message(b.data(), b.size());
    REQUIRE(m);
    REQUIRE(m->answers.size() == 1);
    DeviceHint h = parse_mdns_hints(*m);
    CHECK(h.evidence == Strings{"mdns:_axis-video._tcp.local", "mdns-instance:axis\\032m3045\\.v\\032-\\0321"});
    CHECK(h.kind == DeviceKind::camera);
}

// ---- classification ------------------------------------------------------------------------

TEST_CASE("classify: the vocabulary and its precedence", "[discovery]") {
    CHECK(classify_evidence("onvif:NetworkVideoTransmitter") == DeviceKind::camera);
    CHECK(classify_evidence("onvif:networkvideotransmitter") == DeviceKind::camera);
    CHECK(classify_evidence("onvif:NetworkVideoDisplay") == DeviceKind::nvr);
    CHECK_FALSE(classify_evidence("onvif:Device"));
    CHECK(classify_evidence("sadp:DS-2CD2143G2-I") == DeviceKind::camera);
    CHECK(classify_evidence("sadp:DS-7608NI-K2") == DeviceKind::nvr);
    CHECK(classify_evidence("sadp:DS-9632NI-I8") == DeviceKind::nvr);
    CHECK(classify_evidence("dahua-discovery:DHI-NVR5416-4KS2") == DeviceKind::nvr);
    CHECK(classify_evidence("dahua-discovery:IPC-HDW5421S") == DeviceKind::camera);
    CHECK(classify_evidence("dahua-class:HCVR") == DeviceKind::nvr);
    CHECK(classify_evidence("dhcp-hostname:DCS-935L") == DeviceKind::camera);
    CHECK(classify_evidence("dhcp-hostname:DCH-S150") == DeviceKind::iot);
    CHECK(classify_evidence("dhcp-hostname:ESP_07AEFB") == DeviceKind::iot);
    CHECK_FALSE(classify_evidence("dhcp-hostname:my-laptop"));
    CHECK(classify_evidence("dhcp-vendor-class:udhcp 0.9.8") == DeviceKind::iot);
    CHECK_FALSE(classify_evidence("dhcp-vendor-class:MSFT 5.0"));
    CHECK(classify_evidence("mdns:_rtsp._tcp.local") == DeviceKind::camera);
    CHECK(classify_evidence("mdns:_onvif._tcp.local") == DeviceKind::camera);
    CHECK_FALSE(classify_evidence("mdns:_http._tcp.local"));
    CHECK(classify_evidence("ssdp-server:Embedded/1.0 UPnP/1.0 IPCamera-UPnP/1.0") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Linux/2.6 UPnP/1.0 IpCamera/1.0") == DeviceKind::camera);
    CHECK_FALSE(classify_evidence("ssdp-server:Linux UPnP/1.0 Sonos/57.3 (ZPS1)"));
    CHECK(classify_evidence("ssdp-nt:urn:schemas-upnp-org:device:DigitalSecurityCamera:1") == DeviceKind::camera);
    CHECK_FALSE(classify_evidence("ssdp-search:urn:schemas-upnp-org:device:DigitalSecurityCamera:1"));
    CHECK_FALSE(classify_evidence("wsd-probe:NetworkVideoTransmitter"));
    // Strings seen in the IoT Sentinel captures (see the table's comments).
    CHECK(classify_evidence("ssdp-nt:hnap:NetworkCamera") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Linux,    UPnP/1.0 DCS-935L/1.0") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-nt:urn:schemas-upnp-org:device:DCS-935L:1") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Cellvision UPnP/1.0") == DeviceKind::camera);
    CHECK(classify_evidence("mdns-host:dcs-935l-b0c554255b0e.local") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0") == DeviceKind::iot);
    CHECK(classify_evidence("ssdp-nt:urn:Belkin:device:insight:1") == DeviceKind::iot);
    CHECK_FALSE(classify_evidence("ssdp-server:Unspecified, UPnP/1.0, Unspecified"));
    CHECK_FALSE(classify_evidence("no-colon"));
    CHECK_FALSE(classify_evidence(""));

    DeviceHint h;
    h.evidence = {"dhcp-vendor-class:udhcp 1.22.1"};
    classify_hint(h);
    CHECK(h.kind == DeviceKind::iot);
    h.evidence.push_back("onvif:NetworkVideoTransmitter");
    classify_hint(h);
    CHECK(h.kind == DeviceKind::camera);
    h.evidence.push_back("sadp:DS-7608NI-K2");
    classify_hint(h);
    CHECK(h.kind == DeviceKind::nvr);
    h.evidence = {"dhcp-hostname:laptop"};
    classify_hint(h);
    CHECK_FALSE(h.kind);
}

TEST_CASE("merge_hint: first values stay, evidence is pooled once", "[discovery]") {
    DeviceHint a;
    a.hostname = "cam";
    a.evidence = {"dhcp-hostname:cam", "dhcp-vendor-class:udhcp 1.22.1"};
    classify_hint(a);
    DeviceHint b;
    b.hostname = "other";
    b.model = "IPC-HDW2431T";
    b.evidence = {"dhcp-vendor-class:udhcp 1.22.1", "onvif:NetworkVideoTransmitter"};
    merge_hint(a, b);
    CHECK(a.hostname == "cam");
    CHECK(a.model == "IPC-HDW2431T");
    CHECK(a.evidence == Strings{"dhcp-hostname:cam", "dhcp-vendor-class:udhcp 1.22.1",
                                "onvif:NetworkVideoTransmitter"});
    CHECK(a.kind == DeviceKind::camera);

    DeviceHint many;
    for (int i = 0; i < 100; ++i) many.evidence.push_back("x:" + std::to_string(i));
    DeviceHint into;
    merge_hint(into, many);
    CHECK(into.evidence.size() == kMaxEvidence);
}

// ---- robustness ----------------------------------------------------------------------------

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
