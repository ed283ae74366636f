// Time arguments and timestamps of the query CLI.
//
// The store keeps times as integer microseconds since the epoch, UTC. These are
// pure functions: relative times ("7d") are resolved against a `now` given by
// the caller, so that they can be tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <egresswatch/common/time.hpp>

namespace egresswatch::cli {

// Parses a time argument into microseconds since the epoch, UTC:
//   2026-11-02                      midnight UTC of that day
//   2026-11-02T09:00:00[Z]          UTC date-time (without Z it is still UTC)
//   2026-11-02T09:00:00.25[Z]       with fractional seconds (digits past the
//                                   sixth are truncated)
//   2026-11-02T09:00:00+02:00       with an explicit offset from UTC
//   7d, 12h, 30m, 45s, 2w           `now_us` minus that duration
// Returns nullopt for anything else, including impossible dates (2026-13-01,
// 2026-02-29) and out-of-range fields.
std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t now_us);

// A half-open span of time [since_us, until_us), microseconds UTC.
struct TimeWindow {
    std::int64_t since_us = 0, until_us = 0;
};

// A calendar period in UTC: "2026" (the year), "2026-11" (the month),
// "2026-W47" (the ISO 8601 week, Monday to Monday) or "2026-11-02" (the day).
// nullopt for anything else.
std::optional<TimeWindow> parse_period(std::string_view text);

// "last-month" and "last-week" as the period they are at `now_us` ("2026-10",
// "2026-W44"); any other text as it is.
std::string resolve_period(std::string_view text, std::int64_t now_us);

// ISO 8601 UTC, as everywhere in egresswatch (egresswatch/common/time.hpp).
using egresswatch::format_time;

// The zone in which tables and the reports for people (md, html) show times
// (--tz; JSON, CSV and the sealed records stay UTC). "UTC", or a tz database
// name such as Europe/London: false, and no change, for a name that
// /usr/share/zoneinfo (tzdata) does not have.
bool set_display_zone(const std::string& zone);
const std::string& display_zone();
bool display_zone_is_utc();

// `us` in the display zone: format_time's text in UTC, else ISO 8601 with the
// zone's offset then, e.g. 2026-03-29T02:30:00+01:00 (British Summer Time).
std::string format_display_time(std::int64_t us);

}  // namespace egresswatch::cli
