// Passive DNS rows are deduplicated (one row per client, question and answer,
// with first and last time and a count): what reads them must count every
// response and use the last sighting, not the first.
#include <catch2/catch.hpp>

#include "daemon/retention.hpp"
#include "dns_answer.hpp"
#include "report/report_test_support.hpp"
#include "test_cli_support.hpp"

using namespace egresswatch;
using namespace egresswatch::test;

namespace {

DnsObservation lookup(std::int64_t time_us) { return dns_answer(time_us, "10.0.0.5", "cloud.example", "192.0.2.1"); }

}  // namespace

TEST_CASE("dns repeats: the device story counts every response, first and last") {
    StorePath dir;
    write_store(dir.store(), {device("10.0.0.5", "aa:bb:cc:00:00:05", "camera", kNov1, kNov1 + kDay),
                              lookup(kNov1), lookup(kNov1 + 3'600'000'000), lookup(kNov1 + 7'200'000'000)});
    Sql sql(dir.store());
    REQUIRE(sql.integer("SELECT count(*) FROM dns") == 1);
    auto story = run({"-d", dir.store(), "device", "10.0.0.5", "--format", "csv"});
    REQUIRE(story.code == 0);
    INFO(story.out);
    CHECK(story.out.find("cloud.example,192.0.2.1,3,2026-11-01T00:00:00Z,2026-11-01T02:00:00Z") != std::string::npos);
    // A window that meets only the last response still finds the row.
    auto late = run({"-d", dir.store(), "device", "10.0.0.5", "--since", "2026-11-01T01:30:00Z", "--format", "csv"});
    CHECK(late.out.find("cloud.example,192.0.2.1,") != std::string::npos);
}

TEST_CASE("dns repeats: retention keeps an answer first seen long ago but seen again lately") {
    StorePath dir;
    write_store(dir.store(), {lookup(kNov1), lookup(kNov1 + 9 * kDay)});
    sqlite::Connection db(dir.store(), sqlite::Connection::Mode::read_write);
    daemon::RetentionPolicy policy{1, 2};
    auto counts = daemon::prune_store(db.handle(), policy, kNov1 + 10 * kDay, [] { return false; });
    CHECK(counts.dns == 0);
    counts = daemon::prune_store(db.handle(), policy, kNov1 + 11 * kDay, [] { return false; });
    CHECK(counts.dns == 1);
}
