// The common SQLite layer (egresswatch/common/sqlite.hpp): what it opens,
// runs and binds, and the errors it gives.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include <egresswatch/common/sqlite.hpp>

namespace sqlite = egresswatch::sqlite;
using egresswatch::StoreError;
namespace fs = std::filesystem;

namespace {

// A path in the temporary directory, removed (with its WAL files) at the end.
struct TempPath {
    explicit TempPath(const std::string& name)
        : path((fs::temp_directory_path() / ("egresswatch-sqlite-" + std::to_string(getpid()) + "-" + name)).string()) {
        remove();
    }
    ~TempPath() { remove(); }
    void remove() const {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
    }
    std::string path;
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const StoreError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("sqlite::Connection: create, write, read", "[common][sqlite]") {
    TempPath file("rw.db");
    {
        sqlite::Connection db(file.path, sqlite::Connection::Mode::create);
        CHECK(db.path() == file.path);
        CHECK(db.user_version() == 0);
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); PRAGMA user_version = 3");
        sqlite::Statement insert(db.handle(), "INSERT INTO t (name) VALUES (?1) RETURNING id");
        CHECK(insert.bind(1, "a").run() == 1);
        CHECK(insert.bind(1, std::optional<std::string>()).run() == 2);  // reusable after run()
        CHECK(insert.bind(1, std::string("c\xc3\xa9")).run() == 3);
        CHECK_FALSE(db.prepare("DELETE FROM t WHERE id = ?1", {std::int64_t{99}}).run());
    }
    sqlite::Connection db(file.path, sqlite::Connection::Mode::read_only);
    CHECK(db.user_version() == 3);
    auto rows = db.prepare("SELECT id, name FROM t WHERE id >= ?1 ORDER BY id", {std::int64_t{2}});
    REQUIRE(rows.step());
    CHECK(rows.integer(0) == 2);
    CHECK(rows.is_null(1));
    CHECK(rows.text(1).empty());
    REQUIRE(rows.step());
    CHECK(rows.text(1) == "c\xc3\xa9");
    CHECK_FALSE(rows.step());
    auto by_name = db.prepare("SELECT count(*) FROM t WHERE name = ?1", {std::string("a")});
    REQUIRE(by_name.step());
    CHECK(by_name.integer(0) == 1);
}

TEST_CASE("sqlite::Connection: errors name the store", "[common][sqlite][error]") {
    TempPath missing("missing.db");
    CHECK(error_of([&] { sqlite::Connection c(missing.path, sqlite::Connection::Mode::read_only); }) ==
          "cannot open store " + missing.path + ": unable to open database file");
    CHECK(error_of([&] { sqlite::Connection c(missing.path, sqlite::Connection::Mode::read_write); }) ==
          "cannot open store " + missing.path + ": unable to open database file");
    CHECK_FALSE(fs::exists(missing.path));

    TempPath garbage("garbage.db");
    std::ofstream(garbage.path) << "this is not an SQLite database, but it is long enough to look like one. "
                                   "this is not an SQLite database, but it is long enough to look like one.";
    sqlite::Connection db(garbage.path, sqlite::Connection::Mode::read_only);  // SQLite opens lazily
    CHECK(error_of([&] { db.user_version(); }) == "cannot open store " + garbage.path + ": file is not a database");

    TempPath file("errors.db");
    sqlite::Connection rw(file.path, sqlite::Connection::Mode::create);
    rw.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    CHECK(error_of([&] { rw.exec("SELEKT 1"); }) == "store " + file.path + ": near \"SELEKT\": syntax error");
    CHECK(error_of([&] { rw.prepare("SELECT nope FROM t"); }) ==
          "store " + file.path + ": cannot prepare query: no such column: nope");
    CHECK(error_of([&] { rw.prepare("INSERT INTO t (v) VALUES (NULL)").run(); }) ==
          "store " + file.path + ": query failed: NOT NULL constraint failed: t.v");
    CHECK(error_of([&] { sqlite::Statement st(rw.handle(), "SELECT nope FROM t"); }) ==
          "cannot prepare query: no such column: nope");
    CHECK(error_of([&] { sqlite::exec(rw.handle(), "SELEKT 1", "evidence chain: "); }) ==
          "evidence chain: near \"SELEKT\": syntax error");
}

TEST_CASE("sqlite: a locked store is an error, not a hang", "[common][sqlite][error]") {
    TempPath file("locked.db");
    sqlite::Connection writer(file.path, sqlite::Connection::Mode::create);
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    sqlite::Connection other(file.path, sqlite::Connection::Mode::read_write);
    sqlite3_busy_timeout(other.handle(), 50);  // the default waits 5 s (kBusyTimeoutMs)
    writer.exec("BEGIN IMMEDIATE");
    CHECK(error_of([&] { other.exec("BEGIN IMMEDIATE"); }) == "store " + file.path + ": database is locked");
    CHECK(error_of([&] { other.prepare("INSERT INTO t DEFAULT VALUES").run(); }) ==
          "store " + file.path + ": query failed: database is locked");
    writer.exec("COMMIT");
    CHECK(other.prepare("INSERT INTO t DEFAULT VALUES RETURNING id").run() == 1);
}

TEST_CASE("sqlite::check_schema_version", "[common][sqlite][error]") {
    using sqlite::SchemaUse;
    CHECK_NOTHROW(sqlite::check_schema_version(6, 6, "s.db", SchemaUse::read));
    CHECK_NOTHROW(sqlite::check_schema_version(6, 6, "s.db", SchemaUse::migrate));
    CHECK_NOTHROW(sqlite::check_schema_version(0, 6, "s.db", SchemaUse::migrate));  // a new store
    CHECK_NOTHROW(sqlite::check_schema_version(4, 6, "s.db", SchemaUse::migrate));
    const std::string newer = "store s.db has schema version 7, newer than this egresswatch understands (6); "
                              "upgrade egresswatch";
    CHECK(error_of([] { sqlite::check_schema_version(7, 6, "s.db", SchemaUse::read); }) == newer);
    CHECK(error_of([] { sqlite::check_schema_version(7, 6, "s.db", SchemaUse::migrate); }) == newer);
    CHECK(error_of([] { sqlite::check_schema_version(5, 6, "s.db", SchemaUse::read); }) ==
          "store s.db has schema version 5, older than 6; let egresswatchd migrate it first");
    CHECK(error_of([] { sqlite::check_schema_version(0, 6, "s.db", SchemaUse::read); }) ==
          "store s.db has no egresswatch schema (user_version 0); is it an egresswatch store?");
}
