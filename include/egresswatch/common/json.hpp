// The one JSON writer and escaper of egresswatch (the store's JSON text, the
// daemon's JSON log, the CLI's output): writing scalars, arrays of strings
// and nested documents, and reading the arrays of strings the store keeps as
// text (devices.identified_by, alerts.reasons).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch::json {

// Appends `text` as a quoted JSON string. Quotes and backslashes are escaped;
// of the C0 control characters, \n, \r and \t as such and every other one as
// \u00XX (lower-case hex); bytes that are not valid UTF-8 become U+FFFD, so
// the output is always valid JSON. Everything else is copied as it is (DEL
// and C1 need no escape in JSON). The store seals alerts.reasons in this
// form: for valid UTF-8 it must never change.
void append_string(std::string& out, std::string_view text);

void append_null(std::string& out);
void append_integer(std::string& out, std::int64_t value);
void append_string_array(std::string& out, const std::vector<std::string>& items);
// The same as a string: ["a","b"] (no spaces).
std::string string_array(const std::vector<std::string>& items);

// Convenience: the quoted, escaped form of `text`.
std::string quote(std::string_view text);

// Writes a nested document. The caller pairs the begin/end calls and gives a
// key before each member of an object.
//   pretty:  one member or element per line, indented by two spaces per
//            level, "key": value, a newline after the document; documents
//            diff well (reports, case bundles).
//   compact: all on one line, "key":value, no newline after it (JSON lines:
//            the daemon's --json-log).
class Writer {
public:
    enum class Style { pretty, compact };
    explicit Writer(std::string& out, Style style = Style::pretty) : out_(out), style_(style) {}
    Writer& begin_object() { return open('{'); }
    Writer& end_object() { return close('}'); }
    Writer& begin_array() { return open('['); }
    Writer& end_array() { return close(']'); }
    Writer& key(std::string_view name);
    Writer& value(std::string_view text);
    Writer& value(const char* text) { return value(std::string_view(text)); }
    Writer& value(const std::string& text) { return value(std::string_view(text)); }
    Writer& value(std::int64_t n);
    Writer& value(bool b);
    Writer& value(const std::optional<std::string>& text);
    Writer& value(const std::optional<std::int64_t>& n);
    Writer& value(const std::vector<std::string>& items);  // on one line
    Writer& null();
    // A value already in JSON form.
    Writer& raw(std::string_view json);

private:
    Writer& open(char bracket);
    Writer& close(char bracket);
    void before_value();

    std::string& out_;
    Style style_;
    std::vector<bool> has_items_;  // per open level
    bool after_key_ = false;
};

// Parses a JSON array whose elements are all strings, e.g. ["a", "b\u00e9"].
// Whitespace is allowed where JSON allows it. Returns nullopt for anything
// else (other element types, trailing text, bad escapes).
std::optional<std::vector<std::string>> parse_string_array(std::string_view text);

}  // namespace egresswatch::json
