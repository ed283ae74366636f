// Record enrichment on its own: a FlowOutput and what the other stages know
// of it become the stored record (geo, DNS name, verdict, Community ID).
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "egresswatch/community_id.hpp"
#include "egresswatch/record_enricher.hpp"
#include "test_sensor_support.hpp"

using namespace egresswatch;
using sensor_test::ip;

namespace {

RecordEnricher enricher() {
    return RecordEnricher(std::make_shared<const Rules>(Rules::load(SOURCE_DIR "/rules", "GB")),
                          std::make_unique<GeoLocator>(std::vector<std::string>{TEST_GEOIP_DIR}), "GB", "run");
}

// 192.168.1.20:50000 -> remote:port over TCP, 3 packets each way, device-initiated.
FlowOutput flow_to(const char* remote, uint16_t port, uint8_t protocol = 6) {
    FlowOutput o;
    o.flow.key.low_ip = ip("192.168.1.20");
    o.flow.key.high_ip = ip(remote);
    o.flow.key.low_port = 50000;
    o.flow.key.high_port = port;
    o.flow.key.protocol = protocol;
    o.flow.sequence = 7;
    o.flow.first_us = 1'000'000;
    o.flow.last_us = 3'000'000;
    o.flow.packets_out = o.flow.packets_in = 3;
    o.flow.bytes_out = 300;
    o.flow.bytes_in = 4000;
    return o;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : " | ") + item;
    return out;
}

}  // namespace

TEST_CASE("record enricher: a camera's flow to a Chinese cloud, named by passive DNS", "[record_enricher]") {
    RecordEnricher e = enricher();
    DeviceState camera;
    camera.kind = DeviceKind::camera;
    ResolvedName name{"litedev.hik-connect.com", {}};
    FlowOutput o = flow_to("47.96.1.10", 443);
    o.final = true;
    FlowRecord r = e.enrich(o, FlowContext{&camera, &camera, &name});
    CHECK(r.uid == "run-7");
    CHECK(r.transport == "tcp");
    CHECK(r.device_ip == "192.168.1.20");
    CHECK(r.remote_ip == "47.96.1.10");
    CHECK(r.device_port == 50000);
    CHECK(r.remote_port == 443);
    CHECK(r.community_id ==
          community_id_v1(ip("192.168.1.20"), ip("47.96.1.10"), 6, 50000, 443));
    CHECK(r.domain == std::optional<std::string>("litedev.hik-connect.com"));
    CHECK(r.country == std::optional<std::string>("CN"));
    CHECK(r.asn == std::optional<uint32_t>(37963));
    CHECK(r.severity == "high");
    CHECK(joined(r.reasons) ==
          "country:CN | network:AS37963 Alibaba (Chinese-owned cloud) | domain:hik-connect.com (Hikvision cloud) | "
          "left-country:CN");
    CHECK(r.closed);
    CHECK(r.first_record);
    CHECK(r.bytes_out == 300);
    CHECK(r.packets_in == 3);
}

TEST_CASE("record enricher: the same flow from an unidentified device is low", "[record_enricher]") {
    RecordEnricher e = enricher();
    FlowRecord r = e.enrich(flow_to("47.96.1.10", 443), FlowContext{});
    CHECK_FALSE(r.domain);
    CHECK(r.severity == "low");
    CHECK_FALSE(r.closed);
}

TEST_CASE("record enricher: a flow on the LAN has no geolocation and no verdict", "[record_enricher]") {
    RecordEnricher e = enricher();
    FlowOutput o = flow_to("192.168.1.30", 554);
    o.flow.remote_is_local = true;
    DeviceState camera;
    camera.kind = DeviceKind::camera;
    FlowRecord r = e.enrich(o, FlowContext{&camera, &camera, nullptr});
    CHECK(r.remote_local);
    CHECK_FALSE(r.country);
    CHECK_FALSE(r.asn);
    CHECK(r.severity.empty());
    CHECK(r.reasons.empty());
}

TEST_CASE("record enricher: a LAN resolver's lookups are not judged by their names", "[record_enricher]") {
    RecordEnricher e = enricher();
    DeviceState resolver;
    resolver.answered_dns_client(ip("192.168.1.21"));
    REQUIRE(resolver.is_resolver());
    FlowOutput o = flow_to("47.254.10.20", 53, 17);
    o.flow.domain = "litedev.hik-connect.com";
    FlowRecord r = e.enrich(o, FlowContext{&resolver, &resolver, nullptr});
    CHECK(r.domain == std::optional<std::string>("litedev.hik-connect.com"));  // still recorded
    CHECK(r.country == std::optional<std::string>("DE"));
    // Judged as anyone's DNS abroad: Alibaba's network, not the camera cloud's name.
    CHECK(joined(r.reasons).find("domain:") == std::string::npos);
    CHECK(joined(r.reasons).find("resolver-abroad") != std::string::npos);
}

TEST_CASE("record enricher: the device a sink is told of", "[record_enricher]") {
    DeviceState box, address;
    box.kind = DeviceKind::nvr;
    box.vendor = "Hikvision";
    CHECK(flow_device(FlowContext{}).kind == "other");
    FlowDevice d = flow_device(FlowContext{&address, &box, nullptr});
    CHECK(d.kind == "nvr");
    CHECK(d.vendor == "Hikvision");  // the address has none of its own
    address.vendor = "Acme";
    CHECK(flow_device(FlowContext{&address, &box, nullptr}).vendor == "Acme");
    CHECK(transport_name(58, 6) == "icmpv6");
    CHECK(transport_name(58, 4) == "ip-58");
    CHECK(transport_name(99, 4) == "ip-99");
}
