// The one definition of the flow record's columns (flow_columns.hpp) against
// what is built from it and what is not: the store's tables, the sealed
// order of existing evidence, the JSON log, the ClickHouse schema, and the
// store's statements, which bind every column by its sealed position.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <egresswatch/common/json.hpp>
#include <egresswatch/common/time.hpp>
#include <egresswatch/evidence.hpp>
#include <egresswatch/flow_columns.hpp>

#include "daemon/json_log.hpp"
#include "report/report_test_support.hpp"

using namespace egresswatch;
using namespace egresswatch::test;
using flow_columns::kColumns;
using flow_columns::Source;

namespace {

// Every field set, each to a value no other field has.
FlowRecord full_record() {
    FlowRecord r;
    r.uid = "uid-1";
    r.first_us = kNov1 + 250'000;
    r.last_us = kNov1 + 9 * kSecond;
    r.vlan = 101, r.inner_vlan = 102, r.vlan_in = 103, r.inner_vlan_in = 104;
    r.ip_version = 6;
    r.transport = "udp";
    r.ip_protocol = 17;
    r.device_ip = "fd00::5";
    r.device_port = 5353;
    r.device_mac = "aa:bb:cc:dd:ee:01";
    r.remote_ip = "2001:db8::7";
    r.remote_port = 443;
    r.device_initiated = false;
    r.bytes_out = 1001, r.bytes_in = 1002, r.packets_out = 11, r.packets_in = 12;
    r.app_protocol = "QUIC", r.app_category = "Web", r.domain = "example.org";
    r.remote_local = true;
    r.country = "DE";
    r.asn = 3320;
    r.as_org = "DTAG";
    r.community_id = "1:abc=";
    r.closed = true;
    r.first_record = true;
    r.severity = "high";
    r.reasons = {"a", "b"};
    return r;
}

// full_record() as stored, written independently of the table: "i:<n>", "s:<text>" or "null".
const std::map<std::string, std::string> kFullRecordStored = {
    {"flow_uid", "s:uid-1"}, {"first_seen", "i:" + std::to_string(kNov1 + 250'000)},
    {"last_seen", "i:" + std::to_string(kNov1 + 9 * kSecond)}, {"vlan", "i:101"}, {"inner_vlan", "i:102"},
    {"ip_version", "i:6"}, {"transport", "s:udp"}, {"ip_proto", "i:17"}, {"device_ip", "s:fd00::5"},
    {"device_port", "i:5353"}, {"device_mac", "s:aa:bb:cc:dd:ee:01"}, {"remote_ip", "s:2001:db8::7"},
    {"remote_port", "i:443"}, {"initiator", "s:remote"}, {"bytes_out", "i:1001"}, {"bytes_in", "i:1002"},
    {"packets_out", "i:11"}, {"packets_in", "i:12"}, {"app_protocol", "s:QUIC"}, {"app_category", "s:Web"},
    {"domain", "s:example.org"}, {"remote_local", "i:1"}, {"country", "s:DE"}, {"asn", "i:3320"},
    {"as_org", "s:DTAG"}, {"community_id", "s:1:abc="}, {"state", "s:closed"}, {"severity", "s:high"},
    {"reasons", R"(s:["a","b"])"}, {"vlan_in", "i:103"}, {"inner_vlan_in", "i:104"},
};

// The stored columns of the flow `uid` with its alert (canonical_select_list(),
// after the columns `before` names), handed to `read` as one row.
template <class Read>
auto read_stored_row(const std::string& path, const std::string& uid, const std::string& before, Read read) {
    sqlite::Connection connection(path, sqlite::Connection::Mode::read_only);
    sqlite::Statement row(connection.handle(),
                          "SELECT " + before + evidence::canonical_select_list() +
                              " FROM flows AS f LEFT JOIN alerts AS a ON a.flow_id = f.id WHERE f.flow_uid = ?1");
    row.bind(1, uid);
    REQUIRE(row.step());
    return read(row);
}

// Each stored column of the flow `uid` (with its alert), by name.
std::map<std::string, std::string> stored_columns(const std::string& path, const std::string& uid) {
    return read_stored_row(path, uid, "", [](const sqlite::Statement& row) {
        std::map<std::string, std::string> out;
        for (std::size_t i = 0; i < evidence::kCanonicalColumnCount; ++i) {
            int index = static_cast<int>(i);
            std::string& value = out[std::string(evidence::kCanonicalColumns[i].name)];
            switch (sqlite3_column_type(row.handle(), index)) {
                case SQLITE_NULL: value = "null"; break;
                case SQLITE_INTEGER: value = "i:" + std::to_string(sqlite3_column_int64(row.handle(), index)); break;
                default: value = "s:" + row.text(index);
            }
        }
        return out;
    });
}

std::vector<std::string> json_keys(const std::string& line) {
    static const std::regex key(R"re("([a-z_]+)":)re");
    std::vector<std::string> out;
    for (std::sregex_iterator i(line.begin(), line.end(), key), end; i != end; ++i) out.push_back((*i)[1]);
    return out;
}

}  // namespace

TEST_CASE("flow columns: sealed in the order existing evidence was sealed in", "[flow_columns][evidence]") {
    // Frozen: the canonical text of every sealed record depends on it.
    const std::vector<std::string_view> sealed = {
        "flow_uid",    "first_seen",   "last_seen",    "vlan",         "inner_vlan", "ip_version", "transport",
        "ip_proto",    "device_ip",    "device_port",  "device_mac",   "remote_ip",  "remote_port", "initiator",
        "bytes_out",   "bytes_in",     "packets_out",  "packets_in",   "app_protocol", "app_category", "domain",
        "remote_local", "country",     "asn",          "as_org",       "community_id", "state",     "severity",
        "reasons",     "vlan_in",      "inner_vlan_in",
    };
    REQUIRE(evidence::kCanonicalColumns.size() == sealed.size());
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        INFO("sealed position " << i);
        CHECK(evidence::kCanonicalColumns[i].name == sealed[i]);
    }
    CHECK(evidence::kFirstOptionalColumn == 29);
    CHECK(evidence::canonical_select_list().substr(0, 36) == "f.flow_uid, f.first_seen, f.last_see");
}

TEST_CASE("flow columns: a stored column is read from the record, a device column is not", "[flow_columns]") {
    // Checked here, not in flow_columns::well_formed(): GCC cannot compare a
    // function's address with null in a constant expression under UBSan.
    for (const auto& c : kColumns) {
        INFO(c.name);
        CHECK((c.source != Source::devices) == (c.get != nullptr));
    }
}

TEST_CASE("flow columns: the store's flows and alerts tables have exactly the stored columns", "[flow_columns]") {
    StorePath dir;
    write_store(dir.store(), {});
    sqlite::Connection connection(dir.store(), sqlite::Connection::Mode::read_only);
    auto table_columns = [&](const std::string& table) {
        std::map<std::string, std::string> out;  // name -> "TYPE" or "TYPE NOT NULL"
        sqlite::Statement info(connection.handle(), "SELECT name, type, \"notnull\" FROM pragma_table_info(?1)");
        info.bind(1, table);
        while (info.step()) out[info.text(0)] = info.text(1) + (info.integer(2) ? " NOT NULL" : "");
        return out;
    };
    auto type_of = [](const flow_columns::Column& c, bool not_null) {
        return std::string(c.sql_type == flow_columns::SqlType::integer ? "INTEGER" : "TEXT") +
               (not_null ? " NOT NULL" : "");
    };
    std::map<std::string, std::string> flows = {{"id", "INTEGER"}};
    std::map<std::string, std::string> alerts = {{"flow_id", "INTEGER"}, {"late", "INTEGER NOT NULL"}};
    for (const auto& c : kColumns) {
        if (c.source == Source::flows) flows[std::string(c.name)] = type_of(c, !c.nullable);
        // An alerts row is written only with its values: a record without an alert has none.
        if (c.source == Source::alerts) alerts[std::string(c.name)] = type_of(c, true);
    }
    CHECK(table_columns("flows") == flows);
    CHECK(table_columns("alerts") == alerts);
}

TEST_CASE("flow columns: the JSON log writes the columns in the table's order", "[flow_columns][json_log]") {
    FlowRecord r = full_record();
    std::string line = daemon::flow_json(r, {"camera", "Hikvision"}, "flow");
    std::vector<std::string> keys = {"event_type"};
    for (const auto& c : kColumns)
        if (c.json != flow_columns::Json::none) keys.emplace_back(c.name);
    CHECK(json_keys(line) == keys);
    // The line itself, as egresswatchd has always written it (SIEMs and
    // deploy/clickhouse read these keys and forms).
    CHECK(line == R"({"event_type":"flow","community_id":"1:abc=","flow_uid":"uid-1","first_seen":")" +
                      format_time(r.first_us) + R"(","last_seen":")" + format_time(r.last_us) +
                      R"(","state":"closed","transport":"udp","ip_proto":17,"vlan":101,"inner_vlan":102,)"
                      R"("vlan_in":103,"inner_vlan_in":104,"device_ip":"fd00::5","device_port":5353,)"
                      R"("device_mac":"aa:bb:cc:dd:ee:01","device_kind":"camera","device_vendor":"Hikvision",)"
                      R"("remote_ip":"2001:db8::7","remote_port":443,"remote_local":true,"initiator":"remote",)"
                      R"("app_protocol":"QUIC","app_category":"Web","domain":"example.org","country":"DE","asn":3320,)"
                      R"("as_org":"DTAG","bytes_out":1001,"bytes_in":1002,"packets_out":11,"packets_in":12,)"
                      R"("severity":"high","reasons":["a","b"]})");

    FlowRecord empty;
    CHECK(daemon::flow_json(empty, {}, "alert") ==
          R"({"event_type":"alert","community_id":null,"flow_uid":"","first_seen":")" + format_time(0) +
              R"(","last_seen":")" + format_time(0) +
              R"(","state":"open","transport":"","ip_proto":0,"vlan":null,"inner_vlan":null,)"
              R"("vlan_in":null,"inner_vlan_in":null,"device_ip":"","device_port":null,"device_mac":null,)"
              R"("device_kind":"other","device_vendor":null,"remote_ip":"","remote_port":null,"remote_local":false,)"
              R"("initiator":"device","app_protocol":null,"app_category":null,"domain":null,"country":null,)"
              R"("asn":null,"as_org":null,"bytes_out":0,"bytes_in":0,"packets_out":0,"packets_in":0,)"
              R"("severity":null,"reasons":[]})");
}

TEST_CASE("flow columns: the ClickHouse schema has a column per JSON key", "[flow_columns][clickhouse]") {
    std::string schema = read_file(SOURCE_DIR "/deploy/clickhouse/schema.sql");
    std::size_t start = schema.find("CREATE TABLE IF NOT EXISTS egresswatch.records\n(\n");
    REQUIRE(start != std::string::npos);
    std::size_t end = schema.find("\n)\n", start);
    REQUIRE(end != std::string::npos);
    std::string body = schema.substr(start, end - start);
    // "    name  Type ...": continuation and comment lines do not match.
    static const std::regex column_line(R"(\n    ([a-z_0-9]+) +([A-Za-z0-9]+(\([A-Za-z0-9]+\))?))");
    std::map<std::string, std::string> clickhouse;  // name -> type
    for (std::sregex_iterator i(body.begin(), body.end(), column_line), e; i != e; ++i)
        clickhouse[(*i)[1]] = (*i)[2];
    // The loader's and ClickHouse's own columns, not the record's.
    for (const char* own :
         {"sensor", "home_country", "event_type", "first_seen_us", "last_seen_us", "day", "loaded_at"}) {
        INFO(own);
        CHECK(clickhouse.erase(own) == 1);
    }
    std::set<std::string> json_columns;
    for (const auto& c : kColumns) {
        if (c.json == flow_columns::Json::none) continue;
        std::string name(c.name);
        json_columns.insert(name);
        INFO("column " << name);
        REQUIRE(clickhouse.count(name) == 1);
        std::string type = clickhouse[name];
        bool nullable = type.rfind("Nullable(", 0) == 0;
        if (nullable) type = type.substr(9, type.size() - 10);
        using flow_columns::Json;
        if (c.json == Json::list) CHECK(type == "Array(String)");
        else if (c.json == Json::text || c.json == Json::time) CHECK(type == "String");
        else CHECK(type.find("Int") != std::string::npos);
        // A stored column is Nullable where the record may have no value (device columns are the device's).
        if (c.source != Source::devices && c.json != Json::list) CHECK(nullable == c.nullable);
    }
    std::set<std::string> clickhouse_columns;
    for (const auto& [name, type] : clickhouse) clickhouse_columns.insert(name);
    CHECK(clickhouse_columns == json_columns);
}

TEST_CASE("flow columns: every column is stored where its statement binds it", "[flow_columns][store]") {
    StorePath dir;
    FlowRecord first = full_record();
    first.closed = false;
    write_store(dir.store(), {first});
    std::map<std::string, std::string> expected = kFullRecordStored;
    expected["state"] = "s:open";
    REQUIRE(expected.size() == evidence::kCanonicalColumnCount);
    CHECK(stored_columns(dir.store(), "uid-1") == expected);

    // A later record with the indexed columns unchanged (the UPDATE): each
    // column it rewrites lands in its own place; those of the first record only stay.
    FlowRecord later = full_record();
    later.first_record = false;
    later.closed = false;
    later.last_us += kSecond;
    later.vlan = 201, later.inner_vlan = 202, later.vlan_in = 203, later.inner_vlan_in = 204;
    later.bytes_out = 2001, later.bytes_in = 2002, later.packets_out = 21, later.packets_in = 22;
    later.app_protocol = "TLS", later.app_category = "Media", later.domain = "example.net", later.as_org = "DT";
    later.severity = "medium", later.reasons = {"c"};
    later.transport = "tcp", later.remote_port = 8443, later.remote_local = false, later.community_id = "1:xyz=";
    write_store(dir.store(), {later});
    for (auto [name, value] : std::map<std::string, std::string>{
             {"last_seen", "i:" + std::to_string(later.last_us)}, {"vlan", "i:201"}, {"inner_vlan", "i:202"},
             {"vlan_in", "i:203"}, {"inner_vlan_in", "i:204"}, {"bytes_out", "i:2001"}, {"bytes_in", "i:2002"},
             {"packets_out", "i:21"}, {"packets_in", "i:22"}, {"app_protocol", "s:TLS"}, {"app_category", "s:Media"},
             {"domain", "s:example.net"}, {"as_org", "s:DT"}, {"severity", "s:medium"}, {"reasons", R"(s:["c"])"}})
        expected[name] = value;
    CHECK(stored_columns(dir.store(), "uid-1") == expected);

    // Indexed columns changed (the upsert), and the flow ends: sealed as
    // stored (the columns of the first record only are as they were, as a sensor writes them).
    FlowRecord last = later;
    last.transport = first.transport, last.remote_port = first.remote_port, last.remote_local = first.remote_local;
    last.community_id = first.community_id;
    last.country = "FR", last.asn = 5410, last.device_mac = "aa:bb:cc:dd:ee:02", last.first_us -= kSecond;
    last.closed = true;
    last.severity.clear();
    write_store(dir.store(), {last});
    expected["country"] = "s:FR", expected["asn"] = "i:5410", expected["device_mac"] = "s:aa:bb:cc:dd:ee:02";
    expected["first_seen"] = "i:" + std::to_string(last.first_us);
    expected["state"] = "s:closed", expected["severity"] = "null", expected["reasons"] = "null";
    CHECK(stored_columns(dir.store(), "uid-1") == expected);

    sqlite::Connection connection(dir.store(), sqlite::Connection::Mode::read_only);
    sqlite::Statement row(connection.handle(),
                          "SELECT c.record_hash, " + evidence::canonical_select_list() +
                              " FROM evidence_chain AS c JOIN flows AS f ON f.id = c.flow_id"
                              " LEFT JOIN alerts AS a ON a.flow_id = f.id AND a.late = 0");
    REQUIRE(row.step());
    CHECK(row.text(0) == evidence::sha256_hex(evidence::canonical_record(row.handle(), 1)));
}

namespace {

// A column's value in a record, as text, to compare records column by column.
std::string shown(const flow_columns::FieldValue& v) {
    using Type = flow_columns::FieldValue::Type;
    switch (v.type) {
    case Type::null: return "null";
    case Type::integer: return "i:" + std::to_string(v.integer);
    case Type::text: return "s:" + std::string(v.text);
    case Type::list: return "l:" + json::string_array(*v.list);
    }
    return "?";
}

FlowRecord read_back(const std::string& path, const std::string& uid) {
    // A column before the flow's: read_stored_flow() starts where it is told.
    return read_stored_row(path, uid, "7, ", [](const sqlite::Statement& row) {
        return flow_columns::read_stored_flow(row, 1);
    });
}

}  // namespace

TEST_CASE("flow columns: a stored flow reads back into the record it was written from", "[flow_columns][store]") {
    // What re-judging reads (its late alerts go to the JSON log, syslog and
    // webhooks): every stored column, so a column without a reader fails here.
    StorePath dir;
    FlowRecord alerted = full_record();
    FlowRecord quiet = full_record();
    quiet.uid = "uid-2";
    quiet.vlan = quiet.inner_vlan = quiet.vlan_in = quiet.inner_vlan_in = std::nullopt;
    quiet.device_port = quiet.remote_port = std::nullopt;
    quiet.device_mac = quiet.app_protocol = quiet.app_category = quiet.domain = quiet.country = quiet.as_org =
        quiet.community_id = std::nullopt;
    quiet.asn = std::nullopt;
    quiet.device_initiated = true;
    quiet.remote_local = false;
    quiet.severity.clear();
    quiet.reasons.clear();
    write_store(dir.store(), {alerted, quiet});
    for (const FlowRecord* written : {&alerted, &quiet}) {
        FlowRecord read = read_back(dir.store(), written->uid);
        for (const auto& c : kColumns) {
            if (c.sealed < 0) continue;
            INFO(written->uid << " column " << c.name);
            CHECK(shown(c.get(read)) == shown(c.get(*written)));
        }
    }
}
