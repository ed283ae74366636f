#include "signals.hpp"

#include <csignal>

namespace egresswatch::daemon {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void on_stop(int) { g_stop = true; }
void on_reload(int) { g_reload = true; }

void handle(int signal, void (*handler)(int), int flags) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    sigaction(signal, &action, nullptr);
}

}  // namespace

void install_signal_handlers() {
    // A stop interrupts a blocking read (a capture piped in); a reload must
    // not, so its reads restart. poll() returns early either way.
    handle(SIGTERM, on_stop, SA_RESETHAND);
    handle(SIGINT, on_stop, SA_RESETHAND);
    handle(SIGHUP, on_reload, SA_RESTART);
}

const std::atomic<bool>& stop_requested() { return g_stop; }

bool take_reload_request() { return g_reload.exchange(false); }

}  // namespace egresswatch::daemon
