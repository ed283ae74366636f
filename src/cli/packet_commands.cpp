#include "packet_commands.hpp"

#include <egresswatch/clock.hpp>
#include <egresswatch/common/json.hpp>
#include <egresswatch/schema.hpp>

#include <map>
#include <sstream>

#include "query.hpp"
#include "time_format.hpp"

namespace egresswatch::cli {
namespace {

// pcapng (draft-ietf-opsawg-pcapng): little-endian blocks, each
// type, total length, body, total length; bodies padded to 32 bits.
constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescription = 1;
constexpr std::uint32_t kEnhancedPacket = 6;
constexpr std::uint16_t kOptEnd = 0, kOptComment = 1, kShbUserAppl = 4, kIfTsresol = 9;
constexpr std::uint32_t kInterfaceSnaplen = 262144;

void put16(std::string& out, std::uint16_t v) {
    out += static_cast<char>(v & 0xFF);
    out += static_cast<char>(v >> 8);
}
void put32(std::string& out, std::uint32_t v) {
    put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
    put16(out, static_cast<std::uint16_t>(v >> 16));
}
void pad(std::string& out) {
    while (out.size() % 4) out += '\0';
}
void option(std::string& body, std::uint16_t code, std::string_view value) {
    put16(body, code);
    put16(body, static_cast<std::uint16_t>(value.size()));
    body += value;
    pad(body);
}
void block(std::string& out, std::uint32_t type, std::string body) {
    pad(body);
    auto total = static_cast<std::uint32_t>(body.size() + 12);
    put32(out, type);
    put32(out, total);
    out += body;
    put32(out, total);
}

class PcapngWriter {
public:
    explicit PcapngWriter(std::string& out) : out_(out) {
        std::string body;
        put32(body, 0x1A2B3C4D);  // byte-order magic
        put16(body, 1);           // version 1.0
        put16(body, 0);
        put32(body, 0xFFFFFFFF);  // section length: not given
        put32(body, 0xFFFFFFFF);
#ifdef EGRESSWATCH_VERSION
        option(body, kShbUserAppl, "egresswatch " EGRESSWATCH_VERSION);
#else
        option(body, kShbUserAppl, "egresswatch");
#endif
        option(body, kOptEnd, "");
        block(out_, kSectionHeader, std::move(body));
    }

    void packet(int linktype, std::int64_t ts_us, std::uint32_t origlen, std::string_view data,
                std::string_view comment) {
        std::string body;
        put32(body, interface_of(linktype));
        auto ts = static_cast<std::uint64_t>(ts_us);  // microseconds: the default if_tsresol
        put32(body, static_cast<std::uint32_t>(ts >> 32));
        put32(body, static_cast<std::uint32_t>(ts & 0xFFFFFFFF));
        put32(body, static_cast<std::uint32_t>(data.size()));
        put32(body, origlen);
        body += data;
        pad(body);
        // An option's length is 16 bits: a longer comment is cut.
        option(body, kOptComment, comment.substr(0, 0xFFFF - 3));
        option(body, kOptEnd, "");
        block(out_, kEnhancedPacket, std::move(body));
    }

private:
    // One interface per link type, described before its first packet.
    std::uint32_t interface_of(int linktype) {
        auto [it, added] = interfaces_.try_emplace(linktype, static_cast<std::uint32_t>(interfaces_.size()));
        if (added) {
            std::string body;
            put16(body, static_cast<std::uint16_t>(linktype));
            put16(body, 0);
            put32(body, kInterfaceSnaplen);
            option(body, kIfTsresol, std::string_view("\x06", 1));
            option(body, kOptEnd, "");
            block(out_, kInterfaceDescription, std::move(body));
        }
        return it->second;
    }

    std::string& out_;
    std::map<int, std::uint32_t> interfaces_;
};

std::string endpoint(const Statement& s, int ip, int port) {
    std::string address = s.text(ip);
    if (address.find(':') != std::string::npos) address = "[" + address + "]";
    return s.is_null(port) ? address : address + ":" + std::to_string(s.integer(port));
}

void write_store_packets(PcapngWriter& writer, Store& store, const Filters& filters, bool name_store,
                         PcapSummary& summary) {
    Conditions where;
    if (filters.device) add_device_condition(where, *filters.device, "f.device_ip", "f.device_mac");
    add_flow_conditions(where, filters);
    std::string sql =
        "SELECT f.id, f.flow_uid, f.device_ip, f.device_port, f.remote_ip, f.remote_port, f.transport, "
        "a.severity, a.reasons, a.late\nFROM flows AS f\nJOIN alerts AS a ON a.flow_id = f.id\n"
        "LEFT JOIN devices AS d ON d.ip = f.device_ip\n" +
        where.where_clause() + "ORDER BY f.first_seen, f.id";
    if (filters.limit) {
        sql += "\nLIMIT ?";
        where.params().emplace_back(*filters.limit);
    }
    Statement alerts = store.prepare(sql, where.params());
    while (alerts.step()) {
        std::int64_t flow_id = alerts.integer(0);
        std::string reasons;
        for (const auto& reason : json::parse_string_array(alerts.text(8)).value_or(std::vector<std::string>{}))
            reasons += (reasons.empty() ? "" : "; ") + reason;
        std::string about = "egresswatch alert " + std::to_string(flow_id) + (name_store ? " in " + store.path() : "") +
                            " (flow " + alerts.text(1) + ", " + alerts.text(6) + " " + endpoint(alerts, 2, 3) +
                            " -> " + endpoint(alerts, 4, 5) + "): " + alerts.text(7) +
                            (alerts.integer(9) ? " (late)" : "") + ": " + reasons;
        Statement packets = store.prepare(
            "SELECT seq, direction, ts, origlen, linktype, data FROM evidence_packets WHERE flow_id = ? ORDER BY seq",
            {flow_id});
        std::size_t before = summary.packets;
        while (packets.step()) {
            sqlite3_stmt* stmt = packets.handle();
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, 5));
            std::string_view data(bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 5)));
            std::string comment = about + "; packet " + std::to_string(packets.integer(0)) + ", " + packets.text(1);
            writer.packet(static_cast<int>(packets.integer(4)), packets.integer(2),
                          static_cast<std::uint32_t>(packets.integer(3)), data, comment);
            ++summary.packets;
        }
        if (summary.packets > before) ++summary.alerts;
    }
}

}  // namespace

namespace {

PcapSummary build_pcapng(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters, std::string& out) {
    PcapSummary summary;
    PcapngWriter writer(out);
    for (const auto& store : stores) write_store_packets(writer, *store, filters, stores.size() > 1, summary);
    return summary;
}

}  // namespace

std::string alert_pcapng(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters,
                         PcapSummary* summary) {
    std::string out;
    PcapSummary counted = build_pcapng(stores, filters, out);
    if (summary) *summary = counted;
    return counted.packets ? out : std::string();
}

PcapSummary write_alert_pcapng(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters,
                               std::ostream& out) {
    std::string bytes;
    PcapSummary summary = build_pcapng(stores, filters, bytes);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return summary;
}

namespace {

// The holds a device filter makes: an address, a MAC, or the addresses of
// the devices a label or hostname names.
std::vector<std::pair<std::string, std::string>> hold_keys(sqlite::Connection& db, const DeviceFilter& device) {
    switch (device.kind) {
        case DeviceFilter::Kind::Ip: return {{device.value, "ip"}};
        case DeviceFilter::Kind::Mac: return {{device.value, "mac"}};
        case DeviceFilter::Kind::Name: break;
    }
    std::vector<std::pair<std::string, std::string>> keys;
    Statement named = db.prepare("SELECT ip FROM devices WHERE label = ? COLLATE NOCASE OR hostname = ? COLLATE NOCASE "
                                 "ORDER BY ip", {device.value, device.value});
    while (named.step()) keys.emplace_back(named.text(0), "ip");
    return keys;
}

}  // namespace

void run_hold(const std::vector<std::string>& store_paths, const HoldRequest& request, std::ostream& out) {
    for (const auto& path : store_paths) {
        sqlite::Connection db(path, request.device ? sqlite::Connection::Mode::read_write
                                                   : sqlite::Connection::Mode::read_only);
        sqlite::check_schema_version(db.user_version(), schema::kVersion, path, sqlite::SchemaUse::read);
        if (!request.device) {
            Statement holds = db.prepare("SELECT device, kind, held_at FROM evidence_holds ORDER BY held_at, device");
            bool any = false;
            while (holds.step()) {
                any = true;
                out << path << ": " << holds.text(0) << " (" << holds.text(1) << ") on legal hold since "
                    << format_time(holds.integer(2)) << '\n';
            }
            if (!any) out << path << ": no device on legal hold\n";
            continue;
        }
        auto keys = hold_keys(db, *request.device);
        if (keys.empty()) throw StoreError("store " + path + ": no device is named " + request.device->value);
        for (const auto& [device, kind] : keys) {
            if (request.release) {
                Statement release = db.prepare("DELETE FROM evidence_holds WHERE device = ?", {device});
                release.run();
                bool released = sqlite3_changes(db.handle()) > 0;
                out << path << ": " << device << (released ? " released from legal hold" : " was not on legal hold")
                    << '\n';
            } else {
                Statement hold = db.prepare("INSERT INTO evidence_holds (device, kind, held_at) VALUES (?, ?, ?) "
                                            "ON CONFLICT(device) DO NOTHING",
                                            {device, kind, now_us()});
                hold.run();
                bool added = sqlite3_changes(db.handle()) > 0;
                out << path << ": " << device << (added ? " on legal hold" : " already on legal hold")
                    << ": retention keeps its flows, alerts, packets and DNS answers\n";
            }
        }
    }
}

}  // namespace egresswatch::cli
