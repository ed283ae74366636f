#include "alert_out_syslog.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "egresswatch/clock.hpp"
#include "egresswatch/common/time.hpp"
#include "egresswatch/common/utf8.hpp"

namespace egresswatch::daemon {
namespace {

constexpr int kFacilityLocal0 = 16;
constexpr const char* kSdSuffix = "@32473";  // RFC 5612's example enterprise number
constexpr const char* kApp = "egresswatchd";

// Copies `text` as valid UTF-8: `escape` may write an ASCII character its own
// way (returns true); other control characters and invalid bytes become U+FFFD.
template <class Escape>
std::string escape_utf8(std::string_view text, Escape escape) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t n = utf8::sequence_length(text, i);
        if (n == 0) {
            out += utf8::kReplacement;
            ++i;
            continue;
        }
        if (n == 1 && escape(out, text[i])) {
            ++i;
            continue;
        }
        if (utf8::control_length(text, i)) out += utf8::kReplacement;
        else out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

int syslog_severity(std::string_view alert_severity) {
    switch (severity_rank(alert_severity)) {
        case 3: return 2;  // critical
        case 2: return 4;  // warning
        default: return 5; // notice
    }
}

int syslog_severity(HealthEvent::Level level) {
    switch (level) {
        case HealthEvent::Level::error: return 3;
        case HealthEvent::Level::warning: return 4;
        case HealthEvent::Level::notice: return 5;
    }
    return 4;
}

int cef_severity(std::string_view alert_severity) {
    switch (severity_rank(alert_severity)) {
        case 3: return 8;
        case 2: return 6;
        default: return 3;
    }
}

int cef_severity(HealthEvent::Level level) {
    switch (level) {
        case HealthEvent::Level::error: return 7;
        case HealthEvent::Level::warning: return 5;
        case HealthEvent::Level::notice: return 2;
    }
    return 5;
}

bool mac_changed(const DeviceRecord& now, const DeviceRecord* before) {
    return before && before->mac && now.mac && *before->mac != *now.mac;
}

// One SD-ELEMENT: [id@32473 name="value" ...]; absent values are left out.
class SdElement {
public:
    SdElement(std::string& out, const char* id) : out_(out) { out_ += std::string("[") + id + kSdSuffix; }
    ~SdElement() { out_ += ']'; }
    SdElement& param(const char* name, std::string_view value) {
        out_ += ' ';
        out_ += name;
        out_ += "=\"";
        out_ += sd_value(value);
        out_ += '"';
        return *this;
    }
    SdElement& param(const char* name, const std::string& value) { return param(name, std::string_view(value)); }
    SdElement& param(const char* name, const char* value) { return param(name, std::string_view(value)); }
    SdElement& param(const char* name, const std::optional<std::string>& value) {
        return value ? param(name, *value) : *this;
    }
    template <class T>
    SdElement& number(const char* name, const std::optional<T>& value) {
        return value ? param(name, std::to_string(*value)) : *this;
    }
    SdElement& number(const char* name, uint64_t value) { return param(name, std::to_string(value)); }

private:
    std::string& out_;
};

// CEF's extension: key=value pairs separated by spaces.
class CefExtension {
public:
    explicit CefExtension(std::string& out) : out_(out) {}
    CefExtension& add(const char* key, std::string_view value) {
        if (!first_) out_ += ' ';
        first_ = false;
        out_ += key;
        out_ += '=';
        out_ += cef_value(value);
        return *this;
    }
    CefExtension& add(const char* key, const std::string& value) { return add(key, std::string_view(value)); }
    CefExtension& add(const char* key, const char* value) { return add(key, std::string_view(value)); }
    CefExtension& add(const char* key, const std::optional<std::string>& value) {
        return value ? add(key, *value) : *this;
    }
    template <class T>
    CefExtension& number(const char* key, const std::optional<T>& value) {
        return value ? add(key, std::to_string(*value)) : *this;
    }
    CefExtension& number(const char* key, int64_t value) { return add(key, std::to_string(value)); }
    // A custom string with its label, e.g. cs1Label=deviceKind cs1=camera.
    CefExtension& custom(const char* key, const char* label, std::string_view value) {
        if (value.empty()) return *this;
        return add((std::string(key) + "Label").c_str(), label).add(key, value);
    }
    CefExtension& custom(const char* key, const char* label, const std::string& value) {
        return custom(key, label, std::string_view(value));
    }
    CefExtension& custom(const char* key, const char* label, const char* value) {
        return custom(key, label, std::string_view(value));
    }
    CefExtension& custom(const char* key, const char* label, const std::optional<std::string>& value) {
        return value ? custom(key, label, *value) : *this;
    }
    // An address: src/dst for IPv4, the IPv6 custom fields for IPv6.
    CefExtension& address(bool source, const std::string& ip) {
        if (ip.find(':') == std::string::npos) return add(source ? "src" : "dst", ip);
        return source ? custom("c6a2", "Source IPv6 Address", ip) : custom("c6a3", "Destination IPv6 Address", ip);
    }

private:
    std::string& out_;
    bool first_ = true;
};

std::string cef_start(const char* signature, std::string_view name, int severity) {
    return std::string("CEF:0|egresswatch|egresswatchd|") + cef_header_field(EGRESSWATCH_VERSION) + "|" +
           cef_header_field(signature) + "|" + cef_header_field(name) + "|" + std::to_string(severity) + "|";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += separator;
        out += items[i];
    }
    return out;
}

std::string identity_summary(const DeviceRecord& now, const DeviceRecord* before) {
    std::string s = before ? "device changed: " : "device identified: ";
    s += now.kind + " " + now.ip;
    if (now.vendor) s += " (" + *now.vendor + ")";
    if (now.mac) s += " " + *now.mac;
    if (before) {
        std::string was;
        if (before->kind != now.kind) was += " kind " + before->kind;
        if (before->vendor != now.vendor) was += " vendor " + before->vendor.value_or("unknown");
        if (before->mac != now.mac) was += " MAC " + before->mac.value_or("unknown");
        if (!was.empty()) s += "; was" + was;
    }
    return s;
}

int64_t to_ms(int64_t us) { return us / 1000; }

}  // namespace

std::string sd_value(std::string_view text) {
    return escape_utf8(text, [](std::string& out, char c) {
        if (c != '"' && c != '\\' && c != ']') return false;
        out += '\\';
        out += c;
        return true;
    });
}

std::string cef_header_field(std::string_view text) {
    return escape_utf8(text, [](std::string& out, char c) {
        if (c != '|' && c != '\\') return false;
        out += '\\';
        out += c;
        return true;
    });
}

std::string cef_value(std::string_view text) {
    return escape_utf8(text, [](std::string& out, char c) {
        switch (c) {
            case '\\': out += "\\\\"; return true;
            case '=': out += "\\="; return true;
            case '\n': out += "\\n"; return true;
            case '\r': out += "\\r"; return true;
            default: return false;
        }
    });
}

SyslogTarget parse_syslog_url(const std::string& url) {
    SyslogTarget t;
    t.url = url;
    if (url.rfind("unix:", 0) == 0) {
        t.transport = SyslogTarget::Transport::unix_socket;
        t.path = url.substr(5);
        if (t.path.rfind("//", 0) == 0) t.path.erase(0, 2);  // unix:///dev/log
        if (t.path.empty() || t.path[0] != '/') throw std::invalid_argument("unix: wants an absolute path, e.g. unix:/dev/log");
        if (t.path.size() >= sizeof(sockaddr_un{}.sun_path)) throw std::invalid_argument("the socket path is too long");
        return t;
    }
    std::string rest;
    if (url.rfind("udp://", 0) == 0) {
        t.transport = SyslogTarget::Transport::udp;
        rest = url.substr(6);
    } else if (url.rfind("tcp://", 0) == 0) {
        t.transport = SyslogTarget::Transport::tcp;
        rest = url.substr(6);
    } else {
        throw std::invalid_argument("want udp://HOST:PORT, tcp://HOST:PORT or unix:/PATH");
    }
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    size_t colon;
    if (!rest.empty() && rest[0] == '[') {  // [2001:db8::1]:514
        size_t close = rest.find(']');
        if (close == std::string::npos) throw std::invalid_argument("unclosed [ in the IPv6 address");
        t.host = rest.substr(1, close - 1);
        colon = close + 1;
        if (colon < rest.size() && rest[colon] != ':') throw std::invalid_argument("want [ADDRESS]:PORT");
    } else {
        colon = rest.rfind(':');
        t.host = rest.substr(0, colon);
    }
    if (colon >= rest.size()) throw std::invalid_argument("no port (syslog is usually 514, or 6514 for TCP)");
    t.port = rest.substr(colon + 1);
    if (t.host.empty()) throw std::invalid_argument("no host");
    if (t.host.find_first_of("/ ") != std::string::npos) throw std::invalid_argument("not a host name: " + t.host);
    if (t.port.empty() || t.port.size() > 5 || t.port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(t.port) < 1 || std::stoi(t.port) > 65535)
        throw std::invalid_argument("not a port: " + t.port);
    return t;
}

SyslogFormatter::SyslogFormatter(SyslogFormat format, std::string hostname, int pid)
    : format_(format), hostname_(std::move(hostname)), pid_(pid) {}

std::string SyslogFormatter::header(int severity, const char* msgid, int64_t now_us) const {
    return "<" + std::to_string(kFacilityLocal0 * 8 + severity) + ">1 " + format_time(now_us) + " " + hostname_ +
           " " + kApp + " " + std::to_string(pid_) + " " + msgid + " ";
}

std::string SyslogFormatter::alert(const FlowRecord& r, const FlowDevice& device, int64_t now_us) const {
    std::string out = header(syslog_severity(r.severity), "alert", now_us);
    if (format_ == SyslogFormat::cef) {
        std::string name = std::string(device.kind) + " egress to " + r.country.value_or(r.remote_ip);
        out += "- ";  // no structured data: CEF carries the fields
        out += cef_start("alert", name, cef_severity(r.severity));
        CefExtension e(out);
        e.number("rt", to_ms(now_us)).number("start", to_ms(r.first_us)).number("end", to_ms(r.last_us));
        e.address(true, r.device_ip).number("spt", r.device_port).add("smac", r.device_mac);
        e.address(false, r.remote_ip).number("dpt", r.remote_port).add("dhost", r.domain);
        std::string proto = r.transport;
        for (char& c : proto) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        e.add("proto", proto).add("app", r.app_protocol);
        e.number("out", static_cast<int64_t>(r.bytes_out)).number("in", static_cast<int64_t>(r.bytes_in));
        e.number("deviceDirection", r.device_initiated ? 1 : 0).add("externalId", r.uid);
        e.add("cat", r.late_alert ? "late-alert" : "alert");
        e.custom("cs1", "deviceKind", device.kind).custom("cs2", "deviceVendor", device.vendor);
        e.custom("cs3", "remoteCountry", r.country).custom("cs4", "remoteOrganisation", r.as_org);
        if (r.asn) e.add("cn1Label", "remoteAsn").number("cn1", r.asn);
        e.custom("cs5", "reasons", join(r.reasons, "; ")).custom("cs6", "communityId", r.community_id);
        e.add("msg", alert_summary(r, device));
        return out;
    }
    {
        SdElement a(out, "alert");
        a.param("severity", r.severity);
        for (const auto& reason : r.reasons) a.param("reason", reason);
        a.param("flow_uid", r.uid).param("community_id", r.community_id).param("late", r.late_alert ? "1" : "0");
        a.param("first_seen", format_time(r.first_us)).param("last_seen", format_time(r.last_us));
        a.param("transport", r.transport).param("app_protocol", r.app_protocol);
        a.number("bytes_out", r.bytes_out).number("bytes_in", r.bytes_in);
        a.number("packets_out", r.packets_out).number("packets_in", r.packets_in);
    }
    {
        SdElement d(out, "device");
        d.param("ip", r.device_ip).param("mac", r.device_mac).param("kind", device.kind);
        if (!device.vendor.empty()) d.param("vendor", device.vendor);
    }
    {
        SdElement remote(out, "remote");
        remote.param("ip", r.remote_ip).number("port", r.remote_port).param("country", r.country);
        remote.number("asn", r.asn).param("as_org", r.as_org).param("domain", r.domain);
    }
    out += ' ';
    out += escape_utf8(alert_summary(r, device), [](std::string&, char) { return false; });
    return out;
}

std::string SyslogFormatter::identity(const DeviceRecord& now, const DeviceRecord* before, int64_t now_us) const {
    bool mac = mac_changed(now, before);
    std::string out = header(mac ? 4 : 5, "identity", now_us);
    std::string summary = identity_summary(now, before);
    if (format_ == SyslogFormat::cef) {
        out += "- ";  // no structured data: CEF carries the fields
        out += cef_start("device-identity", before ? "device changed" : "device identified", mac ? 5 : 3);
        CefExtension e(out);
        e.number("rt", to_ms(now_us)).address(true, now.ip).add("smac", now.mac).add("shost", now.hostname);
        e.custom("cs1", "deviceKind", now.kind).custom("cs2", "deviceVendor", now.vendor);
        if (before) {
            e.custom("cs3", "previousKind", before->kind).custom("cs4", "previousVendor", before->vendor);
            e.custom("cs5", "previousMac", before->mac);
        }
        e.custom("cs6", "identifiedBy", join(now.identified_by, ", "));
        e.add("msg", summary);
        return out;
    }
    {
        SdElement d(out, "device");
        d.param("ip", now.ip).param("mac", now.mac).param("kind", now.kind).param("vendor", now.vendor);
        d.param("hostname", now.hostname).param("label", now.label).param("site", now.site);
        for (const auto& by : now.identified_by) d.param("identified_by", by);
    }
    if (before) {
        SdElement b(out, "before");
        b.param("kind", before->kind).param("vendor", before->vendor).param("mac", before->mac);
    }
    out += ' ';
    out += escape_utf8(summary, [](std::string&, char) { return false; });
    return out;
}

std::string SyslogFormatter::health(const HealthEvent& event, int64_t now_us) const {
    std::string out = header(syslog_severity(event.level), "health", now_us);
    if (format_ == SyslogFormat::cef) {
        out += "- ";  // no structured data: CEF carries the fields
        out += cef_start(("health:" + event.kind).c_str(), event.message, cef_severity(event.level));
        CefExtension e(out);
        e.number("rt", to_ms(now_us)).custom("cs1", "source", event.source).custom("cs2", "level", to_string(event.level));
        if (event.count) e.add("cn1Label", "count").number("cn1", event.count);
        e.add("msg", event.message);
        return out;
    }
    {
        SdElement h(out, "health");
        h.param("kind", event.kind).param("level", to_string(event.level)).param("source", event.source);
        h.number("count", event.count);
    }
    out += ' ';
    out += escape_utf8(event.message, [](std::string&, char) { return false; });
    return out;
}

SyslogSink::SyslogSink(SyslogTarget target, SyslogFormat format, size_t queue_capacity)
    : target_(std::move(target)),
      formatter_(format, sensor_hostname(), static_cast<int>(getpid())),
      queue_(queue_capacity),
      thread_([this] { run(); }) {}

SyslogSink::~SyslogSink() { finish(); }

void SyslogSink::alert(const FlowRecord& flow, const FlowDevice& device) {
    enqueue(formatter_.alert(flow, device, now_us()));
}

void SyslogSink::identity_changed(const DeviceRecord& now, const DeviceRecord* before) {
    enqueue(formatter_.identity(now, before, now_us()));
}

void SyslogSink::health(const HealthEvent& event) { enqueue(formatter_.health(event, now_us())); }

void SyslogSink::enqueue(std::string message) {
    if (!queue_.push(std::move(message))) ++stats_.dropped;
}

void SyslogSink::finish(double drain_seconds) {
    if (finished_) return;
    finished_ = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                            std::chrono::duration<double>(drain_seconds));
    drain_deadline_ns_ = deadline.time_since_epoch().count();
    queue_.close();
    thread_.join();
    close_socket();
}

void SyslogSink::close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool SyslogSink::connect_socket() {
    close_socket();
    if (target_.transport == SyslogTarget::Transport::unix_socket) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return false;
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, target_.path.data(), target_.path.size());
        if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return true;
        close_socket();
        return false;
    }
    bool tcp = target_.transport == SyslogTarget::Transport::tcp;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(target_.host.c_str(), target_.port.c_str(), &hints, &found) != 0) {
        errno = EHOSTUNREACH;
        return false;
    }
    int saved = 0;
    for (addrinfo* a = found; a; a = a->ai_next) {
        fd_ = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd_ < 0) continue;
        // Linux bounds connect() and send() by the send timeout: a collector
        // that stops reading holds back only this thread, and not for long.
        timeval timeout{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        if (connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
        saved = errno;
        close_socket();
    }
    freeaddrinfo(found);
    if (fd_ < 0) errno = saved;
    return fd_ >= 0;
}

bool SyslogSink::send_one(const std::string& message) {
    if (target_.transport != SyslogTarget::Transport::tcp)
        return send(fd_, message.data(), message.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(message.size());
    // A collector that closed the connection makes the socket readable
    // (end of file); without this check the next message would vanish.
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
        char byte;
        ssize_t n = recv(fd_, &byte, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            errno = ECONNRESET;
            return false;
        }
    }
    std::string framed = std::to_string(message.size()) + " " + message;  // RFC 6587 octet counting
    size_t done = 0;
    while (done < framed.size()) {
        ssize_t n = send(fd_, framed.data() + done, framed.size() - done, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

void SyslogSink::run() {
    using Clock = std::chrono::steady_clock;
    const bool datagrams = target_.transport == SyslogTarget::Transport::udp;
    std::deque<std::string> pending;
    auto backoff = std::chrono::seconds(1);
    bool down = false;
    // Datagram errors (ICMP port unreachable) come back for every other
    // send: said once a minute at most.
    Clock::time_point datagram_complaint{};
    auto deadline = [&] { return Clock::time_point(Clock::duration(drain_deadline_ns_.load())); };
    auto complain = [&](const std::string& what) {
        std::cerr << ("egresswatchd: syslog " + target_.url + ": " + what + "\n");
    };
    for (;;) {
        if (pending.empty()) {
            for (auto& m : queue_.take(256, Clock::now() + std::chrono::hours(1))) pending.push_back(std::move(m));
            if (pending.empty()) {
                if (queue_.closed()) break;
                continue;
            }
        }
        bool closed = queue_.closed();
        if (closed && Clock::now() >= deadline()) break;
        if (fd_ < 0 && !connect_socket()) {
            if (!down) complain(std::string("cannot connect (") + std::strerror(errno) + "); retrying, messages wait");
            down = true;
            auto next = Clock::now() + backoff;
            backoff = std::min(backoff * 2, std::chrono::seconds(30));
            if (!closed) queue_.pause_until(next);
            // Stopping: a few seconds left, tried every second.
            else std::this_thread::sleep_until(std::min({next, Clock::now() + std::chrono::seconds(1), deadline()}));
            continue;
        }
        if (down) complain("connected again");
        down = false;
        backoff = std::chrono::seconds(1);
        while (!pending.empty()) {
            if (send_one(pending.front())) {
                ++stats_.sent;
                pending.pop_front();
                continue;
            }
            std::string why = std::strerror(errno);
            close_socket();
            if (datagrams) {  // no connection to mend: this one is lost
                ++stats_.failed;
                pending.pop_front();
                if (datagram_complaint == Clock::time_point{} || Clock::now() - datagram_complaint > std::chrono::minutes(1)) {
                    complain("messages cannot be sent (" + why + "); each one is counted as failed");
                    datagram_complaint = Clock::now();
                }
            } else {
                complain("connection lost (" + why + "); reconnecting, messages wait");
                down = true;
            }
            break;
        }
    }
    size_t left = pending.size();
    for (;;) {
        auto rest = queue_.take(4096, Clock::now());
        if (rest.empty()) break;
        left += rest.size();
    }
    if (left) {
        stats_.failed += left;
        complain(std::to_string(left) + " messages not sent before exit");
    }
}

}  // namespace egresswatch::daemon
