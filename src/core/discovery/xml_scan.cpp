// XML read by string scanning, enough for WS-Discovery and SADP: no DTDs, no
// recursion; a start tag is found by its local name under any prefix.

#include "internal.hpp"

namespace egresswatch::discovery_detail {

namespace {

bool is_xml_name_char(char c) {
    return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

}  // namespace

std::string_view local_part(std::string_view qname) {
    size_t colon = qname.rfind(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::string_view prefix_part(std::string_view qname) {
    size_t colon = qname.rfind(':');
    return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

std::optional<StartTag> find_start_tag(std::string_view xml, std::string_view local, size_t from) {
    size_t i = from;
    while ((i = xml.find('<', i)) != std::string_view::npos) {
        size_t n = i + 1;
        size_t end = n;
        while (end < xml.size() && is_xml_name_char(xml[end])) ++end;
        std::string_view qname = xml.substr(n, end - n);
        if (qname.empty() || !iequals(local_part(qname), local)) {
            i = end > n ? end : n;
            continue;
        }
        if (end < xml.size() && !is_blank(xml[end]) && xml[end] != '>' && xml[end] != '/') {
            i = end;
            continue;
        }
        size_t gt = xml.find('>', end);
        if (gt == std::string_view::npos) return std::nullopt;
        return StartTag{i, gt + 1, xml[gt - 1] == '/', qname};
    }
    return std::nullopt;
}

std::optional<std::string_view> next_element_text(std::string_view xml, std::string_view local,
                                                  size_t& from) {
    auto tag = find_start_tag(xml, local, from);
    if (!tag) return std::nullopt;
    if (tag->self_closing) {
        from = tag->content;
        return std::string_view{};
    }
    size_t j = tag->content;
    while ((j = xml.find("</", j)) != std::string_view::npos) {
        size_t k = j + 2;
        size_t end = k;
        while (end < xml.size() && is_xml_name_char(xml[end])) ++end;
        if (iequals(local_part(xml.substr(k, end - k)), local)) {
            size_t gt = xml.find('>', end);
            from = gt == std::string_view::npos ? xml.size() : gt + 1;
            return xml.substr(tag->content, j - tag->content);
        }
        j = end > k ? end : k;
    }
    return std::nullopt;
}

std::optional<std::string_view> element_text(std::string_view xml, std::string_view local,
                                             size_t from) {
    return next_element_text(xml, local, from);
}

std::string xml_unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (s[i] != '&') {
            out += s[i++];
            continue;
        }
        size_t semi = s.find(';', i);
        if (semi == std::string_view::npos || semi - i > 8) {
            out += s[i++];
            continue;
        }
        std::string_view ent = s.substr(i + 1, semi - i - 1);
        char c = 0;
        if (ent == "amp") c = '&';
        else if (ent == "lt") c = '<';
        else if (ent == "gt") c = '>';
        else if (ent == "quot") c = '"';
        else if (ent == "apos") c = '\'';
        else if (ent.size() >= 2 && ent[0] == '#') {
            unsigned v = 0;
            bool hex = ent[1] == 'x' || ent[1] == 'X';
            bool ok = ent.size() > (hex ? 2u : 1u);
            for (size_t k = hex ? 2 : 1; ok && k < ent.size(); ++k) {
                char d = ent[k];
                unsigned digit = d >= '0' && d <= '9' ? unsigned(d - '0')
                                 : hex && lower(d) >= 'a' && lower(d) <= 'f' ? unsigned(lower(d) - 'a' + 10)
                                                                            : 99u;
                if (digit >= (hex ? 16u : 10u)) ok = false;
                else v = v * (hex ? 16 : 10) + digit;
                if (v > 0x7f) ok = false;
            }
            if (ok && v > 0) c = static_cast<char>(v);
        }
        if (c == 0) {
            out += s[i++];
            continue;
        }
        out += c;
        i = semi + 1;
    }
    return out;
}

std::string_view namespace_of(std::string_view xml, std::string_view prefix) {
    if (prefix.empty()) return {};
    std::string needle = "xmlns:";
    needle.append(prefix);
    for (size_t at = xml.find(needle); at != std::string_view::npos;
         at = xml.find(needle, at + 1)) {
        size_t p = at + needle.size();
        while (p < xml.size() && is_blank(xml[p])) ++p;
        if (p >= xml.size() || xml[p] != '=') continue;
        ++p;
        while (p < xml.size() && is_blank(xml[p])) ++p;
        if (p >= xml.size() || (xml[p] != '"' && xml[p] != '\'')) continue;
        char quote = xml[p];
        size_t close = xml.find(quote, p + 1);
        if (close == std::string_view::npos) return {};
        return xml.substr(p + 1, close - p - 1);
    }
    return {};
}

}  // namespace egresswatch::discovery_detail
