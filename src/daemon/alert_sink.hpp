// Where the daemon's events go: the JSON log (json_log.hpp), syslog and
// webhooks (alert_out_*.hpp) each implement AlertSink; one AlertRouter, the
// sensor's RecordSink, takes its records and decides, once for all of them,
// what is an alert:
//
//   alert             a flow first flagged, or its severity changed (also
//                     while open), or a late alert (a flow re-judged after
//                     its device was identified; FlowRecord::late_alert)
//   flow_ended        a flow's final record
//   device            every device record the sensor writes
//   identity_changed  a device first seen as a camera, NVR or IoT device, or
//                     whose kind or MAC address changed (or vendor, unless
//                     its kind is "other")
//   health            the sensor's health: drops, store gaps, reloads
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "egresswatch/record_sink.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch::daemon {

struct HealthEvent {
    // error: evidence is being lost or the configuration was refused;
    // warning: it may be; notice: back to normal.
    enum class Level { error, warning, notice };
    Level level = Level::warning;
    std::string kind;     // drops | drops-ended | store-gap | store-resumed | store-failing | store-recovered | reload-failed
    std::string source;   // the interface, or the store's path
    std::string message;  // one line for people
    std::optional<uint64_t> count;  // packets dropped, records not stored
};

const char* to_string(HealthEvent::Level level);

class AlertSink {
public:
    virtual ~AlertSink() = default;
    virtual void alert(const FlowRecord& /*flow*/, const FlowDevice& /*device*/) {}
    virtual void flow_ended(const FlowRecord& /*flow*/, const FlowDevice& /*device*/) {}
    virtual void device(const DeviceRecord& /*device*/) {}
    // `before` is what was last known of the device (null: first seen).
    virtual void identity_changed(const DeviceRecord& /*now*/, const DeviceRecord* /*before*/) {}
    virtual void health(const HealthEvent& /*event*/) {}
    // SIGHUP: files are reopened (log rotation).
    virtual void reopen() {}
};

class AlertRouter : public RecordSink {
public:
    void add(AlertSink* sink) { sinks_.push_back(sink); }
    bool empty() const { return sinks_.empty(); }

    // The sensor's records (RecordSink).
    void on_flow_record(const FlowRecord& flow, const FlowDevice& device) override;
    void on_device_record(const DeviceRecord& device) override;
    void health(const HealthEvent& event);
    void reopen();

private:
    std::vector<AlertSink*> sinks_;
    // Open flows already reported as alerts, with the severity reported.
    std::unordered_map<std::string, std::string> alerted_open_;
    // What identity_changed last reported of each device, by IP.
    std::unordered_map<std::string, DeviceRecord> identities_;
};

}  // namespace egresswatch::daemon
