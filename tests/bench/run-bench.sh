#!/usr/bin/env bash
# Benchmark: egresswatchd (full pipeline into a fresh store) against ndpiReader
# (Debian's libndpi-bin, one thread) on the same generated capture; then the
# flow table's memory with many concurrent flows, the store's write rate, and
# query latency on a large store. README.md "Performance" explains the numbers.
#
#   tests/bench/run-bench.sh [--size small|large] [--runs N] [--parts 1,2,3] [--real]
#                            [--corpus DIR] [--build DIR]
#
#   small  200k packets, 3 runs; 100k concurrent flows; a 1M-flow store (CI);
#          real traffic 1M packets, day/week 500k
#   large  2M packets, 5 runs; 1M concurrent flows; a 10M-flow store;
#          real traffic 8M packets, day/week 2M
#
# Parts: 1 throughput against ndpiReader, with --workers 2 and where --workers
# stops scaling (each stage's CPU per packet, the writer's rows/s), 2 concurrent
# flows (memory per flow, evictions, store write rate), 3 query latency, 4 real
# traffic against ndpiReader, with the same scaling lines (the real captures in
# DIR, default ../shared/corpus: real_home, iot_sentinel, ndpi, made one capture
# over a week by make-real-capture), 5 the same real packets over a day and
# over a week. 1,2,3 by default; --real is --parts 1,4,5 (both ratios).
# Defaults options everywhere.
#
# Builds the targets it needs with cmake --build in DIR (default build/; a
# Release or RelWithDebInfo build without sanitizers). Captures, the test
# geolocation databases and the query store are kept in DIR/bench and reused
# while their inputs are unchanged. Results are printed and saved to
# DIR/bench/results-SIZE.txt. Exits non-zero only when something fails to
# run (or --workers gives other records than one worker), never for a slow number.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
size=small
runs=""
build="$top/build"
parts=1,2,3
corpus="$top/../shared/corpus"
usage() { sed -n '2,29s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --size) size=${2:?--size needs small or large}; shift 2 ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --parts) parts=${2:?--parts needs a list such as 1,3}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --real) parts=1,4,5; shift ;;
    --corpus) corpus=${2:?--corpus needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
case "$size" in
small) packets=200000 conc=100000 rows=1000000 real_packets=1000000 span_packets=500000 runs=${runs:-3} ;;
large) packets=2000000 conc=1000000 rows=10000000 real_packets=8000000 span_packets=2000000 runs=${runs:-5} ;;
*) echo "run-bench: --size is small or large, not '$size'" >&2; exit 2 ;;
esac
die() { echo "run-bench: $*" >&2; exit 1; }
started=$(date +%s)

# ---- build ------------------------------------------------------------------
# Configure (again): new targets and files appear in the build, the cache is kept.
mkdir -p "$build"
cmake -S "$top" -B "$build" -DBUILD_TESTING=ON > "$build/bench-configure.log" 2>&1 ||
    { cat "$build/bench-configure.log" >&2; die "cmake could not configure $build"; }
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
build_type=${build_type:-RelWithDebInfo}  # CMakeLists.txt's default
case "$build_type" in
Release | RelWithDebInfo) ;;
*) die "$build is a '$build_type' build: benchmark a Release or RelWithDebInfo build (--build DIR)" ;;
esac
grep -q '^EGRESSWATCH_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && die "$build is built with sanitizers: use another --build DIR"
cmake --build "$build" -j"$(nproc)" --target egresswatchd egresswatch make-bench-capture make-real-capture bench-probe count-allocs > "$build/bench-build.log" 2>&1 ||
    { tail -30 "$build/bench-build.log" >&2; die "build failed (see $build/bench-build.log)"; }
ew="$build/egresswatchd"
cli="$build/egresswatch"
gen="$build/tests/bench/make-bench-capture"
real_gen="$build/tests/bench/make-real-capture"
probe="$build/tests/bench/bench-probe"
count_allocs="$build/tests/bench/libcount-allocs.so"
work="$build/bench"
mkdir -p "$work"
results="$work/results-$size.txt"
exec > >(tee "$results")

# ---- helpers ----------------------------------------------------------------
# key=value from a bench-probe result file.
val() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
load() { cut -d' ' -f1 /proc/loadavg; }
frame_bytes() {  # captured frame bytes in a classic pcap: file - header - 16 per record
    echo $(($(stat -c %s "$1") - 24 - 16 * $2))
}
# Regenerates a capture when it is missing or the generator changed.
capture() {  # FILE ARGS...
    local file=$1
    shift
    if [ ! -s "$file" ] || [ "$gen" -nt "$file" ]; then
        "$gen" "$@" "$file.tmp" > /dev/null && mv "$file.tmp" "$file"
    fi
}
ew_run() {  # RESULT STORE CAPTURE [egresswatchd options]: egresswatchd under bench-probe
    local result=$1 store=$2 cap=$3
    shift 3
    rm -f "$store" "$store-wal" "$store-shm"
    "$probe" --threads --out "$result" --watch "$cap" -- "$ew" -r "$cap" -d "$store" --geoip-dir "$work/geoip" \
        --rules "$top/rules" "$@" 2> "$result.err" || { cat "$result.err" >&2; die "egresswatchd failed on $cap"; }
}

echo "== egresswatch benchmark, size $size ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at start $(load)"
echo "egresswatch: $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown), $build_type build"
if awk -v l="$(load)" 'BEGIN { exit !(l > 0.7) }'; then
    echo "WARNING: the machine is busy (load $(load)): wall-clock rates will be low; CPU seconds are the steadier measure"
fi
have_ndpi=yes
command -v ndpiReader > /dev/null || have_ndpi=no
[ $have_ndpi = yes ] || echo "ndpiReader not found (Debian: libndpi-bin): the comparison is skipped"

# ---- inputs -----------------------------------------------------------------
spec="$top/tests/tools/test-geo.spec"
if [ ! -s "$work/geoip/GeoLite2-ASN.mmdb" ] || [ "$spec" -nt "$work/geoip/GeoLite2-ASN.mmdb" ]; then
    perl "$top/tests/tools/make-test-mmdb.pl" "$spec" "$work/geoip"
fi
cap="$work/site-$packets.pcap"
t0=$(date +%s.%N)
capture "$cap" --packets "$packets"
capture "$work/one.pcap" --packets 1
bytes=$(frame_bytes "$cap" "$packets")
echo "capture: $cap: $packets packets, $((bytes / 1000000)) MB of frames (ready in $(calc %.1f "$(date +%s.%N) - $t0") s)"

# Rows of the throughput tables, from bench-probe results PREFIX-1.txt ... PREFIX-RUNS.txt
# ($packets and $bytes: the capture's).
row() {  # LABEL PREFIX STARTUP
    local label=$1 prefix=$2 i
    local w=() c=() m=() e=()
    for i in $(seq "$runs"); do
        w+=("$(val "$work/$prefix-$i.txt" wall_s)")
        e+=("$(val "$work/$prefix-$i.txt" watch_end_s)")
        c+=("$(val "$work/$prefix-$i.txt" cpu_s)")
        m+=("$(val "$work/$prefix-$i.txt" maxrss_kb)")
    done
    local wall cpu rss eof
    wall=$(median "${w[@]}") cpu=$(median "${c[@]}") rss=$(median "${m[@]}") eof=$(median "${e[@]}")
    eval "${prefix}_wall=$wall ${prefix}_cpu=$cpu ${prefix}_eof=$eof"
    printf '%-26s %12.0f %9.1f %8.3f %8.3f %7.1f MiB %12.0f %9.3f %9s\n' "$label" \
        "$(calc %.0f "$packets / $wall")" "$(calc %.1f "$bytes * 8 / $wall / 1e6")" "$wall" "$cpu" \
        "$(calc %.1f "$rss / 1024")" "$(calc %.0f "$packets / $cpu")" "$3" \
        "$(awk -v e="$eof" 'BEGIN { if (e > 0) printf "%.3f", e; else print "-" }')"
    # CPU seconds per thread, in the first run (bench-probe --threads).
    local t
    t=$(val "$work/$prefix-1.txt" threads)
    if [ -n "$t" ]; then printf '%-26s %s\n' "" "CPU s per thread: ${t//,/, }"; fi
}
# The machine's speed drifts by a third over minutes: ratios of runs made
# back to back are steadier than a ratio of medians.
paired() {  # NUMERATOR-PREFIX DENOMINATOR-PREFIX: median and range of wall(num) / wall(den)
    local i r=()
    for i in $(seq "$runs"); do
        r+=("$(calc %.3f "$(val "$work/$1-$i.txt" wall_s) / $(val "$work/$2-$i.txt" wall_s)")")
    done
    printf '%s\n' "${r[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "median %.2f, from %.2f to %.2f over %d pairs", v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}

flow_records() { "$cli" -d "$1" flows --format csv | LC_ALL=C sort | md5sum | cut -d' ' -f1; }
# Whether two stores (one worker, --workers 2) hold the same flow records; if
# not, the benchmark exits 1 at the end.
same_records() {  # STORE-1 STORE-2
    [ "$(flow_records "$1")" = "$(flow_records "$2")" ] && return 0
    workers_differ=yes
    return 1
}
# CPU seconds of the threads whose names match REGEX, summed; median over the
# runs of PREFIX (bench-probe --threads).
thread_cpu() {  # PREFIX REGEX
    local i v=()
    for i in $(seq "$runs"); do
        v+=("$(val "$work/$1-$i.txt" threads | tr ',' '\n' | awk -F: -v re="$2" '$1 ~ re { s += $2 } END { printf "%.3f", s }')")
    done
    median "${v[@]}"
}
# What a ratio target asks of the time between start-up and the end of the
# capture, when start-up and what follows the end stay as they are: start-up
# is paid once per run, and after the end the flows still open are ended and
# the store writes its last records and closes, on one thread each.
# And the bound the cores set: the wall clock is at least the CPU seconds of
# all threads over the cores, whatever runs in parallel.
around_capture() {  # WALL-S EOF-S STARTUP-S PEER-WALL-S TARGET CPU-S
    local wall=$1 eof=$2 start=$3 peer=$4 target=$5 cpu=$6 cores
    cores=$(nproc)
    echo "  on $cores cores the wall clock is at least the CPU seconds over $cores ($(calc %.3f "$cpu / $cores") s):" \
        "at most $(calc %.2fx "$peer * $cores / $cpu") with this CPU per packet; ${target}x needs at most" \
        "$(calc %.3f "$peer * $cores / $target") CPU s"
    awk -v e="$eof" 'BEGIN { exit !(e > 0) }' || return 0
    awk -v w="$wall" -v e="$eof" -v s="$start" -v p="$peer" -v t="$target" 'BEGIN {
        tail = w - e; packets = e - s; goal = p / t
        printf "  start-up %.3f s, reading the capture %.3f s, after its end %.3f s (open flows ended, the last records, the store'"'"'s close)\n", s, packets, tail
        if (goal > s + tail) printf "  %.1fx needs %.3f s of wall clock: with start-up and the end as they are, reading in %.3f s (%.0f%% of now)\n", t, goal, goal - s - tail, 100 * (goal - s - tail) / packets
        else printf "  %.1fx needs %.3f s of wall clock: less than start-up and the end take now\n", t, goal
    }'
}

# Where --workers stops scaling, from the CPU seconds of each thread: the
# capture thread and the store writer are one thread each whatever the number
# of workers, so on any number of cores --workers N takes at least start-up +
# the longest of them (or of the workers' share, divided by N).
scaling_limit() {  # W1-PREFIX W2-PREFIX STORE STARTUP-S W1-WALL-S
    local one=$1 two=$2 store=$3 start=$4 one_wall=$5
    local cap1 cap2 flows2 writer rows
    cap1=$(thread_cpu "$one" '^egresswatchd$') cap2=$(thread_cpu "$two" '^egresswatchd$')
    flows2=$(thread_cpu "$two" '^ew-flows-') writer=$(thread_cpu "$one" '^ew-store$')
    rows=$(sqlite3 "$store" 'SELECT (SELECT count(*) FROM flows) + (SELECT count(*) FROM dns) +
        (SELECT count(*) FROM evidence_packets) + (SELECT count(*) FROM devices) + (SELECT count(*) FROM alerts)')
    local us="* 1e6 / $packets"
    echo "where --workers stops scaling (CPU seconds per thread, median of $runs runs; us = microseconds per packet):"
    printf '  %-30s %6.2f s %6.3f us  %s\n' "one worker: capture thread" "$cap1" "$(calc %.6f "$cap1 $us")" \
        "flows and nDPI too"
    printf '  %-30s %6.2f s %6.3f us  %s\n' "--workers 2: capture thread" "$cap2" "$(calc %.6f "$cap2 $us")" \
        "one thread: reads, decodes, hands over, DNS, DHCP, discovery, writes records"
    printf '  %-30s %6.2f s %6.3f us  %s\n' "--workers 2: flow workers" "$flows2" "$(calc %.6f "$flows2 $us")" \
        "shared out: flows, nDPI, evidence hold"
    printf '  %-30s %15.3f us  %s\n' "handing packets over" "$(calc %.6f "($cap2 + $flows2 - $cap1) $us")" \
        "the two above, less one worker's capture thread"
    # What was handed to the workers: egresswatchd's own line (first run).
    [ ! -f "$work/$two-1.txt.err" ] || sed -n 's/^egresswatchd: \(--workers 2: \)/  \1/p' "$work/$two-1.txt.err"
    printf '  %-30s %6.2f s %9.0f rows/s  %s\n' "store writer" "$writer" "$(calc %.0f "$rows / $writer")" \
        "one thread: $rows rows (flows, DNS, evidence packets, devices, alerts)"
    local floor8
    floor8=$(awk -v s="$start" -v c="$cap2" -v w="$writer" -v f="$flows2" \
        'BEGIN { m = c; if (w > m) m = w; if (f / 8 > m) m = f / 8; printf "%.3f", s + m }')
    echo "  so on any number of cores --workers 8 takes at least start-up + the longest of these ($floor8 s):" \
        "at most $(calc %.2f "$one_wall / $floor8")x one worker's $one_wall s; the target is 4x"
    local eof_of_one="${one}_eof" tail
    awk -v e="${!eof_of_one:-0}" 'BEGIN { exit !(e > 0) }' || return 0  # set by row()
    tail=$(calc %.3f "$one_wall - ${!eof_of_one}")
    echo "  and with start-up and what follows the capture's end as they are ($start + $tail s), no number" \
        "of workers gives more than $(calc %.2f "$one_wall / ($start + $tail)")x"
}

startup() {  # TOOL-PREFIX COMMAND...: median wall seconds on a one-packet capture
    local prefix=$1 i
    shift
    local w=()
    for i in 1 2 3; do
        rm -f "$work/one.db" "$work/one.db-wal" "$work/one.db-shm"
        "$probe" --out "$work/$prefix-start-$i.txt" -- "$@" > /dev/null 2>&1
        w+=("$(val "$work/$prefix-start-$i.txt" wall_s)")
    done
    median "${w[@]}"
}
measure_startup() {  # sets ew_start and ndpi_start
    ew_start=$(startup ew "$ew" -q -r "$work/one.pcap" -d "$work/one.db" --geoip-dir "$work/geoip" --rules "$top/rules")
    ndpi_start=0
    [ $have_ndpi = no ] || ndpi_start=$(startup ndpi ndpiReader -q -i "$work/one.pcap")
}

# ---- 1. throughput against ndpiReader ---------------------------------------
workers_opt=no
[[ "$("$ew" --help 2>&1)" == *--workers* ]] && workers_opt=yes
throughput() {
    for i in $(seq "$runs"); do
        ew_run "$work/ew-$i.txt" "$work/store-1.db" "$cap"
        if [ $workers_opt = yes ]; then
            ew_run "$work/ew2-$i.txt" "$work/store-2.db" "$cap" --workers 2
        fi
        if [ $have_ndpi = yes ]; then
            "$probe" --out "$work/ndpi-$i.txt" --watch "$cap" -- ndpiReader -q -i "$cap" > /dev/null 2> "$work/ndpi-$i.err" ||
                { cat "$work/ndpi-$i.err" >&2; die "ndpiReader failed"; }
        fi
    done
    measure_startup

    echo
    echo "1. Same capture, median of $runs runs (rates per wall-clock second; CPU s = user + system, all threads)"
    printf '%-26s %12s %9s %8s %8s %10s %12s %9s %9s\n' tool packets/s Mbit/s wall_s CPU_s peak_RSS pkts/CPU_s startup_s EOF_s
    row "egresswatchd" ew "$ew_start"
    [ $workers_opt = yes ] && row "egresswatchd --workers 2" ew2 "$ew_start"
    if [ $have_ndpi = yes ]; then
        row "ndpiReader -q (nDPI $(ndpiReader -h 2>&1 | sed -n 's/.*nDPI \([0-9.]*\).*/\1/p' | head -1))" ndpi "$ndpi_start"
        echo "ratio egresswatchd / ndpiReader, packets/s: $(calc %.2f "$ndpi_wall / $ew_wall") (wall)," \
            "$(calc %.2f "$ndpi_cpu / $ew_cpu") (per CPU second); the target is 3.00 or more (issue 17)"
        echo "  run by run (each pair back to back, so both saw the same machine): $(paired ndpi ew)"
        around_capture "$ew_wall" "$ew_eof" "$ew_start" "$ndpi_wall" 3 "$ew_cpu"
        [ "$size" = small ] && echo "  (the target is judged with --size large: on a small capture the fixed costs," \
            "start-up ${ew_start} s and writing the flows still open at the end, weigh more)"
    fi
    if awk -v e="$ew_eof" 'BEGIN { exit !(e > 0) }'; then
        echo "EOF_s: when the capture had been read (the file closed), out of wall_s; egresswatchd then ends every"
        echo "  flow and waits for the store. Up to EOF egresswatchd ran at $(calc %.0f "$packets / $ew_eof") packets/s."
    fi
    sed -n 's/^egresswatchd: /egresswatchd said: /p' "$work/ew-1.txt.err"
    echo "store: $(sqlite3 "$work/store-1.db" 'SELECT count(*) FROM flows') flows," \
        "$(sqlite3 "$work/store-1.db" 'SELECT count(*) FROM alerts') alerts," \
        "$(sqlite3 "$work/store-1.db" 'SELECT count(*) FROM devices') devices"
    if [ $workers_opt = yes ]; then
        echo "scaling --workers 2 / 1: $(calc %.2f "$ew_wall / $ew2_wall")x (wall); the target is 1.70 or more"
        echo "  run by run: $(paired ew ew2)"
        if same_records "$work/store-1.db" "$work/store-2.db"; then
            echo "records with --workers 2: the same as with one worker"
        else
            echo "records with --workers 2: DIFFERENT from one worker"
        fi
        scaling_limit ew ew2 "$work/store-1.db" "$ew_start" "$ew_wall"
    else
        echo "(egresswatchd has no --workers option yet: scaling not measured)"
    fi
}

# ---- 2. memory per flow, evictions, store write rate -------------------------
concurrent_flows() {
    echo
    echo "2. Concurrent flows (one packet each, all open at the end of the capture; --flush-interval 1000000)"
    printf '%-34s %10s %14s %14s %10s %12s\n' flows "RSS_at_EOF" "peak_RSS" "bytes/flow" "store_s" "rows/s"
    # The baseline has half the flows: a capture read in a few milliseconds
    # ends before the probe's first sample, and has no RSS at its end.
    local base_flows=$((conc / 2))
    for kind in dns syn; do
        capture "$work/flows-$kind-$base_flows.pcap" --concurrent-flows "$base_flows" --flow-kind $kind
        capture "$work/flows-$kind-$conc.pcap" --concurrent-flows "$conc" --flow-kind $kind
        ew_run "$work/flows-$kind-base.txt" "$work/flows.db" "$work/flows-$kind-$base_flows.pcap" -q --flush-interval 1000000
        ew_run "$work/flows-$kind.txt" "$work/flows.db" "$work/flows-$kind-$conc.pcap" -q --flush-interval 1000000
        base_rss=$(val "$work/flows-$kind-base.txt" watch_end_rss_kb)
        rss=$(val "$work/flows-$kind.txt" watch_end_rss_kb)
        [ "$base_rss" -gt 0 ] && [ "$rss" -gt 0 ] || die "the memory at the end of the capture was not sampled ($base_rss, $rss kB)"
        peak=$(val "$work/flows-$kind.txt" maxrss_kb)
        # After the last packet, the flows are ended and written: that tail is the store's pace.
        store_s=$(calc %.3f "$(val "$work/flows-$kind.txt" wall_s) - $(val "$work/flows-$kind.txt" watch_end_s)")
        label="$conc $kind ($([ $kind = dns ] && echo 'DPI done' || echo 'DPI pending'))"
        printf '%-34s %6.0f MiB %10.0f MiB %14.0f %10s %12.0f\n' "$label" "$(calc %.1f "$rss / 1024")" \
            "$(calc %.1f "$peak / 1024")" "$(calc %.0f "($rss - $base_rss) * 1024 / ($conc - $base_flows)")" \
            "$store_s" "$(calc %.0f "$conc / $store_s")"
        [ $kind = dns ] && dns_rss=$rss
    done
    echo "bytes/flow = (RSS with $conc flows - RSS with $base_flows flows) / $((conc - base_flows)), both sampled when the"
    echo "  capture has been read (before shutdown); peak RSS includes shutdown, when every flow is ended and queued"
    echo "  for the store at once. rows/s = $conc final flow records / (exit - end of capture)."
    # Updates: the same DNS flows, written once open at a flush at 29 s of
    # the capture's 30 (packet clock), so that the final records at shutdown
    # rewrite rows already there (those of the last second are new rows).
    ew_run "$work/flows-update.txt" "$work/flows.db" "$work/flows-dns-$conc.pcap" -q \
        --flush-clock packet --flush-interval 29
    local flushed update_s
    flushed=$(sqlite3 "$work/flows.db" "SELECT count(*) FROM flows WHERE first_seen < (SELECT min(first_seen) FROM flows) + 29000000")
    update_s=$(calc %.3f "$(val "$work/flows-update.txt" wall_s) - $(val "$work/flows-update.txt" watch_end_s)")
    echo "store updates: $conc final flow records at shutdown, $flushed of them rewriting a row written at a flush:" \
        "$update_s s, $(calc %.0f "$conc / $update_s") rows/s (new rows above: the same records, all new)"
    [ "$size" = large ] && echo "1 million concurrent flows (DPI done): $(calc %.0f "$dns_rss / 1024") MiB RSS; the target is under 1024 MiB"
    half=$((conc / 2))
    ew_run "$work/evict.txt" "$work/flows.db" "$work/flows-dns-$conc.pcap" --flush-interval 1000000 --max-flows $half
    echo "eviction: --max-flows $half on $conc flows: flows_evicted in capture_stats =" \
        "$(sqlite3 "$work/flows.db" 'SELECT coalesce(max(flows_evicted), 0) FROM capture_stats') (expected $((conc - half)));" \
        "flows in the store = $(sqlite3 "$work/flows.db" 'SELECT count(*) FROM flows')"
    grep -i evict "$work/evict.txt.err" || echo "  (egresswatchd printed nothing about evictions)"
    # The heap on the hot path: the same 10,000 flows with 40 and with 80
    # packets each. nDPI is done with each after at most 24, so the extra
    # packets are the steady state; what the capture thread (which tracks the
    # flows and runs nDPI, with one worker) allocates for them, per packet,
    # is the answer. The store's thread is counted apart: its batches follow
    # the wall clock.
    local m main=() all=()
    for m in 40 80; do
        capture "$work/stream-$m.pcap" --concurrent-flows 10000 --flow-kind stream --packets-per-flow $m
        rm -f "$work/flows.db" "$work/flows.db-wal" "$work/flows.db-shm"
        COUNT_ALLOCS_OUT="$work/allocs-$m.txt" LD_PRELOAD="$count_allocs" "$ew" -q -r "$work/stream-$m.pcap" \
            -d "$work/flows.db" --geoip-dir "$work/geoip" --rules "$top/rules" 2> "$work/allocs-$m.err" ||
            { cat "$work/allocs-$m.err" >&2; die "egresswatchd failed on $work/stream-$m.pcap"; }
        main+=("$(val "$work/allocs-$m.txt" main)")
        all+=("$(val "$work/allocs-$m.txt" all)")
    done
    local extra=$((main[1] - main[0]))
    echo "heap allocations per packet once DPI is done, capture thread: $extra for 400000 more packets" \
        "($(calc %.4f "($extra < 0 ? -$extra : $extra) / 400000") per packet; 10,000 flows: ${main[0]} allocations" \
        "with 40 packets each, ${main[1]} with 80; all threads ${all[0]} and ${all[1]}); the target is none"
}

# ---- 3. query latency -------------------------------------------------------
query_latency() {
    echo
    echo "3. Query latency on a $rows-flow store (30 days, 3000 devices; warm page cache; median of 5)"
    rm -f "$work/schema.db" "$work/schema.db-wal" "$work/schema.db-shm"
    "$ew" -q -r "$work/one.pcap" -d "$work/schema.db" --geoip-dir "$work/geoip" --rules "$top/rules"
    sqlite3 "$work/schema.db" 'PRAGMA journal_mode = DELETE' > /dev/null
    signature="$(sqlite3 "$work/schema.db" 'PRAGMA user_version; PRAGMA page_size; SELECT sql FROM sqlite_master ORDER BY name' | md5sum | cut -d' ' -f1) $rows $(md5sum < "$top/tests/bench/fill-store.sql" | cut -d' ' -f1)"
    qstore="$work/query-$rows.db"
    if [ -f "$qstore" ] && [ "$(cat "$qstore.ok" 2> /dev/null)" = "$signature" ]; then
        echo "(reusing $qstore)"
    else
        t0=$(date +%s)
        rm -f "$qstore" "$qstore.ok" "$qstore-wal" "$qstore-shm"
        cp "$work/schema.db" "$qstore.tmp"
        # Without the secondary indexes while filling, then the same indexes again.
        indexes=$(sqlite3 "$qstore.tmp" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        sqlite3 "$qstore.tmp" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL" |
            sqlite3 -bail "$qstore.tmp"
        { echo ".parameter set :rows $rows"; echo ".parameter set :t0_us 1790812800000000"; cat "$top/tests/bench/fill-store.sql"; } |
            sqlite3 -bail "$qstore.tmp" > /dev/null
        sqlite3 -bail "$qstore.tmp" "PRAGMA cache_size = -262144; $indexes PRAGMA journal_mode = WAL;" > /dev/null
        mv "$qstore.tmp" "$qstore"
        echo "$signature" > "$qstore.ok"
        echo "(built $qstore in $(($(date +%s) - t0)) s, $(($(stat -c %s "$qstore") / 1048576)) MiB)"
    fi
    week="--since 2026-10-24 --until 2026-10-31"  # the last week of the 30 days
    queries=(
        "flows --device 10.20.1.5 $week"
        "alerts --device 10.20.1.5 $week"
        "alerts --country CN $week --limit 1000"
        "flows --asn 37963 $week --limit 1000"
        "devices"
    )
    "$cli" --help 2>&1 | grep -qE '^ +report' && queries+=("report $week" "report --period 2026-10")
    printf '%-72s %10s %8s\n' "egresswatch -d STORE ..." "median_ms" "lines"
    for q in "${queries[@]}"; do
        w=()
        for i in 1 2 3 4 5; do
            # shellcheck disable=SC2086
            "$probe" --out "$work/query.txt" -- "$cli" -d "$qstore" $q > "$work/query.out" 2> "$work/query.err" ||
                { cat "$work/query.err" >&2; die "query failed: $q"; }
            w+=("$(val "$work/query.txt" wall_s)")
        done
        printf '%-72s %10.1f %8d\n' "$q" "$(calc %.1f "$(median "${w[@]}") * 1000")" "$(wc -l < "$work/query.out")"
    done
}

# ---- 4. real traffic against ndpiReader ---------------------------------------
# Builds (or reuses) a capture of the corpus's real traffic: FILE PACKETS [make-real-capture options].
real_capture() {
    local file=$1 n=$2
    shift 2
    local inputs=()
    local dir
    for dir in real_home iot_sentinel ndpi; do
        [ -d "$corpus/$dir" ] || die "no $corpus/$dir: the real captures are needed (--corpus DIR)"
        inputs+=("$corpus/$dir"/*.pcap "$corpus/$dir"/*.pcapng)
    done
    local existing=()
    for f in "${inputs[@]}"; do [ -f "$f" ] && existing+=("$f"); done
    local signature
    signature="$(ls -l "${existing[@]}" | md5sum | cut -d' ' -f1) $n $*"
    if [ ! -s "$file" ] || [ "$real_gen" -nt "$file" ] || [ "$(cat "$file.ok" 2> /dev/null)" != "$signature" ]; then
        "$real_gen" --packets "$n" "$@" "$file.tmp" "${existing[@]}" > "$file.made" && mv "$file.tmp" "$file"
        echo "$signature" > "$file.ok"
    fi
    sed -n 's/.*: \([0-9]*\) packets,.*/\1/p' "$file.made"
}

real_traffic() {
    local real="$work/real-$real_packets.pcap"
    local saved_packets=$packets saved_bytes=$bytes
    packets=$(real_capture "$real" "$real_packets")
    bytes=$(frame_bytes "$real" "$packets")
    echo
    echo "4. Real traffic: $(sed 's/^[^:]*: //' "$real.made")"
    echo "   $real, $((bytes / 1000000)) MB of frames; egresswatchd with default options; median of $runs runs"
    [ -n "${ew_start:-}" ] || measure_startup  # part 1 measures it, when it runs
    for i in $(seq "$runs"); do
        ew_run "$work/real_ew-$i.txt" "$work/store-real.db" "$real"
        [ $workers_opt = no ] || ew_run "$work/real_ew2-$i.txt" "$work/store-real-2.db" "$real" --workers 2
        if [ $have_ndpi = yes ]; then
            "$probe" --threads --out "$work/real_ndpi-$i.txt" --watch "$real" -- ndpiReader -q -i "$real" > /dev/null 2> "$work/real_ndpi-$i.err" ||
                { cat "$work/real_ndpi-$i.err" >&2; die "ndpiReader failed"; }
        fi
    done
    printf '%-26s %12s %9s %8s %8s %10s %12s %9s %9s\n' tool packets/s Mbit/s wall_s CPU_s peak_RSS pkts/CPU_s startup_s EOF_s
    row "egresswatchd" real_ew "$ew_start"
    if [ $have_ndpi = yes ]; then
        row "ndpiReader -q" real_ndpi "$ndpi_start"
        echo "ratio egresswatchd / ndpiReader on real traffic, packets/s: $(calc %.2f "$real_ndpi_wall / $real_ew_wall") (wall)," \
            "$(calc %.2f "$real_ndpi_cpu / $real_ew_cpu") (per CPU second); the target is 2.00 or more"
        echo "  run by run: $(paired real_ndpi real_ew)"
        around_capture "$real_ew_wall" "$real_ew_eof" "$ew_start" "$real_ndpi_wall" 2 "$real_ew_cpu"
    fi
    echo "store: $(sqlite3 "$work/store-real.db" 'SELECT count(*) FROM flows') flows," \
        "$(sqlite3 "$work/store-real.db" 'SELECT count(*) FROM alerts') alerts," \
        "$(sqlite3 "$work/store-real.db" 'SELECT count(*) FROM devices') devices"
    if [ $workers_opt = yes ]; then
        local w2=()
        for i in $(seq "$runs"); do w2+=("$(val "$work/real_ew2-$i.txt" wall_s)"); done
        local same="the same records as one worker"
        same_records "$work/store-real.db" "$work/store-real-2.db" || same="DIFFERENT records from one worker"
        echo "--workers 2 on real traffic: wall $(median "${w2[@]}") s, $(thread_cpu real_ew2 .) CPU s; $same"
        scaling_limit real_ew real_ew2 "$work/store-real.db" "$ew_start" "$real_ew_wall"
    fi
    packets=$saved_packets bytes=$saved_bytes
}

# ---- 5. the same packets over a day and over a week -------------------------
capture_span() {
    local day="$work/real-day-$span_packets.pcap" week="$work/real-week-$span_packets.pcap" n
    n=$(real_capture "$day" "$span_packets" --span-days 1)
    real_capture "$week" "$span_packets" --span-days 7 > /dev/null
    echo
    echo "5. The same $n real packets over 1 day and over 7 days of capture time (defaults; median of $runs runs)"
    for i in $(seq "$runs"); do
        ew_run "$work/day-$i.txt" "$work/store-day.db" "$day"
        ew_run "$work/week-$i.txt" "$work/store-week.db" "$week"
    done
    printf '%-10s %16s %16s %10s\n' span "wall_s/M_packets" "CPU_s/M_packets" flows
    local span w c
    for span in day week; do
        w=() c=()
        for i in $(seq "$runs"); do
            w+=("$(val "$work/$span-$i.txt" wall_s)")
            c+=("$(val "$work/$span-$i.txt" cpu_s)")
        done
        eval "${span}_w=$(calc %.3f "$(median "${w[@]}") * 1e6 / $n") ${span}_c=$(calc %.3f "$(median "${c[@]}") * 1e6 / $n")"
        printf '%-10s %16s %16s %10s\n' "$span" "$(eval echo \$${span}_w)" "$(eval echo \$${span}_c)" \
            "$(sqlite3 "$work/store-$span.db" 'SELECT count(*) FROM flows')"
    done
    echo "week / day: $(calc %.2f "$week_w / $day_w") (wall), $(calc %.2f "$week_c / $day_c") (CPU); the target is within 10% (0.90 to 1.10)"
    echo "  run by run (wall): $(paired week day)"
}

part() { [[ ",$parts," == *",$1,"* ]]; }
part 1 && throughput
part 2 && concurrent_flows
part 3 && query_latency
part 4 && real_traffic
part 5 && capture_span

echo
echo "load average at the end $(load); the benchmark took $(($(date +%s) - started)) s; results in $results"
[ "${workers_differ:-no}" = no ] || exit 1
