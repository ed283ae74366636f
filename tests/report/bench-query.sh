#!/usr/bin/env bash
# Benchmark (not a test): how long filtered queries take on a large store.
# Builds a store of N synthetic flows (default 10 million: 2,000 devices over
# 90 days, one flow in five flagged) with the real schema, then times a week
# of one device's flows by IP and by MAC, and a month's report.
#   tests/report/bench-query.sh BUILD_DIR [WORK_DIR] [FLOWS]
set -euo pipefail
build=$1 work=${2:-/tmp/egresswatch-bench} flows=${3:-10000000}
mkdir -p "$work"
store="$work/bench-$flows.db"
if [ ! -s "$store" ]; then
    rm -f "$store"*
    # An empty store with the current schema: the daemon on an empty capture.
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' > "$work/empty.pcap"
    "$build/egresswatchd" -r "$work/empty.pcap" -d "$store" --geoip-dir "$build/test-geoip" > /dev/null 2>&1
    start=1793491200000000  # 2026-11-01T00:00:00Z minus 60 days of flows, then 30 after
    time sqlite3 "$store" <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
INSERT INTO devices (ip, mac, vendor, kind, identified_by, first_seen, last_seen)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1999)
SELECT '10.1.' || (i / 250) || '.' || (i % 250 + 1), printf('02:00:00:00:%02x:%02x', i / 256, i % 256),
       'Vendor ' || (i % 7), CASE i % 4 WHEN 0 THEN 'camera' WHEN 1 THEN 'iot' WHEN 2 THEN 'nvr' ELSE 'other' END,
       '[]', $start - 60 * 86400000000, $start + 30 * 86400000000
FROM n;
INSERT INTO flows (flow_uid, first_seen, last_seen, ip_version, transport, ip_proto, device_ip, device_port,
                   device_mac, remote_ip, remote_port, initiator, bytes_out, bytes_in, packets_out, packets_in,
                   domain, country, asn, as_org, state)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $flows - 1)
SELECT 'bench-' || i, $start - 60 * 86400000000 + i * (90 * 86400000000 / $flows),
       $start - 60 * 86400000000 + i * (90 * 86400000000 / $flows) + 30000000, 4, 'tcp', 6,
       '10.1.' || ((i % 2000) / 250) || '.' || ((i % 2000) % 250 + 1), 40000 + i % 20000,
       printf('02:00:00:00:%02x:%02x', (i % 2000) / 256, (i % 2000) % 256),
       '203.0.' || (i % 200) || '.' || (i % 250 + 1), 443, 'device', 500 + i % 5000, 900 + i % 7000, 10, 12,
       'host' || (i % 50) || '.example-cloud.cn', CASE i % 3 WHEN 0 THEN 'CN' WHEN 1 THEN 'DE' ELSE 'GB' END,
       4134 + i % 5, 'Network ' || (i % 5), 'closed'
FROM n;
INSERT INTO alerts (flow_id, severity, reasons) SELECT id, 'high', '["bench"]' FROM flows WHERE id % 5 = 0;
ANALYZE;
SQL
fi
cli="$build/egresswatch"
echo "store: $store ($(sqlite3 "$store" 'SELECT count(*) FROM flows') flows, $(du -h "$store" | cut -f1))"
run() {
    local what=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    "$cli" -d "$store" "$@" > "$work/out.txt"
    t1=$(date +%s.%N)
    printf '%-52s %6.3f s  %s lines\n' "$what" "$(echo "$t1 - $t0" | bc)" "$(wc -l < "$work/out.txt")"
}
week=(--since 2026-11-20 --until 2026-11-27)
run "flows of one device (IP), one week, csv" flows --device 10.1.3.7 "${week[@]}" --format csv
run "flows of one device (MAC), one week, csv" flows --device 02:00:00:00:03:07 "${week[@]}" --format csv
run "alerts of one device (IP), one week, table" alerts --device 10.1.3.7 "${week[@]}"
run "flows of one device to CN by bytes, one week, json" flows --device 10.1.3.7 --country CN --order bytes "${week[@]}" --format json
run "device story (IP), one week" device 10.1.3.7 "${week[@]}"
run "report, one day (2026-11-20), md" report --period 2026-11-20
