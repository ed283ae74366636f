#!/usr/bin/env bash
# The CLI's alerts table on a terminal (a pseudo-terminal made by script(1),
# 100 columns): fitted, every reason whole, exactly as expected; in a pipe the
# table is the e2e baseline, byte for byte.
#
#   tests/ops/cli-terminal.sh EGRESSWATCHD EGRESSWATCH GEOIP_DIR SOURCE_DIR OUT_DIR
set -euo pipefail
DAEMON=$1 CLI=$2 GEOIP=$3 SOURCE=$4 OUT=$5
rm -rf "$OUT"; mkdir -p "$OUT"
fail() { echo "FAIL: $*"; exit 1; }
command -v script > /dev/null || { echo "SKIP: no script(1) (Debian: bsdutils)"; exit 77; }
"$DAEMON" -r "$SOURCE/samples/camera-network.pcap" -d "$OUT/store.db" --geoip-dir "$GEOIP" --rules "$SOURCE/rules" -q

"$CLI" -d "$OUT/store.db" alerts | cat > "$OUT/pipe.table"
cmp "$OUT/pipe.table" "$SOURCE/tests/e2e/cli_sample/expected/alerts.table" || fail "in a pipe the table changed"
echo "pipe: the e2e baseline, byte for byte"

script -qfec "env COLUMNS=100 EGRESSWATCH_CONF=/nonexistent $(printf '%q ' "$CLI" -d "$OUT/store.db" alerts)" \
    "$OUT/tty.txt" > /dev/null < /dev/null
sed -e '1{/^Script started/d}' -e '${/^Script done/d}' "$OUT/tty.txt" | tr -d '\r' > "$OUT/tty.table"
if [ -n "${UPDATE_BASELINES:-}" ]; then cp "$OUT/tty.table" "$SOURCE/tests/ops/expected/alerts-100.table"; fi
diff -u "$SOURCE/tests/ops/expected/alerts-100.table" "$OUT/tty.table" || fail "the terminal's table differs"
awk 'length($0) > 100 { exit 1 }' "$OUT/tty.table" || fail "a line is wider than 100 columns"
grep -q "^           domain:secu100.net (Xiongmai XMEye cloud)$" "$OUT/tty.table" || fail "the deciding reason is not whole"
echo "terminal (100 columns): fitted, every reason whole"
