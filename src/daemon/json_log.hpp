// --json-log: every flow and alert as one JSON object per line, for a SIEM.
// Each carries its Community ID, so it joins Zeek's and Suricata's logs.
//
//   {"event_type":"flow", ...}   when a flow ends (its final record)
//   {"event_type":"alert", ...}  when a flow is first flagged, or its severity
//                                changes; while open too, so that a
//                                long-lived flow abroad is seen at once
//   {"event_type":"device", ...} when a device is first seen or what is known
//                                of it changes (as the store's devices table)
// Flows and alerts carry the same fields (flow_json below), named as in the
// query CLI's JSON, plus the device's kind and vendor when the record was made;
// device events name their fields as flows do (device_ip, device_kind, ...).
#pragma once

#include <cstdio>
#include <string>

#include "alert_sink.hpp"
#include "egresswatch/sensor.hpp"
#include "egresswatch/signing.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch::daemon {

// Which flow records are alerts is the AlertRouter's to say (alert_sink.hpp).
class JsonLog : public AlertSink {
public:
    // "-" is standard output. Throws std::runtime_error naming the file.
    explicit JsonLog(std::string path);
    ~JsonLog();
    JsonLog(const JsonLog&) = delete;
    JsonLog& operator=(const JsonLog&) = delete;

    void alert(const FlowRecord& flow, const FlowDevice& device) override;
    void flow_ended(const FlowRecord& flow, const FlowDevice& device) override;
    void device(const DeviceRecord& device) override;
    // A signed checkpoint of the evidence chain (chain_signer.hpp):
    // {"event_type":"checkpoint", "signed_at", "signed_at_us" (what is signed), "chain_seq", "chain_hash",
    //  "late_alert_seq", "late_alert_hash", "key_fingerprint", "signature"}.
    void checkpoint(const evidence::Checkpoint& checkpoint);
    // After log rotation: writes go to a new file at the same path.
    void reopen() override;

private:
    void write_line(const std::string& line);

    std::string path_;
    std::FILE* file_ = nullptr;
};

// One flow record as a JSON object (no newline).
std::string flow_json(const FlowRecord& flow, const FlowDevice& device, const char* event_type);
// One device record as a JSON object (no newline).
std::string device_json(const DeviceRecord& device);

}  // namespace egresswatch::daemon
