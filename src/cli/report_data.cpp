// The report's numbers for programs and spreadsheets: CSV and JSON.
#include <ostream>

#include <egresswatch/common/json.hpp>

#include "output.hpp"
#include "report.hpp"
#include "text.hpp"

namespace egresswatch::cli::report {
namespace {

std::string optional_or_empty(const std::optional<std::string>& s) { return s.value_or(""); }

std::string optional_or_empty(const std::optional<std::int64_t>& n) { return n ? std::to_string(*n) : ""; }

using text::joined;

// What the numbers of a CSV section belong to.
struct Where {
    std::string day{}, device_ip{}, device_mac{}, device_kind{}, country{}, asn{}, network{}, domain{}, item{};
};

// CSV in long form: one number (or fact) a row, with what it belongs to, so
// that a spreadsheet's pivot table can regroup it any way.
class CsvRows {
public:
    explicit CsvRows(std::ostream& out) : out_(out) {
        out_ << "section,day,device_ip,device_mac,device_kind,country,asn,network,domain,item,metric,value\n";
    }

    void section(std::string name, Where where = {}) {
        section_ = std::move(name);
        where_ = std::move(where);
    }

    void row(std::string_view metric, std::string_view value) {
        const Where& w = where_;
        for (const std::string* field : {static_cast<const std::string*>(&section_), &w.day, &w.device_ip, &w.device_mac, &w.device_kind, &w.country,
                                         &w.asn, &w.network, &w.domain, &w.item})
            out_ << csv_field(*field) << ',';
        out_ << csv_field(metric) << ',' << csv_field(value) << '\n';
    }

    void row(std::string_view metric, std::int64_t value) { row(metric, std::to_string(value)); }

    void totals(const Totals& t, std::string_view suffix = "") {
        row("flows" + std::string(suffix), t.flows);
        row("bytes_out" + std::string(suffix), t.bytes_out);
        row("bytes_in" + std::string(suffix), t.bytes_in);
    }

private:
    std::ostream& out_;
    std::string section_;
    Where where_;
};

void json_totals(json::Writer& w, const Totals& t) {
    w.key("flows").value(t.flows).key("bytes_out").value(t.bytes_out).key("bytes_in").value(t.bytes_in);
}

void json_shares(json::Writer& w, std::string_view key, const std::vector<Share>& shares) {
    w.key(key).begin_array();
    for (const Share& s : shares) {
        w.begin_object().key("key").value(s.key).key("label").value(s.label);
        json_totals(w, s.totals);
        w.end_object();
    }
    w.end_array();
}

std::optional<std::string> severity_or_null(int rank) {
    if (!rank) return std::nullopt;
    return std::string(severity_name(rank));
}

std::optional<std::string> time_or_null(const std::optional<std::int64_t>& us) {
    if (!us) return std::nullopt;
    return format_time(*us);
}

}  // namespace

void write_csv(const Report& r, std::ostream& out) {
    CsvRows rows(out);
    const Headline& h = r.headline;
    rows.section("period");
    rows.row("period", r.scope.period);
    rows.row("since", format_time(r.scope.window.since_us));
    rows.row("until", format_time(r.scope.window.until_us));
    if (r.scope.device) rows.row("device", r.scope.device->value);
    rows.section("headline");
    rows.row("cameras_seen", h.cameras_seen);
    rows.row("cameras_sent_abroad", h.cameras_abroad);
    rows.totals(h.camera_abroad, "_cameras_abroad");
    rows.row("iot_seen", h.iot_seen);
    rows.row("iot_sent_abroad", h.iot_abroad);
    rows.totals(h.iot_abroad_totals, "_iot_abroad");
    rows.totals(h.watched_country, "_watched_countries");
    rows.totals(h.chinese_owned, "_chinese_owned");
    rows.totals(h.chinese_owned_home, "_chinese_owned_home");
    rows.row("other_seen", h.other_seen);
    for (const Share& s : r.countries) {
        rows.section("country", {.country = s.key});
        rows.totals(s.totals, "_abroad");
    }
    for (const Share& s : r.networks) {
        rows.section("network", {.asn = s.key == "unknown" ? "" : s.key.substr(2), .network = s.label});
        rows.totals(s.totals, "_abroad");
    }
    for (const DayBytes& day : r.days) {
        rows.section("day", {.day = day_text(day.day_us)});
        rows.row("bytes_out_cameras_abroad", day.camera_bytes_out);
        rows.row("bytes_out_iot_abroad", day.iot_bytes_out);
    }
    for (const Device& d : r.devices) {
        Where device{.device_ip = d.ip, .device_mac = optional_or_empty(d.mac), .device_kind = d.kind};
        rows.section("device", device);
        rows.row("vendor", optional_or_empty(d.vendor));
        rows.row("vendor_country", optional_or_empty(d.vendor_country));
        rows.row("identified_by", joined(d.identified_by));
        rows.row("hostname", optional_or_empty(d.hostname));
        rows.row("label", optional_or_empty(d.label));
        rows.row("site", optional_or_empty(d.site));
        if (d.first_seen_us) {
            rows.row("first_seen", format_time(*d.first_seen_us));
            rows.row("last_seen", format_time(*d.last_seen_us));
        }
        if (d.addresses.size() > 1)
            for (const DeviceAddress& a : d.addresses)
                rows.row("address", a.ip + " " + format_time(a.first_seen_us) + " " + format_time(a.last_seen_us));
        rows.totals(d.abroad, "_abroad");
        rows.row("alerts", d.all.alerts);
        rows.row("severity", severity_name(d.all.severity));
        for (const Destination& dest : d.destinations) {
            Where where = device;
            where.country = optional_or_empty(dest.country);
            where.asn = optional_or_empty(dest.asn);
            where.network = optional_or_empty(dest.as_org);
            where.domain = optional_or_empty(dest.domain);
            rows.section("destination", where);
            rows.row("abroad", dest.abroad ? 1 : 0);
            rows.totals(dest.totals);
            rows.row("first_contact", format_time(dest.totals.first_us));
            rows.row("last_contact", format_time(dest.totals.last_us));
            rows.row("alerts", dest.totals.alerts);
            rows.row("severity", severity_name(dest.totals.severity));
        }
    }
    for (const StoreInfo& s : r.stores) {
        rows.section("store", {.item = s.path});
        rows.row("home_country", s.home_country);
        rows.row("sensor_version", s.sensor_version);
        rows.row("rules", s.rules);
        rows.row("geoip", s.geoip);
        rows.row("sealed_records", s.chain_seq);
        rows.row("chain_head", s.chain_head);
        if (const auto& c = s.checkpoint) {
            rows.row("signed_at", format_time(c->signed_us));
            rows.row("signed_chain_seq", c->heads.chain_seq);
            rows.row("signed_chain_hash", c->heads.chain_hash);
            rows.row("signed_late_alert_seq", c->heads.late_seq);
            rows.row("signed_late_alert_hash", c->heads.late_hash);
            rows.row("key_fingerprint", c->key_fingerprint);
            rows.row("signature", c->signature);
        } else {
            rows.row("signed_checkpoint", "none");
        }
    }
    for (const CaptureSource& c : r.captures) {
        rows.section("capture", {.item = c.source});
        rows.row("store", c.store);
        rows.row("from", format_time(c.first_us));
        rows.row("to", format_time(c.last_us));
        rows.row("packets", c.packets);
        rows.row("bytes", c.bytes);
        rows.row("malformed", c.malformed);
        rows.row("dropped", c.dropped);
        rows.row("flows_evicted", c.flows_evicted);
    }
    rows.section("coverage");
    rows.row("covered_seconds", r.covered_us / 1'000'000);
    rows.row("period_seconds", (r.scope.window.until_us - r.scope.window.since_us) / 1'000'000);
    for (const TimeWindow& gap : r.gaps) {
        rows.section("capture_gap", {.item = format_time(gap.since_us)});
        rows.row("until", format_time(gap.until_us));
    }
    for (const StoreGap& g : r.store_gaps) {
        rows.section("store_gap", {.item = format_time(g.since_us)});
        rows.row("store", g.store);
        rows.row("until", g.until_us ? format_time(*g.until_us) : "");
        rows.row("reason", g.reason);
        rows.row("records_lost", g.records_lost);
    }
}

void write_json(const Report& r, std::ostream& out) {
    std::string text;
    json::Writer w(text);
    const Headline& h = r.headline;
    w.begin_object();
    w.key("period").value(r.scope.period);
    w.key("since").value(format_time(r.scope.window.since_us));
    w.key("until").value(format_time(r.scope.window.until_us));
    w.key("device").value(r.scope.device ? std::optional(r.scope.device->value) : std::nullopt);
    w.key("definitions").begin_array();
    for (const auto& definition : definitions()) w.value(definition);
    w.end_array();

    w.key("headline").begin_object();
    w.key("cameras_seen").value(h.cameras_seen).key("cameras_sent_abroad").value(h.cameras_abroad);
    w.key("cameras_abroad").begin_object();
    json_totals(w, h.camera_abroad);
    w.end_object();
    w.key("iot_seen").value(h.iot_seen).key("iot_sent_abroad").value(h.iot_abroad);
    w.key("iot_abroad").begin_object();
    json_totals(w, h.iot_abroad_totals);
    w.end_object();
    for (auto [key, totals] : {std::pair{"watched_countries", &h.watched_country},
                               std::pair{"chinese_owned", &h.chinese_owned},
                               std::pair{"chinese_owned_home", &h.chinese_owned_home}}) {
        w.key(key).begin_object();
        json_totals(w, *totals);
        w.end_object();
    }
    w.key("other_seen").value(h.other_seen);
    w.end_object();

    json_shares(w, "countries", r.countries);
    json_shares(w, "networks", r.networks);
    w.key("days").begin_array();
    for (const DayBytes& day : r.days)
        w.begin_object()
            .key("day").value(day_text(day.day_us))
            .key("bytes_out_cameras_abroad").value(day.camera_bytes_out)
            .key("bytes_out_iot_abroad").value(day.iot_bytes_out)
            .end_object();
    w.end_array();

    w.key("devices").begin_array();
    for (const Device& d : r.devices) {
        w.begin_object();
        w.key("ip").value(d.ip).key("mac").value(d.mac).key("kind").value(d.kind);
        w.key("vendor").value(d.vendor).key("vendor_country").value(d.vendor_country);
        w.key("identified_by").value(d.identified_by);
        w.key("hostname").value(d.hostname).key("label").value(d.label).key("site").value(d.site);
        w.key("first_seen").value(time_or_null(d.first_seen_us)).key("last_seen").value(time_or_null(d.last_seen_us));
        if (d.addresses.size() > 1) {  // one box of several addresses
            w.key("addresses").begin_array();
            for (const DeviceAddress& a : d.addresses)
                w.begin_object().key("ip").value(a.ip).key("first_seen").value(format_time(a.first_seen_us))
                    .key("last_seen").value(format_time(a.last_seen_us)).end_object();
            w.end_array();
        }
        w.key("abroad").begin_object();
        json_totals(w, d.abroad);
        w.end_object();
        w.key("alerts").value(d.all.alerts).key("severity").value(severity_or_null(d.all.severity));
        w.key("destinations").begin_array();
        for (const Destination& dest : d.destinations) {
            w.begin_object();
            w.key("country").value(dest.country).key("asn").value(dest.asn).key("as_org").value(dest.as_org);
            w.key("domain").value(dest.domain).key("abroad").value(dest.abroad);
            json_totals(w, dest.totals);
            w.key("first_contact").value(format_time(dest.totals.first_us));
            w.key("last_contact").value(format_time(dest.totals.last_us));
            w.key("alerts").value(dest.totals.alerts).key("severity").value(severity_or_null(dest.totals.severity));
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();

    w.key("method").begin_object();
    w.key("stores").begin_array();
    for (const StoreInfo& s : r.stores) {
        w.begin_object()
            .key("path").value(s.path)
            .key("home_country").value(s.home_country)
            .key("sensor_version").value(s.sensor_version)
            .key("rules").value(s.rules)
            .key("geoip").value(s.geoip)
            .key("sealed_records").value(s.chain_seq)
            .key("chain_head").value(s.chain_head)
            .key("signed_checkpoint");
        if (const auto& c = s.checkpoint)
            w.begin_object()
                .key("signed_at").value(format_time(c->signed_us))
                .key("signed_at_us").value(c->signed_us)
                .key("chain_seq").value(c->heads.chain_seq)
                .key("chain_hash").value(c->heads.chain_hash)
                .key("late_alert_seq").value(c->heads.late_seq)
                .key("late_alert_hash").value(c->heads.late_hash)
                .key("key_fingerprint").value(c->key_fingerprint)
                .key("signature").value(c->signature)
                .end_object();
        else
            w.null();
        w.end_object();
    }
    w.end_array();
    w.key("captures").begin_array();
    for (const CaptureSource& c : r.captures)
        w.begin_object()
            .key("store").value(c.store)
            .key("source").value(c.source)
            .key("from").value(format_time(c.first_us))
            .key("to").value(format_time(c.last_us))
            .key("packets").value(c.packets)
            .key("bytes").value(c.bytes)
            .key("malformed").value(c.malformed)
            .key("dropped").value(c.dropped)
            .key("flows_evicted").value(c.flows_evicted)
            .end_object();
    w.end_array();
    w.key("covered_seconds").value(r.covered_us / 1'000'000);
    w.key("gaps").begin_array();
    for (const TimeWindow& gap : r.gaps)
        w.begin_object().key("from").value(format_time(gap.since_us)).key("to").value(format_time(gap.until_us)).end_object();
    w.end_array();
    w.key("store_gaps").begin_array();
    for (const StoreGap& g : r.store_gaps)
        w.begin_object()
            .key("store").value(g.store)
            .key("from").value(format_time(g.since_us))
            .key("to").value(time_or_null(g.until_us))
            .key("reason").value(g.reason)
            .key("records_lost").value(g.records_lost)
            .end_object();
    w.end_array();
    w.end_object();
    w.end_object();
    out << text;
}

}  // namespace egresswatch::cli::report
