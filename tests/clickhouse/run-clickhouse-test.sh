#!/usr/bin/env bash
# The central view: four sensors' JSON lines loaded into a real ClickHouse
# server give the same egress summary as `egresswatch report` over the four
# sensors' stores.
#
#   run-clickhouse-test.sh EGRESSWATCHD EGRESSWATCH MAKE-BENCH-CAPTURE GEOIP_DIR OUTDIR TEST_CAPTURES_DIR
#
# Starts its own clickhouse-server (Debian's, 18.16) in OUTDIR, listening on
# 127.0.0.1 only, for at most 10 minutes, and stops it at the end. Exits 77
# (skipped) when clickhouse-server, clickhouse-client or jq is not installed.
# The sensors: two generated sites (one with home country DE, so that "abroad"
# differs per sensor), the bundled sample capture, and a recorder identified
# only after its flow abroad was recorded (late_identify.pcap).
set -euo pipefail

[ $# -eq 6 ] || { echo "usage: $0 EGRESSWATCHD EGRESSWATCH MAKE-BENCH-CAPTURE GEOIP_DIR OUTDIR TEST_CAPTURES_DIR" >&2; exit 2; }
ewd=$1 ew=$2 gen=$3 geoip=$4 out=$5 captures=$6
top=$(cd "$(dirname "$0")/../.." && pwd)
deploy="$top/deploy/clickhouse"
for tool in clickhouse-server clickhouse-client jq; do
    if ! command -v $tool > /dev/null; then
        echo "SKIPPED: $tool is not installed (Debian 12: apt-get install clickhouse-server clickhouse-client jq)"
        exit 77
    fi
done
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
passed=0 failed=0
check() {  # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1))
        echo "ok: $1"
    else
        failed=$((failed + 1))
        echo "FAILED: $1"
        echo "  egresswatch report: $2"
        echo "  ClickHouse:         $3"
    fi
}

# ---- four sensors -----------------------------------------------------------
"$gen" --packets 30000 --seed 1 "$out/site-a.pcap" > /dev/null
"$gen" --packets 30000 --seed 2 "$out/site-b.pcap" > /dev/null
sensors=(site-a site-b sample late)
declare -A capture=([site-a]="$out/site-a.pcap" [site-b]="$out/site-b.pcap" [sample]="$top/samples/camera-network.pcap"
                    [late]="$captures/late_identify.pcap")
declare -A home=([site-a]=GB [site-b]=DE [sample]=GB [late]=GB)
for s in "${sensors[@]}"; do
    "$ewd" -q -r "${capture[$s]}" -d "$out/$s.db" --geoip-dir "$geoip" --rules "$top/rules" \
        --home-country "${home[$s]}" --json-log "$out/$s.jsonl"
    echo "$s: $(wc -l < "$out/$s.jsonl") JSON lines, home country ${home[$s]}"
done

# ---- a ClickHouse server of our own -------------------------------------------
port=""
for offset in $(seq 0 200); do
    p=$((20000 + ($$ + offset * 7) % 20000))
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port on 127.0.0.1" >&2; exit 1; }
ch="$out/clickhouse"
mkdir -p "$ch/data" "$ch/tmp" "$ch/user_files" "$ch/format_schemas"
cat > "$ch/config.xml" << EOF
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$ch/server.log</log><errorlog>$ch/server.err.log</errorlog><console>0</console></logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$port</tcp_port>
    <path>$ch/data/</path>
    <tmp_path>$ch/tmp/</tmp_path>
    <user_files_path>$ch/user_files/</user_files_path>
    <format_schema_path>$ch/format_schemas/</format_schema_path>
    <users_config>$ch/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <max_concurrent_queries>8</max_concurrent_queries>
</yandex>
EOF
cat > "$ch/users.xml" << EOF
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
EOF
timeout 600 clickhouse-server --config-file="$ch/config.xml" > "$ch/stdout.log" 2>&1 &
server=$!
stop_server() {
    kill "$server" 2> /dev/null || true
    wait "$server" 2> /dev/null || true
}
trap stop_server EXIT
client="clickhouse-client --host 127.0.0.1 --port $port"
for i in $(seq 120); do
    $client --query "SELECT 1" > /dev/null 2>&1 && break
    if ! kill -0 "$server" 2> /dev/null; then
        cat "$ch/stdout.log" "$ch/server.err.log" >&2 2> /dev/null || true
        echo "clickhouse-server did not start" >&2
        exit 1
    fi
    sleep 0.5
done
echo "clickhouse-server $($client --query 'SELECT version()') on 127.0.0.1:$port"

# ---- load -------------------------------------------------------------------
load="$deploy/egresswatch-clickhouse-load"
first=yes
for s in "${sensors[@]}"; do
    create=()
    [ $first = yes ] && create=(--create) && first=no
    "$load" --client "$client" "${create[@]}" --sensor "$s" --home-country "${home[$s]}" "$out/$s.jsonl"
done
# Loading a file again changes nothing.
"$load" --client "$client" --sensor site-a --home-country GB "$out/site-a.jsonl"
check "site-a loaded twice: one row per final flow record" \
    "$(jq -c 'select(.event_type == "flow")' "$out/site-a.jsonl" | wc -l)" \
    "$($client --query "SELECT count() FROM egresswatch.records FINAL WHERE sensor = 'site-a' AND event_type = 'flow'")"

# Device events: each sensor's devices and kinds are its store's.
for s in "${sensors[@]}"; do
    check "$s: devices per kind" \
        "$(sqlite3 -separator ' ' "$out/$s.db" "SELECT kind, count(*) FROM devices GROUP BY kind ORDER BY kind" | paste -sd' ')" \
        "$($client --query "SELECT kind, count() FROM egresswatch.sensor_devices WHERE sensor = '$s' GROUP BY kind ORDER BY kind" | tr '\t' ' ' | paste -sd' ')"
done
# The late sensor's recorder: its flow abroad was recorded as "other", and the
# summary must count it as a camera's (its device event says camera).
check "late: the flow abroad was recorded before the recorder was known" "other camera" \
    "$(jq -r 'select(.event_type == "flow" and .country == "DE") | .device_kind' "$out/late.jsonl") $(sqlite3 "$out/late.db" "SELECT kind FROM devices WHERE ip = '10.20.1.30'")"

# ---- compare ----------------------------------------------------------------
since=2026-11-02 until=2026-11-03
stores=()
for s in "${sensors[@]}"; do stores+=(-d "$out/$s.db"); done
"$ew" "${stores[@]}" report --since $since --until $until --format json > "$out/report.json"
"$deploy/egresswatch-clickhouse-summary" --client "$client" --since $since --until $until --format JSONEachRow \
    > "$out/summary.jsonl"
"$deploy/egresswatch-clickhouse-summary" --client "$client" --since $since --until $until --format PrettyCompactNoEscapes \
    > "$out/summary.txt"
# ClickHouse 18.16 quotes 64-bit integers in JSON.
summary() { jq -c "$1" "$out/summary.jsonl" | jq -sc "${2:-.}"; }
report() { jq -c "$1" "$out/report.json"; }
num='{flows: (.flows | tonumber), bytes_out: (.bytes_out | tonumber), bytes_in: (.bytes_in | tonumber)}'
for kind in cameras iot; do
    check "$kind: flows and bytes abroad" \
        "$(report ".headline.${kind}_abroad | {flows, bytes_out, bytes_in}")" \
        "$(summary "select(.section == \"$kind\") | $num" '.[0]')"
    check "$kind: devices that sent bytes abroad" \
        "$(report ".headline.${kind}_sent_abroad")" \
        "$(summary "select(.section == \"$kind\") | .devices | tonumber" '.[0]')"
done
check "bytes abroad per country" \
    "$(report '[.countries[] | {key, flows, bytes_out, bytes_in}] | sort_by(.key)')" \
    "$(summary "select(.section == \"country\") | {key} + $num" 'sort_by(.key)')"
check "bytes abroad per network" \
    "$(report '[.networks[] | {key, flows, bytes_out, bytes_in}] | sort_by(.key)')" \
    "$(summary "select(.section == \"network\") | {key} + $num" 'sort_by(.key)')"
check "something was abroad (the comparison is not of zeros)" true \
    "$(report '.headline.cameras_abroad.bytes_out > 0 and (.countries | length) > 1')"
echo
cat "$out/summary.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
