#!/usr/bin/env bash
# Running it as a service would, on a live interface (needs root):
#  - started as root outside systemd without --user, it wants to become the
#    egresswatch user, and says what to do if there is none (exit 2);
#  - a geolocation database replaced on disk is reloaded by itself;
#  - open flows reach the store within a flush interval also when no more
#    packets come;
#  - kernel drops (the daemon stopped while traffic pours in) are logged when
#    they start and recorded in capture_stats; a stats line every interval;
#  - SIGHUP reopens the JSON log after rotation;
#  - SIGTERM writes everything and exits 0 within seconds;
#  - with --signing-key, the chain head is signed at flush intervals and on
#    exit, each checkpoint in the store and the JSON log.
#
#   tests/live/operations.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
source "$(dirname "$0")/lib.sh"
require_live_capture
rm -rf "$OUT"; install -d -o nobody "$OUT" "$OUT/geoip"
cp "$GEOIP"/*.mmdb "$OUT/geoip/"; GEOIP="$OUT/geoip"
make_link mirror
store="$OUT/store.db" log="$OUT/daemon.log"
fail() { echo "FAIL: $*"; tail -n 5 "$log"; exit 1; }

echo "== the default user"
if getent passwd egresswatch > /dev/null; then
    echo "not checked: an egresswatch user exists here"
else
    status=0
    in_netns env -u INVOCATION_ID "$DAEMON" -i mirror_rx -d "$store" --geoip-dir "$GEOIP" --rules "$RULES" \
        2> "$OUT/default-user.err" || status=$?
    [ "$status" = 2 ] && grep -q "user egresswatch does not exist" "$OUT/default-user.err" ||
        fail "started as root without --user: exit $status, $(cat "$OUT/default-user.err")"
    echo "exit 2: $(cat "$OUT/default-user.err")"
fi

echo "== start"
started=$(date +%s%N)
openssl genpkey -algorithm ed25519 -out "$OUT/signing.key" 2> /dev/null
chown nobody "$OUT/signing.key"
start_daemon "$log" -i mirror_rx -d "$store" --user nobody --json-log "$OUT/flows.json" --stats-interval 1 \
    --buffer-mb 1 --flush-interval 1 --signing-key "$OUT/signing.key"
echo "capturing $(( ($(date +%s%N) - started) / 1000000 )) ms after start"

echo "== a geolocation database replaced on disk"
cp "$GEOIP/country.mmdb" "$GEOIP/country.mmdb.new"
mv "$GEOIP/country.mmdb.new" "$GEOIP/country.mmdb"
wait_for_log "$log" "reloaded rules and geolocation (a geolocation database changed)"
echo "log: $(grep -m1 'geolocation database changed' "$log")"

echo "== open flows written in a quiet spell"
in_netns tcpreplay -q -x 4 -i mirror_tx "$CAPTURE" > /dev/null
sleep 2.5  # the flush interval (1 s), the writer's batch (1 s), and some slack
stored=$(sqlite3 "$store" 'SELECT total(packets_out + packets_in) FROM flows' | cut -d. -f1)
sent=$(capinfos -c -M "$CAPTURE" 2> /dev/null | awk '/Number of packets/ {print $NF}')
[ "$stored" = "$sent" ] || fail "2.5 s after the last packet the store has $stored of its $sent packets"
echo "all $sent packets in the store's open flows 2.5 s after the last one"

echo "== kernel drops"
kill -STOP "$DAEMON_PID"
in_netns tcpreplay -q --topspeed --loop=300 -i mirror_tx "$CAPTURE" > /dev/null
kill -CONT "$DAEMON_PID"
wait_for_log "$log" "the kernel dropped"
echo "log: $(grep -m1 'the kernel dropped' "$log")"
sleep 2
dropped=$(sqlite3 "$store" 'SELECT sum(dropped) FROM capture_stats')
[ "$dropped" -gt 0 ] || fail "no drops recorded in capture_stats"
echo "capture_stats: $dropped packets dropped recorded; stats lines: $(grep -c '^egresswatchd: stats:' "$log")"
grep -m1 "^egresswatchd: stats: .* [1-9][0-9]* packets dropped" "$log" || fail "no stats line with the drops"

echo "== log rotation and stop"
mv "$OUT/flows.json" "$OUT/flows.json.1"
kill -HUP "$DAEMON_PID"
wait_for_log "$log" "reloaded rules and geolocation (SIGHUP)"
stop_daemon "$DAEMON_PID" || fail "exit $? after SIGTERM"
echo "SIGTERM: exit 0 after $STOP_MS ms: $(grep 'stopped;' "$log")"
[ "$STOP_MS" -lt 10000 ] || fail "stopping took more than 10 s"
grep -q '"event_type":"alert"' "$OUT/flows.json.1" || fail "no alerts in the JSON log before rotation"
before=$(grep -c '"event_type":"flow"' "$OUT/flows.json.1" || true)
after=$(grep -c '"event_type":"flow"' "$OUT/flows.json" || true)
[ "$after" -gt 0 ] || fail "nothing written to the reopened JSON log"
[ $((before + after)) = "$(sqlite3 "$store" 'SELECT count(*) FROM flows')" ] ||
    fail "the JSON logs have $before + $after flow events, the store $(sqlite3 "$store" 'SELECT count(*) FROM flows') flows"
echo "JSON log: $before flows and the alerts before rotation in flows.json.1, the other $after in the reopened flows.json"
grep -q "signing the evidence chain's head with key" "$log" || fail "no log line about signing"
checkpoints=$(sqlite3 "$store" 'SELECT count(*) FROM chain_signatures')
[ "$checkpoints" -ge 2 ] || fail "$checkpoints signed checkpoints: expected some at flush intervals and one on exit"
[ "$(cat "$OUT/flows.json.1" "$OUT/flows.json" | grep -c '"event_type":"checkpoint"')" = "$checkpoints" ] ||
    fail "the JSON logs do not have the store's $checkpoints checkpoints"
[ "$(sqlite3 "$store" 'SELECT chain_seq FROM chain_signatures ORDER BY id DESC LIMIT 1')" = \
  "$(sqlite3 "$store" 'SELECT max(seq) FROM evidence_chain')" ] || fail "the last checkpoint is not the chain head"
echo "signed checkpoints: $checkpoints, the last one at the chain head"
