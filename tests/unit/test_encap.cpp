// Remote SPAN: mirrored frames that arrive in GRE, ERSPAN or VXLAN tunnels
// decode as the inner frame. Frames are built with the capture generator's
// packet builder.
#include <pcap/dlt.h>

#include <catch2/catch.hpp>

#include "egresswatch/decode.hpp"
#include "egresswatch/flow_table.hpp"
#include "gen/packet_builder.hpp"

using namespace egresswatch;
using capgen::Bytes;

namespace {

const capgen::Mac kCameraMac = capgen::mac("44:19:b6:00:00:21");
const capgen::Mac kGatewayMac = capgen::mac("00:00:5e:00:01:01");
const capgen::Mac kSwitchMac = capgen::mac("00:1b:21:aa:bb:cc");
const capgen::Mac kSensorMac = capgen::mac("00:11:22:33:44:55");
const capgen::Ip kCamera = capgen::ip("10.20.1.21");
const capgen::Ip kCloud = capgen::ip("47.96.1.10");
const capgen::Ip kSwitch = capgen::ip("192.0.2.1");
const capgen::Ip kSensor = capgen::ip("192.0.2.2");

// The mirrored frame: the camera's UDP datagram to a cloud server, 16 bytes of payload.
Bytes camera_ip_packet(bool reply = false) {
    Bytes payload(16, 0xab);
    const auto& src = reply ? kCloud : kCamera;
    const auto& dst = reply ? kCamera : kCloud;
    return capgen::ipv4(src, dst, capgen::kProtoUdp,
                        capgen::udp(src, dst, reply ? 8800 : 40000, reply ? 40000 : 8800, payload));
}

Bytes camera_frame(const std::vector<capgen::VlanTag>& tags = {}, bool reply = false) {
    return capgen::ethernet(reply ? kCameraMac : kGatewayMac, reply ? kGatewayMac : kCameraMac,
                            capgen::kEtherTypeIpv4, camera_ip_packet(reply), tags, false);
}

// The switch -> sensor packet around a tunnel payload.
Bytes to_sensor(uint8_t protocol, const Bytes& tunnel_payload, const std::vector<capgen::VlanTag>& tags = {}) {
    return capgen::ethernet(kSensorMac, kSwitchMac, capgen::kEtherTypeIpv4,
                            capgen::ipv4(kSwitch, kSensor, protocol, tunnel_payload), tags);
}

void put16(Bytes& b, uint16_t v) { b.push_back(v >> 8); b.push_back(v & 0xff); }

// GRE with a sequence number (ERSPAN II and III require one).
Bytes gre_with_sequence(uint16_t protocol_type, const Bytes& payload) {
    Bytes g = {0x10, 0x00};
    put16(g, protocol_type);
    g.insert(g.end(), {0x00, 0x00, 0x00, 0x07});
    g.insert(g.end(), payload.begin(), payload.end());
    return g;
}

// ERSPAN type II header: version 1, VLAN, En, session 5, index 0.
Bytes erspan2(uint16_t vlan, uint8_t en, const Bytes& frame) {
    Bytes h;
    put16(h, static_cast<uint16_t>(0x1000 | vlan));
    h.push_back(static_cast<uint8_t>(en << 3));
    h.push_back(0x05);
    h.insert(h.end(), {0, 0, 0, 0});
    h.insert(h.end(), frame.begin(), frame.end());
    return h;
}

// ERSPAN type III header: version 2, session 5; frame type 0 (Ethernet) or 2
// (IP); optionally with the 8-byte platform-specific subheader.
Bytes erspan3(uint8_t frame_type, bool subheader, const Bytes& frame) {
    Bytes h = {0x20, 0x00, 0x00, 0x05, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00};
    h.push_back(static_cast<uint8_t>(frame_type << 2));
    h.push_back(subheader ? 0x01 : 0x00);
    if (subheader) h.insert(h.end(), 8, 0xee);
    h.insert(h.end(), frame.begin(), frame.end());
    return h;
}

Bytes vxlan(uint32_t vni, const Bytes& frame) {
    Bytes h = {0x08, 0, 0, 0, static_cast<uint8_t>(vni >> 16), static_cast<uint8_t>(vni >> 8),
               static_cast<uint8_t>(vni), 0};
    h.insert(h.end(), frame.begin(), frame.end());
    return capgen::udp(kSwitch, kSensor, 51000, 4789, h);
}

DecodeStatus decode(const Bytes& frame, DecodedPacket& p, uint32_t captured = 0) {
    return decode_packet(DLT_EN10MB, frame.data(), captured ? captured : static_cast<uint32_t>(frame.size()),
                         static_cast<uint32_t>(frame.size()), p);
}

// What every decapsulated camera datagram must look like.
void check_inner_camera_packet(const DecodedPacket& p) {
    CHECK(p.src_ip.to_string() == "10.20.1.21");
    CHECK(p.dst_ip.to_string() == "47.96.1.10");
    CHECK(p.ip_protocol == 17);
    CHECK(p.src_port == 40000);
    CHECK(p.dst_port == 8800);
    CHECK(p.ip_length == 20 + 8 + 16);
    CHECK(p.payload_captured == 16);
}

}  // namespace

TEST_CASE("GRE with transparent Ethernet bridging decodes the mirrored frame", "[decode][encap]") {
    DecodedPacket p;
    REQUIRE(decode(to_sensor(capgen::kProtoGre, capgen::gre(0x6558, camera_frame())), p) == DecodeStatus::ok);
    check_inner_camera_packet(p);
    CHECK(p.encapsulation == Encapsulation::gre);
    CHECK(p.tunnels == 1);
    CHECK(mac_to_string(p.src_mac) == "44:19:b6:00:00:21");  // the camera's, not the switch's
    CHECK(mac_to_string(p.dst_mac) == "00:00:5e:00:01:01");
}

TEST_CASE("GRE carrying IP has no inner MACs", "[decode][encap]") {
    DecodedPacket p;
    REQUIRE(decode(to_sensor(capgen::kProtoGre, capgen::gre(0x0800, camera_ip_packet())), p) == DecodeStatus::ok);
    check_inner_camera_packet(p);
    CHECK_FALSE(p.has_src_mac);
    CHECK_FALSE(p.has_dst_mac);
}

TEST_CASE("ERSPAN type I, II and III decode the mirrored frame", "[decode][encap]") {
    DecodedPacket p;
    SECTION("type I: GRE 0x88be without a sequence number") {
        REQUIRE(decode(to_sensor(capgen::kProtoGre, capgen::gre(0x88be, camera_frame())), p) == DecodeStatus::ok);
        CHECK(p.encapsulation == Encapsulation::erspan1);
    }
    SECTION("type II") {
        Bytes tunnel = gre_with_sequence(0x88be, erspan2(0, 0, camera_frame()));
        REQUIRE(decode(to_sensor(capgen::kProtoGre, tunnel), p) == DecodeStatus::ok);
        CHECK(p.encapsulation == Encapsulation::erspan2);
        CHECK(p.vlan == -1);
    }
    SECTION("type III, Ethernet frame") {
        REQUIRE(decode(to_sensor(capgen::kProtoGre, gre_with_sequence(0x22eb, erspan3(0, false, camera_frame()))), p) ==
                DecodeStatus::ok);
        CHECK(p.encapsulation == Encapsulation::erspan3);
    }
    SECTION("type III with the platform-specific subheader") {
        REQUIRE(decode(to_sensor(capgen::kProtoGre, gre_with_sequence(0x22eb, erspan3(0, true, camera_frame()))), p) ==
                DecodeStatus::ok);
    }
    check_inner_camera_packet(p);
    CHECK(mac_to_string(p.src_mac) == "44:19:b6:00:00:21");
}

TEST_CASE("ERSPAN III can carry a bare IP packet", "[decode][encap]") {
    DecodedPacket p;
    REQUIRE(decode(to_sensor(capgen::kProtoGre, gre_with_sequence(0x22eb, erspan3(2, false, camera_ip_packet()))), p) ==
            DecodeStatus::ok);
    check_inner_camera_packet(p);
    CHECK_FALSE(p.has_src_mac);
}

TEST_CASE("The mirrored frame's VLAN counts, not the transport network's", "[decode][encap]") {
    DecodedPacket p;
    SECTION("outer QinQ, inner 802.1Q") {
        Bytes frame = to_sensor(capgen::kProtoUdp, vxlan(77, camera_frame({capgen::dot1q(20)})),
                                {capgen::qinq_outer(300), capgen::dot1q(301)});
        REQUIRE(decode(frame, p) == DecodeStatus::ok);
        CHECK(p.encapsulation == Encapsulation::vxlan);
        CHECK(p.vlan == 20);
        CHECK(p.inner_vlan == -1);
    }
    SECTION("ERSPAN II that moved the tag into its header (En = 2)") {
        Bytes frame = to_sensor(capgen::kProtoGre, gre_with_sequence(0x88be, erspan2(20, 2, camera_frame())),
                                {capgen::dot1q(301)});
        REQUIRE(decode(frame, p) == DecodeStatus::ok);
        CHECK(p.vlan == 20);
    }
    check_inner_camera_packet(p);
}

TEST_CASE("Both directions of a tunnelled conversation are one flow", "[decode][encap]") {
    DecodedPacket out, in;
    REQUIRE(decode(to_sensor(capgen::kProtoUdp, vxlan(77, camera_frame())), out) == DecodeStatus::ok);
    REQUIRE(decode(to_sensor(capgen::kProtoUdp, vxlan(77, camera_frame({}, true))), in) == DecodeStatus::ok);
    CHECK(FlowKey::from(out) == FlowKey::from(in));
}

TEST_CASE("GRE that is not a mirror stays a GRE flow", "[decode][encap]") {
    DecodedPacket p;
    SECTION("an EtherType we do not decapsulate") {
        REQUIRE(decode(to_sensor(capgen::kProtoGre, capgen::gre(0x88b5, Bytes(60, 1))), p) == DecodeStatus::ok);
    }
    SECTION("enhanced GRE (version 1, PPTP)") {
        Bytes g = capgen::gre(0x880b, Bytes(60, 1));
        g[1] = 0x01;
        REQUIRE(decode(to_sensor(capgen::kProtoGre, g), p) == DecodeStatus::ok);
    }
    SECTION("the GRE header cut by the snap length") {
        Bytes frame = to_sensor(capgen::kProtoGre, capgen::gre(0x6558, camera_frame()));
        REQUIRE(decode(frame, p, 14 + 20 + 2) == DecodeStatus::ok);
    }
    CHECK(p.encapsulation == Encapsulation::none);
    CHECK(p.ip_protocol == 47);
    CHECK(p.src_ip.to_string() == "192.0.2.1");
}

TEST_CASE("Hostile tunnels are malformed, not trusted", "[decode][encap]") {
    DecodedPacket p;
    SECTION("an inner frame shorter than its IP header says") {
        Bytes inner = camera_frame();
        inner.resize(inner.size() - 4);
        CHECK(decode(to_sensor(capgen::kProtoGre, capgen::gre(0x6558, inner)), p) == DecodeStatus::malformed);
    }
    SECTION("an ERSPAN header with the wrong version") {
        Bytes tunnel = gre_with_sequence(0x88be, erspan3(0, false, camera_frame()));
        CHECK(decode(to_sensor(capgen::kProtoGre, tunnel), p) == DecodeStatus::malformed);
    }
    SECTION("an ERSPAN III subheader past the end") {
        Bytes tunnel = gre_with_sequence(0x22eb, {0x20, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xee});
        CHECK(decode(to_sensor(capgen::kProtoGre, tunnel), p) == DecodeStatus::malformed);
    }
    SECTION("tunnels nested deeper than any SPAN sends") {
        Bytes packet = camera_ip_packet();
        for (int i = 0; i < 4; ++i) packet = capgen::ipv4(kSwitch, kSensor, capgen::kProtoGre, capgen::gre(0x0800, packet));
        CHECK(decode(capgen::ethernet(kSensorMac, kSwitchMac, capgen::kEtherTypeIpv4, packet), p) ==
              DecodeStatus::malformed);
    }
}

TEST_CASE("Tunnels within the nesting limit decode", "[decode][encap]") {
    Bytes packet = camera_ip_packet();
    for (int i = 0; i < 3; ++i) packet = capgen::ipv4(kSwitch, kSensor, capgen::kProtoGre, capgen::gre(0x0800, packet));
    DecodedPacket p;
    REQUIRE(decode(capgen::ethernet(kSensorMac, kSwitchMac, capgen::kEtherTypeIpv4, packet), p) == DecodeStatus::ok);
    check_inner_camera_packet(p);
    CHECK(p.tunnels == 3);
    CHECK(p.encapsulation == Encapsulation::gre);
}
