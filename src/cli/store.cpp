#include "store.hpp"

#include <egresswatch/schema.hpp>

namespace egresswatch::cli {

namespace {
// The daemon may be writing while we read; wait for its locks this long.
constexpr int kBusyTimeoutMs = 5000;
}  // namespace

Store::Store(const std::string& path) : path_(path) {
    // One thread per connection: without SQLite's connection mutex, which
    // every column read took (a tenth of a month's report on 10M flows).
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError("cannot open store " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);

    // SQLite opens lazily: a file that is not a database shows up only at the
    // first read.
    std::int64_t version = 0;
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) version = sqlite3_column_int64(stmt, 0);
    }
    if (rc != SQLITE_ROW) {
        std::string message = sqlite3_errmsg(db_);
        sqlite3_finalize(stmt);
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError("cannot open store " + path + ": " + message);
    }
    sqlite3_finalize(stmt);

    std::string problem;
    if (version == 0)
        problem = "has no egresswatch schema (user_version 0); is it an egresswatch store?";
    else if (version > schema::kVersion)
        problem = "has schema version " + std::to_string(version) +
                  ", newer than this egresswatch understands (" +
                  std::to_string(schema::kVersion) + "); upgrade egresswatch";
    else if (version < schema::kVersion)
        problem = "has schema version " + std::to_string(version) + ", older than " +
                  std::to_string(schema::kVersion) + "; let egresswatchd migrate it first";
    if (!problem.empty()) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError("store " + path + " " + problem);
    }
}

Store::~Store() { sqlite3_close(db_); }

void Store::fail(std::string_view what) const {
    throw StoreError("store " + path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

Statement Store::prepare(std::string_view sql, const std::vector<SqlParam>& params) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK)
        fail("cannot prepare query");
    Statement st(*this, stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
        int index = static_cast<int>(i) + 1;
        int rc;
        if (const auto* n = std::get_if<std::int64_t>(&params[i]))
            rc = sqlite3_bind_int64(stmt, index, *n);
        else {
            const auto& s = std::get<std::string>(params[i]);
            rc = sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()),
                                   SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) fail("cannot bind query parameter");
    }
    return st;
}

Statement::Statement(Statement&& other) noexcept : store_(other.store_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    store_->fail("query failed");
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    int n = sqlite3_column_bytes(stmt_, column);
    return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace egresswatch::cli
