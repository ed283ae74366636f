#include "query.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "egresswatch/common/json.hpp"
#include "egresswatch/flow_columns.hpp"
#include "egresswatch/schema.hpp"

namespace egresswatch::cli {
namespace {

struct QueryColumn {
    Column column;
    std::string sql;  // expression in the SELECT list
};

using K = ColumnKind;

// A column of the flow record (flow_columns.hpp): its JSON key, its SQL and
// the kind its JSON form gives; the table format's choices are the query's.
QueryColumn record_column(const flow_columns::Column& c, bool compact, std::size_t max_width = 0,
                          int narrow_drop = 0) {
    using flow_columns::Json;
    ColumnKind kind = c.json == Json::time ? K::Time
                      : c.json == Json::list ? K::List
                      : c.sql_type == flow_columns::SqlType::integer ? K::Integer
                                                                       : K::Text;
    return {{c.name, kind, compact, max_width, narrow_drop}, std::string(c.sql)};
}

// An 802.1Q tag as text: "100", or "100.20" for QinQ (outer.inner); null when untagged.
QueryColumn vlan_column(const flow_columns::Column& outer, const flow_columns::Column& inner) {
    std::string sql = std::string(outer.sql) + " || coalesce('.' || " + std::string(inner.sql) + ", '')";
    return {{outer.name, K::Text, false}, std::move(sql)};
}

// Flows and alerts: "f" is flows, "d" the device of the flow, "a" its alert.
const std::vector<QueryColumn> kFlowColumns = [] {
    using flow_columns::column;
    return std::vector<QueryColumn>{
        record_column(column("first_seen"), true),
        record_column(column("last_seen"), false),
        record_column(column("device_ip"), true),
        record_column(column("device_mac"), false),
        record_column(column("device_vendor"), false),
        record_column(column("device_kind"), true, 0, 5),
        record_column(column("remote_ip"), true),
        record_column(column("remote_port"), true, 0, 4),
        record_column(column("transport"), true, 0, 7),
        record_column(column("app_protocol"), false),
        record_column(column("domain"), true, 32),
        record_column(column("country"), true),
        record_column(column("asn"), true, 0, 3),
        record_column(column("as_org"), false),
        record_column(column("bytes_out"), true, 0, 2),
        record_column(column("bytes_in"), true, 0, 6),
        record_column(column("packets_out"), false),
        record_column(column("packets_in"), false),
        // The tags of the device's packets and of the remote end's.
        vlan_column(column("vlan"), column("inner_vlan")),
        vlan_column(column("vlan_in"), column("inner_vlan_in")),
    };
}();

const std::vector<QueryColumn> kAlertColumns = [] {
    auto columns = kFlowColumns;
    columns.push_back(record_column(flow_columns::column("severity"), true));
    columns.push_back(record_column(flow_columns::column("reasons"), true, 40));
    return columns;
}();

const std::vector<QueryColumn> kDeviceColumns = {
    {{"ip", K::Text, true}, "d.ip"},
    {{"mac", K::Text, true}, "d.mac"},
    {{"vendor", K::Text, true, 24}, "d.vendor"},
    {{"vendor_country", K::Text, false}, "d.vendor_country"},
    {{"kind", K::Text, true}, "d.kind"},
    {{"identified_by", K::List, false}, "d.identified_by"},
    {{"hostname", K::Text, false}, "d.hostname"},
    {{"label", K::Text, true, 16}, "d.label"},
    {{"site", K::Text, false}, "d.site"},
    {{"first_seen", K::Time, false}, "d.first_seen"},
    {{"last_seen", K::Time, false}, "d.last_seen"},
};

// Passive DNS: "n" is the dns table.
const std::vector<QueryColumn> kDnsColumns = {
    {{"time", K::Time, true}, "n.time"},
    {{"client_ip", K::Text, true}, "n.client_ip"},
    {{"resolver_ip", K::Text, false}, "n.resolver_ip"},
    {{"transport", K::Text, false}, "n.transport"},
    {{"query", K::Text, true, 32}, "n.query"},
    {{"name", K::Text, false}, "n.name"},
    {{"type", K::Text, true}, "n.type"},
    {{"answer", K::Text, true, 39}, "n.answer"},
    {{"ttl", K::Integer, false}, "n.ttl"},
};

const std::vector<QueryColumn>& query_columns(Command command) {
    switch (command) {
        case Command::Alerts: return kAlertColumns;
        case Command::Flows: return kFlowColumns;
        case Command::Dns: return kDnsColumns;
        case Command::Devices: break;
    }
    return kDeviceColumns;
}

std::vector<Column> plain_columns(const std::vector<QueryColumn>& columns) {
    std::vector<Column> out;
    out.reserve(columns.size());
    for (const auto& c : columns) out.push_back(c.column);
    return out;
}

std::string select_list(const std::vector<QueryColumn>& columns) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ", ";
        out += columns[i].sql;
    }
    return out;
}

// LIKE with '\' as the escape character: the text matches only itself.
std::string like_literal(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// `expression` is `suffix` or ends with ".suffix" (suffix is lower case).
void add_domain_condition(Conditions& where, std::string_view expression, const std::string& suffix) {
    std::string e(expression);
    where.add("(lower(" + e + ") = ? OR " + e + " LIKE ? ESCAPE '\\')", suffix);
    where.params().emplace_back("%." + like_literal(suffix));
}

bool needs_flow_subquery(const Filters& f) {
    return !f.countries.empty() || !f.asns.empty() || f.domain || f.app || !f.severities.empty();
}

// FROM clause of flows "f" with the alerts and devices that `filters` need.
std::string flow_from(Command command, const Filters& filters, bool with_devices) {
    std::string from = "FROM flows AS f\n";
    if (command == Command::Alerts || !filters.severities.empty())
        from += "JOIN alerts AS a ON a.flow_id = f.id\n";
    if (with_devices || !filters.kinds.empty()) from += "LEFT JOIN devices AS d ON d.ip = f.device_ip\n";
    return from;
}

SqlQuery build_flow_query(Command command, const Filters& filters) {
    Conditions where;
    if (filters.device) add_device_condition(where, *filters.device, "f.device_ip", "f.device_mac");
    add_flow_conditions(where, filters);

    std::string sql = "SELECT " + select_list(query_columns(command)) + "\n" +
                      flow_from(command, filters, true) + where.where_clause();
    sql += filters.order == Order::Bytes ? "ORDER BY f.bytes_out + f.bytes_in DESC, f.first_seen, f.id"
                                         : "ORDER BY f.first_seen, f.id";
    if (filters.limit) {
        sql += "\nLIMIT ?";
        where.params().emplace_back(*filters.limit);
    }
    return {std::move(sql), std::move(where.params())};
}

// A device is listed when its own activity overlaps the time window and, if
// a flow filter (country, ASN, domain, application, severity) is given, it
// has a flow in the window that matches them.
SqlQuery build_device_query(const Filters& filters) {
    Conditions where;
    if (filters.device) add_device_condition(where, *filters.device, "d.ip", "d.mac");
    if (filters.since_us) where.add("d.last_seen >= ?", *filters.since_us);
    if (filters.until_us) where.add("d.first_seen < ?", *filters.until_us);
    if (!filters.kinds.empty()) where.add_in("d.kind", filters.kinds);
    if (needs_flow_subquery(filters)) {
        Filters flow_filters = filters;
        flow_filters.kinds.clear();  // already on d
        Conditions flow;
        flow.add("f.device_ip = d.ip");
        add_flow_conditions(flow, flow_filters);
        where.add("EXISTS (SELECT 1 " + flow_from(Command::Flows, flow_filters, false) + "WHERE " +
                  flow.joined(" AND ") + ")");
        where.take_params(flow);
    }
    std::string sql = "SELECT " + select_list(kDeviceColumns) + "\nFROM devices AS d\n" + where.where_clause();
    return {std::move(sql), std::move(where.params())};
}

SqlQuery build_dns_query(const Filters& filters) {
    Conditions where;
    if (filters.device) add_device_condition(where, *filters.device, "n.client_ip", "");
    if (filters.since_us) where.add("n.time >= ?", *filters.since_us);
    if (filters.until_us) where.add("n.time < ?", *filters.until_us);
    if (filters.domain) {
        Conditions either;
        add_domain_condition(either, "n.query", *filters.domain);
        add_domain_condition(either, "n.name", *filters.domain);
        where.add("(" + either.joined(" OR ") + ")");
        where.take_params(either);
    }
    if (!filters.kinds.empty()) {
        Conditions kind;
        kind.add_in("kind", filters.kinds);
        where.add("n.client_ip IN (SELECT ip FROM devices WHERE " + kind.joined("") + ")");
        where.take_params(kind);
    }
    std::string sql = "SELECT " + select_list(kDnsColumns) + "\nFROM dns AS n\n" + where.where_clause() +
                      "ORDER BY n.time, n.id";
    if (filters.limit) {
        sql += "\nLIMIT ?";
        where.params().emplace_back(*filters.limit);
    }
    return {std::move(sql), std::move(where.params())};
}

AddressKey address_key(const Value& ip) {
    const auto* text = std::get_if<std::string>(&ip);
    return text ? address_sort_key(*text) : AddressKey{3, {}};
}

std::size_t column_index(Command command, std::string_view name) {
    const auto& cols = columns(command);
    for (std::size_t i = 0; i < cols.size(); ++i)
        if (cols[i].name == name) return i;
    return 0;
}

std::int64_t integer_or_zero(const Value& value) {
    const auto* n = std::get_if<std::int64_t>(&value);
    return n ? *n : 0;
}

// The order of flow, alert and dns rows: the SQL sorts each store's rows the
// same way, so merging by this key keeps every store's own order.
class RowOrder {
public:
    RowOrder(Command command, Order order)
        : by_bytes_(order == Order::Bytes && command != Command::Dns),
          time_(column_index(command, command == Command::Dns ? "time" : "first_seen")),
          bytes_out_(column_index(command, "bytes_out")),
          bytes_in_(column_index(command, "bytes_in")) {}

    std::pair<std::int64_t, std::int64_t> key(const Row& row) const {
        std::int64_t time = integer_or_zero(row[time_]);
        if (!by_bytes_) return {time, 0};
        return {-(integer_or_zero(row[bytes_out_]) + integer_or_zero(row[bytes_in_])), time};
    }

private:
    bool by_bytes_;
    std::size_t time_, bytes_out_, bytes_in_;
};

// One store's result, read one row ahead.
struct Cursor {
    const Store* store;
    Statement statement;
    std::optional<Row> row;
};

}  // namespace

AddressKey address_sort_key(const std::string& ip) {
    unsigned char bytes[16];
    if (inet_pton(AF_INET, ip.c_str(), bytes) == 1)
        return {0, std::string(reinterpret_cast<const char*>(bytes), 4)};
    if (inet_pton(AF_INET6, ip.c_str(), bytes) == 1)
        return {1, std::string(reinterpret_cast<const char*>(bytes), 16)};
    return {2, ip};
}

void Conditions::take_params(Conditions& other) {
    for (auto& p : other.params()) params_.push_back(std::move(p));
    other.params().clear();
}

std::string Conditions::where_clause() const {
    return empty() ? std::string() : "WHERE " + joined("\n  AND ") + "\n";
}

std::string Conditions::joined(std::string_view separator) const {
    std::string out;
    for (std::size_t i = 0; i < conditions_.size(); ++i) {
        if (i) out += separator;
        out += conditions_[i];
    }
    return out;
}

void add_device_condition(Conditions& where, const DeviceFilter& device, std::string_view ip_expression,
                          std::string_view mac_expression) {
    std::string ip(ip_expression);
    switch (device.kind) {
        case DeviceFilter::Kind::Ip:
            where.add(ip + " IN (SELECT ? UNION SELECT ip FROM devices WHERE box = (SELECT box FROM devices WHERE ip = ?))",
                      device.value);
            where.params().emplace_back(device.value);
            return;
        case DeviceFilter::Kind::Mac:
            if (!mac_expression.empty())
                where.add("(lower(" + std::string(mac_expression) + ") = ? OR " + ip +
                              " IN (SELECT ip FROM devices WHERE box = ?))",
                          device.value);
            else
                where.add(ip + " IN (SELECT ip FROM devices WHERE lower(mac) = ? OR box = ?)", device.value);
            where.params().emplace_back(device.value);
            return;
        case DeviceFilter::Kind::Name: {
            static const std::string kNamed = "label = ? COLLATE NOCASE OR hostname = ? COLLATE NOCASE";
            where.add(ip + " IN (SELECT ip FROM devices WHERE " + kNamed + " OR box IN (SELECT box FROM devices WHERE " +
                          kNamed + "))",
                      device.value);
            for (int i = 0; i < 3; ++i) where.params().emplace_back(device.value);
            return;
        }
    }
}

void add_flow_conditions(Conditions& where, const Filters& filters) {
    if (filters.since_us) {
        where.add("f.last_seen >= ?", *filters.since_us);
        // Implied by the line above, but it gives the (..., first_seen)
        // indexes a lower end: no flow began before since minus the longest
        // flow's duration, which index flows_long finds without a scan.
        static const std::string kLongest = [] {
            std::string longer = "last_seen - first_seen > " + std::to_string(schema::kLongFlowUs);
            return "coalesce((SELECT max(last_seen - first_seen) FROM flows WHERE " + longer + "), " +
                   std::to_string(schema::kLongFlowUs) + ")";
        }();
        where.add("f.first_seen >= ? - " + kLongest, *filters.since_us);
    }
    if (filters.until_us) where.add("f.first_seen < ?", *filters.until_us);
    if (!filters.countries.empty()) where.add_in("f.country", filters.countries);
    if (!filters.asns.empty()) where.add_in("f.asn", filters.asns);
    if (filters.domain) add_domain_condition(where, "f.domain", *filters.domain);
    if (filters.app) {
        // "TLS" matches TLS and TLS.HikConnect; "HikConnect" matches TLS.HikConnect.
        where.add("(f.app_protocol = ? COLLATE NOCASE OR f.app_protocol LIKE ? ESCAPE '\\'"
                  " OR f.app_protocol LIKE ? ESCAPE '\\')",
                  *filters.app);
        where.params().emplace_back(like_literal(*filters.app) + ".%");
        where.params().emplace_back("%." + like_literal(*filters.app));
    }
    if (!filters.severities.empty()) where.add_in("a.severity", filters.severities);
    if (!filters.kinds.empty()) where.add_in("coalesce(d.kind, 'other')", filters.kinds);
}

std::optional<Command> parse_command(std::string_view name) {
    if (name == "alerts") return Command::Alerts;
    if (name == "flows") return Command::Flows;
    if (name == "devices") return Command::Devices;
    if (name == "dns") return Command::Dns;
    return std::nullopt;
}

std::string_view command_name(Command command) {
    switch (command) {
        case Command::Alerts: return "alerts";
        case Command::Flows: return "flows";
        case Command::Dns: return "dns";
        case Command::Devices: break;
    }
    return "devices";
}

const std::vector<Column>& columns(Command command) {
    static const std::vector<Column> alerts = plain_columns(kAlertColumns);
    static const std::vector<Column> flows = plain_columns(kFlowColumns);
    static const std::vector<Column> devices = plain_columns(kDeviceColumns);
    static const std::vector<Column> dns = plain_columns(kDnsColumns);
    switch (command) {
        case Command::Alerts: return alerts;
        case Command::Flows: return flows;
        case Command::Dns: return dns;
        case Command::Devices: break;
    }
    return devices;
}

std::optional<std::string> inapplicable_filter(Command command, const Filters& f) {
    if (command == Command::Dns) {
        if (!f.countries.empty()) return "--country";
        if (!f.asns.empty()) return "--asn";
        if (f.app) return "--app";
        if (!f.severities.empty()) return "--severity";
    }
    if ((command == Command::Dns || command == Command::Devices) && f.order == Order::Bytes)
        return "--order bytes";
    return std::nullopt;
}

SqlQuery build_query(Command command, const Filters& filters) {
    switch (command) {
        case Command::Devices: return build_device_query(filters);
        case Command::Dns: return build_dns_query(filters);
        case Command::Alerts:
        case Command::Flows: break;
    }
    return build_flow_query(command, filters);
}

Value read_value(const Store& store, const Statement& st, int index, const Column& column) {
    if (st.is_null(index)) return std::monostate{};
    switch (column.kind) {
        case ColumnKind::Integer:
        case ColumnKind::Time: return st.integer(index);
        case ColumnKind::Text: return st.text(index);
        case ColumnKind::List: break;
    }
    std::string raw = st.text(index);
    auto items = json::parse_string_array(raw);
    if (!items)
        throw StoreError("store " + store.path() + ": " + std::string(column.name) +
                         " is not a JSON array of strings: " + json::quote(raw));
    return std::move(*items);
}

void run_query(const std::vector<std::unique_ptr<Store>>& stores, Command command, const Filters& filters,
               const std::function<void(const Row&)>& on_row) {
    const auto& cols = columns(command);
    SqlQuery query = build_query(command, filters);
    auto read_row = [&](Cursor& cursor) {
        if (!cursor.statement.step()) return cursor.row.reset();
        Row row;
        row.reserve(cols.size());
        for (std::size_t i = 0; i < cols.size(); ++i)
            row.push_back(read_value(*cursor.store, cursor.statement, static_cast<int>(i), cols[i]));
        cursor.row = std::move(row);
    };
    std::vector<Cursor> cursors;
    for (const auto& store : stores) {
        cursors.push_back({store.get(), store->prepare(query.sql, query.params), std::nullopt});
        read_row(cursors.back());
    }
    std::uint64_t limit = filters.limit ? static_cast<std::uint64_t>(*filters.limit) : UINT64_MAX;

    if (command == Command::Devices) {
        // Devices are few (one per internal address): sort them here, where the
        // order of addresses is known, rather than in SQL by text.
        std::vector<std::pair<AddressKey, Row>> devices;
        for (auto& cursor : cursors)
            for (; cursor.row; read_row(cursor)) devices.emplace_back(address_key((*cursor.row)[0]), *cursor.row);
        std::stable_sort(devices.begin(), devices.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < devices.size() && i < limit; ++i) on_row(devices[i].second);
        return;
    }

    RowOrder order(command, filters.order);
    for (std::uint64_t emitted = 0; emitted < limit; ++emitted) {
        Cursor* next = nullptr;
        for (auto& cursor : cursors)
            if (cursor.row && (!next || order.key(*cursor.row) < order.key(*next->row))) next = &cursor;
        if (!next) return;
        on_row(*next->row);
        read_row(*next);
    }
}

}  // namespace egresswatch::cli
