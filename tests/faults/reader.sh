#!/usr/bin/env bash
# Fault: a reader holds the store open, inside one read transaction, for the
# whole of a live capture (the sample replayed at 2x: about 30 s, standing in
# for "minutes"). Capture and writing must go on: fresh readers see the stored
# packet counts grow meanwhile, the held snapshot does not change, nothing
# fails to write, and the result is the same flows as offline processing.
#
#   tests/faults/reader.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
source "$(dirname "$0")/../live/lib.sh"
require_live_capture
rm -rf "$OUT"; install -d -o nobody "$OUT"
"$DAEMON" -r "$CAPTURE" -d "$OUT/offline.db" --geoip-dir "$GEOIP" --rules "$RULES" -q
make_link mirror
store="$OUT/store.db" log="$OUT/daemon.log"
start_daemon "$log" -i mirror_rx -d "$store" --user nobody --flush-interval 2

# The long reader: one sqlite3 session fed through a FIFO, holding a read
# transaction from its first SELECT until COMMIT.
mkfifo "$OUT/reader.fifo"
sqlite3 "$store" < "$OUT/reader.fifo" > "$OUT/reader.out" &
reader=$!
exec 3> "$OUT/reader.fifo"
echo "BEGIN; SELECT count(*) FROM flows;" >&3

ip netns exec "$NETNS" tcpreplay -q -x 2 -i mirror_tx "$CAPTURE" > /dev/null &
replay=$!
started=$(date +%s)
seen=() wal_max=0
while kill -0 "$replay" 2> /dev/null; do
    sleep 5
    seen+=("$(sqlite3 "$store" 'SELECT total(packets_out + packets_in) FROM flows' | cut -d. -f1)")
    wal=$(stat -c %s "$store-wal")
    [ "$wal" -gt "$wal_max" ] && wal_max=$wal
done
wait "$replay"
sleep 1
echo "SELECT count(*) FROM flows; COMMIT;" >&3
exec 3>&-
wait "$reader"
held=$(($(date +%s) - started))
stop_daemon "$DAEMON_PID" || { echo "FAIL: exit $?"; exit 1; }

read -r first last < <(paste -sd' ' "$OUT/reader.out")
echo "reader held one read transaction for ${held} s: it saw $first flows at its start and $last at its end"
echo "fresh readers meanwhile saw ${seen[*]} packets stored; the WAL grew to $wal_max bytes"
status=0
[ "$first" = "$last" ] || { echo "FAIL: the held snapshot changed"; status=1; }
[ "${seen[-1]}" -gt "${seen[0]}" ] || { echo "FAIL: nothing was written while the reader held the store"; status=1; }
if grep -E "write failed|giving up" "$log"; then echo "FAIL: writes failed"; status=1; fi
flow_lines "$OUT/offline.db" > "$OUT/offline.flows"
flow_lines "$store" > "$OUT/live.flows"
diff -u "$OUT/offline.flows" "$OUT/live.flows" && echo "the same $(wc -l < "$OUT/live.flows") flows as offline" ||
    { echo "FAIL: flows differ from offline"; status=1; }
exit $status
