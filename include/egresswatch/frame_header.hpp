// A captured frame's record header, as a capture file or libpcap gives it.
// The daemon's capture sources convert libpcap's pcap_pkthdr at the edge, so
// the pipeline's headers do not depend on libpcap.
#pragma once

#include <sys/time.h>

#include <cstdint>

namespace egresswatch {

struct FrameHeader {
    timeval ts{};          // when it was captured (checked by packet_time_us)
    uint32_t caplen = 0;   // bytes captured, the frame's length here
    uint32_t len = 0;      // bytes on the wire
};

}  // namespace egresswatch
