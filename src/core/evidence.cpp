#include "egresswatch/evidence.hpp"

#include "egresswatch/common/time.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

namespace egresswatch::evidence {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0xF];
    }
    return out;
}

constexpr const char* kErrorContext = "evidence chain: ";

// A statement run once; errors throw StoreError("evidence chain: ...").
struct Query : sqlite::Statement {
    Query(sqlite3* db, const std::string& sql)
        : sqlite::Statement(db, sql, Lifetime::once, kErrorContext), stmt(handle()) {}
    sqlite3_stmt* stmt;
};

std::string flow_label(std::int64_t flow_id, const std::string& uid) {
    return "flow " + std::to_string(flow_id) + (uid.empty() ? "" : " (" + uid + ")");
}

// "<name>\t<value>\n" lines, values written as evidence.hpp says: the
// canonical text of a flow record and of the evidence that is not a flow row
// (late alerts, prunings, evidence packets). Appended in place: building each
// line from temporary strings was a tenth of the writer's time on evidence
// packets.
class FieldText {
public:
    explicit FieldText(std::size_t reserve = 256) { out_.reserve(reserve); }
    void text(std::string_view name, std::string_view v) {
        start(name) += "s:";
        append_decimal(static_cast<std::int64_t>(v.size()));
        out_ += ':';
        out_ += v;
        out_ += '\n';
    }
    void integer(std::string_view name, std::int64_t v) {
        start(name) += "i:";
        append_decimal(v);
        out_ += '\n';
    }
    void null(std::string_view name) { start(name) += "null\n"; }
    void real(std::string_view name, double v) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "r:%.17g", v);
        start(name) += buf;
        out_ += '\n';
    }
    void blob(std::string_view name, const unsigned char* p, std::size_t size) {
        start(name) += "x:";
        out_ += to_hex(p, size);
        out_ += '\n';
    }
    std::string take() { return std::move(out_); }

private:
    std::string& start(std::string_view name) {
        out_ += name;
        out_ += '\t';
        return out_;
    }
    void append_decimal(std::int64_t v) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
        out_.append(digits, end);
    }
    std::string out_;
};

const EVP_MD* sha256_md() {
    // Fetched once: OpenSSL 3 looks the algorithm up again on every EVP_sha256() digest.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!sha256) throw std::runtime_error("SHA-256 failed (libcrypto)");
    return sha256;
}

// SHA-256 of data given piece by piece.
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_, sha256_md(), nullptr) != 1) fail();
    }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::string_view data) {
        if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) fail();
    }
    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        if (EVP_DigestFinal_ex(ctx_, digest, &size) != 1) fail();
        return to_hex(digest, size);
    }

private:
    [[noreturn]] void fail() {
        EVP_MD_CTX_free(ctx_);
        ctx_ = nullptr;
        throw std::runtime_error("SHA-256 failed (libcrypto)");
    }
    EVP_MD_CTX* ctx_;
};

// One pruned_flows row's line in its pruning's flows_hash (see evidence.hpp),
// from the columns flow_id, record_hash, last_seen, cutoff at `first`.
std::string pruned_flow_line(sqlite3_stmt* stmt, int first) {
    auto value = [&](int column) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, first + column));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, first + column)))
                 : std::string("null");
    };
    return value(0) + "\t" + value(1) + "\t" + value(2) + "\t" + value(3) + "\n";
}


}  // namespace

std::string canonical_select_list() {
    std::string out;
    for (const auto& column : kCanonicalColumns) {
        if (!out.empty()) out += ", ";
        out += column.sql;
    }
    return out;
}

namespace {

// The columns' lines in canonical order (see evidence.hpp).
class CanonicalText {
public:
    void add_null() {
        if (column_ < kFirstOptionalColumn) text_.null(name());
        ++column_;
    }
    void add_integer(std::int64_t v) { text_.integer(name(), v), ++column_; }
    void add_real(double v) { text_.real(name(), v), ++column_; }
    void add_blob(const unsigned char* p, std::size_t size) { text_.blob(name(), p, size), ++column_; }
    void add_text(std::string_view v) { text_.text(name(), v), ++column_; }
    std::string take() { return text_.take(); }

private:
    std::string_view name() const { return kCanonicalColumns[column_].name; }
    FieldText text_{1024};
    std::size_t column_ = 0;
};

}  // namespace

std::string canonical_record(sqlite3_stmt* stmt, int first_column) {
    CanonicalText text;
    for (int index = first_column; index < first_column + static_cast<int>(kCanonicalColumns.size()); ++index) {
        switch (sqlite3_column_type(stmt, index)) {
            case SQLITE_NULL: text.add_null(); break;
            case SQLITE_INTEGER: text.add_integer(sqlite3_column_int64(stmt, index)); break;
            case SQLITE_FLOAT: text.add_real(sqlite3_column_double(stmt, index)); break;
            case SQLITE_BLOB:
                text.add_blob(static_cast<const unsigned char*>(sqlite3_column_blob(stmt, index)),
                              static_cast<std::size_t>(sqlite3_column_bytes(stmt, index)));
                break;
            default: {
                const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
                text.add_text(std::string_view(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, index))));
            }
        }
    }
    return text.take();
}

std::string canonical_record(const CanonicalValues& values) {
    CanonicalText text;
    for (const auto& value : values) {
        switch (value.type) {
            case CanonicalValue::Type::null: text.add_null(); break;
            case CanonicalValue::Type::integer: text.add_integer(value.integer); break;
            case CanonicalValue::Type::text: text.add_text(value.text); break;
        }
    }
    return text.take();
}

std::string to_hex(std::string_view bytes) {
    return to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, sha256_md(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed (libcrypto)");
    return to_hex(digest, size);
}

std::string chain_hash(std::string_view previous_chain_hash, std::string_view record_hash) {
    std::string joined(previous_chain_hash);
    joined += record_hash;
    return sha256_hex(joined);
}

namespace {
std::pair<std::int64_t, std::string> head_of(sqlite3* db, const std::string& table) {
    Query head(db, "SELECT seq, chain_hash FROM " + table + " ORDER BY seq DESC LIMIT 1");
    if (!head.step()) return {0, std::string(kGenesisHash)};
    return {sqlite3_column_int64(head.stmt, 0), head.text(1)};
}
}  // namespace

std::pair<std::int64_t, std::string> chain_head(sqlite3* db) { return head_of(db, "evidence_chain"); }
std::pair<std::int64_t, std::string> late_alert_chain_head(sqlite3* db) { return head_of(db, "late_alert_chain"); }

ChainWriter::ChainWriter(sqlite3* db)
    : is_sealed_(db, "SELECT 1 FROM evidence_chain WHERE flow_id = ?1", sqlite::Statement::Lifetime::persistent,
                 kErrorContext),
      append_(db, "INSERT INTO evidence_chain (seq, flow_id, record_hash, chain_hash) VALUES (?1, ?2, ?3, ?4)",
              sqlite::Statement::Lifetime::persistent, kErrorContext),
      db_(db) {
    reload_head();
}

void ChainWriter::reload_head() { std::tie(head_seq_, head_hash_) = chain_head(db_); }

ChainWriter::~ChainWriter() = default;

void ChainWriter::seal(std::int64_t flow_id, const std::string& canonical_text) {
    bool sealed = is_sealed_.bind(1, flow_id).step();
    is_sealed_.reset();
    if (!sealed) seal_new(flow_id, canonical_text);
}

void ChainWriter::seal_new(std::int64_t flow_id, const std::string& canonical_text) {
    std::string record_hash = sha256_hex(canonical_text);
    std::string next_hash = chain_hash(head_hash_, record_hash);
    append_.bind(1, head_seq_ + 1).bind(2, flow_id).bind(3, record_hash).bind(4, next_hash).run();
    ++head_seq_;
    head_hash_ = std::move(next_hash);
}

std::string late_alert_text(const LateAlertFields& f) {
    FieldText out;
    out.text("flow_uid", f.flow_uid);
    if (f.flow_record_hash) out.text("flow_record_hash", *f.flow_record_hash);
    else out.null("flow_record_hash");
    out.integer("raised_at", f.raised_us);
    out.text("severity", f.severity);
    out.text("reasons", f.reasons);
    out.text("cause", f.cause);
    return out.take();
}

std::string pruning_text(const Pruning& p) {
    FieldText out;
    out.text("kind", p.kind);
    out.integer("pruned_at", p.pruned_us);
    out.integer("retention_days", p.retention_days);
    out.integer("cutoff", p.cutoff_us);
    out.integer("flows", p.flows);
    out.text("flows_hash", p.flows_hash);
    return out.take();
}

namespace {
// The pruned_flows rows of pruning ?1 (or, with ?1 NULL, those of none) in
// flows_hash order, each with its flow's record hash.
constexpr const char* kPrunedRows =
    "SELECT CAST(p.flow_id AS TEXT), c.record_hash, CAST(p.last_seen AS TEXT), CAST(p.cutoff AS TEXT), p.cutoff, "
    "p.pruning_id FROM pruned_flows AS p LEFT JOIN evidence_chain AS c ON c.flow_id = p.flow_id ";
}  // namespace

std::int64_t seal_pruning(sqlite3* db, std::string_view kind, std::int64_t pruned_us, std::int64_t retention_days,
                          std::int64_t cutoff_us) {
    Pruning pruning{std::string(kind), pruned_us, retention_days, cutoff_us, 0, {}};
    Sha256 flows_hash;
    Query rows(db, std::string(kPrunedRows) + "WHERE p.pruning_id IS NULL ORDER BY p.flow_id");
    std::int64_t latest_cutoff = std::numeric_limits<std::int64_t>::min();
    while (rows.step()) {
        flows_hash.update(pruned_flow_line(rows.stmt, 0));
        latest_cutoff = std::max(latest_cutoff, static_cast<std::int64_t>(sqlite3_column_int64(rows.stmt, 4)));
        ++pruning.flows;
    }
    if (pruning.flows == 0) return 0;
    pruning.flows_hash = flows_hash.hex();
    if (kind == kPruneBeforeSealing) pruning.cutoff_us = latest_cutoff;
    sqlite::Statement insert(db,
                             "INSERT INTO evidence_prunings (kind, pruned_at, retention_days, cutoff, flows, flows_hash) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                             sqlite::Statement::Lifetime::once, kErrorContext);
    auto id = insert.bind(1, pruning.kind).bind(2, pruning.pruned_us).bind(3, pruning.retention_days)
                  .bind(4, pruning.cutoff_us).bind(5, pruning.flows).bind(6, pruning.flows_hash).run();
    if (!id) throw StoreError(std::string(kErrorContext) + "no id for the new pruning");
    sqlite::Statement mark(db, "UPDATE pruned_flows SET pruning_id = ?1 WHERE pruning_id IS NULL",
                           sqlite::Statement::Lifetime::once, kErrorContext);
    mark.bind(1, *id).run();
    ChainWriter chain(db);
    chain.seal_new(-*id, pruning_text(pruning));
    return pruning.flows;
}

std::int64_t seal_prunings_before_sealing(sqlite3* db, std::int64_t now_us) {
    sqlite::exec(db, "BEGIN IMMEDIATE");
    try {
        std::int64_t n = seal_pruning(db, kPruneBeforeSealing, now_us, 0, 0);
        sqlite::exec(db, "COMMIT");
        return n;
    } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void verify_late_alerts(sqlite3* db, ChainReport& report, std::size_t max_problems) {
    auto problem = [&](ChainProblem p) {
        ++report.problem_count;
        if (report.problems.size() < max_problems) report.problems.push_back(std::move(p));
    };
    Query chain(db, "SELECT lc.seq, lc.flow_id, lc.record_hash, lc.chain_hash, l.flow_id IS NOT NULL, l.flow_uid, "
                    "l.flow_record_hash, l.raised_at, a.severity, a.reasons, l.cause, "
                    "c.record_hash IS NOT NULL, coalesce(c.record_hash = l.flow_record_hash, 0), "
                    "a.flow_id IS NULL AND p.pruning_id IS NOT NULL "
                    "FROM late_alert_chain AS lc LEFT JOIN late_alerts AS l ON l.flow_id = lc.flow_id "
                    "LEFT JOIN alerts AS a ON a.flow_id = lc.flow_id AND a.late = 1 "
                    "LEFT JOIN evidence_chain AS c ON c.flow_id = lc.flow_id "
                    "LEFT JOIN pruned_flows AS p ON p.flow_id = lc.flow_id ORDER BY lc.seq");
    std::int64_t expected_seq = 1;
    std::string previous_hash(kGenesisHash);
    while (chain.step()) {
        std::int64_t seq = sqlite3_column_int64(chain.stmt, 0);
        std::int64_t flow_id = sqlite3_column_int64(chain.stmt, 1);
        std::string stored_record_hash = chain.text(2), stored_chain_hash = chain.text(3);
        std::string uid = chain.text(5);
        std::string what = "late alert of " + flow_label(flow_id, uid);
        if (seq != expected_seq)
            problem({seq, flow_id, uid, "late alert chain: seq " + std::to_string(expected_seq) +
                                            " missing: entries were deleted (or renumbered)"});
        else if (chain_hash(previous_hash, stored_record_hash) != stored_chain_hash)
            problem({seq, flow_id, uid, "late alert chain link broken: an entry was edited or inserted"});
        if (sqlite3_column_int(chain.stmt, 4) == 0) {
            problem({seq, flow_id, "", what + " is missing: its row was deleted"});
        } else if (sqlite3_column_int(chain.stmt, 13) != 0) {
            // The flow and its alert were deleted by a pruning (verify_chain checks it).
        } else {
            LateAlertFields f{uid, std::nullopt, sqlite3_column_int64(chain.stmt, 7), chain.text(8), chain.text(9),
                              chain.text(10)};
            if (sqlite3_column_type(chain.stmt, 6) != SQLITE_NULL) f.flow_record_hash = chain.text(6);
            if (sha256_hex(late_alert_text(f)) != stored_record_hash)
                problem({seq, flow_id, uid, "record hash mismatch: " + what + " was changed after it was sealed"});
            else if (sqlite3_column_int(chain.stmt, 11) != 0 && sqlite3_column_int(chain.stmt, 12) == 0)
                problem({seq, flow_id, uid, what + " names another record than the flow's sealed one"});
        }
        expected_seq = seq + 1;
        previous_hash = std::move(stored_chain_hash);
    }
    Query unsealed(db, "SELECT a.flow_id, coalesce(l.flow_uid, '') FROM alerts AS a "
                       "LEFT JOIN late_alerts AS l ON l.flow_id = a.flow_id WHERE a.late = 1 AND NOT EXISTS "
                       "(SELECT 1 FROM late_alert_chain AS lc WHERE lc.flow_id = a.flow_id) ORDER BY a.flow_id");
    while (unsealed.step()) {
        std::int64_t flow_id = sqlite3_column_int64(unsealed.stmt, 0);
        problem({std::nullopt, flow_id, unsealed.text(1),
                 "late alert of " + flow_label(flow_id, unsealed.text(1)) + " is not in the late alert chain: "
                 "the row was inserted"});
    }
}

namespace {

// A pruning as sealed in the chain, read before the chain is walked (its entry
// follows those of the flows it deleted).
struct SealedPruning {
    Pruning pruning;
    std::int64_t seq = 0;
    bool row_present = false;
    bool text_matches = false;  // the row hashes to its chain entry's record hash
};

std::map<std::int64_t, SealedPruning> read_prunings(sqlite3* db) {
    std::map<std::int64_t, SealedPruning> prunings;
    Query rows(db, "SELECT -c.flow_id, c.seq, c.record_hash, ep.id IS NOT NULL, ep.kind, ep.pruned_at, "
                   "ep.retention_days, ep.cutoff, ep.flows, ep.flows_hash FROM evidence_chain AS c "
                   "LEFT JOIN evidence_prunings AS ep ON ep.id = -c.flow_id WHERE c.flow_id < 0");
    while (rows.step()) {
        SealedPruning& p = prunings[sqlite3_column_int64(rows.stmt, 0)];
        p.seq = sqlite3_column_int64(rows.stmt, 1);
        p.row_present = sqlite3_column_int(rows.stmt, 3) != 0;
        if (!p.row_present) continue;
        p.pruning = {rows.text(4), sqlite3_column_int64(rows.stmt, 5), sqlite3_column_int64(rows.stmt, 6),
                     sqlite3_column_int64(rows.stmt, 7), sqlite3_column_int64(rows.stmt, 8), rows.text(9)};
        p.text_matches = sha256_hex(pruning_text(p.pruning)) == rows.text(2);
    }
    return prunings;
}

std::string pruning_label(std::int64_t id, const Pruning& p) {
    return "pruning " + std::to_string(id) + " (" + p.kind + ", " + format_time(p.pruned_us) + ")";
}

}  // namespace

std::string packet_text(const PacketFields& f) {
    FieldText out;
    out.text("flow_uid", f.flow_uid);
    out.integer("seq", f.seq);
    out.text("direction", f.direction);
    out.integer("ts", f.ts_us);
    out.integer("caplen", f.caplen);
    out.integer("origlen", f.origlen);
    out.integer("linktype", f.linktype);
    out.text("sha256", f.sha256);
    return out.take();
}

void verify_evidence_packets(sqlite3* db, ChainReport& report, std::size_t max_problems) {
    auto problem = [&](ChainProblem p) {
        ++report.problem_count;
        if (report.problems.size() < max_problems) report.problems.push_back(std::move(p));
    };
    Query chain(db, "SELECT c.seq, c.packet_id, c.flow_id, c.record_hash, c.chain_hash, p.id IS NOT NULL, "
                    "p.flow_uid, p.seq, p.direction, p.ts, p.caplen, p.origlen, p.linktype, p.data, p.sha256, "
                    "p.flow_id, pf.flow_id IS NOT NULL "
                    "FROM evidence_packet_chain AS c LEFT JOIN evidence_packets AS p ON p.id = c.packet_id "
                    "LEFT JOIN pruned_flows AS pf ON pf.flow_id = c.flow_id ORDER BY c.seq");
    std::int64_t expected_seq = 1;
    std::string previous_hash(kGenesisHash);
    while (chain.step()) {
        std::int64_t seq = sqlite3_column_int64(chain.stmt, 0);
        std::int64_t packet_id = sqlite3_column_int64(chain.stmt, 1);
        std::int64_t flow_id = sqlite3_column_int64(chain.stmt, 2);
        std::string stored_record_hash = chain.text(3), stored_chain_hash = chain.text(4);
        std::string uid = chain.text(6);
        std::string what = "evidence packet " + std::to_string(packet_id) + " of " + flow_label(flow_id, uid);
        if (seq != expected_seq)
            problem({seq, flow_id, uid, "packet chain: seq " + std::to_string(expected_seq) +
                                            " missing: entries were deleted (or renumbered)"});
        else if (chain_hash(previous_hash, stored_record_hash) != stored_chain_hash)
            problem({seq, flow_id, uid, "packet chain link broken: an entry was edited or inserted"});
        if (sqlite3_column_int(chain.stmt, 5) == 0) {
            if (sqlite3_column_int(chain.stmt, 16) == 0)
                problem({seq, flow_id, "", what + " is missing: its row was deleted"});
        } else {
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(chain.stmt, 13));
            std::string_view data(bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(chain.stmt, 13)));
            PacketFields f{uid,
                           sqlite3_column_int64(chain.stmt, 7),
                           chain.text(8),
                           sqlite3_column_int64(chain.stmt, 9),
                           sqlite3_column_int64(chain.stmt, 10),
                           sqlite3_column_int64(chain.stmt, 11),
                           sqlite3_column_int64(chain.stmt, 12),
                           chain.text(14)};
            if (sha256_hex(data) != f.sha256 || f.caplen != static_cast<std::int64_t>(data.size()))
                problem({seq, flow_id, uid, "packet bytes altered: " + what + " no longer has the bytes it was sealed with"});
            else if (sha256_hex(packet_text(f)) != stored_record_hash || sqlite3_column_int64(chain.stmt, 15) != flow_id)
                problem({seq, flow_id, uid, "record hash mismatch: " + what + " was changed after it was sealed"});
            else
                ++report.packets;
        }
        expected_seq = seq + 1;
        previous_hash = std::move(stored_chain_hash);
    }
    Query unsealed(db, "SELECT p.id, p.flow_id, p.flow_uid FROM evidence_packets AS p WHERE NOT EXISTS "
                       "(SELECT 1 FROM evidence_packet_chain AS c WHERE c.packet_id = p.id) ORDER BY p.id");
    while (unsealed.step()) {
        std::int64_t flow_id = sqlite3_column_int64(unsealed.stmt, 1);
        problem({std::nullopt, flow_id, unsealed.text(2),
                 "evidence packet " + std::to_string(sqlite3_column_int64(unsealed.stmt, 0)) + " of " +
                     flow_label(flow_id, unsealed.text(2)) + " is not in the packet chain: the row was inserted"});
    }
}

ChainReport verify_chain(sqlite3* db, std::size_t max_problems) {
    ChainReport report;
    auto problem = [&](ChainProblem p) {
        ++report.problem_count;
        if (report.problems.size() < max_problems) report.problems.push_back(std::move(p));
    };
    const std::map<std::int64_t, SealedPruning> prunings = read_prunings(db);

    Query chain(db, "SELECT c.seq, c.flow_id, c.record_hash, c.chain_hash, f.id, "
                    "p.flow_id IS NOT NULL, " +
                        canonical_select_list() +
                        ", p.pruning_id, p.last_seen, "
                        "EXISTS (SELECT 1 FROM late_alerts AS l WHERE l.flow_id = c.flow_id)"
                        " FROM evidence_chain AS c"
                        " LEFT JOIN flows AS f ON f.id = c.flow_id"
                        " LEFT JOIN alerts AS a ON a.flow_id = f.id AND a.late = 0"
                        " LEFT JOIN pruned_flows AS p ON p.flow_id = c.flow_id"
                        " ORDER BY c.seq");
    constexpr int kCanonicalStart = 6;
    constexpr int kPruningId = kCanonicalStart + static_cast<int>(kCanonicalColumnCount);
    constexpr int kPrunedLastSeen = kPruningId + 1, kHasLateAlert = kPruningId + 2;
    std::int64_t expected_seq = 1;
    std::string previous_hash(kGenesisHash);
    while (chain.step()) {
        ++report.records;
        std::int64_t seq = sqlite3_column_int64(chain.stmt, 0);
        std::int64_t flow_id = sqlite3_column_int64(chain.stmt, 1);
        std::string stored_record_hash = chain.text(2);
        std::string stored_chain_hash = chain.text(3);
        bool flow_present = sqlite3_column_type(chain.stmt, 4) != SQLITE_NULL;
        std::string uid = flow_present ? chain.text(kCanonicalStart) : "";

        if (seq != expected_seq) {
            std::string missing = seq - 1 == expected_seq
                                      ? "seq " + std::to_string(expected_seq) + " is"
                                      : "seq " + std::to_string(expected_seq) + " to " +
                                            std::to_string(seq - 1) + " are";
            problem({seq, flow_id, uid,
                     missing + " missing: chain entries were deleted (or renumbered)"});
        } else if (chain_hash(previous_hash, stored_record_hash) != stored_chain_hash) {
            problem({seq, flow_id, uid,
                     "chain link broken: the chain hash does not follow from the entry before "
                     "(an entry was edited or inserted)"});
        }
        bool listed = sqlite3_column_int(chain.stmt, 5) != 0;
        if (flow_id < 0) {
            // A pruning's entry.
            ++report.prunings;
            std::int64_t id = -flow_id;
            const SealedPruning& sealed = prunings.at(id);
            const Pruning& p = sealed.pruning;
            if (!sealed.row_present)
                problem({seq, std::nullopt, "", "pruning " + std::to_string(id) + " is missing: its row was deleted"});
            else if (!sealed.text_matches)
                problem({seq, std::nullopt, "", pruning_label(id, p) + " was changed after it was sealed"});
            else if (p.kind != kPruneBeforeSealing && p.cutoff_us != p.pruned_us - p.retention_days * kDayUs)
                problem({seq, std::nullopt, "",
                         pruning_label(id, p) + ": its cutoff " + format_time(p.cutoff_us) + " is not " +
                             std::to_string(p.retention_days) + " days before it ran"});
        } else if (!flow_present && !listed) {
            problem({seq, flow_id, "",
                     flow_label(flow_id, "") + " is missing: the sealed row was deleted"});
        } else if (!flow_present && sqlite3_column_type(chain.stmt, kPruningId) == SQLITE_NULL) {
            problem({seq, flow_id, "",
                     flow_label(flow_id, "") + " is missing: it is listed in pruned_flows, but in no sealed "
                                               "pruning (the listing was added by hand)"});
        } else if (!flow_present) {
            std::int64_t id = sqlite3_column_int64(chain.stmt, kPruningId);
            auto sealed = prunings.find(id);
            bool has_last_seen = sqlite3_column_type(chain.stmt, kPrunedLastSeen) != SQLITE_NULL;
            std::int64_t last_seen = sqlite3_column_int64(chain.stmt, kPrunedLastSeen);
            std::string missing = flow_label(flow_id, "") + " is missing: ";
            if (sealed == prunings.end() || sealed->second.seq < seq) {
                problem({seq, flow_id, "", missing + "pruned_flows names pruning " + std::to_string(id) +
                                               ", which is not sealed in the chain after it"});
            } else if (!sealed->second.row_present || !sealed->second.text_matches) {
                // The pruning itself no longer verifies: reported at its own entry.
            } else if (sealed->second.pruning.kind == kPruneBeforeSealing) {
                ++report.pruned_before_sealing;
            } else if (const Pruning& p = sealed->second.pruning; !has_last_seen || last_seen >= p.cutoff_us) {
                problem({seq, flow_id, "",
                         missing + pruning_label(id, p) + " deleted it, but it ended " +
                             (has_last_seen ? format_time(last_seen) : std::string("at an unrecorded time")) +
                             ", not before the cutoff " + format_time(p.cutoff_us)});
            } else if (p.kind == kPruneFlows && sqlite3_column_int(chain.stmt, kHasLateAlert) != 0) {
                problem({seq, flow_id, "",
                         missing + pruning_label(id, p) + " deleted it as a flow without an alert, but it has "
                                                          "a late alert"});
            } else {
                ++report.pruned;  // deleted by the retention policy, in a sealed pruning
            }
        } else if (sha256_hex(canonical_record(chain.stmt, kCanonicalStart)) != stored_record_hash) {
            problem({seq, flow_id, uid,
                     "record hash mismatch: " + flow_label(flow_id, uid) +
                         " or its alert was changed after it was sealed"});
        }
        expected_seq = seq + 1;
        previous_hash = std::move(stored_chain_hash);
        report.head_seq = seq;
    }
    report.head_hash = previous_hash;

    // Each sealed pruning's pruned_flows rows are the ones it sealed.
    std::map<std::int64_t, std::pair<std::int64_t, std::string>> listed;  // pruning -> rows, flows_hash
    {
        Query rows(db, std::string(kPrunedRows) + "WHERE p.pruning_id IS NOT NULL "
                                                  "ORDER BY p.pruning_id, p.flow_id");
        std::optional<std::int64_t> current;
        std::optional<Sha256> hash;
        auto finish = [&] {
            if (current) listed[*current].second = hash->hex();
        };
        while (rows.step()) {
            std::int64_t id = sqlite3_column_int64(rows.stmt, 5);
            if (id != current) {
                finish();
                current = id;
                hash.emplace();
            }
            hash->update(pruned_flow_line(rows.stmt, 0));
            ++listed[id].first;
        }
        finish();
    }
    for (const auto& [id, sealed] : prunings) {
        if (!sealed.row_present || !sealed.text_matches) continue;  // reported above
        auto rows = listed.find(id);
        std::int64_t count = rows == listed.end() ? 0 : rows->second.first;
        if (count != sealed.pruning.flows)
            problem({sealed.seq, std::nullopt, "",
                     pruning_label(id, sealed.pruning) + " sealed " + std::to_string(sealed.pruning.flows) +
                         " pruned flows, but pruned_flows lists " + std::to_string(count) +
                         " for it: pruned_flows was edited"});
        else if (rows->second.second != sealed.pruning.flows_hash)
            problem({sealed.seq, std::nullopt, "",
                     pruning_label(id, sealed.pruning) + ": its pruned_flows rows were edited after it was sealed"});
    }
    for (const auto& [id, rows] : listed)
        if (!prunings.count(id))
            problem({std::nullopt, std::nullopt, "",
                     "pruned_flows lists " + std::to_string(rows.first) + " flows under pruning " +
                         std::to_string(id) + ", which is not in the chain"});

    Query unsealed(db,
                   "SELECT f.id, f.flow_uid FROM flows AS f WHERE f.state = 'closed' AND NOT EXISTS "
                   "(SELECT 1 FROM evidence_chain AS c WHERE c.flow_id = f.id) ORDER BY f.id");
    while (unsealed.step()) {
        std::int64_t flow_id = sqlite3_column_int64(unsealed.stmt, 0);
        std::string uid = unsealed.text(1);
        problem({std::nullopt, flow_id, uid,
                 "closed " + flow_label(flow_id, uid) +
                     " is not in the chain: the row was inserted (or edited to 'closed')"});
    }
    verify_late_alerts(db, report, max_problems);
    verify_evidence_packets(db, report, max_problems);
    return report;
}

}  // namespace egresswatch::evidence
