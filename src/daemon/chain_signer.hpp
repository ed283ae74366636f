// Signed checkpoints (see include/egresswatch/signing.hpp): with
// --signing-key, the daemon signs the evidence chain heads at each flush
// interval when they moved, and once more when it stops; each checkpoint goes
// into the store (chain_signatures) and the JSON log (event_type "checkpoint").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/signing.hpp"
#include "json_log.hpp"

namespace egresswatch::daemon {

class ChainSigner {
public:
    // Reads the key and opens the store (made and migrated already). Throws
    // evidence::KeyError or StoreError.
    ChainSigner(const std::string& store_path, const std::string& key_path, JsonLog* json_log);
    // Signs the heads if they moved since the last checkpoint (or that one is
    // another key's). Failures are logged, never thrown: capture goes on.
    void checkpoint(int64_t now_us);
    const std::string& fingerprint() const { return key_.fingerprint(); }

private:
    evidence::SigningKey key_;
    std::string store_path_;
    sqlite::Connection connection_;
    JsonLog* json_log_;
    std::optional<evidence::ChainHeads> signed_;  // what this key signed last
    std::string last_error_;
};

}  // namespace egresswatch::daemon
