// One CSV record (RFC 4180 quoting, "" as an escaped quote): the IEEE registry
// and site inventories are CSV, and organisation names contain commas.
#pragma once

#include <string>
#include <vector>

namespace egresswatch {

std::vector<std::string> split_csv_record(const std::string& line);
std::string trim_blanks(const std::string& text);

}  // namespace egresswatch
