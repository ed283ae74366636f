// Retention: old flows leave the store so that it does not grow forever.
// Flows that raised an alert are evidence and are kept longer.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace egresswatch::daemon {

struct RetentionPolicy {
    int flow_days = 0;     // flows without an alert, and passive DNS; 0 keeps them forever
    int alert_days = 0;    // flows with an alert; 0 keeps them forever
    bool enabled() const { return flow_days > 0 || alert_days > 0; }
};

struct PruneCounts {
    uint64_t flows = 0, alerted_flows = 0, dns = 0;
    uint64_t held = 0;  // flows past the period kept because their device is on legal hold
};

// Deletes what the policy says is too old at `now_us`, in small transactions
// so that the writer is never locked out for long, until done or `stop`
// returns true. Closed flows only; nothing of a device on legal hold
// (evidence_holds). Packets go with their flows. Throws StoreError on SQLite errors.
PruneCounts prune_store(sqlite3* db, const RetentionPolicy& policy, int64_t now_us,
                        const std::function<bool()>& stop);

// Prunes on its own connection and thread: once at start, then hourly.
class RetentionWorker {
public:
    RetentionWorker(std::string store_path, RetentionPolicy policy);
    ~RetentionWorker();  // stops between two transactions
    RetentionWorker(const RetentionWorker&) = delete;
    RetentionWorker& operator=(const RetentionWorker&) = delete;

private:
    void run();

    std::string store_path_;
    RetentionPolicy policy_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace egresswatch::daemon
