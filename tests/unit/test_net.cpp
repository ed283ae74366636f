#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "egresswatch/net.hpp"

using namespace egresswatch;

TEST_CASE("IP addresses parse and print in both families", "[net]") {
    CHECK(IpAddress::parse("10.20.1.21")->to_string() == "10.20.1.21");
    CHECK(IpAddress::parse("2001:DB8::1")->to_string() == "2001:db8::1");
    CHECK(IpAddress::parse("10.20.1.21")->is_v4);
    CHECK_FALSE(IpAddress::parse("::ffff:10.20.1.21")->is_v4);  // v6 on the wire stays v6
    CHECK_FALSE(IpAddress::parse("10.20.1"));
    CHECK_FALSE(IpAddress::parse(""));
}

TEST_CASE("IPv4 addresses print as inet_ntop prints them", "[net]") {
    // to_string formats IPv4 by hand: every octet value in every position.
    for (unsigned v = 0; v < 256; ++v) {
        for (int position = 0; position < 4; ++position) {
            uint8_t b[4] = {1, 20, 0, 255};
            b[position] = static_cast<uint8_t>(v);
            char expected[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, b, expected, sizeof expected);
            CHECK(IpAddress::v4(b).to_string() == expected);
        }
    }
}

TEST_CASE("CIDR blocks match on the prefix bits only", "[net]") {
    auto net = *Cidr::parse("172.16.0.0/12");
    CHECK(net.contains(*IpAddress::parse("172.31.255.255")));
    CHECK_FALSE(net.contains(*IpAddress::parse("172.32.0.0")));
    CHECK_FALSE(net.contains(*IpAddress::parse("fc00::1")));
    CHECK(Cidr::parse("10.1.2.3/8")->to_string() == "10.0.0.0/8");
    CHECK(Cidr::parse("fc00::/7")->contains(*IpAddress::parse("fdff::1")));
    CHECK_FALSE(Cidr::parse("fc00::/7")->contains(*IpAddress::parse("fe00::1")));
    CHECK(Cidr::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
    CHECK(Cidr::parse("8.8.8.8")->prefix_length == 32);
    CHECK_FALSE(Cidr::parse("10.0.0.0/33"));
    CHECK_FALSE(Cidr::parse("10.0.0.0/"));
    CHECK_FALSE(Cidr::parse("10.0.0.0/8x"));
}

TEST_CASE("CIDR blocks: every prefix length, either side of 64 bits, v4 and v6", "[net]") {
    auto in = [](const char* net, const char* address) { return Cidr::parse(net)->contains(*IpAddress::parse(address)); };
    CHECK(in("198.51.100.7/32", "198.51.100.7"));
    CHECK_FALSE(in("198.51.100.7/32", "198.51.100.6"));
    CHECK(in("198.51.100.6/31", "198.51.100.7"));
    CHECK_FALSE(in("198.51.100.6/31", "198.51.100.8"));
    CHECK_FALSE(in("0.0.0.0/0", "::1"));
    CHECK(in("::/0", "2001:db8::1"));
    CHECK_FALSE(in("::/0", "10.0.0.1"));
    CHECK(in("2001:db8:1:2::/64", "2001:db8:1:2:ffff::1"));
    CHECK_FALSE(in("2001:db8:1:2::/64", "2001:db8:1:3::1"));
    CHECK(in("2001:db8:1:2:8000::/65", "2001:db8:1:2:ffff::1"));
    CHECK_FALSE(in("2001:db8:1:2:8000::/65", "2001:db8:1:2:7fff::1"));
    CHECK(in("2001:db8::1/128", "2001:db8::1"));
    CHECK_FALSE(in("2001:db8::1/128", "2001:db8::2"));
    CHECK(in("2001:db8::/63", "2001:db8:0:1::9"));
    CHECK_FALSE(in("2001:db8::/63", "2001:db8:0:2::9"));
}

TEST_CASE("MAC addresses normalise to lower-case colon form", "[net]") {
    CHECK(mac_to_string(*parse_mac("44:19:B6:00:00:21")) == "44:19:b6:00:00:21");
    CHECK(mac_to_string(*parse_mac("4419-b600-0021")) == "44:19:b6:00:00:21");
    CHECK_FALSE(parse_mac("44:19:B6:00:00"));
    CHECK_FALSE(parse_mac("44:19:B6:00:00:21:00"));
    CHECK_FALSE(parse_mac("zz:19:B6:00:00:21"));
}
