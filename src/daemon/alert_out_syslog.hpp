// --syslog URL: every alert, device identity change and sensor health event
// as one syslog message (RFC 5424), to a SIEM's collector:
//
//   udp://HOST:PORT   one datagram per message (RFC 5426)
//   tcp://HOST:PORT   octet-counting framing, "LEN SP MSG" (RFC 6587 3.4.1);
//                     reconnects with back-off while messages wait (bounded)
//   unix:/dev/log     the local syslog daemon's datagram socket
//
// --syslog-format rfc5424 (default): the fields are structured data, PEN
// 32473 (RFC 5612's example number; egresswatch has none of its own):
//
//   <PRI>1 TIME HOST egresswatchd PID alert [alert@32473 severity="high"
//   reason="country:CN" reason="..." flow_uid="..." community_id="..." late="0"
//   first_seen="..." last_seen="..." transport="tcp" app_protocol="..."
//   bytes_out="..." bytes_in="..."][device@32473 ip="..." mac="..." kind="camera"
//   vendor="..."][remote@32473 ip="..." port="443" country="CN" asn="37963"
//   as_org="..." domain="..."] high alert: camera 10.20.1.21 ...
//
//   MSGID identity: [device@32473 ip mac kind vendor hostname label site
//   identified_by][before@32473 kind vendor mac]; MSGID health:
//   [health@32473 kind level source count].
//
// --syslog-format cef: the same header with the ArcSight CEF text as the
// message and no structured data ("CEF:0|egresswatch|egresswatchd|VERSION|
// alert|NAME|SEVERITY|src=... dst=..."; see cef_* below for the keys).
//
// Syslog severity (facility local0): a high alert is critical (2), medium a
// warning (4), low a notice (5); health: error 3, warning 4, notice 5;
// identity changes a notice (5), a device's MAC address changing a warning (4).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "alert_out.hpp"
#include "alert_sink.hpp"

namespace egresswatch::daemon {

struct SyslogTarget {
    enum class Transport { udp, tcp, unix_socket };
    Transport transport = Transport::udp;
    std::string host, port;  // udp, tcp
    std::string path;        // unix
    std::string url;         // as given
};

// Throws std::invalid_argument saying what is wrong with `url`.
SyslogTarget parse_syslog_url(const std::string& url);

enum class SyslogFormat { rfc5424, cef };

// The messages, without framing. `now_us` is the message's timestamp.
class SyslogFormatter {
public:
    SyslogFormatter(SyslogFormat format, std::string hostname, int pid);
    std::string alert(const FlowRecord& flow, const FlowDevice& device, int64_t now_us) const;
    std::string identity(const DeviceRecord& now, const DeviceRecord* before, int64_t now_us) const;
    std::string health(const HealthEvent& event, int64_t now_us) const;

private:
    std::string header(int severity, const char* msgid, int64_t now_us) const;
    SyslogFormat format_;
    std::string hostname_;
    int pid_;
};

// The escapes, for the tests: an RFC 5424 PARAM-VALUE (\" \\ \]); CEF header
// fields (\| \\) and extension values (\\ \= \n \r). All three make invalid
// UTF-8 and other control characters U+FFFD.
std::string sd_value(std::string_view text);
std::string cef_header_field(std::string_view text);
std::string cef_value(std::string_view text);

class SyslogSink : public AlertSink {
public:
    // Starts the sender's thread; the first connection is made there.
    SyslogSink(SyslogTarget target, SyslogFormat format, size_t queue_capacity = 10000);
    // Sends what is queued, for at most `drain_seconds`; the rest is failed.
    ~SyslogSink() override;
    SyslogSink(const SyslogSink&) = delete;
    SyslogSink& operator=(const SyslogSink&) = delete;

    void alert(const FlowRecord& flow, const FlowDevice& device) override;
    void identity_changed(const DeviceRecord& now, const DeviceRecord* before) override;
    void health(const HealthEvent& event) override;

    // Stops taking messages and waits for the thread (the destructor does too).
    void finish(double drain_seconds = 5);
    const DeliveryStats& stats() const { return stats_; }
    const std::string& url() const { return target_.url; }

private:
    void enqueue(std::string message);
    void run();
    bool connect_socket();
    bool send_one(const std::string& message);
    void close_socket();

    SyslogTarget target_;
    SyslogFormatter formatter_;
    DeliveryQueue<std::string> queue_;
    DeliveryStats stats_;
    int fd_ = -1;
    std::atomic<int64_t> drain_deadline_ns_{0};
    std::thread thread_;
    bool finished_ = false;
};

}  // namespace egresswatch::daemon
