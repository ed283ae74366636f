// Time as the store keeps it: microseconds since the epoch, UTC.
#pragma once

#include <sys/time.h>

#include <chrono>
#include <cstdint>

namespace egresswatch {

inline int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// A packet's time stamp (pcap_pkthdr::ts).
inline int64_t to_us(const timeval& tv) { return int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec; }

}  // namespace egresswatch
