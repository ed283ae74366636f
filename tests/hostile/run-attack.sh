#!/usr/bin/env bash
# One hostile-traffic case: generate its capture (gen.py), run egresswatchd on
# it, and check the bound it must hold: counters in capture_stats, rows and
# row sizes in the store, peak memory (above the same build's on a one-packet
# capture, so that sanitizer builds compare with themselves) and time.
#
#   run-attack.sh ATTACK EGRESSWATCHD GEOIP RULES OUT
set -euo pipefail
attack=$1 daemon=$2 geoip=$3 rules=$4 out=$5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"; cd "$out"
fail() { echo "FAIL ($attack): $*"; exit 1; }
command -v /usr/bin/time > /dev/null || { echo "SKIP: /usr/bin/time (Debian package time) is not installed"; exit 77; }
command -v python3 > /dev/null || { echo "SKIP: python3 is not installed (it writes the captures)"; exit 77; }
gen() { python3 "$here/gen.py" "$@"; }
# Under AddressSanitizer, freed memory waits in a quarantine (256 MiB by
# default) that would count as peak memory: keep it small (no effect otherwise).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"

# run NAME PCAP [ARGS]: runs the daemon; sets status, seconds, rss_kb.
run() {
    local name=$1 pcap=$2; shift 2
    rm -f "$name.db" "$name.db-wal" "$name.db-shm"
    status=0
    /usr/bin/time -o "$name.time" -f "%e %M" "$daemon" -r "$pcap" -d "$name.db" --geoip-dir "$geoip" \
        --rules "$rules" "$@" 2> "$name.err" || status=$?
    read -r seconds rss_kb < <(tail -n 1 "$name.time")
    echo "$name: exit $status, $seconds s, peak RSS $((rss_kb / 1024)) MiB, store $(stat -c %s "$name.db") bytes"
}
stat_of() { sqlite3 "$1.db" "SELECT $2 FROM capture_stats ORDER BY id DESC LIMIT 1"; }
expect() {  # expect WHAT ACTUAL EXPECTED
    [ "$2" = "$3" ] || fail "$1: $2, expected $3"
    echo "  $1: $2"
}
at_most() {  # at_most WHAT ACTUAL LIMIT
    [ "$2" -le "$3" ] || fail "$1: $2, more than the bound $3"
    echo "  $1: $2 (bound $3)"
}

# The same build on one packet: what memory the daemon takes anyway.
gen dns-repeat one.pcap 1
run baseline one.pcap
base_kb=$rss_kb base_s=$seconds

case $attack in
dns-amplify)
    # 200 forged responses, 1.7 MB: 2 x 100 x 512 answers with names of 193
    # to 995 characters. Before: 102,400 dns rows, a 210 MB store.
    gen dns-amplify a.pcap 200
    run a a.pcap
    expect exit "$status" 0
    # Half the responses ask a name whose presentation form is 995
    # characters (\001 escapes): dropped whole (512 answers + the question).
    # The other half keep 32 answers each; the 9th alias hop and 480 answers go.
    expect "dns rows" "$(sqlite3 a.db 'SELECT count(*) FROM dns')" 3200
    expect dns_dropped "$(stat_of a dns_dropped)" $((100 * 513 + 100 * 481))
    at_most "longest dns name" "$(sqlite3 a.db 'SELECT max(max(length(query), length(name), length(answer))) FROM dns')" 255
    at_most "store bytes" "$(stat -c %s a.db)" $((16 << 20))
    at_most "memory above baseline (KiB)" $((rss_kb - base_kb)) $((48 << 10))
    ;;
dns-repeat)
    # One answer replayed 2000 times: one row, counted, first and last time.
    gen dns-repeat r.pcap 2000
    run r r.pcap
    expect exit "$status" 0
    expect "dns rows" "$(sqlite3 r.db 'SELECT count(*) FROM dns')" 1
    expect "dns row" "$(sqlite3 r.db 'SELECT count, time, last_time, query, answer FROM dns')" \
        "2000|1793610000000000|1793610999500000|cam.example.net|93.184.216.34"
    ;;
mdns-names)
    # A device with a new service instance and host name in every response:
    # its evidence stays a few items per signal kind, and time stays linear.
    gen mdns-names m1.pcap 1000
    gen mdns-names m4.pcap 4000
    run m1 m1.pcap
    t1=$seconds
    run m4 m4.pcap
    t4=$seconds
    expect exit "$status" 0
    expect "identified_by" "$(sqlite3 m4.db "SELECT identified_by FROM devices")" \
        "$(sqlite3 m1.db "SELECT identified_by FROM devices")"
    at_most "identified_by bytes" "$(sqlite3 m4.db "SELECT length(identified_by) FROM devices")" 2048
    # Linear: 4x the packets in at most 8x the time (quadratic is 16x), past start-up.
    awk -v t1="$t1" -v t4="$t4" -v b="$base_s" 'BEGIN {
        d1 = t1 - b; d4 = t4 - b; if (d1 < 0.05) d1 = 0.05
        printf "  time: %.2f s for 1000, %.2f s for 4000 (start-up %.2f s): x%.1f\n", t1, t4, b, d4 / d1
        exit !(d4 <= 8 * d1 || d4 < 1.0) }' || fail "time grows faster than the packets"
    ;;
dhcp-macs)
    # 100,000 DHCP discovers from new MACs, never answered: at most
    # --max-devices hints wait; the rest are evicted and counted.
    gen dhcp-macs d.pcap 100000
    run d d.pcap --max-devices 1000
    expect exit "$status" 0
    expect dhcp_hints_evicted "$(stat_of d dhcp_hints_evicted)" 99000
    grep -q "more DHCP clients wait for an address than --max-devices 1000" d.err || fail "no log line"
    at_most "memory above baseline (KiB)" $((rss_kb - base_kb)) $((48 << 10))
    ;;
fe80-sources)
    # 50,000 random link-local sources: 1000 devices in memory, the others
    # written to the store as they are evicted (none is lost).
    gen fe80-sources f.pcap 50000
    run f f.pcap --max-flows 1000 --max-devices 1000
    expect exit "$status" 0
    grep -q "1000 devices ->" f.err || fail "summary: $(grep packets f.err)"
    expect "device rows" "$(sqlite3 f.db 'SELECT count(*) FROM devices')" 50000
    # Counted when the statistics row is written, before the last 1000 flows end.
    expect devices_evicted "$(stat_of f devices_evicted)" 47000
    bounded_kb=$((rss_kb - base_kb))
    # The same with room for every device: the bound must save at least a
    # third of what the daemon takes beyond start-up (the rest is the flows
    # evicted at --max-flows on their way to the store).
    run f-all f.pcap --max-flows 1000 --max-devices 65536
    expect devices_evicted "$(stat_of f-all devices_evicted)" 0
    at_most "memory above baseline (KiB), bounded x 3/2" $((bounded_kb * 3 / 2)) $((rss_kb - base_kb))
    ;;
future-stamp)
    # One packet stamped 2036 amid a 600 s flow: taken at the capture
    # clock's time; the flow is not cut in two (before: 3 flow records, one
    # in 2036, as every open flow expired at the outlier).
    gen future-stamp s.pcap 600
    run s s.pcap
    expect exit "$status" 0
    expect time_outliers "$(stat_of s time_outliers)" 1
    expect flows "$(sqlite3 s.db 'SELECT remote_ip, first_seen, last_seen, packets_out FROM flows ORDER BY remote_ip' | tr '\n' ' ')" \
        "198.51.100.7|1793610000000000|1793610599000000|600 198.51.100.8|1793610300000000|1793610300000000|1 "
    ;;
bad-stamp)
    # A pcapng stamp of 2^64-1 us: malformed, not a flow in 1969.
    gen bad-stamp b.pcapng
    run b b.pcapng
    expect exit "$status" 0
    expect "malformed, bad_timestamps" "$(stat_of b 'malformed, bad_timestamps')" "1|1"
    expect flows "$(sqlite3 b.db 'SELECT first_seen, last_seen, packets_out FROM flows')" \
        "1793610000000000|1793610001000000|2"
    ;;
shrinking-file)
    # A 90 MB capture cut to nothing while it is read through its map (a
    # tcpdump -W ring file reused): no SIGBUS; what was read is stored; exit 4.
    gen big big.pcap 1000000
    rm -f s.db s.db-wal s.db-shm
    "$daemon" -r big.pcap -d s.db --geoip-dir "$geoip" --rules "$rules" 2> s.err &
    pid=$!
    fd=""
    for _ in $(seq 1 2000); do  # until the reader is 20 MB in (its descriptor's position, by the MiB)
        fd=$(find /proc/$pid/fd -lname "*/big.pcap" -printf '%f\n' 2> /dev/null | head -n 1 || true)
        pos=$( { [ -n "$fd" ] && awk '/^pos:/ {print $2}' /proc/$pid/fdinfo/$fd; } 2> /dev/null || true)
        [ "${pos:-0}" -gt $((20 << 20)) ] && break
        sleep 0.01
    done
    kill -STOP $pid
    truncate -s 0 big.pcap
    kill -CONT $pid
    status=0; wait $pid || status=$?
    echo "exit $status"; cat s.err
    expect exit "$status" 4
    grep -q "the file shrank while it was read" s.err || fail "no message"
    flows=$(sqlite3 s.db 'SELECT count(*) FROM flows')
    expect flows "$flows" 1000
    at_most "packets before the cut" "$(stat_of s packets)" 999999
    ;;
damaged-file)
    # A capture cut in the middle of a record: what was read is stored, exit 3.
    gen big whole.pcap 10000
    head -c 500000 whole.pcap > cut.pcap
    run c cut.pcap
    expect exit "$status" 3
    grep -q "truncated dump file" c.err || fail "no message: $(cat c.err)"
    expect packets "$(stat_of c packets)" $(((500000 - 24) / 90))
    ;;
capabilities)
    # As root, reading a pipe: once the first packets flow, the daemon holds
    # no capability and has no_new_privs (what packets meet if they exploit it).
    [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (to start with capabilities)"; exit 77; }
    gen dns-repeat p.pcap 20
    rm -f p.db p.db-wal p.db-shm p.checked
    # The rest of the capture follows once the check below is done (a loaded
    # machine may take many seconds to start the daemon).
    { head -c 2000 p.pcap; for _ in $(seq 1 600); do [ -e p.checked ] && break; sleep 0.1; done
      tail -c +2001 p.pcap; } |
        "$daemon" -r - -d p.db --geoip-dir "$geoip" --rules "$rules" 2> p.err &
    # Until it reads packets (start-up takes seconds under sanitizers): by then
    # no_new_privs is set, and every set must be empty.
    caps=""
    for _ in $(seq 1 500); do
        sleep 0.1
        pid=$(pgrep -n -f -- "-d p.db --geoip-dir" || true)
        [ -n "$pid" ] || continue
        caps=$(awk '/^(CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs):/ {printf "%s ", $2}' /proc/$pid/status 2> /dev/null || true)
        [[ "$caps" == *" 1 " ]] && break
    done
    touch p.checked
    expect "CapInh CapPrm CapEff CapAmb NoNewPrivs" "$caps" \
        "0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 "
    status=0; wait || status=$?
    expect exit "$status" 0
    expect flows "$(sqlite3 p.db 'SELECT count(*) FROM flows')" 20
    ;;
*) fail "unknown attack" ;;
esac
echo "ok: $attack"
