// src/core/discovery/ssdp.cpp: parse_ssdp.

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("SSDP: capgen's camera NOTIFY", "[discovery][ssdp]") {
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

TEST_CASE("SSDP: header case, LF lines, M-SEARCH and 200 OK", "[discovery][ssdp]") {
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

TEST_CASE("SSDP: not SSDP", "[discovery][ssdp]") {
    for (std::string_view s : {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n", "", "NOTIFY",
                               "HTTP/1.1 20"}) {
        Bytes b = bytes(s);
        CHECK_FALSE(parse_ssdp(b.data(), b.size()));
    }
    CHECK_FALSE(parse_ssdp(nullptr, 10));
}
