// src/core/discovery/mdns.cpp: parse_mdns_hints.

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("mDNS: services, instances, host names, TXT", "[discovery][mdns]") {
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

TEST_CASE("mDNS: queries and probes", "[discovery][mdns]") {
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

TEST_CASE("mDNS: from bytes, with an escaped instance name", "[discovery][mdns]") {
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
