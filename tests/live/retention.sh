#!/usr/bin/env bash
# --retention-days / --alert-retention-days: the daemon's retention thread
# deletes closed flows without an alert (and passive DNS) older than the first,
# and flows with an alert only when older than the second. A sealed flow's
# evidence-chain entry stays and its deletion is recorded in pruned_flows.
# The store is made from the sample; some of its flows are then made 40 days
# old. Each run reads a small capture through a FIFO held open for 3 s, so
# that the retention thread has time for its first pass.
#
#   tests/live/retention.sh EGRESSWATCHD GEOIP_DIR RULES_DIR SAMPLE OUT_DIR GENERATED_CAPTURES_DIR
set -euo pipefail
daemon=$1 geoip=$2 rules=$3 sample=$4 out=$5 small=$6/first_inbound.pcap
rm -rf "$out"; mkdir -p "$out"
store="$out/store.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$store" "$1"; }

"$daemon" -r "$sample" -d "$store" --geoip-dir "$geoip" --rules "$rules" -q
now_s=$(date +%s)
# Odd flows become 40 days old; even ones end now.
q "UPDATE flows SET first_seen = ($now_s - 40 * 86400) * 1000000, last_seen = ($now_s - 40 * 86400 + 5) * 1000000
   WHERE id % 2 = 1;
   UPDATE flows SET first_seen = $now_s * 1000000, last_seen = $now_s * 1000000 WHERE id % 2 = 0;
   UPDATE dns SET time = ($now_s - 40 * 86400) * 1000000;"
old_plain=$(q "SELECT group_concat(id) FROM flows WHERE id % 2 = 1 AND id NOT IN (SELECT flow_id FROM alerts)")
old_alerted=$(q "SELECT group_concat(id) FROM flows WHERE id % 2 = 1 AND id IN (SELECT flow_id FROM alerts)")
young=$(q "SELECT group_concat(id) FROM flows WHERE id % 2 = 0")
[ -n "$old_plain" ] && [ -n "$old_alerted" ] || fail "the sample should have old flows with and without alerts"
remaining() { q "SELECT count(*) FROM flows WHERE id IN ($1)"; }
count() { echo "$1" | tr ',' '\n' | wc -l; }

# run LOG ARGS...: the daemon on the small capture, kept running for 3 s.
run() {
    local log=$1
    shift
    rm -f "$out/fifo"; mkfifo "$out/fifo"
    "$daemon" -r "$out/fifo" -d "$store" --geoip-dir "$geoip" --rules "$rules" -q "$@" 2> "$log" &
    local pid=$!
    { cat "$small"; sleep 3; } > "$out/fifo"
    wait "$pid" || fail "exit $?: $(cat "$log")"
}

sealed_old_plain=$(q "SELECT count(*) FROM evidence_chain WHERE flow_id IN ($old_plain)")
[ "$sealed_old_plain" -gt 0 ] || fail "the sample's old flows should be sealed in the evidence chain"

run "$out/flows.log" --retention-days 30 --alert-retention-days 60
# Sealed flows go too; their chain entries stay and the deletion is recorded.
[ "$(q "SELECT count(*) FROM pruned_flows WHERE flow_id IN ($old_plain)")" = "$sealed_old_plain" ] ||
    fail "pruned sealed flows are not recorded in pruned_flows"
[ "$(q "SELECT count(*) FROM evidence_chain WHERE flow_id IN ($old_plain)")" = "$sealed_old_plain" ] ||
    fail "chain entries of pruned flows were removed"
echo "30/60 days: $(cat "$out/flows.log")"
[ "$(remaining "$old_plain")" = 0 ] || fail "old flows without an alert are still there"
[ "$(remaining "$old_alerted")" = "$(count "$old_alerted")" ] || fail "old flows with an alert went before their time"
[ "$(remaining "$young")" = "$(count "$young")" ] || fail "young flows were deleted"
[ "$(q 'SELECT count(*) FROM dns')" = 0 ] || fail "old DNS answers are still there"
[ "$(q 'SELECT count(*) FROM alerts WHERE flow_id NOT IN (SELECT id FROM flows)')" = 0 ] || fail "orphaned alerts"

run "$out/alerts.log" --retention-days 30 --alert-retention-days 35
echo "30/35 days: $(cat "$out/alerts.log")"
[ "$(remaining "$old_alerted")" = 0 ] || fail "old flows with an alert are still there"
[ "$(remaining "$young")" = "$(count "$young")" ] || fail "young flows were deleted"
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(q 'PRAGMA foreign_key_check')" = "" ] || fail "foreign_key_check"
echo "retention ok: $(count "$old_plain") old flows, then $(count "$old_alerted") old alerted flows deleted; $(count "$young") young kept"
