// The little JSON the query CLI needs: writing scalars and arrays of strings,
// and reading the arrays of strings the store keeps as text
// (devices.identified_by, alerts.reasons).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch::cli::json {

// Appends `text` as a quoted JSON string. Quotes, backslashes and control
// characters are escaped (\n, \t, ... or \u00XX); bytes that are not valid
// UTF-8 become U+FFFD so that the output is always valid JSON.
void append_string(std::string& out, std::string_view text);

void append_null(std::string& out);
void append_integer(std::string& out, std::int64_t value);
void append_string_array(std::string& out, const std::vector<std::string>& items);

// Convenience: the quoted, escaped form of `text`.
std::string quote(std::string_view text);

// Parses a JSON array whose elements are all strings, e.g. ["a", "b\u00e9"].
// Whitespace is allowed where JSON allows it. Returns nullopt for anything
// else (other element types, trailing text, bad escapes).
std::optional<std::vector<std::string>> parse_string_array(std::string_view text);

}  // namespace egresswatch::cli::json
