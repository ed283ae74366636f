#include "alert_sink.hpp"

namespace egresswatch::daemon {

const char* to_string(HealthEvent::Level level) {
    switch (level) {
        case HealthEvent::Level::error: return "error";
        case HealthEvent::Level::warning: return "warning";
        case HealthEvent::Level::notice: return "notice";
    }
    return "warning";
}

void AlertRouter::on_flow_record(const FlowRecord& flow, const FlowDevice& device) {
    if (flow.late_alert) {  // a flow logged when it ended, flagged now
        for (auto* sink : sinks_) sink->alert(flow, device);
        return;
    }
    if (!flow.severity.empty()) {
        auto reported = alerted_open_.find(flow.uid);
        if (reported == alerted_open_.end() || reported->second != flow.severity) {
            for (auto* sink : sinks_) sink->alert(flow, device);
            if (!flow.closed) alerted_open_[flow.uid] = flow.severity;
        }
    }
    if (flow.closed) {
        alerted_open_.erase(flow.uid);
        for (auto* sink : sinks_) sink->flow_ended(flow, device);
    }
}

void AlertRouter::on_device_record(const DeviceRecord& device) {
    for (auto* sink : sinks_) sink->device(device);
    // The sensor writes a device whenever anything of it changed (last seen
    // too); only who it is counts here. Devices of kind "other" are most of
    // a network: they are reported once they are more, or change address.
    auto known = identities_.find(device.ip);
    if (known == identities_.end()) {
        identities_.emplace(device.ip, device);
        if (device.kind != "other")
            for (auto* sink : sinks_) sink->identity_changed(device, nullptr);
        return;
    }
    DeviceRecord& before = known->second;
    bool changed = before.kind != device.kind || (before.mac && device.mac && *before.mac != *device.mac) ||
                   (device.kind != "other" && before.vendor != device.vendor);
    if (changed)
        for (auto* sink : sinks_) sink->identity_changed(device, &before);
    before = device;
}

void AlertRouter::health(const HealthEvent& event) {
    for (auto* sink : sinks_) sink->health(event);
}

void AlertRouter::reopen() {
    for (auto* sink : sinks_) sink->reopen();
}

}  // namespace egresswatch::daemon
