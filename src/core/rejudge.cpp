#include "egresswatch/rejudge.hpp"

#include <string_view>

#include "egresswatch/common/json.hpp"
#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/evidence.hpp"

namespace egresswatch {
namespace {

using sqlite::Statement;
constexpr auto kOnce = Statement::Lifetime::once;
constexpr std::string_view kContext = "re-judging stored flows: ";

std::optional<std::string> optional_text(const Statement& s, int column) {
    return s.is_null(column) ? std::nullopt : std::optional(s.text(column));
}

// One device's flows come from index flows_device_time: the sensor asks for a
// device each time one is identified, and "(?2 IS NULL OR f.device_ip = ?2)"
// made SQLite scan every stored flow for each of them.
std::string candidates_sql(bool one_device) {
    return std::string(R"SQL(
SELECT f.id, f.flow_uid, f.first_seen, f.last_seen, f.device_ip, f.device_port, f.device_mac, f.remote_ip,
       f.remote_port, f.transport, f.ip_proto, f.bytes_out, f.bytes_in, f.packets_out, f.packets_in,
       f.app_protocol, f.domain, f.remote_local, f.country, f.asn, f.as_org, f.community_id,
       coalesce(d.kind, 'other'), coalesce(d.identified_by, '[]'), c.record_hash
FROM flows AS f
LEFT JOIN devices AS d ON d.ip = f.device_ip
LEFT JOIN evidence_chain AS c ON c.flow_id = f.id
WHERE f.state = 'closed' AND f.first_seen >= ?1 AND )SQL") +
           (one_device ? "f.device_ip = ?2" : "?2 IS NULL") + R"SQL(
  AND (?3 IS NULL OR f.first_seen < ?3)
  AND NOT EXISTS (SELECT 1 FROM alerts AS a WHERE a.flow_id = f.id)
ORDER BY f.id)SQL";
}

// What writes a late alert, with the late-alert chain's head: prepared at the
// first flow that raises one (most requests raise none: the sensor asks for
// every device it identifies).
struct LateAlertWriter {
    explicit LateAlertWriter(sqlite3* db)
        : alert(db, "INSERT INTO alerts (flow_id, severity, reasons, late) VALUES (?1, ?2, ?3, 1)", kOnce,
                std::string(kContext)),
          insert(db, "INSERT INTO late_alerts (flow_id, flow_uid, flow_record_hash, raised_at, cause) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)", kOnce, std::string(kContext)),
          append(db, "INSERT INTO late_alert_chain (seq, flow_id, record_hash, chain_hash) "
                     "VALUES (?1, ?2, ?3, ?4)", kOnce, std::string(kContext)) {
        Statement head(db, "SELECT seq, chain_hash FROM late_alert_chain ORDER BY seq DESC LIMIT 1", kOnce,
                       std::string(kContext));
        if (head.step()) seq = head.integer(0), chain = head.text(1);
    }
    Statement alert, insert, append;
    int64_t seq = 0;
    std::string chain{evidence::kGenesisHash};
};

}  // namespace

std::vector<FlowRecord> rejudge_stored_flows(sqlite3* db, const Rules& rules, const RejudgeRequest& request) {
    Statement candidates(db, candidates_sql(request.device_ip.has_value()), kOnce, std::string(kContext));
    candidates.bind(1, request.since_us);
    if (request.device_ip) candidates.bind(2, *request.device_ip);
    if (request.until_us) candidates.bind(3, *request.until_us);
    std::optional<LateAlertWriter> writer;
    std::vector<FlowRecord> raised;
    while (candidates.step()) {
        FlowFacts facts;
        auto kind = parse_device_kind(candidates.text(22));
        facts.device_kind = kind ? *kind : DeviceKind::other;
        facts.remote_is_local = candidates.integer(17) != 0;
        facts.sent_data = candidates.integer(13) > 0;
        facts.country = candidates.text(18);
        facts.asn = candidates.is_null(19) ? 0 : static_cast<uint32_t>(candidates.integer(19));
        int64_t remote_port = candidates.is_null(8) ? -1 : candidates.integer(8);
        bool dns_port = remote_port == 53 || remote_port == 853;
        // A resolver's lookups upstream are its clients' names (as when the flow ended).
        bool resolver = candidates.text(23).find("\"dns-server:") != std::string::npos;
        if (!(dns_port && resolver)) facts.domain = candidates.text(16);
        facts.resolver_abroad = dns_port && !facts.country.empty() && facts.country != rules.home_country();
        Verdict verdict = rules.evaluate(facts);
        if (verdict.severity == Severity::none) continue;

        FlowRecord r;
        r.uid = candidates.text(1);
        r.first_us = candidates.integer(2);
        r.last_us = candidates.integer(3);
        r.device_ip = candidates.text(4);
        if (!candidates.is_null(5)) r.device_port = static_cast<int>(candidates.integer(5));
        r.device_mac = optional_text(candidates, 6);
        r.remote_ip = candidates.text(7);
        if (remote_port >= 0) r.remote_port = static_cast<int>(remote_port);
        r.transport = candidates.text(9);
        r.ip_protocol = static_cast<int>(candidates.integer(10));
        r.bytes_out = static_cast<uint64_t>(candidates.integer(11));
        r.bytes_in = static_cast<uint64_t>(candidates.integer(12));
        r.packets_out = static_cast<uint64_t>(candidates.integer(13));
        r.packets_in = static_cast<uint64_t>(candidates.integer(14));
        r.app_protocol = optional_text(candidates, 15);
        r.domain = optional_text(candidates, 16);
        r.remote_local = facts.remote_is_local;
        r.country = optional_text(candidates, 18);
        if (facts.asn) r.asn = facts.asn;
        r.as_org = optional_text(candidates, 20);
        r.community_id = optional_text(candidates, 21);
        r.closed = true;
        r.severity = to_string(verdict.severity);
        r.reasons = std::move(verdict.reasons);
        r.reasons.push_back(request.cause);
        std::string reasons = json::string_array(r.reasons);

        int64_t flow_id = candidates.integer(0);
        evidence::LateAlertFields late{r.uid, optional_text(candidates, 24), request.raised_us, r.severity, reasons,
                                       request.cause};
        if (!writer) writer.emplace(db);
        writer->alert.bind(1, flow_id);
        writer->alert.bind(2, late.severity);
        writer->alert.bind(3, late.reasons);
        writer->alert.run();
        writer->insert.bind(1, flow_id);
        writer->insert.bind(2, late.flow_uid);
        if (late.flow_record_hash) writer->insert.bind(3, *late.flow_record_hash);
        writer->insert.bind(4, late.raised_us);
        writer->insert.bind(5, late.cause);
        writer->insert.run();

        std::string record_hash = evidence::sha256_hex(evidence::late_alert_text(late));
        writer->chain = evidence::chain_hash(writer->chain, record_hash);
        writer->append.bind(1, ++writer->seq);
        writer->append.bind(2, flow_id);
        writer->append.bind(3, record_hash);
        writer->append.bind(4, writer->chain);
        writer->append.run();
        raised.push_back(std::move(r));
    }
    return raised;
}

}  // namespace egresswatch
