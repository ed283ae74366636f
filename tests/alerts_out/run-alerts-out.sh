#!/usr/bin/env bash
# --syslog and --webhook against real receivers on loopback (receivers.py):
# every alert and identity change of a capture reaches a syslog listener over
# UDP, TCP and a Unix socket, as RFC 5424 and as CEF, with every field as the
# daemon's own JSON log has it; every alert reaches an HTTP server as its JSON
# log record, byte for byte; 1,000 alerts at once lose none; a receiver that
# is down is retried, then counted as failed; one that comes back gets them.
#
#   tests/alerts_out/run-alerts-out.sh EGRESSWATCHD GEOIP_DIR RULES_DIR SAMPLE OUT_DIR GENERATED_CAPTURES_DIR
set -euo pipefail
daemon=$1 geoip=$2 rules=$3 sample=$4 out=$5 captures=$6
here=$(cd "$(dirname "$0")" && pwd)
R="python3 $here/receivers.py"
rm -rf "$out"; mkdir -p "$out"
status=0
fail() { echo "FAIL: $*"; status=1; }

RECEIVER_PIDS=""
trap 'for p in $RECEIVER_PIDS; do kill "$p" 2> /dev/null || true; done' EXIT
# receiver NAME KIND [ARGS]: starts one, in the background; sets PORT.
receiver() {
    local name=$1 kind=$2
    shift 2
    $R "$kind" "$out/$name.got" "$out/$name.port" "$@" 2> "$out/$name.err" &
    RECEIVER_PIDS="$RECEIVER_PIDS $!"
    local i
    for i in $(seq 100); do [ -f "$out/$name.port" ] && break; sleep 0.05; done
    PORT=$(cat "$out/$name.port")
    touch "$out/$name.got"
}
# settle FILE: waits until FILE stops growing (a receiver still reading).
settle() {
    local before=-1 now
    while now=$(wc -l < "$1"); [ "$now" != "$before" ]; do before=$now; sleep 0.3; done
}
# run NAME CAPTURE ARGS...: the daemon on CAPTURE with a JSON log; stderr in NAME.err.
run() {
    local name=$1 capture=$2
    shift 2
    "$daemon" -r "$capture" -d "$out/$name.db" --geoip-dir "$geoip" --rules "$rules" --json-log "$out/$name.json" \
        "$@" 2> "$out/$name.daemon.err" || fail "$name: egresswatchd exit $?: $(cat "$out/$name.daemon.err")"
}
alerts_in() { grep -c '"event_type":"alert"' "$1" || true; }

# 1. Syslog, RFC 5424 and CEF, over UDP, TCP and a Unix datagram socket; the
#    sample, and the capture whose upload is flagged late (re-judged).
for transport in udp tcp unix; do
    for format in rfc5424 cef; do
        for capture in "$sample" "$captures/rejudge.pcap"; do
            name=syslog-$transport-$format-$(basename "$capture" .pcap)
            if [ "$transport" = unix ]; then
                sock="$out/$name.sock"
                $R syslog-unix "$out/$name.got" "$sock" 2> "$out/$name.err" &
                RECEIVER_PIDS="$RECEIVER_PIDS $!"
                for i in $(seq 100); do [ -f "$sock.ready" ] && break; sleep 0.05; done
                touch "$out/$name.got"
                url=unix:$sock
            else
                receiver "$name" "syslog-$transport"
                url=$transport://127.0.0.1:$PORT
            fi
            run "$name" "$capture" --syslog "$url" --syslog-format "$format"
            settle "$out/$name.got"
            $R check-syslog "$out/$name.json" "$out/$name.got" "$format" > "$out/$name.check" || fail "$name"
            echo "$name: $(cat "$out/$name.check")"
            grep -q "syslog $url: $(wc -l < "$out/$name.got") sent, 0 failed, 0 dropped (queue full)" "$out/$name.daemon.err" ||
                fail "$name: the summary does not count what was received: $(grep syslog "$out/$name.daemon.err")"
        done
    done
done
grep -q "rfc5424 over tcp: 2 alerts (1 late)" "$out/syslog-tcp-rfc5424-rejudge.check" || fail "the late alert was not sent as late"
grep -q "cef over udp: 2 alerts (1 late)" "$out/syslog-udp-cef-rejudge.check" || fail "the late alert was not sent as late (CEF)"

# 2. Webhooks: every alert as the JSON log's record; --webhook-min-severity.
receiver hook-all http
port_all=$PORT
receiver hook-medium http
run webhook "$captures/rules_each.pcap" --webhook "http://127.0.0.1:$port_all/hooks/secret-token" \
    --webhook "http://127.0.0.1:$PORT/medium" --webhook-min-severity medium
settle "$out/hook-all.got"
$R check-webhook "$out/webhook.json" "$out/hook-all.got" medium || fail "webhook"
$R check-webhook "$out/webhook.json" "$out/hook-medium.got" medium || fail "webhook (second URL)"
[ "$($R check-webhook "$out/webhook.json" "$out/hook-all.got" medium | grep -o '^webhook: [0-9]* alerts')" = "webhook: 6 alerts" ] ||
    fail "rules_each has 6 alerts of medium severity or more"
grep -q "webhook http://127.0.0.1:$port_all/...: 6 sent, 0 failed, 0 dropped (queue full)" "$out/webhook.daemon.err" ||
    fail "webhook summary: $(grep webhook "$out/webhook.daemon.err")"
grep -q "secret-token" "$out/webhook.daemon.err" && fail "the webhook's secret path was logged"

# 3. A burst of 1,000 alerts: none lost, to syslog over TCP and to a webhook.
$R burst-pcap "$out/burst.pcap" 1000
receiver burst-syslog syslog-tcp
syslog_port=$PORT
receiver burst-hook http
start=$(date +%s%N)
run burst "$out/burst.pcap" --syslog "tcp://127.0.0.1:$syslog_port" --webhook "http://127.0.0.1:$PORT/"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
settle "$out/burst-syslog.got"
[ "$(alerts_in "$out/burst.json")" = 1000 ] || fail "the burst capture makes $(alerts_in "$out/burst.json") alerts, not 1000"
$R check-syslog "$out/burst.json" "$out/burst-syslog.got" rfc5424 || fail "burst over syslog"
$R check-webhook "$out/burst.json" "$out/burst-hook.got" || fail "burst over the webhook"
grep -q "webhook http://127.0.0.1:$PORT: 1000 sent, 0 failed, 0 dropped" "$out/burst.daemon.err" || fail "burst webhook summary"
echo "burst: 1000 alerts delivered to both in $ms ms (the daemon's whole run)"

# 4. Receivers that are down: retried, then counted as failed; the daemon
#    still stores everything and exits 0.
down=$($R free-port)
run down "$sample" --webhook "http://127.0.0.1:$down/x" --webhook-retries 2 --syslog "tcp://127.0.0.1:$down"
grep -q "webhook http://127.0.0.1:$down/...: 0 sent, 5 failed, 0 dropped (queue full), in 0 POSTs, [1-9][0-9]* retries" "$out/down.daemon.err" ||
    fail "down webhook: $(grep webhook "$out/down.daemon.err")"
grep -q "not delivered (.*after 2 retries)" "$out/down.daemon.err" || fail "no log of the failed POST"
grep -q "syslog tcp://127.0.0.1:$down: 0 sent, [1-9][0-9]* failed, 0 dropped" "$out/down.daemon.err" ||
    fail "down syslog: $(grep syslog "$out/down.daemon.err")"
grep -q "syslog tcp://127.0.0.1:$down: cannot connect (Connection refused); retrying" "$out/down.daemon.err" ||
    fail "no log of the refused connection"
[ "$(sqlite3 "$out/down.db" 'SELECT count(*) FROM alerts')" = 5 ] || fail "alerts not stored while receivers were down"
echo "down: $(grep -E 'webhook|syslog' "$out/down.daemon.err" | grep -E 'sent' | tr '\n' ' ')"

# A webhook and a collector that come up 2 s late get everything.
late=$($R free-port)
late_syslog=$($R free-port)
( sleep 2; exec $R http "$out/late-hook.got" "$out/late-hook.port" 204 "$late" ) 2> /dev/null &
RECEIVER_PIDS="$RECEIVER_PIDS $!"
( sleep 2; exec $R syslog-tcp-port "$out/late-syslog.got" "$out/late-syslog.port" "$late_syslog" ) 2> /dev/null &
RECEIVER_PIDS="$RECEIVER_PIDS $!"
run late "$sample" --webhook "http://127.0.0.1:$late/" --syslog "tcp://127.0.0.1:$late_syslog"
settle "$out/late-syslog.got"
$R check-webhook "$out/late.json" "$out/late-hook.got" > "$out/late.check" || fail "late webhook"
$R check-syslog "$out/late.json" "$out/late-syslog.got" rfc5424 >> "$out/late.check" || fail "late syslog"
grep -q "webhook http://127.0.0.1:$late: 5 sent, 0 failed, 0 dropped (queue full), in [0-9]* POSTs, [1-9][0-9]* retries" "$out/late.daemon.err" ||
    fail "late webhook summary: $(grep webhook "$out/late.daemon.err")"
grep -q "syslog tcp://127.0.0.1:$late_syslog: connected again" "$out/late.daemon.err" || fail "syslog did not reconnect"
echo "late receivers: $(tr '\n' ' ' < "$out/late.check")"

# 5. Bad URLs are configuration errors (exit 2), before anything is read.
for bad in "--syslog http://x:514" "--syslog udp://host" "--syslog tcp://h:99999" "--syslog unix:dev/log" \
           "--webhook ftp://x/" "--webhook-min-severity urgent" "--syslog-format leef"; do
    rc=0
    "$daemon" -r "$sample" -d "$out/bad.db" $bad 2> "$out/bad.err" || rc=$?
    [ "$rc" = 2 ] && [ ! -e "$out/bad.db" ] || fail "$bad: exit $rc: $(cat "$out/bad.err")"
done
echo "bad URLs: exit 2, nothing written"

# 6. Sensor health: a reload that fails (a broken rules line, SIGHUP) goes
#    out as an error. Live capture on lo needs root: skipped without it.
if [ "$(id -u)" -eq 0 ]; then
    cp -r "$rules" "$out/rules"
    receiver health syslog-udp
    "$daemon" -i lo --filter "tcp port 9" -d "$out/health.db" --geoip-dir "$geoip" --rules "$out/rules" --user root \
        --syslog "udp://127.0.0.1:$PORT" 2> "$out/health.daemon.err" &
    pid=$!
    for i in $(seq 100); do grep -q "capturing on" "$out/health.daemon.err" && break; sleep 0.1; done
    echo "AS64500 somewhere-else Example" >> "$out/rules/networks.txt"
    kill -HUP $pid
    for i in $(seq 50); do grep -q "health" "$out/health.got" && break; sleep 0.1; done
    kill -TERM $pid; wait $pid || fail "live daemon exit $?"
    if grep -q '"<131>1 [^"]* health \[health@32473 kind=\\"reload-failed\\" level=\\"error\\"' "$out/health.got"; then
        echo "health: a failed reload went out as an error (severity 3)"
    else
        fail "no reload-failed health message: $(cat "$out/health.got")"
    fi
else
    echo "SKIP (health): live capture on lo needs root"
fi
exit $status
