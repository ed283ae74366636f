// src/core/discovery/dhcp.cpp: parse_dhcp.

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("DHCP: capgen's camera request", "[discovery][dhcp]") {
    Bytes b = capgen_dhcp_request();
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->op == 1);
    CHECK(m->xid == 0x4419b621);
    CHECK(m->message_type == dhcp_message_type::request);
    REQUIRE(m->client_mac);
    CHECK(mac_to_string(*m->client_mac) == "44:19:b6:00:00:21");
    CHECK_FALSE(m->client_ip);
    REQUIRE(m->requested_ip);
    CHECK(m->requested_ip->to_string() == "10.20.1.21");
    CHECK(m->hostname == "DS-2CD2143G2-I");
    CHECK(m->vendor_class == "udhcp 1.22.1");
    CHECK(m->parameter_list == std::vector<uint8_t>{1, 3, 6, 12, 15, 28, 42});
    CHECK(m->client_id == std::vector<uint8_t>{1, 0x44, 0x19, 0xb6, 0x00, 0x00, 0x21});
    CHECK_FALSE(m->fqdn);
    CHECK_FALSE(m->options_truncated);
    CHECK(m->hint.hostname == "DS-2CD2143G2-I");
    CHECK_FALSE(m->hint.vendor);  // the vendor class names the DHCP client, not the maker
    CHECK(m->hint.evidence == Strings{"dhcp-hostname:DS-2CD2143G2-I", "dhcp-vendor-class:udhcp 1.22.1",
                                      "dhcp-params:1,3,6,12,15,28,42"});
    CHECK(m->hint.kind == DeviceKind::camera);  // DS-2CD beats udhcp's "iot"
}

TEST_CASE("DHCP: ciaddr, a reply, FQDN forms", "[discovery][dhcp]") {
    const uint8_t ip[] = {10, 20, 5, 50};
    Bytes renew = dhcp(1, {53, 1, 3, 81, 12, 0x05, 0, 0, 3, 'p', 'c', '1', 3, 'L', 'A', 'N', 0, 255}, ip);
    auto m = parse_dhcp(renew.data(), renew.size());
    REQUIRE(m);
    REQUIRE(m->client_ip);
    CHECK(m->client_ip->to_string() == "10.20.5.50");
    CHECK(m->fqdn == "pc1.lan");
    CHECK(m->hint.hostname == "pc1");
    CHECK(has(m->hint.evidence, "dhcp-fqdn:pc1.lan"));
    CHECK_FALSE(m->hint.kind);

    Bytes ascii = dhcp(1, {81, 11, 0x01, 0, 0, 'h', 'o', 's', 't', '.', 'O', 'R', 'G', 255});
    m = parse_dhcp(ascii.data(), ascii.size());
    REQUIRE(m);
    CHECK(m->fqdn == "host.org");

    Bytes ack = dhcp(2, {53, 1, 5, 12, 4, 'c', 'a', 'm', '1', 255});
    ack[16] = 10; ack[17] = 20; ack[18] = 1; ack[19] = 21;  // yiaddr
    m = parse_dhcp(ack.data(), ack.size());
    REQUIRE(m);
    CHECK(m->op == 2);
    CHECK(m->message_type == dhcp_message_type::ack);
    CHECK(m->your_ip->to_string() == "10.20.1.21");
    CHECK(m->hostname == "cam1");
    CHECK(m->hint.empty());  // the server speaks: no hint about the sender
    CHECK_FALSE(m->hint.kind);
}

TEST_CASE("DHCP: pad, end, option overload into file and sname", "[discovery][dhcp]") {
    Bytes b = dhcp(1, {0, 0, 53, 1, 1, 52, 1, 3, 255, 12, 3, 'b', 'a', 'd'});
    // file (108..235): hostname; sname (44..107): vendor class.
    const char host[] = {12, 5, 'c', 'a', 'm', '-', '9', (char)255};
    std::copy(host, host + sizeof host, b.begin() + 108);
    const char vendor[] = {0, 60, 4, 'a', 'c', 'm', 'e', (char)255};
    std::copy(vendor, vendor + sizeof vendor, b.begin() + 44);
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->message_type == dhcp_message_type::discover);
    CHECK(m->hostname == "cam-9");  // after end, "bad" is not read
    CHECK(m->vendor_class == "acme");
    CHECK_FALSE(m->options_truncated);

    // Without option 52 the same file bytes are a boot file name.
    Bytes plain = dhcp(1, {53, 1, 1, 255});
    std::copy(host, host + sizeof host, plain.begin() + 108);
    m = parse_dhcp(plain.data(), plain.size());
    REQUIRE(m);
    CHECK_FALSE(m->hostname);
}

TEST_CASE("DHCP: lengths beyond the buffer and bad headers", "[discovery][dhcp]") {
    Bytes b = dhcp(1, {53, 1, 3, 12, 3, 'c', 'a', 'm', 60, 40, 'u', 'd'});
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->options_truncated);
    CHECK(m->hostname == "cam");  // the options before the bad one stay
    CHECK_FALSE(m->vendor_class);

    Bytes code_only = dhcp(1, {53, 1, 3, 12});
    m = parse_dhcp(code_only.data(), code_only.size());
    REQUIRE(m);
    CHECK(m->options_truncated);

    Bytes no_cookie = dhcp(1, {53, 1, 3, 255});
    no_cookie[236] = 0;
    CHECK_FALSE(parse_dhcp(no_cookie.data(), no_cookie.size()));
    Bytes bad_op = dhcp(3, {255});
    CHECK_FALSE(parse_dhcp(bad_op.data(), bad_op.size()));
    Bytes bad_hlen = dhcp(1, {255});
    bad_hlen[2] = 17;
    CHECK_FALSE(parse_dhcp(bad_hlen.data(), bad_hlen.size()));
    CHECK_FALSE(parse_dhcp(b.data(), 239));
    CHECK_FALSE(parse_dhcp(nullptr, 300));

    Bytes token_ring = dhcp(1, {255});
    token_ring[1] = 6;
    m = parse_dhcp(token_ring.data(), token_ring.size());
    REQUIRE(m);
    CHECK_FALSE(m->client_mac);
}

TEST_CASE("DHCP: repeated options concatenate, text is cleaned", "[discovery][dhcp]") {
    Bytes b = dhcp(1, {12, 3, 'c', 'a', 'm', 12, 4, '-', '0', '1', 0, 60, 5, 'v', 0x01, 'x', 0xff, 'y',
                       255});
    auto m = parse_dhcp(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->hostname == "cam-01");  // RFC 3396, then the trailing NUL is dropped
    CHECK(m->vendor_class == "v?x?y");
    check_clean(m->hint);
}
