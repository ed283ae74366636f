// egresswatchd: the capture daemon.
#include <csignal>
#include <iostream>

#include "capture.hpp"
#include "options.hpp"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
    using namespace egresswatch;
    int exit_code = 0;
    auto options = daemon::parse_options(argc, argv, exit_code);
    if (!options) return exit_code;

    std::unique_ptr<Sensor> sensor;
    try {
        sensor = std::make_unique<Sensor>(options->sensor);
    } catch (const std::exception& e) {
        // Rules, geolocation, store: configuration the operator must fix.
        std::cerr << "egresswatchd: " << e.what() << "\n";
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
        if (!options->read_files.empty())
            daemon::read_files(*sensor, options->read_files);
        else
            daemon::capture_live(*sensor, *options, g_stop);
    } catch (const daemon::CaptureError& e) {
        std::cerr << "egresswatchd: " << e.what() << "\n";
        sensor->finish();
        return 2;
    }
    bool stored = sensor->finish();
    const auto& c = sensor->counters();
    if (!options->quiet)
        std::cerr << "egresswatchd: " << c.packets << " packets (" << c.ip_packets << " IP, " << c.not_ip
                  << " not IP, " << c.malformed << " malformed), " << c.flows_written << " flows, "
                  << c.alerts << " alerts, " << sensor->devices().size() << " devices -> "
                  << options->sensor.store_path << "\n";
    if (!stored) {
        std::cerr << "egresswatchd: not every record reached the store " << options->sensor.store_path << "\n";
        return 1;
    }
    return 0;
}
