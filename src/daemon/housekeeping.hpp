// The live capture's periodic work, done between packets: every stats
// interval, capture health into the store (capture_stats) and a stats line
// into the log; open flows written every flush interval even when no packet
// comes; a reload of rules and geolocation on SIGHUP, or by itself when a
// geolocation database file is replaced (as Zeek does).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "alert_sink.hpp"
#include "capture.hpp"
#include "chain_signer.hpp"
#include "egresswatch/sensor.hpp"
#include "options.hpp"

namespace egresswatch::daemon {

class Housekeeping {
public:
    // `events`: reopened on SIGHUP, and told of drops and failed reloads.
    // `signer` (may be null) signs the chain heads at each flush interval.
    Housekeeping(Sensor& sensor, LiveCapture& capture, const Options& options, AlertRouter* events,
                 ChainSigner* signer, int64_t now_us);
    // Call at least once a second.
    void tick(int64_t now_us);
    // Records the last, partial interval.
    void finish(int64_t now_us);

private:
    void reload(const char* why);
    void report(int64_t now_us);

    Sensor& sensor_;
    LiveCapture& capture_;
    const Options& options_;
    AlertRouter* events_;
    ChainSigner* signer_;
    int64_t interval_start_us_;
    uint64_t flushes_signed_;  // the sensor's flushes() at the last checkpoint
    SensorCounters counters_at_interval_start_;
    std::set<std::string> dropping_;  // interfaces that dropped packets in the last interval
    StoreWriter::Health store_health_;  // as last reported
    void report_store_health();
    std::string geo_files_;           // geolocation_files() at the last (re)load
    int64_t next_geo_check_us_;
};

// What identifies the geolocation database files the sensor would load now
// (path, inode, size, modification time): a replaced file changes it.
std::string geolocation_files(const std::vector<std::string>& dirs);

}  // namespace egresswatch::daemon
