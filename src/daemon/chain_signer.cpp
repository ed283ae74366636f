#include "chain_signer.hpp"

#include <iostream>

namespace egresswatch::daemon {

ChainSigner::ChainSigner(const std::string& store_path, const std::string& key_path, JsonLog* json_log)
    : key_(key_path),
      store_path_(store_path),
      connection_(store_path, sqlite::Connection::Mode::read_write),
      json_log_(json_log) {
    if (auto latest = evidence::latest_checkpoint(connection_.handle());
        latest && latest->key_fingerprint == key_.fingerprint())
        signed_ = latest->heads;
}

void ChainSigner::checkpoint(int64_t now_us) {
    try {
        evidence::Checkpoint c;
        c.heads = evidence::chain_heads(connection_.handle());
        if (signed_ && *signed_ == c.heads) return;
        c.signed_us = now_us;
        key_.sign(c);
        evidence::store_checkpoint(connection_.handle(), c);
        signed_ = c.heads;
        last_error_.clear();
        if (json_log_) json_log_->checkpoint(c);
    } catch (const std::exception& e) {
        if (last_error_ != e.what())
            std::cerr << "egresswatchd: store " << store_path_ << ": cannot sign the chain head, will retry: "
                      << e.what() << "\n";
        last_error_ = e.what();
    }
}

}  // namespace egresswatch::daemon
