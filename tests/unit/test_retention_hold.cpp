// Retention and evidence packets: packets go with their flows, and nothing of
// a device on legal hold is deleted.
#include <catch2/catch.hpp>

#include "daemon/retention.hpp"
#include "dns_answer.hpp"
#include "report/report_test_support.hpp"
#include "test_cli_support.hpp"

using namespace egresswatch;
using namespace egresswatch::test;

namespace {

HeldPacket held(PacketDirection direction, size_t size) {
    HeldPacket p;
    p.ts_us = kNov1;
    p.origlen = static_cast<uint32_t>(size);
    p.linktype = 1;
    p.direction = direction;
    p.data.assign(size, 0x42);
    return p;
}

DnsObservation answer(std::string client) {
    return test::dns_answer(kNov1, std::move(client), "example.com", "192.0.2.1");
}

daemon::PruneCounts prune(const std::string& path) {
    sqlite::Connection db(path, sqlite::Connection::Mode::read_write);
    daemon::RetentionPolicy policy{1, 2};
    return daemon::prune_store(db.handle(), policy, kNov1 + 10 * kDay, [] { return false; });
}

}  // namespace

TEST_CASE("retention: packets go with their flows, and a device on legal hold keeps everything") {
    StorePath dir;
    write_store(dir.store(), {device("10.0.0.5", "aa:bb:cc:00:00:05", "camera", kNov1, kNov1 + kDay),
                              flow("r-1", kNov1, "10.0.0.5", "192.0.2.1", "CN", 4134, 500, 600, "high"),
                              EvidencePacketsRecord{"r-1", {held(PacketDirection::dns, 90), held(PacketDirection::out, 74)}},
                              flow("r-2", kNov1, "10.0.0.5", "192.0.2.2", "GB", 2856, 5, 6),
                              flow("r-3", kNov1, "10.0.0.6", "192.0.2.3", "CN", 4134, 7, 8, "medium"),
                              EvidencePacketsRecord{"r-3", {held(PacketDirection::out, 60)}},
                              // Young, and the highest id (which retention never deletes).
                              flow("r-4", kNov1 + 10 * kDay - 60'000'000, "10.0.0.7", "192.0.2.4", "GB", 2856, 9, 9),
                              answer("10.0.0.5"), answer("10.0.0.6")});
    REQUIRE(run({"-d", dir.store(), "hold", "--device", "aa:bb:cc:00:00:05"}).code == 0);

    auto counts = prune(dir.store());
    CHECK(counts.flows == 0);
    CHECK(counts.alerted_flows == 1);  // r-3
    CHECK(counts.dns == 1);            // 10.0.0.6's
    CHECK(counts.held == 2);           // r-2 (no alert), r-1 (alert)
    Sql sql(dir.store());
    CHECK(sql.text("SELECT group_concat(flow_uid, ' ') FROM (SELECT flow_uid FROM flows ORDER BY id)") == "r-1 r-2 r-4");
    CHECK(sql.text("SELECT group_concat(flow_uid || ':' || seq, ' ') FROM evidence_packets") == "r-1:1 r-1:2");
    CHECK(sql.text("SELECT group_concat(client_ip, ' ') FROM dns") == "10.0.0.5");
    auto verified = run({"-d", dir.store(), "verify"});
    INFO(verified.out);
    CHECK(verified.code == 0);

    REQUIRE(run({"-d", dir.store(), "hold", "--device", "aa:bb:cc:00:00:05", "--release"}).code == 0);
    counts = prune(dir.store());
    CHECK(counts.flows == 1);
    CHECK(counts.alerted_flows == 1);
    CHECK(counts.held == 0);
    CHECK(sql.integer("SELECT count(*) FROM evidence_packets") == 0);
    CHECK(sql.integer("SELECT count(*) FROM evidence_packet_chain") == 3);  // the seals stay
    verified = run({"-d", dir.store(), "verify"});
    INFO(verified.out);
    CHECK(verified.code == 0);
}
