// Time arguments and timestamp formatting of the query CLI.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "../../src/cli/time_format.hpp"

using egresswatch::cli::format_time;
using egresswatch::cli::parse_time;

namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// 2026-11-02T00:00:00Z
constexpr std::int64_t kNov2 = 1793577600LL * kSecond;
// A fixed "now" for relative times: 2026-11-02T09:30:00Z.
constexpr std::int64_t kNow = kNov2 + 9 * kHour + 30 * kMinute;

std::optional<std::int64_t> parse(const char* text) { return parse_time(text, kNow); }

}  // namespace

TEST_CASE("parse_time: dates are midnight UTC", "[cli][time]") {
    CHECK(parse("1970-01-01") == 0);
    CHECK(parse("2026-11-02") == kNov2);
    CHECK(parse("2026-11-03") == kNov2 + kDay);
    CHECK(parse("1969-12-31") == -kDay);
}

TEST_CASE("parse_time: date-times are UTC with or without Z", "[cli][time]") {
    CHECK(parse("2026-11-02T09:00:00Z") == kNov2 + 9 * kHour);
    CHECK(parse("2026-11-02T09:00:00") == kNov2 + 9 * kHour);
    CHECK(parse("2026-11-02T23:59:59Z") == kNov2 + kDay - kSecond);
    CHECK(parse("2026-11-02T00:00:00Z") == kNov2);
}

TEST_CASE("parse_time: fractional seconds", "[cli][time]") {
    CHECK(parse("2026-11-02T09:00:00.25Z") == kNov2 + 9 * kHour + 250'000);
    CHECK(parse("2026-11-02T09:00:00.250000Z") == kNov2 + 9 * kHour + 250'000);
    CHECK(parse("2026-11-02T09:00:00.000001") == kNov2 + 9 * kHour + 1);
    CHECK(parse("2026-11-02T09:00:00.5") == kNov2 + 9 * kHour + 500'000);
    // Digits past microseconds are truncated.
    CHECK(parse("2026-11-02T09:00:00.123456789Z") == kNov2 + 9 * kHour + 123'456);
    CHECK(parse("2026-11-02T09:00:00,5Z") == kNov2 + 9 * kHour + 500'000);
}

TEST_CASE("parse_time: explicit UTC offsets", "[cli][time]") {
    CHECK(parse("2026-11-02T09:00:00+02:00") == kNov2 + 7 * kHour);
    CHECK(parse("2026-11-02T09:00:00-05:30") == kNov2 + 14 * kHour + 30 * kMinute);
    CHECK(parse("2026-11-02T09:00:00.5+00:00") == kNov2 + 9 * kHour + 500'000);
}

TEST_CASE("parse_time: leap days", "[cli][time]") {
    CHECK(parse("2028-02-29") == parse("2028-03-01").value() - kDay);
    CHECK(parse("2000-02-29").has_value());   // divisible by 400
    CHECK_FALSE(parse("2026-02-29"));         // not a leap year
    CHECK_FALSE(parse("1900-02-29"));         // divisible by 100 only
    CHECK(parse("2024-02-29T12:00:00Z") == 1709208000LL * kSecond);
}

TEST_CASE("parse_time: relative times count back from now", "[cli][time]") {
    CHECK(parse("7d") == kNow - 7 * kDay);
    CHECK(parse("12h") == kNow - 12 * kHour);
    CHECK(parse("30m") == kNow - 30 * kMinute);
    CHECK(parse("45s") == kNow - 45 * kSecond);
    CHECK(parse("2w") == kNow - 14 * kDay);
    CHECK(parse("0h") == kNow);
    CHECK(parse_time("1d", 0) == -kDay);
}

TEST_CASE("parse_time: rejects bad input", "[cli][time]") {
    for (const char* bad : {
             "",
             "7x",
             "d",
             "7",
             "-7d",
             "7 d",
             "7D",
             "1.5h",
             "99999999999999999999d",  // overflows
             "9999999999999999d",      // the product overflows
             "2026-13-01",
             "2026-00-10",
             "2026-11-00",
             "2026-11-31",
             "2026-1-02",
             "26-11-02",
             "2026/11/02",
             "2026-11-02T",
             "2026-11-02T24:00:00Z",
             "2026-11-02T09:60:00Z",
             "2026-11-02T09:00:60Z",
             "2026-11-02T09:00Z",
             "2026-11-02 09:00:00",
             "2026-11-02T09:00:00.Z",
             "2026-11-02T09:00:00ZZ",
             "2026-11-02T09:00:00+2",
             "2026-11-02T09:00:00+24:00",
             "2026-11-02x",
             " 2026-11-02",
             "2026-11-02 ",
         }) {
        INFO("input: '" << bad << "'");
        CHECK_FALSE(parse(bad));
    }
}

TEST_CASE("format_time: ISO 8601 UTC, fraction only when non-zero", "[cli][time]") {
    CHECK(format_time(0) == "1970-01-01T00:00:00Z");
    CHECK(format_time(kNov2 + 9 * kHour) == "2026-11-02T09:00:00Z");
    CHECK(format_time(kNov2 + 9 * kHour + 250'000) == "2026-11-02T09:00:00.250000Z");
    CHECK(format_time(kNov2 + 1) == "2026-11-02T00:00:00.000001Z");
    CHECK(format_time(kNov2 - 1) == "2026-11-01T23:59:59.999999Z");
    CHECK(format_time(1709208000LL * kSecond) == "2024-02-29T12:00:00Z");
    CHECK(format_time(-1) == "1969-12-31T23:59:59.999999Z");
    CHECK(format_time(-kDay) == "1969-12-31T00:00:00Z");
}

TEST_CASE("format_time and parse_time round-trip", "[cli][time]") {
    for (std::int64_t us : {std::int64_t{0}, kNov2, kNov2 + 123'456, kNow + 999'999,
                            std::int64_t{1709208000} * kSecond + 1, std::int64_t{-1}}) {
        INFO("us = " << us);
        CHECK(parse_time(format_time(us), 0) == us);
    }
}

TEST_CASE("parse_period: a UTC year, month or day", "[cli][time]") {
    auto window = [](const char* text) {
        auto w = egresswatch::cli::parse_period(text);
        REQUIRE(w);
        return std::pair(format_time(w->since_us), format_time(w->until_us));
    };
    using Span = std::pair<std::string, std::string>;
    CHECK(window("2026-11") == Span{"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"});
    CHECK(window("2026-12") == Span{"2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"});
    CHECK(window("2028-02-29") == Span{"2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"});
    CHECK(window("2026") == Span{"2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"});
    for (const char* bad : {"", "26", "2026-", "2026-00", "2026-13", "2026-1", "2026-02-29", "2026-11-02T00",
                            "2026-11-02 ", "7d", "2026/11"}) {
        INFO(bad);
        CHECK_FALSE(egresswatch::cli::parse_period(bad));
    }
}
