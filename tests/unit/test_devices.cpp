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
