// FlowSchedule: the one place that decides when idle flows end and when open
// flows are written, on packet time and on the wall clock.
#include <catch2/catch.hpp>

#include "egresswatch/flow_schedule.hpp"

using egresswatch::FlowSchedule;
using egresswatch::FlushClock;

namespace {

int64_t fake_wall_us = 0;
int64_t fake_wall() { return fake_wall_us; }

constexpr int64_t kSecond = 1'000'000;

}  // namespace

TEST_CASE("schedule.expiry once per second of capture time, and when time goes back", "[schedule]") {
    FlowSchedule schedule(60 * kSecond, FlushClock::packet);
    CHECK(schedule.expiry_due(100 * kSecond));
    CHECK_FALSE(schedule.expiry_due(100 * kSecond + 999'999));
    CHECK(schedule.expiry_due(101 * kSecond));
    CHECK_FALSE(schedule.expiry_due(101 * kSecond + 1));
    // The next file of a capture starts earlier: its flows are not held back.
    CHECK(schedule.expiry_due(50 * kSecond));
    CHECK_FALSE(schedule.expiry_due(50 * kSecond + 10));
    // A tick of the clock within the second packets already covered does nothing.
    CHECK_FALSE(schedule.expiry_due_idle(50 * kSecond + 500'000));
    CHECK(schedule.expiry_due_idle(51 * kSecond));
}

TEST_CASE("schedule.packet clock flushes every interval of capture time from the first packet", "[schedule]") {
    FlowSchedule schedule(60 * kSecond, FlushClock::packet);
    const int64_t start = 1'700'000'000 * kSecond;
    CHECK_FALSE(schedule.flush_due_after_packet(start));
    CHECK_FALSE(schedule.flush_due_after_packet(start + 59 * kSecond));
    CHECK(schedule.flush_due_after_packet(start + 60 * kSecond));
    CHECK_FALSE(schedule.flush_due_after_packet(start + 61 * kSecond));
    CHECK(schedule.flush_due_after_packet(start + 200 * kSecond));  // a quiet spell: one flush, not two
    CHECK_FALSE(schedule.flush_due_after_packet(start + 201 * kSecond));
    CHECK(schedule.flushes() == 2);
    // Ticks of the clock do not write: capture time does not pass between packets.
    CHECK_FALSE(schedule.flush_due_idle(start + 10'000 * kSecond));
    CHECK(schedule.flushes() == 2);
}

TEST_CASE("schedule.wall clock flushes by the clock, read every 4096 packets and at each tick", "[schedule]") {
    fake_wall_us = 1'000 * kSecond;
    FlowSchedule schedule(60 * kSecond, FlushClock::wall, fake_wall);
    // A week of capture time read in a moment: no flush.
    for (uint64_t i = 0; i < 3 * FlowSchedule::kPacketsPerWallRead; ++i)
        REQUIRE_FALSE(schedule.flush_due_after_packet(static_cast<int64_t>(i) * 100 * kSecond));
    fake_wall_us += 60 * kSecond;
    // The clock is read at the next 4096th packet only.
    for (uint64_t i = 1; i < FlowSchedule::kPacketsPerWallRead; ++i) REQUIRE_FALSE(schedule.flush_due_after_packet(0));
    CHECK(schedule.flush_due_after_packet(0));
    CHECK(schedule.flushes() == 1);
    // Live capture in a quiet spell: the tick writes.
    CHECK_FALSE(schedule.flush_due_idle(fake_wall_us + 59 * kSecond));
    CHECK(schedule.flush_due_idle(fake_wall_us + 60 * kSecond));
    CHECK(schedule.flushes() == 2);
}
