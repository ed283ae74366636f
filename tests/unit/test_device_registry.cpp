// DeviceRegistry::observe: a device's activity span and MAC, and what
// eviction at --max-devices does to boxes. (Kinds, evidence bounds and boxes:
// test_devices.cpp; the least recently seen evicted first: test_bounds.cpp.)
#include <catch2/catch.hpp>

#include <string>

#include "egresswatch/devices.hpp"

using namespace egresswatch;

namespace {

IpAddress ip(const std::string& text) { return *IpAddress::parse(text); }

struct Registry {
    OuiRegistry oui = OuiRegistry::load("/nonexistent");
    Rules rules;
    DeviceRegistry registry;
    explicit Registry(size_t max_devices = DeviceRegistry::kDefaultMaxDevices) : registry(oui, nullptr, max_devices) {}
    DeviceState& observe(const std::string& address, const MacAddress* mac, int64_t first_us, int64_t last_us) {
        return registry.observe(ip(address), mac, first_us, last_us, rules);
    }
};

}  // namespace

TEST_CASE("device registry: observe widens the activity span, and a change marks the device to write",
          "[devices]") {
    Registry r;
    DeviceState& d = r.observe("10.0.0.5", nullptr, 100, 200);
    CHECK(d.first_us == 100);
    CHECK(d.last_us == 200);
    CHECK(d.dirty);  // new
    CHECK_FALSE(d.has_mac);
    d.dirty = false;
    r.observe("10.0.0.5", nullptr, 150, 180);  // within the span
    CHECK_FALSE(d.dirty);
    r.observe("10.0.0.5", nullptr, 50, 300);
    CHECK(d.first_us == 50);
    CHECK(d.last_us == 300);
    CHECK(d.dirty);

    d.dirty = false;
    MacAddress multicast{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    r.observe("10.0.0.5", &multicast, 50, 300);  // a group address is no device's MAC
    CHECK_FALSE(d.has_mac);
    CHECK_FALSE(d.dirty);
    MacAddress mac{0x02, 0, 0, 0, 0, 0x05};
    r.observe("10.0.0.5", &mac, 50, 300);
    CHECK(d.has_mac);
    CHECK(d.mac == mac);
    CHECK(d.dirty);
    d.dirty = false;
    r.observe("10.0.0.5", &mac, 50, 300);  // the same MAC again: nothing new
    CHECK_FALSE(d.dirty);
    CHECK(d.identified_by == std::vector<std::string>{"mac:locally-administered"});
    CHECK(r.registry.all().size() == 1);
}

TEST_CASE("device registry: an evicted address leaves its box with its evidence, and an empty box is forgotten",
          "[devices][box][bounds]") {
    Registry r(3);
    MacAddress nvr{0x02, 0, 0, 0, 0, 0x30};
    r.observe("10.0.0.30", &nvr, 1, 1).add_evidence("dhcp-hostname:nvr", DeviceKind::nvr,
                                                     signal_strength::names_itself);
    r.observe("fd00::30", &nvr, 2, 2);
    r.observe("10.0.0.40", nullptr, 3, 3);
    CHECK(r.registry.identity_of(ip("fd00::30"))->kind == DeviceKind::nvr);
    for (auto& [address, device] : r.registry.all()) device.dirty = false;

    r.observe("10.0.0.41", nullptr, 4, 4);  // 10.0.0.30, the least recently seen, goes
    auto evicted = r.registry.take_evicted();
    REQUIRE(evicted.size() == 1);
    CHECK(evicted[0].first == ip("10.0.0.30"));
    CHECK(evicted[0].second.identified_by ==
          std::vector<std::string>{"mac:locally-administered", "dhcp-hostname:nvr"});
    CHECK(r.registry.box_members(ip("fd00::30")) == std::vector<IpAddress>{ip("fd00::30")});
    CHECK(r.registry.identity_of(ip("fd00::30"))->kind == DeviceKind::other);  // the box's identity left with it
    CHECK(r.registry.find(ip("fd00::30"))->dirty);                             // so it is written again

    r.observe("10.0.0.42", nullptr, 5, 5);  // fd00::30, the box's last member, goes
    CHECK(r.registry.take_evicted().at(0).first == ip("fd00::30"));
    r.observe("10.0.0.30", &nvr, 6, 6);  // back: a box of its own, without the old members
    CHECK(r.registry.box_members(ip("10.0.0.30")) == std::vector<IpAddress>{ip("10.0.0.30")});
    CHECK(r.registry.evicted() == 3);
    CHECK(r.registry.all().size() == 3);
}

TEST_CASE("device registry: --max-devices keeps the most recently seen, and at least 2", "[devices][bounds]") {
    Registry r(100);
    for (int i = 0; i < 250; ++i)
        r.observe("10.1.0." + std::to_string(i), nullptr, i, i);
    CHECK(r.registry.all().size() == 100);
    CHECK(r.registry.evicted() == 150);
    CHECK(r.registry.evicted_waiting() == 150);
    auto evicted = r.registry.take_evicted();
    REQUIRE(evicted.size() == 150);
    CHECK(evicted.front().first == ip("10.1.0.0"));  // oldest first
    CHECK(evicted.back().first == ip("10.1.0.149"));
    CHECK(r.registry.find(ip("10.1.0.150")) != nullptr);
    CHECK(r.registry.evicted_waiting() == 0);

    Registry tiny(0);
    CHECK(tiny.registry.max_devices() == 2);
    tiny.observe("10.0.0.1", nullptr, 1, 1);
    tiny.observe("10.0.0.2", nullptr, 2, 2);
    CHECK(tiny.registry.evicted() == 0);
}
