# Helpers for tests that run egresswatchd on live interfaces: veth pairs in a
# network namespace of the test's own, tcpreplay on one end, the daemon on the
# other. Sourced; the caller sets DAEMON, GEOIP, RULES and OUT first.

# Skips the test (ctest SKIP_RETURN_CODE 77) where it cannot run.
require_live_capture() {
    if [ "$(id -u)" -ne 0 ]; then echo "SKIP: live capture tests need root (network namespaces)"; exit 77; fi
    command -v tcpreplay > /dev/null || { echo "SKIP: no tcpreplay (apt-get install tcpreplay)"; exit 77; }
    require_readable_by_nobody "${GEOIP:-}" "${RULES:-}" "${OUT:-}"
    NETNS=ew-test-$$
    if ! ip netns add "$NETNS" 2> /dev/null; then echo "SKIP: cannot create a network namespace here"; exit 77; fi
    # Set at once: a setup step that fails below must not leave the namespace behind.
    trap cleanup_live_capture EXIT
    # No IPv6 and no addresses: the kernel sends nothing of its own on the links.
    ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# The tests run the daemon as nobody, which must read the rules and databases
# and reach the output folder: a checkout or build under a private home (/root
# is mode 700) cannot. Skips (77) with the reason and what to do.
require_readable_by_nobody() {
    local path
    for path; do
        [ -n "$path" ] && [ -e "$path" ] || continue
        if ! runuser -u nobody -- test -r "$path" 2> /dev/null ||
           { [ -d "$path" ] && ! runuser -u nobody -- test -x "$path" 2> /dev/null; }; then
            echo "SKIP: these tests run egresswatchd as nobody, who cannot read $path: the checkout or build" \
                 "directory is under a private directory (such as /root, mode 700); build under /srv, /opt or" \
                 "/tmp, or chmod o+x the directories above it"
            exit 77
        fi
    done
}

cleanup_live_capture() {
    local pid
    for pid in ${DAEMON_PIDS:-}; do kill -KILL "$pid" 2> /dev/null || true; done
    ip netns del "$NETNS" 2> /dev/null || true
}

in_netns() { ip netns exec "$NETNS" "$@"; }

# A veth pair NAME_tx (replay here) <-> NAME_rx (capture here), up, with room for jumbo frames.
make_link() {
    in_netns ip link add "$1_tx" type veth peer name "$1_rx"
    in_netns ip link set "$1_tx" mtu 9000 up
    in_netns ip link set "$1_rx" mtu 9000 up
}

# start_daemon LOG ARGS...: egresswatchd in the namespace, in the background,
# with the test geolocation and the checkout's rules; waits until it captures.
# Sets DAEMON_PID (and adds it to DAEMON_PIDS, killed on exit).
start_daemon() {
    local log=$1
    shift
    # Not through in_netns: $! must be the daemon itself, not a subshell.
    ip netns exec "$NETNS" env -u INVOCATION_ID "$DAEMON" --geoip-dir "$GEOIP" --rules "$RULES" "$@" 2> "$log" &
    DAEMON_PID=$!
    DAEMON_PIDS="${DAEMON_PIDS:-} $DAEMON_PID"
    local i
    for i in $(seq 100); do
        grep -q "capturing on" "$log" && return 0
        kill -0 "$DAEMON_PID" 2> /dev/null || { echo "egresswatchd did not start:"; cat "$log"; return 1; }
        sleep 0.1
    done
    echo "egresswatchd did not start capturing within 10 s:"; cat "$log"; return 1
}

# stop_daemon PID: SIGTERM, then its exit code; STOP_MS is how long it took.
stop_daemon() {
    local start=$(date +%s%N) status=0
    kill -TERM "$1"
    wait "$1" || status=$?
    STOP_MS=$(( ($(date +%s%N) - start) / 1000000 ))
    return $status
}

# The flows of a store, one line each, in a stable order, without times:
# what offline and live processing of the same packets must agree on.
flow_lines() {
    sqlite3 -separator ' ' "$1" "
        SELECT f.transport, f.vlan, f.device_ip, f.device_port, f.device_mac, f.remote_ip, f.remote_port,
               f.initiator, f.packets_out, f.bytes_out, f.packets_in, f.bytes_in, f.app_protocol, f.domain,
               f.country, f.asn, f.state, f.community_id, a.severity
        FROM flows f LEFT JOIN alerts a ON a.flow_id = f.id
        ORDER BY f.device_ip, f.device_port, f.remote_ip, f.remote_port, f.transport, f.first_seen"
}

# uid of a running process.
uid_of() { awk '/^Uid:/ {print $2}' "/proc/$1/status"; }

# heavy_traffic LINK SECONDS PPS CAPTURE: loops the capture onto LINK_tx in
# the background, every loop with new addresses (new flows); sets REPLAY_PID.
heavy_traffic() {
    ip netns exec "$NETNS" tcpreplay -q --loop=0 --unique-ip --pps="$3" --duration="$2" -i "$1_tx" "$4" \
        > /dev/null 2>&1 &
    REPLAY_PID=$!
}

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# wait_for_log LOG PATTERN: until a line of LOG matches (grep BRE), at most 15 s.
wait_for_log() {
    local i
    for i in $(seq 150); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
    echo "FAIL: no \"$2\" in $1 within 15 s:"; tail -n 5 "$1"; return 1
}
