// Packet sources: capture files (pcap/pcapng) and live interfaces. Both are
// opened before the daemon gives up root, and read only after.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "egresswatch/sensor.hpp"
#include "options.hpp"

namespace egresswatch::daemon {

class CaptureError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Capture files read as one capture, ordered by their first packet's time.
// Also reads a pipe ("-" is standard input).
class FileCapture {
public:
    explicit FileCapture(const std::vector<std::string>& paths);  // opens all; throws CaptureError
    ~FileCapture();
    // Feeds every packet to the sensor, file by file; stops early on `stop`.
    void run(Sensor& sensor, const std::atomic<bool>& stop);

private:
    struct File;
    std::vector<std::unique_ptr<File>> files_;
};

// Kernel drops per interface.
struct InterfaceDrops {
    std::string name;
    uint64_t dropped = 0;  // since the last report
};

// Live capture on one or more interfaces: promiscuous, TPACKET_V3 ring
// buffers (libpcap's default on Linux when immediate mode is off), BPF filter.
class LiveCapture {
public:
    explicit LiveCapture(const Options& options);  // opens all; throws CaptureError
    ~LiveCapture();
    // Waits up to `timeout_ms` for packets on any interface and feeds what
    // came to the sensor. Returns early when a signal arrives.
    void dispatch(Sensor& sensor, int timeout_ms);
    // Packets the kernel dropped on each interface since the last call (pcap_stats).
    std::vector<InterfaceDrops> take_drops();
    // "eth0" or "eth0,eth1": the capture_stats source.
    const std::string& source_name() const { return source_name_; }

private:
    struct Interface;
    std::vector<std::unique_ptr<Interface>> interfaces_;
    std::string source_name_;
};

}  // namespace egresswatch::daemon
