// Timestamps as people and programs read them. The store keeps times as
// integer microseconds since the epoch, UTC.
#pragma once

#include <cstdint>
#include <string>

namespace egresswatch {

// Formats microseconds since the epoch as ISO 8601 UTC: "2026-11-02T09:00:00Z",
// or "2026-11-02T09:00:00.250000Z" when the fraction of a second is not zero.
// Times before 1970 count back from the epoch (-1 is 1969-12-31T23:59:59.999999Z).
std::string format_time(std::int64_t us);

}  // namespace egresswatch
