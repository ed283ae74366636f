#!/usr/bin/env bash
# Fault: the store's disk fills up (a small tmpfs), during live capture.
#  1. Without a floor (--min-free-mb 0) SQLite hits the full disk: a clear
#     error in the log, no corruption, the flows stored before intact, and
#     writing resumes when space returns, with nothing lost (the writer keeps
#     the batches it could not commit).
#  2. With a floor, writing stops before the disk is full: a clear log, a
#     store_gaps row while it lasts, closed when space returns, and the exit
#     status says that records were not stored.
#
#   tests/faults/disk-full.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
source "$(dirname "$0")/../live/lib.sh"
require_live_capture
rm -rf "$OUT"; mkdir -p "$OUT/disk"
disk="$OUT/disk"
mount -t tmpfs -o size=48m,mode=0755,uid="$(id -u nobody)" tmpfs "$disk"
trap 'cleanup_live_capture; umount "$disk"' EXIT
make_link mirror
store="$disk/store.db"
fail() { echo "FAIL: $*"; tail -n 5 "$log"; exit 1; }
free_mb() { df --output=avail -BM "$disk" | tail -1 | tr -dc 0-9; }
count() { sqlite3 "$store" "$1"; }
# Fills the disk until only $1 MB are left (0: completely).
fill_disk() {
    local keep=$1
    if [ "$keep" -eq 0 ]; then dd if=/dev/zero of="$disk/filler" bs=64k 2> /dev/null || true
    else fallocate -l "$(( ($(free_mb) - keep) ))M" "$disk/filler"; fi
}

echo "== 1. the disk fills up"
log="$OUT/full.log"
start_daemon "$log" -i mirror_rx -d "$store" --user nobody --flush-interval 1 --min-free-mb 0
heavy_traffic mirror 14 1500 "$CAPTURE"
sleep 3
before=$(count 'SELECT count(*) FROM flows')
fill_disk 0
wait_for_log "$log" "disk is full"
echo "log: $(grep -m1 'disk is full' "$log")"
sleep 3
[ "$(count 'PRAGMA integrity_check')" = ok ] || fail "integrity_check on the full disk"
during=$(count 'SELECT count(*) FROM flows')
[ "$during" -ge "$before" ] || fail "flows stored before the disk filled are gone ($before -> $during)"
rm "$disk/filler"
echo "disk full for 3 s; $before flows before it, $during while full: intact; space back"
wait "$REPLAY_PID" || true
sleep 2
stop_daemon "$DAEMON_PID" || fail "exit $? after the disk had space again"
written=$(sed -n 's/.* \([0-9]*\) flows, .*/\1/p' "$log")
stored=$(count "SELECT count(*) FROM flows WHERE state = 'closed'")
[ "$(count 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after"
[ "$stored" = "$written" ] || fail "the daemon ended $written flows but the store has $stored"
echo "writing resumed: all $stored flows the daemon ended are stored, integrity_check ok"

echo "== 2. the free-space floor"
log="$OUT/floor.log"
start_daemon "$log" -i mirror_rx -d "$store" --user nobody --flush-interval 1 --min-free-mb 16
heavy_traffic mirror 12 1500 "$CAPTURE"
sleep 2
fill_disk 8
wait_for_log "$log" "below the floor"
echo "log: $(grep -m1 'below the floor' "$log")"
sleep 3
[ "$(count 'SELECT count(*) FROM store_gaps WHERE end_time IS NULL')" = 1 ] || fail "no open store_gaps row"
rm "$disk/filler"
wait_for_log "$log" "writing resumed"
echo "log: $(grep -m1 'writing resumed' "$log")"
wait "$REPLAY_PID" || true
status=0
stop_daemon "$DAEMON_PID" || status=$?
[ "$status" = 1 ] || fail "exit $status: records were dropped, so 1 was expected"
grep -q "not every record reached the store" "$log" || fail "no final word on the records not stored"
read -r gaps lost seconds <<< "$(sqlite3 -separator ' ' "$store" \
    "SELECT count(*), sum(records_lost), sum(end_time - start_time) / 1000000 FROM store_gaps WHERE end_time IS NOT NULL")"
[ "$gaps" = 1 ] && [ "$lost" -gt 0 ] || fail "store_gaps: $gaps closed gaps, $lost records lost"
[ "$(count 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after the floor"
echo "store_gaps: 1 gap of $seconds s, $lost records not stored; exit status 1; integrity_check ok"
