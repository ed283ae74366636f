// The IEEE MAC address registry (Debian's ieee-data): who a MAC prefix was
// assigned to, and the registrant's country from its postal address.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

    // The most specific assignment covering the MAC. Locally administered
    // addresses (randomised, virtual) belong to nobody.
    std::optional<MacVendor> lookup(const MacAddress& mac) const;
    size_t size() const { return index_.size(); }

private:
    class File;
    // Only each assignment's prefix is read at load; its line is read back
    // from the file (kept open) when a device with that prefix appears. The
    // names and addresses of 50k vendors were most of the start-up and 9 MB
    // of memory, for the few dozen vendors a site has.
    struct Entry {
        uint64_t key;  // prefix bits in the low bits, tagged with the prefix length
        uint32_t offset;  // of the line in its file
        uint16_t length;
        uint8_t file;
    };
    std::vector<Entry> index_;  // sorted by key
    std::vector<std::shared_ptr<const File>> files_;
    // The vendors read back so far, by position in index_: each line is read
    // (a system call) and parsed once, not for every new MAC with its prefix.
    struct ReadBack;
    std::shared_ptr<ReadBack> read_back_;
};

// The country in an IEEE registry address such as "Hangzhou Zhejiang CN 310052".
std::string registrant_country(std::string_view address);

}  // namespace egresswatch
