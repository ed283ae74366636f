#!/usr/bin/env bash
# Builds fuzz_packets with clang, libFuzzer, ASan and UBSan in build-fuzz/, and
# runs it for a bounded time from a seed corpus: the frames of the generator's
# captures, the bundled sample and, if present, the real captures in
# ../shared/corpus. A crash, a sanitizer report or a leak fails the run; the
# input that caused it is left in build-fuzz/artifacts/.
#
#   tests/fuzz/run.sh [SECONDS]     (default 60)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-fuzz"
seconds=${1:-60}
CC=clang CXX=clang++ cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEGRESSWATCH_FUZZ=ON \
    -DBUILD_TESTING=OFF > /dev/null
cmake --build "$build" --target fuzz_packets seeds_from_pcap capgen -j"$(nproc)" > /dev/null
"$build/tests/fuzz/gen/capgen" "$build/test-captures" > /dev/null
captures=("$build"/test-captures/*.pcap "$top"/samples/*.pcap)
if [ -d "$top/../shared/corpus" ]; then
    mapfile -t -O "${#captures[@]}" captures < <(find "$top/../shared/corpus" -name '*.pcap' -o -name '*.pcapng')
fi
rm -rf "$build/seeds"
"$build/tests/fuzz/seeds_from_pcap" "$build/seeds" "${captures[@]}"
mkdir -p "$build/corpus" "$build/artifacts"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
"$build/tests/fuzz/fuzz_packets" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" "$build/corpus" "$build/seeds" > "$build/fuzz.log" 2>&1 || status=$?
grep -E '^(INFO: seed corpus|Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added))' "$build/fuzz.log" || true
if [ "$status" -ne 0 ]; then
    grep -v '^#[0-9]' "$build/fuzz.log"
    echo "fuzz_packets failed (exit $status); the input is in $build/artifacts/"
fi
exit "$status"
