#include "egresswatch/signing.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/common/time.hpp"

namespace egresswatch::evidence {
namespace {

constexpr const char* kErrorContext = "signed checkpoints: ";

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Reads a PEM key of `path` (private or public), which must be Ed25519.
Pkey read_key(const std::string& path, bool private_key) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (!file) throw KeyError("cannot read the key " + path + ": " + std::strerror(errno));
    EVP_PKEY* key = private_key ? PEM_read_PrivateKey(file, nullptr, nullptr, nullptr)
                                : PEM_read_PUBKEY(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    if (!key)
        throw KeyError(path + " is not a PEM " + (private_key ? "private" : "public") +
                       " key (make one with: openssl genpkey -algorithm ed25519" +
                       (private_key ? "" : ", then openssl pkey -pubout") + ")");
    Pkey owned(key);
    if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) throw KeyError(path + " is not an Ed25519 key");
    return owned;
}

std::string fingerprint_of(EVP_PKEY* key, const std::string& path) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != sizeof raw)
        throw KeyError("cannot read the public key of " + path);
    return sha256_hex(std::string_view(reinterpret_cast<const char*>(raw), size));
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        };
        int high = nibble(hex[i]), low = nibble(hex[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high << 4 | low);
    }
    return out;
}

struct MdCtx {
    MdCtx() : ctx(EVP_MD_CTX_new()) {}
    ~MdCtx() { EVP_MD_CTX_free(ctx); }
    EVP_MD_CTX* ctx;
};

Checkpoint checkpoint_of(sqlite::Statement& row) {
    Checkpoint c;
    c.id = row.integer(0);
    c.signed_us = row.integer(1);
    c.heads = {row.integer(2), row.text(3), row.integer(4), row.text(5)};
    c.key_fingerprint = row.text(6);
    c.signature = row.text(7);
    return c;
}

constexpr const char* kSelectCheckpoints =
    "SELECT id, signed_at, chain_seq, chain_hash, late_seq, late_hash, key_fingerprint, signature "
    "FROM chain_signatures ";

std::string checkpoint_label(const Checkpoint& c) {
    return "checkpoint " + std::to_string(c.id) + " (signed " + format_time(c.signed_us) + ")";
}

}  // namespace

ChainHeads chain_heads(sqlite3* db) {
    sqlite::exec(db, "BEGIN", kErrorContext);
    ChainHeads heads;
    try {
        std::tie(heads.chain_seq, heads.chain_hash) = chain_head(db);
        std::tie(heads.late_seq, heads.late_hash) = late_alert_chain_head(db);
    } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    sqlite::exec(db, "COMMIT", kErrorContext);
    return heads;
}

std::string checkpoint_text(const Checkpoint& c) {
    std::string out;
    auto line = [&](std::string_view name, const std::string& value) {
        out.append(name).append("\t").append(value).append("\n");
    };
    line("format", std::string(kCheckpointFormat));
    line("signed_at", std::to_string(c.signed_us));
    line("chain_seq", std::to_string(c.heads.chain_seq));
    line("chain_hash", c.heads.chain_hash);
    line("late_alert_seq", std::to_string(c.heads.late_seq));
    line("late_alert_hash", c.heads.late_hash);
    line("key_fingerprint", c.key_fingerprint);
    return out;
}

struct SigningKey::Key {
    Pkey pkey;
};

SigningKey::SigningKey(const std::string& path) : key_(std::make_unique<Key>(Key{read_key(path, true)})) {
    fingerprint_ = fingerprint_of(key_->pkey.get(), path);
}

SigningKey::~SigningKey() = default;

void SigningKey::sign(Checkpoint& c) const {
    c.key_fingerprint = fingerprint_;
    std::string text = checkpoint_text(c);
    MdCtx md;
    unsigned char signature[64];
    std::size_t size = sizeof signature;
    if (!md.ctx || EVP_DigestSignInit(md.ctx, nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
        EVP_DigestSign(md.ctx, signature, &size, reinterpret_cast<const unsigned char*>(text.data()), text.size()) !=
            1)
        throw KeyError("Ed25519 signing failed (libcrypto)");
    c.signature = to_hex(std::string_view(reinterpret_cast<const char*>(signature), size));
}

struct PublicKey::Key {
    Pkey pkey;
};

PublicKey::PublicKey(const std::string& path) : key_(std::make_unique<Key>(Key{read_key(path, false)})) {
    fingerprint_ = fingerprint_of(key_->pkey.get(), path);
}

PublicKey::~PublicKey() = default;

bool PublicKey::verify(const Checkpoint& c) const {
    auto signature = from_hex(c.signature);
    if (!signature) return false;
    std::string text = checkpoint_text(c);
    MdCtx md;
    return md.ctx && EVP_DigestVerifyInit(md.ctx, nullptr, nullptr, nullptr, key_->pkey.get()) == 1 &&
           EVP_DigestVerify(md.ctx, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                            reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
}

void store_checkpoint(sqlite3* db, Checkpoint& c) {
    sqlite::Statement insert(db,
                             "INSERT INTO chain_signatures (signed_at, chain_seq, chain_hash, late_seq, late_hash, "
                             "key_fingerprint, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                             sqlite::Statement::Lifetime::once, kErrorContext);
    c.id = insert.bind(1, c.signed_us).bind(2, c.heads.chain_seq).bind(3, c.heads.chain_hash)
               .bind(4, c.heads.late_seq).bind(5, c.heads.late_hash).bind(6, c.key_fingerprint)
               .bind(7, c.signature).run().value_or(0);
}

std::int64_t checkpoint_count(sqlite3* db) {
    sqlite::Statement count(db, "SELECT count(*) FROM chain_signatures", sqlite::Statement::Lifetime::once,
                            kErrorContext);
    return count.step() ? count.integer(0) : 0;
}

std::optional<Checkpoint> latest_checkpoint(sqlite3* db) {
    sqlite::Statement row(db, std::string(kSelectCheckpoints) + "ORDER BY id DESC LIMIT 1",
                          sqlite::Statement::Lifetime::once, kErrorContext);
    if (!row.step()) return std::nullopt;
    return checkpoint_of(row);
}

CheckpointReport verify_checkpoints(sqlite3* db, const PublicKey& key, std::size_t max_problems) {
    CheckpointReport report;
    auto problem = [&](std::string what) {
        ++report.problem_count;
        if (report.problems.size() < max_problems) report.problems.push_back(std::move(what));
    };
    sqlite::Statement chain_at(db, "SELECT chain_hash FROM evidence_chain WHERE seq = ?1",
                               sqlite::Statement::Lifetime::persistent, kErrorContext);
    sqlite::Statement late_at(db, "SELECT chain_hash FROM late_alert_chain WHERE seq = ?1",
                              sqlite::Statement::Lifetime::persistent, kErrorContext);
    // The hash a chain has at `seq` (the genesis hash at 0), if it has that entry.
    auto hash_at = [](sqlite::Statement& at, std::int64_t seq) -> std::optional<std::string> {
        if (seq == 0) return std::string(kGenesisHash);
        std::optional<std::string> hash;
        if (at.bind(1, seq).step()) hash = at.text(0);
        at.reset();
        return hash;
    };
    sqlite::Statement rows(db, std::string(kSelectCheckpoints) + "ORDER BY id", sqlite::Statement::Lifetime::once,
                           kErrorContext);
    std::int64_t expected_id = 1;
    while (rows.step()) {
        Checkpoint c = checkpoint_of(rows);
        ++report.checkpoints;
        std::string label = checkpoint_label(c);
        if (c.id != expected_id)
            problem("checkpoint " + std::to_string(expected_id) +
                    (c.id - 1 == expected_id ? " is" : " to " + std::to_string(c.id - 1) + " are") +
                    " missing: signed checkpoints were deleted");
        expected_id = c.id + 1;
        if (c.key_fingerprint != key.fingerprint()) {
            problem(label + " names another key (fingerprint " + c.key_fingerprint + "), not " + key.fingerprint());
            continue;
        }
        if (!key.verify(c)) {
            problem(label + ": bad signature: the checkpoint was edited or forged");
            continue;
        }
        if (hash_at(chain_at, c.heads.chain_seq) != c.heads.chain_hash) {
            problem(label + " signed evidence chain head seq " + std::to_string(c.heads.chain_seq) + " " +
                    c.heads.chain_hash + ", which is not in the chain: the chain was rewritten after it was signed");
            continue;
        }
        if (hash_at(late_at, c.heads.late_seq) != c.heads.late_hash) {
            problem(label + " signed late alert chain head seq " + std::to_string(c.heads.late_seq) + " " +
                    c.heads.late_hash + ", which is not in the chain: the chain was rewritten after it was signed");
            continue;
        }
        report.latest = std::move(c);
    }
    if (report.checkpoints == 0) problem("no signed checkpoint: the chain was never signed with this key");
    ChainHeads heads = chain_heads(db);
    report.chain_after = heads.chain_seq - (report.latest ? report.latest->heads.chain_seq : 0);
    report.late_after = heads.late_seq - (report.latest ? report.latest->heads.late_seq : 0);
    return report;
}

}  // namespace egresswatch::evidence
