#include "capture.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

namespace egresswatch::daemon {
namespace {

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

PcapHandle open_file(const std::string& path) {
    char error[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, error);
    if (!p) throw CaptureError("cannot read capture " + path + ": " + error);
    return PcapHandle(p);
}

int64_t to_us(const timeval& tv) { return int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec; }

// The time of a file's first packet (files without packets sort first).
int64_t first_packet_time(const std::string& path) {
    auto p = open_file(path);
    pcap_pkthdr* header;
    const u_char* data;
    return pcap_next_ex(p.get(), &header, &data) == 1 ? to_us(header->ts) : INT64_MIN;
}

int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

void read_files(Sensor& sensor, const std::vector<std::string>& files) {
    std::vector<std::pair<int64_t, std::string>> ordered;
    for (const auto& f : files) ordered.emplace_back(first_packet_time(f), f);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [start, path] : ordered) {
        auto p = open_file(path);
        int linktype = pcap_datalink(p.get());
        pcap_pkthdr* header;
        const u_char* data;
        int64_t first = 0, last = 0;
        int rc;
        while ((rc = pcap_next_ex(p.get(), &header, &data)) == 1) {
            int64_t ts = to_us(header->ts);
            if (first == 0) first = ts;
            last = std::max(last, ts);
            sensor.process(linktype, *header, data);
        }
        if (rc == PCAP_ERROR) {
            // A truncated file (a capture cut off by a crash) keeps what was read.
            std::cerr << "egresswatchd: " << path << ": " << pcap_geterr(p.get())
                      << " (packets before this point were processed)\n";
        }
        sensor.record_capture_stats(path, first, last, 0);
    }
}

void capture_live(Sensor& sensor, const Options& options, const std::atomic<bool>& stop) {
    if (options.interfaces.size() != 1)
        throw CaptureError("live capture on several interfaces is not supported yet: give one -i");
    const std::string& iface = options.interfaces.front();
    char error[PCAP_ERRBUF_SIZE] = "";
    PcapHandle p(pcap_create(iface.c_str(), error));
    if (!p) throw CaptureError("cannot open interface " + iface + ": " + error);
    pcap_set_snaplen(p.get(), options.snaplen);
    pcap_set_promisc(p.get(), 1);
    pcap_set_timeout(p.get(), 200);
    pcap_set_buffer_size(p.get(), options.buffer_mb * 1024 * 1024);
    pcap_set_tstamp_precision(p.get(), PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(p.get());
    if (rc < 0)
        throw CaptureError("cannot capture on " + iface + ": " + pcap_geterr(p.get()) +
                           (rc == PCAP_ERROR_PERM_DENIED ? " (needs root or CAP_NET_RAW)" : ""));
    if (!options.bpf_filter.empty()) {
        bpf_program program;
        if (pcap_compile(p.get(), &program, options.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
            throw CaptureError("bad --filter \"" + options.bpf_filter + "\": " + pcap_geterr(p.get()));
        int set = pcap_setfilter(p.get(), &program);
        pcap_freecode(&program);
        if (set != 0) throw CaptureError(std::string("cannot set filter: ") + pcap_geterr(p.get()));
    }
    int linktype = pcap_datalink(p.get());
    struct Context {
        Sensor* sensor;
        int linktype;
    } context{&sensor, linktype};
    auto handler = [](u_char* user, const pcap_pkthdr* header, const u_char* data) {
        auto* c = reinterpret_cast<Context*>(user);
        c->sensor->process(c->linktype, *header, data);
    };
    int64_t interval_start = now_us();
    uint64_t dropped_before = 0;
    while (!stop.load()) {
        int n = pcap_dispatch(p.get(), 1000, handler, reinterpret_cast<u_char*>(&context));
        if (n < 0 && n != PCAP_ERROR_BREAK) throw CaptureError("capture on " + iface + " failed: " + pcap_geterr(p.get()));
        int64_t now = now_us();
        if (now - interval_start >= 60'000'000) {
            pcap_stat stats{};
            uint64_t dropped = 0;
            if (pcap_stats(p.get(), &stats) == 0) {
                dropped = stats.ps_drop - dropped_before;
                dropped_before = stats.ps_drop;
                if (dropped) std::cerr << "egresswatchd: " << iface << ": " << dropped << " packets dropped by the kernel in the last minute\n";
            }
            sensor.record_capture_stats(iface, interval_start, now, dropped);
            sensor.flush_open(now);
            interval_start = now;
        }
    }
    sensor.record_capture_stats(iface, interval_start, now_us(), 0);
}

}  // namespace egresswatch::daemon
