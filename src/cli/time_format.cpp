#include "time_format.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <limits>

namespace egresswatch::cli {
namespace {

using namespace std::chrono;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `count` decimal digits at `pos`, advancing it.
bool read_digits(std::string_view s, std::size_t& pos, std::size_t count, int& value) {
    if (pos + count > s.size()) return false;
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        char c = s[pos + i];
        if (!is_digit(c)) return false;
        value = value * 10 + (c - '0');
    }
    pos += count;
    return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
}

// "7d", "12h", "30m", "45s", "2w": now minus that.
std::optional<std::int64_t> parse_relative(std::string_view s, std::int64_t now_us) {
    if (s.size() < 2) return std::nullopt;
    std::int64_t unit_us;
    switch (s.back()) {
        case 's': unit_us = kMicrosPerSecond; break;
        case 'm': unit_us = 60 * kMicrosPerSecond; break;
        case 'h': unit_us = 3600 * kMicrosPerSecond; break;
        case 'd': unit_us = 86400 * kMicrosPerSecond; break;
        case 'w': unit_us = 604800 * kMicrosPerSecond; break;
        default: return std::nullopt;
    }
    std::int64_t count = 0;
    for (char c : s.substr(0, s.size() - 1)) {
        if (!is_digit(c)) return std::nullopt;
        if (count > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
        count = count * 10 + (c - '0');
    }
    if (count > std::numeric_limits<std::int64_t>::max() / unit_us) return std::nullopt;
    std::int64_t delta = count * unit_us;
    if (now_us < std::numeric_limits<std::int64_t>::min() + delta) return std::nullopt;
    return now_us - delta;
}

// YYYY-MM-DD[Thh:mm:ss[.f+][Z|(+|-)hh:mm]]
std::optional<std::int64_t> parse_absolute(std::string_view s) {
    std::size_t pos = 0;
    int y, mo, d;
    if (!read_digits(s, pos, 4, y) || !expect(s, pos, '-') || !read_digits(s, pos, 2, mo) ||
        !expect(s, pos, '-') || !read_digits(s, pos, 2, d))
        return std::nullopt;
    year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) return std::nullopt;
    std::int64_t us = duration_cast<microseconds>(sys_days{date}.time_since_epoch()).count();
    if (pos == s.size()) return us;

    int h, mi, sec;
    if (!expect(s, pos, 'T') || !read_digits(s, pos, 2, h) || !expect(s, pos, ':') ||
        !read_digits(s, pos, 2, mi) || !expect(s, pos, ':') || !read_digits(s, pos, 2, sec))
        return std::nullopt;
    if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
    us += ((h * 60 + mi) * 60 + sec) * kMicrosPerSecond;

    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        std::size_t first = pos;
        std::int64_t fraction = 0, scale = kMicrosPerSecond;
        while (pos < s.size() && is_digit(s[pos])) {
            if (scale > 1) {
                scale /= 10;
                fraction += (s[pos] - '0') * scale;
            }
            ++pos;
        }
        if (pos == first) return std::nullopt;
        us += fraction;
    }

    if (pos == s.size()) return us;
    if (s[pos] == 'Z') return pos + 1 == s.size() ? std::optional(us) : std::nullopt;
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    int sign = s[pos] == '+' ? 1 : -1;
    ++pos;
    int oh, om;
    if (!read_digits(s, pos, 2, oh) || !expect(s, pos, ':') || !read_digits(s, pos, 2, om) ||
        pos != s.size() || oh > 23 || om > 59)
        return std::nullopt;
    // 09:00+02:00 is 07:00 UTC.
    return us - sign * std::int64_t{oh * 60 + om} * 60 * kMicrosPerSecond;
}

}  // namespace

std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t now_us) {
    if (text.empty()) return std::nullopt;
    if (text.size() >= 5 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
        is_digit(text[3]) && text[4] == '-')
        return parse_absolute(text);
    return parse_relative(text, now_us);
}

std::optional<TimeWindow> parse_period(std::string_view text) {
    std::size_t pos = 0;
    int y = 0, mo = 1, d = 1;
    if (!read_digits(text, pos, 4, y)) return std::nullopt;
    auto to_us = [](sys_days day) {
        return duration_cast<microseconds>(day.time_since_epoch()).count();
    };
    if (pos == text.size()) {
        year_month_day first{year{y}, January, day{1}};
        return TimeWindow{to_us(sys_days{first}), to_us(sys_days{first + years{1}})};
    }
    if (!expect(text, pos, '-')) return std::nullopt;
    if (pos < text.size() && text[pos] == 'W') {  // an ISO 8601 week: Monday to Monday
        int w = 0;
        ++pos;
        if (!read_digits(text, pos, 2, w) || pos != text.size() || w < 1) return std::nullopt;
        sys_days jan4{year{y} / January / 4};
        sys_days monday = jan4 - days{weekday{jan4}.iso_encoding() - 1} + weeks{w - 1};
        // Week 53 exists only in years whose last week's Thursday is still in them.
        if (year_month_day{monday + days{3}}.year() != year{y}) return std::nullopt;
        return TimeWindow{to_us(monday), to_us(monday + weeks{1})};
    }
    if (!read_digits(text, pos, 2, mo) || mo < 1 || mo > 12)
        return std::nullopt;
    if (pos == text.size()) {
        year_month_day first{year{y}, month{static_cast<unsigned>(mo)}, day{1}};
        return TimeWindow{to_us(sys_days{first}), to_us(sys_days{first + months{1}})};
    }
    if (!expect(text, pos, '-') || !read_digits(text, pos, 2, d) || pos != text.size())
        return std::nullopt;
    year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) return std::nullopt;
    return TimeWindow{to_us(sys_days{date}), to_us(sys_days{date} + days{1})};
}

std::string resolve_period(std::string_view text, std::int64_t now_us) {
    sys_days today = floor<days>(sys_time<microseconds>{microseconds{now_us}});
    char buf[16];
    if (text == "last-month") {
        year_month_day last{sys_days{year_month_day{today}.year() / year_month_day{today}.month() / 1} - days{1}};
        std::snprintf(buf, sizeof buf, "%04d-%02u", int(last.year()), unsigned(last.month()));
        return buf;
    }
    if (text == "last-week") {
        sys_days monday = today - days{weekday{today}.iso_encoding() - 1} - weeks{1};
        // The ISO year is the year of the week's Thursday.
        sys_days thursday = monday + days{3};
        int y = int(year_month_day{thursday}.year());
        sys_days jan4{year{y} / January / 4};
        sys_days week1 = jan4 - days{weekday{jan4}.iso_encoding() - 1};
        std::snprintf(buf, sizeof buf, "%04d-W%02d", y, int((monday - week1).count() / 7 + 1));
        return buf;
    }
    return std::string(text);
}

namespace {
std::string g_display_zone = "UTC";
}  // namespace

bool set_display_zone(const std::string& zone) {
    if (zone == "UTC" || zone.empty()) {
        g_display_zone = "UTC";
        return true;
    }
    // A name from the tz database, not a path or a POSIX TZ rule.
    if (zone.front() == '/' || zone.find("..") != std::string::npos ||
        zone.find_first_of(",<>") != std::string::npos)
        return false;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / zone, ec)) return false;
    setenv("TZ", (":" + zone).c_str(), 1);
    tzset();
    g_display_zone = zone;
    return true;
}

const std::string& display_zone() { return g_display_zone; }

bool display_zone_is_utc() { return g_display_zone == "UTC"; }

std::string format_display_time(std::int64_t us) {
    if (display_zone_is_utc()) return format_time(us);
    std::int64_t fraction = ((us % kMicrosPerSecond) + kMicrosPerSecond) % kMicrosPerSecond;
    std::time_t seconds = static_cast<std::time_t>((us - fraction) / kMicrosPerSecond);
    std::tm local{};
    if (!localtime_r(&seconds, &local)) return format_time(us);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &local);
    std::string out = buf;
    if (fraction) {
        std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(fraction));
        out += buf;
    }
    long offset = local.tm_gmtoff / 60;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", offset < 0 ? '-' : '+', std::labs(offset) / 60,
                  std::labs(offset) % 60);
    return out + buf;
}

}  // namespace egresswatch::cli
