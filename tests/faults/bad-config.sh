#!/usr/bin/env bash
# Fault: rules or geolocation files missing, unreadable or garbage.
#  At start-up: exit code 2 and a message that names the file (and, where the
#  message can know, what to do).
#  On reload (SIGHUP, or a geolocation file replaced): the daemon keeps
#  running on its old rules and databases, says why, and stores exactly what it
#  would have stored without the reload attempt.
# The unreadable cases and the reloads need root (to become nobody, and for a
# network namespace); without it they are skipped after the rest has passed.
#
#   tests/faults/bad-config.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
rm -rf "$OUT"; mkdir -p "$OUT"; chmod 755 "$OUT"
fail() { echo "FAIL: $*"; exit 1; }
root=$([ "$(id -u)" -eq 0 ] && echo yes || echo no)

# A fresh copy of the rules and geolocation databases, which the case breaks.
fresh_config() {
    rm -rf "$OUT/config"; mkdir -p "$OUT/config"
    cp -r "$RULES" "$OUT/config/rules"; cp -r "$GEOIP" "$OUT/config/geoip"
    chmod -R a+rX "$OUT/config"
}
# start_up_fails CASE EXPECTED_TEXT [ARGS]: egresswatchd must exit 2 saying EXPECTED_TEXT
# (run under the command in the array wrap, when set).
start_up_fails() {
    local name=$1 expected=$2 status=0
    shift 2
    rm -f "$OUT"/store.db*
    ${wrap[@]+"${wrap[@]}"} "$DAEMON" -r "$CAPTURE" -d "$OUT/store.db" --rules "$OUT/config/rules" --geoip-dir "$OUT/config/geoip" -q "$@" \
        2> "$OUT/$name.err" || status=$?
    [ "$status" = 2 ] || fail "$name: exit $status, expected 2"
    grep -qF -- "$expected" "$OUT/$name.err" || fail "$name: the message does not say \"$expected\": $(cat "$OUT/$name.err")"
    echo "$name: exit 2: $(head -c 300 "$OUT/$name.err")"
}
garbage() { head -c 4096 /dev/urandom > "$1"; }

echo "== start-up"
fresh_config; rm "$OUT/config/rules/domains.txt"
start_up_fails rules-missing "$OUT/config/rules/domains.txt: cannot read rules file (no such file); restore it"
fresh_config; echo "AS64500 somewhere-else Example" >> "$OUT/config/rules/networks.txt"
line=$(wc -l < "$OUT/config/rules/networks.txt")
start_up_fails rules-garbage "$OUT/config/rules/networks.txt:$line: "
fresh_config; garbage "$OUT/config/geoip/country.mmdb"
start_up_fails geoip-garbage "$OUT/config/geoip/country.mmdb"
fresh_config; rm -f "$OUT"/config/geoip/*ASN*.mmdb "$OUT"/config/geoip/asn.mmdb
status=0; "$DAEMON" -r "$CAPTURE" -d "$OUT/store.db" --rules "$OUT/config/rules" --geoip-dir "$OUT/config/geoip" -q \
    2> "$OUT/geoip-missing.err" || status=$?
if [ "$status" = 0 ]; then
    echo "geoip-missing: not checked: an ASN database in a default place was used ($(sed -n 1p "$OUT/geoip-missing.err"))"
else
    start_up_fails geoip-missing "geoip/build-databases.sh"
fi
if [ "$root" = yes ]; then
    source "$(dirname "$0")/../live/lib.sh"
    require_readable_by_nobody "$OUT/config/rules" "$OUT/config/geoip"
    fresh_config; chmod 000 "$OUT/config/rules/countries.txt"
    start_up_fails rules-unreadable "$OUT/config/rules/countries.txt: cannot read rules file (permission denied" --user nobody
    fresh_config; chmod 000 "$OUT/config/geoip/country.mmdb"
    start_up_fails geoip-unreadable "$OUT/config/geoip/country.mmdb" --user nobody
    # --webhook without libcurl, which is opened only then: hidden (/dev/null
    # mounted over it) in a mount namespace of the daemon's own.
    curl_lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libcurl\.so\.4 (libc6,x86-64) => //p' | head -1)
    if [ -n "$curl_lib" ] && unshare -m true 2> /dev/null; then
        fresh_config
        wrap=(unshare -m bash -c 'mount --bind /dev/null "$1" && shift && exec "$@"' hide-libcurl "$(readlink -f "$curl_lib")")
        start_up_fails webhook-without-libcurl "webhooks need libcurl (Debian: apt install libcurl4)" \
            --webhook http://127.0.0.1:9/hook
        unset wrap
    else
        echo "webhook-without-libcurl: not checked (no libcurl.so.4 in ldconfig's cache, or no mount namespace)"
    fi
else
    echo "SKIP: the unreadable-file and reload cases need root"
    exit 77
fi

echo "== reload"
source "$(dirname "$0")/../live/lib.sh"
require_live_capture
fresh_config
GEOIP="$OUT/config/geoip" RULES="$OUT/config/rules"
"$DAEMON" -r "$CAPTURE" -d "$OUT/offline.db" --geoip-dir "$GEOIP" --rules "$RULES" -q
make_link mirror
install -d -o nobody "$OUT/live"
log="$OUT/reload.log"
start_daemon "$log" -i mirror_rx -d "$OUT/live/store.db" --user nobody
kill -HUP "$DAEMON_PID"
wait_for_log "$log" "reloaded rules and geolocation (SIGHUP)"
echo "good files on SIGHUP: $(grep -m1 'reloaded rules and geolocation (SIGHUP)' "$log")"
# The rules break, then a geolocation database is replaced by garbage.
cp "$RULES/networks.txt" "$OUT/networks.txt.good"
echo "AS64500 somewhere-else Example" >> "$RULES/networks.txt"
kill -HUP "$DAEMON_PID"
wait_for_log "$log" "reload (SIGHUP) failed"
grep -qF "still using the previous rules and geolocation: $RULES/networks.txt:$line: " "$log" ||
    fail "the failed reload does not name the file and line"
echo "bad rules on SIGHUP: $(grep -m1 'reload (SIGHUP) failed' "$log")"
cp "$OUT/networks.txt.good" "$RULES/networks.txt"
garbage "$OUT/country.mmdb.new"; mv "$OUT/country.mmdb.new" "$GEOIP/country.mmdb"
wait_for_log "$log" "reload (a geolocation database changed) failed, still using the previous rules and geolocation: .*$GEOIP/country.mmdb"
echo "garbage database: $(grep -m1 'geolocation database changed' "$log")"
kill -0 "$DAEMON_PID" || fail "the daemon died"

# Traffic while the garbage is in place; the flows end (and are judged) at the stop.
ip netns exec "$NETNS" tcpreplay -q -x 4 -i mirror_tx "$CAPTURE" > /dev/null
sleep 1
stop_daemon "$DAEMON_PID" || fail "exit $?"
flow_lines "$OUT/offline.db" > "$OUT/offline.flows"
flow_lines "$OUT/live/store.db" > "$OUT/live.flows"
diff -u "$OUT/offline.flows" "$OUT/live.flows" || fail "with the old rules and databases kept, the flows should be as offline"
echo "the flows captured after the failed reloads are as with the old rules and databases: $(wc -l < "$OUT/live.flows") flows"
