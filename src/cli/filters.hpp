// What a query selects, and the parsing of the filter arguments into it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch::cli {

struct DeviceFilter {
    enum class Kind { Ip, Mac, Name };
    Kind kind;
    // Canonical text: inet_ntop form, aa:bb:cc:dd:ee:ff, or the label or
    // hostname as given (matched without regard to letter case).
    std::string value;
};

enum class Order { Time, Bytes };

struct Filters {
    std::optional<std::int64_t> since_us;  // flows with last_seen >= since
    std::optional<std::int64_t> until_us;  // flows with first_seen < until
    std::optional<DeviceFilter> device;
    std::vector<std::string> countries;    // upper-case ISO 3166 alpha-2; empty = any
    std::vector<std::int64_t> asns;        // empty = any
    std::optional<std::string> domain;     // lower-case name suffix, on label boundaries
    std::vector<std::string> severities;   // the levels at or above --severity; empty = any
    std::vector<std::string> kinds;        // device kinds; empty = any
    std::optional<std::string> app;        // application protocol, e.g. TLS or HikConnect
    std::optional<std::int64_t> limit;     // at most this many rows (> 0)
    Order order = Order::Time;
};

// "aa:bb:cc:dd:ee:ff" in any letter case, or with '-' separators, is a MAC and
// becomes lower-case colon form. An IPv4 or IPv6 address is rewritten as
// inet_ntop writes it (an IPv4-mapped IPv6 address becomes plain IPv4, as the
// store keeps it). Other printable text with a letter in it is a device label
// or hostname. nullopt otherwise (e.g. "10.0.0", an address with a typo).
std::optional<DeviceFilter> parse_device(std::string_view text);

// "CN,HK" -> {"CN", "HK"}: two letters each, upper-cased, duplicates dropped.
std::optional<std::vector<std::string>> parse_country_list(std::string_view text);

// "4134,AS4837" -> {4134, 4837}: 32-bit AS numbers, optional "AS" prefix.
std::optional<std::vector<std::int64_t>> parse_asn_list(std::string_view text);

// "example.com", ".Example.COM" -> "example.com": letters, digits, '-', '_'
// and dots, lower-cased, without a leading or trailing dot.
std::optional<std::string> parse_domain_suffix(std::string_view text);

// "medium" -> {"medium", "high"}: the level and those above it.
std::optional<std::vector<std::string>> parse_severity(std::string_view text);

// "camera,nvr" -> {"camera", "nvr"}: of camera, nvr, iot, other.
std::optional<std::vector<std::string>> parse_kind_list(std::string_view text);

// An nDPI protocol name such as "TLS", "HikConnect" or "TLS.HikConnect".
std::optional<std::string> parse_app(std::string_view text);

std::optional<Order> parse_order(std::string_view text);

}  // namespace egresswatch::cli
