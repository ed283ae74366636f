// Passive DNS is stored deduplicated (schema migration 8 -> 9): one row per
// client, resolver, transport, question and answer, with the first and last
// time and a count; rows of an older store are merged the same way.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "egresswatch/schema.hpp"
#include "egresswatch/store.hpp"
#include "dns_answer.hpp"

namespace {

namespace fs = std::filesystem;

std::string temp_path() {
    std::string pattern = (fs::temp_directory_path() / "egresswatch-dns-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    close(fd);
    fs::remove(pattern);
    return pattern;
}

void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    std::string text = message ? message : "";
    sqlite3_free(message);
    INFO(text);
    REQUIRE(rc == SQLITE_OK);
}

std::string rows(sqlite3* db) {
    std::string out;
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT time, last_time, count, client_ip, query, answer, ttl FROM dns ORDER BY id",
                               -1, &s, nullptr) == SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int i = 0; i < 7; ++i) {
            const unsigned char* text = sqlite3_column_text(s, i);
            out += (i ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "NULL");
        }
        out += "\n";
    }
    sqlite3_finalize(s);
    return out;
}

egresswatch::DnsObservation answer(int64_t time, const char* address, uint32_t ttl) {
    return egresswatch::test::dns_answer(time, "10.0.0.5", "cam.example.net", address, ttl);
}

}  // namespace

TEST_CASE("store: the same DNS answer again is one row, counted", "[store][dns][hostile]") {
    std::string path = temp_path();
    {
        egresswatch::StoreWriter store(path);
        store.submit(answer(3'000, "192.0.2.1", 60));
        store.submit(answer(1'000, "192.0.2.1", 300));  // earlier, arriving later (another file)
        store.submit(answer(2'000, "192.0.2.2", 60));
        store.submit(answer(5'000, "192.0.2.1", 30));
        REQUIRE(store.close());
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    CHECK(rows(db) ==
          "1000|5000|3|10.0.0.5|cam.example.net|192.0.2.1|30\n"
          "2000|2000|1|10.0.0.5|cam.example.net|192.0.2.2|60\n");
    sqlite3_close(db);
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

// The writer merges a batch's repeats of an answer into one upsert: the row
// must come out as one upsert per response would leave it, stored row or not.
TEST_CASE("store: repeats of a DNS answer in one batch add to its stored row", "[store][dns]") {
    std::string path = temp_path();
    {
        egresswatch::StoreWriter store(path);
        store.submit(answer(3'000, "192.0.2.1", 60));
        REQUIRE(store.flush());  // a row from an earlier batch
        store.submit(std::vector<egresswatch::StoreRecord>{
            answer(4'000, "192.0.2.2", 10), answer(2'000, "192.0.2.1", 300), answer(2'500, "192.0.2.2", 20),
            answer(6'000, "192.0.2.1", 30), answer(5'000, "192.0.2.1", 40), answer(1'000, "192.0.2.3", 50)});
        REQUIRE(store.close());
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    CHECK(rows(db) ==
          "2000|6000|4|10.0.0.5|cam.example.net|192.0.2.1|40\n"
          "2500|4000|2|10.0.0.5|cam.example.net|192.0.2.2|20\n"
          "1000|1000|1|10.0.0.5|cam.example.net|192.0.2.3|50\n");
    sqlite3_close(db);
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

TEST_CASE("store: migration 8 -> 9 merges repeated DNS rows", "[store][dns][migration]") {
    static_assert(egresswatch::schema::kVersion >= 9);
    std::string path = temp_path();
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    for (int v = 0; v < 8; ++v) exec(db, std::string(egresswatch::schema::kMigrations[v]));
    exec(db, "PRAGMA user_version = 8");
    auto insert = [&](int64_t time, const char* address, int ttl) {
        exec(db, "INSERT INTO dns (time, client_ip, resolver_ip, transport, query, name, type, answer, ttl) VALUES (" +
                     std::to_string(time) + ", '10.0.0.5', '10.0.0.1', 'udp', 'cam.example.net', "
                     "'cam.example.net', 'A', '" + address + "', " + std::to_string(ttl) + ")");
    };
    insert(1'000, "192.0.2.1", 300);
    insert(2'000, "192.0.2.2", 60);
    insert(3'000, "192.0.2.1", 60);
    insert(4'000, "192.0.2.1", 30);
    exec(db, "INSERT INTO capture_stats (source, start_time, end_time, packets, bytes, malformed, dropped) "
             "VALUES ('old', 0, 1, 10, 100, 0, 0)");
    egresswatch::migrate_store(db, path);
    CHECK(rows(db) ==
          "1000|4000|3|10.0.0.5|cam.example.net|192.0.2.1|30\n"
          "2000|2000|1|10.0.0.5|cam.example.net|192.0.2.2|60\n");
    // Older statistics rows read 0 in the new counters.
    exec(db, "SELECT dns_evicted + dns_dropped + devices_evicted + dhcp_hints_evicted + bad_timestamps + "
             "time_outliers + lane_dropped FROM capture_stats");
    sqlite3_close(db);
    fs::remove(path);
}
