#include "retention.hpp"

#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "egresswatch/clock.hpp"
#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/evidence.hpp"

namespace egresswatch::daemon {
namespace {

constexpr int kRowsPerTransaction = 2000;
constexpr auto kPruneEvery = std::chrono::hours(1);

// Devices on legal hold (egresswatch hold), as addresses: retention deletes
// none of their flows (with alerts and packets) or DNS answers.
constexpr const char* kHeldIps = R"SQL(
SELECT device FROM evidence_holds WHERE kind = 'ip'
UNION SELECT ip FROM devices WHERE lower(mac) IN (SELECT device FROM evidence_holds WHERE kind = 'mac'))SQL";
const std::string kOnHold = std::string("(f.device_ip IN (") + kHeldIps +
                            ") OR coalesce(lower(f.device_mac), '') IN (SELECT device FROM evidence_holds WHERE kind = 'mac'))";
// Old closed flows, with (?2 = 1) or without (?2 = 0) an alert, ended before ?1.
// Never the row with the highest id: SQLite gives a new row the highest id
// plus one, so deleting that row would give its id, still in the chain, to
// the next flow (the chain seals each flow id once).
const std::string kOldFlowsAll = R"SQL(
SELECT f.id FROM flows f
WHERE f.first_seen < ?1 AND f.last_seen < ?1 AND f.state = 'closed'
  AND EXISTS (SELECT 1 FROM alerts a WHERE a.flow_id = f.id) = ?2
  AND f.id < (SELECT max(id) FROM flows))SQL";
// ... of devices not on legal hold: those retention deletes.
const std::string kOldFlows = kOldFlowsAll + "\n  AND NOT " + kOnHold;
// A sealed flow's chain entry stays when the flow goes; pruned_flows lists
// the deletion (?2: when retention ran, ?1: its cutoff) and the transaction
// seals the list as a pruning in the chain, so that verify can tell policy
// from tampering.
constexpr const char* kRecordPruned = R"SQL(
INSERT INTO pruned_flows (flow_id, pruned_at, cutoff, last_seen)
SELECT f.id, ?2, ?1, f.last_seen FROM temp.prune_ids AS t JOIN flows AS f ON f.id = t.id
WHERE f.id IN (SELECT flow_id FROM evidence_chain))SQL";

using sqlite::exec;

// Runs `sql` with ?1 = cutoff (and ?2 = alerted, if it has one). Returns the
// first column of its last row, or, for a statement without rows, the rows changed.
int64_t run(sqlite3* db, const std::string& sql, int64_t cutoff, bool alerted = false) {
    sqlite::Statement statement(db, sql, sqlite::Statement::Lifetime::once);
    statement.bind(1, cutoff);
    if (sqlite3_bind_parameter_count(statement.handle()) >= 2) statement.bind(2, alerted ? 1 : 0);
    std::optional<int64_t> value = statement.run();
    return value ? *value : sqlite3_changes(db);
}

// Deletes `delete_batch` (which removes at most kRowsPerTransaction rows) in
// transactions until nothing is left or `stop` says so; returns the rows removed.
uint64_t in_batches(sqlite3* db, const std::function<int64_t()>& delete_batch, const std::function<bool()>& stop) {
    uint64_t removed = 0;
    while (!stop()) {
        exec(db, "BEGIN IMMEDIATE");
        int64_t n;
        try {
            n = delete_batch();
            exec(db, "COMMIT");
        } catch (...) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        removed += static_cast<uint64_t>(n);
        if (n < kRowsPerTransaction) break;
    }
    return removed;
}

uint64_t prune_flows(sqlite3* db, int64_t now_us, int days, bool alerted, const std::function<bool()>& stop) {
    const int64_t cutoff = now_us - days * evidence::kDayUs;
    const std::string select = kOldFlows + " LIMIT " + std::to_string(kRowsPerTransaction);
    return in_batches(db, [&] {
        run(db, "DELETE FROM temp.prune_ids", 0);
        int64_t n = run(db, "INSERT INTO temp.prune_ids " + select, cutoff, alerted);
        sqlite::Statement(db, kRecordPruned, sqlite::Statement::Lifetime::once).bind(1, cutoff).bind(2, now_us).run();
        evidence::seal_pruning(db, alerted ? evidence::kPruneAlertedFlows : evidence::kPruneFlows, now_us, days,
                               cutoff);
        run(db, "DELETE FROM alerts WHERE flow_id IN (SELECT id FROM temp.prune_ids)", 0);
        // Packets go with their flow; their chain entries stay, as the flow's do.
        run(db, "DELETE FROM evidence_packets WHERE flow_id IN (SELECT id FROM temp.prune_ids)", 0);
        run(db, "DELETE FROM flows WHERE id IN (SELECT id FROM temp.prune_ids)", 0);
        return n;
    }, stop);
}

}  // namespace

PruneCounts prune_store(sqlite3* db, const RetentionPolicy& policy, int64_t now_us,
                        const std::function<bool()>& stop) {
    exec(db, "CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)");
    // Rows of an older egresswatch's prunings first, so that they are not
    // sealed as this run's (the writer seals them when it opens the store).
    evidence::seal_prunings_before_sealing(db, now_us);
    PruneCounts counts;
    const std::string held_count = "SELECT count(*) FROM (" + kOldFlowsAll + "\n  AND " + kOnHold + ")";
    if (policy.flow_days > 0) {
        int64_t cutoff = now_us - policy.flow_days * evidence::kDayUs;
        counts.flows = prune_flows(db, now_us, policy.flow_days, false, stop);
        counts.held += static_cast<uint64_t>(run(db, held_count, cutoff, false));
        // A DNS row is one answer seen from `time` to `last_time`: it goes when its last sighting is old.
        const std::string delete_dns =
            "DELETE FROM dns WHERE id IN (SELECT id FROM dns WHERE time < ?1 AND coalesce(last_time, time) < ?1 "
            "AND client_ip NOT IN (" + std::string(kHeldIps) + ") LIMIT " + std::to_string(kRowsPerTransaction) + ")";
        counts.dns = in_batches(db, [&] { return run(db, delete_dns, cutoff); }, stop);
    }
    if (policy.alert_days > 0) {
        int64_t cutoff = now_us - policy.alert_days * evidence::kDayUs;
        counts.alerted_flows = prune_flows(db, now_us, policy.alert_days, true, stop);
        counts.held += static_cast<uint64_t>(run(db, held_count, cutoff, true));
    }
    return counts;
}

RetentionWorker::RetentionWorker(std::string store_path, RetentionPolicy policy)
    : store_path_(std::move(store_path)), policy_(policy), thread_([this] { run(); }) {}

RetentionWorker::~RetentionWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void RetentionWorker::run() {
    std::optional<sqlite::Connection> connection;
    try {
        connection.emplace(store_path_, sqlite::Connection::Mode::read_write);
    } catch (const StoreError& e) {
        std::cerr << "egresswatchd: retention: " << e.what() << "; nothing will be pruned\n";
        return;
    }
    sqlite3* db = connection->handle();
    auto stop = [this] {
        std::lock_guard lock(mutex_);
        return stopping_;
    };
    for (;;) {
        try {
            PruneCounts n = prune_store(db, policy_, now_us(), stop);
            if (n.flows || n.dns)
                std::cerr << "egresswatchd: retention: deleted " << n.flows << " flows without alerts and " << n.dns
                          << " DNS answers older than " << policy_.flow_days << " days\n";
            if (n.alerted_flows)
                std::cerr << "egresswatchd: retention: deleted " << n.alerted_flows << " flows with alerts older than "
                          << policy_.alert_days << " days\n";
            if (n.held)
                std::cerr << "egresswatchd: retention: kept " << n.held << " flows past the retention period: their "
                          << "devices are on legal hold (egresswatch hold)\n";
        } catch (const std::exception& e) {
            std::cerr << "egresswatchd: retention: " << store_path_ << ": " << e.what() << "; will try again\n";
        }
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, kPruneEvery, [this] { return stopping_; })) break;
    }
}

}  // namespace egresswatch::daemon
