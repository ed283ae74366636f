#include <egresswatch/common/config_file.hpp>

#include <fstream>

namespace egresswatch::config_file {
namespace {

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::vector<Entry> read(const std::string& path) {
    std::vector<Entry> entries;
    std::ifstream in(path);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        auto eq = line.find('=');
        std::string name = trim(std::string_view(line).substr(0, eq));
        if (eq == std::string::npos || name.empty() || name.front() == '#' || name.front() == ';') continue;
        entries.push_back({n, name, trim(std::string_view(line).substr(eq + 1))});
    }
    return entries;
}

std::optional<Entry> find(const std::vector<Entry>& entries, std::string_view name) {
    for (const auto& e : entries)
        if (e.name == name) return e;
    return std::nullopt;
}

}  // namespace egresswatch::config_file
