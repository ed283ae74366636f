#!/usr/bin/env bash
# --workers N must store the same records as one worker: every flow (counts,
# bytes, names, geolocation), every alert, every device with its evidence in
# order, every passive DNS answer and every evidence packet. Checked on the
# generated test captures, a 20,000-packet site capture from the benchmark
# generator and, when ../shared/corpus is there, on every real capture in it;
# the generated ones also with open flows written every second of packet time
# (a flush barrier each second, collected late by the workers' sensor).
#
#   same-records.sh EGRESSWATCHD EGRESSWATCH MAKE-BENCH-CAPTURE GEOIP RULES CAPTURES CORPUS OUT
set -euo pipefail
daemon=$1 cli=$2 bench_gen=$3 geoip=$4 rules=$5 captures=$6 corpus=$7 out=$8
rm -rf "$out"; mkdir -p "$out"
"$bench_gen" --packets 20000 "$out/site.pcap" > /dev/null
inputs=("$out/site.pcap" "$captures"/*.pcap)
flushed=("${inputs[@]}")
if [ -d "$corpus" ]; then
    while IFS= read -r f; do inputs+=("$f"); done < <(find "$corpus" -name '*.pcap' -o -name '*.pcapng' | sort)
else
    echo "($corpus is absent: the real captures are not compared)"
fi

# Everything the store says, in a stable order (the run id in flow uids aside).
records() {
    local store=$1
    "$cli" -d "$store" flows --format csv | LC_ALL=C sort
    "$cli" -d "$store" alerts --format csv | LC_ALL=C sort
    "$cli" -d "$store" devices --format json
    "$cli" -d "$store" dns --format csv | LC_ALL=C sort
    sqlite3 "$store" "SELECT vlan, inner_vlan, ip_version, initiator, state, count(*) FROM flows GROUP BY 1, 2, 3, 4, 5"
    sqlite3 "$store" "SELECT packets, malformed, flows_evicted FROM capture_stats"
    # Evidence packets, by their flow's Community ID and first packet.
    sqlite3 "$store" "SELECT f.community_id, f.first_seen, e.seq, e.direction, e.ts, e.caplen, e.origlen, e.sha256
                      FROM evidence_packets e JOIN flows f ON f.id = e.flow_id ORDER BY 1, 2, 3"
}

failed=0 compared=0 flows=0
runs=()
for input in "${inputs[@]}"; do runs+=("$input|$(basename "$input")|"); done
for input in "${flushed[@]}"; do runs+=("$input|$(basename "$input").flushed|--flush-interval 1 --flush-clock packet"); done
for run in "${runs[@]}"; do
    IFS='|' read -r input name options <<< "$run"
    for workers in 1 3; do
        store="$out/$name.$workers.db"
        # shellcheck disable=SC2086 # options are words
        if ! "$daemon" -q -r "$input" -d "$store" --geoip-dir "$geoip" --rules "$rules" --workers $workers $options \
            2> "$out/$name.$workers.err"; then
            echo "FAIL $name: egresswatchd --workers $workers failed:"; cat "$out/$name.$workers.err"
            failed=1
            continue
        fi
        records "$store" > "$out/$name.$workers.txt"
        "$cli" -d "$store" verify > /dev/null || { echo "FAIL $name --workers $workers: verify"; failed=1; }
        if [ $workers -gt 1 ] && ! diff -u "$out/$name.1.txt" "$out/$name.$workers.txt" > "$out/$name.$workers.diff"; then
            echo "FAIL $name: --workers $workers stored other records than one worker:"
            head -20 "$out/$name.$workers.diff"
            failed=1
        fi
    done
    compared=$((compared + 1))
    flows=$((flows + $(sqlite3 "$out/$name.1.db" 'SELECT count(*) FROM flows')))
done
echo "$compared captures, $flows flows: $([ $failed = 0 ] && echo 'the same records with 1 and 3 workers' || echo 'DIFFERENCES (above)')"
exit $failed
