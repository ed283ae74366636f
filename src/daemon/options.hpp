// egresswatchd's configuration: one Boost.Program_options schema shared by the
// command line and the INI file given with --config (the command line wins).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "egresswatch/sensor.hpp"
#include "retention.hpp"

namespace egresswatch::daemon {

struct Options {
    std::vector<std::string> read_files;
    std::vector<std::string> interfaces;
    SensorConfig sensor;
    int snaplen = 65535;
    int buffer_mb = 64;
    std::string bpf_filter;
    // Who to run as once the capture is open; empty: the default for how we
    // were started (see privileges.hpp).
    std::string user;
    std::string json_log;  // a file, or "-" for standard output
    // Alerts out (alert_out_syslog.hpp, alert_out_webhook.hpp).
    std::vector<std::string> syslog_urls;
    bool syslog_cef = false;  // --syslog-format cef
    std::vector<std::string> webhook_urls;
    std::string webhook_min_severity = "low";
    int webhook_retries = 3;
    std::string signing_key;  // Ed25519 private key (PEM) for signed checkpoints; empty: none
    RetentionPolicy retention;
    uint64_t min_free_bytes = 100ull << 20;
    int64_t stats_interval_us = 60'000'000;
    // Reading files: --flush-interval counts packet time (--flush-clock
    // packet) instead of seconds of reading (wall, the default).
    bool flush_by_packet_time = false;
    bool quiet = false;
    // --check: test the configuration and exit (check.hpp).
    bool check = false;
    std::string config_file;  // --config, named with its line numbers by --check
    std::string tz;  // the CLI's default time zone (the daemon keeps UTC)
};

// Parses argv (and the config file it names). Returns nullopt after printing
// help or a usage error; `exit_code` is then what the process should return.
std::optional<Options> parse_options(int argc, const char* const* argv, int& exit_code);

}  // namespace egresswatch::daemon
