// egresswatchd: the capture daemon.
//
// Start-up order matters: the capture is opened first (it may need root),
// then the daemon becomes its unprivileged user, and only then opens the
// store, the rules, the geolocation databases and the JSON log; then it gives
// up every capability (also as root, and under systemd) and reads packets.
#include <chrono>
#include <iostream>
#include <optional>

#include "alert_out_syslog.hpp"
#include "alert_out_webhook.hpp"
#include "capture.hpp"
#include "check.hpp"
#include "chain_signer.hpp"
#include "egresswatch/clock.hpp"
#include "egresswatch/version.hpp"
#include "housekeeping.hpp"
#include "json_log.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "privileges.hpp"
#include "retention.hpp"
#include "signals.hpp"

namespace {

using namespace egresswatch;
using namespace egresswatch::daemon;

// Exit codes: configuration the operator must fix (or a capture that cannot
// be opened) is 2; a failure while running is 1. Reading files, everything
// read is stored, and then: 3 if a file is damaged or cut short, 4 if one
// shrank while it was read (README "Exit status").
constexpr int kExitConfiguration = 2;
constexpr int kExitFailure = 1;
constexpr int kExitDamagedInput = 3;
constexpr int kExitInputChanged = 4;
constexpr int kPollMs = 1000;

void complain(const std::string& message) { std::cerr << "egresswatchd: " << message << "\n"; }

void capture_until_stopped(Sensor& sensor, LiveCapture& capture, const Options& options, AlertRouter* events,
                           ChainSigner* signer) {
    Housekeeping housekeeping(sensor, capture, options, events, signer, now_us());
    try {
        while (!stop_requested()) {
            capture.dispatch(sensor, kPollMs);
            housekeeping.tick(now_us());
        }
    } catch (...) {
        capture.stop(sensor);  // the lanes' threads use the sensor
        throw;
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
    if (const auto& h = sensor.hand_over(); h.barriers > 0)
        std::cerr << "egresswatchd: --workers " << options.sensor.workers << ": " << h.to_workers
                  << " packets handed to the workers' threads in " << h.batches << " batches, with " << h.barriers
                  << " barriers\n";
    if (uint64_t evicted = sensor.flows_evicted())
        std::cerr << "egresswatchd: " << evicted << " flows were evicted early at the --max-flows cap of "
                  << options.sensor.max_flows << " (each is stored, cut short; counted in capture_stats)\n";
}

// The sensor, finished, is not taken apart: the process ends and the kernel
// takes its memory back at once. Freeing nDPI's tables and every flow's state
// took 11 ms of the 0.53 s that a week of real traffic takes. Kept reachable,
// so that LeakSanitizer sees no leak; finish() has ended its threads.
Sensor* left_to_exit = nullptr;  // never deleted, not even by exit's destructors
void leave_to_exit(std::unique_ptr<Sensor> sensor) { left_to_exit = sensor.release(); }

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
    std::vector<std::unique_ptr<SyslogSink>> syslogs;
    std::vector<std::unique_ptr<WebhookSink>> webhooks;
    AlertRouter events;
    SensorConfig config = options.sensor;
    // Live capture flushes by the clock; reading files too, unless asked to
    // follow packet time (--flush-clock).
    config.flush_clock = !live && options.flush_by_packet_time ? FlushClock::packet : FlushClock::wall;
    std::unique_ptr<Sensor> sensor;
    try {
        if (!options.json_log.empty()) events.add((json_log = std::make_unique<JsonLog>(options.json_log)).get());
        auto format = options.syslog_cef ? SyslogFormat::cef : SyslogFormat::rfc5424;
        for (const auto& url : options.syslog_urls)
            events.add(syslogs.emplace_back(std::make_unique<SyslogSink>(parse_syslog_url(url), format)).get());
        for (const auto& url : options.webhook_urls)
            events.add(webhooks.emplace_back(std::make_unique<WebhookSink>(WebhookConfig{
                url, options.webhook_min_severity, options.webhook_retries})).get());
        StoreWriter::set_free_space_floor(options.min_free_bytes);
        sensor = std::make_unique<Sensor>(std::move(config), events.empty() ? nullptr : &events);
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
    // The capture and every file are open: packets are read with no
    // capability at all. (Not sooner: root, staying root to read files into
    // a store the service user owns, still needs its file powers to open it.)
    try {
        drop_capabilities();
    } catch (const PrivilegeError& e) {
        complain(e.what());
        return kExitFailure;
    }

    int status = 0;
    try {
        if (files) {
            ProgressLine progress(!options.quiet);
            if (progress.active())
                files->on_progress([&](const ReadProgress& p) { progress.update(p, sensor->counters()); });
            switch (files->run(*sensor, stop_requested())) {
            case InputOutcome::read: break;
            case InputOutcome::damaged: status = kExitDamagedInput; break;
            case InputOutcome::changed: status = kExitInputChanged; break;
            }
        } else {
            complain(std::string("egresswatchd ") + version_line() + "; geolocation " +
                     geolocation_age(options.sensor.geoip_dirs, std::time(nullptr)));
            complain("capturing on " + interfaces->source_name() + " into " + options.sensor.store_path);
            complain(signer ? "signing the evidence chain's head with key " + signer->fingerprint() + " (" +
                                  options.signing_key + ")"
                            : std::string("no --signing-key: the evidence chain's head is not signed"));
            capture_until_stopped(*sensor, *interfaces, options, &events, signer ? &*signer : nullptr);
        }
    } catch (const CaptureError& e) {
        complain(e.what());
        status = kExitFailure;
    }
    auto stopping = std::chrono::steady_clock::now();
    bool stored = sensor->finish();
    // The senders deliver what is queued (bounded in time) before the summary counts it.
    for (auto& sink : syslogs) sink->finish();
    for (auto& sink : webhooks) sink->finish();
    if (signer) signer->checkpoint(now_us());  // everything the run stored
    if (!options.quiet) print_summary(*sensor, options);
    for (const auto& sink : syslogs)
        complain("syslog " + sink->url() + ": " + describe(sink->stats()));
    for (const auto& sink : webhooks)
        complain("webhook " + sink->shown_url() + ": " + describe(sink->stats()) + ", in " +
                 std::to_string(sink->stats().requests.load()) + " POSTs, " +
                 std::to_string(sink->stats().retries.load()) + " retries");
    if (live) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping);
        complain("stopped; open flows and the store written in " + std::to_string(ms.count()) + " ms");
    }
    leave_to_exit(std::move(sensor));
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
    if (options->check) return run_check(*options);
    install_signal_handlers();
    return run(*options);
}
