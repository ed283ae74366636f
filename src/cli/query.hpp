// The three queries of the CLI (alerts, flows, devices) and their filters,
// turned into SQL with bound parameters.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters.hpp"
#include "record.hpp"
#include "store.hpp"

namespace egresswatch::cli {

enum class Command { Alerts, Flows, Devices };

std::optional<Command> parse_command(std::string_view name);

// "alerts", "flows", "devices": also the noun of the table's count line.
std::string_view command_name(Command command);

// The columns of a command's rows, in output order.
const std::vector<Column>& columns(Command command);

struct SqlQuery {
    std::string sql;
    std::vector<SqlParam> params;  // bound to the ?s in order
};

// The SQL for `command` restricted by `filters`. Values only ever travel as
// parameters. For devices the SQL neither orders nor limits: run_query sorts
// the devices by address and applies the limit itself.
SqlQuery build_query(Command command, const Filters& filters);

// Runs the query and hands each row to `on_row`, in output order:
// alerts and flows by first_seen then flow id, devices by IP address
// (numerically; IPv4 before IPv6). Throws StoreError.
void run_query(Store& store, Command command, const Filters& filters,
               const std::function<void(const Row&)>& on_row);

}  // namespace egresswatch::cli
