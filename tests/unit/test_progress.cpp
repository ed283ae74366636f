// The words of egresswatchd -r's progress line (tests/ops/progress.sh checks
// that it is drawn on a terminal only, and cleared).
#include <catch2/catch.hpp>

#include "daemon/progress.hpp"

using egresswatch::SensorCounters;
using egresswatch::daemon::ProgressLine;
using egresswatch::daemon::ReadProgress;

TEST_CASE("progress line: percent, rates, flows, alerts and time left", "[progress]") {
    SensorCounters c;
    c.flows_written = 12345;
    c.alerts = 23;
    CHECK(ProgressLine::text({512ull << 20, 1024ull << 20, 1500000}, c, 10.0) ==
          "reading: 50%, 512.0 of 1024.0 MiB, 1500000 packets (150000/s), 12345 flows, 23 alerts, 0:10 left");
    CHECK(ProgressLine::text({100ull << 20, 10000ull << 20, 10}, c, 40.0) ==
          "reading: 1%, 100.0 of 10000.0 MiB, 10 packets (0/s), 12345 flows, 23 alerts, 1:06:00 left");
    // A pipe: no size, so no percent and no time left.
    CHECK(ProgressLine::text({3ull << 20, 0, 4096}, c, 2.0) ==
          "reading: 3.0 MiB, 4096 packets (2048/s), 12345 flows, 23 alerts");
}
