#!/usr/bin/env bash
# Evidence a store writer cannot quietly edit, end to end: egresswatchd signs
# the chain heads with a key made here with openssl (as deploy/ makes it at
# install time); retention's deletions are sealed; then
#   - a real pruning, signed, verifies (verify --key);
#   - an alert deleted and listed in pruned_flows by hand fails verify;
#   - a tampered signature fails verify --key;
#   - the case bundle carries the signed head: verify_bundle.py --key checks
#     it (with python3-cryptography if installed, and with openssl pkeyutl);
#   - the JSON log and the report carry the checkpoint;
#   - a flow with a late alert, pruned, still verifies (both chains).
#
#   tests/report/evidence-seal.sh EGRESSWATCHD EGRESSWATCH GEOIP_DIR SOURCE_DIR OUT_DIR CAPTURES_DIR
set -euo pipefail
daemon=$1 cli=$2 geoip=$3 source=$4 out=$5 captures=$6
rm -rf "$out"; mkdir -p "$out"
store="$out/store.db" sample="$source/samples/camera-network.pcap" rules="$source/rules"
verify_bundle="$source/tests/report/verify_bundle.py"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$1" "$2"; }
command -v openssl > /dev/null || { echo "SKIP: openssl is not installed"; exit 77; }

openssl genpkey -algorithm ed25519 -out "$out/signing.key" 2> /dev/null
openssl pkey -in "$out/signing.key" -pubout -out "$out/signing.pub" 2> /dev/null
openssl genpkey -algorithm ed25519 -out "$out/other.key" 2> /dev/null
openssl pkey -in "$out/other.key" -pubout -out "$out/other.pub" 2> /dev/null

# The sample, moved in time: its flows 40 days old, and again an hour old.
shift() {  # shift IN OUT SECONDS_AGO: the capture's first packet that long ago
    python3 - "$@" << 'PY'
import struct, sys, time
data = bytearray(open(sys.argv[1], "rb").read())
endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
delta = int(time.time()) - int(sys.argv[3]) - struct.unpack_from(endian + "I", data, 24)[0]
at = 24
while at + 16 <= len(data):
    ts, caplen = struct.unpack_from(endian + "I", data, at)[0], struct.unpack_from(endian + "I", data, at + 8)[0]
    struct.pack_into(endian + "I", data, at, ts + delta)
    at += 16 + caplen
open(sys.argv[2], "wb").write(data)
PY
}
shift "$sample" "$out/old.pcap" $((40 * 86400))
shift "$sample" "$out/young.pcap" 3600
sign=(--signing-key "$out/signing.key")
run() { "$daemon" -d "$store" --geoip-dir "$geoip" --rules "$rules" -q "$@"; }

run -r "$out/old.pcap" "${sign[@]}" --json-log "$out/log.json"
[ "$(q "$store" 'SELECT count(*) FROM chain_signatures')" = 1 ] || fail "one checkpoint expected on exit"
[ "$(grep -c '"event_type":"checkpoint"' "$out/log.json")" = 1 ] || fail "the JSON log has no checkpoint"
signature=$(q "$store" 'SELECT signature FROM chain_signatures')
grep -q "\"signature\":\"$signature\"" "$out/log.json" || fail "the JSON log's checkpoint is not the store's"
run -r "$out/young.pcap" "${sign[@]}"
"$cli" -d "$store" verify --key "$out/signing.pub" > "$out/verify-1.txt" || fail "verify --key: $(cat "$out/verify-1.txt")"
grep -q "^  signed: 2 checkpoints by key [0-9a-f]\{64\} intact; .*covers chain seq 36 and late alert seq 0; not signed yet: 0 chain entries and 0 late alert entries after it$" \
    "$out/verify-1.txt" || fail "verify --key: $(cat "$out/verify-1.txt")"

# A real pruning: the daemon with retention reads the young capture again
# through a FIFO held open for 3 s (the retention thread's first pass).
rm -f "$out/fifo"; mkfifo "$out/fifo"
run -r "$out/fifo" "${sign[@]}" --retention-days 30 --alert-retention-days 35 2> "$out/retention.log" &
pid=$!
{ cat "$out/young.pcap"; sleep 3; } > "$out/fifo"
wait "$pid" || fail "retention run: $(cat "$out/retention.log")"
[ "$(q "$store" "SELECT group_concat(kind || ':' || flows, ' ') FROM evidence_prunings")" = "flows:13 alerted_flows:5" ] ||
    fail "prunings: $(q "$store" 'SELECT * FROM evidence_prunings')"
"$cli" -d "$store" verify --key "$out/signing.pub" > "$out/verify-2.txt" || fail "verify after pruning: $(cat "$out/verify-2.txt")"
grep -q ": ok: 36 sealed records intact (18 more deleted by the retention policy in 2 sealed prunings); chain head seq 56 " \
    "$out/verify-2.txt" || fail "verify after pruning: $(cat "$out/verify-2.txt")"
grep -q "covers chain seq 56 and late alert seq 0; not signed yet: 0 chain entries" "$out/verify-2.txt" ||
    fail "the last checkpoint should cover the pruning: $(cat "$out/verify-2.txt")"

# An alert deleted and listed in pruned_flows by hand, as retention would.
forge() {  # forge NAME PRUNING_ID: a copy of the store with the forgery
    cp "$store" "$out/$1.db"
    q "$out/$1.db" "INSERT INTO pruned_flows (flow_id, pruned_at, cutoff, last_seen, pruning_id)
                    SELECT f.id, p.pruned_at, p.cutoff, p.cutoff - 1, $2 FROM flows f, evidence_prunings p
                    WHERE f.id = (SELECT max(flow_id) FROM alerts) AND p.id = 1;
                    DELETE FROM flows WHERE id = (SELECT max(flow_id) FROM alerts);
                    DELETE FROM alerts WHERE flow_id NOT IN (SELECT id FROM flows);"
    status=0
    "$cli" -d "$out/$1.db" verify > "$out/$1.txt" || status=$?
    [ "$status" = 1 ] || fail "$1: verify should fail (exit $status): $(cat "$out/$1.txt")"
}
forge forged-unsealed NULL
grep -q "is missing: it is listed in pruned_flows, but in no sealed pruning (the listing was added by hand)$" \
    "$out/forged-unsealed.txt" || fail "forged-unsealed: $(cat "$out/forged-unsealed.txt")"
forge forged-pruning 1
grep -q ": pruning 1 (flows, .*) sealed 13 pruned flows, but pruned_flows lists 14 for it: pruned_flows was edited$" \
    "$out/forged-pruning.txt" || fail "forged-pruning: $(cat "$out/forged-pruning.txt")"

# A tampered signature; another key.
cp "$store" "$out/resigned.db"
q "$out/resigned.db" "UPDATE chain_signatures SET signature = substr(signature, 1, 100) || '0000' || substr(signature, 105)
                      WHERE id = (SELECT max(id) FROM chain_signatures)"
status=0; "$cli" -d "$out/resigned.db" verify --key "$out/signing.pub" > "$out/resigned.txt" || status=$?
[ "$status" = 1 ] && grep -q "^  checkpoint 3 (signed .*): bad signature: the checkpoint was edited or forged$" \
    "$out/resigned.txt" || fail "tampered signature: exit $status: $(cat "$out/resigned.txt")"
status=0; "$cli" -d "$store" verify --key "$out/other.pub" > "$out/other.txt" || status=$?
[ "$status" = 1 ] && grep -q "names another key" "$out/other.txt" || fail "another key: $(cat "$out/other.txt")"

# The case bundle and the report carry the latest signed head.
"$cli" -d "$store" export --device 10.20.1.21 -o "$out/case.json"
grep -q "\"signature\": \"$(q "$store" 'SELECT signature FROM chain_signatures WHERE id = 3')\"" "$out/case.json" ||
    fail "the bundle does not carry the latest checkpoint"
for with in default openssl; do
    EGRESSWATCH_VERIFY_WITH=$with python3 "$verify_bundle" --key "$out/signing.pub" "$out/case.json" > "$out/bundle-$with.txt" ||
        fail "bundle ($with): $(cat "$out/bundle-$with.txt")"
    grep -q "signed checkpoint at chain seq 56 covers 10 of its 10 records" "$out/bundle-$with.txt" ||
        fail "bundle ($with): $(cat "$out/bundle-$with.txt")"
    python3 - "$out/case.json" "$out/case-forged.json" << 'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
c = bundle["stores"][0]["signed_checkpoint"]
c["signature"] = ("00" if not c["signature"].startswith("00") else "11") + c["signature"][2:]
json.dump(bundle, open(sys.argv[2], "w"))
PY
    status=0
    EGRESSWATCH_VERIFY_WITH=$with python3 "$verify_bundle" --key "$out/signing.pub" "$out/case-forged.json" \
        > "$out/bundle-forged-$with.txt" || status=$?
    [ "$status" = 1 ] && grep -q "bad signature" "$out/bundle-forged-$with.txt" ||
        fail "forged bundle ($with): exit $status: $(cat "$out/bundle-forged-$with.txt")"
    status=0
    EGRESSWATCH_VERIFY_WITH=$with python3 "$verify_bundle" --key "$out/other.pub" "$out/case.json" \
        > "$out/bundle-other-$with.txt" || status=$?
    [ "$status" = 1 ] || fail "bundle with another key ($with) should fail"
done
"$cli" -d "$store" report --since 60d --format json > "$out/report.json"
grep -q "\"signature\": \"$(q "$store" 'SELECT signature FROM chain_signatures WHERE id = 3')\"" "$out/report.json" ||
    fail "the report does not carry the latest checkpoint"
# A late alert (rejudge.pcap: a camera identified after its upload ended) on a
# flow 40 days old: retention prunes the flow; both chains still verify.
late_store="$out/late.db"
shift "$captures/rejudge.pcap" "$out/late-old.pcap" $((40 * 86400))
"$daemon" -d "$late_store" --geoip-dir "$geoip" --rules "$rules" -q -r "$out/late-old.pcap" "${sign[@]}"
late_flow=$(q "$late_store" "SELECT flow_id FROM late_alerts")
[ -n "$late_flow" ] || fail "rejudge.pcap should raise a late alert"
rm -f "$out/fifo"; mkfifo "$out/fifo"
"$daemon" -d "$late_store" --geoip-dir "$geoip" --rules "$rules" -q -r "$out/fifo" "${sign[@]}" \
    --retention-days 30 --alert-retention-days 35 2> "$out/late-retention.log" &
pid=$!
{ cat "$out/young.pcap"; sleep 3; } > "$out/fifo"
wait "$pid" || fail "retention run (late alert): $(cat "$out/late-retention.log")"
[ "$(q "$late_store" "SELECT count(*) FROM flows WHERE id = $late_flow")" = 0 ] || fail "the late-alerted flow was not pruned"
[ "$(q "$late_store" "SELECT p.kind FROM pruned_flows f JOIN evidence_prunings p ON p.id = f.pruning_id
                      WHERE f.flow_id = $late_flow")" = alerted_flows ] || fail "the late-alerted flow was not pruned as alerted"
"$cli" -d "$late_store" verify --key "$out/signing.pub" > "$out/verify-late.txt" ||
    fail "verify with a pruned late alert: $(cat "$out/verify-late.txt")"

echo "evidence seal ok: 18 flows pruned in 2 sealed prunings, 3 checkpoints verified; forgeries and a bad signature caught"
