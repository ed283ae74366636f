#!/usr/bin/env bash
# egresswatchd --workers 1,2,4,8,12 against ndpiReader -q on a generated and a
# real-traffic capture, on a machine with many cores, from the kit that
# tests/bench/make-device-kit.sh builds (nothing installed there is used).
#
#   bash KIT/device-scaling.sh [--generated N] [--real N] [--runs N] [--workers 1,2,4,8,12]
#                              [--work DIR] [--budget-s S]
#
# Defaults: 2,000,000 generated packets (make-bench-capture, about a minute of
# capture time), 2,000,000 real packets (make-real-capture: the corpus over a
# week), 2 runs of each, in DIR (default: a new folder under /tmp). Runs stop
# being started once S seconds (default 300) have passed, so that the whole
# script ends within about six minutes; what was measured is still printed.
# Prints one table (median wall seconds, packets/s, speed-up over one
# worker), CPU seconds per thread of one run per count with how many packets
# the capture thread handed to the workers, in how many batches, with how
# many barriers, and whether every --workers N stored the same records as one worker (exit 1
# if not).
set -euo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
generated=2000000 real=2000000 runs=2 counts=1,2,4,8,12 budget=300 work=""
while [ $# -gt 0 ]; do
    case "$1" in
    --generated) generated=${2:?}; shift 2 ;;
    --real) real=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --workers) counts=${2:?}; shift 2 ;;
    --work) work=${2:?}; shift 2 ;;
    --budget-s) budget=${2:?}; shift 2 ;;
    *) sed -n '2,19s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
work=${work:-$(mktemp -d /tmp/ew-scaling.XXXXXX)}
mkdir -p "$work"
started=$(date +%s)
elapsed() { echo $(($(date +%s) - started)); }
run_kit() { "$kit/lib/ld-linux-x86-64.so.2" --library-path "$kit/lib" "$kit/bin/$@"; }
loader=("$kit/lib/ld-linux-x86-64.so.2" --library-path "$kit/lib")
data="$kit/data"
val() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

echo "== egresswatchd --workers scaling ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1 /proc/loadavg);" \
    "$(. /etc/os-release 2> /dev/null && echo "$PRETTY_NAME")"
echo "kit: $kit; work: $work"

# ---- captures (made here: the kit has the tools, not the bytes) --------------
t0=$(date +%s.%N)
run_kit make-bench-capture --packets "$generated" "$work/generated.pcap" > /dev/null
mkdir -p "$work/corpus"
tar -C "$work/corpus" -xzf "$data/corpus.tar.gz"
run_kit make-real-capture --packets "$real" "$work/real.pcap" \
    "$work/corpus"/{real_home,iot_sentinel,ndpi}/*.pcap* > "$work/real.made"
echo "captures ready in $(calc %.1f "$(date +%s.%N) - $t0") s: generated $generated packets;" \
    "real: $(sed 's/^[^:]*: //' "$work/real.made")"
real_n=$(sed -n 's/.*: \([0-9]*\) packets,.*/\1/p' "$work/real.made")

ew() {  # RESULT STORE CAPTURE [options]
    local result=$1 store=$2 cap=$3
    shift 3
    rm -f "$store" "$store-wal" "$store-shm"
    run_kit bench-probe --threads --interval-ms 20 --out "$result" -- "${loader[@]}" "$kit/bin/egresswatchd" \
        -r "$cap" -d "$store" --rules "$data/rules" --geoip-dir "$data/geoip" --oui-dir "$data/ieee-data" "$@" \
        2> "$result.err" || { cat "$result.err" >&2; echo "egresswatchd failed: $*" >&2; exit 1; }
}
ndpi() {  # RESULT CAPTURE
    run_kit bench-probe --out "$1" -- "${loader[@]}" "$kit/bin/ndpiReader" -q -i "$2" > /dev/null 2> "$1.err" ||
        { cat "$1.err" >&2; echo "ndpiReader failed" >&2; exit 1; }
}
records() { run_kit egresswatch -d "$1" flows --format csv | LC_ALL=C sort | md5sum | cut -d' ' -f1; }

IFS=, read -r -a worker_counts <<< "$counts"
differ=no
declare -A wall cpu_threads same
for cap in generated real; do
    for i in $(seq "$runs"); do
        for w in "${worker_counts[@]}" ndpi; do
            [ "$(elapsed)" -lt "$budget" ] || continue
            if [ "$w" = ndpi ]; then
                ndpi "$work/$cap-ndpi-$i.txt" "$work/$cap.pcap"
            else
                ew "$work/$cap-w$w-$i.txt" "$work/$cap-w$w.db" "$work/$cap.pcap" --workers "$w"
            fi
        done
    done
    for w in "${worker_counts[@]}"; do
        [ -f "$work/$cap-w$w.db" ] || continue
        if [ "$(records "$work/$cap-w$w.db")" = "$(records "$work/$cap-w1.db")" ]; then same[$cap-$w]=same; else
            same[$cap-$w]=DIFFERENT; differ=yes; fi
    done
done
[ "$(elapsed)" -lt "$budget" ] || echo "(the ${budget} s budget ran out: runs after it were not started)"

# ---- the table ----------------------------------------------------------------
echo
echo "median wall seconds (packets/s; speed-up over --workers 1) of $runs runs; egresswatchd with default options"
header="capture"
for w in "${worker_counts[@]}"; do header+=" | w$w"; done
echo "$header | ndpiReader -q | w8 / w1 | w1 / ndpiReader"
for cap in generated real; do
    n=$generated
    [ $cap = real ] && n=$real_n
    line="$cap, $n packets"
    declare -A med=()
    for w in "${worker_counts[@]}" ndpi; do
        local_walls=()
        for i in $(seq "$runs"); do
            f="$work/$cap-$([ $w = ndpi ] && echo ndpi || echo "w$w")-$i.txt"
            [ -f "$f" ] && local_walls+=("$(val "$f" wall_s)")
        done
        if [ ${#local_walls[@]} -eq 0 ]; then med[$w]=""; line+=" | -"; continue; fi
        med[$w]=$(median "${local_walls[@]}")
        cell="${med[$w]} s ($(calc %.0f "$n / ${med[$w]}")/s"
        [ "$w" != ndpi ] && [ -n "${med[1]:-}" ] && cell+="; $(calc %.2f "${med[1]} / ${med[$w]}")x"
        line+=" | $cell)"
    done
    w8=-; [ -n "${med[8]:-}" ] && [ -n "${med[1]:-}" ] && w8=$(calc %.2f "${med[1]} / ${med[8]}")x
    r=-; [ -n "${med[ndpi]:-}" ] && [ -n "${med[1]:-}" ] && r=$(calc %.2f "${med[ndpi]} / ${med[1]}")x
    echo "$line | $w8 | $r"
    unset med
done
echo
echo "CPU seconds per thread (run 1), and records against --workers 1:"
for cap in generated real; do
    for w in "${worker_counts[@]}"; do
        f="$work/$cap-w$w-1.txt"
        [ -f "$f" ] || continue
        echo "  $cap w$w: wall $(val "$f" wall_s) s, CPU $(val "$f" cpu_s) s; $(val "$f" threads | sed -e 's/,/, /g' -e 's/ld-linux-x86-64/capture/');" \
            "records ${same[$cap-$w]:-not compared}"
        # Where the packets were processed (egresswatchd's line after its summary).
        sed -n 's/^egresswatchd: --workers [0-9]*: /    /p' "$f.err"
    done
done
echo "targets: w8 / w1 at least 4x on both captures; w1 / ndpiReader at least 2x (real) and 3x (generated)"
echo "took $(elapsed) s"
[ $differ = no ]
