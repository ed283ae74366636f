// Where the sensor's records go besides the store: the daemon's alert router
// (JSON log, syslog, webhooks) implements RecordSink.
#pragma once

#include <string_view>

#include "egresswatch/store.hpp"

namespace egresswatch {

// A flow's device when its record is made: its kind and vendor so far.
struct FlowDevice {
    std::string_view kind = "other";  // camera | nvr | iot | other
    std::string_view vendor;          // empty if unknown
};

class RecordSink {
public:
    virtual ~RecordSink() = default;
    // Every flow record the sensor writes (open snapshots, final records and
    // late alerts; FlowRecord::closed and late_alert tell which), with the
    // flow's device as known then (the store keeps devices in their own table).
    virtual void on_flow_record(const FlowRecord& flow, const FlowDevice& device) = 0;
    // Every device record the sensor writes (new or changed, at each flush,
    // at the --max-devices cap and at the end).
    virtual void on_device_record(const DeviceRecord& device) = 0;
};

}  // namespace egresswatch
