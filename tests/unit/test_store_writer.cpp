// StoreWriter: the rows each kind of record becomes, a flow's row updated
// while it is open, and what flush() says when records are dropped below the
// free-space floor. (A locked store: test_store_health.cpp.)
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "egresswatch/rules.hpp"
#include "egresswatch/store.hpp"
#include "dns_answer.hpp"
#include "temp_dir.hpp"

using namespace egresswatch;

namespace {

// A store in a directory of its own, removed with it.
struct TempStore {
    egresswatch::test::TempDir dir{"writer"};
    std::string path = (dir.path() / "store.db").string();
};

// The rows of `sql`, columns joined by '|', NULL as "NULL", one line each.
std::string rows(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(s); ++i) {
            const unsigned char* text = sqlite3_column_text(s, i);
            if (i) out += '|';
            out += text ? reinterpret_cast<const char*>(text) : "NULL";
        }
        out += "\n";
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

const char* kFlowColumns =
    "SELECT flow_uid, first_seen, last_seen, vlan, inner_vlan, ip_version, transport, ip_proto, device_ip, "
    "device_port, device_mac, remote_ip, remote_port, initiator, bytes_out, bytes_in, packets_out, packets_in, "
    "app_protocol, app_category, domain, remote_local, country, asn, as_org, community_id, state FROM flows ORDER BY id";

FlowRecord camera_flow() {
    FlowRecord r;
    r.uid = "run1-17";
    r.first_us = 1'700'000'000'000'000;
    r.last_us = 1'700'000'002'500'000;
    r.vlan = 20;
    r.transport = "tcp";
    r.ip_protocol = 6;
    r.device_ip = "10.0.0.21";
    r.device_port = 40001;
    r.device_mac = "44:19:b6:00:00:21";
    r.remote_ip = "198.51.100.7";
    r.remote_port = 443;
    r.bytes_out = 1200;
    r.bytes_in = 3400;
    r.packets_out = 5;
    r.packets_in = 4;
    r.app_protocol = "TLS";
    r.app_category = "Web";
    r.domain = "litedev.hik-connect.com";
    r.country = "NL";
    r.asn = 64500;
    r.as_org = "Example Hosting";
    r.community_id = "1:abc=";
    r.first_record = true;
    return r;
}

}  // namespace

TEST_CASE("store writer: each kind of record is read back as submitted", "[store]") {
    TempStore store;
    StoreWriter writer(store.path, 10);
    writer.submit(camera_flow());
    DeviceRecord device;
    device.ip = "10.0.0.21";
    device.mac = "44:19:b6:00:00:21";
    device.vendor = "Hikvision";
    device.vendor_country = "CN";
    device.kind = "camera";
    device.identified_by = {"oui:Hikvision (CN)", "dhcp-hostname:cam01"};
    device.hostname = "cam01";
    device.box = "44:19:b6:00:00:21";
    device.first_us = 1'700'000'000'000'000;
    device.last_us = 1'700'000'002'500'000;
    CaptureStatsRecord stats;
    stats.source = "mirror0";
    stats.start_us = 1'700'000'000'000'000;
    stats.end_us = 1'700'000'060'000'000;
    stats.packets = 9;
    stats.bytes = 4600;
    stats.malformed = 1;
    stats.dropped = 2;
    stats.flows_evicted = 3;
    stats.devices_evicted = 4;
    writer.submit(std::vector<StoreRecord>{device, stats, MetaRecord{"writer-test", "yes"}});
    REQUIRE(writer.flush());
    CHECK(writer.rows_written() == 4);
    writer.close();

    CHECK(rows(store.path, kFlowColumns) ==
          "run1-17|1700000000000000|1700000002500000|20|NULL|4|tcp|6|10.0.0.21|40001|44:19:b6:00:00:21|"
          "198.51.100.7|443|device|1200|3400|5|4|TLS|Web|litedev.hik-connect.com|0|NL|64500|Example Hosting|1:abc=|open\n");
    CHECK(rows(store.path, "SELECT count(*) FROM alerts") == "0\n");
    CHECK(rows(store.path, "SELECT count(*) FROM evidence_chain") == "0\n");  // open flows are not sealed
    CHECK(rows(store.path, "SELECT ip, mac, vendor, vendor_country, kind, identified_by, first_seen, last_seen, "
                           "hostname, label, site, box FROM devices") ==
          "10.0.0.21|44:19:b6:00:00:21|Hikvision|CN|camera|[\"oui:Hikvision (CN)\",\"dhcp-hostname:cam01\"]|"
          "1700000000000000|1700000002500000|cam01|NULL|NULL|44:19:b6:00:00:21\n");
    CHECK(rows(store.path, "SELECT source, start_time, end_time, packets, bytes, malformed, dropped, flows_evicted, "
                           "devices_evicted, dns_evicted FROM capture_stats") ==
          "mirror0|1700000000000000|1700000060000000|9|4600|1|2|3|4|0\n");
    CHECK(rows(store.path, "SELECT value FROM meta WHERE key = 'writer-test'") == "yes\n");
}

TEST_CASE("store writer: later records of an open flow update its one row and its alert", "[store]") {
    TempStore store;
    StoreWriter writer(store.path, 10);
    FlowRecord flow = camera_flow();
    writer.submit(flow);
    REQUIRE(writer.flush());

    // The usual later record: more traffic, the indexed columns unchanged; flagged now.
    flow.first_record = false;
    flow.last_us += 1'000'000;
    flow.bytes_out = 5000;
    flow.packets_out = 9;
    flow.severity = "high";
    flow.reasons = {"camera talks to NL"};
    writer.submit(flow);
    REQUIRE(writer.flush());
    CHECK(rows(store.path, "SELECT id, last_seen, bytes_out, bytes_in, packets_out, packets_in, country, state "
                           "FROM flows") == "1|1700000003500000|5000|3400|9|4|NL|open\n");
    CHECK(rows(store.path, "SELECT flow_id, severity, reasons FROM alerts") == "1|high|[\"camera talks to NL\"]\n");

    // The last record: an indexed column changed (geolocation), closed, no longer flagged.
    flow.country = "DE";
    flow.asn = 64501;
    flow.closed = true;
    flow.severity.clear();
    flow.reasons.clear();
    writer.submit(flow);
    REQUIRE(writer.flush());
    writer.close();
    CHECK(rows(store.path, "SELECT id, flow_uid, last_seen, bytes_out, country, asn, state FROM flows") ==
          "1|run1-17|1700000003500000|5000|DE|64501|closed\n");
    CHECK(rows(store.path, "SELECT count(*) FROM alerts") == "0\n");
    CHECK(rows(store.path, "SELECT seq, flow_id FROM evidence_chain") == "1|1\n");  // sealed once, when closed
}

TEST_CASE("store writer: re-judging earlier runs' flows leaves this run's alone", "[store]") {
    TempStore store;
    RejudgeRequest earlier_runs;  // a device identified now, whose flows in this run were judged as a camera's
    earlier_runs.device_ip = "10.0.0.21";
    earlier_runs.cause = "re-judged:dhcp-hostname:cam01";
    earlier_runs.rules = std::make_shared<const Rules>(Rules::load(SOURCE_DIR "/rules", "GB"));
    earlier_runs.earlier_runs_only = true;
    DeviceRecord camera;
    camera.ip = "10.0.0.21";
    camera.kind = "camera";
    camera.identified_by = {"dhcp-hostname:cam01"};
    FlowRecord flow = camera_flow();  // no alert: judged while the device was unknown
    flow.closed = true;
    {  // the first run: nothing was stored before it
        StoreWriter writer(store.path, 10);
        writer.submit(flow);
        writer.submit(camera);
        writer.submit(earlier_runs);
        REQUIRE(writer.flush());
        CHECK(writer.take_late_alerts().empty());
    }
    {  // the next: the first run's flow is judged again, not this run's
        StoreWriter writer(store.path, 10);
        flow.uid = "run2-1";
        writer.submit(flow);
        writer.submit(camera);
        writer.submit(earlier_runs);
        REQUIRE(writer.flush());
        auto late = writer.take_late_alerts();
        REQUIRE(late.size() == 1);
        CHECK(late[0].uid == "run1-17");
    }
    CHECK(rows(store.path, "SELECT flow_uid, cause FROM late_alerts") == "run1-17|re-judged:dhcp-hostname:cam01\n");
    CHECK(rows(store.path, "SELECT f.flow_uid, a.severity FROM flows AS f JOIN alerts AS a ON a.flow_id = f.id") ==
          "run1-17|high\n");
}

TEST_CASE("store writer: a new store has 16 KiB pages, and an existing store keeps its own", "[store]") {
    TempStore store;
    {  // a store made before: SQLite's default 4 KiB pages
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(store.path.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "PRAGMA page_size = 4096; CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    TempStore fresh;
    for (auto* path : {&store.path, &fresh.path}) {
        StoreWriter writer(*path, 10);
        writer.submit(camera_flow());
        REQUIRE(writer.flush());
        writer.close();
    }
    CHECK(rows(store.path, "PRAGMA page_size") == "4096\n");
    CHECK(rows(fresh.path, "PRAGMA page_size") == "16384\n");
    CHECK(rows(store.path, "SELECT flow_uid FROM flows") == "run1-17\n");
    CHECK(rows(fresh.path, "SELECT flow_uid FROM flows") == "run1-17\n");
}

TEST_CASE("store writer: a later device record keeps what it does not know", "[store]") {
    TempStore store;
    StoreWriter writer(store.path, 10);
    DeviceRecord device;
    device.ip = "10.0.0.21";
    device.mac = "44:19:b6:00:00:21";
    device.kind = "camera";
    device.identified_by = {"dhcp-hostname:cam01"};
    device.hostname = "cam01";
    device.first_us = 2000;
    device.last_us = 3000;
    writer.submit(device);
    DeviceRecord again;  // an earlier sighting, with no evidence, from a record with less in it
    again.ip = "10.0.0.21";
    again.first_us = 1000;
    again.last_us = 2500;
    writer.submit(again);
    REQUIRE(writer.flush());
    writer.close();
    CHECK(rows(store.path, "SELECT ip, mac, kind, identified_by, first_seen, last_seen, hostname, box FROM devices") ==
          "10.0.0.21|44:19:b6:00:00:21|camera|[\"dhcp-hostname:cam01\"]|1000|3000|cam01|NULL\n");
}

TEST_CASE("store writer: records dropped below the free-space floor make that flush() false, and are counted",
          "[store]") {
    TempStore store;
    StoreWriter writer(store.path, 10);
    StoreWriter::set_free_space_floor(UINT64_MAX / 2);  // no disk has this much free
    writer.submit(camera_flow());
    writer.submit(MetaRecord{"writer-test", "dropped"});
    bool flushed_in_gap = writer.flush();
    StoreWriter::Health in_gap = writer.health();
    StoreWriter::set_free_space_floor(0);
    CHECK_FALSE(flushed_in_gap);
    CHECK(in_gap.in_gap);
    CHECK(in_gap.records_dropped == 2);
    CHECK(writer.flush());  // nothing dropped since

    writer.submit(MetaRecord{"writer-test", "written"});
    CHECK(writer.flush());
    CHECK(writer.rows_written() == 1);
    CHECK_FALSE(writer.health().in_gap);
    CHECK_FALSE(writer.close());  // records were lost in this run
    CHECK(rows(store.path, "SELECT count(*) FROM flows") == "0\n");
    CHECK(rows(store.path, "SELECT value FROM meta WHERE key = 'writer-test'") == "written\n");
    CHECK(rows(store.path, "SELECT records_lost, end_time IS NOT NULL FROM store_gaps") == "2|1\n");
}

// A flush asked for while more records wait than one batch takes: the writer
// takes the rest at once. It once forgot the request with the first batch and
// left the rest for its interval, a second lost at the end of every capture.
TEST_CASE("store writer: a flush of more than one batch writes the rest without waiting out the interval",
          "[store]") {
    TempStore store;
    StoreWriter writer(store.path, 600'000);  // its interval alone: ten minutes
    std::vector<DnsObservation> answers;
    for (int i = 0; i < 21'000; ++i) {  // one batch (20,000) and 1,000 more, fewer than wake the writer
        std::string address = "198.51.";
        address += std::to_string(i / 256);
        address += '.';
        address += std::to_string(i % 256);
        answers.push_back(test::dns_answer(1'000'000 + i, "10.0.0.5", "cam.example.net", std::move(address)));
    }
    auto start = std::chrono::steady_clock::now();
    writer.submit(std::move(answers));
    REQUIRE(writer.flush());
    // Not a speed check: a writer that forgets the flush takes ten minutes.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::minutes(5));
    REQUIRE(writer.close());
    CHECK(rows(store.path, "SELECT count(*) FROM dns") == "21000\n");
}
