#!/usr/bin/env bash
# Fault: kill -9 during heavy writing. Afterwards the store opens, PRAGMA
# integrity_check is ok, and it holds every flow's state up to at most the
# last flush interval before the kill (plus the writer's one-second batch).
#
#   tests/faults/kill9.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
source "$(dirname "$0")/../live/lib.sh"
require_live_capture
FLUSH_S=2
ALLOWED_LOSS_US=$(( (FLUSH_S + 1 + 1) * 1000000 ))  # flush interval + writer batch + scheduling slack

rm -rf "$OUT"; install -d -o nobody "$OUT"
make_link mirror
store="$OUT/store.db"
start_daemon "$OUT/daemon.log" -i mirror_rx -d "$store" --user nobody --flush-interval "$FLUSH_S"
heavy_traffic mirror 30 4000 "$CAPTURE"
sleep 8
killed_at=$(now_us)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2> /dev/null || true
kill "$REPLAY_PID" 2> /dev/null || true

integrity=$(sqlite3 "$store" 'PRAGMA integrity_check')
[ "$integrity" = ok ] || { echo "FAIL: integrity_check: $integrity"; exit 1; }
read -r flows newest <<< "$(sqlite3 -separator ' ' "$store" 'SELECT count(*), max(last_seen) FROM flows')"
lost_ms=$(( (killed_at - newest) / 1000 ))
echo "after kill -9: integrity_check ok, $flows flows; newest packet stored $lost_ms ms before the kill" \
     "(allowed: $(( ALLOWED_LOSS_US / 1000 )) ms, flush interval $FLUSH_S s)"
[ "$flows" -gt 500 ] || { echo "FAIL: not heavy writing: $flows flows"; exit 1; }
[ "$lost_ms" -le $(( ALLOWED_LOSS_US / 1000 )) ] || { echo "FAIL: lost more than the last flush interval"; exit 1; }
# The store takes writes again.
"$DAEMON" -r "$CAPTURE" -d "$store" --geoip-dir "$GEOIP" --rules "$RULES" -q
echo "a new run writes to the same store: ok"
