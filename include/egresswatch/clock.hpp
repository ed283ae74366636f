// Time as the store keeps it: microseconds since the epoch, UTC.
#pragma once

#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace egresswatch {

inline int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// A packet's time stamp (FrameHeader::ts). Only for a stamp that
// packet_time_us() accepts: others overflow.
inline int64_t to_us(const timeval& tv) { return int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec; }

// The last second the store can keep: 9999-12-31T23:59:59Z (ISO 8601 has four-digit years).
inline constexpr int64_t kLastPacketSecond = 253'402'300'799;

// A packet's time stamp in microseconds, or nullopt when it cannot be a
// capture's: before 1970 or after the year 9999 (a damaged or forged record
// header; a pcapng stamp of 2^64-1 would otherwise wrap to 1969).
inline std::optional<int64_t> packet_time_us(const timeval& tv) {
    if (tv.tv_sec < 0 || tv.tv_sec > kLastPacketSecond || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000'000)
        return std::nullopt;
    return to_us(tv);
}

}  // namespace egresswatch
