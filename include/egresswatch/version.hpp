// What a binary says about itself (--version, the daemon's start line, --check):
// its version, the nDPI it links, and how old its geolocation data is.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "egresswatch/geo.hpp"

namespace egresswatch {

// Past this many days the geolocation data is called stale (networks move).
inline constexpr int kGeoStaleDays = 45;

// "0.1.0, nDPI 4.2.0-..." : egresswatch's and nDPI's versions.
std::string version_line();

// "country data of 2026-06-17 (171 days old), network data of 2026-06-17
// (171 days old)", then, past kGeoStaleDays, what to do about it.
std::string geolocation_age(const GeoLocator& geo, std::time_t now);
// The same for the databases found in `dirs` (or why none could be read).
std::string geolocation_age(const std::vector<std::string>& dirs, std::time_t now);

// --version's lines: the version line, then the geolocation databases found
// in `dirs` with their build dates (or why none were found).
std::string version_text(const std::string& program, const std::vector<std::string>& dirs);

}  // namespace egresswatch
