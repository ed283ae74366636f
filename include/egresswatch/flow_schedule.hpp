// When idle flows are ended and open flows are written: the one place that
// decides, whichever way packets arrive (capture files, live capture, lanes).
#pragma once

#include <cstdint>

#include "egresswatch/clock.hpp"

namespace egresswatch {

// What --flush-interval counts. `wall`: seconds of the clock on the wall
// (live capture, and reading files by default, so that a week-long capture
// read in a minute is flushed about once). `packet`: seconds of capture time
// (--flush-clock packet reading files: the same snapshots on every run).
enum class FlushClock { wall, packet };

class FlowSchedule {
public:
    using WallClock = int64_t (*)();
    // The first flush interval starts at the first packet (packet time) or now (wall clock).
    FlowSchedule(int64_t flush_interval_us, FlushClock clock, WallClock wall = now_us);

    // Before a packet at `capture_us` is tracked: whether to end idle flows
    // first. Once per second of capture time (as a lone flow table does), and
    // whenever time goes back (the next file of a capture).
    bool expiry_due(int64_t capture_us);
    // After that packet: whether to write open flows now. The wall clock is
    // read every kPacketsPerWallRead packets (a millisecond or so of work).
    bool flush_due_after_packet(int64_t capture_us);
    // A tick with no packet (live capture, about once a second, `wall_us`
    // from the clock): on a quiet network no packet comes to end idle flows
    // or to write the last burst.
    bool expiry_due_idle(int64_t wall_us);
    bool flush_due_idle(int64_t wall_us);

    FlushClock clock() const { return clock_; }
    // Flushes decided so far (the daemon signs a checkpoint after each).
    uint64_t flushes() const { return flushes_; }

    static constexpr uint64_t kPacketsPerWallRead = 4096;
    static constexpr int64_t kExpiryStepUs = 1'000'000;

private:
    bool flush_if_due(int64_t now_us);

    int64_t interval_us_;
    FlushClock clock_;
    WallClock wall_;
    int64_t last_expiry_us_ = 0;
    int64_t last_flush_us_ = 0;  // on the flush clock; 0: no packet yet (packet time)
    uint64_t packets_ = 0;
    uint64_t flushes_ = 0;
};

}  // namespace egresswatch
