#include "egresswatch/evidence.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cstdio>
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

}  // namespace

const std::array<CanonicalColumn, kCanonicalColumnCount> kCanonicalColumns = {{
    {"flow_uid", "f.flow_uid"},         {"first_seen", "f.first_seen"},
    {"last_seen", "f.last_seen"},       {"vlan", "f.vlan"},
    {"inner_vlan", "f.inner_vlan"},     {"ip_version", "f.ip_version"},
    {"transport", "f.transport"},       {"ip_proto", "f.ip_proto"},
    {"device_ip", "f.device_ip"},       {"device_port", "f.device_port"},
    {"device_mac", "f.device_mac"},     {"remote_ip", "f.remote_ip"},
    {"remote_port", "f.remote_port"},   {"initiator", "f.initiator"},
    {"bytes_out", "f.bytes_out"},       {"bytes_in", "f.bytes_in"},
    {"packets_out", "f.packets_out"},   {"packets_in", "f.packets_in"},
    {"app_protocol", "f.app_protocol"}, {"app_category", "f.app_category"},
    {"domain", "f.domain"},             {"remote_local", "f.remote_local"},
    {"country", "f.country"},           {"asn", "f.asn"},
    {"as_org", "f.as_org"},             {"community_id", "f.community_id"},
    {"state", "f.state"},               {"severity", "a.severity"},
    {"reasons", "a.reasons"},
    // Optional columns (see kFirstOptionalColumn), schema 7: the 802.1Q ids
    // of the remote end's packets ("vlan" and "inner_vlan" are the device's).
    {"vlan_in", "f.vlan_in"},           {"inner_vlan_in", "f.inner_vlan_in"},
}};

std::string canonical_select_list() {
    std::string out;
    for (const auto& column : kCanonicalColumns) {
        if (!out.empty()) out += ", ";
        out += column.sql;
    }
    return out;
}

namespace {

// Appends "<column>\t<value>\n" lines in canonical order (see evidence.hpp).
class CanonicalText {
public:
    CanonicalText() { out_.reserve(1024); }
    void add_null() {
        if (column_ >= kFirstOptionalColumn) return skip();
        begin() += "null";
        end();
    }
    void add_integer(std::int64_t v) {
        char digits[24];
        auto [end_of_digits, ec] = std::to_chars(digits, digits + sizeof digits, v);
        begin() += "i:";
        out_.append(digits, end_of_digits);
        end();
    }
    void add_real(double v) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "r:%.17g", v);
        begin() += buf;
        end();
    }
    void add_blob(const unsigned char* p, std::size_t size) { begin() += "x:" + to_hex(p, size); end(); }
    void add_text(std::string_view v) {
        char digits[24];
        auto [end_of_digits, ec] = std::to_chars(digits, digits + sizeof digits, v.size());
        begin() += "s:";
        out_.append(digits, end_of_digits);
        out_ += ':';
        out_ += v;
        end();
    }
    std::string take() { return std::move(out_); }

private:
    std::string& begin() {
        out_ += kCanonicalColumns[column_].name;
        out_ += '\t';
        return out_;
    }
    void end() {
        out_ += '\n';
        ++column_;
    }
    void skip() { ++column_; }
    std::string out_;
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

std::string sha256_hex(std::string_view data) {
    // Fetched once: OpenSSL 3 looks the algorithm up again on every EVP_sha256() digest.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!sha256 || EVP_Digest(data.data(), data.size(), digest, &size, sha256, nullptr) != 1)
        throw std::runtime_error("SHA-256 failed (libcrypto)");
    return to_hex(digest, size);
}

std::string chain_hash(std::string_view previous_chain_hash, std::string_view record_hash) {
    std::string joined(previous_chain_hash);
    joined += record_hash;
    return sha256_hex(joined);
}

std::pair<std::int64_t, std::string> chain_head(sqlite3* db) {
    Query head(db, "SELECT seq, chain_hash FROM evidence_chain ORDER BY seq DESC LIMIT 1");
    if (!head.step()) return {0, std::string(kGenesisHash)};
    return {sqlite3_column_int64(head.stmt, 0), head.text(1)};
}

ChainWriter::ChainWriter(sqlite3* db)
    : is_sealed_(db, "SELECT 1 FROM evidence_chain WHERE flow_id = ?1", sqlite::Statement::Lifetime::persistent,
                 kErrorContext),
      append_(db, "INSERT INTO evidence_chain (seq, flow_id, record_hash, chain_hash) VALUES (?1, ?2, ?3, ?4)",
              sqlite::Statement::Lifetime::persistent, kErrorContext) {
    std::tie(head_seq_, head_hash_) = chain_head(db);
}

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
    auto field = [](std::string& out, std::string_view name, std::string_view value) {
        out.append(name).append("\t").append(value).append("\n");
    };
    auto text = [](std::string_view v) { return "s:" + std::to_string(v.size()) + ":" + std::string(v); };
    std::string out;
    field(out, "flow_uid", text(f.flow_uid));
    field(out, "flow_record_hash", f.flow_record_hash ? text(*f.flow_record_hash) : "null");
    field(out, "raised_at", "i:" + std::to_string(f.raised_us));
    field(out, "severity", text(f.severity));
    field(out, "reasons", text(f.reasons));
    field(out, "cause", text(f.cause));
    return out;
}

void verify_late_alerts(sqlite3* db, ChainReport& report, std::size_t max_problems) {
    auto problem = [&](ChainProblem p) {
        ++report.problem_count;
        if (report.problems.size() < max_problems) report.problems.push_back(std::move(p));
    };
    Query chain(db, "SELECT lc.seq, lc.flow_id, lc.record_hash, lc.chain_hash, l.flow_id IS NOT NULL, l.flow_uid, "
                    "l.flow_record_hash, l.raised_at, a.severity, a.reasons, l.cause, "
                    "c.record_hash IS NOT NULL, coalesce(c.record_hash = l.flow_record_hash, 0), "
                    "a.flow_id IS NULL AND p.flow_id IS NOT NULL "
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
            // The flow and its alert were deleted by retention (recorded in pruned_flows).
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

std::string packet_text(const PacketFields& f) {
    auto text = [](std::string_view v) { return "s:" + std::to_string(v.size()) + ":" + std::string(v); };
    auto integer = [](std::int64_t v) { return "i:" + std::to_string(v); };
    return "flow_uid\t" + text(f.flow_uid) + "\nseq\t" + integer(f.seq) + "\ndirection\t" + text(f.direction) +
           "\nts\t" + integer(f.ts_us) + "\ncaplen\t" + integer(f.caplen) + "\noriglen\t" + integer(f.origlen) +
           "\nlinktype\t" + integer(f.linktype) + "\nsha256\t" + text(f.sha256) + "\n";
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

    Query chain(db, "SELECT c.seq, c.flow_id, c.record_hash, c.chain_hash, f.id, "
                    "p.flow_id IS NOT NULL, " +
                        canonical_select_list() +
                        " FROM evidence_chain AS c"
                        " LEFT JOIN flows AS f ON f.id = c.flow_id"
                        " LEFT JOIN alerts AS a ON a.flow_id = f.id AND a.late = 0"
                        " LEFT JOIN pruned_flows AS p ON p.flow_id = c.flow_id"
                        " ORDER BY c.seq");
    constexpr int kCanonicalStart = 6;
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
        bool pruned = sqlite3_column_int(chain.stmt, 5) != 0;
        if (!flow_present && pruned) {
            ++report.pruned;  // deleted by the retention policy, and recorded as such
        } else if (!flow_present) {
            problem({seq, flow_id, "",
                     flow_label(flow_id, "") + " is missing: the sealed row was deleted"});
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
