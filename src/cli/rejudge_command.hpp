// `egresswatch rejudge`: the rules changed (a new watched network, a vendor
// cloud learned after the fact), and the stored flows of a period are judged
// again with them. Nothing sealed is rewritten: a flow that now breaks a rule
// gets a late alert, sealed in the late-alert chain, as the daemon's own
// re-judging after a device is identified late.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace egresswatch::cli {

struct RejudgeScope {
    std::string store_path;
    std::int64_t since_us = 0;               // flows that began at or after this
    std::optional<std::int64_t> until_us;    // and before this
    std::optional<std::string> device_ip;    // one device's flows
    std::string rules_dir;
};

// Judges the scope's closed flows that have no alert with the rules in
// scope.rules_dir and the store's home country; prints what it raised.
// Throws StoreError or RulesError.
void rejudge_store(const RejudgeScope& scope, std::ostream& out);

}  // namespace egresswatch::cli
