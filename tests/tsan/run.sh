#!/usr/bin/env bash
# ThreadSanitizer over the threaded paths: flow workers fed by the capture
# thread (--workers, offline, with snapshot barriers every second), and, as
# root, the PACKET_FANOUT lanes of live capture (tests/live/replay.sh runs a
# --workers 2 daemon). Builds egresswatchd with -fsanitize=thread in
# build-tsan/; any report fails the run (TSAN_OPTIONS halt_on_error).
#
#   tests/tsan/run.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-tsan"
out="$build/tsan-out"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DEGRESSWATCH_JEMALLOC=OFF \
    -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread > /dev/null
cmake --build "$build" -j"$(nproc)" --target egresswatchd make-bench-capture > "$build/tsan-build.log" 2>&1 ||
    { tail -30 "$build/tsan-build.log"; exit 1; }
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
rm -rf "$out"; mkdir -p "$out"
perl "$top/tests/tools/make-test-mmdb.pl" "$top/tests/tools/test-geo.spec" "$out/geoip" > /dev/null
"$build/tests/bench/make-bench-capture" --packets 20000 "$out/site.pcap" > /dev/null
run() {  # NAME ARGS...
    local name=$1
    shift
    if ! "$build/egresswatchd" -q -d "$out/$name.db" --geoip-dir "$out/geoip" --rules "$top/rules" "$@" 2> "$out/$name.err"; then
        cat "$out/$name.err"
        echo "FAIL: egresswatchd $* (ThreadSanitizer or an error, above)"
        exit 1
    fi
    echo "tsan: $name: clean"
}
run site-w2 -r "$out/site.pcap" --workers 2
run site-w3-flushed -r "$out/site.pcap" --workers 3 --flush-interval 1 --flush-clock packet
run sample-w3 -r "$top/samples/camera-network.pcap" --workers 3 --flush-interval 1 --flush-clock packet
if [ "$(id -u)" = 0 ] && command -v tcpreplay > /dev/null; then
    bash "$top/tests/live/replay.sh" "$build/egresswatchd" "$out/geoip" "$top/rules" \
        "$top/samples/camera-network.pcap" "$out/live" > "$out/live.out" 2>&1 ||
        { cat "$out/live.out"; grep -h -A30 "ThreadSanitizer" "$out"/live/*.log | head -60; echo "FAIL: live capture under ThreadSanitizer"; exit 1; }
    if grep -q "ThreadSanitizer" "$out"/live/*.log; then
        grep -h -A30 "ThreadSanitizer" "$out"/live/*.log | head -60
        echo "FAIL: ThreadSanitizer report in live capture"
        exit 1
    fi
    echo "tsan: live capture with PACKET_FANOUT lanes: clean ($(grep -c . "$out/live.out") lines of test output)"
else
    echo "tsan: live capture skipped (needs root and tcpreplay)"
fi
