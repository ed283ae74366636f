// FlowWorkers: which worker a flow goes to, and that any number of workers
// gives the flow records one table gives.
#include <deque>
#include <pcap/dlt.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/flow_workers.hpp"
#include "gen/packet_builder.hpp"

using namespace egresswatch;

namespace {

FlowKey tcp_key(const char* client, uint16_t client_port, const char* server, uint16_t server_port) {
    DecodedPacket p;
    p.ip_version = IpAddress::parse(client)->is_v4 ? 4 : 6;
    p.src_ip = *IpAddress::parse(client);
    p.dst_ip = *IpAddress::parse(server);
    p.ip_protocol = 6;
    p.src_port = client_port;
    p.dst_port = server_port;
    return FlowKey::from(p);
}

// How many of `flows` connections from one client address to one server
// address and port (ports 40000 on) each of `workers` gets.
std::vector<int> split(const char* client, const char* server, int flows, size_t workers, uint64_t seed) {
    std::vector<int> per_worker(workers);
    for (int i = 0; i < flows; ++i)
        ++per_worker[FlowWorkers::route(tcp_key(client, static_cast<uint16_t>(40000 + i), server, 443), seed, workers)];
    return per_worker;
}

}  // namespace

TEST_CASE("flow workers: the flows between two addresses are spread over the workers", "[workers]") {
    // Issue 17: the ports reached only the hash's high bits, so with an even
    // worker count all of them went to one worker. 1000 flows: a fair share
    // is 500 of 2 or 250 of 4, and these bounds are over 4 standard deviations.
    for (uint64_t seed : {uint64_t{1}, uint64_t{0x9e3779b97f4a7c15}, uint64_t{0xdeadbeefcafef00d}}) {
        // The client's address below the server's (its port is the key's low
        // port), above it (the high port), and IPv6.
        for (auto [client, server] : {std::pair{"10.0.0.2", "198.51.100.7"}, std::pair{"203.0.113.9", "192.0.2.1"},
                                      std::pair{"fd00::2", "2001:db8::7"}}) {
            INFO("seed " << seed << ", " << client << " -> " << server);
            for (int n : split(client, server, 1000, 2, seed)) CHECK((n >= 430 && n <= 570));
            for (int n : split(client, server, 1000, 4, seed)) CHECK((n >= 180 && n <= 320));
            for (int n : split(client, server, 999, 3, seed)) CHECK((n >= 253 && n <= 413));
        }
    }
}

TEST_CASE("flow workers: both directions of a flow go to one worker", "[workers]") {
    for (uint16_t port = 40000; port < 40100; ++port)
        CHECK(FlowWorkers::route(tcp_key("10.0.0.2", port, "198.51.100.7", 443), 7, 4) ==
              FlowWorkers::route(tcp_key("198.51.100.7", 443, "10.0.0.2", port), 7, 4));
}

namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;  // packet time of the capture's start (us)
constexpr int64_t kSecond = 1'000'000;

// One packet of the capture: its frame, when it came, and its decoding.
struct CapturedPacket {
    capgen::Bytes frame;
    int64_t ts_us;
    DecodedPacket decoded;
};

FrameRef frame_of(const CapturedPacket& p) {
    FrameRef ref{DLT_EN10MB, {}, p.frame.data()};
    ref.header.caplen = ref.header.len = static_cast<uint32_t>(p.frame.size());
    ref.header.ts.tv_sec = p.ts_us / 1'000'000;
    ref.header.ts.tv_usec = p.ts_us % 1'000'000;
    return ref;
}

struct Capture {
    capgen::Mac camera_mac = capgen::mac("44:19:b6:00:00:21"), router_mac = capgen::mac("02:00:00:00:00:01");
    capgen::Ip camera = capgen::ip("10.0.0.21");
    std::vector<CapturedPacket> packets;

    void add(int64_t at_ms, bool outbound, const capgen::Ip& remote, uint8_t protocol, const capgen::Bytes& segment) {
        const capgen::Ip& src = outbound ? camera : remote;
        const capgen::Ip& dst = outbound ? remote : camera;
        capgen::Bytes ip = capgen::ipv4(src, dst, protocol, segment);
        packets.push_back({outbound ? capgen::ethernet(router_mac, camera_mac, capgen::kEtherTypeIpv4, ip)
                                    : capgen::ethernet(camera_mac, router_mac, capgen::kEtherTypeIpv4, ip),
                           kT0 + at_ms * 1000, {}});
    }
    void tcp(int64_t at_ms, bool outbound, const capgen::Ip& remote, uint16_t camera_port, uint8_t flags,
             size_t payload) {
        capgen::TcpFields f;
        f.src_port = outbound ? camera_port : 443;
        f.dst_port = outbound ? 443 : camera_port;
        f.flags = flags;
        const capgen::Ip& src = outbound ? camera : remote;
        const capgen::Ip& dst = outbound ? remote : camera;
        add(at_ms, outbound, remote, capgen::kProtoTcp, capgen::tcp(src, dst, f, capgen::Bytes(payload, 0)));
    }
    void udp(int64_t at_ms, bool outbound, const capgen::Ip& remote, uint16_t camera_port, size_t payload) {
        const capgen::Ip& src = outbound ? camera : remote;
        const capgen::Ip& dst = outbound ? remote : camera;
        add(at_ms, outbound, remote, capgen::kProtoUdp,
            capgen::udp(src, dst, outbound ? camera_port : 123, outbound ? 123 : camera_port,
                        capgen::Bytes(payload, 0)));
    }
    void sort_and_decode() {
        std::stable_sort(packets.begin(), packets.end(),
                         [](const CapturedPacket& a, const CapturedPacket& b) { return a.ts_us < b.ts_us; });
        for (auto& p : packets)
            REQUIRE(decode_packet(1 /* DLT_EN10MB */, p.frame.data(), static_cast<uint32_t>(p.frame.size()),
                                  static_cast<uint32_t>(p.frame.size()), p.decoded) == DecodeStatus::ok);
    }
};

// A camera's 30 TCP connections to one server, one every 2 s (port 40000 + i,
// 100 + i bytes of payload out and 1000 + 10 i in): every third ends with FIN
// both ways, every third with RST, the rest stay open. 10 UDP exchanges with
// a time server (port 50000 + j), one every 3 s. One last connection at 100 s,
// after every closed and UDP flow has timed out.
Capture camera_capture() {
    Capture c;
    capgen::Ip server = capgen::ip("198.51.100.7"), time_server = capgen::ip("192.0.2.123");
    using namespace capgen::tcp_flags;
    for (int i = 0; i < 30; ++i) {
        int64_t start = i * 2000;
        auto port = static_cast<uint16_t>(40000 + i);
        c.tcp(start, true, server, port, kSyn, 0);
        c.tcp(start + 100, false, server, port, kSyn | kAck, 0);
        c.tcp(start + 200, true, server, port, kAck | kPsh, 100 + i);
        c.tcp(start + 300, false, server, port, kAck | kPsh, 1000 + 10 * i);
        if (i % 3 == 0) {
            c.tcp(start + 1000, true, server, port, kFin | kAck, 0);
            c.tcp(start + 1100, false, server, port, kFin | kAck, 0);
        } else if (i % 3 == 1) {
            c.tcp(start + 1000, false, server, port, kRst, 0);
        }
    }
    for (int j = 0; j < 10; ++j) {
        auto port = static_cast<uint16_t>(50000 + j);
        c.udp(j * 3000 + 500, true, time_server, port, 48);
        c.udp(j * 3000 + 550, false, time_server, port, 48);
    }
    c.tcp(100'000, true, capgen::ip("198.51.100.8"), 41000, kSyn, 0);
    c.sort_and_decode();
    return c;
}

// Feeds the capture to `workers` workers as the sensor does (expire() called
// once per packet-time second, a flush every 30 s of packet time, everything ended at
// the end), and writes each output, after what gave it, as one line:
//   <phase>@<ms> <sequence> <final|open> <device port> <bytes out>/<bytes in>
//   <packets out>/<packets in> <first ms>-<last ms> <closed|open>
std::vector<std::string> run_workers(const Capture& capture, int workers) {
    FlowShardConfig config;
    config.is_local = [](const IpAddress& a) { return a.to_string().rfind("10.", 0) == 0; };
    FlowWorkers flows(workers, config);
    std::vector<std::string> lines;
    auto emit = [&](const char* phase, int64_t ts_us, const std::vector<FlowOutput>& outputs) {
        for (const FlowOutput& out : outputs) {
            const FlowData& f = out.flow;
            lines.push_back(std::string(phase) + "@" + std::to_string((ts_us - kT0) / 1000) + " " +
                            std::to_string(f.sequence) + " " + (out.final ? "final " : "open ") +
                            std::to_string(f.device_port()) + " " + std::to_string(f.bytes_out) + "/" +
                            std::to_string(f.bytes_in) + " " + std::to_string(f.packets_out) + "/" +
                            std::to_string(f.packets_in) + " " + std::to_string((f.first_us - kT0) / 1000) + "-" +
                            std::to_string((f.last_us - kT0) / 1000) + " " + (f.is_closed() ? "closed" : "open"));
        }
    };
    int64_t last_expiry_us = 0, last_flush_us = kT0;
    std::vector<size_t> open_at_flushes;  // read after a barrier: the shards' counts are settled
    uint64_t index = 0;
    for (const CapturedPacket& p : capture.packets) {
        ++index;
        if (p.ts_us - last_expiry_us >= kSecond || p.ts_us < last_expiry_us) {
            last_expiry_us = p.ts_us;
            emit("expire", p.ts_us, flows.expire(p.ts_us));
        }
        if (p.ts_us - last_flush_us >= 30 * kSecond) {
            last_flush_us = p.ts_us;
            emit("flush", p.ts_us, flows.snapshot_changed());
            open_at_flushes.push_back(flows.open_flows());
        }
        flows.process(frame_of(p), p.decoded, p.ts_us, index);
    }
    CHECK(open_at_flushes == std::vector<size_t>{17, 10});
    emit("end", capture.packets.back().ts_us, flows.end_all());
    CHECK(flows.open_flows() == 0);
    CHECK(flows.evicted() == 0);
    return lines;
}

size_t count_starting(const std::vector<std::string>& lines, const std::string& prefix, const char* word) {
    return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
        return line.rfind(prefix, 0) == 0 && line.find(word) != std::string::npos;
    }));
}

}  // namespace

TEST_CASE("flow workers: one worker and three give the same flow records, at the same points", "[workers]") {
    Capture capture = camera_capture();
    REQUIRE(capture.packets.size() == 30 * 4 + 10 * 2 + 10 + 1 + 20);
    std::vector<std::string> one = run_workers(capture, 1);
    std::vector<std::string> three = run_workers(capture, 3);
    CHECK(one == three);

    // 41 flows, each ended once: the 20 closed TCP flows and the 10 UDP ones
    // by expiry, the 10 open TCP flows and the last one at the end.
    CHECK(count_starting(one, "", " final ") == 41);
    CHECK(count_starting(one, "expire@", " final ") == 30);
    CHECK(count_starting(one, "end@", " final ") == 11);
    // Flushes copy the open flows changed since the last: at 30 s the 10 UDP
    // flows, the 5 open TCP flows and the 2 closed not yet timed out; at 100 s
    // the open TCP flows begun since.
    CHECK(count_starting(one, "flush@30000 ", " open ") == 17);
    CHECK(count_starting(one, "flush@100000 ", " open ") == 5);
    CHECK(one.size() == 41 + 17 + 5);

    // Connection 0 (FIN both ways at 1.1 s) ends 5 s after its last packet,
    // at the first expiry since: they come a step (5 s, the closed timeout)
    // apart, at 0, 6 and 12 s. Its sequence is its first packet's index.
    CHECK(std::find(one.begin(), one.end(), "expire@12000 1 final 40000 220/1120 3/3 0-1100 closed") != one.end());
    // Connection 1 (RST at 3 s) and the last open connection.
    CHECK(std::find(one.begin(), one.end(), "expire@12000 9 final 40001 181/1130 2/3 2000-3000 closed") != one.end());
    CHECK(std::find(one.begin(), one.end(), "end@100000 167 final 40029 209/1370 2/2 58000-58300 open") != one.end());
    CHECK(std::find(one.begin(), one.end(), "end@100000 171 final 41000 40/0 1/0 100000-100000 open") != one.end());
    // The UDP exchanges (the last at 27.55 s) time out 60 s on: at the first expiry since, 100 s.
    CHECK(count_starting(one, "expire@100000 ", " final 5000") == 10);
}

namespace {

// A flow record as it ends, whenever and wherever that is.
std::string final_line(const FlowData& f) {
    return std::to_string(f.sequence) + " " + std::to_string(f.device_port()) + " " + std::to_string(f.bytes_out) +
           "/" + std::to_string(f.bytes_in) + " " + std::to_string(f.packets_out) + "/" +
           std::to_string(f.packets_in) + " " + std::to_string((f.first_us - kT0) / 1000) + "-" +
           std::to_string((f.last_us - kT0) / 1000) + " " + (f.is_closed() ? "closed" : "open");
}

std::vector<std::string> final_lines(const std::vector<FlowOutput>& outputs) {
    std::vector<std::string> lines;
    for (const FlowOutput& out : outputs)
        if (out.final) lines.push_back(final_line(out.flow));
    return lines;
}

}  // namespace

TEST_CASE("flow workers: barriers after a burst and after a trickle give one worker's records, at the same points",
          "[workers]") {
    // A burst of 400 UDP flows in 0.4 s, then one flow every 7 s (a few
    // packets per barrier).
    Capture capture;
    for (int i = 0; i < 400; ++i) capture.udp(i, true, capgen::ip("198.51.100.9"), static_cast<uint16_t>(20000 + i), 40);
    for (int j = 0; j < 12; ++j) {
        capture.udp(1000 + j * 7000, true, capgen::ip("203.0.113.5"), static_cast<uint16_t>(30000 + j), 40);
        capture.udp(1000 + j * 7000 + 20, false, capgen::ip("203.0.113.5"), static_cast<uint16_t>(30000 + j), 60);
    }
    capture.tcp(300'000, true, capgen::ip("198.51.100.8"), 41000, 0x02, 0);
    capture.sort_and_decode();
    FlowWorkers::HandOver hand_over;
    auto run = [&](int workers) {
        FlowShardConfig config;
        config.is_local = [](const IpAddress& a) { return a.to_string().rfind("10.", 0) == 0; };
        FlowWorkers flows(workers, config);
        std::vector<std::string> lines;
        auto emit = [&](int64_t ts_us, const std::vector<FlowOutput>& outputs) {
            for (const FlowOutput& out : outputs)
                if (out.final) lines.push_back(std::to_string((ts_us - kT0) / 1000) + " " + final_line(out.flow));
        };
        int64_t last_expiry_us = 0;
        uint64_t index = 0;
        for (const CapturedPacket& p : capture.packets) {
            if (p.ts_us - last_expiry_us >= kSecond) emit(last_expiry_us = p.ts_us, flows.expire(p.ts_us));
            flows.process(frame_of(p), p.decoded, p.ts_us, ++index);
        }
        emit(capture.packets.back().ts_us, flows.end_all());
        hand_over = flows.hand_over();
        return lines;
    };
    std::vector<std::string> one = run(1);
    CHECK(hand_over.to_workers + hand_over.batches + hand_over.barriers == 0);  // no worker threads
    CHECK(run(3) == one);
    // Every packet goes to the workers' threads. 14 barriers: before the
    // first packet, every 7 s from 8 s to 78 s, at 300 s, and the end.
    CHECK(hand_over.to_workers == 425);
    CHECK(hand_over.batches == 42);  // expire() waits: each barrier is sent to each worker at once
    CHECK(hand_over.barriers == 14);
    CHECK(run(2) == one);
    CHECK(hand_over.to_workers == 425);
    CHECK(hand_over.batches == 28);
    REQUIRE(one.size() == 400 + 12 + 1);
    // The burst's flows time out 60 s after their packet, at the first
    // expiry a step (5 s) after the last: packet time 64 s (the trickle's 10th flow).
    CHECK(one.front() == "64000 1 20000 68/0 1/0 0-0 open");
    CHECK(one.back() == "300000 425 41000 40/0 1/0 300000-300000 open");
}

TEST_CASE("flow workers: barriers collected many barriers late give the flows each had, in order", "[workers]") {
    // As the sensor does with worker threads: post every barrier, and
    // collect each only later (here: whenever 40 are waiting, and at the
    // end), so that workers are sent barriers with their packets.
    Capture capture;
    for (int i = 0; i < 300; ++i)
        capture.udp(i * 1000, i % 2 == 0, capgen::ip("198.51.100.9"), static_cast<uint16_t>(20000 + i % 50), 40 + i);
    capture.sort_and_decode();
    auto run = [&](int workers, size_t lag) {
        FlowShardConfig config;
        config.is_local = [](const IpAddress& a) { return a.to_string().rfind("10.", 0) == 0; };
        config.timeouts.udp_us = 20'000'000;
        FlowWorkers flows(workers, config);
        std::deque<std::pair<uint64_t, int64_t>> posted;  // ticket, barrier time
        std::vector<std::string> lines;
        auto collect_oldest = [&] {
            auto [ticket, ts_us] = posted.front();
            posted.pop_front();
            for (const FlowOutput& out : flows.collect(ticket))
                lines.push_back(std::to_string((ts_us - kT0) / 1000) + (out.final ? " end " : " open ") + final_line(out.flow));
        };
        uint64_t index = 0;
        for (const CapturedPacket& p : capture.packets) {
            if (auto ticket = flows.post_expiry(p.ts_us)) posted.emplace_back(*ticket, p.ts_us);
            if (index % 37 == 0) posted.emplace_back(flows.post(FlowWorkers::Command::snapshot), p.ts_us);
            while (posted.size() > lag || (!posted.empty() && lag > 0 && flows.done(posted.front().first) && index % 3 == 0))
                collect_oldest();
            flows.process(frame_of(p), p.decoded, p.ts_us, ++index);
        }
        posted.emplace_back(flows.post(FlowWorkers::Command::end_all), capture.packets.back().ts_us);
        while (!posted.empty()) collect_oldest();
        return lines;
    };
    std::vector<std::string> one = run(1, 0);
    REQUIRE(one.size() > 300);
    CHECK(run(3, 40) == one);
    CHECK(run(2, 5) == one);
    CHECK(run(4, 0) == one);
}

TEST_CASE("flow workers: lanes read by threads of their own give the records one table gives", "[workers]") {
    // Live capture with PACKET_FANOUT: the capture owns a thread per lane,
    // which serves the lane between reads; barriers reach the lanes while
    // they run, and run on the caller's thread once they have stopped.
    Capture capture = camera_capture();
    FlowShardConfig config;
    config.is_local = [](const IpAddress& a) { return a.to_string().rfind("10.", 0) == 0; };

    std::vector<std::string> expected;
    {
        FlowWorkers one(1, config);
        uint64_t index = 0;
        for (const CapturedPacket& p : capture.packets) {
            auto expired = one.expire(p.ts_us);
            for (auto& line : final_lines(expired)) expected.push_back(line);
            one.process(frame_of(p), p.decoded, p.ts_us, ++index);
        }
        for (auto& line : final_lines(one.end_all())) expected.push_back(line);
    }
    REQUIRE(expected.size() == 41);

    constexpr size_t kLanes = 3;
    FlowWorkers flows(static_cast<int>(kLanes), config);
    flows.start_lanes();
    // What the kernel's fanout hash does: both directions of a flow to one lane.
    std::vector<std::vector<std::pair<const CapturedPacket*, uint64_t>>> per_lane(kLanes);
    uint64_t index = 0;
    for (const CapturedPacket& p : capture.packets)
        per_lane[FlowWorkers::route(FlowKey::from(p.decoded), 11, kLanes)].push_back({&p, ++index});
    for (const auto& lane : per_lane) REQUIRE_FALSE(lane.empty());

    std::atomic<bool> stopping{false};
    std::atomic<size_t> lanes_done{0};
    std::vector<std::thread> threads;
    for (size_t k = 0; k < kLanes; ++k)
        threads.emplace_back([&, k] {
            size_t next = 0;
            while (!stopping.load()) {
                flows.serve_lane(k);
                if (next < per_lane[k].size()) {
                    auto [packet, packet_index] = per_lane[k][next];
                    flows.process_on_lane(k, frame_of(*packet), packet->decoded, packet->ts_us, packet_index);
                    if (++next == per_lane[k].size()) ++lanes_done;
                } else {
                    std::this_thread::yield();
                }
            }
        });
    while (lanes_done.load() < kLanes) std::this_thread::yield();

    std::vector<FlowOutput> outputs = flows.take_lane_output();  // ended on the lanes by their own packet time
    std::vector<FlowOutput> snapshot = flows.snapshot_changed();  // a barrier the running lanes serve
    CHECK_FALSE(snapshot.empty());
    for (const FlowOutput& out : snapshot) CHECK_FALSE(out.final);
    CHECK(snapshot.size() == flows.open_flows());

    stopping = true;
    for (auto& thread : threads) thread.join();
    flows.lanes_stopped();
    for (auto& out : flows.take_lane_output()) outputs.push_back(std::move(out));
    for (auto& out : flows.end_all()) outputs.push_back(std::move(out));  // run here: the lanes have stopped
    CHECK(flows.open_flows() == 0);

    std::vector<std::string> got = final_lines(outputs);
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    CHECK(got == expected);
}

TEST_CASE("flow workers: shards hold a flow's first packets each way as evidence, and none of a LAN flow's",
          "[workers]") {
    Capture c;
    capgen::Ip remote = capgen::ip("198.51.100.7"), recorder = capgen::ip("10.0.0.5");
    using namespace capgen::tcp_flags;
    for (int i = 0; i < 20; ++i) {
        c.tcp(i * 100, true, remote, 40000, kAck | kPsh, 10 + i);
        c.tcp(i * 100 + 50, false, remote, 40000, kAck | kPsh, 10 + i);
        c.tcp(i * 100 + 60, true, recorder, 40001, kAck | kPsh, 10 + i);
    }
    c.sort_and_decode();
    for (int workers : {1, 3}) {
        INFO(workers << " workers");
        PacketHold hold(PacketHoldConfig{16, 512, 1 << 20});
        if (workers > 1) hold.set_threaded();
        FlowShardConfig config;
        config.is_local = [](const IpAddress& a) { return a.to_string().rfind("10.", 0) == 0; };
        config.hold = &hold;
        FlowWorkers flows(workers, config);
        uint64_t index = 0;
        for (const CapturedPacket& p : c.packets) flows.process(frame_of(p), p.decoded, p.ts_us, ++index);
        auto ended = flows.end_all();
        REQUIRE(ended.size() == 2);
        CHECK(hold.open_flows() == 1);  // the LAN flow cannot alert: nothing held
        const FlowData& egress = ended[0].flow.remote_is_local ? ended[1].flow : ended[0].flow;
        auto held = hold.take(egress, "r-1", true, true);
        REQUIRE(held.size() == 32);
        for (size_t i = 0; i < held.size(); ++i) {
            INFO("packet " << i);
            CHECK(held[i].direction == (i % 2 == 0 ? PacketDirection::out : PacketDirection::in));
            auto pair = static_cast<int64_t>(i / 2), way = static_cast<int64_t>(i % 2);
            CHECK(held[i].ts_us == kT0 + pair * 100'000 + way * 50'000);
        }
    }
}
