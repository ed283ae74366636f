// The evidence chain: what the writer seals, what verify finds after an
// edit, a deletion and an insertion, and the case bundle that others verify.
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

// Three final records (one re-written while open first) and one open flow.
void write_sample(const std::string& path) {
    FlowRecord open_snapshot = flow("r-2", kNov1 + 10 * kSecond, "10.0.0.5", "203.0.113.7", "CN", 4134, 100, 50);
    open_snapshot.closed = false;
    FlowRecord still_open = flow("r-4", kNov1 + 40 * kSecond, "10.0.0.6", "198.51.100.1", "GB", 2856, 10, 10);
    still_open.closed = false;
    write_store(path, {MetaRecord{"home_country", "GB"},
                       device("10.0.0.5", "aa:bb:cc:00:00:05", "camera", kNov1, kNov1 + kDay),
                       flow("r-1", kNov1, "10.0.0.5", "192.0.2.1", "DE", 3320, 500, 600, "medium"),
                       open_snapshot,
                       flow("r-2", kNov1 + 10 * kSecond, "10.0.0.5", "203.0.113.7", "CN", 4134, 1200, 3400, "high"),
                       flow("r-3", kNov1 + 20 * kSecond, "10.0.0.6", "198.51.100.1", "GB", 2856, 80, 90),
                       still_open});
}

Result verify(const std::string& path) { return run({"-d", path, "verify"}); }

}  // namespace

TEST_CASE("evidence: final records are sealed once, in commit order", "[evidence]") {
    StorePath dir;
    write_sample(dir.store());
    Sql sql(dir.store());
    CHECK(sql.integer("SELECT count(*) FROM evidence_chain") == 3);
    CHECK(sql.integer("SELECT count(*) FROM evidence_chain c JOIN flows f ON f.id = c.flow_id "
                      "WHERE f.state = 'closed'") == 3);
    CHECK(sql.integer("SELECT max(seq) FROM evidence_chain") == 3);
    // A later writer continues the chain from the stored head.
    write_store(dir.store(), {flow("r-5", kNov1 + 50 * kSecond, "10.0.0.5", "192.0.2.9", "FR", 3215, 1, 1)});
    CHECK(sql.integer("SELECT max(seq) FROM evidence_chain") == 4);
    auto r = verify(dir.store());
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find(dir.store() + ": ok: 4 sealed records intact; chain head seq 4 ") == 0);
}

TEST_CASE("evidence: the hashes follow the documented rule", "[evidence]") {
    namespace ev = egresswatch::evidence;
    CHECK(ev::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(ev::chain_hash(ev::kGenesisHash, ev::sha256_hex("")) ==
          ev::sha256_hex(std::string(ev::kGenesisHash) + ev::sha256_hex("")));
    StorePath dir;
    write_sample(dir.store());
    Sql sql(dir.store());
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.store().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, ("SELECT " + ev::canonical_select_list() +
                                    " FROM flows AS f LEFT JOIN alerts AS a ON a.flow_id = f.id WHERE f.flow_uid = 'r-3'")
                                       .c_str(),
                               -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string text = ev::canonical_record(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    // NULL and empty text differ, and text carries its length.
    CHECK(text.rfind("flow_uid\ts:3:r-3\nfirst_seen\ti:1793491220000000\nlast_seen\ti:1793491250000000\n"
                     "vlan\tnull\n",
                     0) == 0);
    CHECK(text.find("\nseverity\tnull\nreasons\tnull\n") != std::string::npos);
    CHECK(text.find("\nas_org\ts:11:AS org 2856\n") != std::string::npos);
}

TEST_CASE("evidence: verify names the first record that no longer matches", "[evidence]") {
    StorePath dir;
    write_sample(dir.store());
    Sql sql(dir.store());
    SECTION("an edited flow") {
        sql.exec("UPDATE flows SET bytes_out = 12 WHERE flow_uid = 'r-2'");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(r.out.find(dir.store() + ": TAMPERED: 1 problem in 3 sealed records;") == 0);
        CHECK(first_problem(r.out) ==
              "  seq 2: record hash mismatch: flow 2 (r-2) or its alert was changed after it was sealed");
    }
    SECTION("an edited alert") {
        sql.exec("UPDATE alerts SET severity = 'low' WHERE flow_id = (SELECT id FROM flows WHERE flow_uid = 'r-1')");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) ==
              "  seq 1: record hash mismatch: flow 1 (r-1) or its alert was changed after it was sealed");
    }
    SECTION("a deleted flow") {
        sql.exec("DELETE FROM flows WHERE flow_uid = 'r-1'");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) == "  seq 1: flow 1 is missing: the sealed row was deleted");
    }
    SECTION("an alerted flow deleted and listed in pruned_flows by hand, as retention would") {
        sql.exec("INSERT INTO pruned_flows (flow_id, pruned_at, cutoff, last_seen) SELECT id, 1, 1, last_seen "
                 "FROM flows WHERE flow_uid = 'r-1'");
        sql.exec("DELETE FROM alerts WHERE flow_id = (SELECT id FROM flows WHERE flow_uid = 'r-1')");
        sql.exec("DELETE FROM flows WHERE flow_uid = 'r-1'");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) == "  seq 1: flow 1 is missing: it is listed in pruned_flows, but in no sealed "
                                  "pruning (the listing was added by hand)");
    }
    SECTION("a deleted flow with its chain entry") {
        sql.exec("DELETE FROM evidence_chain WHERE flow_id = (SELECT id FROM flows WHERE flow_uid = 'r-2')");
        sql.exec("DELETE FROM flows WHERE flow_uid = 'r-2'");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) == "  seq 3: seq 2 is missing: chain entries were deleted (or renumbered)");
    }
    SECTION("an inserted flow") {
        sql.exec("INSERT INTO flows (flow_uid, first_seen, last_seen, ip_version, transport, ip_proto, device_ip, "
                 "remote_ip, initiator, bytes_out, bytes_in, packets_out, packets_in, state) VALUES "
                 "('forged', 1, 2, 4, 'tcp', 6, '10.0.0.5', '192.0.2.66', 'device', 1, 1, 1, 1, 'closed')");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) ==
              "  closed flow 5 (forged) is not in the chain: the row was inserted (or edited to 'closed')");
    }
    SECTION("an inserted chain entry") {
        // Renumber to make room (through negative numbers: seq is unique).
        sql.exec("UPDATE evidence_chain SET seq = -seq WHERE seq >= 2");
        sql.exec("UPDATE evidence_chain SET seq = 1 - seq WHERE seq < 0");
        sql.exec("INSERT INTO evidence_chain (seq, flow_id, record_hash, chain_hash) SELECT 2, id, "
                 "'00', '00' FROM flows WHERE flow_uid = 'r-4'");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(first_problem(r.out) ==
              "  seq 2: chain link broken: the chain hash does not follow from the entry before "
              "(an entry was edited or inserted)");
    }
}

TEST_CASE("evidence: a case bundle verifies on its own, and not once edited", "[evidence][export]") {
    StorePath dir;
    write_sample(dir.store());
    std::string bundle = dir.directory() + "/case.json";
    auto r = run({"-d", dir.store(), "export", "--device", "10.0.0.5", "-o", bundle});
    INFO(r.err);
    REQUIRE(r.code == 0);
    std::string text = read_file(bundle);
    CHECK(text.find("\"format\": \"egresswatch-case-bundle/1\"") != std::string::npos);
    CHECK(text.find("\"flow_uid\": \"r-2\"") != std::string::npos);
    CHECK(text.find("\"flow_uid\": \"r-3\"") == std::string::npos);  // another device's record
    CHECK(text.find("\"report\": {") != std::string::npos);
    CHECK(text.find("\"report_markdown\": \"# Egress report: ") != std::string::npos);

    std::string verifier = std::string("python3 ") + SOURCE_DIR + "/tests/report/verify_bundle.py ";
    CHECK(std::system((verifier + bundle + " > /dev/null").c_str()) == 0);
    auto at = text.find("\"bytes_out\": 1200");
    REQUIRE(at != std::string::npos);
    text.replace(at, 17, "\"bytes_out\": 1100");
    std::ofstream(bundle) << text;
    CHECK(std::system((verifier + bundle + " > /dev/null").c_str()) != 0);

    auto none = run({"-d", dir.store(), "export", "--device", "10.9.9.9"});
    CHECK(none.code == 1);
    CHECK(none.err == "egresswatch: no sealed records of 10.9.9.9 in the stores and window given\n");
}
