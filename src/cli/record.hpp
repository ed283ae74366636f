// The shape of query results, shared by the queries and the output formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace egresswatch::cli {

enum class ColumnKind {
    Integer,  // a number
    Text,     // a string
    Time,     // microseconds since the epoch, shown as ISO 8601 UTC
    List,     // an array of strings
};

struct Column {
    std::string_view name;  // the JSON key and CSV header
    ColumnKind kind;
    bool compact;  // shown by the table format
    std::size_t max_width = 0;  // the table cuts longer cells short (0: never)
    // On a terminal too narrow for the table, columns are left out from the
    // highest of these down (0: always shown); see make_formatter.
    int narrow_drop = 0;
};

// std::monostate is SQL NULL (an unknown value). Time columns hold the
// integer microseconds; formats render them.
using Value = std::variant<std::monostate, std::int64_t, std::string, std::vector<std::string>>;
using Row = std::vector<Value>;  // one Value per Column, in column order

}  // namespace egresswatch::cli
