#include "query.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "json.hpp"

namespace egresswatch::cli {
namespace {

struct QueryColumn {
    Column column;
    std::string_view sql;  // expression in the SELECT list
};

using K = ColumnKind;

// Flows and alerts: "f" is flows, "d" the device of the flow, "a" its alert.
const std::vector<QueryColumn> kFlowColumns = {
    {{"first_seen", K::Time, true}, "f.first_seen"},
    {{"last_seen", K::Time, false}, "f.last_seen"},
    {{"device_ip", K::Text, true}, "f.device_ip"},
    {{"device_mac", K::Text, false}, "f.device_mac"},
    {{"device_vendor", K::Text, false}, "d.vendor"},
    {{"device_kind", K::Text, true}, "d.kind"},
    {{"remote_ip", K::Text, true}, "f.remote_ip"},
    {{"remote_port", K::Integer, true}, "f.remote_port"},
    {{"transport", K::Text, true}, "f.transport"},
    {{"app_protocol", K::Text, false}, "f.app_protocol"},
    {{"domain", K::Text, true}, "f.domain"},
    {{"country", K::Text, true}, "f.country"},
    {{"asn", K::Integer, true}, "f.asn"},
    {{"as_org", K::Text, false}, "f.as_org"},
    {{"bytes_out", K::Integer, true}, "f.bytes_out"},
    {{"bytes_in", K::Integer, true}, "f.bytes_in"},
    {{"packets_out", K::Integer, false}, "f.packets_out"},
    {{"packets_in", K::Integer, false}, "f.packets_in"},
};

const std::vector<QueryColumn> kAlertColumns = [] {
    auto columns = kFlowColumns;
    columns.push_back({{"severity", K::Text, true}, "a.severity"});
    columns.push_back({{"reasons", K::List, true}, "a.reasons"});
    return columns;
}();

const std::vector<QueryColumn> kDeviceColumns = {
    {{"ip", K::Text, true}, "d.ip"},
    {{"mac", K::Text, true}, "d.mac"},
    {{"vendor", K::Text, true}, "d.vendor"},
    {{"vendor_country", K::Text, false}, "d.vendor_country"},
    {{"kind", K::Text, true}, "d.kind"},
    {{"identified_by", K::List, true}, "d.identified_by"},
    {{"first_seen", K::Time, true}, "d.first_seen"},
    {{"last_seen", K::Time, true}, "d.last_seen"},
};

const std::vector<QueryColumn>& query_columns(Command command) {
    switch (command) {
        case Command::Alerts: return kAlertColumns;
        case Command::Flows: return kFlowColumns;
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

// Accumulates WHERE conditions and their parameters.
class Conditions {
public:
    void add(std::string condition) { conditions_.push_back(std::move(condition)); }

    template <typename T>
    void add(std::string condition, T value) {
        add(std::move(condition));
        params_.emplace_back(std::move(value));
    }

    // "<expression> IN (?, ?, ...)" with one parameter per value.
    template <typename T>
    void add_in(std::string_view expression, const std::vector<T>& values) {
        std::string condition(expression);
        condition += " IN (";
        for (std::size_t i = 0; i < values.size(); ++i) {
            condition += i ? ", ?" : "?";
            params_.emplace_back(values[i]);
        }
        condition += ')';
        add(std::move(condition));
    }

    bool empty() const { return conditions_.empty(); }

    std::string joined(std::string_view separator) const {
        std::string out;
        for (std::size_t i = 0; i < conditions_.size(); ++i) {
            if (i) out += separator;
            out += conditions_[i];
        }
        return out;
    }

    std::vector<SqlParam>& params() { return params_; }

private:
    std::vector<std::string> conditions_;
    std::vector<SqlParam> params_;
};

// Conditions on flows "f" other than the device: time window, country, ASN.
void add_flow_conditions(Conditions& where, const Filters& filters) {
    if (filters.since_us) where.add("f.last_seen >= ?", *filters.since_us);
    if (filters.until_us) where.add("f.first_seen < ?", *filters.until_us);
    if (!filters.countries.empty()) where.add_in("f.country", filters.countries);
    if (!filters.asns.empty()) where.add_in("f.asn", filters.asns);
}

std::string select_list(const std::vector<QueryColumn>& columns) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ", ";
        out += columns[i].sql;
    }
    return out;
}

SqlQuery build_flow_query(Command command, const Filters& filters) {
    Conditions where;
    if (filters.device) {
        if (filters.device->kind == DeviceFilter::Kind::Ip)
            where.add("f.device_ip = ?", filters.device->value);
        else
            where.add("lower(f.device_mac) = ?", filters.device->value);
    }
    add_flow_conditions(where, filters);

    std::string sql = "SELECT " + select_list(query_columns(command)) + "\nFROM flows AS f\n";
    if (command == Command::Alerts) sql += "JOIN alerts AS a ON a.flow_id = f.id\n";
    sql += "LEFT JOIN devices AS d ON d.ip = f.device_ip\n";
    if (!where.empty()) sql += "WHERE " + where.joined("\n  AND ") + "\n";
    sql += "ORDER BY f.first_seen, f.id";
    if (filters.limit) {
        sql += "\nLIMIT ?";
        where.params().emplace_back(*filters.limit);
    }
    return {std::move(sql), std::move(where.params())};
}

// A device is listed when its own activity overlaps the time window and, if
// --country or --asn is given, it has a flow in the window that matches them.
SqlQuery build_device_query(const Filters& filters) {
    Conditions where;
    if (filters.device) {
        if (filters.device->kind == DeviceFilter::Kind::Ip)
            where.add("d.ip = ?", filters.device->value);
        else
            where.add("lower(d.mac) = ?", filters.device->value);
    }
    if (filters.since_us) where.add("d.last_seen >= ?", *filters.since_us);
    if (filters.until_us) where.add("d.first_seen < ?", *filters.until_us);
    if (!filters.countries.empty() || !filters.asns.empty()) {
        Conditions flow;
        flow.add("f.device_ip = d.ip");
        add_flow_conditions(flow, filters);
        where.add("EXISTS (SELECT 1 FROM flows AS f WHERE " + flow.joined(" AND ") + ")");
        for (auto& p : flow.params()) where.params().push_back(std::move(p));
    }

    std::string sql = "SELECT " + select_list(kDeviceColumns) + "\nFROM devices AS d";
    if (!where.empty()) sql += "\nWHERE " + where.joined("\n  AND ");
    return {std::move(sql), std::move(where.params())};
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

// Sort key of a device address: IPv4 first, then IPv6, each by address bytes;
// anything unparseable last, by text.
using AddressKey = std::pair<int, std::string>;

AddressKey address_key(const Value& ip) {
    const auto* text = std::get_if<std::string>(&ip);
    if (!text) return {3, {}};
    unsigned char bytes[16];
    if (inet_pton(AF_INET, text->c_str(), bytes) == 1)
        return {0, std::string(reinterpret_cast<const char*>(bytes), 4)};
    if (inet_pton(AF_INET6, text->c_str(), bytes) == 1)
        return {1, std::string(reinterpret_cast<const char*>(bytes), 16)};
    return {2, *text};
}

}  // namespace

std::optional<Command> parse_command(std::string_view name) {
    if (name == "alerts") return Command::Alerts;
    if (name == "flows") return Command::Flows;
    if (name == "devices") return Command::Devices;
    return std::nullopt;
}

std::string_view command_name(Command command) {
    switch (command) {
        case Command::Alerts: return "alerts";
        case Command::Flows: return "flows";
        case Command::Devices: break;
    }
    return "devices";
}

const std::vector<Column>& columns(Command command) {
    static const std::vector<Column> alerts = plain_columns(kAlertColumns);
    static const std::vector<Column> flows = plain_columns(kFlowColumns);
    static const std::vector<Column> devices = plain_columns(kDeviceColumns);
    switch (command) {
        case Command::Alerts: return alerts;
        case Command::Flows: return flows;
        case Command::Devices: break;
    }
    return devices;
}

SqlQuery build_query(Command command, const Filters& filters) {
    if (command == Command::Devices) return build_device_query(filters);
    return build_flow_query(command, filters);
}

void run_query(Store& store, Command command, const Filters& filters,
               const std::function<void(const Row&)>& on_row) {
    const auto& cols = columns(command);
    SqlQuery query = build_query(command, filters);
    Statement st = store.prepare(query.sql, query.params);

    auto read_row = [&] {
        Row row;
        row.reserve(cols.size());
        for (std::size_t i = 0; i < cols.size(); ++i)
            row.push_back(read_value(store, st, static_cast<int>(i), cols[i]));
        return row;
    };

    if (command != Command::Devices) {
        while (st.step()) on_row(read_row());
        return;
    }

    // Devices are few (one per internal address): sort them here, where the
    // order of addresses is known, rather than in SQL by text.
    std::vector<std::pair<AddressKey, Row>> devices;
    while (st.step()) {
        Row row = read_row();
        AddressKey key = address_key(row[0]);
        devices.emplace_back(std::move(key), std::move(row));
    }
    std::stable_sort(devices.begin(), devices.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t count = devices.size();
    if (filters.limit && static_cast<std::uint64_t>(*filters.limit) < count)
        count = static_cast<std::size_t>(*filters.limit);
    for (std::size_t i = 0; i < count; ++i) on_row(devices[i].second);
}

}  // namespace egresswatch::cli
