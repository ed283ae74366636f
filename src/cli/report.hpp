// The periodic egress summary (`egresswatch report`): what the cameras and IoT
// devices of one or more stores sent out of the country in a period, and how
// it was measured. build_report gathers the numbers; the writers lay the same
// numbers out as Markdown, HTML, CSV or JSON. Everything is sorted on full
// keys, and nothing depends on the clock, so the same stores and period give
// byte-identical output.
//
// What counts (the report says so too):
//   - a flow belongs to the period, and to the UTC day, in which it started;
//   - "abroad": the flow's country is known and is not the store's home_country;
//   - "cameras": devices of kind camera or nvr; IoT devices (kind iot) are
//     counted apart; "seen": the device was active at some time in the period;
//   - destinations are the flows to remote ends outside the local networks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <egresswatch/signing.hpp>

#include "filters.hpp"
#include "store.hpp"
#include "time_format.hpp"

namespace egresswatch::cli::report {

enum class Format { Markdown, Html, Csv, Json };

std::optional<Format> parse_format(std::string_view name);

struct Scope {
    TimeWindow window;
    std::string period;                  // "2026-11", or "<since> to <until>"
    std::optional<DeviceFilter> device;  // a case bundle's report covers one device
};

// Sums over a set of flows.
struct Totals {
    std::int64_t flows = 0, bytes_out = 0, bytes_in = 0, alerts = 0;
    std::int64_t first_us = 0, last_us = 0;  // meaningful when flows > 0
    int severity = 0;                         // highest alert: 0 none, 1 low, 2 medium, 3 high

    void add(const Totals& other);
};

std::string_view severity_name(int rank);  // "", "low", "medium", "high"

// The flows of one device to one (country, network, domain).
struct Destination {
    std::optional<std::string> country, as_org, domain;
    std::optional<std::int64_t> asn;
    bool abroad = false;
    Totals totals;
};

// One address of a device and when it was in use (its devices row).
struct DeviceAddress {
    std::string ip;
    std::int64_t first_seen_us = 0, last_seen_us = 0;
};

// A device is a box: the addresses seen with one MAC on the LAN (not a
// router's) are one device; an address with no box is a device of its own.
struct Device {
    std::string ip;  // its address; of a box, the lowest (IPv4 first)
    std::optional<std::string> mac, vendor, vendor_country, hostname, label, site;
    std::string kind = "other";
    std::vector<std::string> identified_by;
    std::optional<std::int64_t> first_seen_us, last_seen_us;  // its activity, if it has a devices row
    std::vector<DeviceAddress> addresses;  // a box's, in address order (only `ip` if not a box)
    std::vector<Destination> destinations;  // abroad first, then most bytes sent
    Totals all, abroad;
};

// One row of a "top" list: a country, a network or a device, with its totals abroad.
struct Share {
    std::string key;    // CN, AS37963, 10.20.1.21
    std::string label;  // the key with a name where there is one
    Totals totals;
};

struct DayBytes {
    std::int64_t day_us = 0;  // midnight UTC
    std::int64_t camera_bytes_out = 0, iot_bytes_out = 0;
};

struct CaptureSource {
    std::string store, source;
    std::int64_t first_us = 0, last_us = 0;
    std::int64_t intervals = 0, packets = 0, bytes = 0, malformed = 0, dropped = 0, flows_evicted = 0;
};

// A time the sensor's writer dropped records (its disk was nearly full).
struct StoreGap {
    std::string store;
    std::int64_t since_us = 0;
    std::optional<std::int64_t> until_us;  // none: the sensor stopped before the gap ended
    std::string reason;
    std::int64_t records_lost = 0;
};

struct StoreInfo {
    std::string path, home_country, sensor_version, rules, geoip;
    std::int64_t chain_seq = 0;
    std::string chain_head;
    std::optional<evidence::Checkpoint> checkpoint;  // the latest signed one (not verified here)
};

struct Headline {
    std::int64_t cameras_seen = 0, cameras_abroad = 0, iot_seen = 0, iot_abroad = 0, other_seen = 0;
    Totals camera_abroad, iot_abroad_totals;
    // What the mission asks, for cameras and IoT devices together, from the
    // reasons of their alerts (late alerts count in their flow's period):
    // flows to watched countries, and to Chinese-owned networks wherever the
    // server is (an Alibaba Cloud London region is still Chinese-owned), with
    // the part of those inside the home country.
    Totals watched_country, chinese_owned, chinese_owned_home;
};

struct Report {
    Scope scope;
    std::vector<StoreInfo> stores;
    Headline headline;
    std::vector<Share> countries;    // destinations abroad of cameras and IoT devices, most bytes first
    std::vector<Share> networks;
    std::vector<Share> top_devices;  // listed devices by bytes sent abroad
    std::vector<DayBytes> days;      // every day of the period (or, for a long one, those with data)
    std::vector<Device> devices;     // cameras, NVRs and IoT devices seen, then other devices with alerts
    std::vector<CaptureSource> captures;
    std::vector<TimeWindow> gaps;    // parts of the period with no capture, a minute or longer
    std::vector<StoreGap> store_gaps;  // times in the period records were not stored
    std::int64_t covered_us = 0;     // how much of the period some capture covered
};

// Reads the numbers from every store. Throws StoreError.
Report build_report(const std::vector<std::unique_ptr<Store>>& stores, const Scope& scope);

void write_report(const Report& report, Format format, std::ostream& out);

// ---- Shared by the writers ----

inline constexpr std::size_t kTopRows = 8;  // rows of the top lists and charts

std::string grouped(std::int64_t n);           // 1234567 -> "1,234,567"
std::string count_of(std::int64_t n, std::string_view noun);  // "1 flow", "1,200 flows"
std::string human_bytes(std::int64_t bytes);   // 1234567 -> "1.2 MB"
std::string percent(std::int64_t part, std::int64_t whole);  // "12.3%"
std::string day_text(std::int64_t day_us);     // "2026-11-02"
std::string network_label(const std::optional<std::int64_t>& asn, const std::optional<std::string>& org);
// "10.20.1.21 (front door)": the address with the label or hostname.
std::string device_title(const Device& device);
// The definitions of what counts, one sentence each (the method section).
const std::vector<std::string>& definitions();

// The document both Markdown and HTML show: the same blocks, in order; each
// writer gives them its own markup.
struct Block {
    enum class Kind {
        Heading,     // text, level 2 or 3
        Paragraph,   // text
        Facts,       // items: a bulleted list
        Table,       // headings, numeric (right-aligned columns), rows
        Headline,    // rows of {id, value, what}: the headline numbers
        DailyChart,  // the bytes sent abroad per day (Markdown: a table of them)
        ShareCharts, // the share charts (HTML only)
    };
    Kind kind;
    int level = 0;
    bool device = false;  // a heading that starts a device's part
    std::string text{};
    std::vector<std::string> items{}, headings{};
    std::vector<bool> numeric{};
    std::vector<std::vector<std::string>> rows{};
};

std::vector<Block> layout(const Report& report);
std::string title(const Report& report);
std::string subtitle(const Report& report);

void write_markdown(const Report& report, std::ostream& out);
void write_html(const Report& report, std::ostream& out);
void write_csv(const Report& report, std::ostream& out);
void write_json(const Report& report, std::ostream& out);

}  // namespace egresswatch::cli::report
