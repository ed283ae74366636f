#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <vector>

#include "egresswatch/packet_hold.hpp"
#include "temp_dir.hpp"

using namespace egresswatch;

namespace {

const IpAddress kDevice = *IpAddress::parse("10.0.0.2");
const IpAddress kRemote = *IpAddress::parse("198.51.100.7");

DecodedPacket packet(bool from_device, uint16_t device_port = 50000) {
    DecodedPacket p;
    p.ip_version = 4;
    p.ip_protocol = 6;
    p.src_ip = from_device ? kDevice : kRemote;
    p.dst_ip = from_device ? kRemote : kDevice;
    p.src_port = from_device ? device_port : 443;
    p.dst_port = from_device ? 443 : device_port;
    return p;
}

FrameHeader header(int64_t ts_us, uint32_t caplen) {
    FrameHeader h{};
    h.ts.tv_sec = ts_us / 1'000'000;
    h.ts.tv_usec = ts_us % 1'000'000;
    h.caplen = caplen;
    h.len = caplen + 10;
    return h;
}

// The flow record's view of the flow whose first packet was packet `sequence`.
FlowData flow_of(uint64_t sequence, int64_t first_us, uint16_t device_port = 50000) {
    FlowData f;
    f.key = FlowKey::from(packet(true, device_port));
    f.sequence = sequence;
    f.device_is_low = f.key.low_ip == kDevice;
    f.first_us = first_us;
    return f;
}

std::vector<uint8_t> frame(size_t size, uint8_t fill) { return std::vector<uint8_t>(size, fill); }

std::string directions(const std::vector<HeldPacket>& packets) {
    std::string out;
    for (const auto& p : packets) out += std::string(out.empty() ? "" : " ") + to_string(p.direction);
    return out;
}

// A file of frames, mapped as the reader maps a capture, with its cut flag.
class FramesFile {
public:
    explicit FramesFile(const std::vector<std::vector<uint8_t>>& frames) : dir_("hold") {
        path_ = (dir_.path() / "frames").string();
        std::ofstream out(path_, std::ios::binary);
        for (const auto& f : frames) {
            offsets_.push_back(size_);
            out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
            size_ += f.size();
        }
        out.close();
        int fd = ::open(path_.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        void* map = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        REQUIRE(map != MAP_FAILED);
        file_ = {&cut, fd, static_cast<const uint8_t*>(map)};
    }
    ~FramesFile() {
        munmap(const_cast<uint8_t*>(file_.base), size_);
        ::close(file_.fd);
    }
    FramesFile(const FramesFile&) = delete;
    FramesFile& operator=(const FramesFile&) = delete;

    const FramesInPlace* file() const { return &file_; }
    const uint8_t* frame(size_t i) const { return file_.base + offsets_.at(i); }
    // Another program rewrites frame i's first byte in place.
    void rewrite(size_t i, uint8_t value) {
        int fd = ::open(path_.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        REQUIRE(pwrite(fd, &value, 1, static_cast<off_t>(offsets_.at(i))) == 1);
        ::close(fd);
    }

    std::atomic<bool> cut{false};

private:
    test::TempDir dir_;
    std::string path_;
    std::vector<size_t> offsets_;
    size_t size_ = 0;
    FramesInPlace file_;
};

// A hold of 4 packets each way (snap length 100) that watches `file`'s frames.
struct WatchedHold {
    PacketHold hold{PacketHoldConfig{4, 100, 1 << 20}};
    FramesCutWatch frames;
    explicit WatchedHold(const FramesInPlace* file) {
        frames.watch(file);
        hold.watch_frames(&frames);
    }
};

}  // namespace

TEST_CASE("packet hold: the first N packets each way, cut to the snap length, after the DNS answer") {
    PacketHold hold(PacketHoldConfig{2, 100, 1 << 20});
    auto dns = frame(80, 9);
    hold.add_dns_answer(kDevice, {kRemote}, 1, header(500, 80), dns.data());
    for (int i = 0; i < 5; ++i) {
        auto bytes = frame(150, static_cast<uint8_t>(i));
        hold.add(packet(i % 2 == 0), 7 + i, 1, header(1000 + i, 150), bytes.data());
    }
    auto taken = hold.take(flow_of(7, 1000), "run-7", true, true);
    REQUIRE(taken.size() == 5);
    CHECK(directions(taken) == "dns out in out in");
    CHECK(taken[0].data == dns);
    CHECK(taken[1].data == frame(100, 0));  // cut to 100 of 150 bytes
    CHECK(taken[1].origlen == 160);
    CHECK(taken[1].ts_us == 1000);
    CHECK(taken[4].data == frame(100, 3));  // the fifth packet (out, a third) was not held
    CHECK(hold.not_kept() == 0);
    CHECK(hold.open_flows() == 0);
}

TEST_CASE("packet hold: frames kept across several chunks come back whole and in order") {
    PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
    for (int i = 0; i < 32; ++i) {
        auto bytes = frame(500, static_cast<uint8_t>(i));
        hold.add(packet(i % 2 == 0), 1 + i, 1, header(100 + i, 500), bytes.data());
    }
    // Each frame is kept after its 24 bytes of bookkeeping: 528 bytes with
    // alignment. Chunks of 1024 (256 doubled until one fits), 2048, then
    // 4096 bytes: 1 + 3 + 7 + 7 + 7 + 7 frames.
    CHECK(hold.bytes() == 256 + 1024 + 2048 + 4 * 4096);
    auto taken = hold.take(flow_of(1, 100), "r-1", true, false);
    REQUIRE(taken.size() == 32);
    for (int i = 0; i < 32; ++i) {
        CHECK(taken[i].data == frame(500, static_cast<uint8_t>(i)));
        CHECK(taken[i].ts_us == 100 + i);
    }
    CHECK(hold.bytes() == 256);  // the entry stays for the open flow, its chunks are given back
    CHECK(hold.take(flow_of(1, 100), "r-1", true, true).empty());  // N each way were seen already
    CHECK(hold.bytes() == 0);
}

TEST_CASE("packet hold: an open alert gives its packets once, and a flow without an alert keeps them for a late one") {
    PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
    auto bytes = frame(60, 1);
    hold.add(packet(true), 1, 1, header(10, 60), bytes.data());
    hold.add(packet(false, 50001), 2, 1, header(11, 60), bytes.data());  // another flow
    CHECK(hold.take(flow_of(1, 10), "r-1", true, false).size() == 1);   // an open snapshot that alerts
    hold.add(packet(false), 3, 1, header(12, 60), bytes.data());
    CHECK(directions(hold.take(flow_of(1, 10), "r-1", true, true)) == "in");  // only what came since

    CHECK(hold.take(flow_of(2, 11, 50001), "r-2", false, true).empty());  // no alert: nothing now
    hold.age();
    CHECK(directions(hold.take_ended("r-2")) == "in");  // a late alert within two flushes
    CHECK(hold.take_ended("r-2").empty());

    hold.add(packet(true, 50002), 4, 1, header(13, 60), bytes.data());
    hold.take(flow_of(4, 13, 50002), "r-4", false, true);
    hold.age();
    hold.age();
    CHECK(hold.take_ended("r-4").empty());  // aged out
    CHECK(hold.bytes() == 0);
}

TEST_CASE("packet hold: a flow's key reused by a later flow does not give it the earlier one's packets") {
    PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
    auto bytes = frame(60, 1);
    hold.add(packet(true), 5, 1, header(10, 60), bytes.data());
    CHECK(hold.take(flow_of(9, 10), "r-9", true, true).empty());
    CHECK(hold.open_flows() == 0);
}

TEST_CASE("packet hold: a flow closed in its shard keeps its packets apart from the next flow of its key") {
    PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
    hold.set_threaded();
    auto first = frame(60, 1), later = frame(70, 2);
    hold.add(packet(true), 5, 1, header(10, 60), first.data());
    hold.close(flow_of(5, 10).key, 5);
    // The shard sees the next flow of the same addresses and ports before
    // the first one's final record is written.
    hold.add(packet(true), 9, 1, header(20, 70), later.data());
    // Its record as an open flow, written after that: its own packets.
    auto one = hold.take(flow_of(5, 10), "r-5", true, false);
    REQUIRE(one.size() == 1);
    CHECK(one[0].data == first);
    CHECK(hold.take(flow_of(5, 10), "r-5", true, true).empty());  // all given already
    // A final record of an earlier flow does not drop the later one's packets.
    CHECK(hold.take(flow_of(3, 5), "r-3", true, true).empty());
    auto two = hold.take(flow_of(9, 20), "r-9", true, true);
    REQUIRE(two.size() == 1);
    CHECK(two[0].data == later);
    CHECK(hold.open_flows() == 0);
}

TEST_CASE("packet hold: the memory budget bounds what is held, and what did not fit is counted") {
    // Room for one flow's entry (256 bytes) and its first, 256-byte chunk:
    // two 100-byte packets with their bookkeeping (128 bytes each), not a
    // third, which needs the next chunk (512 bytes).
    PacketHold hold(PacketHoldConfig{16, 512, 640});
    auto bytes = frame(100, 1);
    for (int i = 0; i < 5; ++i) hold.add(packet(true), 1 + i, 1, header(10 + i, 100), bytes.data());
    CHECK(hold.not_kept() == 3);
    CHECK(hold.bytes() == 512);
    hold.add(packet(true, 50001), 6, 1, header(20, 100), bytes.data());  // no room for another flow
    CHECK(hold.not_kept() == 4);
    CHECK(hold.take(flow_of(1, 10), "r-1", true, true).size() == 2);
    CHECK(hold.bytes() == 0);

    // Flows ended without an alert make room first.
    hold.add(packet(true, 50003), 7, 1, header(30, 100), bytes.data());
    hold.take(flow_of(7, 30, 50003), "r-7", false, true);
    hold.add(packet(true, 50004), 8, 1, header(31, 100), bytes.data());
    hold.add(packet(true, 50004), 9, 1, header(32, 100), bytes.data());
    CHECK(hold.not_kept() == 4);
    CHECK(hold.take_ended("r-7").empty());
}

TEST_CASE("packet hold: off with zero packets per direction") {
    PacketHold hold(PacketHoldConfig{0, 512, 1 << 20});
    auto bytes = frame(60, 1);
    hold.add(packet(true), 1, 1, header(10, 60), bytes.data());
    CHECK(hold.take(flow_of(1, 10), "r-1", true, true).empty());
    CHECK(hold.bytes() == 0);
}

TEST_CASE("packet hold: a DNS answer learnt after the flow's first packet was held, but older, still counts") {
    PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
    auto bytes = frame(60, 1);
    hold.add(packet(true), 1, 1, header(1000, 60), bytes.data());
    auto dns = frame(80, 9);
    hold.add_dns_answer(kDevice, {kRemote}, 1, header(900, 80), dns.data());  // handed over late (lanes)
    CHECK(directions(hold.take(flow_of(1, 1000), "r-1", true, true)) == "dns out");

    PacketHold later(PacketHoldConfig{16, 512, 1 << 20});
    later.add(packet(true), 2, 1, header(2000, 60), bytes.data());
    later.add_dns_answer(kDevice, {kRemote}, 1, header(2500, 80), dns.data());  // after the flow began
    CHECK(directions(later.take(flow_of(2, 2000), "r-2", true, true)) == "out");

    // With several workers a shard holds a flow's first packet after the
    // capture thread learnt answers that came later: those are not its.
    PacketHold behind(PacketHoldConfig{16, 512, 1 << 20});
    behind.add_dns_answer(kDevice, {kRemote}, 1, header(2500, 80), dns.data());
    behind.add(packet(true), 2, 1, header(2000, 60), bytes.data());
    CHECK(directions(behind.take(flow_of(2, 2000), "r-2", true, true)) == "out");
}

TEST_CASE("packet hold: with workers, a flow is named by the answer learnt last before its first packet") {
    auto first = frame(80, 1), second = frame(80, 2), third = frame(80, 3);
    auto bytes = frame(60, 9);
    PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
    hold.set_threaded();
    // The capture thread learns three answers (packets 10, 20 and 30) before
    // the shards hold the first packets of flows that began at packets 15 and 25.
    hold.add_dns_answer(kDevice, {kRemote}, 1, header(1000, 80), first.data(), 10);
    hold.add_dns_answer(kDevice, {kRemote}, 1, header(2000, 80), second.data(), 20);
    hold.add_dns_answer(kDevice, {kRemote}, 1, header(3000, 80), third.data(), 30);
    hold.add(packet(true, 50001), 15, 1, header(1500, 60), bytes.data());
    hold.add(packet(true, 50002), 25, 1, header(2500, 60), bytes.data());
    auto one = hold.take(flow_of(15, 1500, 50001), "r-15", true, true);
    REQUIRE(one.size() == 2);
    CHECK(one[0].data == first);
    auto two = hold.take(flow_of(25, 2500, 50002), "r-25", true, true);
    REQUIRE(two.size() == 2);
    CHECK(two[0].data == second);
    // Once every packet up to 20 has been held, no flow still to come can
    // need the answer of packet 10; the answer of packet 20 is kept for
    // flows that began before 30.
    hold.settle(20);
    hold.add(packet(true, 50003), 16, 1, header(1600, 60), bytes.data());
    CHECK(directions(hold.take(flow_of(16, 1600, 50003), "r-16", true, true)) == "out");
    hold.add(packet(true, 50005), 26, 1, header(2600, 60), bytes.data());
    auto three = hold.take(flow_of(26, 2600, 50005), "r-26", true, true);
    REQUIRE(three.size() == 2);
    CHECK(three[0].data == second);
    hold.settle(30);  // and then only the last
    hold.add(packet(true, 50006), 27, 1, header(2700, 60), bytes.data());
    CHECK(directions(hold.take(flow_of(27, 2700, 50006), "r-27", true, true)) == "out");
    hold.add(packet(true, 50004), 35, 1, header(3500, 60), bytes.data());
    auto four = hold.take(flow_of(35, 3500, 50004), "r-35", true, true);
    REQUIRE(four.size() == 2);
    CHECK(four[0].data == third);
}

TEST_CASE("packet hold: a copy made once the frames' file was cut (watch_frames) is not kept") {
    auto first = frame(60, 1), second = frame(60, 2);
    FramesFile file({second});
    WatchedHold watched(file.file());
    auto& hold = watched.hold;
    hold.add(packet(true), 7, 1, header(1000, 60), first.data());
    file.cut = true;
    hold.add(packet(true), 8, 1, header(1001, 60), second.data());
    hold.add_dns_answer(kDevice, {kRemote}, 1, header(1002, 60), second.data());
    auto taken = hold.take(flow_of(7, 1000), "run-7", true, true);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].data == first);
}

TEST_CASE("packet hold: a frame that stays is held by reference and read back when its flow alerts") {
    FramesFile file({frame(150, 1), frame(60, 2)});
    WatchedHold watched(file.file());
    auto& hold = watched.hold;
    hold.add(packet(true), 7, 1, header(1000, 150), file.frame(0), true);
    hold.add(packet(false), 8, 1, header(1001, 60), file.frame(1), true);
    // A reference costs its bookkeeping, not the frame's bytes.
    PacketHold references(PacketHoldConfig{4, 100, 1 << 20}), copies(PacketHoldConfig{4, 100, 1 << 20});
    references.watch_frames(&watched.frames);
    for (int i = 0; i < 8; ++i) {
        references.add(packet(i % 2 == 0), 20 + i, 1, header(2000 + i, 150), file.frame(0), true);
        copies.add(packet(i % 2 == 0), 20 + i, 1, header(2000 + i, 150), file.frame(0));
    }
    CHECK(references.bytes() < copies.bytes());
    auto taken = hold.take(flow_of(7, 1000), "run-7", true, true);
    REQUIRE(taken.size() == 2);
    CHECK(directions(taken) == "out in");
    CHECK(taken[0].data == frame(100, 1));  // cut to the snap length, as a copy is
    CHECK(taken[0].origlen == 160);
    CHECK(taken[1].data == frame(60, 2));
    CHECK(taken[1].ts_us == 1001);
    CHECK(hold.not_kept() == 0);
}

TEST_CASE("packet hold: a frame held by reference whose file is cut before it is taken is not kept") {
    FramesFile file({frame(60, 1)}), next_file({frame(60, 3)});
    WatchedHold watched(file.file());
    auto& hold = watched.hold;
    auto copied = frame(60, 2);
    hold.add(packet(true), 7, 1, header(1000, 60), file.frame(0), true);
    hold.add(packet(true), 8, 1, header(1001, 60), copied.data(), false);
    // The next file is read: the flag that counts is the first file's.
    watched.frames.watch(next_file.file());
    file.cut = true;
    auto taken = hold.take(flow_of(7, 1000), "run-7", true, true);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].data == copied);
    CHECK(hold.not_kept() == 1);
}

TEST_CASE("packet hold: a frame held by reference and rewritten in its file before it is taken is not kept") {
    FramesFile file({frame(150, 1), frame(60, 2)});
    WatchedHold watched(file.file());
    auto& hold = watched.hold;
    hold.add(packet(true), 7, 1, header(1000, 150), file.frame(0), true);
    hold.add(packet(true), 8, 1, header(1001, 60), file.frame(1), true);
    file.rewrite(0, 9);  // the first byte of a frame kept to the snap length (100)
    auto taken = hold.take(flow_of(7, 1000), "run-7", true, true);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].data == frame(60, 2));
    CHECK(hold.not_kept() == 1);
}

TEST_CASE("packet hold: a frame from a file read unguarded is copied even if it stays") {
    PacketHold hold(PacketHoldConfig{4, 100, 1 << 20});
    FramesInPlace unguarded;  // no flag: the reader has no SIGBUS guard for this file
    FramesCutWatch frames;
    frames.watch(&unguarded);
    hold.watch_frames(&frames);
    auto bytes = frame(60, 1);
    hold.add(packet(true), 7, 1, header(1000, 60), bytes.data(), true);
    bytes.assign(60, 9);  // gone from where it was: the copy is what counts
    auto taken = hold.take(flow_of(7, 1000), "run-7", true, true);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].data == frame(60, 1));
}
