// The rules the monitor matches against, loaded from the plain-text files in
// rules/ (see rules/README.md for their format), and the decision they make
// about each flow: which reasons fire and how severe the result is.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "egresswatch/device_kind.hpp"
#include "egresswatch/net.hpp"

namespace egresswatch {

// A rules file that cannot be used; what() is "path:line: message".
class RulesError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class NetworkClass { chinese_owned, public_cloud };
enum class DomainClass { camera_cloud, iot_cloud, chinese_owned, public_cloud };

struct NetworkRule {
    NetworkClass network_class;
    std::string label;
};

struct DomainRule {
    std::string suffix;
    DomainClass domain_class;
    std::string label;
};

struct MacVendorRule {
    std::optional<uint32_t> oui;   // 24-bit prefix, or
    std::string org_substring;     // lower-case substring of the IEEE organisation
    DeviceKind kind;
    std::string label;
};

enum class Severity { none, low, medium, high };
const char* to_string(Severity severity);

// What is known about a flow when the rules look at it.
struct FlowFacts {
    DeviceKind device_kind = DeviceKind::other;
    bool remote_is_local = false;
    bool sent_data = false;     // the device sent at least one packet to the remote end
    std::string country;        // empty: unknown
    uint32_t asn = 0;
    std::string domain;         // empty: unknown
    std::vector<std::string> domain_aliases;  // CNAME targets the domain resolved through
    bool resolver_abroad = false;
};

struct Verdict {
    Severity severity = Severity::none;
    std::vector<std::string> reasons;
};

class Rules {
public:
    // Loads countries.txt, networks.txt, domains.txt and mac_vendors.txt from dir.
    // Throws RulesError naming file:line for the first bad line, or the missing file.
    static Rules load(const std::string& dir, const std::string& home_country);

    Verdict evaluate(const FlowFacts& facts) const;

    const DomainRule* match_domain(std::string_view name) const;
    const NetworkRule* match_network(uint32_t asn) const;
    bool is_watched_country(std::string_view country) const;
    // Kind implied by a MAC's vendor, if a rule names it.
    const MacVendorRule* match_mac_vendor(uint32_t oui, std::string_view organisation) const;

    const std::string& home_country() const { return home_country_; }
    const std::string& directory() const { return directory_; }
    size_t entry_count() const;

private:
    std::string directory_;
    std::string home_country_;
    std::map<std::string, std::string, std::less<>> countries_;  // CC -> name
    std::unordered_map<uint32_t, NetworkRule> networks_;
    std::unordered_map<std::string, DomainRule> domains_;        // suffix -> rule
    std::vector<MacVendorRule> mac_vendors_;
};

// The rules directory used when none is given: the installed one, or in a
// source build this checkout's rules/.
std::string default_rules_dir();

}  // namespace egresswatch
