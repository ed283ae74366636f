#include "egresswatch/version.hpp"

#include <ndpi/ndpi_api.h>

#include <algorithm>

#include "egresswatch/common/time.hpp"

namespace egresswatch {
namespace {

std::string day_of(uint64_t epoch) { return format_time(static_cast<int64_t>(epoch) * 1'000'000).substr(0, 10); }

int64_t days_between(uint64_t then, std::time_t now) {
    return (static_cast<int64_t>(now) - static_cast<int64_t>(then)) / 86400;
}

}  // namespace

std::string version_line() {
#ifdef EGRESSWATCH_VERSION
    std::string version = EGRESSWATCH_VERSION;
#else
    std::string version = "unknown";
#endif
    return version + ", nDPI " + ndpi_revision();
}

std::string geolocation_age(const GeoLocator& geo, std::time_t now) {
    std::string text;
    int64_t oldest = 0;
    for (auto [what, db] : {std::pair{"country", &geo.country_db()}, std::pair{"network", &geo.asn_db()}}) {
        int64_t days = days_between(db->build_epoch(), now);
        oldest = std::max(oldest, days);
        text += std::string(text.empty() ? "" : ", ") + what + " data of " + day_of(db->build_epoch()) + " (" +
                std::to_string(days) + (days == 1 ? " day old)" : " days old)");
    }
    if (oldest > kGeoStaleDays)
        text += "; older than " + std::to_string(kGeoStaleDays) +
                " days: update it (geoip/build-databases.sh, or geoipupdate for MaxMind's GeoLite2)";
    return text;
}

std::string geolocation_age(const std::vector<std::string>& dirs, std::time_t now) {
    try {
        return geolocation_age(GeoLocator(dirs), now);
    } catch (const std::exception& e) {
        return std::string("unreadable: ") + e.what();
    }
}

std::string version_text(const std::string& program, const std::vector<std::string>& dirs) {
    std::string text = program + " " + version_line() + "\n";
    try {
        GeoLocator geo(dirs);
        text += "geolocation: " + geo.describe() + "\n";
    } catch (const std::exception&) {
        text += "geolocation: no databases found (see geoip/README.md)\n";
    }
    return text;
}

}  // namespace egresswatch
