// Operator signals. SIGTERM/SIGINT: stop (flush every open flow and the
// store, then exit); a second one ends the process at once. SIGHUP: reload
// rules and geolocation, reopen the JSON log.
#pragma once

#include <atomic>

namespace egresswatch::daemon {

void install_signal_handlers();
const std::atomic<bool>& stop_requested();
// True once per SIGHUP received since the last call.
bool take_reload_request();

}  // namespace egresswatch::daemon
