#include "egresswatch/oui.hpp"

#include "egresswatch/csv.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

namespace egresswatch {
namespace {

uint64_t key(uint64_t prefix, int bits) { return prefix << 8 | static_cast<uint64_t>(bits); }

uint64_t mac_bits(const MacAddress& mac) {
    uint64_t v = 0;
    for (uint8_t b : mac) v = v << 8 | b;
    return v;
}

}  // namespace

std::string registrant_country(std::string_view address) {
    // The last two-capital word: states and provinces come before the country,
    // the postcode after it. Scanning back finds it in a few characters.
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    auto capital = [](char c) { return c >= 'A' && c <= 'Z'; };
    size_t end = address.size();
    while (end > 0) {
        while (end > 0 && blank(address[end - 1])) --end;
        size_t start = end;
        while (start > 0 && !blank(address[start - 1])) --start;
        if (end - start == 2 && capital(address[start]) && capital(address[start + 1]))
            return std::string(address.substr(start, 2));
        end = start;
    }
    return {};
}

OuiRegistry OuiRegistry::load(const std::string& dir) {
    OuiRegistry registry;
    struct Source { const char* file; int bits; };
    const Source sources[] = {{"oui.csv", 24}, {"mam.csv", 28}, {"oui36.csv", 36}};
    std::vector<std::string> fields;
    std::vector<std::string> texts;
    size_t lines = 0;
    for (const Source& source : sources) {
        // Read whole, in one read of the file's size: line-by-line streams
        // (and then a string grown a character at a time) were most of the start-up.
        std::ifstream in(std::filesystem::path(dir) / source.file, std::ios::binary | std::ios::ate);
        std::string& text = texts.emplace_back();
        if (!in) continue;
        text.resize(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())));
        in.seekg(0);
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
        lines += static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    }
    // Sized once: growing them moved every vendor's strings again at each step.
    registry.index_.reserve(lines);
    registry.vendors_.reserve(lines);
    for (size_t file = 0; file < std::size(sources); ++file) {
        const Source& source = sources[file];
        std::string_view rest(texts[file]);
        bool header = true;
        while (!rest.empty()) {
            size_t end = rest.find('\n');
            std::string_view line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
            if (std::exchange(header, false)) continue;
            split_csv_record(line, fields);
            if (fields.size() < 4) continue;
            uint64_t prefix = 0;
            const std::string& hex = fields[1];
            auto [parsed_to, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), prefix, 16);
            if (ec != std::errc() || parsed_to != hex.data() + hex.size() ||
                hex.size() * 4 != static_cast<size_t>(source.bits))
                continue;
            registry.index_.emplace_back(key(prefix, source.bits), static_cast<uint32_t>(registry.vendors_.size()));
            registry.vendors_.push_back({trim_blanks(fields[2]), registrant_country(fields[3])});
        }
    }
    // Sorted once; stable so that a prefix listed twice keeps its last entry, as before.
    std::stable_sort(registry.index_.begin(), registry.index_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return registry;
}

const MacVendor* OuiRegistry::lookup(const MacAddress& mac) const {
    if (mac[0] & 0x02) return nullptr;  // locally administered
    uint64_t bits = mac_bits(mac);
    for (int length : {36, 28, 24}) {
        uint64_t wanted = key(bits >> (48 - length), length);
        auto it = std::upper_bound(index_.begin(), index_.end(), wanted,
                                   [](uint64_t k, const auto& entry) { return k < entry.first; });
        if (it != index_.begin() && (--it)->first == wanted) return &vendors_[it->second];
    }
    return nullptr;
}

}  // namespace egresswatch
