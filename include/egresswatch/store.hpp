// The evidence store: SQLite in WAL mode, written in batched transactions by
// its own thread so that capture never waits on the disk. A batch that cannot
// be committed (disk full, store locked) is rolled back whole and retried:
// SQLite's transactions keep what was committed before intact. A second
// thread, on its own connection, copies the WAL back into the database file
// (checkpoints), so that the writer does not stop for it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "egresswatch/common/sqlite.hpp"  // StoreError
#include "egresswatch/packet_hold.hpp"     // HeldPacket

namespace egresswatch {

struct FlowRecord {
    std::string uid;
    int64_t first_us = 0, last_us = 0;
    // 802.1Q ids of the device's packets, and of the remote end's (the first
    // packet each way; a mirror may tag one direction only).
    std::optional<int> vlan, inner_vlan, vlan_in, inner_vlan_in;
    int ip_version = 4;
    std::string transport;
    int ip_protocol = 0;
    std::string device_ip;
    std::optional<int> device_port;
    std::optional<std::string> device_mac;
    std::string remote_ip;
    std::optional<int> remote_port;
    bool device_initiated = true;
    uint64_t bytes_out = 0, bytes_in = 0, packets_out = 0, packets_in = 0;
    std::optional<std::string> app_protocol, app_category, domain;
    bool remote_local = false;
    std::optional<std::string> country;
    std::optional<uint32_t> asn;
    std::optional<std::string> as_org;
    std::optional<std::string> community_id;
    bool closed = false;
    // No earlier record of this flow was submitted: stored with a plain
    // INSERT (no existing row, alert or seal to look up).
    bool first_record = false;
    // Set when the rules flag the flow; an empty severity removes an earlier alert.
    std::string severity;
    std::vector<std::string> reasons;
    // A late alert of a flow already stored (see rejudge.hpp), not a record to store.
    bool late_alert = false;
};

struct DeviceRecord {
    std::string ip;
    std::optional<std::string> mac, vendor, vendor_country;
    std::string kind = "other";
    std::vector<std::string> identified_by;
    std::optional<std::string> hostname, label, site;
    std::optional<std::string> box;  // the MAC of the box the address belongs to
    int64_t first_us = 0, last_us = 0;
};

// Stored deduplicated: one row per client, resolver, transport, question
// and answer, with the first and last time seen and how often.
struct DnsObservation {
    int64_t time_us = 0;
    std::string client_ip, resolver_ip, transport, query, name, type, answer;
    uint32_t ttl = 0;
};

struct CaptureStatsRecord {
    std::string source;
    int64_t start_us = 0, end_us = 0;
    uint64_t packets = 0, bytes = 0, malformed = 0, dropped = 0, flows_evicted = 0;
    // What the bounds on packet-grown state turned away: running counts for
    // the sensor's run, like flows_evicted (README "Hostile traffic").
    uint64_t dns_evicted = 0, dns_dropped = 0, devices_evicted = 0, dhcp_hints_evicted = 0, bad_timestamps = 0,
             time_outliers = 0, lane_dropped = 0;
    uint64_t evidence_packets_not_kept = 0;  // over --evidence-memory-mb
};

// Packets of an alert's flow (stored after its flow record), each sealed in
// evidence_packet_chain.
struct EvidencePacketsRecord {
    std::string flow_uid;
    std::vector<HeldPacket> packets;
};

struct MetaRecord {
    std::string key, value;
};

class Rules;

// Judge stored flows again (see rejudge.hpp): those of one device, or of all.
struct RejudgeRequest {
    std::optional<std::string> device_ip;  // one device's flows, or every device's
    int64_t since_us = 0;                  // flows that began at or after this
    std::optional<int64_t> until_us;       // and before this
    std::string cause;                     // "re-judged:<evidence>", added to the reasons
    int64_t raised_us = 0;                 // when (packet time in the sensor, wall clock by hand)
    std::shared_ptr<const Rules> rules;
    // Only the flows stored before the writer opened the store: the sensor
    // judged this run's with the device's kind at the time, so a new kind
    // cannot change their verdicts (device_identity.cpp).
    bool earlier_runs_only = false;
};

using StoreRecord =
    std::variant<FlowRecord, DeviceRecord, DnsObservation, CaptureStatsRecord, MetaRecord, RejudgeRequest,
                 EvidencePacketsRecord>;

// Creates the schema or migrates an older store; refuses a newer one.
void migrate_store(sqlite3* db, const std::string& path);

class StoreWriter {
public:
    // Opens (creating if needed) and migrates the store; throws StoreError.
    explicit StoreWriter(const std::string& path, int batch_interval_ms = 1000);
    ~StoreWriter();  // drains the queue
    StoreWriter(const StoreWriter&) = delete;
    StoreWriter& operator=(const StoreWriter&) = delete;

    void submit(StoreRecord record);
    void submit(std::vector<StoreRecord> records);
    void submit(std::vector<DnsObservation> observations);
    // Blocks until everything submitted so far is committed, or the writer gives up.
    // Returns false if records could not be written: the writer gave up (the
    // error is in last_error()), or records were dropped below the free-space
    // floor since the last flush() (see health()).
    bool flush();
    // Drains and stops the writer thread, which closes the store.
    bool close();

    uint64_t rows_written() const;
    std::string last_error() const;
    // What the daemon tells the people on duty about the store (sensor health).
    struct Health {
        bool failing = false;          // the last commit failed (locked, I/O error): being retried
        std::string error;             // why, while failing
        bool in_gap = false;           // below the free-space floor: batches are dropped
        uint64_t records_dropped = 0;  // in all gaps so far
    };
    Health health() const;
    // Late alerts raised by RejudgeRequests committed since the last call.
    std::vector<FlowRecord> take_late_alerts();

    // The free-space floor, for every writer in the process (0, the default,
    // turns it off): while the store's file system has less free space than
    // this, batches are dropped instead of written, and one store_gaps row
    // records when and how many. Leaves room for SQLite and the rest of the system.
    static void set_free_space_floor(uint64_t bytes);

    // A batch's observations of one DNS answer, written as one (store.cpp).
    struct DnsAnswer;

private:
    void run();
    void write_until_stopped();
    void wait_for_room(std::unique_lock<std::mutex>& lock);
    bool commit(std::vector<StoreRecord>& batch);
    bool below_free_space_floor(size_t batch_size);
    void record_gap(std::optional<int64_t> end_us);
    void write(const FlowRecord& r);
    void write(const DeviceRecord& r);
    void write(const DnsObservation& r, const DnsAnswer& answer);
    void write(const CaptureStatsRecord& r);
    void write(const MetaRecord& r);
    void write(const RejudgeRequest& r);
    void write(const EvidencePacketsRecord& r);

    struct Statements;
    class Checkpointer;
    static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
    std::string path_;
    std::unique_ptr<sqlite::Connection> connection_;
    sqlite3* db_ = nullptr;  // connection_'s
    int batch_interval_ms_;
    int64_t page_size_ = 4096;  // the store's, read once open (WAL frames to bytes)
    int64_t last_earlier_flow_id_ = 0;  // the last flow stored before this writer opened the store
    std::unique_ptr<Statements> statements_;
    mutable std::mutex mutex_;
    std::condition_variable wake_, drained_, room_;
    // A vector, not a deque: a record is larger than a deque's 512-byte node,
    // so a deque allocated and freed one node per record, across threads
    // (a tenth of the process's time on real traffic). The writer swaps
    // its emptied batch back in, so submitting reuses that memory.
    std::vector<StoreRecord> queue_;
    template <class Record>
    void submit_all(std::vector<Record>& records);
    bool stopping_ = false;
    bool flush_requested_ = false;
    bool failed_ = false;
    uint64_t submitted_ = 0, committed_ = 0, rows_written_ = 0;
    size_t wake_at_;  // records waiting that wake the writer early (store.cpp)
    std::string last_error_;
    std::vector<FlowRecord> late_alerts_, late_alerts_pending_;  // committed; in the open batch
    // While below the free-space floor (writer thread only).
    std::optional<int64_t> gap_start_us_, gap_row_;
    uint64_t gap_records_ = 0;
    uint64_t records_dropped_ = 0;  // in all gaps; close() reads it once the thread has ended
    std::atomic<bool> in_gap_{false};            // gap_start_us_, for health()
    std::atomic<uint64_t> records_dropped_seen_{0};  // records_dropped_, for health()
    uint64_t dropped_at_last_flush_ = 0;  // records_dropped_seen_ when flush() last returned (under mutex_)
    std::unique_ptr<Checkpointer> checkpointer_;  // created after the schema, gone before the close
    std::thread thread_;
};

}  // namespace egresswatch
