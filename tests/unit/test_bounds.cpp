// Bounds on what packets can make the sensor keep (README "Hostile traffic").
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "egresswatch/clock.hpp"
#include "egresswatch/devices.hpp"
#include "egresswatch/dns_cache.hpp"

using namespace egresswatch;

namespace {
IpAddress ip(const std::string& text) { return *IpAddress::parse(text); }
}  // namespace

TEST_CASE("bounds: passive DNS is bounded by bytes, a long name costs its size", "[bounds][hostile]") {
    auto small = std::make_shared<const ResolvedName>(ResolvedName{"cam.example.net", {}});
    auto big = std::make_shared<const ResolvedName>(
        ResolvedName{std::string(253, 'a'), std::vector<std::string>(8, std::string(253, 'b'))});
    size_t small_cost = DnsCache::cost_of(*small), big_cost = DnsCache::cost_of(*big);
    CHECK(big_cost > 10 * small_cost);
    // Room for 10 small entries: 10 small fit; big ones push the oldest out.
    DnsCache cache(10 * small_cost);
    for (int i = 0; i < 10; ++i) cache.remember(ip("10.0.0.5"), ip("192.0.2." + std::to_string(i)), small, 300, 0);
    CHECK(cache.size() == 10);
    CHECK(cache.evicted() == 0);
    cache.remember(ip("10.0.0.5"), ip("198.51.100.1"), big, 300, 0);
    CHECK(cache.bytes() <= 10 * small_cost);
    CHECK(cache.evicted() >= 1);
    CHECK(cache.lookup(ip("10.0.0.5"), ip("192.0.2.0"), 0) == nullptr);  // the oldest went first
    // Re-remembering a key replaces its cost, not adds to it.
    DnsCache again(10 * small_cost);
    for (int i = 0; i < 100; ++i) again.remember(ip("10.0.0.5"), ip("192.0.2.1"), small, 300, i);
    CHECK(again.bytes() == small_cost);
    CHECK(again.evicted() == 0);
}

TEST_CASE("bounds: the least recently seen device is evicted at --max-devices", "[bounds][hostile]") {
    OuiRegistry oui = OuiRegistry::load("/nonexistent");
    Rules rules;
    DeviceRegistry registry(oui, nullptr, 3);
    registry.observe(ip("10.0.0.1"), nullptr, 1, 1, rules).add_evidence("dhcp-hostname:one", std::nullopt, 30);
    registry.observe(ip("10.0.0.2"), nullptr, 2, 2, rules);
    registry.observe(ip("10.0.0.3"), nullptr, 3, 3, rules);
    registry.observe(ip("10.0.0.1"), nullptr, 4, 4, rules);  // seen again: now the most recent
    registry.observe(ip("10.0.0.4"), nullptr, 5, 5, rules);
    CHECK(registry.all().size() == 3);
    CHECK(registry.find(ip("10.0.0.2")) == nullptr);
    CHECK(registry.find(ip("10.0.0.1")) != nullptr);
    auto evicted = registry.take_evicted();
    REQUIRE(evicted.size() == 1);
    CHECK(evicted[0].first == ip("10.0.0.2"));
    CHECK(registry.evicted() == 1);
    CHECK(registry.take_evicted().empty());
}

TEST_CASE("bounds: evidence is kept once, at most 8 per signal kind", "[bounds][hostile]") {
    DeviceState device;
    for (int i = 0; i < 4000; ++i) device.add_evidence("mdns-instance:cam-" + std::to_string(i), std::nullopt, 30);
    device.add_evidence("mdns-instance:cam-3", std::nullopt, 30);
    device.add_evidence("dhcp-hostname:ipcam", DeviceKind::camera, 30);
    CHECK(device.identified_by.size() == 9);
    CHECK(device.identified_by.back() == "dhcp-hostname:ipcam");
    device.withdraw_evidence("mdns-instance:");
    CHECK(device.identified_by.size() == 1);
    device.add_evidence("mdns-instance:new", std::nullopt, 30);  // the count was given back
    CHECK(device.identified_by.size() == 2);
}

TEST_CASE("bounds: time stamps before 1970 or after 9999 are refused", "[bounds][hostile]") {
    CHECK(packet_time_us(timeval{0, 0}) == 0);
    CHECK(packet_time_us(timeval{1793610000, 5}) == 1793610000000005);
    CHECK(packet_time_us(timeval{kLastPacketSecond, 999999}) == kLastPacketSecond * 1'000'000 + 999999);
    CHECK(!packet_time_us(timeval{kLastPacketSecond + 1, 0}));
    CHECK(!packet_time_us(timeval{-1, 999999}));
    CHECK(!packet_time_us(timeval{static_cast<time_t>(18446744073709LL), 551615}));  // pcapng 2^64-1 us
}
