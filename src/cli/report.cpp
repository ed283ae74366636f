#include "report.hpp"

#include <egresswatch/common/json.hpp>
#include <egresswatch/device_kind.hpp>
#include <egresswatch/evidence.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>

#include "query.hpp"

namespace egresswatch::cli::report {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000LL;
constexpr std::int64_t kShortestGapUs = 60'000'000;  // shorter breaks between capture intervals are not gaps
constexpr std::int64_t kMaxDailyBars = 400;          // a longer period charts only the days with data

// SQL severity rank of alert "a" (0 if none), as in Totals::severity.
constexpr const char* kSeverityRank =
    "CASE a.severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END";

// ip, mac ("" if unknown); of a box: "box " + its MAC, the MAC.
using DeviceKey = std::pair<std::string, std::string>;
using DestinationKey = std::tuple<bool, std::optional<std::string>, std::optional<std::int64_t>,
                                  std::optional<std::string>, std::optional<std::string>>;

std::optional<std::string> optional_text(const Statement& st, int column) {
    if (st.is_null(column)) return std::nullopt;
    return st.text(column);
}

std::optional<std::int64_t> optional_integer(const Statement& st, int column) {
    if (st.is_null(column)) return std::nullopt;
    return st.integer(column);
}

void fill(std::optional<std::string>& field, const std::optional<std::string>& value) {
    if (!field) field = value;
}

// A stored kind as core writes it; text it does not know is other.
DeviceKind device_kind(std::string_view kind) { return parse_device_kind(kind).value_or(DeviceKind::other); }

int kind_rank(std::string_view kind) {
    DeviceKind k = device_kind(kind);
    if (is_camera_or_nvr(k)) return 0;
    return k == DeviceKind::iot ? 1 : 2;
}

bool is_monitored(std::string_view kind) { return is_identified(device_kind(kind)); }

// Collects the report of several stores, one store at a time.
class Builder {
public:
    explicit Builder(const Scope& scope) : scope_(scope) { report_.scope = scope; }

    void add_store(Store& store) {
        StoreInfo info = read_info(store);
        std::map<std::string, DeviceKey> keys;  // this store's device address -> its device
        read_devices(store, keys);
        read_flows(store, keys, info.home_country);
        read_captures(store);
        read_store_gaps(store);
        report_.stores.push_back(std::move(info));
    }

    Report finish() {
        finish_devices();
        finish_shares();
        finish_days();
        finish_coverage();
        return std::move(report_);
    }

private:
    // The flow conditions of the scope, for flows "f" that started in the window.
    Conditions flow_window() const {
        Conditions where;
        where.add("f.first_seen >= ?", scope_.window.since_us);
        where.add("f.first_seen < ?", scope_.window.until_us);
        where.add("f.remote_local = 0");
        if (scope_.device) add_device_condition(where, *scope_.device, "f.device_ip", "f.device_mac");
        return where;
    }

    static StoreInfo read_info(Store& store) {
        StoreInfo info;
        info.path = store.path();
        auto st = store.prepare("SELECT key, value FROM meta");
        while (st.step()) {
            std::string key = st.text(0);
            if (key == "home_country") info.home_country = st.text(1);
            else if (key == "sensor.version") info.sensor_version = st.text(1);
            else if (key == "rules") info.rules = st.text(1);
            else if (key == "geoip") info.geoip = st.text(1);
        }
        std::tie(info.chain_seq, info.chain_head) = evidence::chain_head(store.handle());
        info.checkpoint = evidence::latest_checkpoint(store.handle());
        return info;
    }

    void read_devices(Store& store, std::map<std::string, DeviceKey>& keys) {
        Conditions where;
        where.add("d.first_seen < ?", scope_.window.until_us);
        where.add("d.last_seen >= ?", scope_.window.since_us);
        if (scope_.device) add_device_condition(where, *scope_.device, "d.ip", "d.mac");
        auto st = store.prepare(
            "SELECT d.ip, d.mac, d.vendor, d.vendor_country, d.kind, d.identified_by, d.hostname, d.label,"
            " d.site, d.first_seen, d.last_seen, d.box FROM devices AS d\n" + where.where_clause(),
            where.params());
        const Column evidence_column{"identified_by", ColumnKind::List, false};
        while (st.step()) {
            std::string ip = st.text(0);
            auto mac = optional_text(st, 1);
            auto box = optional_text(st, 11);
            DeviceKey key = box ? DeviceKey{"box " + *box, *box} : DeviceKey{ip, mac.value_or("")};
            keys[ip] = key;
            Device& d = device(key, ip);
            if (box) d.mac = box;
            else d.mac = mac;
            add_address(d, ip, st.integer(9), st.integer(10));
            fill(d.vendor, optional_text(st, 2));
            fill(d.vendor_country, optional_text(st, 3));
            if (kind_rank(st.text(4)) < kind_rank(d.kind)) d.kind = st.text(4);
            auto evidence = read_value(store, st, 5, evidence_column);
            if (auto* items = std::get_if<std::vector<std::string>>(&evidence))
                for (auto& item : *items)
                    if (std::find(d.identified_by.begin(), d.identified_by.end(), item) == d.identified_by.end())
                        d.identified_by.push_back(item);
            fill(d.hostname, optional_text(st, 6));
            fill(d.label, optional_text(st, 7));
            fill(d.site, optional_text(st, 8));
            d.first_seen_us = std::min(d.first_seen_us.value_or(st.integer(9)), st.integer(9));
            d.last_seen_us = std::max(d.last_seen_us.value_or(st.integer(10)), st.integer(10));
        }
    }

    // One pass over the window's flows, summed here: with SQL's GROUP BY,
    // a month of 10M flows spent 20 of the report's 27 s sorting them in a
    // temporary B-tree, and the sums per day read every flow a second time.
    void read_flows(Store& store, const std::map<std::string, DeviceKey>& keys,
                    const std::string& home_country) {
        Conditions where = flow_window();
        auto st = store.prepare(
            "SELECT f.device_ip, f.country, f.asn, f.as_org, f.domain, f.bytes_out, f.bytes_in, f.first_seen,"
            " f.last_seen, a.flow_id IS NOT NULL, " + std::string(kSeverityRank) + ", a.reasons" +
                "\nFROM flows AS f LEFT JOIN alerts AS a ON a.flow_id = f.id\n" + where.where_clause(),
            where.params());
        sqlite3_stmt* row = st.handle();
        struct Group {
            std::string ip;
            bool abroad = false;
            DestinationKey key;
            Totals totals;
        };
        // Keyed by the row's group columns, encoded into one reused buffer
        // (no allocation per row): each field is a tag byte (NULL, integer,
        // text), then its 8 bytes or its length and bytes.
        std::unordered_map<std::string, Group> groups;
        std::unordered_map<std::string, std::int64_t> days;  // ip, day -> bytes out abroad
        std::string key, day_key;
        auto append_field = [&](int column) {
            if (sqlite3_column_type(row, column) == SQLITE_NULL) {
                key += '\0';
            } else if (sqlite3_column_type(row, column) == SQLITE_INTEGER) {
                std::int64_t v = sqlite3_column_int64(row, column);
                key += '\1';
                key.append(reinterpret_cast<const char*>(&v), sizeof v);
            } else {
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(row, column));
                auto size = static_cast<std::uint32_t>(sqlite3_column_bytes(row, column));
                key += '\2';
                key.append(reinterpret_cast<const char*>(&size), sizeof size);
                key.append(text, size);
            }
        };
        while (st.step()) {
            key.clear();
            for (int column = 0; column < 5; ++column) append_field(column);
            auto [it, inserted] = groups.try_emplace(key);
            Group& g = it->second;
            if (inserted) {
                g.ip = st.text(0);
                auto country = optional_text(st, 1);
                g.abroad = country && *country != home_country;
                g.key = DestinationKey{!g.abroad, country, optional_integer(st, 2), optional_text(st, 3),
                                       optional_text(st, 4)};
            }
            std::int64_t bytes_out = st.integer(5);
            Totals t;
            t.flows = 1;
            t.bytes_out = bytes_out;
            t.bytes_in = st.integer(6);
            t.first_us = st.integer(7);
            t.last_us = st.integer(8);
            t.alerts = st.integer(9);
            t.severity = static_cast<int>(st.integer(10));
            g.totals.add(t);
            if (t.alerts) add_mission(device_key(g.ip, keys).first, st.text(11), g.abroad, t);
            if (g.abroad) {
                std::int64_t day = t.first_us / kMicrosPerDay;  // as SQL's integer division: toward zero
                day_key = g.ip;
                day_key.append(reinterpret_cast<const char*>(&day), sizeof day);
                days[day_key] += bytes_out;
            }
        }
        for (auto& [_, g] : groups) {
            DeviceKey device_id = device_key(g.ip, keys);
            device(device_id, g.ip);
            destinations_[device_id][g.key].add(g.totals);
        }
        for (const auto& [k, bytes] : days) {
            std::string ip = k.substr(0, k.size() - sizeof(std::int64_t));
            std::int64_t day;
            std::memcpy(&day, k.data() + ip.size(), sizeof day);
            day_bytes_[{device_key(ip, keys), day}] += bytes;
        }
    }

    void read_captures(Store& store) {
        auto st = store.prepare(
            "SELECT source, start_time, end_time, packets, bytes, malformed, dropped, flows_evicted"
            " FROM capture_stats WHERE start_time < ? AND end_time >= ? ORDER BY start_time, id",
            {scope_.window.until_us, scope_.window.since_us});
        while (st.step()) {
            auto [it, inserted] = captures_.try_emplace({store.path(), st.text(0)});
            CaptureSource& c = it->second;
            if (inserted) {
                c.store = store.path();
                c.source = st.text(0);
                c.first_us = st.integer(1);
            }
            c.first_us = std::min(c.first_us, st.integer(1));
            c.last_us = std::max(c.last_us, st.integer(2));
            ++c.intervals;
            c.packets += st.integer(3);
            c.bytes += st.integer(4);
            c.malformed += st.integer(5);
            c.dropped += st.integer(6);
            c.flows_evicted = std::max(c.flows_evicted, st.integer(7));  // a running count
            intervals_.push_back({st.integer(1), st.integer(2)});
        }
    }

    void read_store_gaps(Store& store) {
        auto st = store.prepare(
            "SELECT start_time, end_time, reason, records_lost FROM store_gaps"
            " WHERE start_time < ? AND (end_time IS NULL OR end_time >= ?) ORDER BY start_time, id",
            {scope_.window.until_us, scope_.window.since_us});
        while (st.step())
            report_.store_gaps.push_back({store.path(), st.integer(0), optional_integer(st, 1), st.text(2), st.integer(3)});
    }

    // The sealed reasons name the rule that fired: "country:CN" for a watched
    // country, "... (Chinese-owned cloud)" for a Chinese-owned network or domain.
    // `device`: the first of its DeviceKey.
    void add_mission(const std::string& device, std::string_view reasons, bool abroad, const Totals& t) {
        bool watched = reasons.find("\"country:") != std::string_view::npos;
        bool chinese = reasons.find("Chinese-owned cloud)") != std::string_view::npos;
        if (!watched && !chinese) return;
        Mission& m = mission_[device];
        if (watched) m.watched_country.add(t);
        if (chinese) m.chinese_owned.add(t);
        if (chinese && !abroad) m.chinese_owned_home.add(t);
    }

    static DeviceKey device_key(const std::string& ip, const std::map<std::string, DeviceKey>& keys) {
        auto it = keys.find(ip);
        return it == keys.end() ? DeviceKey{ip, ""} : it->second;
    }

    // The device of `key`, seen at `ip`: a box is named by its lowest address.
    Device& device(const DeviceKey& key, const std::string& ip) {
        auto [it, inserted] = devices_.try_emplace(key);
        Device& d = it->second;
        if (inserted || address_sort_key(ip) < address_sort_key(d.ip)) d.ip = ip;
        return d;
    }

    static void add_address(Device& d, const std::string& ip, std::int64_t first_us, std::int64_t last_us) {
        auto at = std::find_if(d.addresses.begin(), d.addresses.end(),
                               [&](const DeviceAddress& a) { return a.ip == ip; });
        if (at == d.addresses.end()) {
            auto key = address_sort_key(ip);
            at = d.addresses.insert(std::find_if(d.addresses.begin(), d.addresses.end(),
                                                 [&](const DeviceAddress& a) { return key < address_sort_key(a.ip); }),
                                    DeviceAddress{ip, first_us, last_us});
        }
        at->first_seen_us = std::min(at->first_seen_us, first_us);
        at->last_seen_us = std::max(at->last_seen_us, last_us);
    }

    void finish_devices() {
        Headline& h = report_.headline;
        for (auto& [key, d] : devices_) {
            for (auto& [dest_key, totals] : destinations_[key]) {
                Destination dest;
                std::tie(std::ignore, dest.country, dest.asn, dest.as_org, dest.domain) = dest_key;
                dest.abroad = !std::get<0>(dest_key);
                dest.totals = totals;
                d.all.add(totals);
                if (dest.abroad) d.abroad.add(totals);
                d.destinations.push_back(std::move(dest));
            }
            std::stable_sort(d.destinations.begin(), d.destinations.end(), [](const auto& a, const auto& b) {
                return std::make_tuple(!a.abroad, -a.totals.bytes_out) < std::make_tuple(!b.abroad, -b.totals.bytes_out);
            });
            bool sent_abroad = d.abroad.bytes_out > 0;
            if (is_monitored(d.kind)) {
                if (auto m = mission_.find(key.first); m != mission_.end() && !m->second.counted) {
                    h.watched_country.add(m->second.watched_country);
                    h.chinese_owned.add(m->second.chinese_owned);
                    h.chinese_owned_home.add(m->second.chinese_owned_home);
                    m->second.counted = true;  // an address with two MACs is two rows here
                }
            }
            if (is_camera_or_nvr(device_kind(d.kind))) {
                ++h.cameras_seen;
                h.cameras_abroad += sent_abroad;
                h.camera_abroad.add(d.abroad);
            } else if (d.kind == "iot") {
                ++h.iot_seen;
                h.iot_abroad += sent_abroad;
                h.iot_abroad_totals.add(d.abroad);
            } else {
                ++h.other_seen;
            }
            if (is_monitored(d.kind) || d.all.alerts > 0) report_.devices.push_back(d);
        }
        std::stable_sort(report_.devices.begin(), report_.devices.end(), [](const Device& a, const Device& b) {
            return std::make_tuple(kind_rank(a.kind), -a.abroad.bytes_out, address_sort_key(a.ip),
                                   a.mac.value_or("")) <
                   std::make_tuple(kind_rank(b.kind), -b.abroad.bytes_out, address_sort_key(b.ip),
                                   b.mac.value_or(""));
        });
    }

    void finish_shares() {
        std::map<std::string, Share> countries, networks;
        for (const Device& d : report_.devices) {
            if (d.abroad.bytes_out > 0)
                report_.top_devices.push_back({d.ip, device_title(d), d.abroad});
            if (!is_monitored(d.kind)) continue;
            for (const Destination& dest : d.destinations) {
                if (!dest.abroad) continue;
                Share& c = countries[*dest.country];
                c.key = c.label = *dest.country;
                c.totals.add(dest.totals);
                std::string network = dest.asn ? "AS" + std::to_string(*dest.asn) : "unknown";
                Share& n = networks[network];
                n.key = network;
                if (n.label.empty() || (dest.as_org && n.label == network)) n.label = network_label(dest.asn, dest.as_org);
                n.totals.add(dest.totals);
            }
        }
        auto most_bytes_first = [](std::vector<Share>& shares) {
            std::stable_sort(shares.begin(), shares.end(), [](const Share& a, const Share& b) {
                return a.totals.bytes_out > b.totals.bytes_out;
            });
        };
        for (auto& [key, share] : countries) report_.countries.push_back(share);
        for (auto& [key, share] : networks) report_.networks.push_back(share);
        most_bytes_first(report_.countries);
        most_bytes_first(report_.networks);
        most_bytes_first(report_.top_devices);
    }

    void finish_days() {
        std::map<std::int64_t, DayBytes> days;
        const TimeWindow& w = report_.scope.window;
        std::int64_t first_day = w.since_us / kMicrosPerDay, end_day = (w.until_us + kMicrosPerDay - 1) / kMicrosPerDay;
        if (end_day - first_day <= kMaxDailyBars)
            for (std::int64_t day = first_day; day < end_day; ++day) days[day].day_us = day * kMicrosPerDay;
        for (const auto& [key, bytes] : day_bytes_) {
            const Device& d = devices_.at(key.first);
            if (!is_monitored(d.kind)) continue;
            DayBytes& day = days[key.second];
            day.day_us = key.second * kMicrosPerDay;
            (is_camera_or_nvr(device_kind(d.kind)) ? day.camera_bytes_out : day.iot_bytes_out) += bytes;
        }
        for (auto& [day, bytes] : days) report_.days.push_back(bytes);
    }

    void finish_coverage() {
        for (auto& [key, capture] : captures_) report_.captures.push_back(capture);
        const TimeWindow& w = report_.scope.window;
        std::sort(intervals_.begin(), intervals_.end(),
                  [](const TimeWindow& a, const TimeWindow& b) { return a.since_us < b.since_us; });
        std::int64_t covered_until = w.since_us;  // the period is covered up to here
        auto gap_to = [&](std::int64_t until) {
            until = std::min(until, w.until_us);
            if (until - covered_until >= kShortestGapUs) report_.gaps.push_back({covered_until, until});
        };
        for (const TimeWindow& interval : intervals_) {
            gap_to(interval.since_us);
            std::int64_t start = std::clamp(std::max(interval.since_us, covered_until), w.since_us, w.until_us);
            std::int64_t end = std::clamp(interval.until_us, w.since_us, w.until_us);
            if (end > start) report_.covered_us += end - start;
            covered_until = std::max(covered_until, end);
        }
        gap_to(w.until_us);
    }

    const Scope& scope_;
    Report report_;
    std::map<DeviceKey, Device> devices_;
    std::map<DeviceKey, std::map<DestinationKey, Totals>> destinations_;
    std::map<std::pair<DeviceKey, std::int64_t>, std::int64_t> day_bytes_;
    struct Mission {
        Totals watched_country, chinese_owned, chinese_owned_home;
        bool counted = false;
    };
    std::unordered_map<std::string, Mission> mission_;  // by the first of the DeviceKey (an address, or a box)
    std::map<std::pair<std::string, std::string>, CaptureSource> captures_;
    std::vector<TimeWindow> intervals_;
};

}  // namespace

void Totals::add(const Totals& other) {
    if (other.flows == 0) return;
    first_us = flows ? std::min(first_us, other.first_us) : other.first_us;
    last_us = flows ? std::max(last_us, other.last_us) : other.last_us;
    flows += other.flows;
    bytes_out += other.bytes_out;
    bytes_in += other.bytes_in;
    alerts += other.alerts;
    severity = std::max(severity, other.severity);
}

std::string_view severity_name(int rank) {
    switch (rank) {
        case 3: return "high";
        case 2: return "medium";
        case 1: return "low";
        default: return "";
    }
}

std::optional<Format> parse_format(std::string_view name) {
    if (name == "md") return Format::Markdown;
    if (name == "html") return Format::Html;
    if (name == "csv") return Format::Csv;
    if (name == "json") return Format::Json;
    return std::nullopt;
}

Report build_report(const std::vector<std::unique_ptr<Store>>& stores, const Scope& scope) {
    Builder builder(scope);
    for (const auto& store : stores) builder.add_store(*store);
    return builder.finish();
}

void write_report(const Report& report, Format format, std::ostream& out) {
    switch (format) {
        case Format::Markdown: return write_markdown(report, out);
        case Format::Html: return write_html(report, out);
        case Format::Csv: return write_csv(report, out);
        case Format::Json: return write_json(report, out);
    }
}

std::string grouped(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string count_of(std::int64_t n, std::string_view noun) {
    return grouped(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string human_bytes(std::int64_t bytes) {
    static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1000 && unit + 1 < std::size(kUnits)) {
        value /= 1000;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, unit ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
    return buf;
}

std::string percent(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return "-";
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string day_text(std::int64_t day_us) { return format_time(day_us).substr(0, 10); }

std::string network_label(const std::optional<std::int64_t>& asn, const std::optional<std::string>& org) {
    if (!asn) return org.value_or("unknown network");
    return "AS" + std::to_string(*asn) + (org ? " " + *org : "");
}

std::string device_title(const Device& device) {
    const auto& name = device.label ? device.label : device.hostname;
    return device.ip + (name ? " (" + *name + ")" : "");
}

const std::vector<std::string>& definitions() {
    static const std::vector<std::string> kDefinitions = {
        "Cameras are devices identified as a camera or a network video recorder (kinds camera and nvr); "
        "IoT devices (kind iot) are counted separately. A device is seen if it was active at some time in the period.",
        "Abroad means the destination's country is known and is not the store's home country. "
        "Destinations are remote ends outside the local networks; bytes are IP-layer bytes, "
        "sent = device to remote, received = remote to device.",
        "A flow counts in the period, and on the UTC day, in which it started, with all its bytes.",
        "Listed devices: every camera, NVR and IoT device seen, and any other device with an alert in the period.",
        "Country and network come from the geolocation databases named below, as they were when the flow was recorded.",
    };
    return kDefinitions;
}

}  // namespace egresswatch::cli::report
