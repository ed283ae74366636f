#!/usr/bin/env bash
# Runs egresswatchd over every real capture in ../shared/corpus: each must be
# processed with exit code 0 (no crash, no sanitizer report) and leave a store
# that passes SQLite's integrity check.
set -u
daemon=$1 geoip=$2 corpus=$3 out=$4
if [ ! -d "$corpus" ]; then
    echo "SKIP: no corpus at $corpus (the real captures live beside the checkout in ../shared/corpus)"
    exit 77
fi
mkdir -p "$out"
failed=0 count=0
while IFS= read -r -d '' file; do
    count=$((count + 1))
    name=$(basename "$file")
    store="$out/$name.db"
    rm -f "$store" "$store-wal" "$store-shm"
    if ! "$daemon" -r "$file" -d "$store" --geoip-dir "$geoip" -q 2> "$out/$name.log"; then
        echo "FAIL: $file (exit $?):"; cat "$out/$name.log"; failed=$((failed + 1)); continue
    fi
    if ! grep -q '^ok$' < <(sqlite3 "$store" 'PRAGMA integrity_check'); then
        echo "FAIL: $file: store integrity check failed"; failed=$((failed + 1)); continue
    fi
    flows=$(sqlite3 "$store" 'select count(*) from flows')
    echo "ok: $name: $flows flows"
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
echo "$count captures, $failed failed"
[ "$failed" -eq 0 ]
