// One CSV record (RFC 4180 quoting, "" as an escaped quote): the IEEE registry
// and site inventories are CSV, and organisation names contain commas.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace egresswatch {

std::vector<std::string> split_csv_record(std::string_view line);
// The same into `fields`, reusing its strings (for files of many records).
void split_csv_record(std::string_view line, std::vector<std::string>& fields);
std::string trim_blanks(std::string_view text);

}  // namespace egresswatch
