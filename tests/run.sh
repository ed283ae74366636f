#!/usr/bin/env bash
# Builds egresswatch with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs the whole test suite (unit, end-to-end, corpus) with ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build-tests"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DEGRESSWATCH_SANITIZE=ON -DBUILD_TESTING=ON > /dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
