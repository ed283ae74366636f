#include "egresswatch/decode.hpp"

#include <pcap/dlt.h>

#include <algorithm>
#include <cstring>

namespace egresswatch {

int icmp_counterpart(bool v6, uint8_t type) {
    if (!v6) {
        switch (type) {
        case 8: return 0;   case 0: return 8;    // echo
        case 13: return 14; case 14: return 13;  // timestamp
        case 15: return 16; case 16: return 15;  // information
        case 17: return 18; case 18: return 17;  // address mask
        case 10: return 9;  case 9: return 10;   // router solicitation / advertisement
        default: return -1;
        }
    }
    switch (type) {
    case 128: return 129; case 129: return 128;  // echo
    case 133: return 134; case 134: return 133;  // router
    case 135: return 136; case 136: return 135;  // neighbor
    case 130: return 131; case 131: return 130;  // multicast listener
    case 144: return 145; case 145: return 144;  // home agent address discovery
    case 139: return 140; case 140: return 139;  // node information
    default: return -1;
    }
}

namespace {

constexpr uint16_t kEtherIPv4 = 0x0800;
constexpr uint16_t kEtherIPv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr uint16_t kEtherTransparentBridging = 0x6558;  // GRE carrying Ethernet
constexpr uint16_t kEtherErspan2 = 0x88be;               // type II; type I has no GRE sequence number
constexpr uint16_t kEtherErspan3 = 0x22eb;
constexpr uint16_t kVxlanPort = 4789;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxIPv6Extensions = 16;
constexpr int kMaxTunnels = 3;  // tunnels in tunnels beyond this are an attack, not a SPAN

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Bytes captured and bytes the frame really had on the wire: a frame cut by the
// snap length still tells us its true length, so "too short" can be told from "lies".
struct Bounds {
    uint32_t captured;
    uint32_t wire;
};

Bounds skip(Bounds b, uint32_t bytes) { return {b.captured - bytes, b.wire - bytes}; }

DecodeStatus decode_gre(const uint8_t* p, Bounds b, DecodedPacket& out);
DecodeStatus decode_vxlan(const uint8_t* p, Bounds b, DecodedPacket& out);

DecodeStatus decode_transport(const uint8_t* l4, uint32_t l4_captured, uint32_t l4_length,
                              DecodedPacket& out) {
    if (out.is_later_fragment) return DecodeStatus::ok;
    switch (out.ip_protocol) {
    case 6: {  // TCP
        if (l4_length < 20) return DecodeStatus::malformed;
        if (l4_captured < 14) return DecodeStatus::ok;  // cut by snaplen: keep IP-level facts
        uint32_t header = (l4[12] >> 4) * 4u;
        if (header < 20 || header > l4_length) return DecodeStatus::malformed;
        out.src_port = read16(l4);
        out.dst_port = read16(l4 + 2);
        out.tcp_flags = l4[13] & 0x3f;
        if (l4_captured > header) {
            out.payload = l4 + header;
            out.payload_captured = std::min(l4_captured, l4_length) - header;
        }
        return DecodeStatus::ok;
    }
    case 17:     // UDP
    case 136: {  // UDP-Lite has the same header
        if (l4_length < 8) return DecodeStatus::malformed;
        if (l4_captured < 4) return DecodeStatus::ok;
        out.src_port = read16(l4);
        out.dst_port = read16(l4 + 2);
        if (l4_captured > 8) {
            out.payload = l4 + 8;
            out.payload_captured = std::min(l4_captured, l4_length) - 8;
        }
        if (out.ip_protocol == 17 && out.dst_port == kVxlanPort && out.payload)
            return decode_vxlan(out.payload, {out.payload_captured, l4_length - 8}, out);
        return DecodeStatus::ok;
    }
    case 132:  // SCTP: ports in the common header
        if (l4_length < 12) return DecodeStatus::malformed;
        if (l4_captured >= 4) {
            out.src_port = read16(l4);
            out.dst_port = read16(l4 + 2);
        }
        return DecodeStatus::ok;
    case 1:     // ICMP
    case 58: {  // ICMPv6
        if (l4_length < 4) return DecodeStatus::malformed;
        if (l4_captured >= 2) {
            // As the Community ID spec: the type is the source "port", and the
            // counterpart type (echo request <-> reply ...) the destination, so
            // both halves of an exchange share one flow; else the code.
            int counterpart = icmp_counterpart(out.ip_protocol == 58, l4[0]);
            out.src_port = l4[0];
            out.dst_port = counterpart >= 0 ? static_cast<uint16_t>(counterpart) : l4[1];
        }
        return DecodeStatus::ok;
    }
    case 47:  // GRE: remote SPAN (ERSPAN) or a tunnel
        return decode_gre(l4, {l4_captured, l4_length}, out);
    default:
        return DecodeStatus::ok;
    }
}

DecodeStatus decode_ipv4(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.wire < 20) return DecodeStatus::malformed;
    if (b.captured < 20) return DecodeStatus::malformed;  // cannot even read the addresses
    if ((p[0] >> 4) != 4) return DecodeStatus::malformed;
    uint32_t header = (p[0] & 0x0f) * 4u;
    uint32_t total = read16(p + 2);
    if (header < 20 || total < header || total > b.wire) return DecodeStatus::malformed;
    out.ip_version = 4;
    out.ip_length = total;
    out.ip_protocol = p[9];
    out.src_ip = IpAddress::v4(p + 12);
    out.dst_ip = IpAddress::v4(p + 16);
    uint16_t fragment = read16(p + 6);
    out.is_later_fragment = (fragment & 0x1fff) != 0;
    out.ip_header = p;
    out.ip_captured = std::min(b.captured, total);  // drop Ethernet padding
    if (out.ip_captured < header) return DecodeStatus::ok;  // options cut by snaplen
    return decode_transport(p + header, out.ip_captured - header, total - header, out);
}

DecodeStatus decode_ipv6(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.wire < 40 || b.captured < 40) return DecodeStatus::malformed;
    if ((p[0] >> 4) != 6) return DecodeStatus::malformed;
    uint32_t total = 40u + read16(p + 4);
    if (total > b.wire) return DecodeStatus::malformed;
    out.ip_version = 6;
    out.ip_length = total;
    out.src_ip = IpAddress::v6(p + 8);
    out.dst_ip = IpAddress::v6(p + 24);
    out.ip_header = p;
    out.ip_captured = std::min(b.captured, total);

    uint8_t next = p[6];
    uint32_t offset = 40;
    for (int i = 0; i < kMaxIPv6Extensions; ++i) {
        uint32_t length;
        switch (next) {
        case 0:    // hop-by-hop options
        case 43:   // routing
        case 60:   // destination options
        case 135:  // mobility
        case 139:  // HIP
        case 140:  // shim6
            if (offset + 2 > total) return DecodeStatus::malformed;
            if (offset + 2 > out.ip_captured) { out.ip_protocol = next; return DecodeStatus::ok; }
            length = (p[offset + 1] + 1u) * 8u;
            break;
        case 51:  // authentication header counts 4-byte words
            if (offset + 2 > total) return DecodeStatus::malformed;
            if (offset + 2 > out.ip_captured) { out.ip_protocol = next; return DecodeStatus::ok; }
            length = (p[offset + 1] + 2u) * 4u;
            break;
        case 44:  // fragment
            if (offset + 8 > total) return DecodeStatus::malformed;
            if (offset + 8 > out.ip_captured) { out.ip_protocol = next; return DecodeStatus::ok; }
            out.is_later_fragment = (read16(p + offset + 2) & 0xfff8) != 0;
            length = 8;
            break;
        default:
            out.ip_protocol = next;
            return decode_transport(p + offset, out.ip_captured - offset, total - offset, out);
        }
        if (offset + length > total) return DecodeStatus::malformed;
        next = p[offset];
        offset += length;
        if (offset > out.ip_captured) { out.ip_protocol = next; return DecodeStatus::ok; }
    }
    return DecodeStatus::malformed;  // an extension chain this long is an attack, not traffic
}

DecodeStatus decode_ip_by_version(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.captured < 1) return DecodeStatus::malformed;
    switch (p[0] >> 4) {
    case 4: return decode_ipv4(p, b, out);
    case 6: return decode_ipv6(p, b, out);
    default: return DecodeStatus::malformed;
    }
}

constexpr uint16_t kEtherPPPoESession = 0x8864;

// PPPoE session (RFC 2516): 6 bytes of PPPoE, then the 2-byte PPP protocol.
// Carrier and broadband links mirrored to a SPAN port carry IP this way.
DecodeStatus decode_pppoe_session(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.captured < 8) return DecodeStatus::malformed;
    uint16_t ppp_protocol = read16(p + 6);
    Bounds inner = skip(b, 8);
    switch (ppp_protocol) {
    case 0x0021: return decode_ipv4(p + 8, inner, out);
    case 0x0057: return decode_ipv6(p + 8, inner, out);
    default: return DecodeStatus::not_ip;  // LCP, IPCP, authentication ...
    }
}

// From an EtherType on: VLAN tags, then IP.
DecodeStatus decode_ethertype(uint16_t type, const uint8_t* p, Bounds b, DecodedPacket& out) {
    for (int tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld; ++tags) {
        if (tags == kMaxVlanTags || b.captured < 4) return DecodeStatus::malformed;
        int32_t id = read16(p) & 0x0fff;
        if (out.vlan < 0) out.vlan = id;
        else if (out.inner_vlan < 0) out.inner_vlan = id;
        type = read16(p + 2);
        p += 4;
        b.captured -= 4;
        b.wire -= 4;
    }
    switch (type) {
    case kEtherIPv4: return decode_ipv4(p, b, out);
    case kEtherIPv6: return decode_ipv6(p, b, out);
    case kEtherPPPoESession: return decode_pppoe_session(p, b, out);
    default: return DecodeStatus::not_ip;
    }
}

DecodeStatus decode_ethernet(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.captured < 14) return DecodeStatus::malformed;
    std::memcpy(out.dst_mac.data(), p, 6);
    std::memcpy(out.src_mac.data(), p + 6, 6);
    out.has_dst_mac = out.has_src_mac = true;
    uint16_t type = read16(p + 12);
    if (type < 0x0600) return DecodeStatus::not_ip;  // 802.3 length field: LLC frames
    return decode_ethertype(type, p + 14, skip(b, 14), out);
}

// ---- remote SPAN tunnels ----------------------------------------------------

// Starts over on a tunnelled frame: only the inner frame's fields count.
bool enter_tunnel(Encapsulation kind, DecodedPacket& out) {
    if (out.tunnels == kMaxTunnels) return false;
    Encapsulation outermost = out.tunnels ? out.encapsulation : kind;
    uint8_t tunnels = out.tunnels + 1;
    out = DecodedPacket{};
    out.encapsulation = outermost;
    out.tunnels = tunnels;
    return true;
}

// ERSPAN header (draft-foschiano-erspan), then the mirrored frame.
DecodeStatus decode_erspan(Encapsulation kind, const uint8_t* p, Bounds b, DecodedPacket& out) {
    uint32_t header = kind == Encapsulation::erspan2 ? 8 : 12;
    if (b.wire < header || b.captured < header) return DecodeStatus::malformed;
    int version = p[0] >> 4;
    if (version != (kind == Encapsulation::erspan2 ? 1 : 2)) return DecodeStatus::malformed;
    if (!enter_tunnel(kind, out)) return DecodeStatus::malformed;
    if (kind == Encapsulation::erspan2) {
        // En = 2: the switch took the frame's 802.1Q tag off and kept its VLAN here.
        if (((p[2] >> 3) & 0x03) == 2) out.vlan = read16(p) & 0x0fff;
        return decode_ethernet(p + header, skip(b, header), out);
    }
    if (p[11] & 0x01) header += 8;  // O: platform-specific subheader follows
    if (b.wire < header || b.captured < header) return DecodeStatus::malformed;
    switch ((p[10] >> 2) & 0x1f) {  // FT: frame type
    case 0: return decode_ethernet(p + header, skip(b, header), out);
    case 2: return decode_ip_by_version(p + header, skip(b, header), out);
    default: return DecodeStatus::not_ip;
    }
}

// GRE (RFC 2784/2890). A payload type we do not decapsulate leaves the packet
// as the GRE flow it is; so does a header cut short by the snap length.
DecodeStatus decode_gre(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.wire < 4) return DecodeStatus::malformed;
    if (b.captured < 4) return DecodeStatus::ok;
    bool checksum = p[0] & 0x80, routing = p[0] & 0x40, key = p[0] & 0x20, sequence = p[0] & 0x10;
    int version = p[1] & 0x07;
    if (routing || version != 0) return DecodeStatus::ok;  // RFC 1701 source routing, PPTP
    uint32_t header = 4 + (checksum ? 4 : 0) + (key ? 4 : 0) + (sequence ? 4 : 0);
    if (b.wire < header) return DecodeStatus::malformed;
    if (b.captured < header) return DecodeStatus::ok;
    Bounds inner = skip(b, header);
    switch (read16(p + 2)) {
    case kEtherTransparentBridging:
        if (!enter_tunnel(Encapsulation::gre, out)) return DecodeStatus::malformed;
        return decode_ethernet(p + header, inner, out);
    case kEtherIPv4:
    case kEtherIPv6:
        if (!enter_tunnel(Encapsulation::gre, out)) return DecodeStatus::malformed;
        return decode_ip_by_version(p + header, inner, out);
    case kEtherErspan2:
        if (!sequence) {  // type I: the frame follows GRE directly
            if (!enter_tunnel(Encapsulation::erspan1, out)) return DecodeStatus::malformed;
            return decode_ethernet(p + header, inner, out);
        }
        return decode_erspan(Encapsulation::erspan2, p + header, inner, out);
    case kEtherErspan3:
        return decode_erspan(Encapsulation::erspan3, p + header, inner, out);
    default:
        return DecodeStatus::ok;
    }
}

// VXLAN (RFC 7348): an 8-byte header whose I flag says a VNI is present, then Ethernet.
DecodeStatus decode_vxlan(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.wire < 8 || b.captured < 8 || !(p[0] & 0x08)) return DecodeStatus::ok;
    if (!enter_tunnel(Encapsulation::vxlan, out)) return DecodeStatus::malformed;
    return decode_ethernet(p + 8, skip(b, 8), out);
}

constexpr uint16_t kArphrdEther = 1;

DecodeStatus decode_sll(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.captured < 16) return DecodeStatus::malformed;
    uint16_t hardware = read16(p + 2);
    uint16_t address_length = read16(p + 4);
    if (hardware == kArphrdEther && address_length == 6) {
        std::memcpy(out.src_mac.data(), p + 6, 6);
        out.has_src_mac = true;
    }
    return decode_ethertype(read16(p + 14), p + 16, skip(b, 16), out);
}

DecodeStatus decode_sll2(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.captured < 20) return DecodeStatus::malformed;
    uint16_t hardware = read16(p + 8);
    uint8_t address_length = p[11];
    if (hardware == kArphrdEther && address_length == 6) {
        std::memcpy(out.src_mac.data(), p + 12, 6);
        out.has_src_mac = true;
    }
    return decode_ethertype(read16(p), p + 20, skip(b, 20), out);
}

// BSD loopback: a 4-byte address family in host byte order.
DecodeStatus decode_null(const uint8_t* p, Bounds b, DecodedPacket& out) {
    if (b.captured < 4) return DecodeStatus::malformed;
    return decode_ip_by_version(p + 4, skip(b, 4), out);
}

}  // namespace

const char* to_string(Encapsulation encapsulation) {
    switch (encapsulation) {
    case Encapsulation::none: return "none";
    case Encapsulation::gre: return "gre";
    case Encapsulation::erspan1: return "erspan-i";
    case Encapsulation::erspan2: return "erspan-ii";
    case Encapsulation::erspan3: return "erspan-iii";
    case Encapsulation::vxlan: return "vxlan";
    }
    return "?";
}

const char* to_string(DecodeStatus status) {
    switch (status) {
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::not_ip: return "not-ip";
    case DecodeStatus::malformed: return "malformed";
    case DecodeStatus::unsupported_link: return "unsupported-link";
    }
    return "?";
}

DecodeStatus decode_packet(int linktype, const uint8_t* frame, uint32_t captured,
                           uint32_t wire_length, DecodedPacket& out) {
    out = DecodedPacket{};
    if (wire_length < captured) wire_length = captured;
    Bounds b{captured, wire_length};
    switch (linktype) {
    case DLT_EN10MB: return decode_ethernet(frame, b, out);
    case DLT_LINUX_SLL: return decode_sll(frame, b, out);
    case DLT_LINUX_SLL2: return decode_sll2(frame, b, out);
    case DLT_RAW:
    case 14:   // DLT_RAW on some BSDs
    case 101:  // LINKTYPE_RAW
        return decode_ip_by_version(frame, b, out);
    case DLT_IPV4: return decode_ipv4(frame, b, out);
    case DLT_IPV6: return decode_ipv6(frame, b, out);
    case DLT_NULL:
    case DLT_LOOP: return decode_null(frame, b, out);
    default: return DecodeStatus::unsupported_link;
    }
}

}  // namespace egresswatch
