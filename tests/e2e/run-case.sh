#!/usr/bin/env bash
# One end-to-end case: run egresswatchd on generated captures with the test
# geolocation databases, then compare the store (through the CLI, and the
# columns the CLI does not show) with the case's baselines.
# UPDATE_BASELINES=1 writes the actual outputs as the new baselines.
#
# Optional files of a case, for the CLI's own baselines:
#   more-stores  lines "NAME DAEMON-ARGS": more stores, $OUT/NAME.db, from more captures
#   cli          lines "OUTPUT EGRESSWATCH-ARGS": egresswatch runs whose standard output
#                is compared as OUTPUT (and, if it fails or complains, OUTPUT.err);
#                $STORE is the case's store and $OUT its output folder
set -euo pipefail
case_dir=$1 daemon=$2 cli=$3 CAPTURES=$4 GEOIP=$5 out=$6
SOURCE=$(cd "$case_dir/../../.." && pwd)
CASE=$(cd "$case_dir" && pwd)
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
        "SELECT vlan, inner_vlan, vlan_in, inner_vlan_in, ip_version, transport, device_ip, device_port, remote_ip, remote_port,
                initiator, packets_out, bytes_out, packets_in, bytes_in, state
         FROM flows ORDER BY first_seen, device_ip, device_port, remote_ip, remote_port" > "$out/actual/store.txt"
    sqlite3 -header -separator ' ' "$store" \
        "SELECT packets, malformed FROM capture_stats ORDER BY start_time" > "$out/actual/capture_stats.txt"
fi
# Paths name their role; what changes from run to run is elided: hashes (of
# flows with a per-run id), the test databases' build date, the rules' size.
normalise() {
    sed -i -e "s|$store|STORE|g" -e "s|$out|OUT|g" -e "s|$CAPTURES|CAPTURES|g" -e "s|$GEOIP|GEOIP|g" \
        -e "s|$SOURCE|SOURCE|g" -e 's/[0-9a-f]\{64\}/HASH/g' -e 's/built [0-9-]\{10\}/built DATE/g' \
        -e 's/rules ([0-9]* entries)/rules (N entries)/g' "$@"
}
if [ "$status" -eq 0 ] && [ -f "$case_dir/more-stores" ]; then
    while read -r name more_args; do
        eval "\"$daemon\" -d \"$out/$name.db\" --geoip-dir \"$GEOIP\" --rules \"$SOURCE/rules\" $more_args" \
            > /dev/null 2> "$out/$name.err"
    done < <(grep -v -e '^#' -e '^$' "$case_dir/more-stores")
fi
if [ "$status" -eq 0 ] && [ -f "$case_dir/cli" ]; then
    STORE=$store OUT=$out
    while read -r name cli_args; do
        cli_status=0
        eval "\"$cli\" $cli_args" > "$out/actual/$name" 2> "$out/actual/$name.err" || cli_status=$?
        if [ "$cli_status" -ne 0 ] || [ -s "$out/actual/$name.err" ]; then
            echo "exit $cli_status" >> "$out/actual/$name.err"
            normalise "$out/actual/$name.err"
        else
            rm "$out/actual/$name.err"
        fi
        normalise "$out/actual/$name"
    done < <(grep -v -e '^#' -e '^$' "$case_dir/cli")
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
