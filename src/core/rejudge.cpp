#include "egresswatch/rejudge.hpp"

#include <string_view>

#include "egresswatch/common/json.hpp"
#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/evidence.hpp"
#include "egresswatch/flow_columns.hpp"

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
// made SQLite scan every stored flow for each of them. The index holds
// first_seen and the id too, so flows outside ?3 and ?4 are passed over
// without reading their rows.
// Only what a verdict depends on (FlowFacts), with the device's kind and
// evidence: few flows break a rule now, and reading every sealed column of
// every one was most of the work; record_sql() reads those few whole.
enum CandidateColumn { kFlowId, kRemoteLocal, kPacketsOut, kCountry, kAsn, kRemotePort, kDomain, kDeviceKind, kIdentifiedBy };

std::string candidates_sql(bool one_device) {
    return std::string(R"SQL(SELECT f.id, f.remote_local, f.packets_out, f.country, f.asn, f.remote_port, f.domain,
       coalesce(d.kind, 'other'), coalesce(d.identified_by, '[]')
FROM flows AS f
LEFT JOIN alerts AS a ON a.flow_id = f.id
LEFT JOIN devices AS d ON d.ip = f.device_ip
WHERE f.state = 'closed' AND f.first_seen >= ?1 AND )SQL") +
           (one_device ? "f.device_ip = ?2" : "?2 IS NULL") + R"SQL(
  AND (?3 IS NULL OR f.first_seen < ?3)
  AND (?4 IS NULL OR f.id <= ?4)
  AND a.flow_id IS NULL
ORDER BY f.id)SQL";
}

// Flow ?1 whole: its stored columns (from 0, in sealed order:
// flow_columns::read_stored_flow), then its sealed record hash.
constexpr int kRecordHashAt = static_cast<int>(evidence::kCanonicalColumnCount);
std::string record_sql() {
    return "SELECT " + evidence::canonical_select_list() + R"SQL(, c.record_hash
FROM flows AS f
LEFT JOIN alerts AS a ON a.flow_id = f.id
LEFT JOIN evidence_chain AS c ON c.flow_id = f.id
WHERE f.id = ?1)SQL";
}

// Leaves a persistent statement ready for its next use however its use ends
// (a throw mid-way included).
struct ResetOnExit {
    Statement& s;
    ~ResetOnExit() { s.reset(); }
};

// Flow `flow_id` whole (record_sql()) and its sealed record hash.
std::pair<FlowRecord, std::optional<std::string>> read_record(Statement& record, int64_t flow_id) {
    ResetOnExit reset_on_exit{record};
    if (!record.bind(1, flow_id).step())
        throw StoreError(std::string(kContext) + "flow " + std::to_string(flow_id) + " is gone");
    return {flow_columns::read_stored_flow(record, 0), optional_text(record, kRecordHashAt)};
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
    return StoredFlowJudge(db).rejudge(rules, request);
}

StoredFlowJudge::StoredFlowJudge(sqlite3* db, int64_t last_earlier_flow_id)
    : db_(db), last_earlier_flow_id_(last_earlier_flow_id) {}
StoredFlowJudge::~StoredFlowJudge() = default;

std::vector<FlowRecord> StoredFlowJudge::rejudge(const Rules& rules, const RejudgeRequest& request) {
    if (request.earlier_runs_only && last_earlier_flow_id_ == 0) return {};  // none stored before this run
    bool one_device = request.device_ip.has_value();
    auto& prepared = one_device ? one_device_ : all_devices_;
    if (!prepared)
        prepared = std::make_unique<Statement>(db_, candidates_sql(one_device), Statement::Lifetime::persistent,
                                               std::string(kContext));
    Statement& candidates = *prepared;
    ResetOnExit reset_on_exit{candidates};
    sqlite3* db = db_;
    candidates.bind(1, request.since_us);
    if (request.device_ip) candidates.bind(2, *request.device_ip);
    if (request.until_us) candidates.bind(3, *request.until_us);
    if (request.earlier_runs_only) candidates.bind(4, last_earlier_flow_id_);
    std::optional<LateAlertWriter> writer;
    std::vector<FlowRecord> raised;
    while (candidates.step()) {
        FlowFacts facts;
        auto kind = parse_device_kind(candidates.text(kDeviceKind));
        facts.device_kind = kind ? *kind : DeviceKind::other;
        facts.remote_is_local = candidates.integer(kRemoteLocal) != 0;
        facts.sent_data = candidates.integer(kPacketsOut) > 0;
        facts.country = candidates.text(kCountry);  // NULL reads ""
        facts.asn = static_cast<std::uint32_t>(candidates.integer(kAsn));  // NULL reads 0
        int64_t remote_port = candidates.integer(kRemotePort);
        bool dns_port = remote_port == 53 || remote_port == 853;
        // A resolver's lookups upstream are its clients' names (as when the flow ended).
        bool resolver = candidates.text(kIdentifiedBy).find("\"dns-server:") != std::string::npos;
        if (!(dns_port && resolver)) facts.domain = candidates.text(kDomain);
        facts.resolver_abroad = dns_port && !facts.country.empty() && facts.country != rules.home_country();
        Verdict verdict = rules.evaluate(facts);
        if (verdict.severity == Severity::none) continue;

        int64_t flow_id = candidates.integer(kFlowId);
        if (!record_)
            record_ = std::make_unique<Statement>(db_, record_sql(), Statement::Lifetime::persistent, std::string(kContext));
        auto [r, flow_record_hash] = read_record(*record_, flow_id);
        r.severity = to_string(verdict.severity);
        r.reasons = std::move(verdict.reasons);
        r.reasons.push_back(request.cause);
        std::string reasons = json::string_array(r.reasons);

        evidence::LateAlertFields late{r.uid, std::move(flow_record_hash), request.raised_us, r.severity, reasons,
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
