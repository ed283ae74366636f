#!/usr/bin/env bash
# Builds the kit that tests/bench/device-scaling.sh runs on a machine of another
# Linux distribution (many cores, nothing installed): the binaries and every
# shared library they load, with this system's dynamic loader, run as
#   lib/ld-linux-x86-64.so.2 --library-path lib bin/PROGRAM ...
#
#   tests/bench/make-device-kit.sh [--build DIR] [--corpus DIR] [--out DIR]
#
#   bin/   egresswatchd, egresswatch, make-bench-capture, make-real-capture,
#          bench-probe, ndpiReader (stripped)
#   lib/   their shared libraries and ld-linux-x86-64.so.2
#   data/  rules/, ieee-data/*.csv, geoip/ (the test databases),
#          corpus.tar.gz (the real captures make-real-capture replicates)
#   device-scaling.sh
# The captures are made on the device (seconds there): a capture of millions
# of packets does not fit the kit's 64 MiB. DIR/build (default build/) must
# be a Release or RelWithDebInfo build; the kit goes to DIR/devicekit.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build"
corpus="$top/../shared/corpus"
out=""
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=${2:?}; shift 2 ;;
    --corpus) corpus=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    *) sed -n '2,17s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
out=${out:-$build/devicekit}
die() { echo "make-device-kit: $*" >&2; exit 1; }
command -v ndpiReader > /dev/null || die "ndpiReader not found (Debian: libndpi-bin)"
grep -q '^EGRESSWATCH_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2> /dev/null && die "$build is built with sanitizers"
cmake --build "$build" -j"$(nproc)" --target egresswatchd egresswatch make-bench-capture make-real-capture bench-probe \
    > "$build/devicekit-build.log" 2>&1 || { tail -30 "$build/devicekit-build.log" >&2; die "build failed"; }

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/data"
programs=("$build/egresswatchd" "$build/egresswatch" "$build/tests/bench/make-bench-capture"
          "$build/tests/bench/make-real-capture" "$build/tests/bench/bench-probe" "$(command -v ndpiReader)")
for p in "${programs[@]}"; do
    strip --strip-all -o "$out/bin/$(basename "$p")" "$p"
    # Every library the loader resolves, and the loader itself.
    ldd "$p" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | while read -r lib; do
        [ -e "$out/lib/$(basename "$lib")" ] || strip --strip-unneeded -o "$out/lib/$(basename "$lib")" "$(readlink -f "$lib")"
    done
done
[ -e "$out/lib/ld-linux-x86-64.so.2" ] || die "no ld-linux-x86-64.so.2 among the libraries"
chmod +x "$out/lib/ld-linux-x86-64.so.2"

cp -r "$top/rules" "$out/data/rules"
mkdir -p "$out/data/ieee-data"
cp /usr/share/ieee-data/*.csv "$out/data/ieee-data/"
perl "$top/tests/tools/make-test-mmdb.pl" "$top/tests/tools/test-geo.spec" "$out/data/geoip" > /dev/null
[ -d "$corpus/real_home" ] || die "no real captures in $corpus (--corpus DIR)"
tar -C "$corpus" -czf "$out/data/corpus.tar.gz" real_home iot_sentinel ndpi
cp "$top/tests/bench/device-scaling.sh" "$out/"

# The kit must run without this system's libraries: try it.
"$out/lib/ld-linux-x86-64.so.2" --library-path "$out/lib" "$out/bin/egresswatchd" --version > /dev/null
"$out/lib/ld-linux-x86-64.so.2" --library-path "$out/lib" "$out/bin/ndpiReader" -h > /dev/null 2>&1 || true
size=$(du -sm "$out" | cut -f1)
echo "kit: $out, $size MiB ($(ls "$out/bin" | wc -l) programs, $(ls "$out/lib" | wc -l) libraries)"
[ "$size" -lt 64 ] || die "the kit is $size MiB: over the 64 MiB limit"
