// What the CLI takes without being told: the store from EGRESSWATCH_DB or the
// daemon's configuration (db =), which -d overrides.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "test_cli_support.hpp"

using egresswatch::test::Fixture;
using egresswatch::test::run;
using egresswatch::test::TempStore;

namespace {

// Sets an environment variable for the life of the object.
struct Env {
    std::string name;
    Env(std::string n, const std::string& value) : name(std::move(n)) { setenv(name.c_str(), value.c_str(), 1); }
    ~Env() { setenv(name.c_str(), name == "EGRESSWATCH_CONF" ? "/nonexistent/egresswatch.conf" : "", 1); }
};

std::string write_conf(const std::string& text) {
    std::string path = (std::filesystem::temp_directory_path() / "egresswatch-test.conf").string();
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("cli: without -d, the store named by db = in the configuration", "[cli][defaults]") {
    Fixture f;
    TempStore other;
    auto conf = write_conf("# egresswatchd's\ninterface = eth1\n db =  " + f.store.path() + "\n");
    Env c("EGRESSWATCH_CONF", conf);
    auto r = run({"devices", "--format", "csv"});
    CHECK(r.err == "");
    CHECK(r.code == 0);
    CHECK(r.out.find("10.0.0.5") != std::string::npos);
    // -d wins.
    r = run({"-d", other.path(), "devices", "--format", "csv"});
    CHECK(r.code == 0);
    CHECK(r.out == "ip,mac,vendor,vendor_country,kind,identified_by,hostname,label,site,first_seen,last_seen\n");
    std::filesystem::remove(conf);
}

TEST_CASE("cli: EGRESSWATCH_DB wins over the configuration", "[cli][defaults]") {
    Fixture f;
    TempStore other;
    auto conf = write_conf("db = " + other.path() + "\n");
    Env c("EGRESSWATCH_CONF", conf);
    Env d("EGRESSWATCH_DB", f.store.path());
    auto r = run({"alerts", "--format", "csv"});
    CHECK(r.code == 0);
    CHECK(r.out.find("cam.example.cn") != std::string::npos);
    std::filesystem::remove(conf);
}

TEST_CASE("cli: a default store that cannot be opened says where it came from", "[cli][defaults]") {
    auto conf = write_conf("db = /nonexistent/evidence.db\n");
    Env c("EGRESSWATCH_CONF", conf);
    auto r = run({"alerts"});
    CHECK(r.code == 1);
    CHECK(r.err.find("(the store named by db = in " + conf +
                     "; to read the service's store, join the egresswatch group: sudo adduser $USER egresswatch, "
                     "then log in again; or give -d STORE.db)\n") != std::string::npos);
    std::filesystem::remove(conf);
}
