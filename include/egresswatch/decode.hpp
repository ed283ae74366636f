// Packet decoding: link layer -> VLAN tags -> IPv4/IPv6 (with extension headers)
// -> transport ports. Mirrored traffic that arrives in a tunnel (remote SPAN:
// GRE, ERSPAN type I/II/III, VXLAN) is decapsulated, and the inner frame is the
// packet. Decodes into offsets and values; never copies the frame, never
// allocates, and never reads past the captured bytes.
#pragma once

#include <cstdint>

#include "egresswatch/net.hpp"

namespace egresswatch {

enum class DecodeStatus {
    ok,          // an IP packet, fields below are valid
    not_ip,      // a well-formed frame that carries no IP (ARP, LLDP, ...)
    malformed,   // a frame whose headers lie or are cut short
    unsupported_link,
};

const char* to_string(DecodeStatus status);

// How a mirrored frame reached the sensor.
enum class Encapsulation : uint8_t { none, gre, erspan1, erspan2, erspan3, vxlan };
const char* to_string(Encapsulation encapsulation);

struct DecodedPacket {
    // The outermost tunnel removed, and how many were; every field below
    // describes the innermost frame.
    Encapsulation encapsulation = Encapsulation::none;
    uint8_t tunnels = 0;

    // Link layer. MACs are known on Ethernet; SLL/SLL2 give the source only.
    MacAddress src_mac{};
    MacAddress dst_mac{};
    bool has_src_mac = false;
    bool has_dst_mac = false;
    int32_t vlan = -1;        // outer 802.1Q/802.1ad id, -1 if untagged
    int32_t inner_vlan = -1;  // inner id of a QinQ frame, -1 if none

    // Network layer.
    uint8_t ip_version = 0;
    IpAddress src_ip;
    IpAddress dst_ip;
    uint8_t ip_protocol = 0;     // upper-layer protocol after IPv6 extension headers
    uint32_t ip_length = 0;      // IP-layer bytes: IPv4 total length, IPv6 40 + payload length
    bool is_later_fragment = false;  // a non-first fragment: no transport header

    // The IP packet as captured (for DPI), possibly shorter than ip_length.
    const uint8_t* ip_header = nullptr;
    uint32_t ip_captured = 0;

    // Transport layer.
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint8_t tcp_flags = 0;
    const uint8_t* payload = nullptr;  // transport payload as captured
    uint32_t payload_captured = 0;
};

// Whether either end of the packet uses `port` (a service's well-known port).
inline bool either_port(const DecodedPacket& p, uint16_t port) { return p.src_port == port || p.dst_port == port; }

namespace tcp_flag {
inline constexpr uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

// The ICMP type that answers `type` (echo request <-> reply, ...), or -1 for
// a one-way message, as Zeek maps them for the Community ID spec.
int icmp_counterpart(bool icmpv6, uint8_t type);

// linktype is the DLT value from pcap_datalink(). wire_length is the frame's
// original length: a frame shorter on the wire than its IP header claims is
// malformed, one merely cut by the snap length is not.
DecodeStatus decode_packet(int linktype, const uint8_t* frame, uint32_t captured,
                           uint32_t wire_length, DecodedPacket& out);

}  // namespace egresswatch
