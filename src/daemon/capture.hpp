// Packet sources: capture files (pcap/pcapng) and live interfaces. Both are
// opened before the daemon gives up root, and read only after.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "egresswatch/sensor.hpp"
#include "options.hpp"

namespace egresswatch::daemon {

class CaptureError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where a read of capture files has got to (the progress line of -r).
struct ReadProgress {
    uint64_t bytes_read = 0;   // record headers and frames read (pcapng: a little less than the file)
    uint64_t bytes_total = 0;  // the files' sizes; 0 when one is a pipe
    uint64_t packets = 0;
};
// How reading the files went, worst first: what main's exit status says.
enum class InputOutcome { read, damaged, changed };

// Capture files read as one capture, ordered by their first packet's time.
// Also reads a pipe ("-" is standard input).
class FileCapture {
public:
    explicit FileCapture(const std::vector<std::string>& paths);  // opens all; throws CaptureError
    ~FileCapture();
    // Feeds every packet to the sensor, file by file; stops early on `stop`
    // (the sensor writes open flows as its flush clock says). Returns
    // `damaged` if a file is damaged or cut short, `changed` if one shrank
    // while it was read (what was read before is processed either way).
    InputOutcome run(Sensor& sensor, const std::atomic<bool>& stop);
    // Called every 4096 packets while run() reads.
    void on_progress(std::function<void(const ReadProgress&)> hook) { progress_ = std::move(hook); }

private:
    struct File;
    std::vector<std::unique_ptr<File>> files_;
    std::function<void(const ReadProgress&)> progress_;
    ReadProgress read_;
};

// Kernel drops per interface.
struct InterfaceDrops {
    std::string name;
    uint64_t dropped = 0;  // since the last report
};

// Live capture on one or more interfaces: promiscuous, TPACKET_V3 ring
// buffers (libpcap's default on Linux when immediate mode is off), BPF filter.
// With --workers N, N sockets per interface join a PACKET_FANOUT group in hash
// mode: the kernel gives both directions of a flow to the same socket, and
// socket k of every interface is read by this capture's lane k thread, which
// hands its packets to the sensor's flow shard k (Sensor::process_on_lane).
class LiveCapture {
public:
    explicit LiveCapture(const Options& options);  // opens all; throws CaptureError
    ~LiveCapture();
    // Waits up to `timeout_ms` for packets on any interface and feeds what
    // came to the sensor. Returns early when a signal arrives. With lanes, the
    // first call starts them; later calls pass on what the lanes handed over.
    void dispatch(Sensor& sensor, int timeout_ms);
    // Stops the lanes' threads (before the sensor's finish, and before the
    // sensor goes: they use it).
    void stop(Sensor& sensor);
    // Packets the kernel dropped on each interface since the last call (pcap_stats).
    std::vector<InterfaceDrops> take_drops();
    // "eth0" or "eth0,eth1": the capture_stats source.
    const std::string& source_name() const { return source_name_; }

private:
    struct Interface;
    void start_lanes(Sensor& sensor);
    void join_lanes();
    void run_lane(Sensor& sensor, size_t lane);
    void read_lane(Sensor& sensor, size_t lane);
    std::vector<std::unique_ptr<Interface>> interfaces_;
    std::string source_name_;
    size_t lanes_ = 0;  // fanout sockets per interface; 0 without fanout
    std::vector<std::thread> lane_threads_;
    std::atomic<bool> lanes_stopping_{false};
    std::atomic<bool> lane_failed_{false};
    std::string lane_error_;  // set once, before lane_failed_
};

}  // namespace egresswatch::daemon
