#!/usr/bin/env bash
# From a fresh checkout to an egress summary: installs the packages, builds,
# builds the default geolocation databases, runs egresswatchd on the bundled
# sample capture into a fresh store, and prints what the cameras sent where.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF > /dev/null
cmake --build build -j"$(nproc)" 2>&1 | grep -E "error|warning: unused" || true
[ -x build/egresswatchd ] || { echo "build failed"; exit 1; }
bash geoip/build-databases.sh build/geoip
store=build/sample.db
rm -f "$store" "$store-wal" "$store-shm"
./build/egresswatchd -r samples/camera-network.pcap -d "$store" --geoip-dir build/geoip
echo
echo "== Egress summary (egresswatch report) =="
./build/egresswatch -d "$store" report --period 2026-11 --format md
./build/egresswatch -d "$store" report --period 2026-11 --format html -o build/sample-report.html
echo
echo "== Egress alerts (flows that left the country or reached watched networks) =="
./build/egresswatch -d "$store" alerts
echo
echo "Store: $store   HTML report: build/sample-report.html   Check the evidence chain: build/egresswatch -d $store verify"
