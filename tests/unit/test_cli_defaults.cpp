// What the CLI takes without being told: the store from EGRESSWATCH_DB or the
// daemon's configuration (db =), which -d overrides.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "temp_dir.hpp"
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

// A configuration file of the test's own: ctest runs these cases at once,
// and one shared path let a case read another's db =.
struct ConfFile {
    egresswatch::test::TempDir dir{"conf"};
    std::string path = (dir.path() / "egresswatch.conf").string();
    explicit ConfFile(const std::string& text) { std::ofstream(path) << text; }
};

}  // namespace

TEST_CASE("cli: without -d, the store named by db = in the configuration", "[cli][defaults]") {
    Fixture f;
    TempStore other;
    ConfFile conf("# egresswatchd's\ninterface = eth1\n db =  " + f.store.path() + "\n");
    Env c("EGRESSWATCH_CONF", conf.path);
    auto r = run({"devices", "--format", "csv"});
    CHECK(r.err == "");
    CHECK(r.code == 0);
    CHECK(r.out.find("10.0.0.5") != std::string::npos);
    // -d wins.
    r = run({"-d", other.path(), "devices", "--format", "csv"});
    CHECK(r.code == 0);
    CHECK(r.out == "ip,mac,vendor,vendor_country,kind,identified_by,hostname,label,site,first_seen,last_seen\n");
}

TEST_CASE("cli: EGRESSWATCH_DB wins over the configuration", "[cli][defaults]") {
    Fixture f;
    TempStore other;
    ConfFile conf("db = " + other.path() + "\n");
    Env c("EGRESSWATCH_CONF", conf.path);
    Env d("EGRESSWATCH_DB", f.store.path());
    auto r = run({"alerts", "--format", "csv"});
    CHECK(r.code == 0);
    CHECK(r.out.find("cam.example.cn") != std::string::npos);
}

TEST_CASE("cli: a default store that cannot be opened says where it came from", "[cli][defaults]") {
    ConfFile conf("db = /nonexistent/evidence.db\n");
    Env c("EGRESSWATCH_CONF", conf.path);
    auto r = run({"alerts"});
    CHECK(r.code == 1);
    CHECK(r.err.find("(the store named by db = in " + conf.path +
                     "; to read the service's store, join the egresswatch group: sudo adduser $USER egresswatch, "
                     "then log in again; or give -d STORE.db)\n") != std::string::npos);
}
