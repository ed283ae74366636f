#include "egresswatch/flow_schedule.hpp"

namespace egresswatch {

FlowSchedule::FlowSchedule(int64_t flush_interval_us, FlushClock clock, WallClock wall)
    : interval_us_(flush_interval_us), clock_(clock), wall_(wall) {
    if (clock_ == FlushClock::wall) last_flush_us_ = wall_();
}

bool FlowSchedule::expiry_due(int64_t capture_us) {
    if (capture_us - last_expiry_us_ < kExpiryStepUs && capture_us >= last_expiry_us_) return false;
    last_expiry_us_ = capture_us;
    return true;
}

bool FlowSchedule::expiry_due_idle(int64_t wall_us) {
    if (wall_us - last_expiry_us_ < kExpiryStepUs) return false;  // packets did it within the second
    last_expiry_us_ = wall_us;
    return true;
}

bool FlowSchedule::flush_due_after_packet(int64_t capture_us) {
    if (clock_ == FlushClock::wall) return ++packets_ % kPacketsPerWallRead == 0 && flush_if_due(wall_());
    if (last_flush_us_ == 0) last_flush_us_ = capture_us;
    return flush_if_due(capture_us);
}

bool FlowSchedule::flush_due_idle(int64_t wall_us) {
    // Capture time does not pass between packets.
    return clock_ == FlushClock::wall && flush_if_due(wall_us);
}

bool FlowSchedule::flush_if_due(int64_t now_us) {
    if (now_us - last_flush_us_ < interval_us_) return false;
    last_flush_us_ = now_us;
    ++flushes_;
    return true;
}

}  // namespace egresswatch
