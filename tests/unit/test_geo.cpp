#include <catch2/catch.hpp>

#include "egresswatch/geo.hpp"
#include "egresswatch/oui.hpp"

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
    const MacVendor* hik = registry.lookup(*parse_mac("44:19:b6:00:00:21"));
    REQUIRE(hik);
    CHECK(hik->organisation == "Hangzhou Hikvision Digital Technology Co.,Ltd.");
    CHECK(hik->country == "CN");
    CHECK(registry.lookup(*parse_mac("02:12:34:00:00:30")) == nullptr);  // locally administered
}
