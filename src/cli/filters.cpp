#include "filters.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace egresswatch::cli {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> normalise_mac(std::string_view text) {
    if (text.size() != 17) return std::nullopt;
    char separator = text[2];
    if (separator != ':' && separator != '-') return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 3) {
        int high = hex_value(text[i]), low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        if (i + 2 < text.size() && text[i + 2] != separator) return std::nullopt;
        if (i) out += ':';
        out += kHex[high];
        out += kHex[low];
    }
    return out;
}

std::optional<std::string> normalise_ip(std::string_view text) {
    std::string s(text);
    unsigned char bytes[16];
    char buf[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, s.c_str(), bytes) == 1)
        return std::string(inet_ntop(AF_INET, bytes, buf, sizeof buf));
    if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) {
        static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0)
            return std::string(inet_ntop(AF_INET, bytes + 12, buf, sizeof buf));
        return std::string(inet_ntop(AF_INET6, bytes, buf, sizeof buf));
    }
    return std::nullopt;
}

// Splits "a,b,c"; an empty item makes the whole list invalid.
std::optional<std::vector<std::string_view>> split_list(std::string_view text) {
    std::vector<std::string_view> items;
    while (true) {
        std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        if (item.empty()) return std::nullopt;
        items.push_back(item);
        if (comma == std::string_view::npos) return items;
        text.remove_prefix(comma + 1);
    }
}

template <typename T>
void add_unique(std::vector<T>& items, T value) {
    if (std::find(items.begin(), items.end(), value) == items.end())
        items.push_back(std::move(value));
}

}  // namespace

std::optional<DeviceFilter> parse_device(std::string_view text) {
    if (auto mac = normalise_mac(text)) return DeviceFilter{DeviceFilter::Kind::Mac, *mac};
    if (auto ip = normalise_ip(text)) return DeviceFilter{DeviceFilter::Kind::Ip, *ip};
    bool has_letter = false;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return std::nullopt;
        if (std::isalpha(u) || u >= 0x80) has_letter = true;
    }
    // A colon, or hex digits alone, make a mistyped address, not a name.
    bool looks_like_address = text.find(':') != std::string_view::npos ||
                              text.find_first_not_of("0123456789abcdefABCDEF.-") == std::string_view::npos;
    if (!has_letter || looks_like_address) return std::nullopt;
    return DeviceFilter{DeviceFilter::Kind::Name, std::string(text)};
}

std::optional<std::vector<std::string>> parse_country_list(std::string_view text) {
    auto items = split_list(text);
    if (!items) return std::nullopt;
    std::vector<std::string> countries;
    for (std::string_view item : *items) {
        if (item.size() != 2) return std::nullopt;
        std::string code;
        for (char c : item) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
            if (c < 'A' || c > 'Z') return std::nullopt;
            code += c;
        }
        add_unique(countries, std::move(code));
    }
    return countries;
}

std::optional<std::vector<std::int64_t>> parse_asn_list(std::string_view text) {
    auto items = split_list(text);
    if (!items) return std::nullopt;
    std::vector<std::int64_t> asns;
    for (std::string_view item : *items) {
        if (item.size() > 2 && (item[0] == 'A' || item[0] == 'a') &&
            (item[1] == 'S' || item[1] == 's'))
            item.remove_prefix(2);
        if (item.empty() || item.size() > 10) return std::nullopt;
        std::int64_t n = 0;
        for (char c : item) {
            if (c < '0' || c > '9') return std::nullopt;
            n = n * 10 + (c - '0');
        }
        if (n > 4294967295LL) return std::nullopt;
        add_unique(asns, n);
    }
    return asns;
}

std::optional<std::string> parse_domain_suffix(std::string_view text) {
    if (!text.empty() && text.front() == '.') text.remove_prefix(1);
    if (text.empty() || text.back() == '.' || text.find("..") != std::string_view::npos)
        return std::nullopt;
    std::string out;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (!std::isalnum(u) && c != '-' && c != '_' && c != '.') return std::nullopt;
        out += static_cast<char>(std::tolower(u));
    }
    return out;
}

std::optional<std::vector<std::string>> parse_severity(std::string_view text) {
    static const std::vector<std::string> kLevels = {"low", "medium", "high"};  // ascending
    for (std::size_t i = 0; i < kLevels.size(); ++i)
        if (text == kLevels[i]) return std::vector<std::string>(kLevels.begin() + i, kLevels.end());
    return std::nullopt;
}

std::optional<std::vector<std::string>> parse_kind_list(std::string_view text) {
    auto items = split_list(text);
    if (!items) return std::nullopt;
    std::vector<std::string> kinds;
    for (std::string_view item : *items) {
        if (item != "camera" && item != "nvr" && item != "iot" && item != "other") return std::nullopt;
        add_unique(kinds, std::string(item));
    }
    return kinds;
}

std::optional<std::string> parse_app(std::string_view text) {
    if (text.empty() || text.front() == '.' || text.back() == '.') return std::nullopt;
    for (char c : text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            return std::nullopt;
    return std::string(text);
}

std::optional<Order> parse_order(std::string_view text) {
    if (text == "time") return Order::Time;
    if (text == "bytes") return Order::Bytes;
    return std::nullopt;
}

}  // namespace egresswatch::cli
