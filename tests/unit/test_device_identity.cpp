// Device identity on its own: DHCP and discovery hints, the resolver role,
// vendor-cloud lookups, video services on flows, and the records it writes
// (with the re-judging a new identity asks for).
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "egresswatch/device_identity.hpp"
#include "test_sensor_support.hpp"

using namespace egresswatch;
using sensor_test::ip;

namespace {

// A DeviceIdentity over 192.168.1.0/24 with the repository's rules, an
// empty MAC registry, and the records it writes kept.
struct Fixture {
    std::vector<StoreRecord> written;
    DeviceIdentity identity{OuiRegistry::load("/nonexistent"), nullptr,
                            std::make_shared<const Rules>(Rules::load(SOURCE_DIR "/rules", "GB")),
                            {*Cidr::parse("192.168.1.0/24")}, 64,
                            [this](std::vector<StoreRecord> records) {
                                for (auto& r : records) written.push_back(std::move(r));
                            }};

    const DeviceRecord& device_record(const std::string& address) const {
        for (const auto& r : written)
            if (const auto* d = std::get_if<DeviceRecord>(&r); d && d->ip == address) return *d;
        FAIL("no device record for " << address);
        throw;
    }
    size_t rejudge_requests() const {
        size_t n = 0;
        for (const auto& r : written) n += std::holds_alternative<RejudgeRequest>(r);
        return n;
    }
};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : " | ") + item;
    return out;
}

// A TCP flow from `device` to `remote` (ports as given), answered.
FlowOutput flow(const char* device, uint16_t device_port, const char* remote, uint16_t remote_port,
                bool remote_local) {
    FlowOutput o;
    o.flow.key.low_ip = ip(device);
    o.flow.key.high_ip = ip(remote);
    o.flow.key.low_port = device_port;
    o.flow.key.high_port = remote_port;
    o.flow.key.protocol = 6;
    o.flow.device_is_low = true;
    o.flow.remote_is_local = remote_local;
    o.flow.first_us = 1'000'000;
    o.flow.last_us = 2'000'000;
    o.flow.packets_out = o.flow.packets_in = 3;
    return o;
}

}  // namespace

TEST_CASE("device identity: a DHCP request names the client", "[device_identity]") {
    Fixture f;
    capgen::DhcpRequest request;
    request.xid = 1;
    request.client_mac = sensor_test::kCameraMac;
    request.client_ip = capgen::ip("192.168.1.20");
    request.hostname = "IPC-front-door";
    request.vendor_class = "udhcp 1.22.1";
    auto d = sensor_test::decode(sensor_test::udp_frame(sensor_test::kCameraMac, sensor_test::kRouterMac,
                                                        "192.168.1.20", "192.168.1.1", 68, 67,
                                                        capgen::dhcp_request(request)));
    f.identity.learn_from_dhcp(d.packet, 5'000'000);
    f.identity.write_changed();
    const DeviceRecord& r = f.device_record("192.168.1.20");
    CHECK(r.hostname == std::optional<std::string>("IPC-front-door"));
    CHECK(r.mac == std::optional<std::string>("00:11:22:00:00:20"));
    CHECK(joined(r.identified_by) == "dhcp-hostname:IPC-front-door | dhcp-vendor-class:udhcp 1.22.1");
    CHECK(r.first_us == 5'000'000);
    // Written once: nothing changed since.
    f.written.clear();
    f.identity.write_changed();
    CHECK(f.written.empty());
}

TEST_CASE("device identity: a SADP announcement makes a camera, and its flows are judged again", "[device_identity]") {
    Fixture f;
    f.identity.note_time(9'000'000);
    capgen::SadpAnnouncement a;
    a.uuid = "5C3A0B3E-0000-0000-0000-000000000001";
    a.device_type = "IPCamera";
    a.model = "DS-2CD2043G0-I";
    a.serial = "DS-2CD2043G0-I20200101AAWRD00000001";
    a.mac = "00-11-22-00-00-20";
    a.ipv4 = "192.168.1.20";
    a.firmware = "V5.6.3";
    auto d = sensor_test::decode(sensor_test::udp_frame(sensor_test::kCameraMac, capgen::mac("01:00:5e:7f:ff:fa"),
                                                        "192.168.1.20", "239.255.255.250", 37020, 37020,
                                                        capgen::sadp_announcement(a)));
    f.identity.learn_from_announcement(Announcement::sadp, d.packet, 8'000'000);
    f.identity.write_changed();
    const DeviceRecord& r = f.device_record("192.168.1.20");
    CHECK(r.kind == "camera");
    REQUIRE(f.rejudge_requests() == 1);
    const auto& rejudge = std::get<RejudgeRequest>(f.written.back());  // after the device's record
    CHECK(rejudge.device_ip == std::optional<std::string>("192.168.1.20"));
    CHECK(rejudge.cause.rfind("re-judged:", 0) == 0);
    CHECK(rejudge.raised_us == 9'000'000);
}

TEST_CASE("device identity: a LAN resolver is not identified by the names it resolves", "[device_identity]") {
    Fixture f;
    auto d = sensor_test::decode(sensor_test::udp_frame(sensor_test::kRouterMac, sensor_test::kCameraMac,
                                                        "192.168.1.1", "192.168.1.20", 53, 40000,
                                                        capgen::dns_response(1, "x.example", capgen::DnsType::kA, {})));
    f.identity.note_dns_answer(d.packet, 1'000'000);
    f.identity.note_dns_lookup(ip("192.168.1.20"), nullptr, ResolvedName{"litedev.hik-connect.com", {}}, 1'000'000);
    f.identity.write_changed();
    CHECK(joined(f.device_record("192.168.1.1").identified_by) == "dns-server:1 client");
    const DeviceRecord& client = f.device_record("192.168.1.20");
    CHECK(client.kind == "camera");
    CHECK(client.vendor == std::optional<std::string>("Hikvision"));
    CHECK(joined(client.identified_by) == "dns:litedev.hik-connect.com");
}

TEST_CASE("device identity: a vendor cloud through an alias counts, an unknown name does not", "[device_identity]") {
    Fixture f;
    f.identity.note_dns_lookup(ip("192.168.1.21"), nullptr, ResolvedName{"a.example", {"b.ezvizlife.com"}}, 1);
    f.identity.note_dns_lookup(ip("192.168.1.22"), nullptr, ResolvedName{"www.example.org", {}}, 1);
    f.identity.note_dns_lookup(ip("8.8.8.8"), nullptr, ResolvedName{"litedev.hik-connect.com", {}}, 1);  // not local
    f.identity.write_changed();
    CHECK(f.device_record("192.168.1.21").kind == "camera");
    CHECK(f.identity.devices().size() == 1);
}

TEST_CASE("device identity: a LAN end answering RTSP serves video, its client pulls it", "[device_identity]") {
    Fixture f;
    FlowEnds ends = f.identity.observe_flow(flow("192.168.1.30", 50000, "192.168.1.20", 554, true));
    REQUIRE(ends.device);
    REQUIRE(ends.remote);
    CHECK(ends.remote->kind == DeviceKind::camera);
    CHECK(joined(ends.remote->identified_by) == "rtsp-server:554");
    CHECK(ends.device->kind == DeviceKind::nvr);
    CHECK(joined(ends.device->identified_by) == "rtsp-client");
    // Unanswered: nothing served.
    Fixture g;
    FlowOutput unanswered = flow("192.168.1.30", 50000, "192.168.1.20", 554, true);
    unanswered.flow.packets_in = 0;
    CHECK(g.identity.observe_flow(unanswered).remote->kind == DeviceKind::other);
}

TEST_CASE("device identity: a flow to a vendor cloud by name, and the gateway is a router", "[device_identity]") {
    Fixture f;
    FlowOutput o = flow("192.168.1.20", 50000, "47.96.1.10", 443, false);
    o.flow.domain = "api.hik-connect.com";
    o.flow.device_mac = {0x00, 0x11, 0x22, 0x00, 0x00, 0x20};
    o.flow.has_device_mac = true;
    o.flow.remote_mac = {0x00, 0x11, 0x22, 0x00, 0x00, 0x01};
    o.flow.has_remote_mac = true;
    o.app_protocol = "TLS";
    FlowEnds ends = f.identity.observe_flow(o);
    CHECK_FALSE(ends.remote);  // not local
    REQUIRE(ends.device);
    CHECK(joined(ends.device->identified_by) == "sni:api.hik-connect.com");
    CHECK(ends.device->vendor == "Hikvision");
    CHECK(f.identity.identity_of(ip("192.168.1.20")) == ends.device);
    CHECK_FALSE(f.identity.is_local(ip("47.96.1.10")));
}

namespace {

// A flow of 192.168.1.20 to a camera vendor's cloud by name (SNI): it makes the device a camera.
FlowOutput vendor_cloud_flow(int64_t first_us) {
    FlowOutput o = flow("192.168.1.20", 50001, "47.96.1.10", 443, false);
    o.flow.domain = "api.hik-connect.com";
    o.app_protocol = "TLS";
    o.flow.first_us = first_us;
    o.flow.last_us = first_us + 1'000'000;
    return o;
}

std::vector<RejudgeRequest> requests(const std::vector<StoreRecord>& written) {
    std::vector<RejudgeRequest> out;
    for (const auto& r : written)
        if (const auto* q = std::get_if<RejudgeRequest>(&r)) out.push_back(*q);
    return out;
}

}  // namespace

TEST_CASE("device identity: a new kind has judged again this run's flows judged with another, up to the last of them",
          "[device_identity]") {
    Fixture f;
    f.identity.note_time(9'000'000);
    // A final record judged while the device was unknown (as the sensor notes it).
    FlowOutput before = flow("192.168.1.20", 50000, "198.51.100.7", 443, false);
    f.identity.observe_flow(before).device->note_judged(DeviceKind::other, before.flow.first_us);
    // Then the flow that identifies it, judged as a camera's.
    FlowOutput identifying = vendor_cloud_flow(3'000'000);
    FlowEnds ends = f.identity.observe_flow(identifying);
    REQUIRE(ends.device->kind == DeviceKind::camera);
    ends.device->note_judged(DeviceKind::camera, identifying.flow.first_us);
    f.identity.write_changed();
    auto r = requests(f.written);
    REQUIRE(r.size() == 2);
    // This run's: those that began by the last flow judged with another kind (until is exclusive).
    CHECK(r[0].device_ip == std::optional<std::string>("192.168.1.20"));
    CHECK(r[0].until_us == std::optional<int64_t>(1'000'001));
    CHECK_FALSE(r[0].earlier_runs_only);
    // Earlier runs': all of them, judged with what the store said then.
    CHECK(r[1].until_us == std::nullopt);
    CHECK(r[1].earlier_runs_only);
    CHECK(r[1].raised_us == 9'000'000);
}

TEST_CASE("device identity: a device identified before its flows ended has only earlier runs' flows judged again",
          "[device_identity]") {
    Fixture f;
    FlowOutput identifying = vendor_cloud_flow(3'000'000);
    f.identity.observe_flow(identifying).device->note_judged(DeviceKind::camera, identifying.flow.first_us);
    f.identity.write_changed();
    auto r = requests(f.written);
    REQUIRE(r.size() == 1);
    CHECK(r[0].earlier_runs_only);
    CHECK(r[0].until_us == std::nullopt);
    // Its later flows are judged as a camera's: nothing to judge again.
    f.written.clear();
    FlowOutput later = vendor_cloud_flow(5'000'000);
    f.identity.observe_flow(later).device->note_judged(DeviceKind::camera, later.flow.first_us);
    f.identity.write_changed();
    CHECK(f.device_record("192.168.1.20").last_us == 6'000'000);
    CHECK(requests(f.written).empty());
}
