// egresswatchd --check: what nginx -t and suricata -T are to those daemons.
// Loads the configuration, the rules, the geolocation databases and the IEEE
// registry, opens (but does not start) the capture, opens the store read-only
// and checks that the service user can write its directory; then prints what
// the daemon would run with, or each problem with its file:line and the fix.
// systemd's ExecReload runs it before the reload signal (deploy/egresswatch.service).
#pragma once

#include <string>
#include <string_view>

#include "options.hpp"

namespace egresswatch::daemon {

inline constexpr int kCheckFailed = 1;

// Runs every check; prints the summary (unless --quiet) on standard output and
// each problem on standard error. 0 when all passed, kCheckFailed otherwise.
int run_check(const Options& options);

// "FILE:LINE" of the line of `config_file` that sets `option` (its first), or
// "" when the file does not set it.
std::string config_location(const std::string& config_file, std::string_view option);

// A command-line or config-file error met while parsing, in --check's words:
// with the config file's line when the message names an option it sets.
void report_check_usage_error(const std::string& config_file, const std::string& message);

}  // namespace egresswatch::daemon
