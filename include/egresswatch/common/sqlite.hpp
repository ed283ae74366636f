// The one SQLite layer of egresswatch: a connection and a statement that
// free themselves, one error type, and the one check of a store's schema
// version. The store writer, the evidence chain, retention and the CLI all
// speak SQLite through it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace egresswatch {

// Any failure to open, read or write a store; the message is ready for the
// user and names the store where it is known.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace sqlite {

// How long a connection waits for another's lock before it fails with
// "database is locked" (the daemon writes while the CLI reads).
inline constexpr int kBusyTimeoutMs = 5000;

// A value bound to a statement parameter (copied into the statement).
using Param = std::variant<std::int64_t, std::string>;

// Runs `sql` (any number of statements, no rows wanted) on `db`. Throws
// StoreError("<context><why>").
void exec(sqlite3* db, std::string_view sql, std::string_view context = {});

// A prepared statement, finalised when it goes. Errors throw StoreError
// "<context><what>: <SQLite's message>", context being "store <path>: " for
// statements made by a Connection.
class Statement {
public:
    // persistent (SQLITE_PREPARE_PERSISTENT): kept and reused many times, as
    // the store writer's statements are; once: run and dropped.
    enum class Lifetime { once, persistent };
    Statement(sqlite3* db, std::string_view sql, Lifetime lifetime = Lifetime::persistent,
              std::string context = {});
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    Statement& bind(int index, std::int64_t value);
    // Not copied: the text must outlive the statement's next step (the store
    // writer binds and runs in one expression).
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, std::uint32_t value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind_null(int index);
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }
    // Copied into the statement: ?1, ?2, ... in order.
    Statement& bind_all(const std::vector<Param>& params);

    // Advances to the next row; false once the rows are exhausted.
    bool step();
    // Runs to completion and readies the statement for its next use (bindings
    // cleared); returns the first column of the last row, if any.
    std::optional<std::int64_t> run();
    // Readies the statement for its next use, bindings cleared.
    void reset();

    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    std::string text(int column) const;
    // For code that reads SQLite rows directly (the evidence chain's canonical text).
    sqlite3_stmt* handle() const { return stmt_; }

private:
    [[noreturn]] void fail(std::string_view what) const;

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string context_;
};

// PRAGMA `name` of `db`, the store at `path`, as an integer (user_version,
// page_size). Throws StoreError("cannot open store <path>: <why>") when it
// cannot be read (the file is not a database).
std::int64_t pragma_integer(sqlite3* db, std::string_view name, const std::string& path);
inline std::int64_t user_version(sqlite3* db, const std::string& path) {
    return pragma_integer(db, "user_version", path);
}

// A connection to the store at `path`, closed when it goes, with the busy
// timeout set. SQLite opens lazily: a file that is not a database fails at
// the first read (user_version() is a good first one).
class Connection {
public:
    enum class Mode { read_only, read_write, create };
    // Throws StoreError("cannot open store <path>: <why>").
    Connection(std::string path, Mode mode);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void exec(std::string_view sql) { sqlite::exec(db_, sql, context()); }
    Statement prepare(std::string_view sql, const std::vector<Param>& params = {});
    std::int64_t user_version() { return sqlite::user_version(db_, path_); }

    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }
    // "store <path>: ", the start of this store's error messages.
    std::string context() const { return "store " + path_ + ": "; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

// What a program will do with a store whose schema version is `found`, this
// build's being `known`: a reader needs exactly `known`; a writer migrates an
// older store (0: a new one) forward itself. Throws StoreError naming `path`
// for a store it cannot use (newer than `known`; for a reader, also older or 0).
enum class SchemaUse { read, migrate };
void check_schema_version(std::int64_t found, int known, const std::string& path, SchemaUse use);

}  // namespace sqlite
}  // namespace egresswatch
