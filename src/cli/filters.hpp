// What a query selects, and the parsing of the filter arguments into it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch::cli {

struct DeviceFilter {
    enum class Kind { Ip, Mac };
    Kind kind;
    std::string value;  // canonical text: inet_ntop form, or aa:bb:cc:dd:ee:ff
};

struct Filters {
    std::optional<std::int64_t> since_us;  // flows with last_seen >= since
    std::optional<std::int64_t> until_us;  // flows with first_seen < until
    std::optional<DeviceFilter> device;
    std::vector<std::string> countries;    // upper-case ISO 3166 alpha-2; empty = any
    std::vector<std::int64_t> asns;        // empty = any
    std::optional<std::int64_t> limit;     // at most this many rows (> 0)
};

// "aa:bb:cc:dd:ee:ff" in any letter case, or with '-' separators, is a MAC and
// becomes lower-case colon form. Otherwise the text must be an IPv4 or IPv6
// address; it is rewritten as inet_ntop writes it (an IPv4-mapped IPv6
// address becomes plain IPv4, as the store keeps it). nullopt if neither.
std::optional<DeviceFilter> parse_device(std::string_view text);

// "CN,HK" -> {"CN", "HK"}: two letters each, upper-cased, duplicates dropped.
std::optional<std::vector<std::string>> parse_country_list(std::string_view text);

// "4134,AS4837" -> {4134, 4837}: 32-bit AS numbers, optional "AS" prefix.
std::optional<std::vector<std::int64_t>> parse_asn_list(std::string_view text);

}  // namespace egresswatch::cli
