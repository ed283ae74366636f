#include "egresswatch/common/sqlite.hpp"

namespace egresswatch::sqlite {

void exec(sqlite3* db, std::string_view sql, std::string_view context) {
    char* message = nullptr;
    std::string text(sql);  // sqlite3_exec wants a terminated string
    if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string why = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        throw StoreError(std::string(context) + why);
    }
}

Statement::Statement(sqlite3* db, std::string_view sql, Lifetime lifetime, std::string context)
    : db_(db), context_(std::move(context)) {
    unsigned flags = lifetime == Lifetime::persistent ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt_, nullptr) != SQLITE_OK)
        fail("cannot prepare query");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), context_(std::move(other.context_)) {
    other.stmt_ = nullptr;
}

void Statement::fail(std::string_view what) const {
    throw StoreError(context_ + std::string(what) + ": " + sqlite3_errmsg(db_));
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Statement& Statement::bind_all(const std::vector<Param>& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        int index = static_cast<int>(i) + 1;
        int rc;
        if (const auto* n = std::get_if<std::int64_t>(&params[i]))
            rc = sqlite3_bind_int64(stmt_, index, *n);
        else {
            const auto& s = std::get<std::string>(params[i]);
            rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) fail("cannot bind query parameter");
    }
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("query failed");
}

std::optional<std::int64_t> Statement::run() {
    std::optional<std::int64_t> value;
    int rc;
    while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) value = sqlite3_column_int64(stmt_, 0);
    if (rc != SQLITE_DONE) {
        std::string message = context_ + "query failed: " + sqlite3_errmsg(db_);
        reset();
        throw StoreError(message);
    }
    reset();
    return value;
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    int n = sqlite3_column_bytes(stmt_, column);
    return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

Connection::Connection(std::string path, Mode mode) : path_(std::move(path)) {
    // One thread per connection: without SQLite's connection mutex, which
    // every column read took (a tenth of a month's report on 10M flows).
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case Mode::read_only: flags |= SQLITE_OPEN_READONLY; break;
        case Mode::read_write: flags |= SQLITE_OPEN_READWRITE; break;
        case Mode::create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    }
    int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw StoreError("cannot open store " + path_ + ": " + why);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Connection::~Connection() { sqlite3_close(db_); }

Statement Connection::prepare(std::string_view sql, const std::vector<Param>& params) {
    Statement statement(db_, sql, Statement::Lifetime::once, context());
    statement.bind_all(params);
    return statement;
}

std::int64_t pragma_integer(sqlite3* db, std::string_view name, const std::string& path) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = 0;
    std::string sql = "PRAGMA " + std::string(name);
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    }
    std::string why = rc == SQLITE_ROW ? std::string() : sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) throw StoreError("cannot open store " + path + ": " + why);
    return value;
}

void check_schema_version(std::int64_t found, int known, const std::string& path, SchemaUse use) {
    std::string problem;
    if (found > known)
        problem = "has schema version " + std::to_string(found) + ", newer than this egresswatch understands (" +
                  std::to_string(known) + "); upgrade egresswatch";
    else if (use == SchemaUse::migrate)
        return;
    else if (found == 0)
        problem = "has no egresswatch schema (user_version 0); is it an egresswatch store?";
    else if (found < known)
        problem = "has schema version " + std::to_string(found) + ", older than " + std::to_string(known) +
                  "; let egresswatchd migrate it first";
    if (!problem.empty()) throw StoreError("store " + path + " " + problem);
}

}  // namespace egresswatch::sqlite
