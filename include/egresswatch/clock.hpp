// Wall-clock time as the store keeps it: microseconds since the epoch, UTC.
#pragma once

#include <chrono>
#include <cstdint>

namespace egresswatch {

inline int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace egresswatch
