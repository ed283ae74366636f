#!/usr/bin/env bash
# CI: installs the Debian package on this machine and checks what it set up:
# the egresswatch system user, /var/lib/egresswatch (0750, its own), the
# configuration (a conffile, 0640), the systemd unit, and that egresswatchd
# runs as installed: as that user on a capture, and, started as root on a live
# interface, dropping to that user by itself. Then removes the package (the
# user and /var/lib/egresswatch stay, as Debian packages leave them).
#
#   deploy/check-package.sh PACKAGE.deb TEST_GEOIP_DIR CAPTURE
set -euo pipefail
deb=$(realpath "$1") geoip=$(realpath "$2") capture=$(realpath "$3")
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: installing a package needs root"; exit 77; fi
fail() { echo "FAIL: $*"; exit 1; }
netns=ew-package-$$
log=$(mktemp)
cleanup() {
    rm -f "$log"
    ip netns del "$netns" 2>/dev/null || true
    dpkg -r egresswatch > /dev/null 2>&1 || true
    rm -f /var/lib/egresswatch/package-check.db*
}
trap cleanup EXIT

# Wait for another apt (unattended upgrades) rather than fail on its lock.
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$deb" > /dev/null
echo "installed $(dpkg-query -W -f='${Package} ${Version}' egresswatch)"

getent passwd egresswatch > /dev/null || fail "no egresswatch user"
uid=$(id -u egresswatch)
[ "$uid" -lt 1000 ] || fail "egresswatch is not a system user (uid $uid)"
[ "$(stat -c '%a %U:%G' /var/lib/egresswatch)" = "750 egresswatch:egresswatch" ] ||
    fail "/var/lib/egresswatch is $(stat -c '%a %U:%G' /var/lib/egresswatch)"
[ "$(stat -c '%a %U:%G' /etc/egresswatch/egresswatch.conf)" = "640 root:egresswatch" ] ||
    fail "/etc/egresswatch/egresswatch.conf is $(stat -c '%a %U:%G' /etc/egresswatch/egresswatch.conf)"
[ "$(stat -c '%a %U:%G' /etc/egresswatch/signing.key)" = "400 egresswatch:egresswatch" ] ||
    fail "/etc/egresswatch/signing.key is $(stat -c '%a %U:%G' /etc/egresswatch/signing.key)"
openssl pkey -pubin -in /etc/egresswatch/signing.pub -noout || fail "no public key /etc/egresswatch/signing.pub"
dpkg-query -W -f='${Conffiles}\n' egresswatch | grep -q /etc/egresswatch/egresswatch.conf ||
    fail "the configuration is not a conffile"
systemd-analyze verify /usr/lib/systemd/system/egresswatch.service || fail "systemd-analyze verify"
/usr/bin/egresswatchd --version
# The man pages (written at build time from the option tables) render; the
# bash completion and the periodic report's units and script are there.
for page in /usr/share/man/man8/egresswatchd.8.gz /usr/share/man/man1/egresswatch.1.gz; do
    [ -s "$page" ] || fail "no $page in the package"
    if command -v man > /dev/null; then
        man -l "$page" 2> /dev/null | grep -q "^NAME" || fail "man -l $page does not render"
    fi
done
echo "man pages: egresswatchd(8), egresswatch(1) render"
for f in /usr/share/bash-completion/completions/egresswatch /usr/share/bash-completion/completions/egresswatchd \
         /usr/share/egresswatch/egresswatch-periodic-report; do
    [ -s "$f" ] || fail "no $f in the package"
done
bash -n /usr/share/bash-completion/completions/egresswatch || fail "the completion does not parse"
systemd-analyze verify --man=no /usr/lib/systemd/system/egresswatch-report@last-month.service \
    /usr/lib/systemd/system/egresswatch-report-monthly.timer /usr/lib/systemd/system/egresswatch-report-weekly.timer ||
    fail "systemd-analyze verify of the report units"
systemctl is-enabled egresswatch-report-monthly.timer 2> /dev/null | grep -qx enabled &&
    fail "the monthly report timer is enabled by the package; it must be disabled until the admin enables it"

# As the service runs: the installed rules are found, the store is writable.
store=/var/lib/egresswatch/package-check.db
runuser -u egresswatch -- /usr/bin/egresswatchd -r "$capture" -d "$store" --geoip-dir "$geoip" \
    --signing-key /etc/egresswatch/signing.key || fail "egresswatchd as the egresswatch user"
[ "$(stat -c %U "$store")" = egresswatch ] || fail "store not owned by egresswatch"
/usr/bin/egresswatch -d "$store" verify --key /etc/egresswatch/signing.pub || fail "verify --key of the installed key"

# Started as root outside systemd on a live interface, it becomes egresswatch.
if ip netns add "$netns" 2> /dev/null; then
    ip -n "$netns" link add mon0 type veth peer name mon1
    ip -n "$netns" link set mon0 up
    ip -n "$netns" link set mon1 up
    ip netns exec "$netns" env -u INVOCATION_ID /usr/bin/egresswatchd -i mon0 -d "$store" --geoip-dir "$geoip" \
        2> "$log" &
    pid=$!
    for _ in $(seq 50); do grep -q capturing "$log" && break; sleep 0.1; done
    running_as=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"
    wait "$pid" || fail "egresswatchd exit $? after SIGTERM: $(cat "$log")"
    [ "$running_as" = "$uid" ] || fail "the daemon kept uid $running_as instead of egresswatch ($uid)"
    echo "live capture started as root ran as egresswatch (uid $uid)"
else
    echo "no network namespaces here: the privilege drop on live capture is not checked"
fi
echo "package ok"
