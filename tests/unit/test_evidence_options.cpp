#include <catch2/catch.hpp>

#include <vector>

#include "daemon/options.hpp"

using namespace egresswatch;

namespace {

std::optional<daemon::Options> parse(std::vector<const char*> args, int& code) {
    args.insert(args.begin(), {"egresswatchd", "-r", "x.pcap", "-d", "x.db"});
    code = -1;
    return daemon::parse_options(static_cast<int>(args.size()), args.data(), code);
}

}  // namespace

TEST_CASE("egresswatchd options: evidence packets") {
    int code = 0;
    auto defaults = parse({}, code);
    REQUIRE(defaults);
    CHECK(defaults->sensor.evidence.per_direction == 16);
    CHECK(defaults->sensor.evidence.snaplen == 512);
    CHECK(defaults->sensor.evidence.budget_bytes == 128u << 20);
    auto set = parse({"--evidence-packets", "4", "--evidence-snaplen", "96", "--evidence-memory-mb", "8"}, code);
    REQUIRE(set);
    CHECK(set->sensor.evidence.per_direction == 4);
    CHECK(set->sensor.evidence.snaplen == 96);
    CHECK(set->sensor.evidence.budget_bytes == 8u << 20);
    auto off = parse({"--evidence-packets", "0"}, code);
    REQUIRE(off);
    CHECK(off->sensor.evidence.per_direction == 0);
    CHECK_FALSE(parse({"--evidence-snaplen", "0"}, code));
    CHECK(code == 2);
    CHECK_FALSE(parse({"--evidence-memory-mb", "0"}, code));
    CHECK(code == 2);
}
