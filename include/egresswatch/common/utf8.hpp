// UTF-8 for text that comes from the network (host names, vendors, domains):
// the one validator, and the cleaners that keep control characters and
// invalid bytes out of the store and out of what the tools print.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace egresswatch::utf8 {

// U+FFFD REPLACEMENT CHARACTER, in UTF-8.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence that starts at s[i] (1 to 4), or 0 if
// the bytes there are not valid UTF-8: a stray continuation byte, C0/C1 lead
// bytes (overlong forms), UTF-16 surrogates (U+D800..U+DFFF), code points
// above U+10FFFF and truncated sequences. Requires i < s.size().
std::size_t sequence_length(std::string_view s, std::size_t i);

bool is_valid(std::string_view s);

// A control character starts at s[i]: C0 (U+0000..U+001F), DEL (U+007F) or,
// as its UTF-8 form C2 80..C2 9F, C1 (U+0080..U+009F). Returns its length in
// bytes (1 or 2), 0 if there is none.
std::size_t control_length(std::string_view s, std::size_t i);

// `s` with every control character (C0, DEL, C1) and every byte that is not
// part of valid UTF-8 replaced by `replacement`, one per byte of the invalid
// sequence and one per control character.
std::string replace_controls(std::string_view s, std::string_view replacement = kReplacement);

// Untrusted bytes made into a name that is safe to store and print: ends at
// the first NUL, blanks trimmed, a tab becomes a space, every other control
// character (C0, DEL, C1) and every invalid UTF-8 byte becomes '?', at most
// `max` bytes (never cutting a UTF-8 sequence).
std::string clean_name(std::string_view in, std::size_t max);

}  // namespace egresswatch::utf8
