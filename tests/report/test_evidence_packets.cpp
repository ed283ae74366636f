// Evidence packets: sealed when stored, what verify finds after a packet is
// altered, deleted or inserted, the pcapng that `egresswatch pcap` writes,
// the case bundle that carries them, and legal holds.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <egresswatch/evidence.hpp>

#include "../unit/test_cli_support.hpp"
#include "report_test_support.hpp"

using namespace egresswatch;
using namespace egresswatch::test;

namespace {

HeldPacket packet(PacketDirection direction, std::int64_t ts_us, std::size_t size, std::uint8_t fill) {
    HeldPacket p;
    p.ts_us = ts_us;
    p.origlen = static_cast<std::uint32_t>(size + 100);
    p.linktype = 1;  // Ethernet
    p.direction = direction;
    p.data.assign(size, fill);
    return p;
}

// Two alerts with packets (r-1: three, r-2: two and its DNS answer), one flow without.
void write_packets_sample(const std::string& path) {
    write_store(path, {MetaRecord{"home_country", "GB"},
                       device("10.0.0.5", "aa:bb:cc:00:00:05", "camera", kNov1, kNov1 + kDay),
                       flow("r-1", kNov1, "10.0.0.5", "192.0.2.1", "DE", 3320, 500, 600, "medium"),
                       EvidencePacketsRecord{"r-1", {packet(PacketDirection::out, kNov1, 74, 1),
                                                     packet(PacketDirection::in, kNov1 + 1, 74, 2),
                                                     packet(PacketDirection::out, kNov1 + 2, 66, 3)}},
                       flow("r-2", kNov1 + 10 * kSecond, "10.0.0.5", "203.0.113.7", "CN", 4134, 1200, 3400, "high"),
                       EvidencePacketsRecord{"r-2", {packet(PacketDirection::dns, kNov1 + 9 * kSecond, 90, 4),
                                                     packet(PacketDirection::out, kNov1 + 10 * kSecond, 512, 5)}},
                       flow("r-3", kNov1 + 20 * kSecond, "10.0.0.6", "198.51.100.1", "GB", 2856, 80, 90)});
}

std::uint32_t u32(const std::string& bytes, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3])) << 24;
}

}  // namespace

TEST_CASE("evidence packets: sealed in their own chain, stored after their flow", "[evidence][packets]") {
    StorePath dir;
    write_packets_sample(dir.store());
    Sql sql(dir.store());
    CHECK(sql.text("SELECT group_concat(flow_uid || ':' || seq || ':' || direction || ':' || caplen, ' ') "
                   "FROM (SELECT * FROM evidence_packets ORDER BY id)") ==
          "r-1:1:out:74 r-1:2:in:74 r-1:3:out:66 r-2:1:dns:90 r-2:2:out:512");
    CHECK(sql.text("SELECT count(*) FROM evidence_packet_chain") == "5");
    CHECK(sql.text("SELECT sha256 FROM evidence_packets WHERE id = 1") ==
          evidence::sha256_hex(std::string(74, '\x01')));
    auto r = run({"-d", dir.store(), "verify"});
    INFO(r.out);
    CHECK(r.code == 0);
}

TEST_CASE("evidence packets: verify finds a packet altered, deleted or inserted", "[evidence][packets]") {
    StorePath dir;
    write_packets_sample(dir.store());
    SECTION("bytes altered") {
        Sql(dir.store()).exec("UPDATE evidence_packets SET data = x'00' || substr(data, 2) WHERE id = 2");
        auto r = run({"-d", dir.store(), "verify"});
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) == "  seq 2: packet bytes altered: evidence packet 2 of flow 1 (r-1) no longer has the "
                                  "bytes it was sealed with");
    }
    SECTION("bytes and their hash altered together") {
        std::string forged = evidence::sha256_hex(std::string(74, '\0'));
        Sql(dir.store()).exec("UPDATE evidence_packets SET data = zeroblob(74), sha256 = '" + forged + "' WHERE id = 2");
        auto r = run({"-d", dir.store(), "verify"});
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) ==
              "  seq 2: record hash mismatch: evidence packet 2 of flow 1 (r-1) was changed after it was sealed");
    }
    SECTION("a field altered") {
        Sql(dir.store()).exec("UPDATE evidence_packets SET direction = 'in' WHERE id = 3");
        auto r = run({"-d", dir.store(), "verify"});
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) ==
              "  seq 3: record hash mismatch: evidence packet 3 of flow 1 (r-1) was changed after it was sealed");
    }
    SECTION("deleted") {
        Sql(dir.store()).exec("DELETE FROM evidence_packets WHERE id = 4");
        auto r = run({"-d", dir.store(), "verify"});
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) == "  seq 4: evidence packet 4 of flow 2 is missing: its row was deleted");
    }
    SECTION("inserted") {
        Sql(dir.store()).exec("INSERT INTO evidence_packets (flow_id, flow_uid, seq, direction, ts, caplen, origlen, "
                              "linktype, data, sha256) SELECT flow_id, flow_uid, 9, direction, ts, caplen, origlen, "
                              "linktype, data, sha256 FROM evidence_packets WHERE id = 1");
        auto r = run({"-d", dir.store(), "verify"});
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) ==
              "  evidence packet 6 of flow 1 (r-1) is not in the packet chain: the row was inserted");
    }
    SECTION("a chain entry removed") {
        Sql(dir.store()).exec("DELETE FROM evidence_packet_chain WHERE seq = 2");
        auto r = run({"-d", dir.store(), "verify"});
        CHECK(r.code == 1);
        CHECK(r.out.find("packet chain: seq 2 missing") != std::string::npos);
        CHECK(r.out.find("evidence packet 2 of flow 1 (r-1) is not in the packet chain") != std::string::npos);
    }
}

TEST_CASE("evidence packets: pcap writes pcapng with one comment per packet", "[evidence][packets][pcap]") {
    StorePath dir;
    write_packets_sample(dir.store());
    std::string file = dir.directory() + "/alerts.pcapng";
    auto r = run({"-d", dir.store(), "pcap", "-o", file});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.err == "egresswatch: wrote 5 packets of 2 alerts to " + file + "\n");
    std::string bytes = read_file(file);
    // SHB, then one IDB (Ethernet) before the first EPB, then five EPBs.
    REQUIRE(bytes.size() > 28);
    CHECK(u32(bytes, 0) == 0x0A0D0D0A);
    CHECK(u32(bytes, 8) == 0x1A2B3C4D);
    std::vector<std::uint32_t> types;
    for (std::size_t at = 0; at + 8 <= bytes.size(); at += u32(bytes, at + 4)) {
        types.push_back(u32(bytes, at));
        REQUIRE(u32(bytes, at + 4) >= 12);
        CHECK(u32(bytes, at + u32(bytes, at + 4) - 4) == u32(bytes, at + 4));  // trailing length
    }
    CHECK(types == std::vector<std::uint32_t>{0x0A0D0D0A, 1, 6, 6, 6, 6, 6});
    CHECK(bytes.find("egresswatch alert 2 (flow r-2, tcp 10.0.0.5:50000 -> 203.0.113.7:443): high: test:high; "
                     "packet 1, dns") != std::string::npos);

    // The alerts' filters select.
    auto high = run({"-d", dir.store(), "pcap", "--severity", "high", "-o", file});
    CHECK(high.err == "egresswatch: wrote 2 packets of 1 alert to " + file + "\n");
    auto none = run({"-d", dir.store(), "pcap", "--country", "FR", "-o", file});
    CHECK(none.code == 0);
    CHECK(none.err == "egresswatch: wrote 0 packets of 0 alerts to " + file + "\n");
    auto no_file = run({"-d", dir.store(), "pcap"});
    CHECK(no_file.code == 2);
    CHECK(no_file.err == "egresswatch: pcap writes a file: give -o FILE.pcapng\n");

    if (std::system("command -v tshark > /dev/null 2>&1") == 0) {
        run({"-d", dir.store(), "pcap", "-o", file});
        std::string listing = dir.directory() + "/tshark.txt";
        REQUIRE(std::system(("tshark -r " + file + " -T fields -e frame.len -e frame.cap_len > " + listing +
                             " 2>/dev/null").c_str()) == 0);
        CHECK(read_file(listing) == "174\t74\n174\t74\n166\t66\n190\t90\n612\t512\n");
    }
}

TEST_CASE("evidence packets: the case bundle carries them, and the checker finds an altered one",
          "[evidence][packets][export]") {
    StorePath dir;
    write_packets_sample(dir.store());
    std::string bundle = dir.directory() + "/case.json";
    auto r = run({"-d", dir.store(), "export", "--device", "10.0.0.5", "-o", bundle});
    INFO(r.err);
    REQUIRE(r.code == 0);
    std::string verifier = std::string("python3 ") + SOURCE_DIR + "/tests/report/verify_bundle.py ";
    std::string said = dir.directory() + "/said.txt";
    CHECK(std::system((verifier + bundle + " > " + said).c_str()) == 0);
    CHECK(read_file(said) == "verified: 2 records, 5 packets\n");

    std::string text = read_file(bundle);
    auto at = text.find("\"pcapng_base64\": \"");
    REQUIRE(at != std::string::npos);
    // A byte of the last packet's data (well inside the base64, far from its padding).
    std::size_t end = text.find('"', at + 18);
    std::size_t inside = end - 200;
    text[inside] = text[inside] == 'A' ? 'B' : 'A';
    std::ofstream(bundle) << text;
    CHECK(std::system((verifier + bundle + " > " + said).c_str()) != 0);
    CHECK(read_file(said).find("the pcapng's packet is not the sealed one") != std::string::npos);
}

TEST_CASE("evidence packets: legal holds are set, listed and released", "[evidence][hold]") {
    StorePath dir;
    write_packets_sample(dir.store());
    auto none = run({"-d", dir.store(), "hold"});
    CHECK(none.out == dir.store() + ": no device on legal hold\n");
    auto held = run({"-d", dir.store(), "hold", "--device", "AA:BB:CC:00:00:05"});
    CHECK(held.code == 0);
    CHECK(held.out == dir.store() +
                          ": aa:bb:cc:00:00:05 on legal hold: retention keeps its flows, alerts, packets and DNS answers\n");
    auto again = run({"-d", dir.store(), "hold", "--device", "aa:bb:cc:00:00:05"});
    CHECK(again.out.find("already on legal hold") != std::string::npos);
    auto listed = run({"-d", dir.store(), "hold"});
    CHECK(listed.out.rfind(dir.store() + ": aa:bb:cc:00:00:05 (mac) on legal hold since 20", 0) == 0);
    auto released = run({"-d", dir.store(), "hold", "--device", "aa:bb:cc:00:00:05", "--release"});
    CHECK(released.out == dir.store() + ": aa:bb:cc:00:00:05 released from legal hold\n");
    auto not_held = run({"-d", dir.store(), "hold", "--device", "10.0.0.5", "--release"});
    CHECK(not_held.out == dir.store() + ": 10.0.0.5 was not on legal hold\n");
    auto bad = run({"-d", dir.store(), "hold", "--release"});
    CHECK(bad.code == 2);
    CHECK(bad.err == "egresswatch: hold --release needs --device IP|MAC|NAME\n");
    auto nameless = run({"-d", dir.store(), "hold", "--device", "front-door"});
    CHECK(nameless.code == 1);
    CHECK(nameless.err == "egresswatch: store " + dir.store() + ": no device is named front-door\n");
}
