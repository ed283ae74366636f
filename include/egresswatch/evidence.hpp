// Tamper evidence for the records a regulator relies on.
//
// Every final flow record (the flow row with state 'closed' and its alert, if
// any) is sealed once, when the writer commits it: record_hash is the SHA-256
// of the record's canonical text (below), and chain_hash = SHA-256 of the
// previous chain_hash (hex) followed by record_hash (hex), starting from 64
// zeros. Changing, removing or adding a sealed record then breaks the chain
// from that record on, unless every later hash is recomputed too; publishing
// the chain head (seq and hash, as the report does) pins that down as well.
//
// Canonical text of a record: for each column of kCanonicalColumns (built
// from flow_columns.hpp), in that order, "<column>\t<value>\n" where <value> is
//   null              SQL NULL
//   i:<decimal>       an integer
//   r:<%.17g>         a real
//   s:<bytes>:<text>  text, <bytes> its length in bytes (so any text is unambiguous)
//   x:<hex>           a blob
// Columns added to the record later (from kFirstOptionalColumn on) are left
// out of the text while NULL, so records sealed before they existed (and
// records that never had a value for them) hash as they always did.
// The hashes use OpenSSL's libcrypto (EVP), a well-kept, widely reviewed library.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/flow_columns.hpp"

namespace egresswatch::evidence {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct CanonicalColumn {
    std::string_view name;  // the name in the canonical text
    std::string_view sql;   // its expression over flows "f" and alerts "a"
};

// The columns of a sealed record, in canonical order: the sealed columns of
// flow_columns::kColumns by their sealed position.
inline constexpr std::size_t kCanonicalColumnCount = flow_columns::kSealedCount;
inline constexpr std::size_t kFirstOptionalColumn = flow_columns::kFirstOptionalSealed;
inline constexpr std::array<CanonicalColumn, kCanonicalColumnCount> kCanonicalColumns = [] {
    std::array<CanonicalColumn, kCanonicalColumnCount> columns{};
    for (std::size_t p = 0; p < kCanonicalColumnCount; ++p) {
        const auto& column = flow_columns::kColumns[flow_columns::kSealedOrder[p]];
        columns[p] = {column.name, column.sql};
    }
    return columns;
}();

// "f.flow_uid, f.first_seen, ..., a.reasons": the SELECT list of the canonical
// columns, for a query over "flows AS f LEFT JOIN alerts AS a ON a.flow_id =
// f.id AND a.late = 0" (a late alert is sealed on its own: see rejudge.hpp).
std::string canonical_select_list();

// One column's value, as SQLite stores it (the flows and alerts columns are
// never real or blob).
struct CanonicalValue {
    enum class Type { null, integer, text } type = Type::null;
    std::int64_t integer = 0;
    std::string_view text;
};
using CanonicalValues = std::array<CanonicalValue, kCanonicalColumnCount>;

// The canonical text of the row `stmt` is on, whose canonical columns start
// at `first_column`.
std::string canonical_record(sqlite3_stmt* stmt, int first_column);
// The canonical text of a record about to be stored, from the values bound to
// its columns (the same text canonical_record(stmt) gives once it is stored).
std::string canonical_record(const CanonicalValues& values);

// Lower-case hex of `bytes`.
std::string to_hex(std::string_view bytes);

// Hex SHA-256 of `data` (lower case). Throws std::runtime_error if libcrypto fails.
std::string sha256_hex(std::string_view data);

// SHA-256 over previous_chain_hash followed by record_hash, both as hex text.
std::string chain_hash(std::string_view previous_chain_hash, std::string_view record_hash);

// Appends sealed records to evidence_chain, inside the writer's transaction.
// It reads the chain head when it is made: after a rolled-back transaction,
// discard it and make a new one.
class ChainWriter {
public:
    explicit ChainWriter(sqlite3* db);  // throws StoreError
    ~ChainWriter();
    ChainWriter(const ChainWriter&) = delete;
    ChainWriter& operator=(const ChainWriter&) = delete;

    // Reads the chain head again: call at the start of each transaction, as
    // another connection (retention, sealing its prunings) may have appended.
    void reload_head();
    // Seals the flow row `flow_id` written in this transaction, whose
    // canonical text the caller made from the values it bound (the row holds
    // exactly those). A flow already sealed is left alone: its first final
    // record is the evidence, and verify reports any later change to it.
    void seal(std::int64_t flow_id, const std::string& canonical_text);
    // The same for a row inserted in this transaction (so never sealed).
    void seal_new(std::int64_t flow_id, const std::string& canonical_text);

private:
    sqlite::Statement is_sealed_, append_;
    sqlite3* db_;
    std::int64_t head_seq_ = 0;
    std::string head_hash_{kGenesisHash};
};

struct ChainProblem {
    std::optional<std::int64_t> seq;      // the chain entry, if the problem has one
    std::optional<std::int64_t> flow_id;  // the flow row concerned
    std::string flow_uid;                 // empty if the row is gone
    std::string what;                     // one line for people
};

struct ChainReport {
    std::int64_t records = 0;             // chain entries read (flows and prunings)
    std::int64_t head_seq = 0;            // the last entry (0 when the chain is empty)
    std::int64_t prunings = 0;            // chain entries that seal a pruning
    std::int64_t pruned = 0;              // sealed flows deleted by a sealed pruning of retention
    std::int64_t pruned_before_sealing = 0;  // deleted by retention before prunings were sealed
    std::int64_t packets = 0;             // sealed evidence packets present
    std::string head_hash{kGenesisHash};
    std::int64_t problem_count = 0;       // all problems found
    std::vector<ChainProblem> problems;   // the first few, in chain order
};

// Recomputes every record and chain hash from the rows and checks that every
// closed flow is sealed. Problems, first one first:
//   - a seq gap (an entry was removed),
//   - a sealed flow that is missing (its row was deleted) and not deleted by a
//     sealed pruning (see below): not in pruned_flows, or listed there by hand,
//     or ended after its pruning's cutoff, or with a late alert yet pruned as
//     a flow without one,
//   - a pruning whose row was edited or deleted, whose cutoff is not its days
//     before it ran, or whose pruned_flows rows are not the ones it sealed,
//   - a record hash that does not match the row (the flow or its alert was edited),
//   - a chain hash that does not follow from the one before (an entry was
//     edited or inserted),
//   - a closed flow with no chain entry (a row was inserted).
// Throws StoreError on a read error.
ChainReport verify_chain(sqlite3* db, std::size_t max_problems = 20);

// Retention's deletions are evidence too. Each transaction of retention that
// deletes sealed flows lists them in pruned_flows and seals one pruning: an
// evidence_prunings row, and a chain entry whose flow_id is minus its id and
// whose record_hash is the SHA-256 of pruning_text(). Its flows_hash is the
// SHA-256 of one line per pruned_flows row of the pruning, by flow_id:
//   "<flow_id>\t<the flow's record_hash>\t<last_seen, or null>\t<cutoff>\n".
// Kinds: flows (without an alert, --retention-days), alerted_flows
// (--alert-retention-days), and before_sealing: the pruned_flows rows of a
// store pruned before prunings were sealed, sealed as they were found when
// egresswatchd first opened it (verify counts them apart: their flows' times
// were not recorded, so their cutoffs cannot be checked).
inline constexpr std::string_view kPruneFlows = "flows";
inline constexpr std::string_view kPruneAlertedFlows = "alerted_flows";
inline constexpr std::string_view kPruneBeforeSealing = "before_sealing";
inline constexpr std::int64_t kDayUs = 86'400'000'000;

struct Pruning {
    std::string kind;
    std::int64_t pruned_us = 0;
    std::int64_t retention_days = 0;
    std::int64_t cutoff_us = 0;  // pruned_us - retention_days days (before_sealing: the latest row's)
    std::int64_t flows = 0;
    std::string flows_hash;
};
// "kind\ts:<n>:<kind>\npruned_at\ti:<us>\nretention_days\ti:<days>\ncutoff\ti:<us>\n
//  flows\ti:<n>\nflows_hash\ts:64:<hex>\n"
std::string pruning_text(const Pruning& pruning);

// Seals the pruned_flows rows not yet sealed (pruning_id NULL) whose flows are
// in the chain as one pruning of `kind`, inside the caller's transaction:
// the evidence_prunings row, its chain entry, and pruning_id on the rows.
// For before_sealing the cutoff is the rows' latest. Returns the flows sealed
// (0: nothing to seal, nothing written). Throws StoreError.
std::int64_t seal_pruning(sqlite3* db, std::string_view kind, std::int64_t pruned_us, std::int64_t retention_days,
                          std::int64_t cutoff_us);

// Seals what a store pruned before prunings were sealed (kind before_sealing),
// in a transaction of its own; egresswatchd's writer calls it on opening a store.
std::int64_t seal_prunings_before_sealing(sqlite3* db, std::int64_t now_us);

// A late alert (see rejudge.hpp), sealed in late_alert_chain: its canonical
// text is these fields, in this order, written as a record's columns are
// ("flow_uid", "flow_record_hash", "raised_at", "severity", "reasons", "cause").
struct LateAlertFields {
    std::string flow_uid;
    std::optional<std::string> flow_record_hash;  // the flow's own sealed record
    std::int64_t raised_us = 0;
    std::string severity, reasons, cause;
};
std::string late_alert_text(const LateAlertFields& fields);

// Checks late_alert_chain as verify_chain checks evidence_chain: a seq gap, a
// broken link, a late alert edited or deleted, one with no chain entry, and
// one whose flow_record_hash is not its flow's sealed record hash. Adds to `report`.
void verify_late_alerts(sqlite3* db, ChainReport& report, std::size_t max_problems = 20);

// An evidence packet (egresswatchd --evidence-packets), sealed in
// evidence_packet_chain: its canonical text is these fields, in this order,
// written as a record's columns are ("flow_uid", "seq", "direction", "ts",
// "caplen", "origlen", "linktype", "sha256"); sha256 is that of its bytes.
struct PacketFields {
    std::string flow_uid;
    std::int64_t seq = 0;
    std::string direction;
    std::int64_t ts_us = 0, caplen = 0, origlen = 0, linktype = 0;
    std::string sha256;
};
std::string packet_text(const PacketFields& fields);

// Checks evidence_packet_chain as verify_chain checks evidence_chain: a seq
// gap, a broken link, a packet whose bytes or fields were changed, one deleted
// (unless retention deleted its flow, recorded in pruned_flows), and one with
// no chain entry (inserted). Adds to `report` (report.packets: packets intact).
void verify_evidence_packets(sqlite3* db, ChainReport& report, std::size_t max_problems = 20);

// The chain head: the last entry's seq and chain hash (0 and kGenesisHash if empty).
std::pair<std::int64_t, std::string> chain_head(sqlite3* db);
// The same for late_alert_chain.
std::pair<std::int64_t, std::string> late_alert_chain_head(sqlite3* db);

}  // namespace egresswatch::evidence
