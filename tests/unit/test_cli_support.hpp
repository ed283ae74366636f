// Test support for the CLI: a store in a temporary file, and cli::run on a
// command line with its exit code and outputs.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <egresswatch/schema.hpp>

#include "../../src/cli/cli.hpp"

namespace egresswatch::test {

// Not this machine's installed configuration (its db = and tz = are the CLI's
// defaults): set before any test runs, in every test that calls the CLI.
inline const bool kNoInstalledConfig = setenv("EGRESSWATCH_CONF", "/nonexistent/egresswatch.conf", 0) == 0;

namespace fs = std::filesystem;

// A store file that lives as long as the object.
class TempStore {
public:
    explicit TempStore(int user_version = egresswatch::schema::kVersion) {
        std::string pattern = (fs::temp_directory_path() / "egresswatch-cli-XXXXXX").string();
        int fd = mkstemp(pattern.data());
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        close(fd);
        path_ = pattern;
        if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK)
            throw std::runtime_error("cannot open test store");
        for (auto migration : egresswatch::schema::kMigrations) exec(std::string(migration));
        exec("PRAGMA user_version=" + std::to_string(user_version));
    }
    ~TempStore() {
        sqlite3_close(db_);
        std::error_code ignored;
        fs::remove(path_, ignored);
    }
    TempStore(const TempStore&) = delete;
    TempStore& operator=(const TempStore&) = delete;

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error("test SQL failed: " + text);
        }
    }

    // A flow with the columns that matter to filters; the rest is filler.
    void add_flow(int id, std::int64_t first, std::int64_t last, const char* device_ip,
                  const char* remote_ip, const char* country, int asn) {
        exec("INSERT INTO flows (id, flow_uid, first_seen, last_seen, ip_version, transport, "
             "ip_proto, device_ip, remote_ip, initiator, bytes_out, bytes_in, packets_out, "
             "packets_in, country, asn, state) VALUES (" +
             std::to_string(id) + ", 'extra-" + std::to_string(id) + "', " +
             std::to_string(first) + ", " + std::to_string(last) + ", 4, 'tcp', 6, '" +
             device_ip + "', '" + remote_ip + "', 'device', 1, 1, 1, 1, '" + country + "', " +
             std::to_string(asn) + ", 'open')");
    }

    const std::string& path() const { return path_; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

struct Result {
    int code;
    std::string out;
    std::string err;
};

inline Result run(const std::vector<std::string>& args) {
    std::vector<std::string> storage{"egresswatch"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : storage) argv.push_back(a.c_str());
    std::ostringstream out, err;
    int code = egresswatch::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
}

// Times used below, in microseconds since the epoch:
//   1793318400000000  2026-10-30T00:00:00Z
//   1793491200000000  2026-11-01T00:00:00Z
//   1793606400500000  2026-11-02T08:00:00.500000Z
//   1793610000000000  2026-11-02T09:00:00Z
//   1793610300250000  2026-11-02T09:05:00.250000Z
//   1793613600000000  2026-11-02T10:00:00Z
inline constexpr const char* kFixture = R"SQL(
INSERT INTO devices (ip, mac, vendor, vendor_country, kind, identified_by, first_seen, last_seen) VALUES
  ('10.0.0.5', 'aa:bb:cc:00:00:05', 'Hikvision', 'CN', 'camera', '["oui:Hikvision","rtsp:554"]',
   1793491200000000, 1793620800000000),
  ('10.0.0.9', 'de:ad:be:ef:00:09', 'Tuya "Smart"', 'CN', 'iot', '[ "dhcp:tuya" ]',
   1793606400000000, 1793613600000000),
  ('10.0.0.10', NULL, NULL, NULL, 'other', '[]', 1793610000000000, 1793610001000000),
  ('fd00::1', '00:11:22:33:44:55', 'Dahua', 'CN', 'nvr', '["mdns:_dhwebs._tcp"]',
   1793491200000000, 1793494800000000);

INSERT INTO flows (id, flow_uid, first_seen, last_seen, ip_version, transport, ip_proto,
                   device_ip, device_port, device_mac, remote_ip, remote_port, initiator,
                   bytes_out, bytes_in, packets_out, packets_in, app_protocol, domain,
                   country, asn, as_org, state) VALUES
  (1, 'r1-1', 1793610000000000, 1793610300250000, 4, 'tcp', 6, '10.0.0.5', 50000,
   'aa:bb:cc:00:00:05', '203.0.113.7', 443, 'device', 1200, 3400, 10, 12, 'TLS',
   'cam.example.cn', 'CN', 4134, 'CHINANET-BACKBONE', 'closed'),
  (2, 'r1-2', 1793606400500000, 1793613600000000, 4, 'tcp', 6, '10.0.0.9', 50001,
   'de:ad:be:ef:00:09', '198.51.100.20', 8883, 'device', 500, 600, 5, 6, 'MQTT',
   'a1.tuyaus.com', 'HK', 9304, 'HGC Global Communications, Ltd', 'open'),
  (3, 'r1-3', 1793610000000000, 1793610001000000, 4, 'udp', 17, '10.0.0.10', 5353,
   NULL, '192.0.2.1', 53, 'device', 80, 120, 1, 1, 'DNS', NULL, NULL, NULL, NULL, 'closed'),
  (4, 'r1-4', 1793318400000000, 1793318410000000, 4, 'icmp', 1, '10.0.0.7', NULL,
   'aa:bb:cc:00:00:07', '8.8.8.8', NULL, 'device', 84, 84, 1, 1, NULL,
   'x' || char(9) || 'y"' || char(1), 'US', 15169, 'GOOGLE', 'closed');

INSERT INTO alerts (flow_id, severity, reasons) VALUES
  (1, 'high', '["vendor-cloud:CN","country:CN"]'),
  (2, 'medium', '["country:HK", "new-destination"]'),
  (4, 'low', '["icmp-echo \u00e9"]');
)SQL";

struct Fixture {
    TempStore store;
    Fixture() { store.exec(kFixture); }
};

// The values of one string-valued key in JSON output, in order.
inline std::vector<std::string> values_of(const std::string& json, const std::string& key) {
    std::vector<std::string> values;
    std::string needle = "\"" + key + "\":\"";
    for (auto pos = json.find(needle); pos != std::string::npos; pos = json.find(needle, pos)) {
        pos += needle.size();
        values.push_back(json.substr(pos, json.find('"', pos) - pos));
    }
    return values;
}

}  // namespace egresswatch::test
