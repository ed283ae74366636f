// The investigation filters added to the query CLI (domain, severity, kind,
// application, device names, ordering), the dns and device commands, JSON
// lines, several stores at once, and the usage errors of the new commands.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_cli_support.hpp"

using egresswatch::test::Fixture;
using egresswatch::test::run;
using egresswatch::test::TempStore;
using egresswatch::test::values_of;
using Strings = std::vector<std::string>;

namespace {

// The values of `key` in the JSON output of a command line that must succeed.
Strings selected(const std::string& key, std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "json"});
    auto r = run(args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return values_of(r.out, key);
}

Strings remotes(const TempStore& store, std::vector<std::string> args) {
    args.insert(args.begin(), {"-d", store.path()});
    return selected("remote_ip", args);
}

Strings device_ips(const TempStore& store, std::vector<std::string> args) {
    args.insert(args.begin(), {"-d", store.path(), "devices"});
    return selected("ip", args);
}

// Passive DNS rows of 10.0.0.5 and 10.0.0.9 (times as in the fixture).
constexpr const char* kDns = R"SQL(
INSERT INTO dns (id, time, client_ip, resolver_ip, transport, query, name, type, answer, ttl) VALUES
  (1, 1793609990000000, '10.0.0.5', '10.0.0.1', 'udp', 'cam.example.cn', 'cam.example.cn', 'A', '203.0.113.7', 600),
  (2, 1793606400000000, '10.0.0.9', '10.0.0.1', 'udp', 'a1.tuyaus.com', 'a1.tuyaus.com', 'CNAME', 'edge.tuyaus.com', 60),
  (3, 1793606400000000, '10.0.0.9', '10.0.0.1', 'udp', 'a1.tuyaus.com', 'edge.tuyaus.com', 'A', '198.51.100.20', 60),
  (4, 1793610000000000, '10.0.0.5', '10.0.0.1', 'udp', 'cam.example.cn', 'cam.example.cn', 'A', '203.0.113.8', 600);
)SQL";

}  // namespace

TEST_CASE("cli: --domain matches a name suffix on label boundaries", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--domain", "example.cn"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--domain", "cam.example.cn"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--domain", ".TuyaUS.com"}) == Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"flows", "--domain", "uyaus.com"}).empty());
    CHECK(device_ips(f.store, {"--domain", "cn"}) == Strings{"10.0.0.5"});
}

TEST_CASE("cli: --severity selects that level and above", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"alerts", "--severity", "medium"}) == Strings{"198.51.100.20", "203.0.113.7"});
    CHECK(remotes(f.store, {"alerts", "--severity", "low"}).size() == 3);
    CHECK(remotes(f.store, {"flows", "--severity", "high"}) == Strings{"203.0.113.7"});
    CHECK(device_ips(f.store, {"--severity", "medium"}) == Strings{"10.0.0.5", "10.0.0.9"});
}

TEST_CASE("cli: --kind selects devices and their flows", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--kind", "camera"}) == Strings{"203.0.113.7"});
    // A flow whose device has no devices row counts as "other".
    CHECK(remotes(f.store, {"flows", "--kind", "other"}) == Strings{"8.8.8.8", "192.0.2.1"});
    CHECK(device_ips(f.store, {"--kind", "nvr,iot"}) == Strings{"10.0.0.9", "fd00::1"});
    CHECK(remotes(f.store, {"alerts", "--kind", "camera,iot", "--country", "HK"}) == Strings{"198.51.100.20"});
}

TEST_CASE("cli: --app matches a protocol and its nDPI sub-protocols", "[cli][filter]") {
    Fixture f;
    f.store.exec("UPDATE flows SET app_protocol = 'TLS.HikConnect' WHERE id = 1");
    CHECK(remotes(f.store, {"flows", "--app", "TLS"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--app", "hikconnect"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--app", "TLS.HikConnect"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--app", "MQTT"}) == Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"flows", "--app", "LS"}).empty());
}

TEST_CASE("cli: --device by label or hostname, in any letter case", "[cli][filter]") {
    Fixture f;
    f.store.exec("UPDATE devices SET label = 'Front door' WHERE ip = '10.0.0.5'");
    f.store.exec("UPDATE devices SET hostname = 'tuya-plug' WHERE ip = '10.0.0.9'");
    CHECK(remotes(f.store, {"flows", "--device", "front DOOR"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"alerts", "--device", "tuya-plug"}) == Strings{"198.51.100.20"});
    CHECK(device_ips(f.store, {"--device", "Front door"}) == Strings{"10.0.0.5"});
    CHECK(remotes(f.store, {"flows", "--device", "nobody"}).empty());
}

TEST_CASE("cli: --order bytes puts the largest flows first", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--order", "bytes"}) ==
          Strings{"203.0.113.7", "198.51.100.20", "192.0.2.1", "8.8.8.8"});
    CHECK(remotes(f.store, {"alerts", "--order", "bytes", "--limit", "1"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--order", "time", "--limit", "1"}) == Strings{"8.8.8.8"});
}

TEST_CASE("cli: JSON lines, one object a line", "[cli][jsonl]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "devices", "--format", "jsonl", "--kind", "iot"});
    CHECK(r.code == 0);
    CHECK(r.out ==
          R"({"ip":"10.0.0.9","mac":"de:ad:be:ef:00:09","vendor":"Tuya \"Smart\"","vendor_country":"CN",)"
          R"("kind":"iot","identified_by":["dhcp:tuya"],"hostname":null,"label":null,"site":null,)"
          R"("first_seen":"2026-11-02T08:00:00Z","last_seen":"2026-11-02T10:00:00Z"})"
          "\n");
    CHECK(run({"-d", f.store.path(), "flows", "--format", "jsonl", "--asn", "1"}).out.empty());
}

TEST_CASE("cli: dns rows, filtered by time, device and domain", "[cli][dns]") {
    Fixture f;
    f.store.exec(kDns);
    auto r = run({"-d", f.store.path(), "dns"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == R"(time                  client_ip  query           type   answer
--------------------  ---------  --------------  -----  ---------------
2026-11-02T08:00:00Z  10.0.0.9   a1.tuyaus.com   CNAME  edge.tuyaus.com
2026-11-02T08:00:00Z  10.0.0.9   a1.tuyaus.com   A      198.51.100.20
2026-11-02T08:59:50Z  10.0.0.5   cam.example.cn  A      203.0.113.7
2026-11-02T09:00:00Z  10.0.0.5   cam.example.cn  A      203.0.113.8
4 dns
)");
    auto answers = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"-d", f.store.path(), "dns"});
        return selected("answer", args);
    };
    CHECK(answers({"--since", "2026-11-02T09:00:00Z"}) == Strings{"203.0.113.8"});
    CHECK(answers({"--device", "AA:BB:CC:00:00:05"}) == Strings{"203.0.113.7", "203.0.113.8"});
    CHECK(answers({"--domain", "edge.tuyaus.com"}) == Strings{"198.51.100.20"});  // the answer's owner name
    CHECK(answers({"--kind", "iot", "--limit", "1"}) == Strings{"edge.tuyaus.com"});
}

TEST_CASE("cli: several stores are merged in time order", "[cli][stores]") {
    Fixture a;
    TempStore b;
    b.add_flow(1, 1793606400600000, 1793606401000000, "10.9.0.1", "192.0.2.99", "FR", 3215);
    b.add_flow(2, 1793700000000000, 1793700001000000, "10.9.0.1", "192.0.2.98", "FR", 3215);
    CHECK(selected("remote_ip", {"-d", a.store.path(), "-d", b.path(), "flows"}) ==
          Strings{"8.8.8.8", "198.51.100.20", "192.0.2.99", "203.0.113.7", "192.0.2.1", "192.0.2.98"});
    CHECK(selected("remote_ip", {"-d", a.store.path(), "-d", b.path(), "flows", "--limit", "3"}) ==
          Strings{"8.8.8.8", "198.51.100.20", "192.0.2.99"});
    CHECK(selected("remote_ip", {"-d", b.path(), "-d", a.store.path(), "flows", "--country", "FR,CN"}) ==
          Strings{"192.0.2.99", "203.0.113.7", "192.0.2.98"});
}

TEST_CASE("cli: device tells one device's story", "[cli][device]") {
    Fixture f;
    f.store.exec(kDns);
    auto r = run({"-d", f.store.path(), "device", "10.0.0.5"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == R"(== identity ==
ip        mac                vendor     kind    label
--------  -----------------  ---------  ------  -----
10.0.0.5  aa:bb:cc:00:00:05  Hikvision  camera  -
1 identity

== destinations ==
remote_ip    country  domain          flows  bytes_out  bytes_in  last_contact                 severity
-----------  -------  --------------  -----  ---------  --------  ---------------------------  --------
203.0.113.7  CN       cam.example.cn      1       1200      3400  2026-11-02T09:05:00.250000Z  high
1 destinations

== alerts ==
first_seen            device_ip  device_kind  remote_ip    remote_port  transport  domain          country   asn  bytes_out  bytes_in  severity  reasons
--------------------  ---------  -----------  -----------  -----------  ---------  --------------  -------  ----  ---------  --------  --------  ---------------------------
2026-11-02T09:00:00Z  10.0.0.5   camera       203.0.113.7          443  tcp        cam.example.cn  CN       4134       1200      3400  high      vendor-cloud:CN; country:CN
1 alerts

== dns ==
query           answers                   lookups
--------------  ------------------------  -------
cam.example.cn  203.0.113.7; 203.0.113.8        2
1 dns
)");
    auto json = run({"-d", f.store.path(), "device", "aa:bb:cc:00:00:05", "--format", "json"});
    CHECK(json.code == 0);
    CHECK(json.out.rfind("{\n\"identity\": [\n", 0) == 0);
    CHECK(json.out.find("\n\"destinations\": [\n") != std::string::npos);
    CHECK(json.out.substr(json.out.size() - 3) == "]}\n");
    auto lines = run({"-d", f.store.path(), "device", "10.0.0.5", "--format", "jsonl"});
    CHECK(lines.out.rfind(R"({"section":"identity","ip":"10.0.0.5",)", 0) == 0);
    CHECK(lines.out.find(R"({"section":"dns","query":"cam.example.cn",)") != std::string::npos);
}

TEST_CASE("cli: usage errors of the new options and commands exit 2", "[cli][error]") {
    Fixture f;
    const std::string db = f.store.path();
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"-d", db, "dns", "--country", "CN"}, "--country does not apply to dns (see --help)"},
        {{"-d", db, "devices", "--order", "bytes"}, "--order bytes does not apply to devices (see --help)"},
        {{"-d", db, "report", "--period", "2026-11", "--country", "CN"},
         "--country does not apply to report (see --help)"},
        {{"-d", db, "verify", "--since", "7d"}, "--since does not apply to verify (see --help)"},
        {{"-d", db, "flows", "--period", "2026-11"}, "--period does not apply to flows (see --help)"},
        {{"-d", db, "flows", "--severity", "critical"}, "invalid --severity 'critical': expected low, medium or high"},
        {{"-d", db, "flows", "--kind", "camera,phone"},
         "invalid --kind 'camera,phone': expected camera, nvr, iot or other, separated by commas"},
        {{"-d", db, "flows", "--domain", "bad..name"},
         "invalid --domain 'bad..name': expected a domain name or suffix (hik-connect.com)"},
        {{"-d", db, "flows", "--app", "TLS/1"},
         "invalid --app 'TLS/1': expected a protocol name such as TLS, HikConnect or TLS.HikConnect"},
        {{"-d", db, "flows", "--order", "size"}, "invalid --order 'size': expected time or bytes"},
        {{"-d", db, "device"}, "device needs the device: egresswatch device IP|MAC"},
        {{"-d", db, "device", "10.0.0"}, "invalid device '10.0.0': expected an IP address or a MAC address"},
        {{"-d", db, "report"}, "report needs --period P, or --since T (and --until T)"},
        {{"-d", db, "report", "--period", "2026-13"},
         "invalid --period '2026-13': expected a year (2026), a month (2026-11), an ISO week (2026-W47), a day "
         "(2026-11-02), last-month or last-week"},
        {{"-d", db, "report", "--period", "2026-11", "--since", "2026-11-02"},
         "give either --period or --since/--until, not both"},
        {{"-d", db, "report", "--since", "yesterday"},
         "invalid --since 'yesterday': expected a date (2026-11-02), a UTC date-time "
         "(2026-11-02T09:00:00Z) or a relative time (7d, 12h, 30m)"},
        {{"-d", db, "report", "--period", "2026-11", "--format", "pdf"},
         "unknown report format 'pdf' (expected md, html, csv or json)"},
        {{"-d", db, "export"}, "export needs --device IP|MAC|NAME"},
        {{"-d", db, "export", "--device", "10.0.0.5", "--format", "csv"}, "export writes json only, not 'csv'"},
        {{"-d", db, "-d", "", "flows"}, "missing store: give -d STORE.db (or set EGRESSWATCH_DB, or db = in /nonexistent/egresswatch.conf)"},
    };
    for (const auto& c : cases) {
        auto r = run(c.args);
        INFO("expected: " << c.message);
        CHECK(r.code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == "egresswatch: " + c.message + "\n");
    }
}

TEST_CASE("cli: -o writes to a file", "[cli]") {
    Fixture f;
    std::string path = f.store.path() + ".csv";
    auto r = run({"-d", f.store.path(), "devices", "--format", "csv", "-o", path});
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    auto to_stdout = run({"-d", f.store.path(), "devices", "--format", "csv"});
    std::ifstream file(path);
    std::string written((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(written == to_stdout.out);
    std::filesystem::remove(path);
    auto bad = run({"-d", f.store.path(), "devices", "-o", "/nonexistent/dir/out.csv"});
    CHECK(bad.code == 1);
    CHECK(bad.err == "egresswatch: cannot write /nonexistent/dir/out.csv: No such file or directory\n");
}

TEST_CASE("cli: a time window finds flows that began long before it, and only those", "[cli][filter][window]") {
    TempStore store;
    constexpr std::int64_t hour = 3'600'000'000;
    constexpr std::int64_t since = 1'793'600'000'000'000;  // 2026-11-02T06:13:20Z
    // Overlapping the window: a five-hour keep-alive, an hour-and-a-half one,
    // and a flow inside it. Not overlapping: one that ended a second before.
    store.add_flow(1, since - 5 * hour, since + 60'000'000, "10.0.0.5", "203.0.113.1", "CN", 37963);
    store.add_flow(2, since - hour - hour / 2, since + 1, "10.0.0.5", "203.0.113.2", "CN", 37963);
    store.add_flow(3, since + 10'000'000, since + 20'000'000, "10.0.0.5", "203.0.113.3", "CN", 37963);
    store.add_flow(4, since - 2 * hour, since - 1'000'000, "10.0.0.5", "203.0.113.4", "CN", 37963);
    Strings args = {"flows", "--since", "2026-11-02T06:13:20Z", "--until", "2026-11-02T09:00:00Z"};
    CHECK(remotes(store, args) == Strings{"203.0.113.1", "203.0.113.2", "203.0.113.3"});
    args.insert(args.end(), {"--country", "CN"});
    CHECK(remotes(store, args) == Strings{"203.0.113.1", "203.0.113.2", "203.0.113.3"});
    // Without flows longer than an hour the bound is an hour: still exact.
    store.exec("DELETE FROM flows WHERE id IN (1, 2)");
    CHECK(remotes(store, args) == Strings{"203.0.113.3"});
}

TEST_CASE("cli: the longest flow comes from index flows_long (migration 5 -> 6)", "[cli][filter][window]") {
    // Queries repeat the index's literal so that SQLite can use the partial index.
    std::string migration(egresswatch::schema::kMigrations[5]);
    CHECK(migration.find("> " + std::to_string(egresswatch::schema::kLongFlowUs)) != std::string::npos);
}
