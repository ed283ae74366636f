#include "json_log.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "egresswatch/common/json.hpp"
#include "egresswatch/common/time.hpp"

namespace egresswatch::daemon {
namespace {

// One JSON object on one line (the common writer, compact): `"key":value`
// pairs; empty optionals become null.
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
    ObjectWriter& text_or_null(const char* key, std::string_view value) {  // empty is null
        return value.empty() ? null(key) : text(key, value);
    }
    ObjectWriter& time(const char* key, int64_t us) { return text(key, format_time(us)); }
    ObjectWriter& integer(const char* key, int64_t value) {
        w_.key(key).value(value);
        return *this;
    }
    template <class T>
    ObjectWriter& integer(const char* key, const std::optional<T>& value) {
        return value ? integer(key, static_cast<int64_t>(*value)) : null(key);
    }
    ObjectWriter& boolean(const char* key, bool value) {
        w_.key(key).value(value);
        return *this;
    }
    ObjectWriter& list(const char* key, const std::vector<std::string>& items) {
        w_.key(key).value(items);
        return *this;
    }
    ObjectWriter& null(const char* key) {
        w_.key(key).null();
        return *this;
    }

private:
    json::Writer w_;
};

}  // namespace

std::string flow_json(const FlowRecord& r, const FlowDevice& device, const char* event_type) {
    std::string line;
    ObjectWriter w(line);
    w.text("event_type", event_type)
        .text_or_null("community_id", r.community_id)
        .text("flow_uid", r.uid)
        .time("first_seen", r.first_us)
        .time("last_seen", r.last_us)
        .text("state", r.closed ? "closed" : "open")
        .text("transport", r.transport)
        .integer("ip_proto", r.ip_protocol)
        .integer("vlan", r.vlan)
        .integer("inner_vlan", r.inner_vlan)
        .integer("vlan_in", r.vlan_in)
        .integer("inner_vlan_in", r.inner_vlan_in)
        .text("device_ip", r.device_ip)
        .integer("device_port", r.device_port)
        .text_or_null("device_mac", r.device_mac)
        .text("device_kind", device.kind)
        .text_or_null("device_vendor", device.vendor)
        .text("remote_ip", r.remote_ip)
        .integer("remote_port", r.remote_port)
        .boolean("remote_local", r.remote_local)
        .text("initiator", r.device_initiated ? "device" : "remote")
        .text_or_null("app_protocol", r.app_protocol)
        .text_or_null("app_category", r.app_category)
        .text_or_null("domain", r.domain)
        .text_or_null("country", r.country)
        .integer("asn", r.asn)
        .text_or_null("as_org", r.as_org)
        .integer("bytes_out", static_cast<int64_t>(r.bytes_out))
        .integer("bytes_in", static_cast<int64_t>(r.bytes_in))
        .integer("packets_out", static_cast<int64_t>(r.packets_out))
        .integer("packets_in", static_cast<int64_t>(r.packets_in));
    if (r.severity.empty()) w.null("severity").list("reasons", {});
    else w.text("severity", r.severity).list("reasons", r.reasons);
    w.close();
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
