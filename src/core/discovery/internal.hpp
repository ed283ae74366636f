// What the discovery parsers share, private to src/core/discovery/: text
// matching and cleaning (text.cpp, hint.cpp), the XML and JSON scanners
// (xml_scan.cpp, json_scan.cpp). The public entry point is
// include/egresswatch/discovery.hpp; the vocabulary that turns evidence into a
// kind is vocabulary.cpp.
//
// Everything here reads untrusted bytes: it never reads past the view it is
// given, never recurses and caps what it keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/discovery.hpp"

namespace egresswatch::discovery_detail {

inline constexpr size_t kMaxField = 128;  // hostname, vendor, model and message fields
inline constexpr size_t kMaxEvidenceLength = 160;
inline constexpr size_t kMaxHeaderValue = 256;

// ---- text (text.cpp) ---------------------------------------------------------------

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline std::string_view view(const uint8_t* data, size_t len) {
    return {reinterpret_cast<const char*>(data), len};
}

// ASCII case-insensitive comparisons.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool iends_with(std::string_view s, std::string_view suffix);
size_t ifind(std::string_view s, std::string_view needle, size_t from = 0);

std::string_view trim(std::string_view s);
// At most `max` runs of non-blank characters.
std::vector<std::string_view> split_blank(std::string_view s, size_t max);
// 0-15 for a hex digit, -1 otherwise.
int hex_value(char c);

// ---- building a hint (hint.cpp) --------------------------------------------------------

// Untrusted bytes -> text that is safe to store and print: ends at the first
// NUL, blanks trimmed, control characters and invalid UTF-8 bytes become '?',
// at most max bytes (never cutting a UTF-8 sequence).
std::string clean_text(std::string_view in, size_t max);
// clean_text, or nullopt when nothing is left.
std::optional<std::string> clean_field(std::string_view raw, size_t max = kMaxField);
// Appends "key:value" (value cleaned) unless it is empty, already there, or
// the hint holds kMaxEvidence items.
void add_evidence(DeviceHint& hint, std::string_view key, std::string_view value);
// Sets a field that is not set yet to the cleaned value.
void set_once(std::optional<std::string>& field, std::string_view value);

// ---- XML by string scanning (xml_scan.cpp) -------------------------------------------

std::string_view local_part(std::string_view qname);   // "dn:Types" -> "Types"
std::string_view prefix_part(std::string_view qname);  // "dn:Types" -> "dn"

struct StartTag {
    size_t at = 0;          // the '<'
    size_t content = 0;     // just past the '>'
    bool self_closing = false;
    std::string_view qname;
};

// The next start tag at or after `from` whose local name (any namespace
// prefix) is `local`, compared ASCII case-insensitively.
std::optional<StartTag> find_start_tag(std::string_view xml, std::string_view local, size_t from);
// The text of the next element named `local` at or after `from` (up to its
// end tag, any prefix); `from` moves past it. nullopt if there is none, or
// it has no end tag.
std::optional<std::string_view> next_element_text(std::string_view xml, std::string_view local,
                                                  size_t& from);
std::optional<std::string_view> element_text(std::string_view xml, std::string_view local,
                                             size_t from = 0);
// The five predefined entities and ASCII character references; anything else
// is kept as written.
std::string xml_unescape(std::string_view s);
// The namespace URI bound to `prefix` by an xmlns:prefix="..." anywhere in
// the document (WS-Discovery messages declare them all on the Envelope).
std::string_view namespace_of(std::string_view xml, std::string_view prefix);

// ---- JSON by key (json_scan.cpp) ------------------------------------------------------

// The string value of the first "key": "..." at or after `from` (exact,
// case-sensitive key). Escapes \" \\ \/ \b \f \n \r \t are decoded; \uXXXX
// becomes '?' unless it is ASCII. Values that are not strings are skipped.
std::optional<std::string> json_string(std::string_view json, std::string_view key,
                                       size_t from = 0);

}  // namespace egresswatch::discovery_detail
