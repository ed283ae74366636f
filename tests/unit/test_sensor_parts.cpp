// A Sensor built from parts the test gives (rules, test geolocation, an
// empty MAC registry, a store in a temporary file, a fixed run id), fed
// packets built with capgen: a camera resolves its vendor's cloud on the LAN
// resolver, then connects to the address without SNI. The records are exact.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "egresswatch/sensor.hpp"
#include "test_sensor_support.hpp"

using namespace egresswatch;
using sensor_test::kCameraMac;
using sensor_test::kRouterMac;

namespace {

struct KeptRecords : RecordSink {
    std::vector<std::string> flows, devices;
    void on_flow_record(const FlowRecord& r, const FlowDevice& device) override {
        flows.push_back(r.uid + " " + r.transport + " " + r.device_ip + ":" + std::to_string(r.device_port.value_or(0)) +
                        " > " + r.remote_ip + ":" + std::to_string(r.remote_port.value_or(0)) +
                        " domain=" + r.domain.value_or("-") + " country=" + r.country.value_or("-") +
                        " asn=" + std::to_string(r.asn.value_or(0)) + " severity=" + r.severity +
                        " closed=" + std::to_string(r.closed) + " device=" + std::string(device.kind) + "/" +
                        std::string(device.vendor));
    }
    void on_device_record(const DeviceRecord& d) override {
        std::string by;
        for (const auto& item : d.identified_by) by += (by.empty() ? "" : ",") + item;
        devices.push_back(d.ip + " " + d.mac.value_or("-") + " " + d.kind + " vendor=" + d.vendor.value_or("-") +
                          " by=" + by);
    }
};

SensorParts test_parts(const std::string& store_path) {
    SensorParts parts;
    parts.rules = std::make_shared<const Rules>(Rules::load(SOURCE_DIR "/rules", "GB"));
    parts.geo = std::make_unique<GeoLocator>(std::vector<std::string>{TEST_GEOIP_DIR});
    parts.oui = OuiRegistry::load("/nonexistent");
    parts.store = std::make_unique<StoreWriter>(store_path);
    parts.run_id = "test";
    return parts;
}

void feed(Sensor& sensor, int64_t ts_us, const capgen::Bytes& frame) {
    FrameHeader header{};
    header.ts.tv_sec = ts_us / 1'000'000;
    header.ts.tv_usec = ts_us % 1'000'000;
    header.caplen = header.len = static_cast<uint32_t>(frame.size());
    sensor.process(DLT_EN10MB, header, frame.data());
}

int64_t count(sqlite3* db, const char* table) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, (std::string("SELECT count(*) FROM ") + table).c_str(), -1, &s, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

}  // namespace

TEST_CASE("sensor from parts: a camera's cloud connection named by passive DNS", "[sensor][sensor_parts]") {
    sensor_test::TempPath store;
    SensorConfig config;
    config.rules_dir = SOURCE_DIR "/rules";  // nDPI's custom protocols
    config.local_networks = {*Cidr::parse("192.168.1.0/24")};
    KeptRecords kept;
    {
        Sensor sensor(config, test_parts(store.path()), &kept);
        const char* camera = "192.168.1.20";
        const char* resolver = "192.168.1.1";
        const char* cloud = "47.96.1.10";
        feed(sensor, 1'000'000,
             sensor_test::udp_frame(kCameraMac, kRouterMac, camera, resolver, 40000, 53,
                                    capgen::dns_query(9, "litedev.hik-connect.com", capgen::DnsType::kA)));
        feed(sensor, 1'010'000,
             sensor_test::udp_frame(kRouterMac, kCameraMac, resolver, camera, 53, 40000,
                                    capgen::dns_response(9, "litedev.hik-connect.com", capgen::DnsType::kA,
                                                         {{"litedev.hik-connect.com", capgen::DnsType::kA, 300, cloud}})));
        using namespace capgen::tcp_flags;
        feed(sensor, 1'100'000, sensor_test::tcp_frame(kCameraMac, kRouterMac, camera, cloud, sensor_test::tcp(50000, 443, 1, 0, kSyn)));
        feed(sensor, 1'200'000,
             sensor_test::tcp_frame(kRouterMac, kCameraMac, cloud, camera, sensor_test::tcp(443, 50000, 100, 2, kSyn | kAck)));
        feed(sensor, 1'300'000, sensor_test::tcp_frame(kCameraMac, kRouterMac, camera, cloud,
                                                       sensor_test::tcp(50000, 443, 2, 101, kPsh | kAck), capgen::tls_application_data(64)));
        feed(sensor, 1'400'000, sensor_test::tcp_frame(kRouterMac, kCameraMac, cloud, camera,
                                                       sensor_test::tcp(443, 50000, 101, 66, kPsh | kAck), capgen::tls_application_data(900)));
        REQUIRE(sensor.finish());
        const SensorCounters& c = sensor.counters();
        CHECK(c.packets == 6);
        CHECK(c.ip_packets == 6);
        CHECK(c.flows_written == 2);
        CHECK(c.alerts == 1);
        CHECK(c.dns_answers == 1);
    }
    std::sort(kept.flows.begin(), kept.flows.end());
    std::sort(kept.devices.begin(), kept.devices.end());
    // The lookup itself (the LAN resolver: no geolocation, no verdict), then
    // the connection, named by the answer and judged as the camera's.
    CHECK(kept.flows ==
          std::vector<std::string>{
              "test-1 udp 192.168.1.20:40000 > 192.168.1.1:53 domain=litedev.hik-connect.com country=- asn=0 "
              "severity= closed=1 device=camera/Hikvision",
              "test-3 tcp 192.168.1.20:50000 > 47.96.1.10:443 domain=litedev.hik-connect.com country=CN asn=37963 "
              "severity=high closed=1 device=camera/Hikvision"});
    CHECK(kept.devices ==
          std::vector<std::string>{
              "192.168.1.1 00:11:22:00:00:01 other vendor=- by=dns-server:1 client",
              "192.168.1.20 00:11:22:00:00:20 camera vendor=Hikvision by=dns:litedev.hik-connect.com"});

    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(store.path().c_str(), &db) == SQLITE_OK);
    CHECK(count(db, "flows") == 2);
    CHECK(count(db, "devices") == 2);
    CHECK(count(db, "dns") == 1);
    sqlite3_close(db);
}

namespace {

struct FlowTimes : RecordSink {
    std::vector<std::string> finals;  // "<device port> <first us>-<last us> <packets out>"
    void on_flow_record(const FlowRecord& r, const FlowDevice&) override {
        if (!r.closed || r.late_alert) return;  // final records only
        finals.push_back(std::to_string(r.device_port.value_or(0)) + " " + std::to_string(r.first_us) + "-" +
                         std::to_string(r.last_us) + " " + std::to_string(r.packets_out));
    }
    void on_device_record(const DeviceRecord&) override {}
};

SensorConfig lan_config() {
    SensorConfig config;
    config.rules_dir = SOURCE_DIR "/rules";
    config.local_networks = {*Cidr::parse("192.168.1.0/24")};
    return config;
}

// A camera's datagram to a server off the site, from `port`.
capgen::Bytes datagram(uint16_t port) {
    return sensor_test::udp_frame(kCameraMac, kRouterMac, "192.168.1.20", "192.0.2.10", port, 9999, capgen::Bytes(20, 0));
}

}  // namespace

TEST_CASE("sensor clock: impossible stamps are refused, a lone stamp far ahead is taken at the clock's time",
          "[sensor][sensor_parts]") {
    sensor_test::TempPath store;
    SensorConfig config = lan_config();
    FlowTimes times;
    const int64_t t0 = 1'700'000'000'000'000;
    Sensor sensor(config, test_parts(store.path()), &times);
    feed(sensor, t0, datagram(40001));
    // Two hours ahead, alone: held until the next packet, which is not near it.
    feed(sensor, t0 + 7'200'000'000, datagram(40002));
    CHECK(sensor.last_packet_time_us() == 0);  // held
    feed(sensor, t0 + 2'000'000, datagram(40001));
    // Before 1970: counted as malformed, never taken.
    feed(sensor, -5'000'000, datagram(40003));
    CHECK(sensor.last_packet_time_us() == 0);
    REQUIRE(sensor.finish());

    const SensorCounters& c = sensor.counters();
    CHECK(c.packets == 4);
    CHECK(c.malformed == 1);
    CHECK(c.bad_timestamps == 1);
    CHECK(c.time_outliers == 1);
    std::sort(times.finals.begin(), times.finals.end());
    // The outlier's flow is stamped with the capture clock (t0), not two hours on.
    CHECK(times.finals == std::vector<std::string>{std::to_string(40001) + " " + std::to_string(t0) + "-" +
                                                       std::to_string(t0 + 2'000'000) + " 2",
                                                   std::to_string(40002) + " " + std::to_string(t0) + "-" +
                                                       std::to_string(t0) + " 1"});
}

TEST_CASE("sensor: a frame decoded after its file was cut (watch_frames) is not counted and makes no flow",
          "[sensor][sensor_parts]") {
    sensor_test::TempPath store;
    SensorConfig config = lan_config();
    FlowTimes times;
    std::atomic<bool> cut{false};
    FramesInPlace file{&cut};  // the frames are the test's: only the flag counts
    const int64_t t0 = 1'700'000'000'000'000;
    Sensor sensor(config, test_parts(store.path()), &times);
    sensor.watch_frames(&file);
    feed(sensor, t0, datagram(40001));
    feed(sensor, t0 + 1'000, datagram(40001));
    cut = true;  // what the reader's SIGBUS guard does when the file shrinks
    feed(sensor, t0 + 2'000, datagram(40002));
    feed(sensor, t0 + 3'000, datagram(40001));
    REQUIRE(sensor.finish());
    CHECK(sensor.counters().packets == 2);
    CHECK(sensor.counters().ip_packets == 2);
    CHECK(times.finals == std::vector<std::string>{"40001 " + std::to_string(t0) + "-" + std::to_string(t0 + 1'000) + " 2"});
}
