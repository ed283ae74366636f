#!/usr/bin/env bash
# geoip/build-databases.sh without the network (a stand-in npm on PATH): a
# failing npm 9 ("npm ERR!") ends it with what failed and what to do (the
# TLS-inspecting proxy, a web proxy, MaxMind's files); an up-to-date OUTDIR
# says how old the data is and warns past 45 days. asn-csv-to-mmdb.pl dates
# the database by the data (MMDB_BUILD_EPOCH), which --version and --check show.
#
#   tests/ops/geoip-tools.sh EGRESSWATCHD GEOIP_DIR SOURCE_DIR OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 SOURCE=$3 OUT=$4
rm -rf "$OUT"; mkdir -p "$OUT/bin" "$OUT/geoip"
fail() { echo "FAIL: $*"; exit 1; }
command -v node > /dev/null || { echo "SKIP: no node (Debian: nodejs)"; exit 77; }
perl -MMaxMind::DB::Writer::Tree -e1 2> /dev/null || { echo "SKIP: no libmaxmind-db-writer-perl"; exit 77; }
build=$SOURCE/geoip/build-databases.sh
VERSION=2.3.2026061719  # data of 2026-06-17

# fake_npm MODE: npm that fails as npm 9 does behind a TLS-inspecting proxy
# (tls), with no route to the registry (offline), or answers `npm view` (ok).
fake_npm() {
    cat > "$OUT/bin/npm" <<NPM
#!/bin/sh
case "\$1 \$2" in "config get") echo https://registry.npmjs.org/; exit 0 ;; esac
case $1 in
    tls) echo "npm ERR! code SELF_SIGNED_CERT_IN_CHAIN" >&2
         echo "npm ERR! errno SELF_SIGNED_CERT_IN_CHAIN" >&2
         echo "npm ERR! request to https://registry.npmjs.org/x failed, reason: self-signed certificate in certificate chain" >&2
         exit 1 ;;
    offline) echo "npm ERR! code ECONNREFUSED" >&2; echo "npm ERR! errno ECONNREFUSED" >&2; exit 1 ;;
    ok) [ "\$1" = view ] && echo '"$VERSION"' && exit 0; echo "npm ERR! unexpected npm \$*" >&2; exit 1 ;;
esac
NPM
    chmod +x "$OUT/bin/npm"
}
run_build() { PATH="$OUT/bin:$PATH" bash "$build" "$OUT/geoip" > "$OUT/$1.out" 2> "$OUT/$1.err"; }

fake_npm tls
status=0; run_build tls || status=$?
[ "$status" = 1 ] || fail "tls: exit $status"
grep -q "^npm ERR! code SELF_SIGNED_CERT_IN_CHAIN" "$OUT/tls.err" || fail "tls: npm's own words are not shown: $(cat "$OUT/tls.err")"
grep -q "build-databases: error: 'npm view .*' failed: npm does not trust the registry's TLS certificate.*NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or npm config set cafile /path/to/ca.pem.*geoipupdate" \
    "$OUT/tls.err" || fail "tls: $(cat "$OUT/tls.err")"
echo "tls: exit 1: $(tail -n1 "$OUT/tls.err" | head -c 160)..."

fake_npm offline
status=0; run_build offline || status=$?
[ "$status" = 1 ] || fail "offline: exit $status"
grep -q "cannot be reached: behind a web proxy, set it (npm config set proxy" "$OUT/offline.err" ||
    fail "offline: $(cat "$OUT/offline.err")"
echo "offline: exit 1, says to set the proxy"

# Up to date: the data's age, and the warning (2026-06-17 is long past 45 days).
fake_npm ok
cp "$GEOIP/country.mmdb" "$OUT/geoip/country.mmdb"
cp "$GEOIP"/GeoLite2-ASN.mmdb "$OUT/geoip/asn.mmdb"
printf 'country.mmdb\t@ip-location-db/geo-whois-asn-country-mmdb@%s\tx\tx\nasn.mmdb\t@ip-location-db/asn@%s\tx\tx\n' \
    "$VERSION" "$VERSION" > "$OUT/geoip/VERSION.txt"
run_build current || fail "current: $(cat "$OUT/current.err")"
days=$(( ($(date -u +%s) - $(date -u -d 2026-06-17 +%s)) / 86400 ))
grep -qx "build-databases: asn.mmdb: data of 2026-06-17, $days days old" "$OUT/current.out" || fail "current: $(cat "$OUT/current.out")"
if [ "$days" -gt 45 ]; then
    grep -q "^build-databases: warning: asn.mmdb's data is $days days old (over 45).*deprecated its npm packages.*geoipupdate" \
        "$OUT/current.err" || fail "current: no warning: $(cat "$OUT/current.err")"
fi
echo "current: $(grep asn.mmdb "$OUT/current.out")"

# The converter dates the ASN database by the data, not by the conversion.
printf '1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n' > "$OUT/asn.csv"
mkdir -p "$OUT/dated"
MMDB_BUILD_EPOCH=$(date -u -d 2026-06-17 +%s) perl "$SOURCE/geoip/asn-csv-to-mmdb.pl" "$OUT/dated/asn.mmdb" "$OUT/asn.csv" \
    2> /dev/null || fail "asn-csv-to-mmdb.pl"
cp "$GEOIP/country.mmdb" "$OUT/dated/"
"$DAEMON" --version --geoip-dir "$OUT/dated" > "$OUT/version.out"
grep -q "network: asn.mmdb (GeoLite2-ASN, built 2026-06-17)" "$OUT/version.out" || fail "--version: $(cat "$OUT/version.out")"
"$DAEMON" --check -r "$SOURCE/samples/camera-network.pcap" -d "$OUT/store.db" --geoip-dir "$OUT/dated" > "$OUT/check.out"
grep -q "network data of 2026-06-17 ($days days old)" "$OUT/check.out" || fail "--check: $(cat "$OUT/check.out")"
if [ "$days" -gt 45 ]; then grep -q "older than 45 days: update it" "$OUT/check.out" || fail "--check: no warning"; fi
echo "dated: $(grep 'network data' "$OUT/check.out" | sed 's/^ *//')"
