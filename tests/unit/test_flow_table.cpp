#include <catch2/catch.hpp>
#include <algorithm>
#include <vector>

#include "egresswatch/flow_table.hpp"

using namespace egresswatch;

namespace {

DecodedPacket udp(uint16_t device_port, uint8_t protocol = 17) {
    DecodedPacket p;
    p.ip_version = 4;
    p.src_ip = *IpAddress::parse("10.0.0.2");
    p.dst_ip = *IpAddress::parse("198.51.100.7");
    p.ip_protocol = protocol;
    p.src_port = device_port;
    p.dst_port = 443;
    p.ip_length = 100;
    return p;
}

std::vector<uint16_t> changed_ports(FlowTable& table) {
    std::vector<uint16_t> ports;
    table.take_changed([&](Flow& flow) { ports.push_back(flow.device_port()); });
    std::sort(ports.begin(), ports.end());
    return ports;
}

}  // namespace

TEST_CASE("flow table: a flush visits exactly the flows changed since the last one") {
    FlowTable table(100, FlowTimeouts{}, [](const IpAddress& a) { return a.to_string().rfind("10.", 0) == 0; },
                    [](Flow&, FlowEnd) {});
    table.account(udp(1000), 1'000'000);
    table.account(udp(1001, 6), 1'000'000);
    table.account(udp(1002), 2'000'000);
    CHECK(changed_ports(table) == std::vector<uint16_t>{1000, 1001, 1002});
    CHECK(changed_ports(table).empty());
    // One UDP and one TCP flow change; the UDP flow in the middle of its list does not.
    table.account(udp(1000), 3'000'000);
    table.account(udp(1001, 6), 3'000'000);
    CHECK(changed_ports(table) == std::vector<uint16_t>{1000, 1001});
    table.account(udp(1002), 4'000'000);
    table.account(udp(1003), 4'000'000);
    CHECK(changed_ports(table) == std::vector<uint16_t>{1002, 1003});
    CHECK(table.size() == 4);
}
