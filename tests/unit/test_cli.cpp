// The query CLI end to end: a small store in a temporary file, cli::run, and
// the exact output of each format and filter.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <egresswatch/schema.hpp>

#include "../../src/cli/cli.hpp"
#include "../../src/cli/filters.hpp"
#include "../../src/cli/query.hpp"
#include "test_cli_support.hpp"

namespace cli = egresswatch::cli;
namespace fs = std::filesystem;
using egresswatch::test::run;
using egresswatch::test::Fixture;
using egresswatch::test::TempStore;
using egresswatch::test::values_of;

namespace {


using Strings = std::vector<std::string>;

// remote_ip of the flows (or alerts) that a command line selects.
Strings remotes(const TempStore& store, std::initializer_list<std::string> args) {
    std::vector<std::string> full{"-d", store.path(), "--format", "json"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv{"egresswatch"};
    for (const auto& a : full) argv.push_back(a.c_str());
    std::ostringstream out, err;
    int code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
    INFO("stderr: " << err.str());
    REQUIRE(code == 0);
    return values_of(out.str(), "remote_ip");
}

// ip of the devices that a command line selects.
Strings device_ips(const TempStore& store, std::initializer_list<std::string> args) {
    std::vector<std::string> full{"-d", store.path(), "devices", "--format", "json"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv{"egresswatch"};
    for (const auto& a : full) argv.push_back(a.c_str());
    std::ostringstream out, err;
    int code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
    INFO("stderr: " << err.str());
    REQUIRE(code == 0);
    return values_of(out.str(), "ip");
}


}  // namespace

// ---------------------------------------------------------------------------
// Output formats

TEST_CASE("cli: flows as JSON", "[cli][json]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "flows", "--format", "json"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out ==
          "[\n"
          R"(  {"first_seen":"2026-10-30T00:00:00Z","last_seen":"2026-10-30T00:00:10Z",)"
          R"("device_ip":"10.0.0.7","device_mac":"aa:bb:cc:00:00:07","device_vendor":null,)"
          R"("device_kind":null,"remote_ip":"8.8.8.8","remote_port":null,"transport":"icmp",)"
          R"("app_protocol":null,"domain":"x\ty\"\u0001","country":"US","asn":15169,)"
          R"("as_org":"GOOGLE","bytes_out":84,"bytes_in":84,"packets_out":1,"packets_in":1,"vlan":null,"vlan_in":null},)"
          "\n"
          R"(  {"first_seen":"2026-11-02T08:00:00.500000Z","last_seen":"2026-11-02T10:00:00Z",)"
          R"("device_ip":"10.0.0.9","device_mac":"de:ad:be:ef:00:09",)"
          R"("device_vendor":"Tuya \"Smart\"","device_kind":"iot","remote_ip":"198.51.100.20",)"
          R"("remote_port":8883,"transport":"tcp","app_protocol":"MQTT",)"
          R"("domain":"a1.tuyaus.com","country":"HK","asn":9304,)"
          R"("as_org":"HGC Global Communications, Ltd","bytes_out":500,"bytes_in":600,)"
          R"("packets_out":5,"packets_in":6,"vlan":null,"vlan_in":null},)"
          "\n"
          R"(  {"first_seen":"2026-11-02T09:00:00Z","last_seen":"2026-11-02T09:05:00.250000Z",)"
          R"("device_ip":"10.0.0.5","device_mac":"aa:bb:cc:00:00:05",)"
          R"("device_vendor":"Hikvision","device_kind":"camera","remote_ip":"203.0.113.7",)"
          R"("remote_port":443,"transport":"tcp","app_protocol":"TLS",)"
          R"("domain":"cam.example.cn","country":"CN","asn":4134,)"
          R"("as_org":"CHINANET-BACKBONE","bytes_out":1200,"bytes_in":3400,)"
          R"("packets_out":10,"packets_in":12,"vlan":null,"vlan_in":null},)"
          "\n"
          R"(  {"first_seen":"2026-11-02T09:00:00Z","last_seen":"2026-11-02T09:00:01Z",)"
          R"("device_ip":"10.0.0.10","device_mac":null,"device_vendor":null,)"
          R"("device_kind":"other","remote_ip":"192.0.2.1","remote_port":53,"transport":"udp",)"
          R"("app_protocol":"DNS","domain":null,"country":null,"asn":null,"as_org":null,)"
          R"("bytes_out":80,"bytes_in":120,"packets_out":1,"packets_in":1,"vlan":null,"vlan_in":null})"
          "\n]\n");
}

TEST_CASE("cli: alerts as JSON", "[cli][json]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "alerts", "--format", "json"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out ==
          "[\n"
          R"(  {"first_seen":"2026-10-30T00:00:00Z","last_seen":"2026-10-30T00:00:10Z",)"
          R"("device_ip":"10.0.0.7","device_mac":"aa:bb:cc:00:00:07","device_vendor":null,)"
          R"("device_kind":null,"remote_ip":"8.8.8.8","remote_port":null,"transport":"icmp",)"
          R"("app_protocol":null,"domain":"x\ty\"\u0001","country":"US","asn":15169,)"
          R"("as_org":"GOOGLE","bytes_out":84,"bytes_in":84,"packets_out":1,"packets_in":1,"vlan":null,"vlan_in":null,)"
          R"("severity":"low","reasons":["icmp-echo )" "\xc3\xa9" R"("]},)"
          "\n"
          R"(  {"first_seen":"2026-11-02T08:00:00.500000Z","last_seen":"2026-11-02T10:00:00Z",)"
          R"("device_ip":"10.0.0.9","device_mac":"de:ad:be:ef:00:09",)"
          R"("device_vendor":"Tuya \"Smart\"","device_kind":"iot","remote_ip":"198.51.100.20",)"
          R"("remote_port":8883,"transport":"tcp","app_protocol":"MQTT",)"
          R"("domain":"a1.tuyaus.com","country":"HK","asn":9304,)"
          R"("as_org":"HGC Global Communications, Ltd","bytes_out":500,"bytes_in":600,)"
          R"("packets_out":5,"packets_in":6,"vlan":null,"vlan_in":null,)"
          R"("severity":"medium","reasons":["country:HK","new-destination"]},)"
          "\n"
          R"(  {"first_seen":"2026-11-02T09:00:00Z","last_seen":"2026-11-02T09:05:00.250000Z",)"
          R"("device_ip":"10.0.0.5","device_mac":"aa:bb:cc:00:00:05",)"
          R"("device_vendor":"Hikvision","device_kind":"camera","remote_ip":"203.0.113.7",)"
          R"("remote_port":443,"transport":"tcp","app_protocol":"TLS",)"
          R"("domain":"cam.example.cn","country":"CN","asn":4134,)"
          R"("as_org":"CHINANET-BACKBONE","bytes_out":1200,"bytes_in":3400,)"
          R"("packets_out":10,"packets_in":12,"vlan":null,"vlan_in":null,)"
          R"("severity":"high","reasons":["vendor-cloud:CN","country:CN"]})"
          "\n]\n");
}

TEST_CASE("cli: devices as JSON, in numeric address order", "[cli][json]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "devices", "--format", "json"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out ==
          "[\n"
          R"(  {"ip":"10.0.0.5","mac":"aa:bb:cc:00:00:05","vendor":"Hikvision",)"
          R"("vendor_country":"CN","kind":"camera","identified_by":["oui:Hikvision","rtsp:554"],)"
          R"("hostname":null,"label":null,"site":null,)"
          R"("first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-02T12:00:00Z"},)"
          "\n"
          R"(  {"ip":"10.0.0.9","mac":"de:ad:be:ef:00:09","vendor":"Tuya \"Smart\"",)"
          R"("vendor_country":"CN","kind":"iot","identified_by":["dhcp:tuya"],)"
          R"("hostname":null,"label":null,"site":null,)"
          R"("first_seen":"2026-11-02T08:00:00Z","last_seen":"2026-11-02T10:00:00Z"},)"
          "\n"
          R"(  {"ip":"10.0.0.10","mac":null,"vendor":null,"vendor_country":null,"kind":"other",)"
          R"("identified_by":[],"hostname":null,"label":null,"site":null,"first_seen":"2026-11-02T09:00:00Z",)"
          R"("last_seen":"2026-11-02T09:00:01Z"},)"
          "\n"
          R"(  {"ip":"fd00::1","mac":"00:11:22:33:44:55","vendor":"Dahua","vendor_country":"CN",)"
          R"("kind":"nvr","identified_by":["mdns:_dhwebs._tcp"],"hostname":null,"label":null,"site":null,)"
          R"("first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-01T01:00:00Z"})"
          "\n]\n");
}

TEST_CASE("cli: an empty result is [] in JSON", "[cli][json]") {
    Fixture f;
    for (const char* command : {"flows", "alerts", "devices"}) {
        auto r = run({"-d", f.store.path(), command, "--format", "json", "--asn", "1"});
        CHECK(r.code == 0);
        CHECK(r.out == "[]\n");
    }
}

#define FFFD "\xEF\xBF\xBD"

TEST_CASE("cli: flows as CSV", "[cli][csv]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "flows", "--format", "csv"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out ==
          "first_seen,last_seen,device_ip,device_mac,device_vendor,device_kind,remote_ip,"
          "remote_port,transport,app_protocol,domain,country,asn,as_org,bytes_out,bytes_in,"
          "packets_out,packets_in,vlan,vlan_in\n"
          "2026-10-30T00:00:00Z,2026-10-30T00:00:10Z,10.0.0.7,aa:bb:cc:00:00:07,,,8.8.8.8,,"
          // Control characters become U+FFFD in CSV (tab and \x01 here).
          "icmp,,\"x" FFFD "y\"\"" FFFD "\",US,15169,GOOGLE,84,84,1,1,,\n"
          "2026-11-02T08:00:00.500000Z,2026-11-02T10:00:00Z,10.0.0.9,de:ad:be:ef:00:09,"
          "\"Tuya \"\"Smart\"\"\",iot,198.51.100.20,8883,tcp,MQTT,a1.tuyaus.com,HK,9304,"
          "\"HGC Global Communications, Ltd\",500,600,5,6,,\n"
          "2026-11-02T09:00:00Z,2026-11-02T09:05:00.250000Z,10.0.0.5,aa:bb:cc:00:00:05,"
          "Hikvision,camera,203.0.113.7,443,tcp,TLS,cam.example.cn,CN,4134,CHINANET-BACKBONE,"
          "1200,3400,10,12,,\n"
          "2026-11-02T09:00:00Z,2026-11-02T09:00:01Z,10.0.0.10,,,other,192.0.2.1,53,udp,DNS,"
          ",,,,80,120,1,1,,\n");
}

TEST_CASE("cli: alerts as CSV join reasons with '; '", "[cli][csv]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "alerts", "--format", "csv", "--country", "CN,HK"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out ==
          "first_seen,last_seen,device_ip,device_mac,device_vendor,device_kind,remote_ip,"
          "remote_port,transport,app_protocol,domain,country,asn,as_org,bytes_out,bytes_in,"
          "packets_out,packets_in,vlan,vlan_in,severity,reasons\n"
          "2026-11-02T08:00:00.500000Z,2026-11-02T10:00:00Z,10.0.0.9,de:ad:be:ef:00:09,"
          "\"Tuya \"\"Smart\"\"\",iot,198.51.100.20,8883,tcp,MQTT,a1.tuyaus.com,HK,9304,"
          "\"HGC Global Communications, Ltd\",500,600,5,6,,,medium,country:HK; new-destination\n"
          "2026-11-02T09:00:00Z,2026-11-02T09:05:00.250000Z,10.0.0.5,aa:bb:cc:00:00:05,"
          "Hikvision,camera,203.0.113.7,443,tcp,TLS,cam.example.cn,CN,4134,CHINANET-BACKBONE,"
          "1200,3400,10,12,,,high,vendor-cloud:CN; country:CN\n");
}

TEST_CASE("cli: devices as CSV", "[cli][csv]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "devices", "--format", "csv"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out ==
          "ip,mac,vendor,vendor_country,kind,identified_by,hostname,label,site,first_seen,last_seen\n"
          "10.0.0.5,aa:bb:cc:00:00:05,Hikvision,CN,camera,oui:Hikvision; rtsp:554,,,,"
          "2026-11-01T00:00:00Z,2026-11-02T12:00:00Z\n"
          "10.0.0.9,de:ad:be:ef:00:09,\"Tuya \"\"Smart\"\"\",CN,iot,dhcp:tuya,,,,"
          "2026-11-02T08:00:00Z,2026-11-02T10:00:00Z\n"
          "10.0.0.10,,,,other,,,,,2026-11-02T09:00:00Z,2026-11-02T09:00:01Z\n"
          "fd00::1,00:11:22:33:44:55,Dahua,CN,nvr,mdns:_dhwebs._tcp,,,,"
          "2026-11-01T00:00:00Z,2026-11-01T01:00:00Z\n");
}

TEST_CASE("cli: an empty result is just the header in CSV", "[cli][csv]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "devices", "--format", "csv", "--asn", "1"});
    CHECK(r.code == 0);
    CHECK(r.out == "ip,mac,vendor,vendor_country,kind,identified_by,hostname,label,site,first_seen,last_seen\n");
}

TEST_CASE("cli: flows as a table (the default format)", "[cli][table]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "flows"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == R"(first_seen                   device_ip  device_kind  remote_ip      remote_port  transport  domain          country    asn  bytes_out  bytes_in
---------------------------  ---------  -----------  -------------  -----------  ---------  --------------  -------  -----  ---------  --------
2026-10-30T00:00:00Z         10.0.0.7   -            8.8.8.8                  -  icmp       x\x09y"\x01     US       15169         84        84
2026-11-02T08:00:00.500000Z  10.0.0.9   iot          198.51.100.20         8883  tcp        a1.tuyaus.com   HK        9304        500       600
2026-11-02T09:00:00Z         10.0.0.5   camera       203.0.113.7            443  tcp        cam.example.cn  CN        4134       1200      3400
2026-11-02T09:00:00Z         10.0.0.10  other        192.0.2.1               53  udp        -               -            -         80       120
4 flows
)");
    // The explicit format is the same.
    CHECK(run({"-d", f.store.path(), "flows", "--format", "table"}).out == r.out);
}

TEST_CASE("cli: alerts as a table", "[cli][table]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "alerts"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == R"(first_seen                   device_ip  device_kind  remote_ip      remote_port  transport  domain          country    asn  bytes_out  bytes_in  severity  reasons
---------------------------  ---------  -----------  -------------  -----------  ---------  --------------  -------  -----  ---------  --------  --------  ---------------------------
2026-10-30T00:00:00Z         10.0.0.7   -            8.8.8.8                  -  icmp       x\x09y"\x01     US       15169         84        84  low       icmp-echo )"
                   "\xc3\xa9"
                   R"(
2026-11-02T08:00:00.500000Z  10.0.0.9   iot          198.51.100.20         8883  tcp        a1.tuyaus.com   HK        9304        500       600  medium    country:HK; new-destination
2026-11-02T09:00:00Z         10.0.0.5   camera       203.0.113.7            443  tcp        cam.example.cn  CN        4134       1200      3400  high      vendor-cloud:CN; country:CN
3 alerts
)");
}

TEST_CASE("cli: devices as a table", "[cli][table]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "devices"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == R"(ip         mac                vendor        kind    label
---------  -----------------  ------------  ------  -----
10.0.0.5   aa:bb:cc:00:00:05  Hikvision     camera  -
10.0.0.9   de:ad:be:ef:00:09  Tuya "Smart"  iot     -
10.0.0.10  -                  -             other   -
fd00::1    00:11:22:33:44:55  Dahua         nvr     -
4 devices
)");
}

TEST_CASE("cli: an empty table still has its header and count", "[cli][table]") {
    Fixture f;
    auto r = run({"-d", f.store.path(), "alerts", "--device", "10.0.0.10"});
    CHECK(r.code == 0);
    CHECK(r.out == R"(first_seen  device_ip  device_kind  remote_ip  remote_port  transport  domain  country  asn  bytes_out  bytes_in  severity  reasons
----------  ---------  -----------  ---------  -----------  ---------  ------  -------  ---  ---------  --------  --------  -------
0 alerts
)");
}

TEST_CASE("cli: options may come before or after the command", "[cli]") {
    Fixture f;
    auto a = run({"flows", "-d", f.store.path(), "--format=csv", "--limit", "1"});
    auto b = run({"--limit=1", "--format", "csv", "--db", f.store.path(), "flows"});
    CHECK(a.code == 0);
    CHECK(a.out == b.out);
    CHECK(a.out.find("10.0.0.7") != std::string::npos);
}

// ---------------------------------------------------------------------------
// Filters

TEST_CASE("cli: --device by IP", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--device", "10.0.0.5"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"alerts", "--device", "10.0.0.9"}) == Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"alerts", "--device", "10.0.0.10"}).empty());
    CHECK(remotes(f.store, {"flows", "--device", "10.0.0.99"}).empty());
    // A flow whose device has no devices row still matches by IP.
    CHECK(remotes(f.store, {"flows", "--device", "10.0.0.7"}) == Strings{"8.8.8.8"});
}

TEST_CASE("cli: --device by MAC in any case and separator", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--device", "AA:BB:CC:00:00:05"}) ==
          Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--device", "DE-AD-BE-EF-00-09"}) ==
          Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"alerts", "--device", "Aa:bB:cc:00:00:07"}) == Strings{"8.8.8.8"});
    CHECK(remotes(f.store, {"flows", "--device", "00:00:00:00:00:00"}).empty());
    CHECK(device_ips(f.store, {"--device", "DE:AD:BE:EF:00:09"}) == Strings{"10.0.0.9"});
    // Stored MACs are lower case, but another writer might not have been so careful.
    f.store.exec("UPDATE flows SET device_mac = upper(device_mac) WHERE id = 4");
    f.store.exec("UPDATE devices SET mac = upper(mac) WHERE ip = '10.0.0.9'");
    CHECK(remotes(f.store, {"alerts", "--device", "aa:bb:cc:00:00:07"}) == Strings{"8.8.8.8"});
    CHECK(device_ips(f.store, {"--device", "de-ad-be-ef-00-09"}) == Strings{"10.0.0.9"});
    CHECK(device_ips(f.store, {"--device", "10.0.0.10"}) == Strings{"10.0.0.10"});
    CHECK(device_ips(f.store, {"--device", "FD00:0::1"}) == Strings{"fd00::1"});
}

TEST_CASE("cli: --country and --asn lists", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--country", "CN,HK"}) ==
          Strings{"198.51.100.20", "203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--country", "cn"}) == Strings{"203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--country", "US"}) == Strings{"8.8.8.8"});
    CHECK(remotes(f.store, {"flows", "--asn", "15169"}) == Strings{"8.8.8.8"});
    CHECK(remotes(f.store, {"alerts", "--asn", "4134,AS9304"}) ==
          Strings{"198.51.100.20", "203.0.113.7"});
    // Filters combine with AND.
    CHECK(remotes(f.store, {"flows", "--country", "CN", "--asn", "9304"}).empty());
    CHECK(remotes(f.store, {"flows", "--country", "CN,HK", "--asn", "9304"}) ==
          Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"flows", "--country", "CN,HK", "--device", "10.0.0.5"}) ==
          Strings{"203.0.113.7"});
}

TEST_CASE("cli: devices by the countries and ASNs of their flows", "[cli][filter]") {
    Fixture f;
    CHECK(device_ips(f.store, {"--country", "CN"}) == Strings{"10.0.0.5"});
    CHECK(device_ips(f.store, {"--country", "HK,CN"}) == Strings{"10.0.0.5", "10.0.0.9"});
    CHECK(device_ips(f.store, {"--asn", "9304"}) == Strings{"10.0.0.9"});
    // 10.0.0.7 has a US flow but no devices row.
    CHECK(device_ips(f.store, {"--country", "US"}).empty());
    // The matching flow must lie in the window too: flow 1 starts at 09:00.
    CHECK(device_ips(f.store, {"--country", "CN", "--until", "2026-11-02T09:00:00Z"}).empty());
    CHECK(device_ips(f.store, {"--country", "CN", "--until", "2026-11-02T09:00:00.000001Z"}) ==
          Strings{"10.0.0.5"});
}

TEST_CASE("cli: --since/--until select flows that overlap the window", "[cli][filter]") {
    Fixture f;
    // last_seen >= since
    CHECK(remotes(f.store, {"flows", "--since", "2026-11-02T09:00:00Z"}) ==
          Strings{"198.51.100.20", "203.0.113.7", "192.0.2.1"});
    CHECK(remotes(f.store, {"flows", "--since", "2026-11-02T09:00:01Z"}) ==
          Strings{"198.51.100.20", "203.0.113.7", "192.0.2.1"});
    CHECK(remotes(f.store, {"flows", "--since", "2026-11-02T09:00:01.000001Z"}) ==
          Strings{"198.51.100.20", "203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--since", "2026-11-02T09:05:00.25"}) ==
          Strings{"198.51.100.20", "203.0.113.7"});
    CHECK(remotes(f.store, {"flows", "--since", "2026-11-02T09:05:00.250001"}) ==
          Strings{"198.51.100.20"});
    // first_seen < until
    CHECK(remotes(f.store, {"flows", "--until", "2026-11-02T09:00:00Z"}) ==
          Strings{"8.8.8.8", "198.51.100.20"});
    CHECK(remotes(f.store, {"flows", "--until", "2026-11-02T09:00:00.000001"}) ==
          Strings{"8.8.8.8", "198.51.100.20", "203.0.113.7", "192.0.2.1"});
    CHECK(remotes(f.store, {"flows", "--until", "2026-11-02"}) == Strings{"8.8.8.8"});
    // Both.
    CHECK(remotes(f.store, {"flows", "--since", "2026-11-01", "--until",
                            "2026-11-02T09:00:00Z"}) == Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"alerts", "--since", "2026-10-30T00:00:10Z", "--until",
                            "2026-10-31"}) == Strings{"8.8.8.8"});
    CHECK(remotes(f.store, {"alerts", "--since", "2026-10-30T00:00:10.5Z", "--until",
                            "2026-10-31"})
              .empty());
}

TEST_CASE("cli: devices by their activity in the window", "[cli][filter]") {
    Fixture f;
    CHECK(device_ips(f.store, {"--since", "2026-11-02"}) ==
          Strings{"10.0.0.5", "10.0.0.9", "10.0.0.10"});
    CHECK(device_ips(f.store, {"--until", "2026-11-02"}) == Strings{"10.0.0.5", "fd00::1"});
}

TEST_CASE("cli: relative --since/--until", "[cli][filter]") {
    TempStore store;
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    constexpr std::int64_t hour = 3600LL * 1'000'000;
    store.add_flow(1, now - 72 * hour, now - 71 * hour, "10.0.0.1", "192.0.2.1", "DE", 1);
    store.add_flow(2, now - 26 * hour, now - 20 * hour, "10.0.0.1", "192.0.2.2", "DE", 1);
    store.add_flow(3, now - 3 * hour, now - 2 * hour, "10.0.0.1", "192.0.2.3", "DE", 1);

    CHECK(remotes(store, {"flows"}) == Strings{"192.0.2.1", "192.0.2.2", "192.0.2.3"});
    CHECK(remotes(store, {"flows", "--since", "1d"}) == Strings{"192.0.2.2", "192.0.2.3"});
    CHECK(remotes(store, {"flows", "--since", "12h"}) == Strings{"192.0.2.3"});
    CHECK(remotes(store, {"flows", "--since", "90m"}).empty());
    CHECK(remotes(store, {"flows", "--since", "7d", "--until", "4h"}) ==
          Strings{"192.0.2.1", "192.0.2.2"});
    CHECK(remotes(store, {"flows", "--since", "1d", "--until", "4h"}) == Strings{"192.0.2.2"});
}

TEST_CASE("cli: --limit", "[cli][filter]") {
    Fixture f;
    CHECK(remotes(f.store, {"flows", "--limit", "2"}) == Strings{"8.8.8.8", "198.51.100.20"});
    CHECK(remotes(f.store, {"alerts", "--limit", "1", "--country", "CN,HK"}) ==
          Strings{"198.51.100.20"});
    CHECK(remotes(f.store, {"flows", "--limit", "100"}).size() == 4);
    CHECK(device_ips(f.store, {"--limit", "3"}) == Strings{"10.0.0.5", "10.0.0.9", "10.0.0.10"});

    auto r = run({"-d", f.store.path(), "flows", "--limit", "1"});
    CHECK(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1) == "1 flows\n");
}

// ---------------------------------------------------------------------------
// Errors

TEST_CASE("cli: a missing store is a runtime error and is not created", "[cli][error]") {
    std::string path = (fs::temp_directory_path() /
                        ("egresswatch-cli-missing-" + std::to_string(getpid()) + ".db"))
                           .string();
    fs::remove(path);
    auto r = run({"-d", path, "flows"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "egresswatch: cannot open store " + path + ": unable to open database file\n");
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("cli: stores of another schema version are refused", "[cli][error]") {
    SECTION("newer") {
        TempStore store(egresswatch::schema::kVersion + 1);
        auto r = run({"-d", store.path(), "flows"});
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err == "egresswatch: store " + store.path() +
                           " has schema version " + std::to_string(egresswatch::schema::kVersion + 1) +
                           ", newer than this egresswatch understands (" +
                           std::to_string(egresswatch::schema::kVersion) + "); upgrade egresswatch\n");
    }
    SECTION("zero") {
        TempStore store(0);
        auto r = run({"-d", store.path(), "devices"});
        CHECK(r.code == 1);
        CHECK(r.err == "egresswatch: store " + store.path() +
                           " has no egresswatch schema (user_version 0); is it an egresswatch "
                           "store?\n");
    }
    SECTION("not a database") {
        std::string path = (fs::temp_directory_path() /
                            ("egresswatch-cli-garbage-" + std::to_string(getpid()) + ".db"))
                               .string();
        {
            std::ofstream file(path);
            file << "this is not an SQLite database, but it is long enough to look like one. "
                    "this is not an SQLite database, but it is long enough to look like one.\n";
        }
        auto r = run({"-d", path, "flows"});
        fs::remove(path);
        CHECK(r.code == 1);
        CHECK(r.err == "egresswatch: cannot open store " + path + ": file is not a database\n");
    }
}

TEST_CASE("cli: a stored list that is not a JSON array is a runtime error", "[cli][error]") {
    Fixture f;
    f.store.exec("UPDATE alerts SET reasons = 'country:CN' WHERE flow_id = 1");
    auto r = run({"-d", f.store.path(), "alerts", "--format", "csv"});
    CHECK(r.code == 1);
    CHECK(r.err == "egresswatch: store " + f.store.path() +
                       ": reasons is not a JSON array of strings: \"country:CN\"\n");
}

TEST_CASE("cli: usage errors exit 2 with one line", "[cli][error]") {
    Fixture f;
    const std::string db = f.store.path();
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"-d", db, "--since", "7x", "flows"},
         "invalid --since '7x': expected a date (2026-11-02), a UTC date-time "
         "(2026-11-02T09:00:00Z) or a relative time (7d, 12h, 30m)"},
        {{"-d", db, "flows", "--until", "2026-13-01"},
         "invalid --until '2026-13-01': expected a date (2026-11-02), a UTC date-time "
         "(2026-11-02T09:00:00Z) or a relative time (7d, 12h, 30m)"},
        {{"-d", db, "flows", "--since", ""},
         "invalid --since '': expected a date (2026-11-02), a UTC date-time "
         "(2026-11-02T09:00:00Z) or a relative time (7d, 12h, 30m)"},
        {{"-d", db, "flows", "--since", "2026-11-02", "--until", "2026-11-01"},
         "--since 2026-11-02T00:00:00Z is not before --until 2026-11-01T00:00:00Z"},
        {{"-d", db, "connections"},
         "unknown command 'connections' (expected alerts, flows, devices, dns, device, report, verify, export, rejudge, pcap or hold)"},
        {{"-d", db}, "missing command: alerts, flows, devices, dns, device, report, verify, export, rejudge, pcap or hold (see --help)"},
        {{"flows"}, "missing store: give -d STORE.db (or set EGRESSWATCH_DB, or db = in /nonexistent/egresswatch.conf)"},
        {{"-d", db, "rejudge"}, "rejudge needs --since T (and --until T)"},
        {{"-d", db, "rejudge", "--since", "7d", "--device", "44:19:b6:00:00:21"},
         "rejudge --device takes an IP address"},
        {{"-d", db, "-d", db, "rejudge", "--since", "7d"}, "rejudge writes to one store: give one -d STORE.db"},
        {{"-d", db, "rejudge", "--since", "7d", "--country", "CN"}, "--country does not apply to rejudge (see --help)"},
        {{"-d", db, "flows", "--format", "xml"},
         "unknown format 'xml' (expected table, csv, json or jsonl)"},
        {{"-d", db, "flows", "--device", "10.0.0"},
         "invalid --device '10.0.0': expected an IP address, a MAC address "
         "(aa:bb:cc:dd:ee:ff) or a device label or hostname"},
        {{"-d", db, "flows", "--country", "CHN"},
         "invalid --country 'CHN': expected two-letter country codes separated by commas "
         "(CN,HK)"},
        {{"-d", db, "flows", "--country", "CN,"},
         "invalid --country 'CN,': expected two-letter country codes separated by commas "
         "(CN,HK)"},
        {{"-d", db, "flows", "--asn", "41x4"},
         "invalid --asn '41x4': expected AS numbers separated by commas (4134,4837)"},
        {{"-d", db, "flows", "--limit", "0"}, "invalid --limit '0': expected a positive integer"},
        {{"-d", db, "flows", "--limit", "ten"},
         "invalid --limit 'ten': expected a positive integer"},
        {{"-d", db, "flows", "--colour"}, "unrecognised option '--colour' (see --help)"},
        {{"-d", db, "flows", "--since"},
         "the required argument for option '--since' is missing (see --help)"},
        {{"-d", db, "flows", "devices"}, "unexpected argument 'devices' after flows (see --help)"},
        {{"-d", db, "flows", "a", "b"},
         "too many positional options have been specified on the command line (see --help)"},
    };
    for (const auto& c : cases) {
        std::vector<const char*> argv{"egresswatch"};
        for (const auto& a : c.args) argv.push_back(a.c_str());
        std::ostringstream out, err;
        int code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
        INFO("expected: " << c.message);
        CHECK(code == 2);
        CHECK(out.str().empty());
        CHECK(err.str() == "egresswatch: " + c.message + "\n");
    }
}

TEST_CASE("cli: usage is checked before the store is opened", "[cli][error]") {
    auto r = run({"-d", "/nonexistent/store.db", "flows", "--since", "7x"});
    CHECK(r.code == 2);
}

TEST_CASE("cli: --help prints grouped usage", "[cli]") {
    auto r = run({"--help"});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    for (const char* part : {"Usage: egresswatch -d STORE.db [-d STORE.db ...] COMMAND [options]", "Commands:",
                             "alerts", "flows", "devices", "Filters:", "--since T",
                             "--until T", "--device IP|MAC", "--country CC[,CC]",
                             "--asn N[,N]", "Output:", "--format FORMAT", "--limit N"}) {
        INFO(part);
        CHECK(r.out.find(part) != std::string::npos);
    }
    CHECK(run({"-h"}).out == r.out);
    CHECK(run({"-d", "/nonexistent.db", "flows", "--help"}).code == 0);
}

// ---------------------------------------------------------------------------
// Pieces

TEST_CASE("filters: --device values", "[cli][filter]") {
    using Kind = cli::DeviceFilter::Kind;
    auto check = [](const char* text, Kind kind, const char* value) {
        auto d = cli::parse_device(text);
        INFO(text);
        REQUIRE(d);
        CHECK(d->kind == kind);
        CHECK(d->value == value);
    };
    check("10.0.0.5", Kind::Ip, "10.0.0.5");
    check("FE80::0:1", Kind::Ip, "fe80::1");
    check("::ffff:10.0.0.5", Kind::Ip, "10.0.0.5");
    check("AA:BB:CC:DD:EE:FF", Kind::Mac, "aa:bb:cc:dd:ee:ff");
    check("aa-bb-cc-dd-ee-0F", Kind::Mac, "aa:bb:cc:dd:ee:0f");
    // Anything else with a letter in it is a label or hostname, kept as given.
    check("Front Door", Kind::Name, "Front Door");
    check("DS-2CD2143G2-I", Kind::Name, "DS-2CD2143G2-I");
    check("' OR 1=1", Kind::Name, "' OR 1=1");
    for (const char* bad : {"", "10.0.0", "10.0.0.256", "aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:ff",
                            "aa:bb:cc:dd:ee:gg", "aabb.ccdd.eeff", "fe80::zz", "cam\x01"}) {
        INFO(bad);
        CHECK_FALSE(cli::parse_device(bad));
    }
}

TEST_CASE("filters: --country and --asn lists", "[cli][filter]") {
    using Codes = std::vector<std::string>;
    using Numbers = std::vector<std::int64_t>;
    CHECK(cli::parse_country_list("CN") == Codes{"CN"});
    CHECK(cli::parse_country_list("cn,Hk,CN") == Codes{"CN", "HK"});
    for (const char* bad : {"", ",", "C", "CHN", "C1", "CN,,HK", "CN HK", "CN,"})
        CHECK_FALSE(cli::parse_country_list(bad));

    CHECK(cli::parse_asn_list("4134") == Numbers{4134});
    CHECK(cli::parse_asn_list("AS4134,as4837,4134") == Numbers{4134, 4837});
    CHECK(cli::parse_asn_list("0,4294967295") == Numbers{0, 4294967295});
    for (const char* bad : {"", "AS", "4294967296", "-1", "41 34", "4134,", "0x10", "12345678901"})
        CHECK_FALSE(cli::parse_asn_list(bad));
}

TEST_CASE("query: values travel as parameters, never inside the SQL", "[cli][query]") {
    cli::Filters filters;
    filters.since_us = 111;
    filters.until_us = 222;
    filters.device = cli::DeviceFilter{cli::DeviceFilter::Kind::Mac, "aa:bb:cc:dd:ee:ff"};
    filters.countries = {"CN", "HK"};
    filters.asns = {4134};
    filters.limit = 5;

    auto flows = cli::build_query(cli::Command::Alerts, filters);
    for (const char* value : {"111", "222", "aa:bb", "CN", "HK", "4134", "5"}) {
        INFO(value);
        CHECK(flows.sql.find(value) == std::string::npos);
    }
    // The MAC twice: the flow's own MAC and the box's. since twice: the
    // window's condition and its lower bound on first_seen.
    CHECK(flows.params == std::vector<cli::SqlParam>{std::string("aa:bb:cc:dd:ee:ff"), std::string("aa:bb:cc:dd:ee:ff"),
                                                    std::int64_t{111}, std::int64_t{111}, std::int64_t{222},
                                                    std::string("CN"), std::string("HK"),
                                                    std::int64_t{4134}, std::int64_t{5}});
    CHECK(static_cast<std::size_t>(std::count(flows.sql.begin(), flows.sql.end(), '?')) ==
          flows.params.size());

    auto devices = cli::build_query(cli::Command::Devices, filters);
    CHECK(static_cast<std::size_t>(std::count(devices.sql.begin(), devices.sql.end(), '?')) ==
          devices.params.size());
    for (const char* value : {"111", "222", "aa:bb", "CN", "HK", "4134"})
        CHECK(devices.sql.find(value) == std::string::npos);
}
