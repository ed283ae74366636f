#!/usr/bin/env bash
# The week-long real_home captures (../shared/corpus/real_home, SOURCES.md):
# one smart-home device each behind a home router that forwards every DNS
# lookup upstream and a mirror that tags one direction only. Checks, with
# default options, what real traffic broke before:
#   - each conversation is one flow: the IP bytes of every flagged
#     conversation (5-tuple) equal tshark's for the same packets;
#   - the router (192.168.1.1), which resolves the devices' cloud names on their
#     behalf, is a resolver and not a camera;
#   - the camera is a camera, the locks are not.
# Prints the camera/not-camera confusion table. Skipped when the corpus is absent.
set -u
daemon=$1 geoip=$2 corpus=$3 out=$4
dir="$corpus/real_home"
[ -d "$dir" ] || { echo "SKIP: no real_home captures at $dir"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
mkdir -p "$out"
# file, the device's address, the truth (from the dataset's file names)
cases="blink-cam-02 192.168.1.130 camera
ultraloq-hub-01 192.168.1.125 other
schlage-lock-01 192.168.1.122 other"
router=192.168.1.1
tp=0 fn=0 fp=0 tn=0 failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
printf '%-18s %-15s %-7s %-7s %6s %7s %s\n' capture device truth kind flows alerts evidence
while read -r name device truth; do
    file="$dir/$name.pcap"
    [ -f "$file" ] || continue
    store="$out/$name.db"
    rm -f "$store" "$store-wal" "$store-shm"
    "$daemon" -r "$file" -d "$store" --geoip-dir "$geoip" -q || { fail "$name: egresswatchd failed"; continue; }
    for ip in "$device" "$router"; do
        t=other; [ "$ip" = "$device" ] && t=$truth
        row=$(sqlite3 -separator $'\t' "$store" "SELECT kind, identified_by FROM devices WHERE ip = '$ip'")
        kind=$(cut -f1 <<< "$row"); evidence=$(cut -f2 <<< "$row"); [ -n "$kind" ] || kind=unseen
        flows=$(sqlite3 "$store" "SELECT count(*) FROM flows WHERE device_ip = '$ip'")
        alerts=$(sqlite3 "$store" "SELECT count(*) FROM flows f JOIN alerts a ON a.flow_id = f.id WHERE f.device_ip = '$ip'")
        k=other; [[ "$kind" == camera || "$kind" == nvr ]] && k=camera
        case "$t/$k" in
            camera/camera) tp=$((tp + 1)) ;; camera/other) fn=$((fn + 1)); fail "$name: $ip is a camera, came out $kind" ;;
            other/camera) fp=$((fp + 1)); fail "$name: $ip is not a camera, came out $kind" ;; other/other) tn=$((tn + 1)) ;;
        esac
        printf '%-18s %-15s %-7s %-7s %6s %7s %.110s\n' "$name" "$ip" "$t" "$kind" "$flows" "$alerts" "$evidence"
    done
    [[ "$(sqlite3 "$store" "SELECT identified_by FROM devices WHERE ip = '$router'")" == *'"dns-server:'* ]] ||
        fail "$name: the router is not marked as a DNS server"
    # Bytes of flagged conversations, per 5-tuple, against tshark's IP lengths.
    tshark -r "$file" -T fields -E separator=, -e ip.src -e ip.dst -e ip.proto -e tcp.srcport -e tcp.dstport \
        -e udp.srcport -e udp.dstport -e ip.len 2>/dev/null > "$out/$name.tshark.csv"
    sqlite3 -separator , "$store" "SELECT f.device_ip, f.remote_ip, f.ip_proto, coalesce(f.device_port, ''),
            coalesce(f.remote_port, ''), sum(f.bytes_out), sum(f.bytes_in), max(a.flow_id IS NOT NULL)
        FROM flows f LEFT JOIN alerts a ON a.flow_id = f.id WHERE f.remote_local = 0
        GROUP BY 1, 2, 3, 4, 5" > "$out/$name.store.csv"
    python3 - "$out/$name.tshark.csv" "$out/$name.store.csv" "$name" <<'PY' || failures=$((failures + 1))
import sys
from collections import defaultdict
wire = defaultdict(int)
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split(",")
    if len(f) < 8 or not f[0] or not f[7]:
        continue
    src, dst, proto = f[0], f[1], f[2].split(",")[0]
    sport = f[3] or f[5]
    dport = f[4] or f[6]
    wire[(src, dst, proto, sport, dport)] += int(f[7].split(",")[0])
checked = bad = 0
stored_bytes = wire_bytes = 0
for line in open(sys.argv[2]):
    dev, rem, proto, dport, rport, out_b, in_b, alert = line.rstrip("\n").split(",")
    if alert != "1":
        continue
    w_out = wire[(dev, rem, proto, dport, rport)]
    w_in = wire[(rem, dev, proto, rport, dport)]
    checked += 1
    stored_bytes += int(out_b) + int(in_b)
    wire_bytes += w_out + w_in
    if (int(out_b), int(in_b)) != (w_out, w_in):
        bad += 1
        if bad <= 5:
            print("  %s %s:%s -> %s:%s stored out/in %s/%s, tshark %d/%d" % (proto, dev, dport, rem, rport, out_b, in_b, w_out, w_in))
print("%s: %d flagged conversations, %d IP bytes stored, %d by tshark, %d differ" % (sys.argv[3], checked, stored_bytes, wire_bytes, bad))
sys.exit(1 if bad else 0)
PY
done <<< "$cases"
echo
echo "confusion (camera vs not): cameras found $tp, cameras missed $fn, non-cameras called cameras $fp, non-cameras right $tn"
[ "$failures" -eq 0 ]
