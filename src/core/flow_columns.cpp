#include "egresswatch/flow_columns.hpp"

#include <stdexcept>

#include "egresswatch/common/json.hpp"
#include "egresswatch/common/sqlite.hpp"

namespace egresswatch::flow_columns {
namespace {

// One stored column into its FlowRecord field: the inverse of Column::get.
class FieldReader {
public:
    FieldReader(const sqlite::Statement& row, int column) : row_(row), column_(column) {}
    bool null() const { return row_.is_null(column_); }
    std::string text() const { return null() ? std::string() : row_.text(column_); }
    std::int64_t integer() const { return null() ? 0 : row_.integer(column_); }
    std::optional<std::string> optional_text() const { return null() ? std::nullopt : std::optional(row_.text(column_)); }
    template <typename T>
    std::optional<T> optional_integer() const {
        return null() ? std::nullopt : std::optional(static_cast<T>(row_.integer(column_)));
    }

private:
    const sqlite::Statement& row_;
    int column_;
};

void read_field(FlowRecord& r, std::string_view name, const FieldReader& v) {
    if (name == "flow_uid") r.uid = v.text();
    else if (name == "first_seen") r.first_us = v.integer();
    else if (name == "last_seen") r.last_us = v.integer();
    else if (name == "vlan") r.vlan = v.optional_integer<int>();
    else if (name == "inner_vlan") r.inner_vlan = v.optional_integer<int>();
    else if (name == "vlan_in") r.vlan_in = v.optional_integer<int>();
    else if (name == "inner_vlan_in") r.inner_vlan_in = v.optional_integer<int>();
    else if (name == "ip_version") r.ip_version = static_cast<int>(v.integer());
    else if (name == "transport") r.transport = v.text();
    else if (name == "ip_proto") r.ip_protocol = static_cast<int>(v.integer());
    else if (name == "device_ip") r.device_ip = v.text();
    else if (name == "device_port") r.device_port = v.optional_integer<int>();
    else if (name == "device_mac") r.device_mac = v.optional_text();
    else if (name == "remote_ip") r.remote_ip = v.text();
    else if (name == "remote_port") r.remote_port = v.optional_integer<int>();
    else if (name == "initiator") r.device_initiated = v.text() == "device";
    else if (name == "bytes_out") r.bytes_out = static_cast<std::uint64_t>(v.integer());
    else if (name == "bytes_in") r.bytes_in = static_cast<std::uint64_t>(v.integer());
    else if (name == "packets_out") r.packets_out = static_cast<std::uint64_t>(v.integer());
    else if (name == "packets_in") r.packets_in = static_cast<std::uint64_t>(v.integer());
    else if (name == "app_protocol") r.app_protocol = v.optional_text();
    else if (name == "app_category") r.app_category = v.optional_text();
    else if (name == "domain") r.domain = v.optional_text();
    else if (name == "remote_local") r.remote_local = v.integer() != 0;
    else if (name == "country") r.country = v.optional_text();
    else if (name == "asn") r.asn = v.optional_integer<std::uint32_t>();
    else if (name == "as_org") r.as_org = v.optional_text();
    else if (name == "community_id") r.community_id = v.optional_text();
    else if (name == "state") r.closed = v.text() == "closed";
    else if (name == "severity") r.severity = v.text();
    else if (name == "reasons") r.reasons = v.null() ? std::vector<std::string>() : json::parse_string_array(v.text()).value_or(std::vector<std::string>());
    else throw std::logic_error("flow_columns: no reader for stored column " + std::string(name));
}

}  // namespace

FlowRecord read_stored_flow(const sqlite::Statement& row, int first) {
    FlowRecord r;
    for (const Column& c : kColumns)
        if (c.sealed >= 0) read_field(r, c.name, FieldReader(row, first + c.sealed));
    return r;
}

}  // namespace egresswatch::flow_columns
