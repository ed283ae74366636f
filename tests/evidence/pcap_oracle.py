#!/usr/bin/env python3
"""The packets of each alert in an egresswatch pcapng against tshark's reading
of the original capture (see pcap-oracle.sh). tshark selects the frames (its
own dissection of addresses, ports, protocol, time and DNS answers) and gives
the bytes of both files (-x). Exit 0: all equal."""
import json
import sqlite3
import subprocess
import sys

store, pcapng, original, per_direction, name = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
NO_REASSEMBLY = ["-o", "tcp.desegment_tcp_streams:FALSE", "-o", "ip.defragment:FALSE"]
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ipv6.nxt",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "dns.flags.response", "dns.a", "dns.aaaa"]


def tshark(*args):
    return subprocess.run(["tshark", *args, *NO_REASSEMBLY], check=True, capture_output=True, text=True).stdout


def raw_frames(capture, display_filter=None):
    """Every selected frame's bytes (hex), its number and its comment (pcapng), in capture order."""
    text = tshark("-r", capture, *(["-Y", display_filter] if display_filter else []), "-T", "json", "-x")
    out = []
    for packet in json.loads(text or "[]"):
        layers = packet["_source"]["layers"]
        comment = layers.get("pkt_comment", {}).get("frame.comment", "")
        out.append((int(layers["frame"]["frame.number"]), layers["frame_raw"][0], comment))
    return out


def first(value):
    return value.split(",")[0] if value else ""


# One pass over the original: what tshark dissects of every frame (outer headers first).
frames = []
for line in tshark("-r", original, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
                   *sum((["-e", f] for f in FIELDS), [])).splitlines():
    v = dict(zip(FIELDS, line.split("\t")))
    frames.append({
        "number": int(v["frame.number"]), "us": round(float(v["frame.time_epoch"]) * 1e6),
        "src": first(v["ip.src"]) or first(v["ipv6.src"]), "dst": first(v["ip.dst"]) or first(v["ipv6.dst"]),
        "proto": int(first(v["ip.proto"]) or first(v["ipv6.nxt"]) or -1),
        "sport": first(v["tcp.srcport"]) or first(v["udp.srcport"]),
        "dport": first(v["tcp.dstport"]) or first(v["udp.dstport"]),
        "dns_response": first(v["dns.flags.response"]) in ("1", "True"),
        "dns_addresses": set((v["dns.a"] + "," + v["dns.aaaa"]).split(",")) - {""},
    })

db = sqlite3.connect(store)
alerts = db.execute("SELECT f.id, f.flow_uid, f.ip_proto, f.device_ip, f.device_port, f.remote_ip, f.remote_port, "
                    "f.first_seen, f.last_seen FROM flows f JOIN alerts a ON a.flow_id = f.id ORDER BY f.first_seen, f.id"
                    ).fetchall()
wanted = {}  # flow uid -> (frame numbers of the flow, frame number of the DNS answer or None)
for flow_id, uid, proto, dev, dev_port, rem, rem_port, first_us, last_us in alerts:
    ports = dev_port is not None
    out_numbers, in_numbers = [], []
    for f in frames:
        if f["proto"] != proto or not first_us <= f["us"] <= last_us:
            continue
        if f["src"] == dev and f["dst"] == rem and (not ports or (f["sport"], f["dport"]) == (str(dev_port), str(rem_port))):
            out_numbers.append(f["number"])
        elif f["src"] == rem and f["dst"] == dev and (not ports or (f["sport"], f["dport"]) == (str(rem_port), str(dev_port))):
            in_numbers.append(f["number"])
    flow_numbers = sorted(out_numbers[:per_direction] + in_numbers[:per_direction])
    answers = [f["number"] for f in frames
               if f["dns_response"] and f["dst"] == dev and rem in f["dns_addresses"] and f["us"] <= first_us]
    wanted[uid] = (flow_numbers, answers[-1] if answers else None)

numbers = sorted({n for flow, dns in wanted.values() for n in flow + ([dns] if dns else [])})
original_bytes = {}
if numbers:
    original_bytes = {n: raw for n, raw, _ in raw_frames(original, "frame.number in {%s}" % ", ".join(map(str, numbers)))}
written = {}  # flow uid -> [(bytes, is the DNS answer)]
for _, raw, comment in raw_frames(pcapng):
    uid = comment.split("(flow ", 1)[1].split(",", 1)[0]
    written.setdefault(uid, []).append((raw, comment.endswith(", dns")))

problems, compared, dns_compared = [], 0, 0
for flow_id, uid, *_ in alerts:
    flow_numbers, dns = wanted[uid]
    ours = written.get(uid, [])
    ours_flow = [raw for raw, is_dns in ours if not is_dns]
    ours_dns = [raw for raw, is_dns in ours if is_dns]
    theirs = [original_bytes[n] for n in flow_numbers]
    if ours_flow != theirs:
        at = next((i for i, (a, b) in enumerate(zip(ours_flow, theirs)) if a != b), min(len(ours_flow), len(theirs)))
        problems.append("alert %d (flow %s): %d packets written, tshark selects %d; they differ from the %d. on" % (
            flow_id, uid, len(ours_flow), len(theirs), at + 1))
    if ours_dns != ([original_bytes[dns]] if dns else []):
        problems.append("alert %d (flow %s): the DNS answer written is not the last one tshark finds before the flow"
                        % (flow_id, uid))
    compared += len(theirs)
    dns_compared += len(ours_dns)

(packets, data_bytes), = db.execute("SELECT count(*), coalesce(sum(caplen), 0) FROM evidence_packets").fetchall()
try:
    (stored,), = db.execute("SELECT coalesce(sum(pgsize - unused), 0) FROM dbstat WHERE name IN ('evidence_packets', "
                            "'evidence_packet_chain') OR name LIKE 'sqlite_autoindex_evidence_packet%'").fetchall()
except sqlite3.Error:
    stored = None
for p in problems:
    print("%s: %s" % (name, p))
n = len(alerts)
print("%s: %d alerts, %d packets and %d DNS answers equal to tshark's frames; stored: %d packets, %d bytes of frames "
      "(%d per alert)%s" % (name, n, compared, dns_compared, packets, data_bytes, data_bytes // max(n, 1),
                            "" if stored is None else ", %d bytes used in the store (%d per alert)" % (stored, stored // max(n, 1))))
sys.exit(1 if problems or n == 0 or compared == 0 else 0)
