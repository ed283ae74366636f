// The device registry: what a device is identified by, how the kind is
// decided and withdrawn, its bounds, and which MACs name a maker.
#include <catch2/catch.hpp>

#include <string>

#include "egresswatch/devices.hpp"
#include "egresswatch/discovery.hpp"

using namespace egresswatch;

namespace {
IpAddress ip(const char* text) { return *IpAddress::parse(text); }
}  // namespace

TEST_CASE("devices: the strongest signal decides the kind; withdrawing it decides again", "[devices]") {
    DeviceState d;
    d.add_evidence("dhcp-vendor-class:udhcp 1.22.1", DeviceKind::iot, signal_strength::names_itself);
    CHECK(d.kind == DeviceKind::iot);
    d.add_evidence("dns:litedev.hik-connect.com", DeviceKind::camera, signal_strength::vendor_cloud);
    CHECK(d.kind == DeviceKind::camera);
    CHECK(d.kind_strength == signal_strength::vendor_cloud);
    d.withdraw_evidence("dns:");
    CHECK(d.kind == DeviceKind::iot);
    CHECK(d.kind_strength == signal_strength::names_itself);
    CHECK(d.identified_by == std::vector<std::string>{"dhcp-vendor-class:udhcp 1.22.1"});
    CHECK(d.weights.size() == 1);
}

TEST_CASE("devices: a resolver is not identified by the names it resolves", "[devices]") {
    DeviceState router;
    // The router looks the camera's cloud up upstream before it answers the camera.
    router.add_evidence("dns:litedev.hik-connect.com", DeviceKind::camera, signal_strength::vendor_cloud);
    router.infer_vendor("Hikvision", true);
    CHECK(router.kind == DeviceKind::camera);
    router.answered_dns_client(ip("192.168.1.20"));
    CHECK(router.is_resolver());
    CHECK(router.kind == DeviceKind::other);
    CHECK(router.vendor.empty());
    CHECK(router.identified_by == std::vector<std::string>{"dns-server:1 client"});
    // Later lookups add nothing; more clients are counted in one item.
    router.add_evidence("dns:dev.ezvizlife.com", DeviceKind::camera, signal_strength::vendor_cloud);
    router.answered_dns_client(ip("192.168.1.21"));
    router.answered_dns_client(ip("192.168.1.21"));
    router.answered_dns_client(ip("192.168.1.22"));
    CHECK(router.kind == DeviceKind::other);
    CHECK(router.identified_by == std::vector<std::string>{"dns-server:3 clients"});
    // What it says of itself still counts.
    router.add_evidence("dhcp-hostname:OpenWrt", std::nullopt, signal_strength::note);
    CHECK(router.identified_by.size() == 2);
}

TEST_CASE("devices: evidence is bounded per signal kind", "[devices]") {
    DeviceState d;
    for (int i = 0; i < 4000; ++i)
        d.add_evidence("mdns-host:name" + std::to_string(i) + ".local", std::nullopt, signal_strength::note);
    d.add_evidence("dhcp-hostname:cam01", DeviceKind::camera, signal_strength::names_itself);
    CHECK(d.identified_by.size() == DeviceState::kMaxEvidencePerSignal + 1);
    CHECK(d.identified_by.back() == "dhcp-hostname:cam01");
    CHECK(d.kind == DeviceKind::camera);
    // A repeat is not added again.
    d.add_evidence("dhcp-hostname:cam01", DeviceKind::camera, signal_strength::names_itself);
    CHECK(d.identified_by.size() == DeviceState::kMaxEvidencePerSignal + 1);
}

TEST_CASE("devices: only a maker's MAC is looked up", "[devices]") {
    CHECK(is_vendor_mac(MacAddress{0x44, 0x19, 0xb6, 0x00, 0x00, 0x21}));
    CHECK_FALSE(is_vendor_mac(MacAddress{0, 0, 0, 0, 0, 0}));               // cooked and raw captures
    CHECK_FALSE(is_vendor_mac(MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    CHECK_FALSE(is_vendor_mac(MacAddress{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}));  // multicast
    CHECK_FALSE(is_vendor_mac(MacAddress{0xda, 0xa1, 0x19, 0x12, 0x34, 0x56}));  // randomised
    CHECK(is_unicast_mac(MacAddress{0xda, 0xa1, 0x19, 0x12, 0x34, 0x56}));
    CHECK_FALSE(is_unicast_mac(MacAddress{0, 0, 0, 0, 0, 0}));

    OuiRegistry oui = OuiRegistry::load("/nonexistent");
    Rules rules;
    DeviceRegistry registry(oui, nullptr);
    MacAddress zero{};
    DeviceState& cooked = registry.observe(ip("10.0.0.5"), &zero, 1, 2, rules);
    CHECK_FALSE(cooked.has_mac);
    CHECK(cooked.identified_by.empty());
    MacAddress random{0xda, 0xa1, 0x19, 0x12, 0x34, 0x56};
    DeviceState& phone = registry.observe(ip("10.0.0.6"), &random, 1, 2, rules);
    CHECK(phone.has_mac);
    CHECK(phone.vendor.empty());
    CHECK(phone.identified_by == std::vector<std::string>{"mac:locally-administered"});
}

TEST_CASE("devices: words in a device's own name", "[devices][discovery]") {
    CHECK(classify_evidence("dhcp-hostname:front-camera") == DeviceKind::camera);
    CHECK(classify_evidence("dhcp-hostname:garage_cam01") == DeviceKind::camera);
    CHECK(classify_evidence("dhcp-hostname:RingDoorbell-4f") == DeviceKind::camera);
    CHECK(classify_evidence("mdns-host:IPC.local") == DeviceKind::camera);
    CHECK(classify_evidence("dhcp-hostname:blink-xt2") == DeviceKind::camera);
    CHECK(classify_evidence("mdns-instance:Office NVR") == DeviceKind::nvr);
    CHECK(classify_evidence("dhcp-fqdn:shop-dvr.example.org") == DeviceKind::nvr);
    // Not a word of its own: no camera.
    CHECK_FALSE(classify_evidence("dhcp-hostname:camille-laptop"));
    CHECK_FALSE(classify_evidence("dhcp-hostname:Cambridge-PC"));
    CHECK_FALSE(classify_evidence("dhcp-hostname:scampi"));
    CHECK_FALSE(classify_evidence("dhcp-hostname:blinker"));
}

namespace {
// A registry with no MAC registry and no rules, for the box tests.
struct Boxes {
    OuiRegistry oui = OuiRegistry::load("/nonexistent");
    Rules rules;
    DeviceRegistry registry{oui, nullptr};
    DeviceState& observe(const IpAddress& address, const MacAddress* mac, int64_t first_us, int64_t last_us) {
        return registry.observe(address, mac, first_us, last_us, rules);
    }
};
}  // namespace

TEST_CASE("devices: the addresses of one MAC are one box with one identity", "[devices][box]") {
    Boxes boxes;
    DeviceRegistry& registry = boxes.registry;
    MacAddress nvr{0x02, 0, 0, 0, 0, 0x30};
    boxes.observe(ip("10.0.0.30"), &nvr, 1, 2);
    DeviceState& v6 = boxes.observe(ip("fd00::30"), &nvr, 3, 4);
    v6.add_evidence("rtsp-client:10.0.0.21", DeviceKind::nvr, signal_strength::pulls_video);
    registry.find(ip("10.0.0.30"))->add_evidence("dhcp-hostname:nvr", DeviceKind::camera, signal_strength::names_itself);

    REQUIRE(registry.box_of(ip("10.0.0.30")) == nvr);
    CHECK(registry.box_members(ip("fd00::30")) == std::vector<IpAddress>{ip("10.0.0.30"), ip("fd00::30")});
    // The strongest evidence of any address is the box's.
    CHECK(registry.identity_of(ip("10.0.0.30"))->kind == DeviceKind::camera);
    DeviceState box = registry.box_state(ip("fd00::30"));
    CHECK(box.kind == DeviceKind::camera);
    CHECK(box.identified_by == std::vector<std::string>{"mac:locally-administered", "dhcp-hostname:nvr", "rtsp-client:10.0.0.21"});
    CHECK(box.first_us == 3);  // activity stays the address's own
    CHECK(box.last_us == 4);

    // The old lease given to another MAC leaves the box.
    MacAddress laptop{0x02, 0, 0, 0, 0, 0x99};
    boxes.observe(ip("10.0.0.30"), &laptop, 5, 6);
    CHECK(registry.box_members(ip("fd00::30")) == std::vector<IpAddress>{ip("fd00::30")});
    CHECK(registry.identity_of(ip("fd00::30"))->kind == DeviceKind::nvr);
}

TEST_CASE("devices: a MAC with more than four IPv4 addresses is a router, for good", "[devices][box]") {
    Boxes boxes;
    DeviceRegistry& registry = boxes.registry;
    MacAddress l3{0x02, 0, 0, 0, 0, 0x01};
    for (int host = 1; host <= 4; ++host)
        boxes.observe(ip(("10.40.0." + std::to_string(host)).c_str()), &l3, 1, 2);
    CHECK(registry.box_members(ip("10.40.0.1")).size() == 4);
    for (auto& [address, device] : registry.all()) device.dirty = false;
    registry.find(ip("10.40.0.1"))->add_evidence("rtsp-server", DeviceKind::camera, signal_strength::serves_video);
    CHECK(registry.identity_of(ip("10.40.0.4"))->kind == DeviceKind::camera);

    boxes.observe(ip("10.40.0.5"), &l3, 1, 2);
    CHECK_FALSE(registry.box_of(ip("10.40.0.1")));
    CHECK(registry.box_members(ip("10.40.0.4")) == std::vector<IpAddress>{ip("10.40.0.4")});
    CHECK(registry.identity_of(ip("10.40.0.4"))->kind == DeviceKind::other);
    for (const auto& [address, device] : registry.all()) CHECK(device.dirty);  // each is written as its own again
    // An address leaving does not make it a box again.
    MacAddress other{0x02, 0, 0, 0, 0, 0x02};
    boxes.observe(ip("10.40.0.5"), &other, 3, 4);
    CHECK_FALSE(registry.box_of(ip("10.40.0.1")));
}

TEST_CASE("devices: a router's MAC (the gateway, the DHCP server) makes no box", "[devices][box]") {
    Boxes boxes;
    DeviceRegistry& registry = boxes.registry;
    MacAddress router{0x02, 0, 0, 0, 0, 0x01};
    boxes.observe(ip("10.0.0.1"), &router, 1, 2);
    boxes.observe(ip("fd00::1"), &router, 1, 2);
    CHECK(registry.box_of(ip("10.0.0.1")) == router);
    registry.note_router(router);
    CHECK_FALSE(registry.box_of(ip("10.0.0.1")));
    CHECK_FALSE(registry.box_of(ip("fd00::1")));
    boxes.observe(ip("10.0.0.2"), &router, 1, 2);
    CHECK_FALSE(registry.box_of(ip("10.0.0.2")));
    registry.note_router(MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});  // not an address: ignored
}

TEST_CASE("devices: an address of a box keeps its own host name", "[devices][box]") {
    Boxes boxes;
    MacAddress camera{0x02, 0, 0, 0, 0, 0x20};
    boxes.observe(ip("192.168.0.20"), &camera, 1, 2).hostname = "dcs-935l-setup";  // its setup address
    boxes.observe(ip("10.10.10.37"), &camera, 3, 4).hostname = "DCS-935L";
    boxes.observe(ip("fe80::20"), &camera, 5, 6);
    CHECK(boxes.registry.box_state(ip("10.10.10.37")).hostname == "DCS-935L");
    CHECK(boxes.registry.box_state(ip("192.168.0.20")).hostname == "dcs-935l-setup");
    CHECK(boxes.registry.box_state(ip("fe80::20")).hostname == "dcs-935l-setup");  // the first member's
}
