// Output formats: an aligned table for people, CSV and JSON for programs.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "record.hpp"

namespace egresswatch::cli {

enum class Format { Table, Csv, Json, Jsonl };

std::optional<Format> parse_format(std::string_view name);

// One CSV cell, safe to open in a spreadsheet (stored text comes from the
// network, so a host name can be "=HYPERLINK(...)"):
//   - control characters (C0 including tab, CR and LF, DEL, and C1, i.e. the
//     UTF-8 forms of U+0080..U+009F) and bytes that are not UTF-8 each become
//     U+FFFD;
//   - a cell that starts with =, +, -, @, tab or CR and is not a number
//     ("-5", "+1.5e3" are) is a formula to a spreadsheet: it is prefixed with
//     a single quote and quoted (OWASP's advice for CSV injection), so that
//     "=1+2" is written "'=1+2" and shows as text;
//   - RFC 4180: quoted if it holds a comma or a quote, quotes doubled.
std::string csv_field(std::string_view field);

// Whether `s` is a decimal number: [+-]digits[.digits][e[+-]digits].
bool is_number(std::string_view s);

// Receives the rows of one result and writes them to a stream.
class Formatter {
public:
    virtual ~Formatter() = default;
    virtual void row(const Row& row) = 0;
    // Called once after the last row (also when there were none).
    virtual void finish() = 0;
};

// `columns` must outlive the formatter. `noun` names the rows in the table's
// count line ("3 flows").
//   json:  an array, one object per line; keys are the column names, SQL NULL
//          is null, times are ISO 8601 UTC strings, lists are arrays.
//   jsonl: the same objects, one per line, without the array (JSON lines).
//   csv:   a header row of column names, RFC 4180 quoting, "\n" line ends,
//          NULL as an empty field, lists joined with "; ", every cell made
//          safe for spreadsheets by csv_field.
//   table: the compact columns, aligned, with a header and a separator line;
//          NULL as "-", numbers right-aligned, cells longer than the
//          column's max_width cut short with "…", then a line "N <noun>".
//          Control characters are escaped so that stored text cannot drive
//          the terminal.
// `section`, if given, is the first member of every JSON lines object
// ("section":"<section>"), for output that mixes several kinds of rows.
// `width` (a terminal's columns; 0: none) fits the table to it: list columns
// (reasons) leave the grid and are shown whole under each row, one item a
// line, wrapped at spaces; then, while too wide, the columns with the highest
// narrow_drop are left out (named in a last line), then times are shown to
// the second, then the widest cuttable text columns (those with a max_width)
// are cut short, not below 10 columns.
std::unique_ptr<Formatter> make_formatter(Format format, const std::vector<Column>& columns,
                                          std::string_view noun, std::ostream& out,
                                          std::string_view section = {}, std::size_t width = 0);

}  // namespace egresswatch::cli
