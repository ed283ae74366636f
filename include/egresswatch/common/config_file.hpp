// egresswatch.conf as plain lines "name = value" (# comments): what the CLI
// takes from the daemon's configuration (the store, the time zone), and where
// egresswatchd --check finds the line that set an option.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch::config_file {

// The installed configuration, where the package puts it.
inline constexpr const char* kDefaultPath = "/etc/egresswatch/egresswatch.conf";

struct Entry {
    int line = 0;  // 1-based
    std::string name, value;
};

// Every "name = value" line of the file, in order; empty if it cannot be read.
std::vector<Entry> read(const std::string& path);

// The first entry named `name`, if any.
std::optional<Entry> find(const std::vector<Entry>& entries, std::string_view name);

}  // namespace egresswatch::config_file
