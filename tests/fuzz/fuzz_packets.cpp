// libFuzzer target: hostile bytes through everything that parses packets.
// The first input byte chooses what the rest is:
//   bits 0-2  the link type the frame is decoded as (Ethernet, SLL, ...)
//   bit 3     0: a whole frame through decode_packet, then its transport
//             payload through the parsers; 1: bytes straight to the parsers
//   bits 4-7  extra wire length: frames cut short by the snap length
// A decoded packet also goes through the flow key and its Community ID.
#include <pcap/dlt.h>

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "egresswatch/community_id.hpp"
#include "egresswatch/decode.hpp"
#include "egresswatch/discovery.hpp"
#include "egresswatch/dns_message.hpp"
#include "egresswatch/flow_table.hpp"
#include "link_types.hpp"

namespace {

using namespace egresswatch;

// Parsers return nothing (or nullopt) for bytes that are not theirs: each
// gets every payload, whatever its port.
void parse_payload(const uint8_t* data, size_t size) {
    if (auto dns = parse_dns_message(data, size)) parse_mdns_hints(*dns);
    parse_dns_tcp_segment(data, size);
    parse_dhcp(data, size);
    parse_ssdp(data, size);
    parse_ws_discovery(data, size);
    parse_hikvision_sadp(data, size);
    parse_dahua_discovery(data, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t selector = data[0];
    const uint8_t* bytes = data + 1;
    const uint32_t length = static_cast<uint32_t>(size - 1);
    if (selector & 0x08) {
        parse_payload(bytes, length);
        return 0;
    }
    int linktype = fuzz::kLinkTypes[selector & 0x07];
    DecodedPacket packet;
    if (decode_packet(linktype, bytes, length, length + (selector >> 4) * 97u, packet) != DecodeStatus::ok) return 0;
    FlowKey::from(packet);
    community_id_v1(packet.src_ip, packet.dst_ip, packet.ip_protocol, packet.src_port, packet.dst_port);
    if (packet.payload) parse_payload(packet.payload, packet.payload_captured);
    return 0;
}
