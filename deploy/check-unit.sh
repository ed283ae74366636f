#!/usr/bin/env bash
# The systemd unit passes `systemd-analyze verify`, and `systemd-analyze
# security` rates its exposure at most 2.0 of 10 (the threshold is in tenths): well locked down.
#
#   deploy/check-unit.sh UNIT_FILE EGRESSWATCHD
set -euo pipefail
unit=$1 daemon=$2
command -v systemd-analyze > /dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify wants ExecStart's program to exist: point it at this build's.
sed "s|^\(Exec[A-Za-z]*\)=/usr/bin/egresswatchd|\1=$daemon|" "$unit" > "$work/egresswatch.service"
systemd-analyze verify "$work/egresswatch.service"
echo "systemd-analyze verify: ok"
systemd-analyze security --offline=true --threshold=20 "$work/egresswatch.service" | tail -1
