#include "capture.hpp"

#include <pcap/pcap.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

namespace egresswatch::daemon {
namespace {

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

int64_t to_us(const timeval& tv) { return int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec; }

struct PacketContext {
    Sensor* sensor;
    int linktype;
};

void feed_packet(u_char* user, const pcap_pkthdr* header, const u_char* data) {
    auto* context = reinterpret_cast<PacketContext*>(user);
    context->sensor->process(context->linktype, *header, data);
}

}  // namespace

// ---- files -------------------------------------------------------------------

struct FileCapture::File {
    std::string path;
    PcapHandle pcap;
    int linktype = 0;
    // The first packet is read at open, to put the files in time order.
    int first_status = 0;  // pcap_next_ex's result for it
    pcap_pkthdr first_header{};
    std::vector<uint8_t> first_data;

    int64_t first_time() const { return first_status == 1 ? to_us(first_header.ts) : INT64_MIN; }
};

FileCapture::FileCapture(const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        auto file = std::make_unique<File>();
        file->path = path;
        char error[PCAP_ERRBUF_SIZE] = "";
        file->pcap.reset(pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, error));
        if (!file->pcap) throw CaptureError("cannot read capture " + path + ": " + error);
        file->linktype = pcap_datalink(file->pcap.get());
        pcap_pkthdr* header;
        const u_char* data;
        file->first_status = pcap_next_ex(file->pcap.get(), &header, &data);
        if (file->first_status == 1) {
            file->first_header = *header;
            file->first_data.assign(data, data + header->caplen);
        }
        files_.push_back(std::move(file));
    }
    std::stable_sort(files_.begin(), files_.end(),
                     [](const auto& a, const auto& b) { return a->first_time() < b->first_time(); });
}

FileCapture::~FileCapture() = default;

void FileCapture::run(Sensor& sensor, const std::atomic<bool>& stop) {
    for (auto& file : files_) {
        int64_t first = 0, last = 0;
        auto process = [&](const pcap_pkthdr& header, const uint8_t* data) {
            int64_t ts = to_us(header.ts);
            if (first == 0) first = ts;
            last = std::max(last, ts);
            sensor.process(file->linktype, header, data);
        };
        int status = file->first_status;
        if (status == 1) process(file->first_header, file->first_data.data());
        file->first_data = {};
        pcap_pkthdr* header;
        const u_char* data;
        while (status == 1 && !stop.load(std::memory_order_relaxed) &&
               (status = pcap_next_ex(file->pcap.get(), &header, &data)) == 1)
            process(*header, data);
        if (status == PCAP_ERROR && !stop) {
            // A truncated file (a capture cut off by a crash) keeps what was read.
            std::cerr << "egresswatchd: " << file->path << ": " << pcap_geterr(file->pcap.get())
                      << " (packets before this point were processed)\n";
        }
        sensor.record_capture_stats(file->path, first, last, 0);
        file->pcap.reset();
        if (stop) return;
    }
}

// ---- live interfaces -----------------------------------------------------------

struct LiveCapture::Interface {
    std::string name;
    PcapHandle pcap;
    int linktype = 0;
    uint32_t kernel_drops = 0;  // pcap_stats' running count, which wraps at 2^32
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

}  // namespace

LiveCapture::LiveCapture(const Options& options) {
    for (const auto& name : options.interfaces) {
        auto interface = std::make_unique<Interface>();
        interface->name = name;
        char error[PCAP_ERRBUF_SIZE] = "";
        interface->pcap.reset(pcap_create(name.c_str(), error));
        if (!interface->pcap) throw CaptureError("cannot open interface " + name + ": " + error);
        activate(interface->pcap.get(), name, options);
        interface->linktype = pcap_datalink(interface->pcap.get());
        source_name_ += (source_name_.empty() ? "" : ",") + name;
        interfaces_.push_back(std::move(interface));
    }
}

LiveCapture::~LiveCapture() = default;

void LiveCapture::dispatch(Sensor& sensor, int timeout_ms) {
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
    for (auto& interface : interfaces_) {
        pcap_stat stats{};
        InterfaceDrops d{interface->name, 0};
        if (pcap_stats(interface->pcap.get(), &stats) == 0) {
            d.dropped = static_cast<uint32_t>(stats.ps_drop - interface->kernel_drops);
            interface->kernel_drops = stats.ps_drop;
        }
        drops.push_back(d);
    }
    return drops;
}

}  // namespace egresswatch::daemon
