// Building a DeviceHint from untrusted bytes: cleaned text and evidence
// strings (see internal.hpp), and merging the hints of several messages.

#include <algorithm>

#include "egresswatch/common/utf8.hpp"
#include "internal.hpp"

namespace egresswatch {

namespace discovery_detail {

std::string clean_text(std::string_view in, size_t max) {
    size_t nul = in.find('\0');
    if (nul != std::string_view::npos) in = in.substr(0, nul);
    in = trim(in);
    std::string out;
    out.reserve(std::min(in.size(), max));
    size_t i = 0;
    while (i < in.size()) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            if (out.size() + 1 > max) break;
            out += c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
            ++i;
            continue;
        }
        size_t n = utf8::sequence_length(in, i);
        if (n == 0) {
            if (out.size() + 1 > max) break;
            out += '?';
            ++i;
            continue;
        }
        if (out.size() + n > max) break;
        out.append(in.substr(i, n));
        i += n;
    }
    return std::string(trim(out));
}

std::optional<std::string> clean_field(std::string_view raw, size_t max) {
    std::string s = clean_text(raw, max);
    if (s.empty()) return std::nullopt;
    return s;
}

void add_evidence(DeviceHint& hint, std::string_view key, std::string_view value) {
    if (hint.evidence.size() >= kMaxEvidence) return;
    std::string v = clean_text(value, kMaxEvidenceLength - std::min(kMaxEvidenceLength, key.size() + 1));
    if (v.empty()) return;
    std::string e;
    e.reserve(key.size() + 1 + v.size());
    e.append(key);
    e += ':';
    e += v;
    if (std::find(hint.evidence.begin(), hint.evidence.end(), e) == hint.evidence.end())
        hint.evidence.push_back(std::move(e));
}

void set_once(std::optional<std::string>& field, std::string_view value) {
    if (field) return;
    field = clean_field(value);
}

}  // namespace discovery_detail

void merge_hint(DeviceHint& into, const DeviceHint& from) {
    if (!into.hostname) into.hostname = from.hostname;
    if (!into.vendor) into.vendor = from.vendor;
    if (!into.model) into.model = from.model;
    for (const std::string& e : from.evidence) {
        if (into.evidence.size() >= kMaxEvidence) break;
        if (std::find(into.evidence.begin(), into.evidence.end(), e) == into.evidence.end())
            into.evidence.push_back(e);
    }
    classify_hint(into);
}

}  // namespace egresswatch
