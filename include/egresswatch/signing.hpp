// Signed checkpoints of the evidence chain.
//
// The chain (evidence.hpp) is unkeyed SHA-256: whoever can write the store can
// recompute it after an edit. egresswatchd therefore signs the chain heads
// from time to time with an Ed25519 key kept outside the store (made at
// install time, readable by the service user only): a checkpoint. Each is a
// chain_signatures row and a JSON log line. A checkpoint proves that the
// chain up to the heads it names was not changed after it was signed by
// anyone without the key; it proves nothing about entries after it, nor
// against someone who holds the key (root on the sensor).
//
// The signed text of a checkpoint ("name TAB value LF" lines, in this order):
//   format           egresswatch-checkpoint/1
//   signed_at        microseconds since the epoch, UTC
//   chain_seq        the evidence_chain head's seq (0: empty)
//   chain_hash       its chain hash (hex; 64 zeros when empty)
//   late_alert_seq   the same for late_alert_chain
//   late_alert_hash
//   key_fingerprint  hex SHA-256 of the raw 32-byte Ed25519 public key
// The signature is Ed25519 (RFC 8032, pure) over those bytes, stored as hex.
// Keys are PEM files, as `openssl genpkey -algorithm ed25519` and
// `openssl pkey -pubout` write them. OpenSSL's libcrypto does the work.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "egresswatch/evidence.hpp"

namespace egresswatch::evidence {

inline constexpr std::string_view kCheckpointFormat = "egresswatch-checkpoint/1";

struct ChainHeads {
    std::int64_t chain_seq = 0;
    std::string chain_hash{kGenesisHash};
    std::int64_t late_seq = 0;
    std::string late_hash{kGenesisHash};
    bool operator==(const ChainHeads&) const = default;
};

// Both heads, read in one transaction. Throws StoreError.
ChainHeads chain_heads(sqlite3* db);

struct Checkpoint {
    std::int64_t id = 0;  // its chain_signatures row (0 before it is stored)
    std::int64_t signed_us = 0;
    ChainHeads heads;
    std::string key_fingerprint;
    std::string signature;  // hex
};

// The text that is signed (above).
std::string checkpoint_text(const Checkpoint& checkpoint);

// A key could not be read or used; the message names the file.
struct KeyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An Ed25519 private key (PEM, PKCS#8) from a file.
class SigningKey {
public:
    explicit SigningKey(const std::string& path);  // throws KeyError
    ~SigningKey();
    SigningKey(const SigningKey&) = delete;
    SigningKey& operator=(const SigningKey&) = delete;
    const std::string& fingerprint() const { return fingerprint_; }
    // Fills in key_fingerprint and signature.
    void sign(Checkpoint& checkpoint) const;

private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::string fingerprint_;
};

// An Ed25519 public key (PEM, SubjectPublicKeyInfo) from a file.
class PublicKey {
public:
    explicit PublicKey(const std::string& path);  // throws KeyError
    ~PublicKey();
    PublicKey(const PublicKey&) = delete;
    PublicKey& operator=(const PublicKey&) = delete;
    const std::string& fingerprint() const { return fingerprint_; }
    // True if the signature is this key's over checkpoint_text(checkpoint).
    bool verify(const Checkpoint& checkpoint) const;

private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::string fingerprint_;
};

// Stores a signed checkpoint (sets its id). Throws StoreError.
void store_checkpoint(sqlite3* db, Checkpoint& checkpoint);
// How many checkpoints the store has.
std::int64_t checkpoint_count(sqlite3* db);
// The last checkpoint stored, if any.
std::optional<Checkpoint> latest_checkpoint(sqlite3* db);

struct CheckpointReport {
    std::int64_t checkpoints = 0;          // rows read
    std::optional<Checkpoint> latest;      // the last one that verified
    std::int64_t chain_after = 0;          // evidence_chain entries after the latest (unsigned)
    std::int64_t late_after = 0;           // late_alert_chain entries after it
    std::int64_t problem_count = 0;
    std::vector<std::string> problems;     // the first few
};

// Checks every checkpoint against `key` and the chains: a gap in the ids (a
// checkpoint was deleted), one signed by another key, a bad signature, and a
// head that is not in its chain (the chain was rewritten after signing). No
// checkpoint at all is a problem too: the key says one was expected.
CheckpointReport verify_checkpoints(sqlite3* db, const PublicKey& key, std::size_t max_problems = 20);

}  // namespace egresswatch::evidence
