// Alerts out (src/daemon/alert_*): what an alert is, the syslog messages
// (RFC 5424 and CEF) with their escapes, syslog URLs, and the bounded queue.
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/alert_out.hpp"
#include "daemon/alert_out_syslog.hpp"
#include "daemon/alert_sink.hpp"

using namespace egresswatch;
using namespace egresswatch::daemon;

namespace {

// 2026-11-02T09:00:00Z
constexpr int64_t kT0 = 1793610000LL * 1'000'000;

FlowRecord nasty_alert() {
    FlowRecord r;
    r.uid = "u-1";
    r.first_us = kT0;
    r.last_us = kT0 + 1'500'000;
    r.transport = "tcp";
    r.device_ip = "10.0.0.5";
    r.device_port = 50000;
    r.device_mac = "44:19:b6:00:00:05";
    r.remote_ip = "47.96.1.10";
    r.remote_port = 443;
    r.domain = "cam.example";
    r.country = "CN";
    r.asn = 37963;
    r.as_org = "Evil | Org = \"x\" [a] \\ b\nline two";
    r.community_id = "1:abc=";
    r.bytes_out = 100;
    r.bytes_in = 200;
    r.packets_out = 3;
    r.packets_in = 4;
    r.severity = "high";
    r.reasons = {"country:CN", "domain:a=b|c"};
    return r;
}

struct Recorder : AlertSink {
    std::vector<std::string> events;
    void alert(const FlowRecord& f, const FlowDevice&) override { events.push_back("alert " + f.uid + " " + f.severity); }
    void flow_ended(const FlowRecord& f, const FlowDevice&) override { events.push_back("flow " + f.uid); }
    void identity_changed(const DeviceRecord& d, const DeviceRecord* before) override {
        events.push_back("identity " + d.ip + " " + d.kind + (before ? " was " + before->kind : ""));
    }
};

}  // namespace

TEST_CASE("RFC 5424 PARAM-VALUEs escape quote, backslash and close bracket, and CEF its header and extension", "[alerts_out]") {
    CHECK(sd_value(R"(a"b\c]d=e|f)") == R"(a\"b\\c\]d=e|f)");
    CHECK(cef_header_field(R"(a|b\c=d)") == R"(a\|b\\c=d)");
    CHECK(cef_value("a=b\\c|d\ne\rf") == R"(a\=b\\c|d\ne\rf)");
    // Invalid UTF-8 and other control characters become U+FFFD in all three.
    for (auto* escape : {&sd_value, &cef_header_field, &cef_value}) {
        CHECK((*escape)("x\xff" "y") == "x\xEF\xBF\xBDy");
        CHECK((*escape)("x\x01y") == "x\xEF\xBF\xBDy");
        CHECK((*escape)("caf\xC3\xA9") == "caf\xC3\xA9");
    }
    CHECK(sd_value("a\nb") == "a\xEF\xBF\xBD" "b");
}

TEST_CASE("An alert as RFC 5424 with structured data", "[alerts_out]") {
    SyslogFormatter f(SyslogFormat::rfc5424, "sensor1", 42);
    std::string msg = f.alert(nasty_alert(), FlowDevice{"camera", "Hikvision"}, kT0 + 250'000);
    CHECK(msg ==
          "<130>1 2026-11-02T09:00:00.250000Z sensor1 egresswatchd 42 alert "
          "[alert@32473 severity=\"high\" reason=\"country:CN\" reason=\"domain:a=b|c\" flow_uid=\"u-1\" "
          "community_id=\"1:abc=\" late=\"0\" first_seen=\"2026-11-02T09:00:00Z\" "
          "last_seen=\"2026-11-02T09:00:01.500000Z\" transport=\"tcp\" bytes_out=\"100\" bytes_in=\"200\" "
          "packets_out=\"3\" packets_in=\"4\"]"
          "[device@32473 ip=\"10.0.0.5\" mac=\"44:19:b6:00:00:05\" kind=\"camera\" vendor=\"Hikvision\"]"
          "[remote@32473 ip=\"47.96.1.10\" port=\"443\" country=\"CN\" asn=\"37963\" "
          "as_org=\"Evil | Org = \\\"x\\\" [a\\] \\\\ b\xEF\xBF\xBDline two\" domain=\"cam.example\"] "
          "high alert: camera 10.0.0.5 (Hikvision) -> 47.96.1.10:443/tcp cam.example CN AS37963 "
          "Evil | Org = \"x\" [a] \\ b\xEF\xBF\xBDline two: country:CN, domain:a=b|c");
}

TEST_CASE("An alert as CEF, IPv4 and IPv6", "[alerts_out]") {
    SyslogFormatter f(SyslogFormat::cef, "sensor1", 42);
    FlowRecord r = nasty_alert();
    r.late_alert = true;
    std::string msg = f.alert(r, FlowDevice{"camera", ""}, kT0);
    CHECK(msg ==
          "<130>1 2026-11-02T09:00:00Z sensor1 egresswatchd 42 alert - "
          "CEF:0|egresswatch|egresswatchd|" EGRESSWATCH_VERSION "|alert|camera egress to CN|8|"
          "rt=1793610000000 start=1793610000000 end=1793610001500 src=10.0.0.5 spt=50000 smac=44:19:b6:00:00:05 "
          "dst=47.96.1.10 dpt=443 dhost=cam.example proto=TCP out=100 in=200 deviceDirection=1 externalId=u-1 "
          "cat=late-alert cs1Label=deviceKind cs1=camera cs3Label=remoteCountry cs3=CN "
          "cs4Label=remoteOrganisation cs4=Evil | Org \\= \"x\" [a] \\\\ b\\nline two "
          "cn1Label=remoteAsn cn1=37963 cs5Label=reasons cs5=country:CN; domain:a\\=b|c "
          "cs6Label=communityId cs6=1:abc\\= "
          "msg=high alert (raised late, once the device was identified): camera 10.0.0.5 -> 47.96.1.10:443/tcp "
          "cam.example CN AS37963 Evil | Org \\= \"x\" [a] \\\\ b\\nline two: country:CN, domain:a\\=b|c");
    r.device_ip = "fd00::5";
    r.remote_ip = "2001:db8:100::1";
    r.country.reset();
    r.severity = "medium";
    msg = f.alert(r, FlowDevice{"iot", ""}, kT0);
    CHECK(msg.find("|alert|iot egress to 2001:db8:100::1|6|") != std::string::npos);
    CHECK(msg.find(" c6a2Label=Source IPv6 Address c6a2=fd00::5 ") != std::string::npos);
    CHECK(msg.find(" c6a3Label=Destination IPv6 Address c6a3=2001:db8:100::1 ") != std::string::npos);
    CHECK(msg.find(" src=") == std::string::npos);
    CHECK(msg.rfind("<132>1 ", 0) == 0);  // medium: warning
}

TEST_CASE("Health and identity messages carry their own severity", "[alerts_out]") {
    SyslogFormatter f(SyslogFormat::rfc5424, "s", 1);
    HealthEvent drops{HealthEvent::Level::error, "drops", "eth1", "the kernel dropped 12 packets", 12};
    CHECK(f.health(drops, kT0) ==
          "<131>1 2026-11-02T09:00:00Z s egresswatchd 1 health [health@32473 kind=\"drops\" level=\"error\" "
          "source=\"eth1\" count=\"12\"] the kernel dropped 12 packets");
    SyslogFormatter cef(SyslogFormat::cef, "s", 1);
    HealthEvent reload{HealthEvent::Level::error, "reload-failed", "rules and geolocation", "rules|x: bad", {}};
    CHECK(cef.health(reload, kT0) ==
          "<131>1 2026-11-02T09:00:00Z s egresswatchd 1 health - CEF:0|egresswatch|egresswatchd|" EGRESSWATCH_VERSION
          "|health:reload-failed|rules\\|x: bad|7|rt=1793610000000 cs1Label=source cs1=rules and geolocation "
          "cs2Label=level cs2=error msg=rules|x: bad");
    DeviceRecord before, now;
    before.ip = now.ip = "10.0.0.9";
    before.mac = "00:11:22:33:44:55";
    now.mac = "00:11:22:33:44:66";
    now.kind = "camera";
    now.identified_by = {"rtsp-server:554"};
    CHECK(f.identity(now, &before, kT0) ==
          "<132>1 2026-11-02T09:00:00Z s egresswatchd 1 identity [device@32473 ip=\"10.0.0.9\" "
          "mac=\"00:11:22:33:44:66\" kind=\"camera\" identified_by=\"rtsp-server:554\"]"
          "[before@32473 kind=\"other\" mac=\"00:11:22:33:44:55\"] device changed: camera 10.0.0.9 "
          "00:11:22:33:44:66; was kind other MAC 00:11:22:33:44:55");
    CHECK(f.identity(now, nullptr, kT0).rfind("<133>1 ", 0) == 0);  // first seen: a notice
}

TEST_CASE("Syslog URLs", "[alerts_out]") {
    auto t = parse_syslog_url("tcp://siem.example:6514");
    CHECK(t.transport == SyslogTarget::Transport::tcp);
    CHECK(t.host == "siem.example");
    CHECK(t.port == "6514");
    t = parse_syslog_url("udp://[2001:db8::1]:514");
    CHECK(t.transport == SyslogTarget::Transport::udp);
    CHECK(t.host == "2001:db8::1");
    CHECK(t.port == "514");
    t = parse_syslog_url("unix:/dev/log");
    CHECK(t.transport == SyslogTarget::Transport::unix_socket);
    CHECK(t.path == "/dev/log");
    for (const char* bad : {"siem:514", "tcp://siem", "tcp://:514", "udp://h:0", "udp://h:65536", "udp://h:5x",
                            "unix:dev/log", "udp://[::1:514", "http://h:514"})
        CHECK_THROWS_AS(parse_syslog_url(bad), std::invalid_argument);
}

TEST_CASE("The router: an alert once per severity, late alerts, identity changes", "[alerts_out]") {
    AlertRouter router;
    Recorder rec;
    router.add(&rec);
    FlowRecord r;
    r.uid = "f";
    r.severity = "medium";
    router.on_flow_record(r, {});  // open, flagged
    router.on_flow_record(r, {});  // open, the same: not again
    r.severity = "high";
    router.on_flow_record(r, {});  // severity changed
    r.closed = true;
    router.on_flow_record(r, {});  // final: the same severity, only the flow
    FlowRecord late = r;
    late.late_alert = true;
    router.on_flow_record(late, {});
    CHECK(rec.events ==
          std::vector<std::string>{"alert f medium", "alert f high", "flow f", "alert f high"});

    rec.events.clear();
    DeviceRecord d;
    d.ip = "10.0.0.1";
    d.vendor = "Intel";
    router.on_device_record(d);  // kind other: not reported
    d.last_us = 5;
    router.on_device_record(d);  // last seen only
    d.vendor = "Intel Corporate";
    router.on_device_record(d);  // vendor of an "other": not reported
    d.kind = "camera";
    router.on_device_record(d);
    d.mac = "00:00:00:00:00:01";
    router.on_device_record(d);  // a MAC learnt, not changed
    d.mac = "00:00:00:00:00:02";
    router.on_device_record(d);
    DeviceRecord cam;
    cam.ip = "10.0.0.2";
    cam.kind = "camera";
    router.on_device_record(cam);  // first seen as a camera
    CHECK(rec.events == std::vector<std::string>{"identity 10.0.0.1 camera was other",
                                                 "identity 10.0.0.1 camera was camera", "identity 10.0.0.2 camera"});
}

TEST_CASE("Redacted webhook URLs, and the queue's bound", "[alerts_out]") {
    CHECK(redact_url("https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com/...");
    CHECK(redact_url("https://user:pw@example.org:8443/x?token=1") == "https://example.org:8443/...");
    CHECK(redact_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080");
    DeliveryQueue<int> q(2);
    CHECK(q.push(1));
    CHECK(q.push(2));
    CHECK_FALSE(q.push(3));
    CHECK(q.take(10, std::chrono::steady_clock::now()) == std::vector<int>{1, 2});
    q.close();
    CHECK_FALSE(q.push(4));
}
