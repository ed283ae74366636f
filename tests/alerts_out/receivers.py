#!/usr/bin/env python3
"""Real receivers on loopback for egresswatchd's --syslog and --webhook, and
the checks of what they received against the daemon's own JSON log.

  receivers.py syslog-udp OUT PORTFILE      RFC 5426: one message per datagram
  receivers.py syslog-tcp OUT PORTFILE      RFC 6587 octet counting ("LEN SP MSG")
  receivers.py syslog-tcp-port OUT PORTFILE PORT   the same on a given port
  receivers.py syslog-unix OUT PATH         a datagram socket, as /dev/log (PATH.ready once bound)
  receivers.py http OUT PORTFILE [STATUS [PORT]]  records every POST (answers STATUS, 204)
  receivers.py free-port                    a TCP port nothing listens on (for now)
  receivers.py check-syslog JSONLOG OUT rfc5424|cef   every alert and identity change
  receivers.py check-webhook JSONLOG OUT [MIN_SEVERITY]  every alert, byte for byte
  receivers.py burst-pcap OUT.pcap N        N flows from a camera to China: N alerts

Each receiver writes what it got as JSON lines to OUT and its port to PORTFILE
(written once it listens); it runs until killed. The parsers are written from
RFC 5424 and the CEF specification, not from egresswatch's code.
"""
import http.server
import json
import os
import re
import socket
import socketserver
import struct
import sys
import threading

lock = threading.Lock()


def record(out, obj):
    with lock, open(out, "a") as f:
        f.write(json.dumps(obj) + "\n")


def ready(portfile, port):
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)


# --- receivers -------------------------------------------------------------

def syslog_udp(out, portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    ready(portfile, s.getsockname()[1])
    while True:
        data = s.recv(65536)
        record(out, {"transport": "udp", "raw": data.decode("utf-8")})


def syslog_unix(out, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(path)
    ready(path + ".ready", 0)
    while True:
        data = s.recv(65536)
        record(out, {"transport": "unix", "raw": data.decode("utf-8")})


def syslog_tcp(out, portfile, port=0):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            buf = b""
            while True:
                chunk = self.request.recv(65536)
                if not chunk:
                    if buf:
                        record(out, {"transport": "tcp", "error": "connection closed inside a frame: %r" % buf[:80]})
                    return
                buf += chunk
                while True:  # MSG-LEN SP SYSLOG-MSG, MSG-LEN = NONZERO-DIGIT *DIGIT
                    m = re.match(rb"([1-9][0-9]*) ", buf)
                    if not m:
                        if buf and not re.match(rb"[1-9][0-9]*$", buf):
                            record(out, {"transport": "tcp", "error": "not octet-counted: %r" % buf[:80]})
                            return
                        break
                    n = int(m.group(1))
                    if len(buf) < m.end() + n:
                        break
                    msg = buf[m.end():m.end() + n]
                    buf = buf[m.end() + n:]
                    record(out, {"transport": "tcp", "raw": msg.decode("utf-8")})

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    ready(portfile, server.server_address[1])
    server.serve_forever()


def http_server(out, portfile, status=204, port=0):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record(out, {"path": self.path, "content_type": self.headers.get("Content-Type"),
                         "user_agent": self.headers.get("User-Agent"), "status": status,
                         "body": body.decode("utf-8")})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    ready(portfile, server.server_address[1])
    server.serve_forever()


# --- parsers -----------------------------------------------------------------

RFC5424 = re.compile(r"<([0-9]{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ")


def parse_rfc5424(raw):
    """HEADER SP STRUCTURED-DATA [SP MSG] -> dict; sd is {id: {name: [values]}}."""
    m = RFC5424.match(raw)
    if not m:
        raise ValueError("not RFC 5424: %r" % raw[:80])
    pri = int(m.group(1))
    msg = {"facility": pri // 8, "severity": pri % 8, "timestamp": m.group(2), "hostname": m.group(3),
           "app": m.group(4), "procid": m.group(5), "msgid": m.group(6), "sd": {}}
    if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$", msg["timestamp"]):
        raise ValueError("bad TIMESTAMP " + msg["timestamp"])
    i = m.end()
    if raw.startswith("-", i):
        i += 1
    else:
        while i < len(raw) and raw[i] == "[":
            j = i + 1
            while raw[j] not in " ]":
                j += 1
            sd_id = raw[i + 1:j]
            if not re.match(r'^[!#-~]{1,32}$', sd_id) or any(c in sd_id for c in '= ]"'):
                raise ValueError("bad SD-ID %r" % sd_id)
            params = msg["sd"].setdefault(sd_id, {})
            i = j
            while raw[i] == " ":
                m2 = re.compile(r' ([!#-<>-\\^-~]{1,32})="').match(raw, i)
                if not m2:
                    raise ValueError("bad SD-PARAM at %r" % raw[i:i + 40])
                i = m2.end()
                value = ""
                while raw[i] != '"':
                    if raw[i] == "\\" and raw[i + 1] in '"\\]':
                        value += raw[i + 1]
                        i += 2
                    elif raw[i] in '"]':
                        raise ValueError("unescaped %r in a PARAM-VALUE" % raw[i])
                    else:
                        value += raw[i]
                        i += 1
                params.setdefault(m2.group(1), []).append(value)
                i += 1
            if raw[i] != "]":
                raise ValueError("SD-ELEMENT not closed")
            i += 1
    if i < len(raw):
        if raw[i] != " ":
            raise ValueError("no SP before MSG")
        msg["msg"] = raw[i + 1:]
    return msg


def parse_cef(text):
    """CEF:Version|Vendor|Product|Version|Signature|Name|Severity|Extension."""
    if not text.startswith("CEF:"):
        raise ValueError("not CEF: %r" % text[:80])
    fields, cur, i = [], "", 4
    while len(fields) < 7:
        c = text[i]
        if c == "\\" and text[i + 1] in "|\\":
            cur += text[i + 1]
            i += 2
        elif c == "|":
            fields.append(cur)
            cur = ""
            i += 1
        elif c == "\\":
            raise ValueError("a lone backslash in the header")
        else:
            cur += c
            i += 1
    ext_text = text[i:]
    if "\n" in ext_text or "\r" in ext_text:
        raise ValueError("a raw newline in the extension")
    ext = {}
    # key=value; a value runs until the next unescaped " key=".
    starts = [m for m in re.finditer(r"(?:^| )([A-Za-z0-9_]+)=", ext_text) if not escaped(ext_text, m.end() - 1)]
    for n, m in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(ext_text)
        ext[m.group(1)] = unescape_cef(ext_text[m.end():end])
    return {"version": fields[0], "vendor": fields[1], "product": fields[2], "device_version": fields[3],
            "signature": fields[4], "name": fields[5], "severity": int(fields[6]), "ext": ext}


def escaped(text, i):
    n = 0
    while i > 0 and text[i - 1] == "\\":
        n += 1
        i -= 1
    return n % 2 == 1


def unescape_cef(value):
    out, i = "", 0
    while i < len(value):
        if value[i] == "\\":
            nxt = value[i + 1]
            out += {"n": "\n", "r": "\r", "=": "=", "\\": "\\"}[nxt]
            i += 2
        elif value[i] == "=":
            raise ValueError("an unescaped = in a value: %r" % value)
        else:
            out += value[i]
            i += 1
    return out


def custom(ext, label):
    """The value of the custom field (cs1..cs6, cn1) labelled `label`."""
    for key, value in ext.items():
        if key.endswith("Label") and value == label:
            return ext.get(key[:-len("Label")])
    return None


# --- checks --------------------------------------------------------------------

SYSLOG_SEVERITY = {"high": 2, "medium": 4, "low": 5}
CEF_SEVERITY = {"high": 8, "medium": 6, "low": 3}


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_identities(events):
    """The identity changes the daemon must send, from its JSON log's device events."""
    known, out = {}, []
    for e in events:
        if e["event_type"] != "device":
            continue
        ip, before = e["device_ip"], known.get(e["device_ip"])
        if before is None:
            if e["device_kind"] != "other":
                out.append((e, None))
        elif (before["device_kind"] != e["device_kind"]
              or (before["device_mac"] and e["device_mac"] and before["device_mac"] != e["device_mac"])
              or (e["device_kind"] != "other" and before["device_vendor"] != e["device_vendor"])):
            out.append((e, before))
        known[ip] = e
    return out


class Checker:
    def __init__(self):
        self.problems = 0

    def eq(self, what, got, want):
        if got != want:
            self.problems += 1
            if self.problems <= 20:
                print("MISMATCH %s: got %r, want %r" % (what, got, want))


def check_syslog(json_log, received, fmt):
    events = read_lines(json_log)
    alerts = [e for e in events if e["event_type"] == "alert"]
    identities = expected_identities(events)
    got = read_lines(received)
    c = Checker()
    errors = [g["error"] for g in got if "error" in g]
    c.eq("framing errors", errors, [])
    messages = [parse_rfc5424(g["raw"]) for g in got if "raw" in g]
    for m in messages:
        c.eq("facility", m["facility"], 16)
        c.eq("app", m["app"], "egresswatchd")
    by_id = {k: [m for m in messages if m["msgid"] == k] for k in ("alert", "identity", "health")}
    c.eq("alert messages", len(by_id["alert"]), len(alerts))
    c.eq("identity messages", len(by_id["identity"]), len(identities))
    c.eq("other messages", len(messages) - len(by_id["alert"]) - len(by_id["identity"]) - len(by_id["health"]), 0)
    for n, (m, a) in enumerate(zip(by_id["alert"], alerts)):
        w = "alert %d (%s)" % (n, a["flow_uid"])
        c.eq(w + " syslog severity", m["severity"], SYSLOG_SEVERITY[a["severity"]])
        if fmt == "rfc5424":
            sd = m["sd"]
            c.eq(w + " SD-IDs", sorted(sd), ["alert@32473", "device@32473", "remote@32473"])
            one = lambda sd_id, name: sd.get(sd_id, {}).get(name, [None])[0]
            c.eq(w + " severity", one("alert@32473", "severity"), a["severity"])
            c.eq(w + " reasons", sd["alert@32473"].get("reason", []), a["reasons"])
            for name in ("flow_uid", "community_id", "first_seen", "last_seen", "transport", "app_protocol"):
                c.eq(w + " " + name, one("alert@32473", name), a[name])
            for name in ("bytes_out", "bytes_in", "packets_out", "packets_in"):
                c.eq(w + " " + name, one("alert@32473", name), str(a[name]))
            for name, key in (("ip", "device_ip"), ("mac", "device_mac"), ("kind", "device_kind"),
                              ("vendor", "device_vendor")):
                c.eq(w + " device " + name, one("device@32473", name), a[key])
            for name, key in (("ip", "remote_ip"), ("country", "country"), ("as_org", "as_org"), ("domain", "domain")):
                c.eq(w + " remote " + name, one("remote@32473", name), a[key])
            for name, key in (("port", "remote_port"), ("asn", "asn")):
                c.eq(w + " remote " + name, one("remote@32473", name), None if a[key] is None else str(a[key]))
            c.eq(w + " MSG", m.get("msg", "").startswith(a["severity"] + " alert"), True)
        else:
            c.eq(w + " SD", m["sd"], {})
            cef = parse_cef(m.get("msg", ""))
            x = cef["ext"]
            c.eq(w + " CEF header", (cef["version"], cef["vendor"], cef["product"], cef["signature"]),
                 ("0", "egresswatch", "egresswatchd", "alert"))
            c.eq(w + " CEF severity", cef["severity"], CEF_SEVERITY[a["severity"]])
            v6 = ":" in a["device_ip"]
            c.eq(w + " device ip", custom(x, "Source IPv6 Address") if v6 else x.get("src"), a["device_ip"])
            c.eq(w + " remote ip", custom(x, "Destination IPv6 Address") if ":" in a["remote_ip"] else x.get("dst"),
                 a["remote_ip"])
            c.eq(w + " smac", x.get("smac"), a["device_mac"])
            c.eq(w + " dpt", x.get("dpt"), None if a["remote_port"] is None else str(a["remote_port"]))
            c.eq(w + " dhost", x.get("dhost"), a["domain"])
            c.eq(w + " proto", x.get("proto"), a["transport"].upper())
            c.eq(w + " app", x.get("app"), a["app_protocol"])
            c.eq(w + " out/in", (x.get("out"), x.get("in")), (str(a["bytes_out"]), str(a["bytes_in"])))
            c.eq(w + " externalId", x.get("externalId"), a["flow_uid"])
            c.eq(w + " deviceKind", custom(x, "deviceKind"), a["device_kind"])
            c.eq(w + " deviceVendor", custom(x, "deviceVendor"), a["device_vendor"])
            c.eq(w + " remoteCountry", custom(x, "remoteCountry"), a["country"])
            c.eq(w + " remoteOrganisation", custom(x, "remoteOrganisation"), a["as_org"])
            c.eq(w + " remoteAsn", custom(x, "remoteAsn"), None if a["asn"] is None else str(a["asn"]))
            c.eq(w + " reasons", custom(x, "reasons"), "; ".join(a["reasons"]) or None)
            c.eq(w + " communityId", custom(x, "communityId"), a["community_id"])
    for n, (m, (d, before)) in enumerate(zip(by_id["identity"], identities)):
        w = "identity %d (%s)" % (n, d["device_ip"])
        mac_changed = before is not None and before["device_mac"] != d["device_mac"]
        c.eq(w + " syslog severity", m["severity"], 4 if mac_changed else 5)
        if fmt == "rfc5424":
            dev = m["sd"].get("device@32473", {})
            one = lambda name: dev.get(name, [None])[0]
            c.eq(w + " fields", (one("ip"), one("mac"), one("kind"), one("vendor"), one("hostname")),
                 (d["device_ip"], d["device_mac"], d["device_kind"], d["device_vendor"], d["hostname"]))
            c.eq(w + " identified_by", dev.get("identified_by", []), d["identified_by"])
            c.eq(w + " before", "before@32473" in m["sd"], before is not None)
        else:
            cef = parse_cef(m.get("msg", ""))
            x = cef["ext"]
            c.eq(w + " fields", (x.get("src") or custom(x, "Source IPv6 Address"), x.get("smac"),
                                 custom(x, "deviceKind"), custom(x, "deviceVendor"), x.get("shost")),
                 (d["device_ip"], d["device_mac"], d["device_kind"], d["device_vendor"], d["hostname"]))
    late = sum(1 for m in by_id["alert"] if fmt == "rfc5424" and m["sd"]["alert@32473"]["late"] == ["1"]
               or fmt == "cef" and parse_cef(m["msg"])["ext"].get("cat") == "late-alert")
    print("%s over %s: %d alerts (%d late), %d identity changes, %d health events; %s" % (
        fmt, got[0]["transport"] if got else "-", len(by_id["alert"]), late, len(by_id["identity"]),
        len(by_id["health"]), "all fields as the JSON log" if not c.problems else "%d MISMATCHES" % c.problems))
    return c.problems == 0


def check_webhook(json_log, received, min_severity="low"):
    rank = {"low": 1, "medium": 2, "high": 3}
    with open(json_log) as f:
        lines = [line.rstrip("\n") for line in f if '"event_type":"alert"' in line]
    want = [line for line in lines if rank[json.loads(line)["severity"]] >= rank[min_severity]]
    posts = read_lines(received)
    c = Checker()
    got = []
    for p in posts:
        c.eq("content type", p["content_type"], "application/json")
        c.eq("user agent", p["user_agent"].startswith("egresswatchd/"), True)
        body = json.loads(p["body"])
        c.eq("text", isinstance(body.get("text"), str) and body["text"].startswith("egresswatch on "), True)
        c.eq("text without markup", re.search(r"[<>]|&(?!amp;|lt;|gt;)", body["text"]), None)
        if "alert" in body:
            got.append(body["alert"])
        else:
            c.eq("batch of several", len(body["alerts"]) > 1, True)
            c.eq("batch text", (" %d alerts (" % len(body["alerts"])) in body["text"], True)
            got.extend(body["alerts"])
    # The alert objects are the JSON log's alert records, byte for byte.
    c.eq("alerts", len(got), len(want))
    for n, (g, line) in enumerate(zip(got, want)):
        c.eq("alert %d" % n, json.dumps(g, separators=(",", ":"), ensure_ascii=False), line)
    batches = sum(1 for p in posts if "alerts" in json.loads(p["body"]))
    print("webhook: %d alerts in %d POSTs (%d batches); %s" % (
        len(got), len(posts), batches, "all as the JSON log's alert records" if not c.problems
        else "%d MISMATCHES" % c.problems))
    return c.problems == 0


# --- a capture of N alerts -----------------------------------------------------

def burst_pcap(out, n):
    """N one-packet UDP flows from a Hikvision camera (by its MAC's OUI) to
    addresses in China (47.96.0.0/16 in tests/tools/test-geo.spec)."""
    def checksum(data):
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF

    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        src_mac, dst_mac = bytes.fromhex("4419b6000021"), bytes.fromhex("00005e000101")
        for i in range(n):
            payload = b"egresswatch alerts-out burst %06d" % i
            src, dst = bytes([10, 20, 1, 21]), bytes([47, 96, 1 + i // 250, 1 + i % 250])
            udp = struct.pack("!HHHH", 40000 + i % 20000, 9000, 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = dst_mac + src_mac + b"\x08\x00" + ip + udp
            ts = 1793610000 + i // 100
            f.write(struct.pack("<IIII", ts, (i % 100) * 10000, len(frame), len(frame)) + frame)


def main(argv):
    cmd = argv[1]
    if cmd == "syslog-udp":
        syslog_udp(argv[2], argv[3])
    elif cmd == "syslog-tcp":
        syslog_tcp(argv[2], argv[3])
    elif cmd == "syslog-tcp-port":
        syslog_tcp(argv[2], argv[3], int(argv[4]))
    elif cmd == "syslog-unix":
        syslog_unix(argv[2], argv[3])
    elif cmd == "http":
        http_server(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 204, int(argv[5]) if len(argv) > 5 else 0)
    elif cmd == "free-port":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    elif cmd == "check-syslog":
        return 0 if check_syslog(argv[2], argv[3], argv[4]) else 1
    elif cmd == "check-webhook":
        return 0 if check_webhook(argv[2], argv[3], *argv[4:5]) else 1
    elif cmd == "burst-pcap":
        burst_pcap(argv[2], int(argv[3]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
