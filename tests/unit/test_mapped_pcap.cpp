// The in-place pcap reader against libpcap on the same files: both byte
// orders, micro- and nanosecond times, and files cut short or damaged.
#include <catch2/catch.hpp>

#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/mapped_pcap.hpp"

using egresswatch::daemon::MappedPcap;
using Bytes = std::vector<uint8_t>;

namespace {

struct Record {
    uint32_t seconds, fraction;
    Bytes frame;
    uint32_t original_length;
};

void put32(Bytes& out, uint32_t v, bool big_endian) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (big_endian ? 24 - 8 * i : 8 * i)));
}
void put16(Bytes& out, uint16_t v, bool big_endian) {
    out.push_back(static_cast<uint8_t>(big_endian ? v >> 8 : v));
    out.push_back(static_cast<uint8_t>(big_endian ? v : v >> 8));
}

Bytes pcap_file(const std::vector<Record>& records, bool big_endian, bool nanoseconds, uint32_t linktype = 1) {
    Bytes out;
    put32(out, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, big_endian);
    put16(out, 2, big_endian);
    put16(out, 4, big_endian);
    put32(out, 0, big_endian);
    put32(out, 0, big_endian);
    put32(out, 65535, big_endian);
    put32(out, linktype, big_endian);
    for (const auto& r : records) {
        put32(out, r.seconds, big_endian);
        put32(out, r.fraction, big_endian);
        put32(out, static_cast<uint32_t>(r.frame.size()), big_endian);
        put32(out, r.original_length, big_endian);
        out.insert(out.end(), r.frame.begin(), r.frame.end());
    }
    return out;
}

class TempFile {
public:
    explicit TempFile(const Bytes& content) {
        std::string pattern = (std::filesystem::temp_directory_path() / "egresswatch-pcap-XXXXXX").string();
        int fd = mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        close(fd);
        path_ = pattern;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct Packet {
    long seconds, microseconds;
    uint32_t caplen, len;
    Bytes frame;
    bool operator==(const Packet&) const = default;
};

// Every packet, and whether the file ended cleanly.
std::pair<std::vector<Packet>, bool> read_mapped(const std::string& path) {
    auto file = MappedPcap::open(path);
    REQUIRE(file);
    std::vector<Packet> packets;
    pcap_pkthdr h;
    const uint8_t* frame;
    int status;
    while ((status = file->next(h, frame)) == 1)
        packets.push_back({h.ts.tv_sec, h.ts.tv_usec, h.caplen, h.len, Bytes(frame, frame + h.caplen)});
    return {packets, status == 0};
}

std::pair<std::vector<Packet>, bool> read_libpcap(const std::string& path) {
    char error[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, error);
    REQUIRE(p);
    std::vector<Packet> packets;
    pcap_pkthdr* h;
    const u_char* frame;
    int status;
    while ((status = pcap_next_ex(p, &h, &frame)) == 1)
        packets.push_back({h->ts.tv_sec, h->ts.tv_usec, h->caplen, h->len, Bytes(frame, frame + h->caplen)});
    pcap_close(p);
    return {packets, status == PCAP_ERROR_BREAK};
}

const std::vector<Record> kRecords = {
    {1'793'609'990, 123456, Bytes(60, 0xab), 60},
    {1'793'609'991, 999999, Bytes(1514, 0x11), 1514},
    {1'793'609'991, 0, Bytes(96, 0x22), 1500},  // cut by the snapshot length
    {1'793'609'992, 42, Bytes{}, 0},
};

}  // namespace

TEST_CASE("mapped pcap: the same packets as libpcap, in both byte orders and time units", "[pcap]") {
    for (bool big_endian : {false, true}) {
        for (bool nanoseconds : {false, true}) {
            INFO("big endian " << big_endian << ", nanoseconds " << nanoseconds);
            std::vector<Record> records = kRecords;
            if (nanoseconds)
                for (auto& r : records) r.fraction *= 1000;
            TempFile file(pcap_file(records, big_endian, nanoseconds));
            auto mapped = read_mapped(file.path());
            CHECK(mapped == read_libpcap(file.path()));
            CHECK(mapped.first.size() == 4);
            CHECK(mapped.second);
            CHECK(mapped.first[0].microseconds == 123456);
        }
    }
}

TEST_CASE("mapped pcap: a file cut short keeps its whole packets and says why", "[pcap]") {
    Bytes whole = pcap_file(kRecords, false, false);
    for (size_t cut : {whole.size() - 10, whole.size() - 16 - 10, size_t{24 + 8}}) {
        INFO("cut to " << cut << " bytes");
        TempFile file(Bytes(whole.begin(), whole.begin() + static_cast<long>(cut)));
        auto mapped = read_mapped(file.path());
        auto reference = read_libpcap(file.path());
        CHECK(mapped.first == reference.first);
        CHECK_FALSE(mapped.second);
        auto reader = MappedPcap::open(file.path());
        pcap_pkthdr h;
        const uint8_t* frame;
        while (reader->next(h, frame) == 1) {
        }
        CHECK(reader->error().rfind("truncated dump file; tried to read ", 0) == 0);
    }
}

TEST_CASE("mapped pcap: an impossible capture length is an error, not a read past the end", "[pcap]") {
    Bytes bytes = pcap_file({kRecords[0]}, false, false);
    bytes[24 + 8] = 0xff, bytes[24 + 9] = 0xff, bytes[24 + 10] = 0xff;  // caplen 0x00ffffff
    TempFile file(bytes);
    auto reader = MappedPcap::open(file.path());
    pcap_pkthdr h;
    const uint8_t* frame;
    CHECK(reader->next(h, frame) == -1);
    CHECK(reader->error() == "invalid packet capture length 16777215, bigger than maximum of 262144");
}

TEST_CASE("mapped pcap: pcapng, other link types and short files are left to libpcap", "[pcap]") {
    TempFile pcapng(Bytes{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0, 0, 0});
    CHECK_FALSE(MappedPcap::open(pcapng.path()));
    TempFile ieee80211(pcap_file(kRecords, false, false, 105));
    CHECK_FALSE(MappedPcap::open(ieee80211.path()));
    TempFile empty(Bytes{});
    CHECK_FALSE(MappedPcap::open(empty.path()));
    TempFile raw(pcap_file(kRecords, false, false, 101));  // LINKTYPE_RAW is DLT_RAW
    auto reader = MappedPcap::open(raw.path());
    REQUIRE(reader);
    CHECK(reader->linktype() == DLT_RAW);
}
