#include "capture.hpp"

#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "egresswatch/clock.hpp"
#include "mapped_pcap.hpp"

namespace egresswatch::daemon {
namespace {

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// libpcap's record header as the pipeline takes it (core does not include libpcap).
FrameHeader frame_header(const pcap_pkthdr& h) { return {h.ts, h.caplen, h.len}; }

struct PacketContext {
    Sensor* sensor;
    int linktype;
};

void feed_packet(u_char* user, const pcap_pkthdr* header, const u_char* data) {
    auto* context = reinterpret_cast<PacketContext*>(user);
    context->sensor->process(context->linktype, frame_header(*header), data);
}

}  // namespace

// ---- files -------------------------------------------------------------------

struct FileCapture::File {
    std::string path;
    std::vector<uint8_t> read_buffer;  // the stdio buffer of a libpcap file: declared first, freed last
    std::unique_ptr<MappedPcap> mapped;  // a classic pcap file, read in place; or
    PcapHandle pcap;                     // libpcap reads it (pcapng, pipes)
    int linktype = 0;
    // The first packet is read at open, to put the files in time order.
    int first_status = 0;  // next()'s result for it
    pcap_pkthdr first_header{};
    const uint8_t* first_frame = nullptr;  // in the map, or in first_data
    std::vector<uint8_t> first_data;

    int64_t first_time() const {
        return first_status == 1 ? packet_time_us(first_header.ts).value_or(INT64_MIN) : INT64_MIN;
    }

    // 1 and the next packet, 0 at the end, -1 if the file is damaged (error()).
    int next(pcap_pkthdr& header, const uint8_t*& frame) {
        if (mapped) return mapped->next(header, frame);
        pcap_pkthdr* h;
        const u_char* d;
        int status = pcap_next_ex(pcap.get(), &h, &d);
        if (status != 1) return status == PCAP_ERROR_BREAK ? 0 : -1;
        header = *h;
        frame = d;
        return 1;
    }
    std::string error() const { return mapped ? mapped->error() : pcap_geterr(pcap.get()); }
};

FileCapture::FileCapture(const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        auto file = std::make_unique<File>();
        file->path = path;
        char error[PCAP_ERRBUF_SIZE] = "";
        if (path != "-") file->mapped = MappedPcap::open(path);
        if (file->mapped) {
            file->linktype = file->mapped->linktype();
        } else {
            if (path == "-") {
                file->pcap.reset(pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, error));
            } else if (FILE* stream = std::fopen(path.c_str(), "rb")) {
                // libpcap reads a file with two freads per packet; stdio's default
                // 4 KiB buffer made that a read() call every few packets.
                file->read_buffer.resize(1 << 20);
                setvbuf(stream, reinterpret_cast<char*>(file->read_buffer.data()), _IOFBF, file->read_buffer.size());
                file->pcap.reset(pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_MICRO, error));
                if (!file->pcap) std::fclose(stream);
            } else {
                std::snprintf(error, sizeof error, "%s", std::strerror(errno));
            }
            if (!file->pcap) throw CaptureError("cannot read capture " + path + ": " + error);
            file->linktype = pcap_datalink(file->pcap.get());
        }
        file->first_status = file->next(file->first_header, file->first_frame);
        if (file->first_status == 1 && !file->mapped) {  // libpcap reuses its buffer
            file->first_data.assign(file->first_frame, file->first_frame + file->first_header.caplen);
            file->first_frame = file->first_data.data();
        }
        files_.push_back(std::move(file));
    }
    // The progress line's percentage: unknown when one of them is a pipe.
    for (const auto& path : paths) {
        std::error_code ec;
        uint64_t size = path == "-" ? 0 : std::filesystem::file_size(path, ec);
        if (ec || size == 0) {
            read_.bytes_total = 0;
            break;
        }
        read_.bytes_total += size;
    }
    std::stable_sort(files_.begin(), files_.end(),
                     [](const auto& a, const auto& b) { return a->first_time() < b->first_time(); });
}

FileCapture::~FileCapture() = default;

InputOutcome FileCapture::run(Sensor& sensor, const std::atomic<bool>& stop) {
    InputOutcome outcome = InputOutcome::read;
    for (auto& file : files_) {
        int64_t first = 0, last = 0;
        // A mapped file's frames stay where they are until the capture ends:
        // the sensor may queue them for a worker without copying.
        bool frames_stay = file->mapped != nullptr;
        sensor.watch_frames(file->mapped ? file->mapped->frames() : nullptr);
        auto process = [&](const pcap_pkthdr& header, const uint8_t* frame) {
            sensor.process(file->linktype, frame_header(header), frame, frames_stay);
            read_.bytes_read += header.caplen + 16;  // a pcap record header is 16 bytes
            if (progress_ && ++read_.packets % 4096 == 0) progress_(read_);
            // The time the sensor took it at: not a stamp it refused, nor an outlier's.
            int64_t ts = sensor.last_packet_time_us();
            if (ts == 0) return;
            if (first == 0) first = ts;
            last = std::max(last, ts);
        };
        int status = file->first_status;
        if (status == 1) process(file->first_header, file->first_frame);
        pcap_pkthdr header;
        const uint8_t* frame;
        while (status == 1 && !stop.load(std::memory_order_relaxed) && (status = file->next(header, frame)) == 1)
            process(header, frame);
        if (status < 0 && !stop) {
            // A truncated file (a capture cut off by a crash) keeps what was read.
            std::cerr << "egresswatchd: " << file->path << ": " << file->error()
                      << " (packets before this point were processed)\n";
            outcome = std::max(outcome, status == MappedPcap::kChanged ? InputOutcome::changed : InputOutcome::damaged);
        }
        sensor.record_capture_stats(file->path, first, last, 0);
        // Mapped files stay open: queued frames point into them.
        file->pcap.reset();
        if (stop) return outcome;
    }
    return outcome;
}

// ---- live interfaces -----------------------------------------------------------

struct LiveCapture::Interface {
    std::string name;
    PcapHandle pcap;
    int linktype = 0;
    uint32_t kernel_drops = 0;  // pcap_stats' running count, which wraps at 2^32
    // With fanout, the sockets of lanes 1..N-1 (pcap is lane 0's).
    std::vector<PcapHandle> more_lanes;
    std::vector<uint32_t> more_kernel_drops;
    pcap_t* lane(size_t k) const { return k == 0 ? pcap.get() : more_lanes[k - 1].get(); }
};

namespace {

void activate(pcap_t* p, const std::string& name, const Options& options) {
    // Not immediate mode: libpcap then uses TPACKET_V3 blocks, the cheapest
    // way to take a busy SPAN port's packets from the kernel.
    pcap_set_snaplen(p, options.snaplen);
    pcap_set_promisc(p, 1);
    pcap_set_timeout(p, 200);
    pcap_set_buffer_size(p, options.buffer_mb * 1024 * 1024);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(p);
    if (rc < 0)
        throw CaptureError("cannot capture on " + name + ": " + pcap_geterr(p) +
                           (rc == PCAP_ERROR_PERM_DENIED ? " (needs root or CAP_NET_RAW)" : ""));
    if (rc > 0) std::cerr << "egresswatchd: " << name << ": " << pcap_statustostr(rc) << ": " << pcap_geterr(p) << "\n";
    if (!options.bpf_filter.empty()) {
        bpf_program program;
        if (pcap_compile(p, &program, options.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
            throw CaptureError("bad --filter \"" + options.bpf_filter + "\": " + pcap_geterr(p));
        int set = pcap_setfilter(p, &program);
        pcap_freecode(&program);
        if (set != 0) throw CaptureError("cannot set the filter on " + name + ": " + pcap_geterr(p));
    }
    char error[PCAP_ERRBUF_SIZE] = "";
    if (pcap_setnonblock(p, 1, error) != 0) throw CaptureError("cannot capture on " + name + ": " + error);
}

PcapHandle open_interface(const std::string& name, const Options& options) {
    char error[PCAP_ERRBUF_SIZE] = "";
    PcapHandle pcap(pcap_create(name.c_str(), error));
    if (!pcap) throw CaptureError("cannot open interface " + name + ": " + error);
    activate(pcap.get(), name, options);
    return pcap;
}

// Joins the socket to fanout group `group` in hash mode (a symmetric hash of
// addresses and ports since Linux 4.x), defragmenting first so that the
// fragments of a datagram go where its first one went.
void join_fanout(pcap_t* p, const std::string& name, uint16_t group) {
    uint32_t argument = group | (uint32_t{PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG} << 16);
    if (setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &argument, sizeof argument) != 0)
        throw CaptureError("cannot spread " + name + " over --workers sockets (PACKET_FANOUT): " + std::strerror(errno));
}

struct LanePacketContext {
    Sensor* sensor;
    int linktype;
    size_t lane;
};

void feed_lane_packet(u_char* user, const pcap_pkthdr* header, const u_char* data) {
    auto* context = reinterpret_cast<LanePacketContext*>(user);
    context->sensor->process_on_lane(context->lane, context->linktype, frame_header(*header), data);
}

}  // namespace

LiveCapture::LiveCapture(const Options& options) {
    lanes_ = options.sensor.workers > 1 ? static_cast<size_t>(options.sensor.workers) : 0;
    for (const auto& name : options.interfaces) {
        auto interface = std::make_unique<Interface>();
        interface->name = name;
        interface->pcap = open_interface(name, options);
        interface->linktype = pcap_datalink(interface->pcap.get());
        if (lanes_ > 0) {
            // One group per interface and process: another sensor on the same
            // interface has its own group and sees every packet too.
            auto group = static_cast<uint16_t>((getpid() * 64 + interfaces_.size()) & 0xffff);
            join_fanout(interface->pcap.get(), name, group);
            for (size_t k = 1; k < lanes_; ++k) {
                interface->more_lanes.push_back(open_interface(name, options));
                join_fanout(interface->more_lanes.back().get(), name, group);
                interface->more_kernel_drops.push_back(0);
            }
        }
        source_name_ += (source_name_.empty() ? "" : ",") + name;
        interfaces_.push_back(std::move(interface));
    }
}

// On lane k's thread: waits up to 100 ms for lane k's sockets, then reads them.
void LiveCapture::read_lane(Sensor& sensor, size_t lane) {
    if (lane_failed_) {
        poll(nullptr, 0, 100);
        return;
    }
    std::vector<pollfd> fds;
    for (const auto& interface : interfaces_) fds.push_back({pcap_get_selectable_fd(interface->lane(lane)), POLLIN, 0});
    int ready = poll(fds.data(), fds.size(), 100);
    if (ready <= 0) return;
    for (size_t i = 0; i < interfaces_.size(); ++i) {
        if (!fds[i].revents) continue;
        Interface& interface = *interfaces_[i];
        LanePacketContext context{&sensor, interface.linktype, lane};
        pcap_t* p = interface.lane(lane);
        if (pcap_dispatch(p, -1, feed_lane_packet, reinterpret_cast<u_char*>(&context)) == PCAP_ERROR &&
            !lane_failed_.exchange(true)) {
            lane_error_ = "capture on " + interface.name + " failed: " + pcap_geterr(p);
        }
    }
}

// Lane k's thread: the lane's share of the sensor's work between reads of
// lane k's sockets, until stop().
void LiveCapture::run_lane(Sensor& sensor, size_t lane) {
    std::string name = "ew-lane-" + std::to_string(lane);
    pthread_setname_np(pthread_self(), name.c_str());  // for top -H, perf and gdb
    while (!lanes_stopping_.load(std::memory_order_relaxed)) {
        sensor.serve_lane(lane);
        read_lane(sensor, lane);
    }
}

void LiveCapture::start_lanes(Sensor& sensor) {
    sensor.start_lanes();
    for (size_t k = 0; k < lanes_; ++k) lane_threads_.emplace_back([this, &sensor, k] { run_lane(sensor, k); });
}

void LiveCapture::join_lanes() {
    lanes_stopping_ = true;
    for (auto& thread : lane_threads_) thread.join();
    lane_threads_.clear();
}

void LiveCapture::stop(Sensor& sensor) {
    if (lane_threads_.empty()) return;
    join_lanes();
    sensor.lanes_stopped();
}

// stop() was not called (an error on the way out): the threads must not outlive this.
LiveCapture::~LiveCapture() { join_lanes(); }

void LiveCapture::dispatch(Sensor& sensor, int timeout_ms) {
    if (lanes_ > 0) {
        if (lane_threads_.empty()) start_lanes(sensor);
        // The lanes read; here we pass on what they found, ten times a second.
        for (int waited = 0; waited < timeout_ms && !lane_failed_; waited += 100) {
            if (poll(nullptr, 0, 100) < 0) break;  // a signal
            sensor.service_lanes();
        }
        if (lane_failed_) {
            stop(sensor);  // before the sensor, which the lanes use, can go
            throw CaptureError(lane_error_);
        }
        return;
    }
    std::vector<pollfd> fds;
    for (const auto& interface : interfaces_)
        fds.push_back({pcap_get_selectable_fd(interface->pcap.get()), POLLIN, 0});
    int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) throw CaptureError(std::string("poll: ") + std::strerror(errno));
    if (ready <= 0) return;
    for (size_t i = 0; i < interfaces_.size(); ++i) {
        if (!fds[i].revents) continue;
        Interface& interface = *interfaces_[i];
        PacketContext context{&sensor, interface.linktype};
        int n = pcap_dispatch(interface.pcap.get(), -1, feed_packet, reinterpret_cast<u_char*>(&context));
        if (n == PCAP_ERROR)
            throw CaptureError("capture on " + interface.name + " failed: " + pcap_geterr(interface.pcap.get()));
    }
}

std::vector<InterfaceDrops> LiveCapture::take_drops() {
    std::vector<InterfaceDrops> drops;
    auto take = [](pcap_t* p, uint32_t& reported) -> uint64_t {
        pcap_stat stats{};
        if (pcap_stats(p, &stats) != 0) return 0;
        auto dropped = static_cast<uint32_t>(stats.ps_drop - reported);
        reported = stats.ps_drop;
        return dropped;
    };
    for (auto& interface : interfaces_) {
        InterfaceDrops d{interface->name, take(interface->pcap.get(), interface->kernel_drops)};
        for (size_t k = 0; k < interface->more_lanes.size(); ++k)
            d.dropped += take(interface->more_lanes[k].get(), interface->more_kernel_drops[k]);
        drops.push_back(d);
    }
    return drops;
}

}  // namespace egresswatch::daemon
