// Read-only access to an evidence store: a thin RAII layer over SQLite.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace egresswatch::cli {

// Any failure to open or read the store; the message is ready for the user.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A value bound to a statement parameter.
using SqlParam = std::variant<std::int64_t, std::string>;

class Statement;

class Store {
public:
    // Opens `path` read-only (never creates it) and checks that its schema
    // version is the one this build knows (schema::kVersion).
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Prepares `sql` and binds `params` to ?1, ?2, ... in order.
    Statement prepare(std::string_view sql, const std::vector<SqlParam>& params = {});

    const std::string& path() const { return path_; }
    // The connection, for code that speaks SQLite directly (the evidence chain).
    sqlite3* handle() const { return db_; }

private:
    friend class Statement;
    [[noreturn]] void fail(std::string_view what) const;

    std::string path_;
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Advances to the next row; false once the rows are exhausted.
    bool step();

    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    std::string text(int column) const;
    // The statement, for code that reads SQLite rows directly.
    sqlite3_stmt* handle() const { return stmt_; }

private:
    friend class Store;
    Statement(Store& store, sqlite3_stmt* stmt) : store_(&store), stmt_(stmt) {}

    Store* store_;
    sqlite3_stmt* stmt_;
};

}  // namespace egresswatch::cli
