#include "text.hpp"

#include <egresswatch/common/utf8.hpp>

namespace egresswatch::cli::text {
namespace {
constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, const char* prefix, unsigned char b) {
    out += prefix;
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
}
}  // namespace

std::string terminal_safe(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t length = utf8::sequence_length(s, i);
        std::size_t control = utf8::control_length(s, i);
        if (length == 0 || control == 1) {  // not UTF-8, C0 control or DEL
            append_hex_byte(out, "\\x", c);
            ++i;
        } else if (control == 2) {
            // U+0080..U+009F: C1 controls such as CSI.
            append_hex_byte(out, "\\u00", static_cast<unsigned char>(s[i + 1]));
            i += 2;
        } else {
            out.append(s.substr(i, length));
            i += length;
        }
    }
    return out;
}

std::size_t display_width(std::string_view s) {
    std::size_t width = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
    return width;
}

std::string shortened(std::string_view s, std::size_t width) {
    if (width == 0 || display_width(s) <= width) return std::string(s);
    std::size_t kept = 0, end = 0;
    while (end < s.size() && kept < width - 1) {
        ++end;
        while (end < s.size() && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) ++end;
        ++kept;
    }
    return std::string(s.substr(0, end)) + "\xE2\x80\xA6";  // U+2026 …
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "; " : "") + items[i];
    return out;
}

}  // namespace egresswatch::cli::text
