#!/usr/bin/env bash
# One end-to-end case: run egresswatchd on generated captures with the test
# geolocation databases, then compare the store (through the CLI, and the
# columns the CLI does not show) with the case's baselines.
# UPDATE_BASELINES=1 writes the actual outputs as the new baselines.
set -euo pipefail
case_dir=$1 daemon=$2 cli=$3 CAPTURES=$4 GEOIP=$5 out=$6
SOURCE=$(cd "$case_dir/../../.." && pwd)
rm -rf "$out"; mkdir -p "$out/actual"
store="$out/store.db"
args=$(grep -v '^#' "$case_dir/args")
status=0
eval "\"$daemon\" -d \"$store\" --geoip-dir \"$GEOIP\" --rules \"$SOURCE/rules\" $args" > "$out/actual/daemon.out" 2> "$out/actual/daemon.err" || status=$?
echo "exit $status" >> "$out/actual/daemon.out"
# Paths differ between machines: name them by role.
sed -i -e "s|$store|STORE|g" -e "s|$CAPTURES|CAPTURES|g" -e "s|$GEOIP|GEOIP|g" -e "s|$SOURCE|SOURCE|g" "$out/actual/daemon.err"
if [ "$status" -eq 0 ]; then
    for what in flows alerts devices; do
        "$cli" -d "$store" "$what" --format json > "$out/actual/$what.json"
    done
    # What the JSON does not carry: VLANs, IP version, initiator, state, ports.
    sqlite3 -header -separator ' ' "$store" \
        "SELECT vlan, inner_vlan, ip_version, transport, device_ip, device_port, remote_ip, remote_port,
                initiator, packets_out, bytes_out, packets_in, bytes_in, state
         FROM flows ORDER BY first_seen, device_ip, device_port, remote_ip, remote_port" > "$out/actual/store.txt"
    sqlite3 -header -separator ' ' "$store" \
        "SELECT packets, malformed FROM capture_stats ORDER BY start_time" > "$out/actual/capture_stats.txt"
fi
expected="$case_dir/expected"
if [ "${UPDATE_BASELINES:-0}" = 1 ]; then
    rm -rf "$expected"; cp -r "$out/actual" "$expected"
    echo "baselines updated: $expected"; exit 0
fi
if diff -ru "$expected" "$out/actual"; then
    echo "e2e $(basename "$case_dir"): ok"
else
    echo "e2e $(basename "$case_dir"): differs from the baselines (above). If the change is right:"
    echo "  UPDATE_BASELINES=1 ctest -R e2e.$(basename "$case_dir")"
    exit 1
fi
