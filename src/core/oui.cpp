#include "egresswatch/oui.hpp"

#include "egresswatch/csv.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace egresswatch {
namespace {

uint64_t key(uint64_t prefix, int bits) { return prefix << 8 | static_cast<uint64_t>(bits); }

uint64_t mac_bits(const MacAddress& mac) {
    uint64_t v = 0;
    for (uint8_t b : mac) v = v << 8 | b;
    return v;
}

}  // namespace

std::string registrant_country(const std::string& address) {
    std::istringstream words(address);
    std::string found;
    for (std::string w; words >> w;)
        if (w.size() == 2 && std::isupper(static_cast<unsigned char>(w[0])) &&
            std::isupper(static_cast<unsigned char>(w[1])))
            found = w;  // the last one: states and provinces come before the country
    return found;
}

OuiRegistry OuiRegistry::load(const std::string& dir) {
    OuiRegistry registry;
    struct Source { const char* file; int bits; };
    for (Source source : {Source{"oui.csv", 24}, Source{"mam.csv", 28}, Source{"oui36.csv", 36}}) {
        std::ifstream in(std::filesystem::path(dir) / source.file);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            auto fields = split_csv_record(line);
            if (fields.size() < 4) continue;
            uint64_t prefix = 0;
            const std::string& hex = fields[1];
            auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), prefix, 16);
            if (ec != std::errc() || end != hex.data() + hex.size() ||
                hex.size() * 4 != static_cast<size_t>(source.bits))
                continue;
            registry.index_[key(prefix, source.bits)] = static_cast<uint32_t>(registry.vendors_.size());
            registry.vendors_.push_back({trim_blanks(fields[2]), registrant_country(fields[3])});
        }
    }
    return registry;
}

const MacVendor* OuiRegistry::lookup(const MacAddress& mac) const {
    if (mac[0] & 0x02) return nullptr;  // locally administered
    uint64_t bits = mac_bits(mac);
    for (int length : {36, 28, 24}) {
        auto it = index_.find(key(bits >> (48 - length), length));
        if (it != index_.end()) return &vendors_[it->second];
    }
    return nullptr;
}

}  // namespace egresswatch
