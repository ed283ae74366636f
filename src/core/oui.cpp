#include "egresswatch/oui.hpp"

#include "egresswatch/csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace egresswatch {
namespace {

uint64_t key(uint64_t prefix, int bits) { return prefix << 8 | static_cast<uint64_t>(bits); }

uint64_t mac_bits(const MacAddress& mac) {
    uint64_t v = 0;
    for (uint8_t b : mac) v = v << 8 | b;
    return v;
}

// The assignment (second field) of a registry line, if the line has the four
// fields of one: "MA-L,4419B6,Organization Name,Organization Address".
std::optional<std::string_view> assignment_of(std::string_view line, std::vector<std::string>& fields) {
    if (!line.empty() && line.front() == '"') {  // a quoted first field: none in the IEEE files today
        split_csv_record(line, fields);
        if (fields.size() < 4) return std::nullopt;
        return std::string_view(fields[1]);
    }
    size_t first = line.find(',');
    size_t second = first == std::string_view::npos ? first : line.find(',', first + 1);
    // Quoted commas in the name only add to this count: fewer than three is fewer than four fields.
    if (second == std::string_view::npos || line.find(',', second + 1) == std::string_view::npos) return std::nullopt;
    return line.substr(first + 1, second - first - 1);
}

}  // namespace

class OuiRegistry::File {
public:
    explicit File(int fd) : fd_(fd) {}
    ~File() { ::close(fd_); }
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    // The line at `offset`, from the file as it was loaded: the descriptor
    // holds that version even after ieee-data replaces the file.
    std::optional<std::string> line(uint32_t offset, uint16_t length) const {
        std::string text(length, '\0');
        ssize_t n = ::pread(fd_, text.data(), length, offset);
        if (n != static_cast<ssize_t>(length)) return std::nullopt;  // cut since: no vendor, not a wrong one
        return text;
    }

private:
    int fd_;
};

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

namespace {

// Reads `fd` whole into `buffer` (grown as needed); the bytes read.
size_t read_whole(int fd, std::unique_ptr<char[]>& buffer, size_t& capacity) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || st.st_size <= 0) return 0;
    auto size = static_cast<size_t>(st.st_size);
    if (size > capacity) {
        buffer = std::make_unique_for_overwrite<char[]>(size);  // not zeroed: read over at once
        capacity = size;
    }
    size_t filled = 0;
    while (filled < size) {
        ssize_t n = ::read(fd, buffer.get() + filled, size - filled);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        filled += static_cast<size_t>(n);
    }
    return filled;
}

}  // namespace

struct OuiRegistry::ReadBack {
    std::mutex mutex;  // a registry may be shared between threads
    std::unordered_map<size_t, MacVendor> vendors;
};

OuiRegistry OuiRegistry::load(const std::string& dir) {
    OuiRegistry registry;
    registry.read_back_ = std::make_shared<ReadBack>();
    struct Source { const char* file; int bits; };
    const Source sources[] = {{"oui.csv", 24}, {"mam.csv", 28}, {"oui36.csv", 36}};
    std::unique_ptr<char[]> buffer;
    size_t capacity = 0;
    std::vector<std::string> fields;
    for (const Source& source : sources) {
        int fd = ::open((std::filesystem::path(dir) / source.file).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        auto file_number = static_cast<uint8_t>(registry.files_.size());
        registry.files_.push_back(std::make_shared<const File>(fd));
        size_t size = read_whole(fd, buffer, capacity);
        std::string_view text(buffer.get(), size);
        size_t start = text.find('\n');  // after the header line
        while (start != std::string_view::npos && ++start < text.size()) {
            size_t end = std::min(text.find('\n', start), text.size());
            std::string_view line = text.substr(start, end - start);
            size_t offset = start;
            start = end;
            auto hex = assignment_of(line, fields);
            uint64_t prefix = 0;
            if (!hex || hex->size() * 4 != static_cast<size_t>(source.bits) ||
                line.size() > std::numeric_limits<uint16_t>::max() || offset > std::numeric_limits<uint32_t>::max())
                continue;
            auto [parsed_to, ec] = std::from_chars(hex->data(), hex->data() + hex->size(), prefix, 16);
            if (ec != std::errc() || parsed_to != hex->data() + hex->size()) continue;
            registry.index_.push_back({key(prefix, source.bits), static_cast<uint32_t>(offset),
                                       static_cast<uint16_t>(line.size()), file_number});
        }
    }
    // Stable, so that a prefix listed twice keeps its last entry.
    std::stable_sort(registry.index_.begin(), registry.index_.end(),
                     [](const Entry& a, const Entry& b) { return a.key < b.key; });
    return registry;
}

std::optional<MacVendor> OuiRegistry::lookup(const MacAddress& mac) const {
    if (mac[0] & 0x02) return std::nullopt;  // locally administered
    uint64_t bits = mac_bits(mac);
    std::vector<std::string> fields;
    for (int length : {36, 28, 24}) {
        uint64_t wanted = key(bits >> (48 - length), length);
        auto it = std::upper_bound(index_.begin(), index_.end(), wanted,
                                   [](uint64_t k, const Entry& entry) { return k < entry.key; });
        if (it == index_.begin() || (--it)->key != wanted) continue;
        auto at = static_cast<size_t>(it - index_.begin());
        {
            std::lock_guard lock(read_back_->mutex);
            if (auto known = read_back_->vendors.find(at); known != read_back_->vendors.end()) return known->second;
        }
        auto line = files_[it->file]->line(it->offset, it->length);
        if (!line) continue;
        split_csv_record(*line, fields);
        if (fields.size() < 4) continue;
        MacVendor vendor{trim_blanks(fields[2]), registrant_country(fields[3])};
        std::lock_guard lock(read_back_->mutex);
        read_back_->vendors.emplace(at, vendor);
        return vendor;
    }
    return std::nullopt;
}

}  // namespace egresswatch
