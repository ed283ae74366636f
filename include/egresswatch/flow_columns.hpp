// The one definition of a flow record's columns. The store's flows and
// alerts SQL, the canonical sealed text (evidence.hpp), the JSON log's flow
// lines and the query CLI's flow columns are all built from kColumns;
// tests/unit/test_flow_columns.cpp checks it against the store's tables and
// the ClickHouse schema (deploy/clickhouse/schema.sql).
//
// Adding a column: a FlowRecord field, a row here (next sealed position;
// positions at or past kFirstOptionalSealed are left out of the sealed text
// while NULL, so older records hash as they always did), its reader in
// read_stored_flow() (flow_columns.cpp; a unit test fails until it has one),
// and a migration in schema.hpp; for ClickHouse, a column in its schema.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "egresswatch/store.hpp"  // FlowRecord

namespace egresswatch::sqlite {
class Statement;
}

namespace egresswatch::flow_columns {

// Where a column's value is kept: flows and alerts columns are stored and
// sealed; devices columns are the flow's device, joined in for the JSON log
// and the query CLI.
enum class Source { flows, alerts, devices };

// The declared type in the store.
enum class SqlType { integer, text };

// Which of a flow's later records change a flows column.
enum class Rewrite {
    identity,  // the flow's key (ON CONFLICT target); never changes
    never,     // written by the flow's first record only
    always,    // every record
    // Every record, but indexed: a later record rewrites just the table row
    // while these are unchanged (the usual case), and the whole row with its
    // index entries when one changed.
    indexed,
};

// How the JSON log writes the value (and so what the query CLI shows).
enum class Json {
    none,     // not in the JSON log
    text,     // a string, or null
    integer,  // a number, or null
    time,     // microseconds, written as ISO 8601 UTC
    boolean,  // stored as 0 / 1
    list,     // an array of strings (null: []); stored as JSON text
};

// One column's value in a record, before it is written as SQL, sealed text or JSON.
struct FieldValue {
    enum class Type { null, integer, text, list } type = Type::null;
    std::int64_t integer = 0;
    std::string_view text;
    const std::vector<std::string>* list = nullptr;
};

namespace detail {
constexpr FieldValue null_value() { return {}; }
constexpr FieldValue value(std::int64_t v) { return {FieldValue::Type::integer, v, {}, nullptr}; }
constexpr FieldValue value(std::string_view v) { return {FieldValue::Type::text, 0, v, nullptr}; }
constexpr FieldValue value(const std::vector<std::string>& v) { return {FieldValue::Type::list, 0, {}, &v}; }
template <class T>
constexpr FieldValue value(const std::optional<T>& v) {
    if (!v) return null_value();
    if constexpr (std::is_integral_v<T>) return value(static_cast<std::int64_t>(*v));
    else return value(std::string_view(*v));
}
constexpr FieldValue count(std::uint64_t v) { return value(static_cast<std::int64_t>(v)); }
}  // namespace detail

struct Column {
    std::string_view name;  // the SQL column, the name in the sealed text and the JSON key
    Source source;
    std::string_view sql;   // its expression over flows "f", alerts "a" and devices "d"
    SqlType sql_type;
    bool nullable;          // a record may have no value (SQL NULL, JSON null)
    Rewrite rewrite;        // flows columns only
    int sealed;             // position in the canonical sealed text; -1: not sealed (devices)
    Json json;
    FieldValue (*get)(const FlowRecord&);  // nullptr for devices columns
};

// In the JSON log's order (the query CLI picks its own).
inline constexpr std::array kColumns = [] {
    using namespace detail;
    using enum Source;
    using enum SqlType;
    using enum Rewrite;
    using R = const FlowRecord&;
    constexpr bool null = true, not_null = false;
    return std::to_array<Column>({
        {"community_id", flows, "f.community_id", text, null, never, 25, Json::text,
         [](R r) { return value(r.community_id); }},
        {"flow_uid", flows, "f.flow_uid", text, not_null, identity, 0, Json::text, [](R r) { return value(r.uid); }},
        {"first_seen", flows, "f.first_seen", integer, not_null, indexed, 1, Json::time,
         [](R r) { return value(r.first_us); }},
        {"last_seen", flows, "f.last_seen", integer, not_null, always, 2, Json::time,
         [](R r) { return value(r.last_us); }},
        {"state", flows, "f.state", text, not_null, always, 26, Json::text,
         [](R r) { return value(r.closed ? "closed" : "open"); }},
        // Not in the JSON log (nor ClickHouse): the transport names the IP version's protocols.
        {"ip_version", flows, "f.ip_version", integer, not_null, never, 5, Json::none,
         [](R r) { return value(std::int64_t{r.ip_version}); }},
        {"transport", flows, "f.transport", text, not_null, never, 6, Json::text,
         [](R r) { return value(r.transport); }},
        {"ip_proto", flows, "f.ip_proto", integer, not_null, never, 7, Json::integer,
         [](R r) { return value(std::int64_t{r.ip_protocol}); }},
        // 802.1Q ids of the device's packets (outer, and inner of QinQ), then of the remote end's.
        {"vlan", flows, "f.vlan", integer, null, always, 3, Json::integer, [](R r) { return value(r.vlan); }},
        {"inner_vlan", flows, "f.inner_vlan", integer, null, always, 4, Json::integer,
         [](R r) { return value(r.inner_vlan); }},
        {"vlan_in", flows, "f.vlan_in", integer, null, always, 29, Json::integer, [](R r) { return value(r.vlan_in); }},
        {"inner_vlan_in", flows, "f.inner_vlan_in", integer, null, always, 30, Json::integer,
         [](R r) { return value(r.inner_vlan_in); }},
        {"device_ip", flows, "f.device_ip", text, not_null, never, 8, Json::text,
         [](R r) { return value(r.device_ip); }},
        {"device_port", flows, "f.device_port", integer, null, never, 9, Json::integer,
         [](R r) { return value(r.device_port); }},
        {"device_mac", flows, "f.device_mac", text, null, indexed, 10, Json::text,
         [](R r) { return value(r.device_mac); }},
        {"device_kind", devices, "d.kind", text, not_null, never, -1, Json::text, nullptr},
        {"device_vendor", devices, "d.vendor", text, null, never, -1, Json::text, nullptr},
        {"remote_ip", flows, "f.remote_ip", text, not_null, never, 11, Json::text,
         [](R r) { return value(r.remote_ip); }},
        {"remote_port", flows, "f.remote_port", integer, null, never, 12, Json::integer,
         [](R r) { return value(r.remote_port); }},
        {"remote_local", flows, "f.remote_local", integer, not_null, never, 21, Json::boolean,
         [](R r) { return value(std::int64_t{r.remote_local}); }},
        {"initiator", flows, "f.initiator", text, not_null, never, 13, Json::text,
         [](R r) { return value(r.device_initiated ? "device" : "remote"); }},
        {"app_protocol", flows, "f.app_protocol", text, null, always, 18, Json::text,
         [](R r) { return value(r.app_protocol); }},
        {"app_category", flows, "f.app_category", text, null, always, 19, Json::text,
         [](R r) { return value(r.app_category); }},
        {"domain", flows, "f.domain", text, null, always, 20, Json::text, [](R r) { return value(r.domain); }},
        {"country", flows, "f.country", text, null, indexed, 22, Json::text, [](R r) { return value(r.country); }},
        {"asn", flows, "f.asn", integer, null, indexed, 23, Json::integer, [](R r) { return value(r.asn); }},
        {"as_org", flows, "f.as_org", text, null, always, 24, Json::text, [](R r) { return value(r.as_org); }},
        {"bytes_out", flows, "f.bytes_out", integer, not_null, always, 14, Json::integer,
         [](R r) { return count(r.bytes_out); }},
        {"bytes_in", flows, "f.bytes_in", integer, not_null, always, 15, Json::integer,
         [](R r) { return count(r.bytes_in); }},
        {"packets_out", flows, "f.packets_out", integer, not_null, always, 16, Json::integer,
         [](R r) { return count(r.packets_out); }},
        {"packets_in", flows, "f.packets_in", integer, not_null, always, 17, Json::integer,
         [](R r) { return count(r.packets_in); }},
        // The alert, if the rules flag the flow (rows of the alerts table are
        // written whole, so Rewrite does not apply).
        {"severity", alerts, "a.severity", text, null, never, 27, Json::text,
         [](R r) { return r.severity.empty() ? null_value() : value(std::string_view(r.severity)); }},
        {"reasons", alerts, "a.reasons", text, null, never, 28, Json::list,
         [](R r) { return r.severity.empty() ? null_value() : value(r.reasons); }},
    });
}();

// Sealed positions from here on are left out of the sealed text while NULL
// (columns added after the first sealed records: schema 7's vlan_in, inner_vlan_in).
inline constexpr std::size_t kFirstOptionalSealed = 29;

// The index in kColumns of the column `name`; a name not there does not compile.
consteval std::size_t index_of(std::string_view name) {
    for (std::size_t i = 0; i < kColumns.size(); ++i)
        if (kColumns[i].name == name) return i;
    throw "no flow column of that name";
}
consteval const Column& column(std::string_view name) { return kColumns[index_of(name)]; }

inline constexpr std::size_t kSealedCount = [] {
    std::size_t n = 0;
    for (const auto& c : kColumns) n += c.sealed >= 0;
    return n;
}();

// kColumns indexes in sealed order: kSealedOrder[p] is the column at sealed position p.
inline constexpr std::array<std::size_t, kSealedCount> kSealedOrder = [] {
    std::array<std::size_t, kSealedCount> order{};
    std::array<bool, kSealedCount> taken{};
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
        int p = kColumns[i].sealed;
        if (p < 0) continue;
        if (static_cast<std::size_t>(p) >= kSealedCount || taken[p])
            throw "sealed positions must be 0, 1, 2 ... once each";
        taken[p] = true;
        order[p] = i;
    }
    return order;
}();

// What the rest of the code relies on, checked where the table is written.
consteval bool well_formed() {
    int identities = 0;
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
        const Column& c = kColumns[i];
        for (std::size_t j = 0; j < i; ++j)
            if (kColumns[j].name == c.name) return false;  // one column per name
        bool stored = c.source != Source::devices;
        // Stored and sealed go together; so does being read from the record
        // (c.get), which tests/unit/test_flow_columns.cpp checks: GCC cannot
        // compare a function's address with null in a constant expression
        // under -fsanitize=undefined.
        if (stored != (c.sealed >= 0)) return false;
        if (stored) {
            std::string_view alias = c.source == Source::flows ? "f." : "a.";
            if (c.sql.substr(0, 2) != alias || c.sql.substr(2) != c.name) return false;  // sql is the stored column
        }
        if (c.source != Source::flows && c.rewrite != Rewrite::never) return false;
        if (c.rewrite == Rewrite::identity && (++identities > 1 || c.nullable)) return false;
    }
    return identities == 1 && kFirstOptionalSealed <= kSealedCount;
}
static_assert(well_formed(), "flow_columns::kColumns: see well_formed()");

// A stored flow read back (re-judged flows, whose late alerts go out as
// every other record does): `row` selected evidence::canonical_select_list()
// (the stored columns in sealed order, over flows "f" LEFT JOIN alerts "a")
// from column `first` on. Sets every stored column's field; `closed` from
// the state, `severity` and `reasons` empty when the flow has no alert.
FlowRecord read_stored_flow(const sqlite::Statement& row, int first);

}  // namespace egresswatch::flow_columns
