#!/usr/bin/env bash
# The live path end to end. egresswatchd captures on one end of a veth pair
# while tcpreplay replays a capture onto the other end, and the store must
# hold the same flows as offline processing of the same file (times aside).
# At the same time a second daemon captures the same replay mirrored inside
# VXLAN by the kernel (remote SPAN) on one of two interfaces, and must
# decapsulate it to the same flows. A third captures the plain replay with
# --workers 2: two sockets in a PACKET_FANOUT group, each read by its own
# thread, and must find the same flows too. A fourth has 2-second flow
# timeouts: once the replay ends, the clock alone must end its flows. All are started as root and told
# to run as nobody, which they must. Needs root; skipped otherwise.
#
#   tests/live/replay.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
source "$(dirname "$0")/lib.sh"
require_live_capture
SPEED=4  # the sample lasts 58 s; 4x keeps every gap shorter than the flow timeouts' effect

rm -rf "$OUT"; mkdir -p "$OUT"
"$DAEMON" -r "$CAPTURE" -d "$OUT/offline.db" --geoip-dir "$GEOIP" --rules "$RULES" -q

# plain: mirror_tx -> mirror_rx. vxlan: the kernel's VXLAN device vx0 sends
# over span_tx to span_rx, as a switch's remote SPAN would; idle_rx is quiet.
make_link mirror
make_link span
make_link idle
in_netns ip addr add 192.0.2.1/24 dev span_tx
in_netns ip neigh add 192.0.2.2 lladdr "$(in_netns cat /sys/class/net/span_rx/address)" dev span_tx
in_netns ip link add vx0 mtu 1600 type vxlan id 77 local 192.0.2.1 remote 192.0.2.2 dstport 4789 dev span_tx
in_netns ip link set vx0 up

install -d -o nobody "$OUT/plain" "$OUT/vxlan" "$OUT/fanout" "$OUT/quiet"
start_daemon "$OUT/plain.log" -i mirror_rx -d "$OUT/plain/store.db" --user nobody --stats-interval 2
plain=$DAEMON_PID
start_daemon "$OUT/fanout.log" -i mirror_rx -d "$OUT/fanout/store.db" --user nobody --stats-interval 2 --workers 2
fanout=$DAEMON_PID
start_daemon "$OUT/quiet.log" -i mirror_rx -d "$OUT/quiet/store.db" --user nobody --stats-interval 2 \
    --tcp-timeout 2 --udp-timeout 2 --closed-timeout 1
quiet=$DAEMON_PID
start_daemon "$OUT/vxlan.log" -i span_rx -i idle_rx -d "$OUT/vxlan/store.db" --user nobody --stats-interval 2
vxlan=$DAEMON_PID
[ "$(uid_of "$plain")" = "$(id -u nobody)" ] || { echo "FAIL: the daemon did not become nobody"; exit 1; }

started=$(date +%s)
in_netns tcpreplay -q -x "$SPEED" -i mirror_tx "$CAPTURE" > "$OUT/tcpreplay-plain.out" &
replay_plain=$!
in_netns tcpreplay -q -x "$SPEED" -i vx0 "$CAPTURE" > "$OUT/tcpreplay-vxlan.out" &
wait "$replay_plain" $!
sleep 1  # the last TPACKET_V3 block is handed over after its 200 ms timeout
echo "replayed $(basename "$CAPTURE") twice in parallel at ${SPEED}x in $(( $(date +%s) - started )) s"
status=0
# No packets come now: in the daemon with 2-second timeouts the clock must
# end every flow, and the store get its final record, while it runs; its stop
# then has nothing left to write.
ended() { sqlite3 "$1" "SELECT count(*) FROM flows WHERE state = 'closed'" 2> /dev/null || echo 0; }
ended_at_end=$(ended "$OUT/quiet/store.db")
sleep 6
ended_quiet=$(ended "$OUT/quiet/store.db")

stop_daemon "$plain" || { echo "FAIL: plain daemon exit $?"; status=1; }
echo "plain: stopped in $STOP_MS ms after SIGTERM"
stop_daemon "$vxlan" || { echo "FAIL: vxlan daemon exit $?"; status=1; }
echo "vxlan: stopped in $STOP_MS ms after SIGTERM"
stop_daemon "$fanout" || { echo "FAIL: fanout daemon exit $?"; status=1; }
echo "fanout: stopped in $STOP_MS ms after SIGTERM"
stop_daemon "$quiet" || { echo "FAIL: quiet daemon exit $?"; status=1; }
ended_stopped=$(ended "$OUT/quiet/store.db")
echo "quiet: flows ended by the end of the replay $ended_at_end, after 6 s without packets $ended_quiet, after the stop $ended_stopped"
[ "$ended_quiet" = "$ended_stopped" ] && [ "$ended_quiet" -gt "$ended_at_end" ] ||
    { echo "FAIL: quiet: the clock did not end every idle flow"; status=1; }

flow_lines "$OUT/offline.db" > "$OUT/offline.flows"
for variant in plain vxlan fanout; do
    store="$OUT/$variant/store.db"
    [ "$(stat -c %U "$store")" = nobody ] || { echo "FAIL: $variant store not written as nobody"; status=1; }
    flow_lines "$store" > "$OUT/$variant.flows"
    if diff -u "$OUT/offline.flows" "$OUT/$variant.flows"; then
        echo "$variant: the same $(wc -l < "$OUT/$variant.flows") flows as offline"
    else
        echo "FAIL: $variant live capture differs from offline (above)"; status=1
    fi
    read -r packets dropped <<< "$(sqlite3 -separator ' ' "$store" 'SELECT sum(packets), sum(dropped) FROM capture_stats')"
    echo "$variant: capture_stats: $packets packets, $dropped dropped"
    [ "$dropped" = 0 ] || { echo "FAIL: $variant: drops"; status=1; }
    grep -q "egresswatchd: stats: .*packets/s" "$OUT/$variant.log" || { echo "FAIL: $variant: no stats line"; status=1; }
done
# Both fanout sockets had packets: the kernel spread the flows.
lanes=$(sed -n 's/^egresswatchd: packets per PACKET_FANOUT socket (--workers)://p' "$OUT/fanout.log")
echo "fanout: packets per socket:$lanes"
[ "$(echo $lanes | wc -w)" = 2 ] && ! echo " $lanes " | grep -q " 0 " ||
    { echo "FAIL: fanout: expected two sockets with packets each, got '$lanes'"; status=1; }
grep -q "^egresswatchd: stats:" "$OUT/plain.log" && grep "^egresswatchd: stats:" "$OUT/plain.log" | head -2
[ "$(sqlite3 "$OUT/vxlan/store.db" 'SELECT DISTINCT source FROM capture_stats')" = "span_rx,idle_rx" ] ||
    { echo "FAIL: capture_stats source is not both interfaces"; status=1; }
exit $status
