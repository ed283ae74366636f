#include "device_story.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "query.hpp"

namespace egresswatch::cli {
namespace {

using K = ColumnKind;

const std::vector<Column> kDestinationColumns = {
    {"remote_ip", K::Text, true},      {"country", K::Text, true},       {"asn", K::Integer, false},
    {"as_org", K::Text, false},        {"domain", K::Text, true, 30},    {"flows", K::Integer, true},
    {"bytes_out", K::Integer, true},   {"bytes_in", K::Integer, true},   {"first_contact", K::Time, false},
    {"last_contact", K::Time, true},   {"alerts", K::Integer, false},    {"severity", K::Text, true},
};

const std::vector<Column> kNameColumns = {
    {"query", K::Text, true, 36},      {"answers", K::List, true, 40},   {"lookups", K::Integer, true},
    {"first_seen", K::Time, false},    {"last_seen", K::Time, false},
};

struct Section {
    std::string_view name;
    const std::vector<Column>& columns;
    std::vector<Row> rows;
};

Value text_or_null(const Statement& st, int column) {
    if (st.is_null(column)) return std::monostate{};
    return st.text(column);
}

Value integer_or_null(const Statement& st, int column) {
    if (st.is_null(column)) return std::monostate{};
    return st.integer(column);
}

// Rows merged across stores under a key: sums, and the earliest/latest times.
struct Merged {
    Row row;
    void add(std::size_t column, std::int64_t n) { row[column] = std::get<std::int64_t>(row[column]) + n; }
    void earliest(std::size_t column, std::int64_t t) { row[column] = std::min(std::get<std::int64_t>(row[column]), t); }
    void latest(std::size_t column, std::int64_t t) { row[column] = std::max(std::get<std::int64_t>(row[column]), t); }
};

std::vector<Row> destinations(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters) {
    Conditions where;
    add_device_condition(where, *filters.device, "f.device_ip", "f.device_mac");
    add_flow_conditions(where, filters);
    std::string sql =
        "SELECT f.remote_ip, f.country, f.asn, f.as_org, f.domain, count(*), sum(f.bytes_out), sum(f.bytes_in),"
        " min(f.first_seen), max(f.last_seen), count(a.flow_id),"
        " max(CASE a.severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)\n"
        "FROM flows AS f LEFT JOIN alerts AS a ON a.flow_id = f.id\n" +
        where.where_clause() + "GROUP BY f.remote_ip, f.country, f.asn, f.as_org, f.domain";
    std::map<std::vector<std::string>, Merged> merged;  // key: the identifying columns as text
    for (const auto& store : stores) {
        Statement st = store->prepare(sql, where.params());
        while (st.step()) {
            std::vector<std::string> key;
            for (int i = 0; i < 5; ++i) key.push_back(st.is_null(i) ? std::string("\x01") : st.text(i));
            auto [it, inserted] = merged.try_emplace(key);
            Merged& m = it->second;
            if (inserted) {
                m.row = {text_or_null(st, 0), text_or_null(st, 1), integer_or_null(st, 2), text_or_null(st, 3),
                         text_or_null(st, 4), std::int64_t{0}, std::int64_t{0}, std::int64_t{0}, st.integer(8),
                         st.integer(9), std::int64_t{0}, std::int64_t{0}};
            }
            m.add(5, st.integer(5));
            m.add(6, st.integer(6));
            m.add(7, st.integer(7));
            m.earliest(8, st.integer(8));
            m.latest(9, st.integer(9));
            m.add(10, st.integer(10));
            m.latest(11, st.integer(11));  // severity rank, named below
        }
    }
    std::vector<std::pair<std::tuple<std::int64_t, AddressKey>, Row>> sorted;
    for (auto& [key, m] : merged) {
        static const char* kSeverity[] = {nullptr, "low", "medium", "high"};
        auto rank = std::get<std::int64_t>(m.row[11]);
        m.row[11] = rank ? Value(std::string(kSeverity[rank])) : Value(std::monostate{});
        sorted.push_back({{-std::get<std::int64_t>(m.row[6]), address_sort_key(key[0])}, std::move(m.row)});
    }
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Row> rows;
    for (auto& [key, row] : sorted) rows.push_back(std::move(row));
    return rows;
}

std::vector<Row> resolved_names(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters) {
    Conditions where;
    add_device_condition(where, *filters.device, "n.client_ip", "");
    // A row is one answer seen `count` times from `time` to `last_time`: it
    // counts where that span meets the window.
    if (filters.since_us) where.add("coalesce(n.last_time, n.time) >= ?", *filters.since_us);
    if (filters.until_us) where.add("n.time < ?", *filters.until_us);
    std::string sql = "SELECT n.query, n.answer, sum(n.count), min(n.time), max(coalesce(n.last_time, n.time)) "
                      "FROM dns AS n\n" +
                      where.where_clause() + "GROUP BY n.query, n.answer";
    struct Name {
        std::set<std::string> answers;
        std::int64_t lookups = 0, first = 0, last = 0;
    };
    std::map<std::string, Name> names;
    for (const auto& store : stores) {
        Statement st = store->prepare(sql, where.params());
        while (st.step()) {
            auto [it, inserted] = names.try_emplace(st.text(0));
            Name& n = it->second;
            n.answers.insert(st.text(1));
            n.lookups += st.integer(2);  // answer records, so a lookup with two answers counts twice
            n.first = inserted ? st.integer(3) : std::min(n.first, st.integer(3));
            n.last = inserted ? st.integer(4) : std::max(n.last, st.integer(4));
        }
    }
    std::vector<Row> rows;
    for (auto& [query, n] : names)
        rows.push_back({query, std::vector<std::string>(n.answers.begin(), n.answers.end()), n.lookups, n.first, n.last});
    return rows;
}

std::vector<Row> query_rows(const std::vector<std::unique_ptr<Store>>& stores, Command command, const Filters& filters) {
    std::vector<Row> rows;
    run_query(stores, command, filters, [&](const Row& row) { rows.push_back(row); });
    return rows;
}

}  // namespace

void write_device_story(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters, Format format,
                        std::ostream& out) {
    Filters device_only = filters;  // the identity is the device's, whatever the window
    device_only.since_us.reset();
    device_only.until_us.reset();
    std::vector<Section> sections;
    sections.push_back({"identity", columns(Command::Devices), query_rows(stores, Command::Devices, device_only)});
    sections.push_back({"destinations", kDestinationColumns, destinations(stores, filters)});
    sections.push_back({"alerts", columns(Command::Alerts), query_rows(stores, Command::Alerts, filters)});
    sections.push_back({"dns", kNameColumns, resolved_names(stores, filters)});

    if (format == Format::Json) out << "{";
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const Section& s = sections[i];
        switch (format) {
            case Format::Json: out << (i ? ",\n" : "\n") << '"' << s.name << "\": "; break;
            case Format::Table: out << (i ? "\n" : "") << "== " << s.name << " ==\n"; break;
            case Format::Csv: out << (i ? "\n" : "") << s.name << '\n'; break;
            case Format::Jsonl: break;
        }
        std::ostringstream text;
        auto formatter = make_formatter(format, s.columns, s.name, text, s.name);
        for (const Row& row : s.rows) formatter->row(row);
        formatter->finish();
        std::string written = text.str();
        if (format == Format::Json) written.pop_back();  // the newline after the array
        out << written;
    }
    if (format == Format::Json) out << "}\n";
}

}  // namespace egresswatch::cli
