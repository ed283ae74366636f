// JSON read by key, enough for Dahua's DHIP discovery replies: the first
// string value of a key, without a JSON library (nesting is not checked).

#include "internal.hpp"

namespace egresswatch::discovery_detail {

std::optional<std::string> json_string(std::string_view json, std::string_view key,
                                       size_t from) {
    std::string needle = "\"";
    needle.append(key);
    needle += '"';
    for (size_t at = json.find(needle, from); at != std::string_view::npos;
         at = json.find(needle, at + 1)) {
        size_t p = at + needle.size();
        while (p < json.size() && is_blank(json[p])) ++p;
        if (p >= json.size() || json[p] != ':') continue;
        ++p;
        while (p < json.size() && is_blank(json[p])) ++p;
        if (p >= json.size() || json[p] != '"') continue;
        ++p;
        std::string out;
        bool closed = false;
        while (p < json.size() && out.size() < 2 * kMaxField) {
            char c = json[p];
            if (c == '"') {
                closed = true;
                break;
            }
            if (c != '\\') {
                out += c;
                ++p;
                continue;
            }
            if (p + 1 >= json.size()) break;
            char e = json[p + 1];
            p += 2;
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                unsigned v = 0;
                bool ok = json.size() - p >= 4;
                for (size_t k = 0; ok && k < 4; ++k) {
                    int d = hex_value(json[p + k]);
                    if (d < 0) ok = false;
                    else v = v << 4 | static_cast<unsigned>(d);
                }
                if (ok) p += 4;
                out += ok && v >= 0x20 && v < 0x7f ? static_cast<char>(v) : '?';
                break;
            }
            default: out += e; break;  // \" \\ \/ and anything else as itself
            }
        }
        if (!closed && out.size() < 2 * kMaxField) return std::nullopt;  // cut short
        return out;
    }
    return std::nullopt;
}

}  // namespace egresswatch::discovery_detail
