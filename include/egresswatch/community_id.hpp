// Community ID v1 flow hashes (https://github.com/corelight/community-id-spec),
// the flow identifier Zeek and Suricata also log, so that records correlate.
#pragma once

#include <cstdint>
#include <string>

#include "egresswatch/net.hpp"

namespace egresswatch {

// "1:" + base64(SHA-1(seed . addresses . proto . 0 . ports)), with the
// endpoints ordered so both directions of a flow hash alike. Ports count for
// TCP, UDP, SCTP, ICMP and ICMPv6 only. For ICMP/ICMPv6 the "ports" are the
// type and its counterpart type (or the code when the type has none, as
// decode_packet gives them); such one-way messages are not reordered.
std::string community_id_v1(const IpAddress& src, const IpAddress& dst, uint8_t proto,
                            uint16_t src_port, uint16_t dst_port, uint16_t seed = 0);

}  // namespace egresswatch
