// The row queries of the CLI (alerts, flows, devices, dns) and their filters,
// turned into SQL with bound parameters, over one store or several.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters.hpp"
#include "record.hpp"
#include "store.hpp"

namespace egresswatch::cli {

enum class Command { Alerts, Flows, Devices, Dns };

std::optional<Command> parse_command(std::string_view name);

// "alerts", "flows", "devices", "dns": also the noun of the table's count line.
std::string_view command_name(Command command);

// The columns of a command's rows, in output order.
const std::vector<Column>& columns(Command command);

// The option ("--country", "--order bytes", ...) of `filters` that `command`
// cannot honour, if any: dns rows have no country, ASN, application, severity
// or bytes; devices are listed in address order.
std::optional<std::string> inapplicable_filter(Command command, const Filters& filters);

struct SqlQuery {
    std::string sql;
    std::vector<SqlParam> params;  // bound to the ?s in order
};

// Accumulates the conditions of a WHERE clause and their parameters.
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

    // Appends `other`'s parameters after this one's (for a nested condition).
    void take_params(Conditions& other);

    bool empty() const { return conditions_.empty(); }
    // "WHERE a\n  AND b\n", or "" without conditions.
    std::string where_clause() const;
    std::string joined(std::string_view separator) const;
    std::vector<SqlParam>& params() { return params_; }

private:
    std::vector<std::string> conditions_;
    std::vector<SqlParam> params_;
};

// The device filter on a table whose device address is `ip_expression` and
// whose MAC, if it has one, is `mac_expression` (otherwise the devices table
// maps the MAC to addresses). A device is its box: the addresses that match,
// and every other address of their box (devices.box, one MAC on the LAN).
void add_device_condition(Conditions& where, const DeviceFilter& device,
                          std::string_view ip_expression, std::string_view mac_expression);

// The conditions on flows "f" (with alerts "a" and devices "d" joined where
// the filters need them) other than the device: time window, country, ASN,
// domain, application, severity, device kind.
void add_flow_conditions(Conditions& where, const Filters& filters);

// The SQL for `command` restricted by `filters`. Values only ever travel as
// parameters. For devices the SQL neither orders nor limits: run_query sorts
// the devices by address and applies the limit itself.
SqlQuery build_query(Command command, const Filters& filters);

// Runs the query on every store and hands each row to `on_row`, in output
// order: alerts and flows by first_seen (or by bytes, most first, with
// --order bytes), dns by time, devices by IP address (numerically; IPv4
// before IPv6). Rows of several stores are merged in that order, ties going
// to the store named first. Throws StoreError.
void run_query(const std::vector<std::unique_ptr<Store>>& stores, Command command,
               const Filters& filters, const std::function<void(const Row&)>& on_row);

// Sort key of a device address: IPv4 first, then IPv6, each by address
// bytes; anything unparseable last, by text.
using AddressKey = std::pair<int, std::string>;
AddressKey address_sort_key(const std::string& ip);

// Reads column `index` of the statement's row as `column` says (lists are
// parsed from their JSON text). Throws StoreError for a malformed list.
Value read_value(const Store& store, const Statement& st, int index, const Column& column);

}  // namespace egresswatch::cli
