// Geolocation of remote ends with libmaxminddb: country plus network owner (ASN).
// Reads MaxMind's GeoLite2/GeoIP2 schema (country.iso_code, City databases too,
// autonomous_system_number/organization) and ip-location-db's country_code schema.
#pragma once

#include <maxminddb.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "egresswatch/net.hpp"

namespace egresswatch {

struct GeoInfo {
    std::string country;  // ISO 3166 alpha-2, empty if unknown
    uint32_t asn = 0;     // 0 if unknown
    std::string as_org;
};

class GeoError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One open .mmdb file.
class MaxMindDb {
public:
    explicit MaxMindDb(const std::string& path);  // throws GeoError naming the file
    ~MaxMindDb();
    MaxMindDb(const MaxMindDb&) = delete;
    MaxMindDb& operator=(const MaxMindDb&) = delete;

    // Fills what this database knows about the address; false if not found.
    bool lookup(const IpAddress& address, GeoInfo& info) const;
    const std::string& path() const { return path_; }
    // "GeoLite2-ASN, built 2026-11-01" for the store's method notes.
    std::string describe() const;
    // When the database was built (its metadata), seconds since the epoch.
    uint64_t build_epoch() const { return db_.metadata.build_epoch; }

private:
    std::string path_;
    MMDB_s db_{};
};

class GeoLocator {
public:
    // Searches `dirs` in order for a country (or city) database and an ASN
    // database. Throws GeoError listing what was looked for and where, and how
    // to obtain the files, when either is missing.
    explicit GeoLocator(const std::vector<std::string>& dirs);

    // Cached: each address is looked up in the databases once.
    const GeoInfo& lookup(const IpAddress& address);
    std::string describe() const;
    size_t cache_size() const { return cache_.size(); }
    const MaxMindDb& country_db() const { return *country_; }
    const MaxMindDb& asn_db() const { return *asn_; }

    static const std::vector<std::string>& country_file_names();
    static const std::vector<std::string>& asn_file_names();

private:
    std::unique_ptr<MaxMindDb> country_;
    std::unique_ptr<MaxMindDb> asn_;
    std::unordered_map<IpAddress, GeoInfo, IpAddressHash> cache_;
};

// The default search path: the given directory (if any), then the build's and
// the installed package's geoip directories, then Zeek's usual places.
std::vector<std::string> geoip_search_path(const std::string& configured_dir);

}  // namespace egresswatch
