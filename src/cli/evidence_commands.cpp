#include "evidence_commands.hpp"

#include <egresswatch/common/json.hpp>
#include <egresswatch/common/utf8.hpp>
#include <egresswatch/evidence.hpp>
#include <egresswatch/signing.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>

#include "packet_commands.hpp"
#include "query.hpp"
#include "report.hpp"
#include "time_format.hpp"

namespace egresswatch::cli {
namespace {

constexpr const char* kBundleFormat = "egresswatch-case-bundle/1";
constexpr const char* kHashRule =
    "record_hash = SHA-256 of the canonical text: for each of canonical_columns in order, "
    "name TAB value LF, where value is null, i:<integer>, r:<real %.17g>, s:<length in bytes>:<text> "
    "or x:<hex of a blob>; chain_hash = SHA-256 of the previous chain_hash (hex) followed by "
    "record_hash (hex); the first entry's previous chain_hash is 64 zeros.";

constexpr const char* kPacketHashRule =
    "evidence packets: record_hash = SHA-256 of flow_uid TAB s:<length>:<uid> LF seq TAB i:<seq> LF direction TAB "
    "s:<length>:<direction> LF ts TAB i:<microseconds> LF caplen TAB i:<n> LF origlen TAB i:<n> LF linktype TAB "
    "i:<n> LF sha256 TAB s:64:<hex SHA-256 of the packet's bytes> LF; chained as the records are, in "
    "evidence_packet_chain; the bytes are the packets of pcapng_base64, in the order of evidence_packets.";

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// A stored value in JSON, exactly enough to rebuild its canonical text: JSON
// numbers and strings where they round-trip, tagged objects where they do not.
void write_column_value(json::Writer& w, sqlite3_stmt* stmt, int column) {
    switch (sqlite3_column_type(stmt, column)) {
        case SQLITE_NULL: w.null(); return;
        case SQLITE_INTEGER: w.value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, column))); return;
        case SQLITE_FLOAT: {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(stmt, column));
            w.begin_object().key("real").value(buf).end_object();
            return;
        }
        default: break;
    }
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, column));
    std::string_view bytes(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
    if (sqlite3_column_type(stmt, column) == SQLITE_BLOB)
        w.begin_object().key("blob_hex").value(evidence::to_hex(bytes)).end_object();
    else if (utf8::is_valid(bytes))
        w.value(bytes);
    else
        w.begin_object().key("text_hex").value(evidence::to_hex(bytes)).end_object();
}

struct StoreRecords {
    std::int64_t first_seq = 0;
    std::int64_t first_us = std::numeric_limits<std::int64_t>::max(), last_us = 0;
    std::size_t count = 0;
};

// The evidence packets of the device's alerts (in the order of the bundle's
// pcapng), each with its hashes, then the proof of the packet chain.
void write_store_packets(json::Writer& w, Store& store, const DeviceFilter& device, const Filters& filters) {
    Conditions where;
    add_device_condition(where, device, "f.device_ip", "f.device_mac");
    add_flow_conditions(where, filters);
    std::string sql = "SELECT c.seq, p.flow_id, p.flow_uid, p.seq, p.direction, p.ts, p.caplen, p.origlen, p.linktype, "
                      "p.sha256, c.record_hash, c.chain_hash\nFROM evidence_packets AS p"
                      " JOIN evidence_packet_chain AS c ON c.packet_id = p.id JOIN flows AS f ON f.id = p.flow_id"
                      " JOIN alerts AS a ON a.flow_id = f.id\n" +
                      where.where_clause() + "ORDER BY f.first_seen, f.id, p.seq";
    Statement packets = store.prepare(sql, where.params());
    std::optional<std::int64_t> first_seq;
    w.key("evidence_packets").begin_array();
    while (packets.step()) {
        first_seq = std::min(first_seq.value_or(packets.integer(0)), packets.integer(0));
        w.begin_object().key("chain_seq").value(packets.integer(0)).key("flow_id").value(packets.integer(1));
        w.key("flow_uid").value(packets.text(2)).key("seq").value(packets.integer(3));
        w.key("direction").value(packets.text(4)).key("ts").value(packets.integer(5));
        w.key("caplen").value(packets.integer(6)).key("origlen").value(packets.integer(7));
        w.key("linktype").value(packets.integer(8)).key("sha256").value(packets.text(9));
        w.key("record_hash").value(packets.text(10)).key("chain_hash").value(packets.text(11)).end_object();
    }
    w.end_array();
    Statement head = store.prepare("SELECT seq, chain_hash FROM evidence_packet_chain ORDER BY seq DESC LIMIT 1");
    w.key("packet_chain_head").begin_object();
    if (head.step()) w.key("seq").value(head.integer(0)).key("hash").value(head.text(1));
    else w.key("seq").value(std::int64_t{0}).key("hash").value(evidence::kGenesisHash);
    w.end_object();
    w.key("packet_chain_proof").begin_object();
    if (first_seq) {
        Statement previous =
            store.prepare("SELECT chain_hash FROM evidence_packet_chain WHERE seq = ?", {*first_seq - 1});
        w.key("previous_hash").value(previous.step() ? previous.text(0) : std::string(evidence::kGenesisHash));
        w.key("links").begin_array();
        Statement links = store.prepare(
            "SELECT seq, record_hash, chain_hash FROM evidence_packet_chain WHERE seq >= ? ORDER BY seq", {*first_seq});
        while (links.step())
            w.raw("[" + std::to_string(links.integer(0)) + ", " + json::quote(links.text(1)) + ", " +
                  json::quote(links.text(2)) + "]");
        w.end_array();
    }
    w.end_object();
}

// The store's sealed records of the device, then its chain proof.
StoreRecords write_store(json::Writer& w, Store& store, const DeviceFilter& device, const Filters& filters) {
    Conditions where;
    add_device_condition(where, device, "f.device_ip", "f.device_mac");
    add_flow_conditions(where, filters);
    std::string sql = "SELECT c.seq, c.flow_id, c.record_hash, c.chain_hash, " + evidence::canonical_select_list() +
                      "\nFROM evidence_chain AS c JOIN flows AS f ON f.id = c.flow_id"
                      " LEFT JOIN alerts AS a ON a.flow_id = f.id AND a.late = 0\n" +
                      where.where_clause() + "ORDER BY c.seq";
    Statement records = store.prepare(sql, where.params());
    StoreRecords seen;
    auto [head_seq, head_hash] = evidence::chain_head(store.handle());
    w.begin_object().key("path").value(store.path());
    w.key("chain_head").begin_object().key("seq").value(head_seq).key("hash").value(head_hash).end_object();
    // The latest signed checkpoint: the proof below reaches back to its head,
    // so that a verifier with the sensor's public key can tie the records to it.
    auto checkpoint = evidence::latest_checkpoint(store.handle());
    w.key("signed_checkpoint");
    if (checkpoint)
        w.begin_object()
            .key("format").value(evidence::kCheckpointFormat)
            .key("signed_at_us").value(checkpoint->signed_us)
            .key("chain_seq").value(checkpoint->heads.chain_seq)
            .key("chain_hash").value(checkpoint->heads.chain_hash)
            .key("late_alert_seq").value(checkpoint->heads.late_seq)
            .key("late_alert_hash").value(checkpoint->heads.late_hash)
            .key("key_fingerprint").value(checkpoint->key_fingerprint)
            .key("signature").value(checkpoint->signature)
            .end_object();
    else
        w.null();
    w.key("records").begin_array();
    while (records.step()) {
        sqlite3_stmt* stmt = records.handle();
        if (!seen.count++) seen.first_seq = records.integer(0);
        seen.first_us = std::min(seen.first_us, records.integer(5));  // first_seen
        seen.last_us = std::max(seen.last_us, records.integer(6));    // last_seen
        w.begin_object().key("seq").value(records.integer(0)).key("flow_id").value(records.integer(1));
        w.key("columns").begin_object();
        for (std::size_t i = 0; i < evidence::kCanonicalColumns.size(); ++i) {
            w.key(evidence::kCanonicalColumns[i].name);
            write_column_value(w, stmt, static_cast<int>(i) + 4);
        }
        w.end_object();
        w.key("record_hash").value(records.text(2)).key("chain_hash").value(records.text(3)).end_object();
    }
    w.end_array();

    w.key("chain_proof").begin_object();
    if (seen.count) {
        std::int64_t first_seq = seen.first_seq;
        if (checkpoint && checkpoint->heads.chain_seq > 0) first_seq = std::min(first_seq, checkpoint->heads.chain_seq);
        Statement previous = store.prepare("SELECT chain_hash FROM evidence_chain WHERE seq = ?", {first_seq - 1});
        w.key("previous_hash").value(previous.step() ? previous.text(0) : std::string(evidence::kGenesisHash));
        w.key("links").begin_array();
        Statement links = store.prepare("SELECT seq, record_hash, chain_hash FROM evidence_chain WHERE seq >= ? ORDER BY seq",
                                        {first_seq});
        while (links.step())
            w.raw("[" + std::to_string(links.integer(0)) + ", " + json::quote(links.text(1)) + ", " +
                  json::quote(links.text(2)) + "]");
        w.end_array();
    }
    w.end_object();
    write_store_packets(w, store, device, filters);
    w.end_object();
    return seen;
}

}  // namespace

std::string plural(std::int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

void write_more(std::int64_t count, std::size_t shown, std::ostream& out) {
    if (count > static_cast<std::int64_t>(shown))
        out << "  ... and " << count - static_cast<std::int64_t>(shown) << " more\n";
}

// The verdict's second line with --key: what the checkpoints cover.
void write_signed(const evidence::CheckpointReport& c, const std::string& fingerprint, std::ostream& out) {
    out << "  signed: " << plural(c.checkpoints, "checkpoint", "checkpoints") << " by key " << fingerprint
        << " intact; the latest, signed " << format_time(c.latest->signed_us) << ", covers chain seq "
        << c.latest->heads.chain_seq << " and late alert seq " << c.latest->heads.late_seq << "; not signed yet: "
        << plural(c.chain_after, "chain entry", "chain entries") << " and "
        << plural(c.late_after, "late alert entry", "late alert entries") << " after it\n";
}

bool verify_stores(const std::vector<std::unique_ptr<Store>>& stores, std::ostream& out,
                   const std::optional<std::string>& key_path) {
    std::optional<evidence::PublicKey> key;
    if (key_path) key.emplace(*key_path);
    bool all_intact = true;
    for (const auto& store : stores) {
        evidence::ChainReport r = evidence::verify_chain(store->handle());
        std::optional<evidence::CheckpointReport> signatures;
        if (key) signatures = evidence::verify_checkpoints(store->handle(), *key);
        bool signatures_ok = !signatures || signatures->problem_count == 0;
        if (r.problem_count == 0 && signatures_ok) {
            std::int64_t records = r.records - r.prunings - r.pruned - r.pruned_before_sealing;
            out << store->path() << ": ok: " << records << " sealed records intact";
            std::vector<std::string> more;
            if (r.pruned)
                more.push_back(std::to_string(r.pruned) + " more deleted by the retention policy in " +
                               plural(r.prunings, "sealed pruning", "sealed prunings"));
            if (r.pruned_before_sealing)
                more.push_back(std::to_string(r.pruned_before_sealing) +
                               " more deleted by retention before its deletions were sealed (pruned before sealing: "
                               "listed in pruned_flows, cutoffs not checked)");
            for (std::size_t i = 0; i < more.size(); ++i) out << (i ? "; " : " (") << more[i];
            if (!more.empty()) out << ")";
            out << "; chain head seq " << r.head_seq << " " << r.head_hash << '\n';
            if (signatures) {
                write_signed(*signatures, key->fingerprint(), out);
            } else if (std::int64_t n = evidence::checkpoint_count(store->handle())) {
                out << "  " << plural(n, "signed checkpoint", "signed checkpoints")
                    << " not checked: give --key with the sensor's public key\n";
            }
            continue;
        }
        all_intact = false;
        if (r.problem_count) {
            out << store->path() << ": TAMPERED: " << plural(r.problem_count, "problem", "problems") << " in "
                << r.records << " sealed records; the first record that no longer matches:\n";
            for (const auto& p : r.problems) {
                out << "  ";
                if (p.seq) out << "seq " << *p.seq << ": ";
                out << p.what << '\n';
            }
            write_more(r.problem_count, r.problems.size(), out);
        }
        if (!signatures_ok) {
            if (r.problem_count)
                out << "  and " << plural(signatures->problem_count, "problem", "problems");
            else
                out << store->path() << ": TAMPERED: the chain links up (head seq " << r.head_seq << "), but "
                    << plural(signatures->problem_count, "problem", "problems");
            out << " in " << plural(signatures->checkpoints, "signed checkpoint", "signed checkpoints") << ":\n";
            for (const auto& p : signatures->problems) out << "  " << p << '\n';
            write_more(signatures->problem_count, signatures->problems.size(), out);
        }
    }
    return all_intact;
}

void export_bundle(const std::vector<std::unique_ptr<Store>>& stores, const DeviceFilter& device,
                   const Filters& filters, std::ostream& out) {
    std::string text;
    json::Writer w(text);
    w.begin_object().key("format").value(kBundleFormat).key("device").value(device.value);
    w.key("since").value(filters.since_us ? std::optional(format_time(*filters.since_us)) : std::nullopt);
    w.key("until").value(filters.until_us ? std::optional(format_time(*filters.until_us)) : std::nullopt);
    w.key("hash_rule").value(kHashRule);
    w.key("canonical_columns").begin_array();
    for (const auto& column : evidence::kCanonicalColumns) w.value(column.name);
    w.end_array();
    w.key("stores").begin_array();
    std::size_t count = 0;
    std::int64_t first_us = std::numeric_limits<std::int64_t>::max(), last_us = 0;
    for (const auto& store : stores) {
        StoreRecords seen = write_store(w, *store, device, filters);
        count += seen.count;
        first_us = std::min(first_us, seen.first_us);
        last_us = std::max(last_us, seen.last_us);
    }
    w.end_array();
    if (count == 0) throw NoRecords{"no sealed records of " + device.value + " in the stores and window given"};

    // The report covers the window asked for, or else the records' own span.
    report::Scope scope;
    scope.window = {filters.since_us.value_or(first_us), filters.until_us.value_or(last_us + 1)};
    scope.period = format_time(scope.window.since_us) + " to " + format_time(scope.window.until_us);
    scope.device = device;
    report::Report r = report::build_report(stores, scope);
    std::ostringstream json_report, markdown_report;
    report::write_json(r, json_report);
    report::write_markdown(r, markdown_report);
    std::string report_json = json_report.str();
    while (!report_json.empty() && report_json.back() == '\n') report_json.pop_back();
    w.key("report").raw(report_json);
    w.key("report_markdown").value(markdown_report.str());
    // The packets of the device's alerts, as pcapng (null: none stored).
    Filters packet_filters = filters;
    packet_filters.device = device;
    std::string pcapng = alert_pcapng(stores, packet_filters);
    w.key("packet_hash_rule").value(kPacketHashRule);
    w.key("pcapng_base64").value(pcapng.empty() ? std::nullopt : std::optional(base64(pcapng)));
    w.end_object();
    out << text;
}

}  // namespace egresswatch::cli
