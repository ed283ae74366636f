// Builds a large capture of real traffic from the real captures in
// ../shared/corpus (or any pcap/pcapng files): every frame normalised to
// Ethernet (Linux cooked v1/v2, raw IP, BSD loopback), each input re-timed to
// start at the same instant, then replicated with rewritten addresses until
// the capture holds about the packets asked for (whole replicas), in time order.
//
//   make-real-capture --packets N [--span-days D] [--stagger-s S] OUT.pcap INPUT...
//
// Replica k (0, 1, ...) starts k * S seconds after replica 0 (default S = 60)
// and rewrites every unicast address: IPv4 third octet, IPv6 byte 13 and the
// MAC's fifth byte XOR k, so a private address stays private, a public one
// public, and a MAC keeps its vendor prefix. Group and unspecified addresses
// stay (DHCP, mDNS, SSDP keep working); IPv4 header checksums are
// recomputed, TCP/UDP checksums are not (no tool here checks them); names in
// DNS answers keep the original addresses. Within an input, a gap of over a
// day between packets shrinks to one second.
//
// --span-days D scales every input's own timeline so that the longest spans
// D days (default: as captured; the real_home captures span a week): the
// same packets over a day or over a week, to show what capture time costs.
// The output is the same bytes for the same inputs and options.
#include <pcap/pcap.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

struct Frame {
    int64_t rel_us;             // since its input's first packet
    std::vector<uint8_t> bytes; // Ethernet
    uint32_t wire_len;
};

constexpr uint8_t kDeviceMac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
constexpr uint8_t kGatewayMac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe};

constexpr int64_t kLongestGap = 86'400'000'000;

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// The Ethernet frame for a frame of `linktype`, or empty when it has no IP/ARP to keep.
std::vector<uint8_t> to_ethernet(int linktype, const uint8_t* f, uint32_t len, uint32_t& wire_len) {
    std::vector<uint8_t> out;
    auto with_header = [&](const uint8_t* src_mac, uint16_t ethertype, const uint8_t* l3, uint32_t l3_len,
                           uint32_t header_len) {
        out.resize(14 + l3_len);
        std::memcpy(out.data(), kGatewayMac, 6);
        std::memcpy(out.data() + 6, src_mac, 6);
        out[12] = uint8_t(ethertype >> 8);
        out[13] = uint8_t(ethertype);
        std::memcpy(out.data() + 14, l3, l3_len);
        wire_len = wire_len - header_len + 14;
    };
    auto ip_ethertype = [](const uint8_t* l3, uint32_t l3_len) -> uint16_t {
        if (l3_len == 0) return 0;
        return (l3[0] >> 4) == 6 ? 0x86dd : (l3[0] >> 4) == 4 ? 0x0800 : 0;
    };
    switch (linktype) {
    case DLT_EN10MB: out.assign(f, f + len); break;
    case DLT_LINUX_SLL:  // 16 bytes: type, ARPHRD, address length, address[8], protocol
        if (len < 16) return {};
        with_header(rd16(f + 4) == 6 ? f + 6 : kDeviceMac, rd16(f + 14), f + 16, len - 16, 16);
        break;
    case DLT_LINUX_SLL2:  // 20 bytes: protocol, reserved, ifindex, ARPHRD, type, length, address[8]
        if (len < 20) return {};
        with_header(f[11] == 6 ? f + 12 : kDeviceMac, rd16(f), f + 20, len - 20, 20);
        break;
    case DLT_RAW:
    case 14:
    case DLT_IPV4:
    case DLT_IPV6:
        if (uint16_t type = ip_ethertype(f, len)) with_header(kDeviceMac, type, f, len, 0);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        if (len < 4) return {};
        if (uint16_t type = ip_ethertype(f + 4, len - 4)) with_header(kDeviceMac, type, f + 4, len - 4, 4);
        break;
    default: break;
    }
    return out;
}

std::vector<Frame> read_input(const std::string& path, size_t& skipped) {
    char error[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), error);
    if (!p) throw std::runtime_error(path + ": " + error);
    int linktype = pcap_datalink(p);
    std::vector<Frame> frames;
    pcap_pkthdr* h;
    const uint8_t* data;
    int64_t first = INT64_MIN;
    while (pcap_next_ex(p, &h, &data) == 1) {
        uint32_t wire = h->len;
        auto eth = to_ethernet(linktype, data, h->caplen, wire);
        if (eth.empty()) {
            ++skipped;
            continue;
        }
        int64_t t = int64_t{h->ts.tv_sec} * 1'000'000 + h->ts.tv_usec;
        if (first == INT64_MIN || t < first) first = t;
        frames.push_back({t, std::move(eth), wire});
    }
    pcap_close(p);
    // Time since the first packet, with every gap over a day shrunk to a
    // second: some nDPI fixtures join captures taken years apart.
    std::vector<size_t> order(frames.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return frames[a].rel_us < frames[b].rel_us; });
    int64_t removed = 0, previous = first;
    for (size_t i : order) {
        int64_t t = frames[i].rel_us;
        if (t - previous > kLongestGap) removed += t - previous - 1'000'000;
        previous = t;
        frames[i].rel_us = t - first - removed;
    }
    return frames;
}

bool ipv4_group_or_unspecified(const uint8_t* a) {
    return a[0] >= 224 || (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0);
}

void ipv4_checksum(uint8_t* ip, size_t header_len) {
    ip[10] = ip[11] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < header_len; i += 2) sum += rd16(ip + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = uint16_t(~sum);
    ip[10] = uint8_t(c >> 8);
    ip[11] = uint8_t(c);
}

// Replica k's addresses: see the header.
void rewrite(std::vector<uint8_t>& f, unsigned k) {
    if (k == 0 || f.size() < 14) return;
    for (size_t mac = 0; mac < 12; mac += 6)
        if (!(f[mac] & 1)) f[mac + 4] ^= uint8_t(k);
    size_t at = 12;
    uint16_t type = rd16(&f[at]);
    while ((type == 0x8100 || type == 0x88a8) && f.size() >= at + 6) {
        at += 4;
        type = rd16(&f[at]);
    }
    uint8_t* l3 = f.data() + at + 2;
    size_t l3_len = f.size() - (at + 2);
    if (type == 0x0800 && l3_len >= 20) {
        size_t ihl = size_t(l3[0] & 15) * 4;
        for (size_t a = 12; a <= 16; a += 4)
            if (!ipv4_group_or_unspecified(l3 + a)) l3[a + 2] ^= uint8_t(k);
        if (ihl >= 20 && ihl <= l3_len) ipv4_checksum(l3, ihl);
    } else if (type == 0x86dd && l3_len >= 40) {
        for (size_t a = 8; a <= 24; a += 16) {
            uint8_t* addr = l3 + a;
            bool unspecified = std::all_of(addr, addr + 16, [](uint8_t b) { return b == 0; });
            if (addr[0] != 0xff && !unspecified) addr[13] ^= uint8_t(k);
        }
    }
}

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: make-real-capture --packets N [--span-days D] [--stagger-s S] OUT.pcap INPUT...\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t packets = 0;
    double span_days = 0, stagger_s = 60;
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--packets" || a == "--span-days" || a == "--stagger-s") && i + 1 < argc) {
            double v = std::atof(argv[++i]);
            if (a == "--packets") packets = uint64_t(v);
            else if (a == "--span-days") span_days = v;
            else stagger_s = v;
        } else if (a.rfind("--", 0) == 0) {
            usage();
        } else {
            args.push_back(a);
        }
    }
    if (packets == 0 || args.size() < 2) usage();
    try {
        std::vector<Frame> base;
        size_t skipped = 0;
        int64_t longest = 0;
        std::vector<std::string> inputs(args.begin() + 1, args.end());
        std::sort(inputs.begin(), inputs.end());  // the same bytes whatever order the shell gives
        for (const auto& path : inputs) {
            auto frames = read_input(path, skipped);
            for (auto& f : frames) {
                longest = std::max(longest, f.rel_us);
                base.push_back(std::move(f));
            }
        }
        if (base.empty()) throw std::runtime_error("no packets in the inputs");
        if (span_days > 0 && longest > 0) {
            double scale = span_days * 86400e6 / double(longest);
            for (auto& f : base) f.rel_us = int64_t(std::llround(double(f.rel_us) * scale));
            longest = int64_t(span_days * 86400e6);
        }
        std::stable_sort(base.begin(), base.end(), [](const Frame& a, const Frame& b) { return a.rel_us < b.rel_us; });
        uint64_t replicas = std::max<uint64_t>(1, (packets + base.size() / 2) / base.size());
        if (replicas > 256) throw std::runtime_error("more than 256 replicas: too few input packets for --packets");

        pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
        pcap_dumper_t* out = pcap_dump_open(dead, args[0].c_str());
        if (!out) throw std::runtime_error(args[0] + ": " + pcap_geterr(dead));
        const int64_t t0 = 1'790'812'800'000'000;  // 2026-10-01T00:00:00Z
        const int64_t stagger = int64_t(stagger_s * 1e6);
        // Merge the replicas by time: (time, replica, index into base).
        using Cursor = std::tuple<int64_t, uint64_t, size_t>;
        std::priority_queue<Cursor, std::vector<Cursor>, std::greater<>> heap;
        for (uint64_t k = 0; k < replicas; ++k) heap.emplace(int64_t(k) * stagger + base[0].rel_us, k, 0);
        std::vector<uint8_t> frame;
        uint64_t written = 0;
        int64_t last = 0;
        while (!heap.empty()) {
            auto [t, k, i] = heap.top();
            heap.pop();
            frame = base[i].bytes;
            rewrite(frame, unsigned(k));
            pcap_pkthdr h{};
            int64_t ts = t0 + t;
            h.ts.tv_sec = ts / 1'000'000;
            h.ts.tv_usec = ts % 1'000'000;
            h.caplen = uint32_t(frame.size());
            h.len = std::max<uint32_t>(base[i].wire_len, h.caplen);
            pcap_dump(reinterpret_cast<u_char*>(out), &h, frame.data());
            ++written;
            last = t;
            if (i + 1 < base.size()) heap.emplace(int64_t(k) * stagger + base[i + 1].rel_us, k, i + 1);
        }
        pcap_dump_close(out);
        pcap_close(dead);
        std::printf("%s: %llu packets, %llu replicas of %zu input packets (%zu frames of other link types skipped), "
                    "%.2f days of capture time\n",
                    args[0].c_str(), (unsigned long long)written, (unsigned long long)replicas, base.size(), skipped,
                    double(last) / 86400e6);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make-real-capture: %s\n", e.what());
        return 1;
    }
    return 0;
}
