#include "egresswatch/store.hpp"

#include "egresswatch/rejudge.hpp"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "egresswatch/evidence.hpp"
#include "egresswatch/clock.hpp"
#include "egresswatch/common/json.hpp"
#include "egresswatch/flow_columns.hpp"
#include "egresswatch/schema.hpp"

namespace egresswatch {
namespace {

constexpr size_t kMaxBatch = 20000;
// Records waiting that wake the writer before its interval: it then writes
// while capture goes on instead of after (a burst of flows ending at once).
constexpr size_t kWakeAt = 2000;
// As the store grows, records waiting wake the writer only once there are
// more of them: a commit writes every page it dirtied to the WAL (and a
// checkpoint copies it on), and a flow's row dirties a page in each index at
// random, so with a few hundred thousand flows each commit of 2,000 records
// rewrote most of the indexes' pages. The threshold is one record for every
// kWakeGrowth committed in this run, from kWakeAt to kMaxWakeAt: a run of
// fewer than 32,000 records keeps kWakeAt.
constexpr size_t kWakeGrowth = 16;
constexpr size_t kMaxWakeAt = 16000;
constexpr size_t kMaxQueued = 100000;  // records waiting for the writer
constexpr auto kGiveUpOnClose = std::chrono::seconds(15);
// A new store's page size. SQLite's default is 4 KiB; a commit writes each
// dirty page to the WAL with a system call of its own, and every flow's row
// dirties a page in each of its indexes (random keys: device, country, AS).
// With 16 KiB the writer took 0.29 s against 0.31 s on a week of real
// traffic, 1.27 s against 1.55 s on 2M generated packets (README).
constexpr int kPageSize = 16384;
// WAL bytes after a commit that start a background checkpoint (SQLite's own
// default threshold: 1000 pages of 4 KiB), and the size at which the writer
// stops to checkpoint itself because the background one has fallen behind.
constexpr int64_t kCheckpointBytes = int64_t{1000} * 4096;
constexpr int64_t kCheckpointBackstopBytes = int64_t{20000} * 4096;

std::atomic<uint64_t> g_free_space_floor{0};

using sqlite::Statement;

// Runs `sql` on the store at `path`; StoreError("store <path>: <why>").
void exec(sqlite3* db, const char* sql, const std::string& path) { sqlite::exec(db, sql, "store " + path + ": "); }

}  // namespace

// Prepared once per connection, on first use, and finalised before it closes.
struct StoreWriter::Statements {
    std::unique_ptr<Statement> flow, new_flow, update_flow, flow_id, alert, no_alert, device, dns, capture_stats, meta;
    // An alerted flow's evidence packets (EvidencePacketsRecord).
    std::unique_ptr<Statement> packet_last_seq, packet_chain_head, packet_next_id, packet_insert, packet_append;
    // Seals final flow records; holds the chain head of the open transaction.
    std::unique_ptr<evidence::ChainWriter> chain;
    std::unique_ptr<StoredFlowJudge> judge;
};

// Copies the WAL back into the database file on a connection and thread of its
// own. SQLite's automatic checkpoint runs inside the commit that crosses the
// threshold, and took a third of the writer's time (seven indexes on flows);
// here it overlaps with the next batch. PASSIVE checkpoints never block the
// writer or readers; what the WAL holds is committed either way.
class StoreWriter::Checkpointer {
public:
    explicit Checkpointer(const std::string& path) : connection_(path, sqlite::Connection::Mode::read_write) {
        // A connection finds the store in WAL mode on its first read; until
        // then a checkpoint on it does nothing.
        sqlite3_exec(db_, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
        thread_ = std::thread([this] { run(); });
    }
    ~Checkpointer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
        // connection_ closes now: not the last connection, it leaves the WAL to the writer's close.
    }
    void request() {
        {
            std::lock_guard lock(mutex_);
            requested_ = true;
        }
        wake_.notify_one();
    }

private:
    void run() {
        pthread_setname_np(pthread_self(), "ew-checkpoint");
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return requested_ || stopping_; });
            if (stopping_) return;
            requested_ = false;
            lock.unlock();
            // Busy (another checkpoint, or a reader at the start of the WAL):
            // the next commit asks again.
            sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            lock.lock();
        }
    }

    sqlite::Connection connection_;
    sqlite3* db_ = connection_.handle();
    std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false, stopping_ = false;
    std::thread thread_;
};

// Replaces SQLite's automatic checkpoint (sqlite3_wal_autocheckpoint is a WAL
// hook too) on the writer's connection.
int StoreWriter::on_wal_commit(void* self, sqlite3* db, const char*, int frames) {
    auto* writer = static_cast<StoreWriter*>(self);
    int64_t bytes = int64_t{frames} * writer->page_size_;
    if (bytes < kCheckpointBytes) return SQLITE_OK;
    if (writer->checkpointer_ && bytes < kCheckpointBackstopBytes)
        writer->checkpointer_->request();
    else
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
}

void migrate_store(sqlite3* db, const std::string& path) {
    auto version = static_cast<int>(sqlite::user_version(db, path));
    sqlite::check_schema_version(version, schema::kVersion, path, sqlite::SchemaUse::migrate);
    for (int v = version; v < schema::kVersion; ++v) {
        exec(db, "BEGIN IMMEDIATE", path);
        try {
            exec(db, std::string(schema::kMigrations[v]).c_str(), path);
            exec(db, ("PRAGMA user_version = " + std::to_string(v + 1)).c_str(), path);
            exec(db, "COMMIT", path);
        } catch (...) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }
    // Flows retention deleted before its prunings were sealed (schema 9).
    if (std::int64_t n = evidence::seal_prunings_before_sealing(db, now_us()))
        std::cerr << "egresswatchd: store " << path << ": sealed the " << n
                  << " flows retention had deleted before its deletions were sealed (kind before_sealing)\n";
}

StoreWriter::StoreWriter(const std::string& path, int batch_interval_ms)
    : path_(path), batch_interval_ms_(batch_interval_ms), statements_(std::make_unique<Statements>()),
      wake_at_(kWakeAt) {
    // A whole batch's room, reserved, not touched: pages are faulted in as
    // records fill them. Grown by doubling from kWakeAt instead, the queue and
    // the batch swapped with it allocated 2, 4 and 8 times that, each copy
    // new memory to zero and move every record into (on a week of real
    // traffic the queue peaks at 8,000 to 13,000 records of 624 bytes).
    queue_.reserve(kMaxBatch);
    // No memory statistics: they take a global mutex on every SQLite
    // allocation. Only possible before SQLite initialises (else a no-op).
    static std::once_flag configured;
    std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
    connection_ = std::make_unique<sqlite::Connection>(path, sqlite::Connection::Mode::create);
    db_ = connection_->handle();
    {  // on a throw, connection_ closes the store
        // Only while the file is empty: an existing store keeps its page size.
        exec(db_, ("PRAGMA page_size = " + std::to_string(kPageSize)).c_str(), path);
        // WAL: readers never block the writer; NORMAL sync loses at most the
        // last transaction on power loss, never consistency.
        exec(db_, "PRAGMA journal_mode = WAL", path);
        exec(db_, "PRAGMA synchronous = NORMAL", path);
        // 64 MiB of page cache: the indexes take random keys (device, time),
        // and with SQLite's 2 MiB default every batch rewrites the same pages.
        exec(db_, "PRAGMA cache_size = -65536", path);
        // Statement journals in memory: on disk they cost a pwrite per row.
        exec(db_, "PRAGMA temp_store = MEMORY", path);
        exec(db_, "PRAGMA foreign_keys = ON", path);
        migrate_store(db_, path);
        page_size_ = sqlite::pragma_integer(db_, "page_size", path);
        last_earlier_flow_id_ =
            Statement(db_, "SELECT coalesce(max(id), 0) FROM flows", Statement::Lifetime::once).run().value_or(0);
        checkpointer_ = std::make_unique<Checkpointer>(path);
        sqlite3_wal_hook(db_, &StoreWriter::on_wal_commit, this);
    }
    thread_ = std::thread([this] { run(); });
}

StoreWriter::~StoreWriter() {
    close();
    statements_.reset();
    connection_.reset();
}

void StoreWriter::wait_for_room(std::unique_lock<std::mutex>& lock) {
    // Back-pressure while the writer keeps up but lags (a million flows ending
    // at once): waiting here bounds memory. A failing writer does not block
    // capture; its queue is bounded by the free-space floor and the caller.
    if (queue_.size() < kMaxQueued || failed_) return;
    wake_.notify_one();
    room_.wait(lock, [&] { return queue_.size() < kMaxQueued / 2 || failed_ || stopping_; });
}

// The writer wakes on its interval, or early once kWakeAt records wait:
// waking it for every record would cost a futex call per flow on both sides.
void StoreWriter::submit(StoreRecord record) {
    bool batch_ready;
    {
        std::unique_lock lock(mutex_);
        wait_for_room(lock);
        queue_.push_back(std::move(record));
        ++submitted_;
        batch_ready = queue_.size() >= wake_at_;  // no waiter (the writer busy): no system call
    }
    if (batch_ready) wake_.notify_one();
}

void StoreWriter::submit(std::vector<StoreRecord> records) { submit_all(records); }

// Passive DNS hands its observations as they are: not a vector of the (much
// larger) record variant built per answer.
void StoreWriter::submit(std::vector<DnsObservation> observations) { submit_all(observations); }

template <class Record>
void StoreWriter::submit_all(std::vector<Record>& records) {
    bool batch_ready;
    {
        std::unique_lock lock(mutex_);
        wait_for_room(lock);
        for (auto& r : records) queue_.push_back(std::move(r));
        submitted_ += records.size();
        batch_ready = queue_.size() >= wake_at_;
    }
    if (batch_ready) wake_.notify_one();
}

bool StoreWriter::flush() {
    std::unique_lock lock(mutex_);
    uint64_t target = submitted_;
    flush_requested_ = true;
    wake_.notify_one();
    drained_.wait(lock, [&] { return committed_ >= target || (failed_ && stopping_); });
    // Records dropped below the free-space floor count as committed, but were
    // not written: false for them too, as close() is.
    uint64_t dropped = records_dropped_seen_;
    bool none_dropped = dropped == dropped_at_last_flush_;
    dropped_at_last_flush_ = dropped;
    return committed_ >= target && none_dropped;
}

bool StoreWriter::close() {
    {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) return !failed_;
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();  // which closes the store
    std::lock_guard lock(mutex_);
    return committed_ == submitted_ && records_dropped_ == 0;
}

uint64_t StoreWriter::rows_written() const {
    std::lock_guard lock(mutex_);
    return rows_written_;
}

std::string StoreWriter::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

void StoreWriter::run() {
    pthread_setname_np(pthread_self(), "ew-store");  // for top -H, perf and gdb
    write_until_stopped();
    // The store is closed by this thread, which allocated the connection's
    // page cache: closing from another thread took twice as long (32 ms
    // against 16 ms, medians of 5, at the end of a week of real traffic).
    // The checkpointer's connection closes first, so that this close, the
    // last, checkpoints the WAL and removes it.
    checkpointer_.reset();
    if (gap_start_us_) record_gap(now_us());  // a gap still open ends with the run
    statements_.reset();
    connection_.reset();
    db_ = nullptr;
}

void StoreWriter::write_until_stopped() {
    std::vector<StoreRecord> batch;  // the queue's records, taken whole while they fit a batch
    batch.reserve(kMaxBatch);        // as the queue's: they are swapped
    auto retry_delay = std::chrono::milliseconds(100);
    std::optional<std::chrono::steady_clock::time_point> failing_since;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (batch.empty()) {
                wake_.wait_for(lock, std::chrono::milliseconds(batch_interval_ms_),
                               [&] { return stopping_ || flush_requested_ || queue_.size() >= wake_at_; });
                // Swapped, not moved record by record: moving them cost the
                // writer 5% and held the lock that submit() waits for.
                if (queue_.size() <= kMaxBatch) {
                    batch.swap(queue_);
                    flush_requested_ = false;  // all it asked for is in this batch
                } else {  // behind: the oldest kMaxBatch, in order
                    // A flush asked for stays asked for. Cleared here, it left
                    // the rest waiting out the interval (1 s) at a capture's end.
                    auto end = queue_.begin() + kMaxBatch;
                    batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
                    queue_.erase(queue_.begin(), end);
                }
                room_.notify_all();
                if (batch.empty() && stopping_) return;
            }
        }
        if (batch.empty()) continue;
        if (commit(batch)) {
            std::lock_guard lock(mutex_);
            committed_ += batch.size();
            wake_at_ = std::clamp<size_t>(committed_ / kWakeGrowth, kWakeAt, kMaxWakeAt);
            batch.clear();
            // Swapped into the queue next time: keep the memory of an
            // ordinary batch, not of a burst's.
            if (batch.capacity() > kMaxBatch) batch = {};
            if (batch.capacity() < kMaxBatch) batch.reserve(kMaxBatch);
            failed_ = false;
            failing_since.reset();
            retry_delay = std::chrono::milliseconds(100);
            drained_.notify_all();
            continue;
        }
        // Not committed: keep the batch and retry; nothing was half-written.
        auto now = std::chrono::steady_clock::now();
        if (!failing_since) failing_since = now;
        {
            std::lock_guard lock(mutex_);
            failed_ = true;
            if (stopping_ && now - *failing_since > kGiveUpOnClose) {
                std::cerr << "egresswatchd: giving up writing " << batch.size() + queue_.size()
                          << " records to " << path_ << ": " << last_error_ << "\n";
                drained_.notify_all();
                return;
            }
        }
        drained_.notify_all();
        std::this_thread::sleep_for(retry_delay);
        retry_delay = std::min(retry_delay * 2, std::chrono::milliseconds(5000));
    }
}

StoreWriter::Health StoreWriter::health() const {
    Health h;
    {
        std::lock_guard lock(mutex_);
        h.failing = failed_;
        if (failed_) h.error = last_error_;
    }
    h.in_gap = in_gap_;
    h.records_dropped = records_dropped_seen_;
    return h;
}

void StoreWriter::set_free_space_floor(uint64_t bytes) { g_free_space_floor = bytes; }

// Below the floor, the batch is dropped (memory must not fill up instead of
// the disk): true then. The gap is recorded when it starts and when it ends.
bool StoreWriter::below_free_space_floor(size_t batch_size) {
    uint64_t floor = g_free_space_floor;
    if (floor == 0 && !gap_start_us_) return false;
    std::string directory = std::filesystem::path(path_).parent_path().string();
    struct statvfs fs {};
    if (statvfs(directory.empty() ? "." : directory.c_str(), &fs) != 0) return false;  // unknown: try to write
    uint64_t free_bytes = uint64_t{fs.f_bavail} * fs.f_frsize;
    int64_t now = now_us();
    if (free_bytes >= floor) {
        if (gap_start_us_) {
            std::cerr << "egresswatchd: store " << path_ << ": " << (free_bytes >> 20) << " MB free again, writing resumed; "
                      << gap_records_ << " records of the last " << (now - *gap_start_us_) / 1'000'000
                      << " s were not stored (see table store_gaps)\n";
            record_gap(now);
            gap_start_us_.reset();
            in_gap_ = false;
            gap_row_.reset();
            gap_records_ = 0;
        }
        return false;
    }
    if (!gap_start_us_) {
        gap_start_us_ = now;
        in_gap_ = true;
        std::cerr << "egresswatchd: store " << path_ << ": only " << (free_bytes >> 20) << " MB free on its file system, "
                  << "below the floor of " << (floor >> 20) << " MB (--min-free-mb): not writing until space returns; "
                  << "the gap is recorded in table store_gaps\n";
    }
    gap_records_ += batch_size;
    records_dropped_ += batch_size;
    records_dropped_seen_ = records_dropped_;
    if (!gap_row_) record_gap(std::nullopt);
    return true;
}

// Writes the current gap's store_gaps row: inserted when it starts (end_us
// empty), updated when it ends.
void StoreWriter::record_gap(std::optional<int64_t> end_us) {
    try {
        if (!gap_row_) {
            Statement insert(db_, "INSERT INTO store_gaps (start_time, end_time, reason, records_lost) "
                                  "VALUES (?1, ?2, 'free space below the floor (--min-free-mb)', ?3) RETURNING id");
            gap_row_ = insert.bind(1, *gap_start_us_).bind(2, end_us).bind(3, static_cast<int64_t>(gap_records_)).run();
        } else {
            Statement update(db_, "UPDATE store_gaps SET end_time = ?1, records_lost = ?2 WHERE id = ?3");
            update.bind(1, end_us).bind(2, static_cast<int64_t>(gap_records_)).bind(3, *gap_row_).run();
        }
    } catch (const std::exception& e) {
        std::cerr << "egresswatchd: store " << path_ << ": cannot record the gap: " << e.what() << "\n";
    }
}

// What a batch's observations of one DNS answer (one dns_observation key)
// add to its row: a record's upsert, applied once per observation, widens the
// time span, counts it and keeps the last ttl, so the same upsert applied
// once with these totals leaves the same row.
struct StoreWriter::DnsAnswer {
    int64_t first_us, last_us, count;
    uint32_t ttl;
};

namespace {

// A batch's DNS observations merged by answer: the first of each carries its
// answer's totals (written where it was, so new rows keep their order), the
// others nothing. A busy resolver repeats its answers many times a batch, and
// each upsert rewrote the row and its time index entry.
class MergedDnsAnswers {
public:
    using DnsAnswer = StoreWriter::DnsAnswer;
    explicit MergedDnsAnswers(const std::vector<StoreRecord>& batch) : first_of_answer_(batch.size(), kNone) {
        std::unordered_map<Key, uint32_t, KeyHash> answer_at;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const auto* r = std::get_if<DnsObservation>(&batch[i]);
            if (!r) continue;
            Key key{r->client_ip, r->query, r->name, r->type, r->answer, r->resolver_ip, r->transport};
            auto [at, added] = answer_at.try_emplace(key, static_cast<uint32_t>(answers_.size()));
            if (added) {
                first_of_answer_[i] = at->second;
                answers_.push_back({r->time_us, r->time_us, 1, r->ttl});
                continue;
            }
            DnsAnswer& a = answers_[at->second];
            a.first_us = std::min(a.first_us, r->time_us);
            a.last_us = std::max(a.last_us, r->time_us);
            ++a.count;
            a.ttl = r->ttl;
        }
    }
    // The totals to write at batch record `i`, null where it was counted in an earlier one.
    const DnsAnswer* at(std::size_t i) const {
        return first_of_answer_[i] == kNone ? nullptr : &answers_[first_of_answer_[i]];
    }

private:
    // The columns of the store's UNIQUE index dns_observation (all NOT NULL).
    using Key = std::array<std::string_view, 7>;
    struct KeyHash {
        std::size_t operator()(const Key& key) const {
            std::size_t h = 0;
            for (std::string_view part : key) h = h * 31 + std::hash<std::string_view>{}(part);
            return h;
        }
    };
    static constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> first_of_answer_;  // per batch record
    std::vector<DnsAnswer> answers_;
};

}  // namespace

bool StoreWriter::commit(std::vector<StoreRecord>& batch) {
    if (below_free_space_floor(batch.size())) return true;
    try {
        exec(db_, "BEGIN IMMEDIATE", path_);
        try {
            // Retention seals its prunings in the chain from its own connection.
            if (statements_->chain) statements_->chain->reload_head();
            const MergedDnsAnswers dns_answers(batch);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                std::visit([&](const auto& r) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(r)>, DnsObservation>) {
                        if (const auto* answer = dns_answers.at(i)) write(r, *answer);
                    } else {
                        write(r);
                    }
                }, batch[i]);
            }
            exec(db_, "COMMIT", path_);
        } catch (...) {
            late_alerts_pending_.clear();
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            statements_->chain.reset();  // its head may be one that was rolled back
            throw;
        }
        std::lock_guard lock(mutex_);
        rows_written_ += batch.size();
        for (auto& r : late_alerts_pending_) late_alerts_.push_back(std::move(r));
        late_alerts_pending_.clear();
        return true;
    } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        if (last_error_ != e.what())
            std::cerr << "egresswatchd: store " << path_ << ": write failed, will retry: " << e.what() << "\n";
        last_error_ = e.what();
        return false;
    }
}

namespace {

using evidence::CanonicalValue;
using evidence::CanonicalValues;
using flow_columns::kColumns;
using flow_columns::kSealedOrder;
using FlowColumn = flow_columns::Column;
using flow_columns::Source;

// Every flows and alerts statement numbers its parameters by sealed
// position (?N is position N - 1), so that one binding of a record's values
// serves them all; the alert's flow_id comes after them.
constexpr int kAlertFlowIdParameter = static_cast<int>(evidence::kCanonicalColumnCount) + 1;

std::string parameter(const FlowColumn& c) { return "?" + std::to_string(c.sealed + 1); }

// The stored columns of `source` that `keep` accepts, in sealed order, each
// written by `part`.
template <class Keep, class Part>
std::string column_list(Source source, Keep keep, Part part, std::string_view separator = ", ") {
    std::string out;
    for (std::size_t i : kSealedOrder) {
        const FlowColumn& c = kColumns[i];
        if (c.source != source || !keep(c)) continue;
        if (!out.empty()) out += separator;
        out += part(c);
    }
    return out;
}
bool any(const FlowColumn&) { return true; }
std::string name(const FlowColumn& c) { return std::string(c.name); }
std::string from_excluded(const FlowColumn& c) { return name(c) + " = excluded." + name(c); }
std::string set_from_parameter(const FlowColumn& c) { return name(c) + " = " + parameter(c); }
bool rewritten(const FlowColumn& c) {
    return c.rewrite == flow_columns::Rewrite::always || c.rewrite == flow_columns::Rewrite::indexed;
}

// "INSERT INTO flows (flow_uid, first_seen, ...) VALUES (?1, ?2, ...)": a flow's first record.
std::string insert_flow_sql() {
    return "INSERT INTO flows (" + column_list(Source::flows, any, name) + ") VALUES (" +
           column_list(Source::flows, any, parameter) + ")";
}

// The same, or on a stored uid the columns later records rewrite.
std::string upsert_flow_sql() {
    auto identity = [](const FlowColumn& c) { return c.rewrite == flow_columns::Rewrite::identity; };
    return insert_flow_sql() + "\nON CONFLICT(" + column_list(Source::flows, identity, name) + ") DO UPDATE SET " +
           column_list(Source::flows, rewritten, from_excluded) + "\nRETURNING id";
}

// A later record of a flow whose indexed columns (Rewrite::indexed) are
// unchanged, the usual case: only the table row is rewritten, no index
// entry. No row back means they changed (or the first record was lost): the
// upsert then does it all.
std::string update_flow_sql() {
    auto always = [](const FlowColumn& c) { return c.rewrite == flow_columns::Rewrite::always; };
    auto key = [](const FlowColumn& c) {
        return c.rewrite == flow_columns::Rewrite::identity || c.rewrite == flow_columns::Rewrite::indexed;
    };
    auto unchanged = [](const FlowColumn& c) { return name(c) + (c.nullable ? " IS " : " = ") + parameter(c); };
    return "UPDATE flows SET " + column_list(Source::flows, always, set_from_parameter) + "\nWHERE " +
           column_list(Source::flows, key, unchanged, " AND ");
}

// The flow's alert, written whole.
std::string upsert_alert_sql() {
    return "INSERT INTO alerts (flow_id, " + column_list(Source::alerts, any, name) + ") VALUES (?" +
           std::to_string(kAlertFlowIdParameter) + ", " + column_list(Source::alerts, any, parameter) +
           ") ON CONFLICT(flow_id) DO UPDATE SET " + column_list(Source::alerts, any, from_excluded);
}

constexpr std::size_t kListColumnCount = [] {
    std::size_t n = 0;
    for (const auto& c : kColumns) n += c.sealed >= 0 && c.json == flow_columns::Json::list;
    return n;
}();

// A flow record's stored values, in sealed order (flow_columns.hpp): what is
// bound to the flows and alerts statements and, for a new final record, what
// is sealed. Not copyable: the values view the lists' JSON texts held here.
class StoredValues {
public:
    explicit StoredValues(const FlowRecord& r) {
        std::size_t lists = 0;
        for (std::size_t p = 0; p < values_.size(); ++p) {
            flow_columns::FieldValue v = kColumns[kSealedOrder[p]].get(r);
            using Type = flow_columns::FieldValue::Type;
            switch (v.type) {
            case Type::null: break;
            case Type::integer: values_[p] = {CanonicalValue::Type::integer, v.integer, {}}; break;
            case Type::text: values_[p] = {CanonicalValue::Type::text, 0, v.text}; break;
            case Type::list:
                list_texts_[lists] = json::string_array(*v.list);
                values_[p] = {CanonicalValue::Type::text, 0, list_texts_[lists++]};
                break;
            }
        }
    }
    StoredValues(const StoredValues&) = delete;
    StoredValues& operator=(const StoredValues&) = delete;

    const CanonicalValues& values() const { return values_; }

    // Binds the values of `source`'s columns to their parameters.
    Statement& bind(Statement& statement, Source source) const {
        for (std::size_t p = 0; p < values_.size(); ++p) {
            if (kColumns[kSealedOrder[p]].source != source) continue;
            const CanonicalValue& v = values_[p];
            int index = static_cast<int>(p + 1);
            switch (v.type) {
            case CanonicalValue::Type::null: statement.bind_null(index); break;
            case CanonicalValue::Type::integer: statement.bind(index, v.integer); break;
            case CanonicalValue::Type::text: statement.bind(index, v.text); break;
            }
        }
        return statement;
    }

private:
    CanonicalValues values_{};
    std::array<std::string, kListColumnCount> list_texts_;
};

}  // namespace

void StoreWriter::write(const FlowRecord& r) {
    static const std::string kNewFlowSql = insert_flow_sql();  // nothing to update, no alert to replace
    static const std::string kFlowSql = upsert_flow_sql();
    static const std::string kUpdateFlowSql = update_flow_sql();
    static const std::string kAlertSql = upsert_alert_sql();
    static const char* kNoAlertSql = "DELETE FROM alerts WHERE flow_id = ?1";
    auto& s = statements_;
    if (!s->flow) {
        s->flow = std::make_unique<Statement>(db_, kFlowSql.c_str());
        s->new_flow = std::make_unique<Statement>(db_, kNewFlowSql.c_str());
        s->update_flow = std::make_unique<Statement>(db_, kUpdateFlowSql.c_str());
        s->flow_id = std::make_unique<Statement>(db_, "SELECT id FROM flows WHERE flow_uid = ?1");
        s->alert = std::make_unique<Statement>(db_, kAlertSql.c_str());
        s->no_alert = std::make_unique<Statement>(db_, kNoAlertSql);
    }
    const StoredValues values(r);

    // The new row's id; on a clash with a stored uid (a record resubmitted
    // after a failed batch), the upsert below takes over.
    std::optional<int64_t> id;
    bool inserted = false;
    if (r.first_record) {
        try {
            values.bind(*s->new_flow, Source::flows).run();
            id = sqlite3_last_insert_rowid(db_);
            inserted = true;
        } catch (const StoreError&) {
            if (sqlite3_errcode(db_) != SQLITE_CONSTRAINT) throw;
        }
    } else {
        // Its id looked up by uid (an index seek), not with RETURNING: SQLite
        // answers that through a temporary table of its own, built for each row.
        values.bind(*s->update_flow, Source::flows).run();
        if (sqlite3_changes(db_) > 0) id = s->flow_id->bind(1, r.uid).run();
    }
    if (!id) id = values.bind(*s->flow, Source::flows).run();
    if (!id) throw StoreError("flow upsert returned no id");
    if (!r.severity.empty())
        values.bind(*s->alert, Source::alerts).bind(kAlertFlowIdParameter, *id).run();
    else if (!inserted)
        s->no_alert->bind(1, *id).run();
    if (r.closed) {
        // The row and its alert now hold exactly `values`.
        if (!s->chain) s->chain = std::make_unique<evidence::ChainWriter>(db_);
        std::string canonical_text = evidence::canonical_record(values.values());
        if (inserted) s->chain->seal_new(*id, canonical_text);
        else s->chain->seal(*id, canonical_text);
    }
}

void StoreWriter::write(const DeviceRecord& r) {
    static const char* kSql = R"SQL(
INSERT INTO devices (ip, mac, vendor, vendor_country, kind, identified_by, first_seen, last_seen,
                     hostname, label, site, box)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT(ip) DO UPDATE SET
    mac = coalesce(excluded.mac, mac),
    vendor = coalesce(excluded.vendor, vendor),
    vendor_country = coalesce(excluded.vendor_country, vendor_country),
    kind = CASE WHEN excluded.identified_by = '[]' THEN kind ELSE excluded.kind END,
    identified_by = CASE WHEN excluded.identified_by = '[]' THEN identified_by ELSE excluded.identified_by END,
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen),
    hostname = coalesce(excluded.hostname, hostname),
    label = coalesce(excluded.label, label),
    site = coalesce(excluded.site, site),
    box = excluded.box)SQL";
    auto& s = statements_->device;
    if (!s) s = std::make_unique<Statement>(db_, kSql);
    s->bind(1, r.ip).bind(2, r.mac).bind(3, r.vendor).bind(4, r.vendor_country).bind(5, r.kind)
        .bind(6, json::string_array(r.identified_by)).bind(7, r.first_us).bind(8, r.last_us)
        .bind(9, r.hostname).bind(10, r.label).bind(11, r.site).bind(12, r.box).run();
}

void StoreWriter::write(const DnsObservation& r, const DnsAnswer& answer) {
    // Deduplicated: the same answer again (to the same client, by the same
    // resolver) widens its row's time span and counts, instead of a new row,
    // so repeated or replayed responses cannot grow the store.
    static const char* kSql =
        "INSERT INTO dns (time, last_time, count, client_ip, resolver_ip, transport, query, name, type, answer, ttl) "
        "VALUES (?1, ?10, ?11, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (client_ip, query, name, type, answer, resolver_ip, transport) DO UPDATE SET "
        "time = min(time, excluded.time), last_time = max(coalesce(last_time, time), excluded.last_time), "
        "count = count + excluded.count, "
        "ttl = excluded.ttl";
    auto& s = statements_->dns;
    if (!s) s = std::make_unique<Statement>(db_, kSql);
    s->bind(1, answer.first_us).bind(2, r.client_ip).bind(3, r.resolver_ip).bind(4, r.transport)
        .bind(5, r.query).bind(6, r.name).bind(7, r.type).bind(8, r.answer)
        .bind(9, static_cast<int64_t>(answer.ttl)).bind(10, answer.last_us).bind(11, answer.count).run();
}

void StoreWriter::write(const CaptureStatsRecord& r) {
    static const char* kSql =
        "INSERT INTO capture_stats (source, start_time, end_time, packets, bytes, malformed, dropped, "
        "flows_evicted, dns_evicted, dns_dropped, devices_evicted, dhcp_hints_evicted, bad_timestamps, "
        "time_outliers, lane_dropped, evidence_packets_not_kept) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
    auto& s = statements_->capture_stats;
    if (!s) s = std::make_unique<Statement>(db_, kSql);
    s->bind(1, r.source).bind(2, r.start_us).bind(3, r.end_us).bind(4, static_cast<int64_t>(r.packets))
        .bind(5, static_cast<int64_t>(r.bytes)).bind(6, static_cast<int64_t>(r.malformed))
        .bind(7, static_cast<int64_t>(r.dropped)).bind(8, static_cast<int64_t>(r.flows_evicted))
        .bind(9, static_cast<int64_t>(r.dns_evicted)).bind(10, static_cast<int64_t>(r.dns_dropped))
        .bind(11, static_cast<int64_t>(r.devices_evicted)).bind(12, static_cast<int64_t>(r.dhcp_hints_evicted))
        .bind(13, static_cast<int64_t>(r.bad_timestamps)).bind(14, static_cast<int64_t>(r.time_outliers))
        .bind(15, static_cast<int64_t>(r.lane_dropped))
        .bind(16, static_cast<int64_t>(r.evidence_packets_not_kept)).run();
}

void StoreWriter::write(const RejudgeRequest& r) {
    if (!r.rules) return;
    auto& judge = statements_->judge;
    if (!judge) judge = std::make_unique<StoredFlowJudge>(db_, last_earlier_flow_id_);
    for (auto& alert : judge->rejudge(*r.rules, r)) {
        alert.late_alert = true;
        late_alerts_pending_.push_back(std::move(alert));
    }
}

// Each packet gets the next seq of its flow and is sealed in
// evidence_packet_chain (whose head is read here: alerts are few, and a
// rolled-back batch leaves nothing to forget).
void StoreWriter::write(const EvidencePacketsRecord& r) {
    auto& s = statements_;
    if (!s->packet_next_id) {
        s->packet_last_seq =
            std::make_unique<Statement>(db_, "SELECT coalesce(max(seq), 0) FROM evidence_packets WHERE flow_id = ?1");
        s->packet_chain_head = std::make_unique<Statement>(
            db_, "SELECT seq, chain_hash FROM evidence_packet_chain ORDER BY seq DESC LIMIT 1");
        // The id is one past any the chain has sealed: retention deletes packets
        // with their flow, and SQLite would give a deleted highest id to the next
        // row, which the chain already names. Found once per record, counted
        // on from there: asked for with each packet (with RETURNING, which
        // SQLite answers through a temporary table of its own), it was a
        // tenth of the writer's time on the generated capture.
        s->packet_next_id = std::make_unique<Statement>(
            db_, "SELECT 1 + max((SELECT coalesce(max(id), 0) FROM evidence_packets), "
                 "(SELECT coalesce(max(packet_id), 0) FROM evidence_packet_chain))");
        s->packet_insert = std::make_unique<Statement>(
            db_, "INSERT INTO evidence_packets (id, flow_id, flow_uid, seq, direction, ts, caplen, origlen, "
                 "linktype, data, sha256) VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        s->packet_append = std::make_unique<Statement>(
            db_, "INSERT INTO evidence_packet_chain (seq, packet_id, flow_id, record_hash, chain_hash) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)");
    }
    if (!s->flow_id) s->flow_id = std::make_unique<Statement>(db_, "SELECT id FROM flows WHERE flow_uid = ?1");
    std::optional<int64_t> flow_id = s->flow_id->bind(1, r.flow_uid).run();
    if (!flow_id) return;  // the flow's record was not stored (a gap)
    int64_t seq = s->packet_last_seq->bind(1, *flow_id).run().value_or(0);
    Statement& head = *s->packet_chain_head;
    int64_t chain_seq = 0;
    std::string chain(evidence::kGenesisHash);
    if (head.step()) chain_seq = head.integer(0), chain = head.text(1);
    head.reset();
    Statement& insert = *s->packet_insert;
    Statement& append = *s->packet_append;
    int64_t packet_id = s->packet_next_id->run().value_or(1);
    for (const HeldPacket& p : r.packets) {
        std::string_view bytes(reinterpret_cast<const char*>(p.data.data()), p.data.size());
        evidence::PacketFields f{r.flow_uid, ++seq, to_string(p.direction), p.ts_us,
                                 static_cast<int64_t>(p.data.size()), p.origlen, p.linktype, evidence::sha256_hex(bytes)};
        insert.bind(1, *flow_id).bind(2, f.flow_uid).bind(3, f.seq).bind(4, f.direction).bind(5, f.ts_us)
            .bind(6, f.caplen).bind(7, f.origlen).bind(8, f.linktype).bind(10, f.sha256);
        sqlite3_bind_blob(insert.handle(), 9, p.data.data(), static_cast<int>(p.data.size()), SQLITE_STATIC);
        insert.bind(11, packet_id).run();
        std::string record_hash = evidence::sha256_hex(evidence::packet_text(f));
        chain = evidence::chain_hash(chain, record_hash);
        append.bind(1, ++chain_seq).bind(2, packet_id).bind(3, *flow_id).bind(4, record_hash).bind(5, chain).run();
        ++packet_id;
    }
}

std::vector<FlowRecord> StoreWriter::take_late_alerts() {
    std::lock_guard lock(mutex_);
    return std::exchange(late_alerts_, {});
}

void StoreWriter::write(const MetaRecord& r) {
    static const char* kSql =
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
    auto& s = statements_->meta;
    if (!s) s = std::make_unique<Statement>(db_, kSql);
    s->bind(1, r.key).bind(2, r.value).run();
}

}  // namespace egresswatch
