// The IEEE MAC address registry (Debian's ieee-data): who a MAC prefix was
// assigned to, and the registrant's country from its postal address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "egresswatch/net.hpp"

namespace egresswatch {

struct MacVendor {
    std::string organisation;
    std::string country;  // ISO alpha-2 of the registrant's address, empty if unknown
};

class OuiRegistry {
public:
    // Loads oui.csv (MA-L), mam.csv (MA-M) and oui36.csv (MA-S) from dir, those
    // that exist. An empty registry is allowed (vendors are then unknown).
    static OuiRegistry load(const std::string& dir);

    // The most specific assignment covering the MAC, or nullptr. Locally
    // administered addresses (randomised, virtual) belong to nobody.
    const MacVendor* lookup(const MacAddress& mac) const;
    size_t size() const { return vendors_.size(); }

private:
    // Key: prefix bits in the low bits, tagged with the prefix length.
    // Sorted by key (binary search: 50k entries load faster than into a hash map).
    std::vector<std::pair<uint64_t, uint32_t>> index_;
    std::vector<MacVendor> vendors_;
};

// The country in an IEEE registry address such as "Hangzhou Zhejiang CN 310052".
std::string registrant_country(std::string_view address);

}  // namespace egresswatch
