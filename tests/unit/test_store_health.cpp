// StoreWriter::health(): what egresswatchd tells the people on duty when the
// store cannot be written (locked, I/O errors) or the disk is so full that
// records are dropped (a gap), and when that ends.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "egresswatch/store.hpp"

namespace {

namespace fs = std::filesystem;

std::string temp_store() {
    std::string pattern = (fs::temp_directory_path() / "egresswatch-health-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    return pattern + "/store.db";
}

egresswatch::MetaRecord meta(const std::string& value) { return {"health-test", value}; }

}  // namespace

TEST_CASE("store health: a gap below the free-space floor starts and ends, with the records dropped") {
    using egresswatch::StoreWriter;
    std::string path = temp_store();
    StoreWriter writer(path, 10);
    CHECK_FALSE(writer.health().in_gap);
    StoreWriter::set_free_space_floor(UINT64_MAX / 2);  // no disk has this much free
    writer.submit(meta("dropped"));
    CHECK_FALSE(writer.flush());  // dropped, not written
    auto h = writer.health();
    StoreWriter::set_free_space_floor(0);
    CHECK(h.in_gap);
    CHECK(h.records_dropped == 1);
    CHECK_FALSE(h.failing);
    writer.submit(meta("written"));
    REQUIRE(writer.flush());
    h = writer.health();
    CHECK_FALSE(h.in_gap);
    CHECK(h.records_dropped == 1);
    writer.close();
    fs::remove_all(fs::path(path).parent_path());
}

TEST_CASE("store health: a locked store is failing until the lock goes, and nothing is lost") {
    using egresswatch::StoreWriter;
    std::string path = temp_store();
    StoreWriter writer(path, 10);
    writer.submit(meta("first"));
    REQUIRE(writer.flush());
    CHECK_FALSE(writer.health().failing);

    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    writer.submit(meta("second"));
    bool failing = false;
    std::string error;
    for (int i = 0; i < 300 && !failing; ++i) {  // the writer's busy timeout, then its retry
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto h = writer.health();
        failing = h.failing;
        error = h.error;
    }
    CHECK(failing);
    CHECK(error.find("locked") != std::string::npos);
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    REQUIRE(writer.flush());
    auto h = writer.health();
    CHECK_FALSE(h.failing);
    CHECK(h.error.empty());
    writer.close();

    sqlite3_stmt* count = nullptr;
    REQUIRE(sqlite3_prepare_v2(other, "SELECT value FROM meta WHERE key = 'health-test'", -1, &count, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(count) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(count, 0))) == "second");  // not lost
    sqlite3_finalize(count);
    sqlite3_close(other);
    fs::remove_all(fs::path(path).parent_path());
}
