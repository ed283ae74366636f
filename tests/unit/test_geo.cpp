#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "egresswatch/geo.hpp"
#include "egresswatch/oui.hpp"
#include "temp_dir.hpp"

using namespace egresswatch;

// The databases come from tests/tools/test-geo.spec (built by the geoip fixture).
TEST_CASE("Country and network of IPv4 and IPv6 addresses", "[geo]") {
    GeoLocator geo({TEST_GEOIP_DIR});
    const GeoInfo& alibaba = geo.lookup(*IpAddress::parse("47.96.1.10"));
    CHECK(alibaba.country == "CN");
    CHECK(alibaba.asn == 37963);
    CHECK(alibaba.as_org == "Hangzhou Alibaba Advertising Co.,Ltd.");
    const GeoInfo& abroad = geo.lookup(*IpAddress::parse("47.254.10.20"));
    CHECK(abroad.country == "DE");
    CHECK(abroad.asn == 45102);
    const GeoInfo& v6 = geo.lookup(*IpAddress::parse("2001:db8:100::10"));
    CHECK(v6.country == "CN");
    CHECK(v6.asn == 4837);
    const GeoInfo& country_only = geo.lookup(*IpAddress::parse("198.51.100.7"));
    CHECK(country_only.country == "US");
    CHECK(country_only.asn == 0);
    const GeoInfo& unknown = geo.lookup(*IpAddress::parse("8.8.4.4"));
    CHECK(unknown.country.empty());
    CHECK(unknown.asn == 0);
    CHECK(geo.cache_size() == 5);
    geo.lookup(*IpAddress::parse("47.96.1.10"));
    CHECK(geo.cache_size() == 5);  // looked up once per address
}

TEST_CASE("MaxMind's own schema (country.iso_code) is read too", "[geo]") {
    MaxMindDb db(std::string(TEST_GEOIP_DIR) + "/GeoLite2-Country.mmdb");
    GeoInfo info;
    REQUIRE(db.lookup(*IpAddress::parse("18.130.5.6"), info));
    CHECK(info.country == "GB");
}

TEST_CASE("A missing database says which files were looked for and how to get them", "[geo]") {
    try {
        GeoLocator geo({"/nonexistent-geoip"});
        FAIL("no error");
    } catch (const GeoError& e) {
        std::string message = e.what();
        CHECK(message.find("no country database found: looked for country.mmdb, GeoLite2-Country.mmdb") == 0);
        CHECK(message.find("in /nonexistent-geoip") != std::string::npos);
        CHECK(message.find("geoip/build-databases.sh") != std::string::npos);
    }
    CHECK_THROWS_WITH(MaxMindDb("/etc/hostname"), Catch::Contains("cannot open geolocation database /etc/hostname"));
}

TEST_CASE("The IEEE registry gives the vendor and its country", "[oui]") {
    CHECK(registrant_country("No.555 Qianmo Road Hangzhou Zhejiang CN 310052") == "CN");
    CHECK(registrant_country("2181 Buchanan Loop Ferndale WA US 98248") == "US");
    CHECK(registrant_country("") == "");
    OuiRegistry registry = OuiRegistry::load("/usr/share/ieee-data");
    REQUIRE(registry.size() > 30000);
    auto hik = registry.lookup(*parse_mac("44:19:b6:00:00:21"));
    REQUIRE(hik);
    CHECK(hik->organisation == "Hangzhou Hikvision Digital Technology Co.,Ltd.");
    CHECK(hik->country == "CN");
    CHECK_FALSE(registry.lookup(*parse_mac("02:12:34:00:00:30")));  // locally administered
}

namespace {

// A registry directory of the three files, removed with the object.
struct RegistryDir {
    egresswatch::test::TempDir dir{"oui"};
    const std::filesystem::path& path = dir.path();
    void write(const char* name, const std::string& text) const { std::ofstream(path / name, std::ios::binary) << text; }
};

const char* kHeader = "Registry,Assignment,Organization Name,Organization Address\n";

}  // namespace

TEST_CASE("The registry's most specific assignment names the vendor, read back from its line", "[oui]") {
    RegistryDir dir;
    dir.write("oui.csv", std::string(kHeader) +
                             "MA-L,4419B6,\"Hangzhou Hikvision Digital Technology Co.,Ltd.\",\"No.555 Qianmo Road Hangzhou "
                             "Zhejiang CN 310052 \"\r\n"
                             "MA-L,0012AB,Short Line\n"                       // three fields: not an assignment
                             "MA-L,12345,Five Digits,Somewhere US 1\n"        // not 24 bits
                             "MA-L,001122,First Owner,Old Street GB 1\n"
                             "MA-L,001122,Second Owner,New Street DE 2\n"     // listed twice: the last counts
                             "MA-L,A0B1C2,Wide Block,Big Road US 9");          // no newline at the end
    dir.write("mam.csv", std::string(kHeader) + "MA-M,A0B1C23,Middle Block,Mid Road FR 5\n");
    dir.write("oui36.csv", std::string(kHeader) + "MA-S,A0B1C2345,Small Block,Small Road JP 7\n");
    OuiRegistry registry = OuiRegistry::load(dir.path.string());
    CHECK(registry.size() == 6);

    auto hik = registry.lookup(*parse_mac("44:19:b6:12:34:56"));
    REQUIRE(hik);
    CHECK(hik->organisation == "Hangzhou Hikvision Digital Technology Co.,Ltd.");
    CHECK(hik->country == "CN");
    CHECK(registry.lookup(*parse_mac("00:11:22:00:00:01"))->organisation == "Second Owner");
    CHECK(registry.lookup(*parse_mac("a0:b1:c2:34:5f:ff"))->organisation == "Small Block");
    CHECK(registry.lookup(*parse_mac("a0:b1:c2:3f:ff:ff"))->organisation == "Middle Block");
    CHECK(registry.lookup(*parse_mac("a0:b1:c2:ff:ff:ff"))->organisation == "Wide Block");
    CHECK(registry.lookup(*parse_mac("a0:b1:c2:ff:ff:ff"))->country == "US");
    CHECK_FALSE(registry.lookup(*parse_mac("00:12:ab:00:00:01")));
    CHECK_FALSE(registry.lookup(*parse_mac("00:99:99:00:00:01")));
}

TEST_CASE("A vendor's line is read back once: a file cut since still names the vendors read before", "[oui]") {
    RegistryDir dir;
    dir.write("oui.csv", std::string(kHeader) + "MA-L,4419B6,Hikvision,Hangzhou CN 310052\n" +
                             "MA-L,001122,Second Owner,New Street DE 2\n");
    OuiRegistry registry = OuiRegistry::load(dir.path.string());
    REQUIRE(registry.lookup(*parse_mac("44:19:b6:00:00:01")));
    dir.write("oui.csv", "");  // the same file, cut (not replaced: the registry holds it open)
    auto again = registry.lookup(*parse_mac("44:19:b6:00:00:02"));  // the same prefix, another device
    REQUIRE(again);
    CHECK(again->organisation == "Hikvision");
    CHECK(again->country == "CN");
    CHECK_FALSE(registry.lookup(*parse_mac("00:11:22:00:00:01")));  // not read before the cut: no vendor, not a wrong one
}

TEST_CASE("A registry directory without the files is an empty registry", "[oui]") {
    RegistryDir dir;
    OuiRegistry registry = OuiRegistry::load(dir.path.string());
    CHECK(registry.size() == 0);
    CHECK_FALSE(registry.lookup(*parse_mac("44:19:b6:12:34:56")));
}
