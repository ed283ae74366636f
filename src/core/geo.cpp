#include "egresswatch/geo.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace egresswatch {
namespace {

// Reads a UTF-8 string at `path` (a NULL-terminated list of keys).
bool get_string(MMDB_entry_s* entry, std::string& out, const char* const* path) {
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) return false;
    if (data.type != MMDB_DATA_TYPE_UTF8_STRING) return false;
    out.assign(data.utf8_string, data.data_size);
    return true;
}

bool get_uint(MMDB_entry_s* entry, uint32_t& out, const char* const* path) {
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) return false;
    switch (data.type) {
    case MMDB_DATA_TYPE_UINT16: out = data.uint16; return true;
    case MMDB_DATA_TYPE_UINT32: out = data.uint32; return true;
    case MMDB_DATA_TYPE_UINT64: out = static_cast<uint32_t>(data.uint64); return true;
    case MMDB_DATA_TYPE_INT32: out = static_cast<uint32_t>(data.int32); return true;
    default: return false;
    }
}

}  // namespace

MaxMindDb::MaxMindDb(const std::string& path) : path_(path) {
    int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_);
    if (status != MMDB_SUCCESS) {
        int saved_errno = errno;
        std::string why = MMDB_strerror(status);
        if (status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR)
            why += std::string(" (") + std::strerror(saved_errno) + ")";
        throw GeoError("cannot open geolocation database " + path + ": " + why +
                       ". Rebuild it with geoip/build-databases.sh (or geoipupdate for MaxMind files), "
                       "or check its permissions");
    }
}

MaxMindDb::~MaxMindDb() { MMDB_close(&db_); }

bool MaxMindDb::lookup(const IpAddress& address, GeoInfo& info) const {
    sockaddr_storage storage{};
    if (address.is_v4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        std::memcpy(&sin->sin_addr, address.data(), 4);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        std::memcpy(&sin6->sin6_addr, address.data(), 16);
    }
    int error = MMDB_SUCCESS;
    auto* mmdb = const_cast<MMDB_s*>(&db_);  // libmaxminddb's API is not const-correct
    MMDB_lookup_result_s result =
        MMDB_lookup_sockaddr(mmdb, reinterpret_cast<const sockaddr*>(&storage), &error);
    if (error != MMDB_SUCCESS || !result.found_entry) return false;

    static const char* const kIsoCode[] = {"country", "iso_code", nullptr};
    static const char* const kRegisteredIsoCode[] = {"registered_country", "iso_code", nullptr};
    static const char* const kCountryCode[] = {"country_code", nullptr};
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    static const char* const kAsOrg[] = {"autonomous_system_organization", nullptr};
    bool found = false;
    if (info.country.empty())
        found |= get_string(&result.entry, info.country, kIsoCode) ||
                 get_string(&result.entry, info.country, kCountryCode) ||
                 get_string(&result.entry, info.country, kRegisteredIsoCode);
    if (info.asn == 0) {
        found |= get_uint(&result.entry, info.asn, kAsn);
        get_string(&result.entry, info.as_org, kAsOrg);
    }
    return found;
}

std::string MaxMindDb::describe() const {
    char date[32] = "?";
    std::time_t built = static_cast<std::time_t>(db_.metadata.build_epoch);
    std::tm tm{};
    if (gmtime_r(&built, &tm)) std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
    return std::filesystem::path(path_).filename().string() + " (" +
           (db_.metadata.database_type ? db_.metadata.database_type : "?") + ", built " + date + ")";
}

const std::vector<std::string>& GeoLocator::country_file_names() {
    static const std::vector<std::string> names = {
        "country.mmdb",       "GeoLite2-Country.mmdb", "GeoIP2-Country.mmdb",
        "GeoLite2-City.mmdb", "GeoIP2-City.mmdb",      "dbip-country-lite.mmdb"};
    return names;
}

const std::vector<std::string>& GeoLocator::asn_file_names() {
    static const std::vector<std::string> names = {"asn.mmdb", "GeoLite2-ASN.mmdb",
                                                   "GeoIP2-ISP.mmdb", "dbip-asn-lite.mmdb"};
    return names;
}

namespace {

std::string find_first(const std::vector<std::string>& dirs, const std::vector<std::string>& names) {
    // Directory order wins over file-name order: a site's own directory is
    // searched completely before the defaults.
    for (const auto& dir : dirs)
        for (const auto& name : names) {
            auto path = std::filesystem::path(dir) / name;
            std::error_code ec;
            if (std::filesystem::is_regular_file(path, ec)) return path.string();
        }
    return {};
}

std::string join(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& item : items) s += (s.empty() ? "" : ", ") + item;
    return s;
}

}  // namespace

GeoLocator::GeoLocator(const std::vector<std::string>& dirs) {
    auto country_path = find_first(dirs, country_file_names());
    auto asn_path = find_first(dirs, asn_file_names());
    auto missing = [&](const char* what, const std::vector<std::string>& names) {
        return GeoError(std::string("no ") + what + " database found: looked for " + join(names) +
                        " in " + join(dirs) +
                        ". Build the default databases with geoip/build-databases.sh, or install "
                        "MaxMind's GeoLite2 files with geoipupdate, then pass --geoip-dir DIR");
    };
    if (country_path.empty()) throw missing("country", country_file_names());
    if (asn_path.empty()) throw missing("network (ASN)", asn_file_names());
    country_ = std::make_unique<MaxMindDb>(country_path);
    asn_ = std::make_unique<MaxMindDb>(asn_path);
}

const GeoInfo& GeoLocator::lookup(const IpAddress& address) {
    auto it = cache_.find(address);
    if (it != cache_.end()) return it->second;
    // Bound the cache: a scan across the Internet must not grow it forever.
    constexpr size_t kMaxCached = 1'000'000;
    if (cache_.size() >= kMaxCached) cache_.clear();
    GeoInfo info;
    country_->lookup(address, info);
    asn_->lookup(address, info);
    return cache_.emplace(address, std::move(info)).first->second;
}

std::string GeoLocator::describe() const {
    return "country: " + country_->describe() + "; network: " + asn_->describe();
}

std::vector<std::string> geoip_search_path(const std::string& configured_dir) {
    // As Zeek: the configured directory, then the system's usual places, then
    // where this package and a source build put the databases they build.
    std::vector<std::string> dirs;
    if (!configured_dir.empty()) dirs.push_back(configured_dir);
    for (const char* dir : {"/usr/share/GeoIP", "/var/lib/GeoIP", "/var/lib/egresswatch/geoip",
                            EGRESSWATCH_GEOIP_INSTALL_DIR, EGRESSWATCH_SOURCE_GEOIP_DIR})
        dirs.push_back(dir);
    return dirs;
}

}  // namespace egresswatch
