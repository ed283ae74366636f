// The link types the fuzz target decodes, indexed by the low 3 bits of its
// first input byte; seeds_from_pcap writes that index for each frame.
#pragma once

#include <pcap/dlt.h>

#include <array>

namespace egresswatch::fuzz {

inline constexpr std::array<int, 8> kLinkTypes = {
    DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP};

}  // namespace egresswatch::fuzz
