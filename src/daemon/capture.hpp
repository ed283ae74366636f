// Packet sources: capture files (pcap/pcapng) and live interfaces.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "egresswatch/sensor.hpp"
#include "options.hpp"

namespace egresswatch::daemon {

class CaptureError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads the files as one capture: ordered by their first packet's time.
void read_files(Sensor& sensor, const std::vector<std::string>& files);

// Captures live until `stop` becomes true.
void capture_live(Sensor& sensor, const Options& options, const std::atomic<bool>& stop);

}  // namespace egresswatch::daemon
