// --tz: tables and the reports for people show local time with the zone
// named; JSON and CSV stay UTC. Europe/London across the start of British
// Summer Time (2026-03-29 01:00 UTC, clocks go from 01:00 GMT to 02:00 BST).
#include <catch2/catch.hpp>

#include "../../src/cli/time_format.hpp"
#include "test_cli_support.hpp"

namespace cli = egresswatch::cli;
using egresswatch::test::run;
using egresswatch::test::TempStore;

namespace {
constexpr std::int64_t kBeforeBst = 1774744200000000;  // 2026-03-29T00:30:00Z
constexpr std::int64_t kAfterBst = 1774747800250000;   // 2026-03-29T01:30:00.250000Z
}  // namespace

TEST_CASE("format_display_time: Europe/London across the change to BST", "[cli][tz]") {
    REQUIRE(cli::format_time(kBeforeBst) == "2026-03-29T00:30:00Z");
    REQUIRE(cli::set_display_zone("Europe/London"));
    CHECK(cli::format_display_time(kBeforeBst) == "2026-03-29T00:30:00+00:00");
    CHECK(cli::format_display_time(kAfterBst) == "2026-03-29T02:30:00.250000+01:00");
    CHECK(cli::format_display_time(1793610000000000) == "2026-11-02T09:00:00+00:00");
    CHECK_FALSE(cli::set_display_zone("Europe/Nowhere"));
    CHECK_FALSE(cli::set_display_zone("../../etc/passwd"));
    CHECK(cli::display_zone() == "Europe/London");
    REQUIRE(cli::set_display_zone("UTC"));
    CHECK(cli::format_display_time(kAfterBst) == "2026-03-29T01:30:00.250000Z");
}

TEST_CASE("cli --tz: the table in London time, named in its header; JSON and CSV in UTC", "[cli][tz]") {
    TempStore store;
    store.add_flow(1, kBeforeBst, kBeforeBst + 1000000, "10.0.0.5", "203.0.113.7", "CN", 4134);
    store.add_flow(2, kAfterBst, kAfterBst + 1000000, "10.0.0.5", "203.0.113.8", "CN", 4134);
    auto r = run({"-d", store.path(), "flows", "--tz", "Europe/London"});
    CHECK(r.err == "");
    CHECK(r.out ==
          "first_seen (Europe/London)        device_ip  device_kind  remote_ip    remote_port  transport  domain  country   asn  bytes_out  bytes_in\n"
          "--------------------------------  ---------  -----------  -----------  -----------  ---------  ------  -------  ----  ---------  --------\n"
          "2026-03-29T00:30:00+00:00         10.0.0.5   -            203.0.113.7            -  tcp        -       CN       4134          1         1\n"
          "2026-03-29T02:30:00.250000+01:00  10.0.0.5   -            203.0.113.8            -  tcp        -       CN       4134          1         1\n"
          "2 flows\n");
    r = run({"-d", store.path(), "flows", "--tz", "Europe/London", "--format", "csv"});
    CHECK(r.out.find("\n2026-03-29T01:30:00.250000Z,") != std::string::npos);
    r = run({"-d", store.path(), "flows", "--tz", "Europe/London", "--format", "jsonl"});
    CHECK(r.out.find("\"first_seen\":\"2026-03-29T01:30:00.250000Z\"") != std::string::npos);
    // Without --tz: UTC, as before.
    r = run({"-d", store.path(), "flows"});
    CHECK(r.out.find("first_seen                   device_ip") == 0);
    CHECK(r.out.find("2026-03-29T01:30:00.250000Z") != std::string::npos);
    r = run({"-d", store.path(), "flows", "--tz", "Mars/Olympus"});
    CHECK(r.code == 2);
    CHECK(r.err == "egresswatch: unknown time zone 'Mars/Olympus' (--tz): expected UTC or a tz database name such as "
                   "Europe/London (Debian: tzdata)\n");
}

TEST_CASE("cli --tz: the markdown report's period in London time, the zone named", "[cli][tz][report]") {
    TempStore store;
    store.add_flow(1, kAfterBst, kAfterBst + 1000000, "10.0.0.5", "203.0.113.7", "CN", 4134);
    auto r = run({"-d", store.path(), "report", "--since", "2026-03-29", "--until", "2026-03-30", "--tz",
                  "Europe/London"});
    CHECK(r.err == "");
    CHECK(r.out.find("Period: 2026-03-29T00:00:00+00:00 to 2026-03-30T01:00:00+01:00 (Europe/London).") !=
          std::string::npos);
    r = run({"-d", store.path(), "report", "--since", "2026-03-29", "--until", "2026-03-30", "--tz",
             "Europe/London", "--format", "json"});
    CHECK(r.out.find("\"2026-03-29T00:00:00Z\"") != std::string::npos);
    CHECK(r.out.find("+01:00") == std::string::npos);
}

TEST_CASE("report periods: ISO weeks, last-month and last-week", "[cli][period]") {
    auto w = cli::parse_period("2026-W01");
    REQUIRE(w);
    CHECK(cli::format_time(w->since_us) == "2025-12-29T00:00:00Z");
    CHECK(cli::format_time(w->until_us) == "2026-01-05T00:00:00Z");
    w = cli::parse_period("2026-W53");  // 2026 has 53 ISO weeks (it starts on a Thursday)
    REQUIRE(w);
    CHECK(cli::format_time(w->since_us) == "2026-12-28T00:00:00Z");
    CHECK_FALSE(cli::parse_period("2027-W53"));
    CHECK_FALSE(cli::parse_period("2026-W00"));
    CHECK_FALSE(cli::parse_period("2026-W1"));
    // Wednesday 2026-12-02: last month is November, last week is W48 (Nov 23-30).
    std::int64_t now = *cli::parse_time("2026-12-02T10:00:00Z", 0);
    CHECK(cli::resolve_period("last-month", now) == "2026-11");
    CHECK(cli::resolve_period("last-week", now) == "2026-W48");
    CHECK(cli::format_time(cli::parse_period("2026-W48")->since_us) == "2026-11-23T00:00:00Z");
    // Across a year: on 2027-01-01 (a Friday) last month is 2026-12 and last week 2026-W52.
    now = *cli::parse_time("2027-01-01T00:00:00Z", 0);
    CHECK(cli::resolve_period("last-month", now) == "2026-12");
    CHECK(cli::resolve_period("last-week", now) == "2026-W52");
    CHECK(cli::resolve_period("2026-11", now) == "2026-11");
}
