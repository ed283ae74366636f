#include "json_log.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "egresswatch/common/json.hpp"
#include "egresswatch/common/time.hpp"
#include "egresswatch/flow_columns.hpp"

namespace egresswatch::daemon {
namespace {

// One JSON object on one line (the common writer, compact): `"key":value`
// pairs; empty optionals become null (device, checkpoint lines).
class ObjectWriter {
public:
    explicit ObjectWriter(std::string& out) : w_(out, json::Writer::Style::compact) { w_.begin_object(); }
    void close() { w_.end_object(); }

    ObjectWriter& text(const char* key, std::string_view value) {
        w_.key(key).value(value);
        return *this;
    }
    ObjectWriter& text_or_null(const char* key, const std::optional<std::string>& value) {
        w_.key(key).value(value);
        return *this;
    }
    ObjectWriter& time(const char* key, int64_t us) { return text(key, format_time(us)); }
    ObjectWriter& integer(const char* key, int64_t value) {
        w_.key(key).value(value);
        return *this;
    }
    ObjectWriter& list(const char* key, const std::vector<std::string>& items) {
        w_.key(key).value(items);
        return *this;
    }

private:
    json::Writer w_;
};

using flow_columns::FieldValue;

// The flow's device columns (flow_columns.hpp): its kind and vendor when the record was made.
FieldValue device_value(std::size_t column, const FlowDevice& device) {
    if (column == flow_columns::index_of("device_kind")) return {FieldValue::Type::text, 0, device.kind, nullptr};
    if (column == flow_columns::index_of("device_vendor") && !device.vendor.empty())
        return {FieldValue::Type::text, 0, device.vendor, nullptr};
    return {};
}

// One column's value as the JSON log writes it (flow_columns::Json).
void write_value(json::Writer& w, flow_columns::Json format, const FieldValue& v) {
    using flow_columns::Json;
    if (format == Json::list) {
        static const std::vector<std::string> kNoItems;  // no alert: no reasons
        w.value(v.list ? *v.list : kNoItems);
        return;
    }
    switch (v.type) {
        case FieldValue::Type::null: w.null(); return;
        case FieldValue::Type::text: w.value(v.text); return;
        case FieldValue::Type::list: w.value(*v.list); return;
        case FieldValue::Type::integer: break;
    }
    if (format == Json::time) w.value(format_time(v.integer));
    else if (format == Json::boolean) w.value(v.integer != 0);
    else w.value(v.integer);
}

}  // namespace

// The columns of flow_columns::kColumns that the JSON log carries, in its order.
std::string flow_json(const FlowRecord& r, const FlowDevice& device, const char* event_type) {
    std::string line;
    json::Writer w(line, json::Writer::Style::compact);
    w.begin_object();
    w.key("event_type").value(event_type);
    for (std::size_t i = 0; i < flow_columns::kColumns.size(); ++i) {
        const auto& column = flow_columns::kColumns[i];
        if (column.json == flow_columns::Json::none) continue;
        w.key(column.name);
        write_value(w, column.json, column.get ? column.get(r) : device_value(i, device));
    }
    w.end_object();
    return line;
}

std::string device_json(const DeviceRecord& r) {
    std::string line;
    ObjectWriter w(line);
    w.text("event_type", "device")
        .text("device_ip", r.ip)
        .text_or_null("device_mac", r.mac)
        .text("device_kind", r.kind)
        .text_or_null("device_vendor", r.vendor)
        .text_or_null("vendor_country", r.vendor_country)
        .list("identified_by", r.identified_by)
        .text_or_null("hostname", r.hostname)
        .text_or_null("label", r.label)
        .text_or_null("site", r.site)
        .time("first_seen", r.first_us)
        .time("last_seen", r.last_us);
    w.close();
    return line;
}

JsonLog::JsonLog(std::string path) : path_(std::move(path)) { reopen(); }

JsonLog::~JsonLog() {
    if (file_ && file_ != stdout) std::fclose(file_);
    else if (file_) std::fflush(file_);
}

void JsonLog::reopen() {
    if (path_ == "-") {
        file_ = stdout;
        return;
    }
    std::FILE* file = std::fopen(path_.c_str(), "a");
    if (!file) {
        std::string why = std::strerror(errno);
        if (!file_) throw std::runtime_error("cannot open --json-log " + path_ + ": " + why);
        std::cerr << "egresswatchd: cannot reopen --json-log " << path_ << ": " << why << "; still writing to the old file\n";
        return;
    }
    if (file_) std::fclose(file_);
    file_ = file;
}

void JsonLog::device(const DeviceRecord& device) { write_line(device_json(device)); }

void JsonLog::alert(const FlowRecord& flow, const FlowDevice& device) { write_line(flow_json(flow, device, "alert")); }

void JsonLog::flow_ended(const FlowRecord& flow, const FlowDevice& device) {
    write_line(flow_json(flow, device, "flow"));
}

void JsonLog::checkpoint(const evidence::Checkpoint& c) {
    std::string line;
    ObjectWriter w(line);
    w.text("event_type", "checkpoint")
        .time("signed_at", c.signed_us)
        .integer("signed_at_us", c.signed_us)
        .integer("chain_seq", c.heads.chain_seq)
        .text("chain_hash", c.heads.chain_hash)
        .integer("late_alert_seq", c.heads.late_seq)
        .text("late_alert_hash", c.heads.late_hash)
        .text("key_fingerprint", c.key_fingerprint)
        .text("signature", c.signature)
        .close();
    write_line(line);
}

void JsonLog::write_line(const std::string& line) {
    // One write per line, flushed: a SIEM tailing the file sees whole lines.
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fputc('\n', file_);
    std::fflush(file_);
}

}  // namespace egresswatch::daemon
