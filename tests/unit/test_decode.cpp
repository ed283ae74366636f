#include <pcap/dlt.h>

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/flow_table.hpp"

using namespace egresswatch;
using Bytes = std::vector<uint8_t>;

namespace {

void put16(Bytes& b, uint16_t v) { b.push_back(v >> 8); b.push_back(v & 0xff); }

Bytes ethernet(uint16_t type, std::initializer_list<std::pair<uint16_t, uint16_t>> tags = {}) {
    Bytes b = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x01, 0x44, 0x19, 0xb6, 0x00, 0x00, 0x21};
    for (auto [tpid, id] : tags) { put16(b, tpid); put16(b, id); }
    put16(b, type);
    return b;
}

// IPv4 header (no options) + UDP header + payload.
Bytes ipv4_udp(uint16_t sport, uint16_t dport, size_t payload, uint8_t proto = 17) {
    Bytes b;
    uint16_t total = static_cast<uint16_t>(20 + 8 + payload);
    b.push_back(0x45); b.push_back(0); put16(b, total); put16(b, 1); put16(b, 0);
    b.push_back(64); b.push_back(proto); put16(b, 0);
    for (uint8_t x : {10, 20, 1, 21, 47, 96, 1, 10}) b.push_back(x);
    put16(b, sport); put16(b, dport); put16(b, static_cast<uint16_t>(8 + payload)); put16(b, 0);
    b.insert(b.end(), payload, 0xab);
    return b;
}

Bytes cat(Bytes a, const Bytes& b) { a.insert(a.end(), b.begin(), b.end()); return a; }

DecodeStatus run(int link, const Bytes& f, DecodedPacket& p, uint32_t wire = 0) {
    return decode_packet(link, f.data(), static_cast<uint32_t>(f.size()),
                         wire ? wire : static_cast<uint32_t>(f.size()), p);
}

}  // namespace

TEST_CASE("Ethernet IPv4 UDP decodes addresses, ports and IP-layer length", "[decode]") {
    DecodedPacket p;
    REQUIRE(run(DLT_EN10MB, cat(ethernet(0x0800), ipv4_udp(40000, 8800, 16)), p) == DecodeStatus::ok);
    CHECK(p.src_ip.to_string() == "10.20.1.21");
    CHECK(p.dst_ip.to_string() == "47.96.1.10");
    CHECK(p.src_port == 40000);
    CHECK(p.dst_port == 8800);
    CHECK(p.ip_length == 44);
    CHECK(p.payload_captured == 16);
    CHECK(mac_to_string(p.src_mac) == "44:19:b6:00:00:21");
    CHECK(p.vlan == -1);
}

TEST_CASE("Ethernet padding is not counted as IP bytes", "[decode]") {
    Bytes frame = cat(ethernet(0x0800), ipv4_udp(1, 2, 0));
    frame.resize(60, 0);  // minimum Ethernet frame
    DecodedPacket p;
    REQUIRE(run(DLT_EN10MB, frame, p) == DecodeStatus::ok);
    CHECK(p.ip_length == 28);
    CHECK(p.ip_captured == 28);
    CHECK(p.payload_captured == 0);
}

TEST_CASE("802.1Q and QinQ tags give the VLAN ids", "[decode]") {
    DecodedPacket p;
    REQUIRE(run(DLT_EN10MB, cat(ethernet(0x0800, {{0x8100, 100}}), ipv4_udp(1, 2, 4)), p) == DecodeStatus::ok);
    CHECK(p.vlan == 100);
    CHECK(p.inner_vlan == -1);
    REQUIRE(run(DLT_EN10MB, cat(ethernet(0x0800, {{0x88a8, 200}, {0x8100, 0x2000 | 300}}), ipv4_udp(1, 2, 4)), p) ==
            DecodeStatus::ok);
    CHECK(p.vlan == 200);
    CHECK(p.inner_vlan == 300);  // priority bits are not part of the id
}

TEST_CASE("Lying and truncated headers are malformed, snaplen cuts are not", "[decode]") {
    DecodedPacket p;
    Bytes good = cat(ethernet(0x0800), ipv4_udp(1, 2, 100));

    SECTION("cut inside the IPv4 header") {
        Bytes cut(good.begin(), good.begin() + 20);
        CHECK(run(DLT_EN10MB, cut, p) == DecodeStatus::malformed);
    }
    SECTION("total length beyond the frame on the wire") {
        Bytes lying = good;
        lying[14 + 2] = 0x05;  // total length 0x05xx
        CHECK(run(DLT_EN10MB, lying, p) == DecodeStatus::malformed);
    }
    SECTION("header length below 20 bytes") {
        Bytes lying = good;
        lying[14] = 0x44;
        CHECK(run(DLT_EN10MB, lying, p) == DecodeStatus::malformed);
    }
    SECTION("total length smaller than the header") {
        Bytes lying = good;
        lying[14 + 2] = 0; lying[14 + 3] = 12;
        CHECK(run(DLT_EN10MB, lying, p) == DecodeStatus::malformed);
    }
    SECTION("captured short of the wire length by the snap length") {
        Bytes cut(good.begin(), good.begin() + 50);
        REQUIRE(run(DLT_EN10MB, cut, p, static_cast<uint32_t>(good.size())) == DecodeStatus::ok);
        CHECK(p.ip_length == 128);  // the real size, not the captured size
        CHECK(p.dst_port == 2);
    }
    SECTION("a VLAN tag with nothing after it") {
        Bytes tag = ethernet(0x8100);
        CHECK(run(DLT_EN10MB, tag, p) == DecodeStatus::malformed);
    }
    SECTION("an empty frame") {
        CHECK(run(DLT_EN10MB, Bytes{}, p) == DecodeStatus::malformed);
    }
    SECTION("UDP header longer than the IP payload") {
        Bytes b = cat(ethernet(0x0800), ipv4_udp(1, 2, 0));
        b[14 + 3] = 24;  // total length 24: only 4 bytes of UDP
        b.resize(14 + 24);
        CHECK(run(DLT_EN10MB, b, p) == DecodeStatus::malformed);
    }
    SECTION("TCP data offset past the segment") {
        Bytes b = cat(ethernet(0x0800), ipv4_udp(1, 2, 12, 6));  // 20 bytes of "TCP"
        b[14 + 20 + 12] = 0xf0;  // data offset 60 bytes
        CHECK(run(DLT_EN10MB, b, p) == DecodeStatus::malformed);
    }
}

TEST_CASE("A frame that is not IP is counted apart from malformed ones", "[decode]") {
    DecodedPacket p;
    CHECK(run(DLT_EN10MB, cat(ethernet(0x88b5), Bytes(46, 0)), p) == DecodeStatus::not_ip);
    CHECK(run(DLT_EN10MB, cat(ethernet(0x0806), Bytes(28, 0)), p) == DecodeStatus::not_ip);
    CHECK(run(999, Bytes(64, 0), p) == DecodeStatus::unsupported_link);
}

namespace {
Bytes ipv6_with_extensions(bool truncate_extension) {
    Bytes b;
    // hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP (20 bytes)
    size_t payload = 8 + 16 + 20;
    b.push_back(0x60); b.push_back(0); b.push_back(0); b.push_back(0);
    put16(b, static_cast<uint16_t>(payload)); b.push_back(0 /* HBH */); b.push_back(64);
    Bytes src = {0xfd, 0x00, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21};
    Bytes dst = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    b.insert(b.end(), src.begin(), src.end());
    b.insert(b.end(), dst.begin(), dst.end());
    b.push_back(60); b.push_back(0); b.insert(b.end(), 6, 0);                   // HBH -> dest opts
    b.push_back(6); b.push_back(truncate_extension ? 9 : 1); b.insert(b.end(), 14, 0);  // -> TCP
    put16(b, 50010); put16(b, 443); b.insert(b.end(), 8, 0);
    b.push_back(0x50); b.push_back(0x02); b.insert(b.end(), 6, 0);
    return b;
}
}  // namespace

TEST_CASE("IPv6 extension headers are walked to the transport header", "[decode]") {
    DecodedPacket p;
    REQUIRE(run(DLT_EN10MB, cat(ethernet(0x86dd), ipv6_with_extensions(false)), p) == DecodeStatus::ok);
    CHECK(p.ip_version == 6);
    CHECK(p.ip_protocol == 6);
    CHECK(p.ip_length == 40 + 44);
    CHECK(p.src_port == 50010);
    CHECK(p.dst_port == 443);
    CHECK((p.tcp_flags & tcp_flag::syn));
    CHECK(run(DLT_EN10MB, cat(ethernet(0x86dd), ipv6_with_extensions(true)), p) == DecodeStatus::malformed);
}

TEST_CASE("Linux cooked (SLL, SLL2) and raw IP link types", "[decode]") {
    DecodedPacket p;
    Bytes ip = ipv4_udp(40020, 8800, 8);
    Bytes sll = {0, 4, 0, 1, 0, 6, 0x44, 0x19, 0xb6, 0, 0, 0x22, 0, 0, 0x08, 0x00};
    REQUIRE(run(DLT_LINUX_SLL, cat(sll, ip), p) == DecodeStatus::ok);
    CHECK(p.has_src_mac);
    CHECK_FALSE(p.has_dst_mac);
    CHECK(mac_to_string(p.src_mac) == "44:19:b6:00:00:22");
    CHECK(p.dst_port == 8800);
    Bytes sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 0x44, 0x19, 0xb6, 0, 0, 0x22, 0, 0};
    REQUIRE(run(DLT_LINUX_SLL2, cat(sll2, ip), p) == DecodeStatus::ok);
    CHECK(mac_to_string(p.src_mac) == "44:19:b6:00:00:22");
    CHECK(p.ip_length == 36);
    REQUIRE(run(DLT_RAW, ip, p) == DecodeStatus::ok);
    CHECK_FALSE(p.has_src_mac);
    CHECK(p.src_port == 40020);
    REQUIRE(run(101, ip, p) == DecodeStatus::ok);
}

TEST_CASE("Both directions of a conversation share one flow key", "[flow]") {
    DecodedPacket a, b;
    Bytes out = ipv4_udp(40000, 8800, 4);
    Bytes back = out;
    std::swap_ranges(back.begin() + 12, back.begin() + 16, back.begin() + 16);  // swap addresses
    std::swap_ranges(back.begin() + 20, back.begin() + 22, back.begin() + 22);  // swap ports
    REQUIRE(run(DLT_RAW, out, a) == DecodeStatus::ok);
    REQUIRE(run(DLT_RAW, back, b) == DecodeStatus::ok);
    CHECK(b.src_ip == a.dst_ip);
    CHECK(FlowKey::from(a) == FlowKey::from(b));
    FlowKeyHash hash{12345};
    CHECK(hash(FlowKey::from(a)) == hash(FlowKey::from(b)));

    SECTION("the VLAN is part of the key only when asked (--vlan-in-flow-key)") {
        b.vlan = 100;  // a mirror that tags one direction only
        CHECK(FlowKey::from(a) == FlowKey::from(b));
        CHECK(hash(FlowKey::from(a)) == hash(FlowKey::from(b)));
        CHECK_FALSE(FlowKey::from(a, true) == FlowKey::from(b, true));
    }
    SECTION("ICMP echo request and reply are one flow") {
        Bytes request = ipv4_udp(0, 0, 0, 1), reply;
        request[20] = 8;  // echo request, code 0
        reply = request;
        std::swap_ranges(reply.begin() + 12, reply.begin() + 16, reply.begin() + 16);
        reply[20] = 0;   // echo reply
        REQUIRE(run(DLT_RAW, request, a) == DecodeStatus::ok);
        REQUIRE(run(DLT_RAW, reply, b) == DecodeStatus::ok);
        CHECK(FlowKey::from(a) == FlowKey::from(b));
    }
}

TEST_CASE("The decoders survive arbitrary bytes", "[decode][robustness]") {
    std::mt19937 random(20261123);
    DecodedPacket p;
    Bytes seed = cat(ethernet(0x86dd, {{0x8100, 7}}), ipv6_with_extensions(false));
    for (int i = 0; i < 200000; ++i) {
        Bytes frame = seed;
        // Flip a few bytes and cut at a random length: every branch sees lies.
        for (int flips = random() % 6; flips > 0; --flips) frame[random() % frame.size()] = random() & 0xff;
        frame.resize(random() % (frame.size() + 1));
        for (int link : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL}) {
            auto status = decode_packet(link, frame.data(), static_cast<uint32_t>(frame.size()),
                                        static_cast<uint32_t>(frame.size() + random() % 3), p);
            if (status == DecodeStatus::ok && p.payload)
                REQUIRE(p.payload + p.payload_captured <= frame.data() + frame.size());
        }
    }
}

TEST_CASE("PPPoE sessions carry IP inside", "[decode]") {
    DecodedPacket p;
    Bytes pppoe = {0x11, 0x00, 0x00, 0x01, 0x00, 0x26, 0x00, 0x21};  // session 1, PPP IPv4
    REQUIRE(run(DLT_EN10MB, cat(cat(ethernet(0x8864, {{0x8100, 10}}), pppoe), ipv4_udp(53, 40000, 10)), p) ==
            DecodeStatus::ok);
    CHECK(p.vlan == 10);
    CHECK(p.src_port == 53);
    CHECK(p.ip_length == 38);
    Bytes lcp = {0x11, 0x00, 0x00, 0x01, 0x00, 0x06, 0xc0, 0x21};
    CHECK(run(DLT_EN10MB, cat(ethernet(0x8864), lcp), p) == DecodeStatus::not_ip);
    CHECK(run(DLT_EN10MB, cat(ethernet(0x8864), Bytes{0x11, 0x00}), p) == DecodeStatus::malformed);
}
