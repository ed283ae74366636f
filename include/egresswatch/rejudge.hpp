// Judging stored flows again when what decides a verdict changes: a device
// identified late (its DHCP lease renews hours after its first uploads, its
// vendor-cloud lookup comes after them), or new rules. Nothing sealed is
// rewritten: a flow that now breaks a rule gets a late alert of its own, with
// the reason it was raised late, sealed in a chain of its own
// (late_alert_chain) that names the flow's sealed record by its hash.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "egresswatch/rules.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch {

// Judges every closed stored flow that has no alert (and no late alert) again,
// with its device's kind as the devices table has it now and `rules`. Each
// one that now breaks a rule gets a late alert, sealed; returned as flow
// records (closed, with severity and reasons) for the JSON log. Runs in the
// caller's transaction. Throws StoreError on a database error.
// (request.rules is not used: `rules` is.)
std::vector<FlowRecord> rejudge_stored_flows(sqlite3* db, const Rules& rules, const RejudgeRequest& request);

namespace sqlite {
class Statement;
}

// rejudge_stored_flows with its queries prepared once for the connection `db`:
// the store writer re-judges one device at a time, hundreds in a batch at the
// end of a capture, and preparing the query each time cost more than running it.
class StoredFlowJudge {
public:
    // `last_earlier_flow_id`: the highest flows.id stored before this run, for
    // requests of earlier runs' flows only (RejudgeRequest::earlier_runs_only).
    explicit StoredFlowJudge(sqlite3* db, int64_t last_earlier_flow_id = 0);
    ~StoredFlowJudge();
    StoredFlowJudge(const StoredFlowJudge&) = delete;
    StoredFlowJudge& operator=(const StoredFlowJudge&) = delete;

    std::vector<FlowRecord> rejudge(const Rules& rules, const RejudgeRequest& request);

private:
    sqlite3* db_;
    int64_t last_earlier_flow_id_;
    std::unique_ptr<sqlite::Statement> one_device_, all_devices_, record_;  // prepared on first use
};

}  // namespace egresswatch
