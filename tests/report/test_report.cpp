// The report's numbers are sums over the flows, computed here again in SQL,
// over two stores with different home countries; and the same input gives
// the same bytes in every format.
#include <catch2/catch.hpp>

#include <memory>
#include <sstream>

#include "../../src/cli/report.hpp"
#include "report_test_support.hpp"

using namespace egresswatch;
using namespace egresswatch::test;
namespace report = egresswatch::cli::report;
using egresswatch::cli::Store;

namespace {

// Site A (home GB): a camera, an NVR, an IoT plug and a PC, over three days
// of November, plus flows just outside the month.
void write_site_a(const std::string& path) {
    write_store(path, {
        MetaRecord{"home_country", "GB"},
        device("10.0.0.5", "aa:00:00:00:00:05", "camera", kNov1 - kDay, kNov1 + 3 * kDay),
        device("10.0.0.6", "aa:00:00:00:00:06", "nvr", kNov1, kNov1 + kDay),
        device("10.0.0.7", "aa:00:00:00:00:07", "iot", kNov1 + kDay, kNov1 + 2 * kDay),
        device("10.0.0.8", "aa:00:00:00:00:08", "other", kNov1, kNov1 + 2 * kDay),
        flow("a-1", kNov1 - 10 * kSecond, "10.0.0.5", "203.0.113.7", "CN", 4134, 999, 999, "high"),  // October
        flow("a-2", kNov1 + 100 * kSecond, "10.0.0.5", "203.0.113.7", "CN", 4134, 1000, 2000, "high"),
        flow("a-3", kNov1 + kDay + 5 * kSecond, "10.0.0.5", "203.0.113.8", "CN", 4134, 300, 40, "high"),
        flow("a-4", kNov1 + kDay + 9 * kSecond, "10.0.0.5", "192.0.2.10", "DE", 3320, 70, 80, "medium"),
        flow("a-5", kNov1 + 2 * kDay, "10.0.0.5", "198.51.100.1", "GB", 2856, 5000, 6000),  // home
        flow("a-6", kNov1 + 3 * kSecond, "10.0.0.6", "192.0.2.20", std::nullopt, std::nullopt, 11, 12),  // unknown
        flow("a-7", kNov1 + kDay + 7 * kSecond, "10.0.0.7", "198.51.100.20", "HK", 9304, 400, 500, "high"),
        flow("a-8", kNov1 + 2 * kDay + 1, "10.0.0.7", "198.51.100.20", "HK", 9304, 600, 700, "high"),
        flow("a-9", kNov1 + kDay, "10.0.0.8", "192.0.2.30", "US", 15169, 7777, 8888),  // a PC, no alert
        flow("a-10", kNov1 + 30 * kDay, "10.0.0.5", "203.0.113.7", "CN", 4134, 555, 555, "high"),  // December
    });
}

// Site B (home DE): a camera at the same address as site A's, another MAC.
void write_site_b(const std::string& path) {
    write_store(path, {
        MetaRecord{"home_country", "DE"},
        device("10.0.0.5", "bb:00:00:00:00:05", "camera", kNov1, kNov1 + 3 * kDay),
        flow("b-1", kNov1 + 50 * kSecond, "10.0.0.5", "192.0.2.10", "DE", 3320, 250, 260),  // home for B
        flow("b-2", kNov1 + 2 * kDay + 5, "10.0.0.5", "203.0.113.7", "CN", 4134, 123, 456, "high"),
    });
}

struct TwoSites {
    StorePath dir;
    std::vector<std::unique_ptr<Store>> stores;
    report::Report r;

    TwoSites() {
        write_site_a(dir.store("a.db"));
        write_site_b(dir.store("b.db"));
        stores.push_back(std::make_unique<Store>(dir.store("a.db")));
        stores.push_back(std::make_unique<Store>(dir.store("b.db")));
        r = report::build_report(stores, november());
    }

    static report::Scope november() {
        report::Scope scope;
        scope.window = {kNov1, kNov1 + 30 * kDay};
        scope.period = "2026-11";
        return scope;
    }

    // sum(expression) over both stores' November flows to non-local remotes
    // that match `where` (with "abroad" meaning abroad for that store).
    std::int64_t sum(const std::string& expression, const std::string& where) {
        std::int64_t total = 0;
        for (const auto& [name, home] : {std::pair{"a.db", "GB"}, std::pair{"b.db", "DE"}}) {
            Sql sql(dir.store(name));
            total += sql.integer("SELECT coalesce(sum(" + expression + "), 0) FROM flows f "
                                 "LEFT JOIN devices d ON d.ip = f.device_ip "
                                 "WHERE f.first_seen >= " + std::to_string(kNov1) +
                                 " AND f.first_seen < " + std::to_string(kNov1 + 30 * kDay) +
                                 " AND f.remote_local = 0 AND " + where.substr(0, where.find("@home")) +
                                 (where.find("@home") != std::string::npos ? "'" + std::string(home) + "'" : ""));
        }
        return total;
    }
};

const std::string kAbroad = "f.country IS NOT NULL AND f.country <> @home";

std::string render(const report::Report& r, report::Format format) {
    std::ostringstream out;
    report::write_report(r, format, out);
    return out.str();
}

}  // namespace

TEST_CASE("report: headline numbers are sums over the flows", "[report]") {
    TwoSites s;
    const auto& h = s.r.headline;
    CHECK(h.cameras_seen == 3);  // A's camera and NVR, B's camera (same address, other MAC)
    CHECK(h.cameras_abroad == 2);
    CHECK(h.iot_seen == 1);
    CHECK(h.iot_abroad == 1);
    CHECK(h.other_seen == 1);
    CHECK(h.camera_abroad.bytes_out == s.sum("f.bytes_out", "d.kind IN ('camera', 'nvr') AND " + kAbroad));
    CHECK(h.camera_abroad.bytes_in == s.sum("f.bytes_in", "d.kind IN ('camera', 'nvr') AND " + kAbroad));
    CHECK(h.camera_abroad.flows == s.sum("1", "d.kind IN ('camera', 'nvr') AND " + kAbroad));
    CHECK(h.iot_abroad_totals.bytes_out == s.sum("f.bytes_out", "d.kind = 'iot' AND " + kAbroad));
    CHECK(h.camera_abroad.bytes_out == 1000 + 300 + 70 + 123);
}

TEST_CASE("report: countries, networks and days add up to the headline", "[report]") {
    TwoSites s;
    std::int64_t abroad = s.r.headline.camera_abroad.bytes_out + s.r.headline.iot_abroad_totals.bytes_out;
    std::int64_t by_country = 0, by_network = 0, by_day = 0;
    for (const auto& c : s.r.countries) {
        by_country += c.totals.bytes_out;
        CHECK(c.totals.bytes_out ==
              s.sum("f.bytes_out", "d.kind IN ('camera', 'nvr', 'iot') AND f.country = '" + c.key + "' AND " + kAbroad));
    }
    for (const auto& n : s.r.networks) by_network += n.totals.bytes_out;
    for (const auto& d : s.r.days) by_day += d.camera_bytes_out + d.iot_bytes_out;
    CHECK(by_country == abroad);
    CHECK(by_network == abroad);
    CHECK(by_day == abroad);
    REQUIRE(s.r.countries.size() == 3);
    CHECK(s.r.countries[0].key == "CN");  // most bytes first
    CHECK(s.r.days.size() == 30);
    CHECK(s.r.days[1].camera_bytes_out == 300 + 70);  // 2026-11-02
    CHECK(s.r.days[1].iot_bytes_out == 400);
    CHECK(s.r.days[2].camera_bytes_out == 123);
    CHECK(s.r.days[2].iot_bytes_out == 600);
}

TEST_CASE("report: each device's destinations are sums over its flows", "[report]") {
    TwoSites s;
    // Listed: the cameras, the NVR and the plug; the PC has no alert.
    REQUIRE(s.r.devices.size() == 4);
    for (const auto& d : s.r.devices) {
        INFO(d.ip << " " << d.mac.value_or("-"));
        CHECK(d.kind != "other");
        std::int64_t out = 0, in = 0, flows = 0;
        for (const auto& dest : d.destinations) {
            out += dest.totals.bytes_out;
            in += dest.totals.bytes_in;
            flows += dest.totals.flows;
        }
        std::string mine = "f.device_ip = '" + d.ip + "' AND d.mac = '" + d.mac.value_or("") + "'";
        CHECK(out == s.sum("f.bytes_out", mine));
        CHECK(in == s.sum("f.bytes_in", mine));
        CHECK(flows == s.sum("1", mine));
        CHECK(d.abroad.bytes_out == s.sum("f.bytes_out", mine + " AND " + kAbroad));
    }
    // Site A's camera first: the most bytes sent abroad.
    CHECK(s.r.devices[0].mac == "aa:00:00:00:00:05");
    REQUIRE(s.r.devices[0].destinations.size() == 3);
    CHECK(s.r.devices[0].destinations[0].totals.flows == 2);  // CN, both a-2 and a-3
    CHECK(s.r.devices[0].destinations[0].totals.severity == 3);
    CHECK_FALSE(s.r.devices[0].destinations[2].abroad);       // GB, home
}

TEST_CASE("report: the same stores give byte-identical output in every format", "[report]") {
    TwoSites s;
    auto again = report::build_report(s.stores, TwoSites::november());
    for (auto format : {report::Format::Markdown, report::Format::Html, report::Format::Csv, report::Format::Json}) {
        std::string first = render(s.r, format);
        CHECK(first.size() > 1000);
        CHECK(first == render(again, format));
    }
    std::string html = render(s.r, report::Format::Html);
    // Self-contained: nothing is fetched from anywhere.
    for (const char* external : {"<script", "src=", "href=", "@import", "url("}) {
        INFO(external);
        CHECK(html.find(external) == std::string::npos);
    }
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("@media print") != std::string::npos);
}
