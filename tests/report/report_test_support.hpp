// Stores for the report and evidence tests, written the way the sensor writes
// them: through StoreWriter, so that final records are sealed in the chain.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <egresswatch/store.hpp>

#include "../unit/temp_dir.hpp"

namespace egresswatch::test {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;
constexpr std::int64_t kNov1 = 1793491200LL * kSecond;  // 2026-11-01T00:00:00Z

// A store path in a fresh temporary directory, removed with the object.
class StorePath {
public:
    std::string store(const std::string& name = "store.db") const { return directory_ + "/" + name; }
    const std::string& directory() const { return directory_; }

private:
    egresswatch::test::TempDir dir_{"report"};
    std::string directory_ = dir_.path().string();
};

inline FlowRecord flow(std::string uid, std::int64_t first_us, std::string device_ip, std::string remote_ip,
                       std::optional<std::string> country, std::optional<std::uint32_t> asn, std::uint64_t bytes_out,
                       std::uint64_t bytes_in, std::string severity = "") {
    FlowRecord r;
    r.uid = std::move(uid);
    r.first_us = first_us;
    r.last_us = first_us + 30 * kSecond;
    r.transport = "tcp";
    r.ip_protocol = 6;
    r.device_ip = std::move(device_ip);
    r.device_port = 50000;
    r.remote_ip = std::move(remote_ip);
    r.remote_port = 443;
    r.bytes_out = bytes_out;
    r.bytes_in = bytes_in;
    r.packets_out = r.packets_in = 3;
    r.country = std::move(country);
    r.asn = asn;
    if (asn) r.as_org = "AS org " + std::to_string(*asn);
    r.closed = true;
    r.severity = std::move(severity);
    if (!r.severity.empty()) r.reasons = {"test:" + r.severity};
    return r;
}

inline DeviceRecord device(std::string ip, std::string mac, std::string kind, std::int64_t first_us,
                           std::int64_t last_us) {
    DeviceRecord d;
    d.ip = std::move(ip);
    d.mac = std::move(mac);
    d.vendor = "Vendor of " + d.ip;
    d.kind = std::move(kind);
    d.identified_by = {"test:" + d.kind};
    d.first_us = first_us;
    d.last_us = last_us;
    return d;
}

// Writes `records` with a StoreWriter and waits until they are committed.
inline void write_store(const std::string& path, std::vector<StoreRecord> records) {
    StoreWriter writer(path, 10);
    writer.submit(std::move(records));
    if (!writer.flush() || !writer.close()) throw std::runtime_error("store write failed: " + writer.last_error());
}

// Runs SQL on a store (to tamper with it, or to sum over it).
class Sql {
public:
    explicit Sql(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
    }
    ~Sql() { sqlite3_close(db_); }
    Sql(const Sql&) = delete;
    Sql& operator=(const Sql&) = delete;

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error("test SQL failed: " + text);
        }
    }

    // The first column of the first row, as an integer (0 for NULL or no row).
    std::int64_t integer(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("test SQL failed: ") + sqlite3_errmsg(db_));
        std::int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
        sqlite3_finalize(stmt);
        return value;
    }

    // The first column of the first row, as text ("" for NULL or no row).
    std::string text(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("test SQL failed: ") + sqlite3_errmsg(db_));
        std::string value;
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        return value;
    }

private:
    sqlite3* db_ = nullptr;
};

// A file's bytes.
inline std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// The verdict's first problem line (verify prints the verdict line first).
inline std::string first_problem(const std::string& verify_output) {
    auto start = verify_output.find('\n') + 1;
    return verify_output.substr(start, verify_output.find('\n', start) - start);
}

}  // namespace egresswatch::test
