#include "egresswatch/common/time.hpp"

#include <chrono>
#include <cstdio>

namespace egresswatch {

std::string format_time(std::int64_t us) {
    using namespace std::chrono;
    constexpr std::int64_t kMicrosPerSecond = 1'000'000;
    sys_time<microseconds> t{microseconds{us}};
    sys_days day_point = floor<days>(t);
    year_month_day date{day_point};
    std::int64_t in_day = (t - day_point).count();  // 0 <= in_day < one day
    std::int64_t fraction = in_day % kMicrosPerSecond;
    std::int64_t seconds = in_day / kMicrosPerSecond;

    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(date.year()),
                  unsigned(date.month()), unsigned(date.day()), int(seconds / 3600),
                  int(seconds / 60 % 60), int(seconds % 60));
    std::string out = buf;
    if (fraction != 0) {
        std::snprintf(buf, sizeof buf, ".%06d", int(fraction));
        out += buf;
    }
    out += 'Z';
    return out;
}

}  // namespace egresswatch
