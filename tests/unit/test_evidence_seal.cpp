// Evidence a store writer cannot quietly edit: retention's deletions sealed
// in the chain (prunings), and signed checkpoints of the chain heads.
#include <catch2/catch.hpp>

#include <cstdlib>

#include <egresswatch/evidence.hpp>
#include <egresswatch/signing.hpp>

#include "daemon/chain_signer.hpp"
#include "daemon/retention.hpp"
#include "report/report_test_support.hpp"
#include "test_cli_support.hpp"

using namespace egresswatch;
using namespace egresswatch::test;

namespace {

// r-1 and r-2 alerted, r-3 not, r-4 still open; all on 2026-11-01.
void write_sample(const std::string& path) {
    FlowRecord still_open = flow("r-4", kNov1 + 40 * kSecond, "10.0.0.6", "198.51.100.1", "GB", 2856, 10, 10);
    still_open.closed = false;
    write_store(path, {device("10.0.0.5", "aa:bb:cc:00:00:05", "camera", kNov1, kNov1 + kDay),
                       flow("r-1", kNov1, "10.0.0.5", "192.0.2.1", "DE", 3320, 500, 600, "medium"),
                       flow("r-2", kNov1 + 10 * kSecond, "10.0.0.5", "203.0.113.7", "CN", 4134, 1200, 3400, "high"),
                       flow("r-3", kNov1 + 20 * kSecond, "10.0.0.6", "198.51.100.1", "GB", 2856, 80, 90),
                       still_open});
}

constexpr std::int64_t kPruneTime = kNov1 + 10 * kDay;  // flows of 2026-11-01 are 10 days old

daemon::PruneCounts prune(const std::string& path, int flow_days, int alert_days, std::int64_t now = kPruneTime) {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_write);
    return daemon::prune_store(connection.handle(), {flow_days, alert_days}, now, [] { return false; });
}

Result verify(const std::string& path, const std::string& key = "") {
    if (key.empty()) return run({"-d", path, "verify"});
    return run({"-d", path, "verify", "--key", key});
}

std::string line(const std::string& text, int n) {
    std::size_t start = 0;
    for (int i = 0; i < n; ++i) start = text.find('\n', start) + 1;
    return text.substr(start, text.find('\n', start) - start);
}

// Keys made with openssl, as deploy/ makes them at install time.
struct Keys {
    explicit Keys(const StorePath& dir, const std::string& name = "signing")
        : key(dir.directory() + "/" + name + ".key"), pub(dir.directory() + "/" + name + ".pub") {
        std::string make = "openssl genpkey -algorithm ed25519 -out " + key + " 2>/dev/null && openssl pkey -in " +
                           key + " -pubout -out " + pub + " 2>/dev/null";
        REQUIRE(std::system(make.c_str()) == 0);
    }
    std::string key, pub;
};

}  // namespace

TEST_CASE("evidence seal: a pruning is sealed in the chain and verifies", "[evidence][seal]") {
    StorePath dir;
    write_sample(dir.store());
    auto counts = prune(dir.store(), 5, 30);  // r-3 goes; the alerted flows stay
    CHECK(counts.flows == 1);
    CHECK(counts.alerted_flows == 0);
    Sql sql(dir.store());
    CHECK(sql.integer("SELECT count(*) FROM evidence_prunings") == 1);
    CHECK(sql.integer("SELECT flows FROM evidence_prunings") == 1);
    CHECK(sql.integer("SELECT cutoff FROM evidence_prunings") == kPruneTime - 5 * kDay);
    CHECK(sql.integer("SELECT retention_days FROM evidence_prunings") == 5);
    CHECK(sql.integer("SELECT pruned_at FROM pruned_flows") == kPruneTime);
    CHECK(sql.integer("SELECT last_seen FROM pruned_flows") == kNov1 + 50 * kSecond);
    CHECK(sql.integer("SELECT pruning_id FROM pruned_flows") == 1);
    // Its own chain entry, after the flows: flow_id is minus the pruning's id.
    CHECK(sql.integer("SELECT seq FROM evidence_chain WHERE flow_id = -1") == 4);
    auto r = verify(dir.store());
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find(dir.store() + ": ok: 2 sealed records intact (1 more deleted by the retention policy in 1 "
                                   "sealed pruning); chain head seq 4 ") == 0);

    // The alerted flows, later: a pruning of the other kind.
    counts = prune(dir.store(), 5, 8);
    CHECK(counts.alerted_flows == 2);
    CHECK(sql.integer("SELECT count(*) FROM evidence_prunings WHERE kind = 'alerted_flows' AND flows = 2") == 1);
    r = verify(dir.store());
    CHECK(r.code == 0);
    CHECK(r.out.find(": ok: 0 sealed records intact (3 more deleted by the retention policy in 2 sealed prunings); "
                     "chain head seq 5 ") != std::string::npos);
}

TEST_CASE("evidence seal: the pruning text and its hash follow the documented rule", "[evidence][seal]") {
    evidence::Pruning p{"flows", 1793491200000000, 5, 1793059200000000, 1, std::string(64, 'a')};
    CHECK(evidence::pruning_text(p) ==
          "kind\ts:5:flows\npruned_at\ti:1793491200000000\nretention_days\ti:5\ncutoff\ti:1793059200000000\n"
          "flows\ti:1\nflows_hash\ts:64:" + std::string(64, 'a') + "\n");
    StorePath dir;
    write_sample(dir.store());
    prune(dir.store(), 5, 30);
    Sql sql(dir.store());
    // flows_hash: "<flow_id>\t<record_hash>\t<last_seen>\t<cutoff>\n" per row.
    sqlite::Connection db(dir.store(), sqlite::Connection::Mode::read_only);
    auto row = db.prepare("SELECT c.record_hash, ep.flows_hash FROM evidence_chain c, evidence_prunings ep "
                          "WHERE c.flow_id = 3");
    REQUIRE(row.step());
    std::string line = "3\t" + row.text(0) + "\t" + std::to_string(kNov1 + 50 * kSecond) + "\t" +
                       std::to_string(kPruneTime - 5 * kDay) + "\n";
    CHECK(row.text(1) == evidence::sha256_hex(line));
}

TEST_CASE("evidence seal: verify finds deletions that no sealed pruning made", "[evidence][seal]") {
    StorePath dir;
    write_sample(dir.store());
    prune(dir.store(), 5, 30);  // pruning 1: r-3
    Sql sql(dir.store());
    auto delete_r1 = [&] {
        sql.exec("DELETE FROM alerts WHERE flow_id = 1");
        sql.exec("DELETE FROM flows WHERE id = 1");
    };
    SECTION("an alert deleted and listed by hand, with no pruning") {
        sql.exec("INSERT INTO pruned_flows (flow_id, pruned_at, cutoff, last_seen) VALUES (1, 1, 1, 0)");
        delete_r1();
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(r.out.find(": TAMPERED: 1 problem in 4 sealed records;") != std::string::npos);
        CHECK(line(r.out, 1) == "  seq 1: flow 1 is missing: it is listed in pruned_flows, but in no sealed "
                                "pruning (the listing was added by hand)");
    }
    SECTION("an alert deleted and listed under a real pruning") {
        sql.exec("INSERT INTO pruned_flows (flow_id, pruned_at, cutoff, last_seen, pruning_id) "
                 "SELECT 1, pruned_at, cutoff, 0, 1 FROM evidence_prunings");
        delete_r1();
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(line(r.out, 1) == "  seq 4: pruning 1 (flows, 2026-11-11T00:00:00Z) sealed 1 pruned flows, but "
                                "pruned_flows lists 2 for it: pruned_flows was edited");
    }
    SECTION("a pruning's listed flow exchanged for another") {
        sql.exec("UPDATE pruned_flows SET flow_id = 1");
        delete_r1();
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(line(r.out, 1) == "  seq 3: flow 3 is missing: the sealed row was deleted");
        CHECK(line(r.out, 2) == "  seq 4: pruning 1 (flows, 2026-11-11T00:00:00Z): its pruned_flows rows were "
                                "edited after it was sealed");
    }
    SECTION("a pruning edited") {
        sql.exec("UPDATE evidence_prunings SET cutoff = cutoff + 86400000000");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(line(r.out, 1) == "  seq 4: pruning 1 (flows, 2026-11-11T00:00:00Z) was changed after it was sealed");
    }
    SECTION("a pruning deleted") {
        sql.exec("DELETE FROM evidence_prunings");
        auto r = verify(dir.store());
        CHECK(r.code == 1);
        CHECK(r.out.find(": TAMPERED: 1 problem in 4 sealed records;") != std::string::npos);
        CHECK(line(r.out, 1) == "  seq 4: pruning 1 is missing: its row was deleted");
    }
}

TEST_CASE("evidence seal: verify checks a pruned flow against its pruning's cutoff", "[evidence][seal]") {
    StorePath dir;
    write_sample(dir.store());
    Sql sql(dir.store());
    // Sealed as retention seals, but with a flow that ended after the cutoff.
    sql.exec("INSERT INTO pruned_flows (flow_id, pruned_at, cutoff, last_seen) SELECT id, 0, 0, last_seen "
             "FROM flows WHERE flow_uid = 'r-3'");
    {
        sqlite::Connection db(dir.store(), sqlite::Connection::Mode::read_write);
        db.exec("BEGIN IMMEDIATE");
        std::int64_t cutoff = kNov1 + 40 * kSecond;
        CHECK(evidence::seal_pruning(db.handle(), evidence::kPruneFlows, cutoff + kDay, 1, cutoff) == 1);
        db.exec("COMMIT");
    }
    sql.exec("DELETE FROM flows WHERE flow_uid = 'r-3'");
    auto r = verify(dir.store());
    CHECK(r.code == 1);
    CHECK(line(r.out, 1) == "  seq 3: flow 3 is missing: pruning 1 (flows, 2026-11-02T00:00:40Z) deleted it, but "
                            "it ended 2026-11-01T00:00:50Z, not before the cutoff 2026-11-01T00:00:40Z");
}

TEST_CASE("evidence seal: flows pruned before prunings were sealed are sealed once, and reported apart",
          "[evidence][seal]") {
    StorePath dir;
    write_sample(dir.store());
    Sql sql(dir.store());
    // What an older egresswatch left: pruned_flows rows without last_seen or pruning.
    sql.exec("INSERT INTO pruned_flows (flow_id, pruned_at, cutoff) VALUES (3, 5, 7)");
    sql.exec("DELETE FROM flows WHERE id = 3");
    // egresswatchd's writer seals them when it opens the store.
    write_store(dir.store(), {flow("r-5", kNov1 + 50 * kSecond, "10.0.0.5", "192.0.2.9", "FR", 3215, 1, 1)});
    CHECK(sql.integer("SELECT count(*) FROM evidence_prunings WHERE kind = 'before_sealing' AND flows = 1 "
                      "AND cutoff = 7 AND retention_days = 0") == 1);
    CHECK(sql.integer("SELECT seq FROM evidence_chain WHERE flow_id = -1") == 4);
    CHECK(sql.integer("SELECT seq FROM evidence_chain WHERE flow_id = 5") == 5);
    auto r = verify(dir.store());
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(r.out.find(": ok: 3 sealed records intact (1 more deleted by retention before its deletions were sealed "
                     "(pruned before sealing: listed in pruned_flows, cutoffs not checked)); chain head seq 5 ") !=
          std::string::npos);
    // Once sealed, another listing by hand is caught.
    sql.exec("INSERT INTO pruned_flows (flow_id, pruned_at, cutoff) VALUES (1, 5, 7)");
    sql.exec("DELETE FROM alerts WHERE flow_id = 1");
    sql.exec("DELETE FROM flows WHERE id = 1");
    CHECK(verify(dir.store()).code == 1);
}

TEST_CASE("evidence seal: a long-lived writer continues the chain after a pruning", "[evidence][seal]") {
    StorePath dir;
    write_sample(dir.store());
    StoreWriter writer(dir.store(), 10);
    writer.submit(flow("r-5", kNov1 + 50 * kSecond, "10.0.0.5", "192.0.2.9", "FR", 3215, 1, 1));
    REQUIRE(writer.flush());
    prune(dir.store(), 5, 30);  // from another connection: chain entry 5
    writer.submit(flow("r-6", kNov1 + 60 * kSecond, "10.0.0.5", "192.0.2.9", "FR", 3215, 1, 1));
    REQUIRE(writer.flush());
    REQUIRE(writer.close());
    auto r = verify(dir.store());
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(r.out.find(": ok: 4 sealed records intact (1 more deleted by the retention policy in 1 sealed pruning); "
                     "chain head seq 6 ") != std::string::npos);
    // r-5, as old as r-3, stays while it has the highest id: its id, still in
    // the chain, would otherwise be the next new flow's.
    Sql sql(dir.store());
    CHECK(sql.integer("SELECT count(*) FROM flows WHERE flow_uid = 'r-5'") == 1);
}

TEST_CASE("evidence seal: signed checkpoints verify, and name what is not signed yet", "[evidence][signing]") {
    StorePath dir;
    Keys keys(dir);
    write_sample(dir.store());
    {
        daemon::ChainSigner signer(dir.store(), keys.key, nullptr);
        signer.checkpoint(kNov1 + kDay);
        signer.checkpoint(kNov1 + kDay + kSecond);  // the head did not move: no checkpoint
    }
    Sql sql(dir.store());
    CHECK(sql.integer("SELECT count(*) FROM chain_signatures") == 1);
    CHECK(sql.integer("SELECT chain_seq FROM chain_signatures") == 3);
    CHECK(sql.integer("SELECT length(signature) FROM chain_signatures") == 128);
    write_store(dir.store(), {flow("r-5", kNov1 + 50 * kSecond, "10.0.0.5", "192.0.2.9", "FR", 3215, 1, 1)});

    evidence::PublicKey pub(keys.pub);
    auto r = verify(dir.store(), keys.pub);
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(line(r.out, 1) == "  signed: 1 checkpoint by key " + pub.fingerprint() +
                                " intact; the latest, signed 2026-11-02T00:00:00Z, covers chain seq 3 and late "
                                "alert seq 0; not signed yet: 1 chain entry and 0 late alert entries after it");
    // Without the key, verify says it did not check them.
    CHECK(line(verify(dir.store()).out, 1) == "  1 signed checkpoint not checked: give --key with the sensor's "
                                               "public key");
    {  // A new checkpoint once the head moved; a new signer starts from the stored one.
        daemon::ChainSigner signer(dir.store(), keys.key, nullptr);
        signer.checkpoint(kNov1 + 2 * kDay);
        signer.checkpoint(kNov1 + 2 * kDay + kSecond);
    }
    CHECK(sql.integer("SELECT count(*) FROM chain_signatures") == 2);
    r = verify(dir.store(), keys.pub);
    CHECK(r.code == 0);
    CHECK(line(r.out, 1).find("  signed: 2 checkpoints by key ") == 0);
    CHECK(line(r.out, 1).find("covers chain seq 4 and late alert seq 0; not signed yet: 0 chain entries") !=
          std::string::npos);
}

TEST_CASE("evidence seal: verify --key finds forged and rewritten checkpoints", "[evidence][signing]") {
    StorePath dir;
    Keys keys(dir);
    write_sample(dir.store());
    {
        daemon::ChainSigner signer(dir.store(), keys.key, nullptr);
        signer.checkpoint(kNov1 + kDay);
        write_store(dir.store(), {flow("r-5", kNov1 + 50 * kSecond, "10.0.0.5", "192.0.2.9", "FR", 3215, 1, 1)});
        signer.checkpoint(kNov1 + 2 * kDay);
    }
    Sql sql(dir.store());
    std::string store = dir.store();
    auto problem_of = [&](const Result& r) {
        INFO(r.out << r.err);
        CHECK(r.code == 1);
        CHECK(r.out.find(store + ": TAMPERED: the chain links up (head seq 4), but 1 problem in ") == 0);
        return line(r.out, 1);
    };
    SECTION("a tampered signature") {
        sql.exec("UPDATE chain_signatures SET signature = '00' || substr(signature, 3) WHERE id = 2");
        CHECK(problem_of(verify(store, keys.pub)) ==
              "  checkpoint 2 (signed 2026-11-03T00:00:00Z): bad signature: the checkpoint was edited or forged");
    }
    SECTION("a signed head moved to another entry") {
        sql.exec("UPDATE chain_signatures SET chain_seq = 3 WHERE id = 2");
        CHECK(problem_of(verify(store, keys.pub)) ==
              "  checkpoint 2 (signed 2026-11-03T00:00:00Z): bad signature: the checkpoint was edited or forged");
    }
    SECTION("the chain rewritten after signing (the unkeyed chain recomputed)") {
        // The last record edited and its chain entry recomputed: the chain alone verifies.
        sql.exec("UPDATE flows SET bytes_out = 2 WHERE id = 5");
        sqlite::Connection db(store, sqlite::Connection::Mode::read_write);
        auto row = db.prepare("SELECT " + evidence::canonical_select_list() +
                              " FROM flows AS f LEFT JOIN alerts AS a ON a.flow_id = f.id WHERE f.id = 5");
        REQUIRE(row.step());
        std::string record_hash = evidence::sha256_hex(evidence::canonical_record(row.handle(), 0));
        auto previous = db.prepare("SELECT chain_hash FROM evidence_chain WHERE seq = 3");
        REQUIRE(previous.step());
        db.prepare("UPDATE evidence_chain SET record_hash = ?, chain_hash = ? WHERE seq = 4",
                   {record_hash, evidence::chain_hash(previous.text(0), record_hash)})
            .run();
        CHECK(verify(store).code == 0);
        CHECK(problem_of(verify(store, keys.pub)).find("  checkpoint 2 (signed 2026-11-03T00:00:00Z) signed evidence "
                                                       "chain head seq 4 ") == 0);
        CHECK(line(verify(store, keys.pub).out, 1).find("which is not in the chain: the chain was rewritten after it "
                                                        "was signed") != std::string::npos);
    }
    SECTION("a checkpoint deleted") {
        sql.exec("DELETE FROM chain_signatures WHERE id = 1");
        CHECK(problem_of(verify(store, keys.pub)) == "  checkpoint 1 is missing: signed checkpoints were deleted");
    }
    SECTION("another key") {
        Keys other(dir, "other");
        evidence::PublicKey pub(keys.pub);
        auto r = verify(store, other.pub);
        CHECK(r.code == 1);
        CHECK(line(r.out, 1) == "  checkpoint 1 (signed 2026-11-02T00:00:00Z) names another key (fingerprint " +
                                    pub.fingerprint() + "), not " + evidence::PublicKey(other.pub).fingerprint());
    }
    SECTION("a key that is not one") {
        auto r = verify(store, store);
        CHECK(r.code == 1);
        CHECK(r.err == "egresswatch: " + store + " is not a PEM public key (make one with: openssl genpkey "
                                                 "-algorithm ed25519, then openssl pkey -pubout)\n");
    }
}

TEST_CASE("evidence seal: --key with no checkpoint fails", "[evidence][signing]") {
    StorePath dir;
    Keys keys(dir);
    write_sample(dir.store());
    auto r = verify(dir.store(), keys.pub);
    CHECK(r.code == 1);
    CHECK(line(r.out, 1) == "  no signed checkpoint: the chain was never signed with this key");
}
