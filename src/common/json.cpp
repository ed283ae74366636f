#include "egresswatch/common/json.hpp"

#include "egresswatch/common/utf8.hpp"

namespace egresswatch::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    std::optional<std::vector<std::string>> string_array() {
        std::vector<std::string> items;
        skip_space();
        if (!take('[')) return std::nullopt;
        skip_space();
        if (!take(']')) {
            do {
                skip_space();
                auto item = string();
                if (!item) return std::nullopt;
                items.push_back(std::move(*item));
                skip_space();
            } while (take(','));
            if (!take(']')) return std::nullopt;
        }
        skip_space();
        if (pos_ != s_.size()) return std::nullopt;
        return items;
    }

private:
    bool take(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    std::optional<std::uint32_t> hex4() {
        if (pos_ + 4 > s_.size()) return std::nullopt;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            int digit;
            if (c >= '0' && c <= '9') digit = c - '0';
            else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
            else return std::nullopt;
            v = (v << 4) | static_cast<std::uint32_t>(digit);
        }
        return v;
    }

    std::optional<std::string> string() {
        if (!take('"')) return std::nullopt;
        std::string out;
        while (pos_ < s_.size()) {
            char c = s_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= s_.size()) return std::nullopt;
            switch (s_[pos_++]) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    auto cp = hex4();
                    if (!cp) return std::nullopt;
                    if (*cp >= 0xD800 && *cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
                        std::size_t save = pos_;
                        pos_ += 2;
                        auto low = hex4();
                        if (!low) return std::nullopt;
                        if (*low >= 0xDC00 && *low <= 0xDFFF)
                            cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
                        else
                            pos_ = save;  // not a pair: the high half stands alone
                    }
                    // A lone surrogate has no UTF-8 form.
                    append_utf8(out, (*cp >= 0xD800 && *cp <= 0xDFFF) ? 0xFFFD : *cp);
                    break;
                }
                default: return std::nullopt;
            }
        }
        return std::nullopt;  // unterminated
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace

void append_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out += "\\\""; ++i; continue;
            case '\\': out += "\\\\"; ++i; continue;
            case '\n': out += "\\n"; ++i; continue;
            case '\r': out += "\\r"; ++i; continue;
            case '\t': out += "\\t"; ++i; continue;
            default: break;
        }
        if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
            ++i;
            continue;
        }
        std::size_t length = utf8::sequence_length(s, i);
        if (length == 0) {
            out += utf8::kReplacement;
            ++i;
        } else {
            out.append(s.substr(i, length));
            i += length;
        }
    }
    out += '"';
}

void append_null(std::string& out) { out += "null"; }

void append_integer(std::string& out, std::int64_t value) { out += std::to_string(value); }

void append_string_array(std::string& out, const std::vector<std::string>& items) {
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        append_string(out, items[i]);
    }
    out += ']';
}

std::string string_array(const std::vector<std::string>& items) {
    std::string out;
    append_string_array(out, items);
    return out;
}

std::string quote(std::string_view text) {
    std::string out;
    append_string(out, text);
    return out;
}

void Writer::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (has_items_.empty()) return;
    bool first = !has_items_.back();
    has_items_.back() = true;
    if (style_ == Style::compact) {
        if (!first) out_ += ',';
        return;
    }
    out_ += first ? "\n" : ",\n";
    out_.append(2 * has_items_.size(), ' ');
}

Writer& Writer::open(char bracket) {
    before_value();
    out_ += bracket;
    has_items_.push_back(false);
    return *this;
}

Writer& Writer::close(char bracket) {
    bool had_items = has_items_.back();
    has_items_.pop_back();
    if (style_ == Style::compact) {
        out_ += bracket;
        return *this;
    }
    if (had_items) {
        out_ += '\n';
        out_.append(2 * has_items_.size(), ' ');
    }
    out_ += bracket;
    if (has_items_.empty()) out_ += '\n';
    return *this;
}

Writer& Writer::key(std::string_view name) {
    before_value();
    append_string(out_, name);
    out_ += style_ == Style::compact ? ":" : ": ";
    after_key_ = true;
    return *this;
}

Writer& Writer::value(std::string_view text) {
    before_value();
    append_string(out_, text);
    return *this;
}

Writer& Writer::value(std::int64_t n) {
    before_value();
    append_integer(out_, n);
    return *this;
}

Writer& Writer::value(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    return *this;
}

Writer& Writer::value(const std::optional<std::string>& text) { return text ? value(std::string_view(*text)) : null(); }

Writer& Writer::value(const std::optional<std::int64_t>& n) { return n ? value(*n) : null(); }

Writer& Writer::value(const std::vector<std::string>& items) {
    before_value();
    append_string_array(out_, items);
    return *this;
}

Writer& Writer::null() {
    before_value();
    append_null(out_);
    return *this;
}

Writer& Writer::raw(std::string_view json) {
    before_value();
    out_ += json;
    return *this;
}

std::optional<std::vector<std::string>> parse_string_array(std::string_view text) {
    return Parser(text).string_array();
}

}  // namespace egresswatch::json
