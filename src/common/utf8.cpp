#include "egresswatch/common/utf8.hpp"

#include <algorithm>

namespace egresswatch::utf8 {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::size_t sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char lead = byte(i);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (s.size() - i < length) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return length;
}

bool is_valid(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::size_t control_length(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return 1;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9F)
        return 2;
    return 0;
}

std::string replace_controls(std::string_view s, std::string_view replacement) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        if (std::size_t n = control_length(s, i)) {
            out += replacement;
            i += n;
            continue;
        }
        std::size_t n = sequence_length(s, i);
        if (n == 0) {
            out += replacement;
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string clean_name(std::string_view in, std::size_t max) {
    std::size_t nul = in.find('\0');
    if (nul != std::string_view::npos) in = in.substr(0, nul);
    in = trim(in);
    std::string out;
    out.reserve(std::min(in.size(), max));
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t control = control_length(in, i);
        std::size_t n = control ? control : sequence_length(in, i);
        if (control || n == 0) {
            if (out.size() + 1 > max) break;
            out += in[i] == '\t' ? ' ' : '?';
            i += n ? n : 1;
            continue;
        }
        if (out.size() + n > max) break;
        out.append(in.substr(i, n));
        i += n;
    }
    return std::string(trim(out));
}

}  // namespace egresswatch::utf8
