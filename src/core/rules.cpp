#include "egresswatch/rules.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace egresswatch {

std::string default_rules_dir() {
    for (const char* dir : {EGRESSWATCH_RULES_INSTALL_DIR, EGRESSWATCH_SOURCE_RULES_DIR}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(std::filesystem::path(dir) / "countries.txt", ec)) return dir;
    }
    return EGRESSWATCH_RULES_INSTALL_DIR;
}

const char* to_string(Severity severity) {
    switch (severity) {
    case Severity::none: return "none";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    }
    return "none";
}

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// One rules file, read line by line with comments stripped and fields split.
class RulesFile {
public:
    explicit RulesFile(std::filesystem::path path) : path_(std::move(path)), in_(path_) {
        if (!in_) {
            // Without the error_code, a directory above that this user cannot
            // search throws a bare filesystem_error instead of this message.
            std::error_code ec;
            bool exists = std::filesystem::exists(path_, ec);
            if (ec)
                throw RulesError(path_.string() + ":1: cannot read rules file (permission denied: " +
                                 path_.parent_path().string() + " or a directory above it cannot be searched by "
                                 "this user); make it readable (chmod o+rx on the directories, or a checkout "
                                 "outside a private home such as /root), or pass --rules DIR");
            throw RulesError(path_.string() + ": cannot read rules file (" +
                             (exists ? "permission denied or unreadable" : "no such file") +
                             "); restore it from the egresswatch rules/ directory or pass --rules DIR");
        }
    }

    // Next non-empty line split into fields; false at end of file.
    bool next(std::vector<std::string>& fields) {
        std::string line;
        while (std::getline(in_, line)) {
            ++line_number_;
            if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
            std::istringstream words(line);
            fields.clear();
            for (std::string w; words >> w;) fields.push_back(w);
            if (!fields.empty()) return true;
        }
        return false;
    }

    [[noreturn]] void fail(const std::string& message) const {
        throw RulesError(path_.string() + ":" + std::to_string(line_number_) + ": " + message);
    }

    std::string rest(const std::vector<std::string>& fields, size_t from) const {
        std::string s;
        for (size_t i = from; i < fields.size(); ++i) s += (s.empty() ? "" : " ") + fields[i];
        return s;
    }

private:
    std::filesystem::path path_;
    std::ifstream in_;
    int line_number_ = 0;
};

bool is_country_code(std::string_view s) {
    return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
           std::isupper(static_cast<unsigned char>(s[1]));
}

bool is_domain_name(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos)
        return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
    });
}

std::optional<uint32_t> parse_oui(std::string_view text) {
    std::string hex;
    for (char c : text)
        if (c != ':' && c != '-') hex += c;
    if (hex.size() != 6) return std::nullopt;
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
    if (ec != std::errc() || end != hex.data() + hex.size()) return std::nullopt;
    return value;
}

}  // namespace

Rules Rules::load(const std::string& dir, const std::string& home_country) {
    namespace fs = std::filesystem;
    Rules rules;
    rules.directory_ = dir;
    rules.home_country_ = home_country;
    std::vector<std::string> f;

    RulesFile countries(fs::path(dir) / "countries.txt");
    while (countries.next(f)) {
        if (!is_country_code(f[0]))
            countries.fail("expected \"CC Name\" with an ISO 3166 alpha-2 code such as CN, got \"" + f[0] + "\"");
        rules.countries_[f[0]] = countries.rest(f, 1);
    }

    RulesFile networks(fs::path(dir) / "networks.txt");
    while (networks.next(f)) {
        uint32_t asn = 0;
        std::string_view number = f[0];
        bool ok = number.size() > 2 && number.substr(0, 2) == "AS";
        if (ok) {
            auto [end, ec] = std::from_chars(number.data() + 2, number.data() + number.size(), asn);
            ok = ec == std::errc() && end == number.data() + number.size() && asn != 0;
        }
        if (!ok || f.size() < 3)
            networks.fail("expected \"AS<number> chinese-owned|public-cloud Label\", got \"" + networks.rest(f, 0) + "\"");
        NetworkRule rule;
        if (f[1] == "chinese-owned") rule.network_class = NetworkClass::chinese_owned;
        else if (f[1] == "public-cloud") rule.network_class = NetworkClass::public_cloud;
        else networks.fail("unknown network class \"" + f[1] + "\" (use chinese-owned or public-cloud)");
        rule.label = networks.rest(f, 2);
        rules.networks_[asn] = std::move(rule);
    }

    RulesFile domains(fs::path(dir) / "domains.txt");
    while (domains.next(f)) {
        if (f.size() < 3 || !is_domain_name(f[0]))
            domains.fail("expected \"domain camera-cloud|iot-cloud|chinese-owned|public-cloud Label\", got \"" + domains.rest(f, 0) + "\"");
        DomainRule rule;
        rule.suffix = lower(f[0]);
        if (f[1] == "camera-cloud") rule.domain_class = DomainClass::camera_cloud;
        else if (f[1] == "iot-cloud") rule.domain_class = DomainClass::iot_cloud;
        else if (f[1] == "chinese-owned") rule.domain_class = DomainClass::chinese_owned;
        else if (f[1] == "public-cloud") rule.domain_class = DomainClass::public_cloud;
        else domains.fail("unknown domain class \"" + f[1] + "\" (use camera-cloud, iot-cloud, chinese-owned or public-cloud)");
        rule.label = domains.rest(f, 2);
        rules.domains_[rule.suffix] = std::move(rule);
    }

    RulesFile vendors(fs::path(dir) / "mac_vendors.txt");
    while (vendors.next(f)) {
        if (f.size() < 2)
            vendors.fail("expected \"<OUI like 44:19:B6 | ~organisation-substring> camera|nvr|iot [Label]\"");
        MacVendorRule rule;
        if (f[0].size() > 1 && f[0][0] == '~') {
            rule.org_substring = lower(f[0].substr(1));
        } else if (auto oui = parse_oui(f[0])) {
            rule.oui = *oui;
        } else {
            vendors.fail("bad MAC vendor matcher \"" + f[0] + "\" (an OUI like 44:19:B6, or ~Substring)");
        }
        auto kind = parse_device_kind(f[1]);
        if (!kind || *kind == DeviceKind::other)
            vendors.fail("unknown device kind \"" + f[1] + "\" (use camera, nvr or iot)");
        rule.kind = *kind;
        rule.label = vendors.rest(f, 2);
        rules.mac_vendors_.push_back(std::move(rule));
    }
    return rules;
}

size_t Rules::entry_count() const {
    return countries_.size() + networks_.size() + domains_.size() + mac_vendors_.size();
}

const DomainRule* Rules::match_domain(std::string_view name) const {
    std::string host = lower(name);
    if (!host.empty() && host.back() == '.') host.pop_back();
    // Try the name itself, then each parent on a label boundary.
    for (std::string_view candidate = host;;) {
        if (auto it = domains_.find(std::string(candidate)); it != domains_.end()) return &it->second;
        auto dot = candidate.find('.');
        if (dot == std::string_view::npos) return nullptr;
        candidate.remove_prefix(dot + 1);
    }
}

const NetworkRule* Rules::match_network(uint32_t asn) const {
    auto it = networks_.find(asn);
    return it == networks_.end() ? nullptr : &it->second;
}

bool Rules::is_watched_country(std::string_view country) const {
    return countries_.find(country) != countries_.end();
}

const MacVendorRule* Rules::match_mac_vendor(uint32_t oui, std::string_view organisation) const {
    std::string org = lower(organisation);
    for (const auto& rule : mac_vendors_)
        if (rule.oui ? *rule.oui == oui : (!org.empty() && org.find(rule.org_substring) != std::string::npos))
            return &rule;
    return nullptr;
}

Verdict Rules::evaluate(const FlowFacts& facts) const {
    Verdict verdict;
    if (facts.remote_is_local || !facts.sent_data) return verdict;

    bool watched_country = !facts.country.empty() && is_watched_country(facts.country);
    bool left_country = !facts.country.empty() && facts.country != home_country_;
    bool chinese_owned = false, public_cloud = false, camera_cloud = false;

    if (watched_country) verdict.reasons.push_back("country:" + facts.country);
    if (const NetworkRule* network = match_network(facts.asn)) {
        bool chinese = network->network_class == NetworkClass::chinese_owned;
        (chinese ? chinese_owned : public_cloud) = true;
        verdict.reasons.push_back("network:AS" + std::to_string(facts.asn) + " " + network->label +
                                  (chinese ? " (Chinese-owned cloud)" : " (public cloud)"));
    }
    // The name the device asked for first, then the names it resolved through.
    const DomainRule* domain = facts.domain.empty() ? nullptr : match_domain(facts.domain);
    for (size_t i = 0; !domain && !facts.domain.empty() && i < facts.domain_aliases.size(); ++i)
        domain = match_domain(facts.domain_aliases[i]);
    if (domain) {
        switch (domain->domain_class) {
        case DomainClass::camera_cloud:
        case DomainClass::iot_cloud: camera_cloud = true; break;  // a vendor cloud either way
        case DomainClass::chinese_owned: chinese_owned = true; break;
        case DomainClass::public_cloud: public_cloud = true; break;
        }
        // The class wording as for networks, so that reports count Chinese-owned
        // clouds by domain too.
        verdict.reasons.push_back("domain:" + domain->suffix + " (" + domain->label +
                                  (domain->domain_class == DomainClass::chinese_owned ? ", Chinese-owned cloud)" : ")"));
    }
    if (facts.resolver_abroad) verdict.reasons.push_back("resolver-abroad");
    if (left_country) verdict.reasons.push_back("left-country:" + facts.country);

    if (is_identified(facts.device_kind)) {
        if (watched_country || chinese_owned || camera_cloud) verdict.severity = Severity::high;
        else if (left_country || facts.resolver_abroad) verdict.severity = Severity::medium;
        else if (public_cloud) verdict.severity = Severity::low;
    } else if (watched_country || chinese_owned || camera_cloud) {
        verdict.severity = Severity::low;
    }
    if (verdict.severity == Severity::none) verdict.reasons.clear();
    return verdict;
}

}  // namespace egresswatch
