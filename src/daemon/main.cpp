// egresswatchd: the capture daemon.
//
// Start-up order matters: the capture is opened first (it may need root),
// then the daemon becomes its unprivileged user, and only then opens the
// store, the rules, the geolocation databases and the JSON log, and reads packets.
#include <chrono>
#include <iostream>
#include <optional>

#include "capture.hpp"
#include "chain_signer.hpp"
#include "egresswatch/clock.hpp"
#include "housekeeping.hpp"
#include "json_log.hpp"
#include "options.hpp"
#include "privileges.hpp"
#include "retention.hpp"
#include "signals.hpp"

namespace {

using namespace egresswatch;
using namespace egresswatch::daemon;

// Exit codes: configuration the operator must fix (or a capture that cannot
// be opened) is 2; a failure while running is 1.
constexpr int kExitConfiguration = 2;
constexpr int kExitFailure = 1;
constexpr int kPollMs = 1000;

void complain(const std::string& message) { std::cerr << "egresswatchd: " << message << "\n"; }

void capture_until_stopped(Sensor& sensor, LiveCapture& capture, const Options& options, JsonLog* json_log,
                           ChainSigner* signer) {
    Housekeeping housekeeping(sensor, capture, options, json_log, signer, now_us());
    while (!stop_requested()) {
        capture.dispatch(sensor, kPollMs);
        housekeeping.tick(now_us());
    }
    capture.stop(sensor);
    housekeeping.finish(now_us());
}

void print_summary(const Sensor& sensor, const Options& options) {
    const auto& c = sensor.counters();
    std::cerr << "egresswatchd: " << c.packets << " packets (" << c.ip_packets << " IP, " << c.not_ip << " not IP, "
              << c.malformed << " malformed), " << c.flows_written << " flows, " << c.alerts << " alerts"
              << (c.late_alerts ? " (" + std::to_string(c.late_alerts) + " raised late)" : std::string()) << ", "
              << sensor.devices().size() << " devices -> " << options.sensor.store_path << "\n";
    if (auto lanes = sensor.lane_packets(); !lanes.empty()) {
        std::cerr << "egresswatchd: packets per PACKET_FANOUT socket (--workers):";
        for (uint64_t n : lanes) std::cerr << " " << n;
        std::cerr << "\n";
    }
    if (uint64_t evicted = sensor.flows_evicted())
        std::cerr << "egresswatchd: " << evicted << " flows were evicted early at the --max-flows cap of "
                  << options.sensor.max_flows << " (each is stored, cut short; counted in capture_stats)\n";
}

int run(const Options& options) {
    const bool live = options.read_files.empty();
    std::optional<FileCapture> files;
    std::optional<LiveCapture> interfaces;
    try {
        if (live) interfaces.emplace(options);
        else files.emplace(options.read_files);
        if (auto user = user_to_become(options.user, live)) become_user(*user);
    } catch (const std::exception& e) {  // CaptureError, PrivilegeError
        complain(e.what());
        return kExitConfiguration;
    }

    std::unique_ptr<JsonLog> json_log;
    SensorConfig config = options.sensor;
    // Reading files, the flush interval follows the clock unless asked to
    // follow packet time: FileCapture::run flushes, the sensor does not.
    std::optional<int64_t> wall_flush_us;
    if (!live && !options.flush_by_packet_time) {
        wall_flush_us = config.flush_interval_us;
        config.flush_interval_us = INT64_MAX;
    }
    std::unique_ptr<Sensor> sensor;
    try {
        if (!options.json_log.empty()) {
            json_log = std::make_unique<JsonLog>(options.json_log);
            config.on_flow_record = [log = json_log.get()](const FlowRecord& r, const FlowDevice& device) {
                log->record(r, device);
            };
            config.on_device_record = [log = json_log.get()](const DeviceRecord& r) { log->record(r); };
        }
        StoreWriter::set_free_space_floor(options.min_free_bytes);
        sensor = std::make_unique<Sensor>(std::move(config));
    } catch (const std::exception& e) {  // rules, geolocation, store, JSON log
        complain(e.what());
        return kExitConfiguration;
    }
    std::optional<ChainSigner> signer;
    try {
        if (!options.signing_key.empty()) signer.emplace(options.sensor.store_path, options.signing_key, json_log.get());
    } catch (const std::exception& e) {  // KeyError, StoreError
        complain(e.what());
        return kExitConfiguration;
    }
    std::optional<RetentionWorker> retention;
    if (options.retention.enabled()) retention.emplace(options.sensor.store_path, options.retention);

    int status = 0;
    try {
        if (files) {
            files->run(*sensor, stop_requested(), wall_flush_us);
        } else {
            complain("capturing on " + interfaces->source_name() + " into " + options.sensor.store_path);
            complain(signer ? "signing the evidence chain's head with key " + signer->fingerprint() + " (" +
                                  options.signing_key + ")"
                            : std::string("no --signing-key: the evidence chain's head is not signed"));
            capture_until_stopped(*sensor, *interfaces, options, json_log.get(), signer ? &*signer : nullptr);
        }
    } catch (const CaptureError& e) {
        complain(e.what());
        status = kExitFailure;
    }
    auto stopping = std::chrono::steady_clock::now();
    bool stored = sensor->finish();
    if (signer) signer->checkpoint(now_us());  // everything the run stored
    if (!options.quiet) print_summary(*sensor, options);
    if (live) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping);
        complain("stopped; open flows and the store written in " + std::to_string(ms.count()) + " ms");
    }
    if (!stored) {
        complain("not every record reached the store " + options.sensor.store_path);
        return kExitFailure;
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    int exit_code = 0;
    auto options = parse_options(argc, argv, exit_code);
    if (!options) return exit_code;
    install_signal_handlers();
    return run(*options);
}
