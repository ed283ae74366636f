// The order and wording of the report, shared by the Markdown and HTML writers.
#include "report.hpp"
#include "text.hpp"

namespace egresswatch::cli::report {
namespace {

using Kind = Block::Kind;

Block heading(int level, std::string text) { return {.kind = Kind::Heading, .level = level, .text = std::move(text)}; }

Block paragraph(std::string text) { return {.kind = Kind::Paragraph, .text = std::move(text)}; }

Block facts(std::vector<std::string> items) { return {.kind = Kind::Facts, .items = std::move(items)}; }

Block table(std::vector<std::string> headings, std::vector<bool> numeric) {
    return {.kind = Kind::Table, .headings = std::move(headings), .numeric = std::move(numeric)};
}

// Times for people: to the second (CSV and JSON keep the microseconds).
std::string when(std::int64_t us) { return format_display_time(us - ((us % 1'000'000) + 1'000'000) % 1'000'000); }

std::string text_or_dash(const std::optional<std::string>& s) { return s.value_or("-"); }

std::string severity_text(int rank) {
    auto name = severity_name(rank);
    return name.empty() ? "-" : std::string(name);
}

Block share_table(std::string heading, const std::vector<Share>& shares, std::int64_t whole) {
    Block t = table({std::move(heading), "bytes sent", "share", "bytes received", "flows"},
                    {false, true, true, true, true});
    for (std::size_t i = 0; i < shares.size() && i < kTopRows; ++i) {
        const Share& s = shares[i];
        t.rows.push_back({s.label, grouped(s.totals.bytes_out), percent(s.totals.bytes_out, whole),
                          grouped(s.totals.bytes_in), grouped(s.totals.flows)});
    }
    if (shares.size() > kTopRows)
        t.rows.push_back({std::to_string(shares.size() - kTopRows) + " more", "", "", "", ""});
    return t;
}

void add_device(std::vector<Block>& blocks, const Device& d) {
    blocks.push_back(heading(3, device_title(d)));
    blocks.back().device = true;
    std::vector<std::string> items;
    items.push_back("Kind: " + d.kind + "; vendor: " + text_or_dash(d.vendor) +
                    (d.vendor_country ? " (" + *d.vendor_country + ")" : "") + "; MAC: " + text_or_dash(d.mac));
    if (d.hostname || d.site) items.push_back("Hostname: " + text_or_dash(d.hostname) + "; site: " + text_or_dash(d.site));
    std::string evidence = text::joined(d.identified_by);
    items.push_back("Identified by: " + (evidence.empty() ? "-" : evidence));
    if (d.first_seen_us) items.push_back("Active: " + when(*d.first_seen_us) + " to " + when(*d.last_seen_us));
    if (d.addresses.size() > 1) {  // one box: each address and when it was in use
        std::vector<std::string> addresses;
        for (const DeviceAddress& a : d.addresses)
            addresses.push_back(a.ip + " (" + when(a.first_seen_us) + " to " + when(a.last_seen_us) + ")");
        items.push_back("Addresses: " + text::joined(addresses));
    }
    items.push_back("Sent abroad: " + count_of(d.abroad.bytes_out, "byte") + " in " + count_of(d.abroad.flows, "flow") +
                    "; received from abroad: " + count_of(d.abroad.bytes_in, "byte"));
    items.push_back("Alerts: " + grouped(d.all.alerts) +
                    (d.all.severity ? " (highest: " + std::string(severity_name(d.all.severity)) + ")" : ""));
    blocks.push_back(facts(std::move(items)));
    if (d.destinations.empty()) {
        blocks.push_back(paragraph("No flows to destinations outside the local networks in the period."));
        return;
    }
    Block t = table({"country", "network", "domain", "flows", "bytes sent", "bytes received", "first contact",
                     "last contact", "severity"},
                    {false, false, false, true, true, true, false, false, false});
    for (const Destination& dest : d.destinations)
        t.rows.push_back({text_or_dash(dest.country) + (dest.abroad ? " (abroad)" : ""),
                          network_label(dest.asn, dest.as_org), text_or_dash(dest.domain), grouped(dest.totals.flows),
                          grouped(dest.totals.bytes_out), grouped(dest.totals.bytes_in),
                          when(dest.totals.first_us), when(dest.totals.last_us),
                          severity_text(dest.totals.severity)});
    blocks.push_back(std::move(t));
}

std::string coverage_text(const Report& r) {
    const TimeWindow& w = r.scope.window;
    std::string share = percent(r.covered_us, w.until_us - w.since_us);
    if (r.covered_us > 0 && share == "0.0%") share = "less than 0.1%";
    std::string text = "Capture covered " + share + " of the period";
    if (r.gaps.empty()) return text + ", with no gap of a minute or more.";
    return text + "; " + std::to_string(r.gaps.size()) + (r.gaps.size() == 1 ? " gap" : " gaps") +
           " of a minute or more.";
}

// The latest signed checkpoint of each store (egresswatchd --signing-key):
// `egresswatch verify --key PUB` checks it against the chain.
void add_checkpoints(std::vector<Block>& blocks, const Report& r) {
    Block signed_heads = table({"store", "signed at", "chain seq", "chain hash", "late alert seq", "key fingerprint",
                                "signature"},
                               {false, false, true, false, true, false, false});
    std::vector<std::string> unsigned_stores;
    for (const StoreInfo& s : r.stores) {
        if (const auto& c = s.checkpoint)
            signed_heads.rows.push_back({s.path, format_time(c->signed_us), grouped(c->heads.chain_seq),
                                         c->heads.chain_hash, grouped(c->heads.late_seq), c->key_fingerprint,
                                         c->signature});
        else
            unsigned_stores.push_back(s.path);
    }
    if (!signed_heads.rows.empty()) {
        blocks.push_back(paragraph("The latest signed checkpoint of the evidence chain (egresswatch verify --key "
                                   "checks it with the sensor's public key):"));
        blocks.push_back(std::move(signed_heads));
    }
    if (!unsigned_stores.empty()) {
        std::string names;
        for (const auto& name : unsigned_stores) names += (names.empty() ? "" : ", ") + name;
        blocks.push_back(paragraph("No signed checkpoint in " + names +
                                   ": its chain shows that records agree with each other, not that no one who "
                                   "could write the store rewrote them (egresswatchd --signing-key)."));
    }
}

void add_method(std::vector<Block>& blocks, const Report& r) {
    blocks.push_back(heading(2, "Method"));
    blocks.push_back(facts(definitions()));
    Block stores = table({"store", "home country", "sensor", "rules", "geolocation", "sealed records", "chain head"},
                         {false, false, false, false, false, true, false});
    for (const StoreInfo& s : r.stores)
        stores.rows.push_back({s.path, s.home_country, s.sensor_version, s.rules, s.geoip, grouped(s.chain_seq),
                               s.chain_head});
    blocks.push_back(std::move(stores));
    add_checkpoints(blocks, r);
    blocks.push_back(paragraph(coverage_text(r)));
    if (!r.captures.empty()) {
        Block captures = table({"capture", "from", "to", "packets", "bytes", "malformed", "dropped", "flows evicted"},
                               {false, false, false, true, true, true, true, true});
        for (const CaptureSource& c : r.captures)
            captures.rows.push_back({c.source, when(c.first_us), when(c.last_us), grouped(c.packets),
                                     grouped(c.bytes), grouped(c.malformed), grouped(c.dropped),
                                     grouped(c.flows_evicted)});
        blocks.push_back(std::move(captures));
    }
    if (!r.gaps.empty()) {
        std::vector<std::string> gaps;
        for (const TimeWindow& gap : r.gaps) gaps.push_back(when(gap.since_us) + " to " + when(gap.until_us));
        blocks.push_back(paragraph("Capture gaps:"));
        blocks.push_back(facts(std::move(gaps)));
    }
    if (r.store_gaps.empty()) {
        blocks.push_back(paragraph("The stores recorded no time in the period when records were dropped."));
    } else {
        Block lost = table({"store", "records not stored from", "to", "reason", "records lost"},
                           {false, false, false, false, true});
        for (const StoreGap& g : r.store_gaps)
            lost.rows.push_back({g.store, when(g.since_us), g.until_us ? when(*g.until_us) : "sensor stopped",
                                 g.reason, grouped(g.records_lost)});
        blocks.push_back(std::move(lost));
    }
}

}  // namespace

std::string title(const Report& r) { return "Egress report: " + r.scope.period; }

std::string subtitle(const Report& r) {
    return "Period: " + when(r.scope.window.since_us) + " to " + when(r.scope.window.until_us) +
           " (" + display_zone() + ")." + (r.scope.device ? " Device: " + r.scope.device->value + "." : "");
}

std::vector<Block> layout(const Report& r) {
    const Headline& h = r.headline;
    std::int64_t abroad_out = h.camera_abroad.bytes_out + h.iot_abroad_totals.bytes_out;
    std::vector<Block> blocks;
    blocks.push_back(heading(2, "Headline"));
    Block headline{.kind = Kind::Headline};
    headline.rows = {
        {"cameras-seen", grouped(h.cameras_seen), "Cameras seen (cameras and NVRs)"},
        {"cameras-abroad", grouped(h.cameras_abroad), "Cameras that sent data abroad"},
        {"camera-bytes-abroad", grouped(h.camera_abroad.bytes_out), "Bytes cameras sent abroad"},
        {"camera-bytes-from-abroad", grouped(h.camera_abroad.bytes_in), "Bytes cameras received from abroad"},
        {"iot-seen", grouped(h.iot_seen), "IoT devices seen"},
        {"iot-abroad", grouped(h.iot_abroad), "IoT devices that sent data abroad"},
        {"iot-bytes-abroad", grouped(h.iot_abroad_totals.bytes_out), "Bytes IoT devices sent abroad"},
        {"flows-watched-countries", grouped(h.watched_country.flows),
         "Flows of cameras and IoT devices to watched countries"},
        {"bytes-watched-countries", grouped(h.watched_country.bytes_out), "Bytes they sent to watched countries"},
        {"flows-chinese-owned", grouped(h.chinese_owned.flows),
         "Flows of cameras and IoT devices to Chinese-owned networks, wherever the server is"},
        {"bytes-chinese-owned", grouped(h.chinese_owned.bytes_out), "Bytes they sent to Chinese-owned networks"},
        {"bytes-chinese-owned-home", grouped(h.chinese_owned_home.bytes_out),
         "Of those, bytes to Chinese-owned servers in the home country"},
        {"other-seen", grouped(h.other_seen), "Other devices seen"},
    };
    blocks.push_back(std::move(headline));
    blocks.push_back({.kind = Kind::DailyChart});
    blocks.push_back({.kind = Kind::ShareCharts});
    blocks.push_back(heading(3, "Top destination countries abroad (cameras and IoT devices)"));
    blocks.push_back(share_table("country", r.countries, abroad_out));
    blocks.push_back(heading(3, "Top destination networks abroad (cameras and IoT devices)"));
    blocks.push_back(share_table("network", r.networks, abroad_out));
    blocks.push_back(heading(2, "Devices"));
    if (r.devices.empty()) blocks.push_back(paragraph("No cameras, IoT devices or devices with alerts in the period."));
    for (const Device& d : r.devices) add_device(blocks, d);
    add_method(blocks, r);
    return blocks;
}

}  // namespace egresswatch::cli::report
