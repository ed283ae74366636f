#!/usr/bin/env bash
# The progress line of egresswatchd -r: on a terminal (a pseudo-terminal made
# by script(1)) it is drawn in place and cleared before the summary; with
# --quiet, and when standard error is a pipe or a file, there is none.
#
#   tests/ops/progress.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
rm -rf "$OUT"; mkdir -p "$OUT"
fail() { echo "FAIL: $*"; exit 1; }
command -v script > /dev/null || { echo "SKIP: no script(1) (Debian: bsdutils)"; exit 77; }
# 30 copies of the capture: 4230 packets, past the 4096 at which the line is first drawn.
args=(); for i in $(seq 30); do args+=(-r "$CAPTURE"); done
run() { rm -f "$OUT"/store.db*; "$DAEMON" "${args[@]}" -d "$OUT/store.db" --geoip-dir "$GEOIP" --rules "$RULES" "$@"; }
summary="egresswatchd: 4230 packets (4230 IP, 0 not IP, 0 malformed), 279 flows, 63 alerts, 6 devices -> $OUT/store.db"

# In a pipe: the summary only.
run 2>&1 | cat > "$OUT/pipe.txt"
[ "$(cat "$OUT/pipe.txt")" = "$summary" ] || fail "in a pipe: $(cat -v "$OUT/pipe.txt")"
echo "pipe: the summary only"

# On a terminal: the line, then erased, then the summary.
quoted=$(printf '%q ' "$DAEMON" "${args[@]}" -d "$OUT/store.db" --geoip-dir "$GEOIP" --rules "$RULES")
rm -f "$OUT"/store.db*
script -qfec "$quoted" "$OUT/tty.txt" > /dev/null < /dev/null
# script writes its own first and last lines; the program's output is between.
body=$(sed -e '1{/^Script started/d}' -e '${/^Script done/d}' "$OUT/tty.txt" | tr -d '\n')
esc=$'\033'
case $body in
    $'\r'"${esc}[Kreading: "*"%, 1.3 of 1.3 MiB, 4096 packets ("*"/s), "*" flows, "*" alerts, "*" left"$'\r'"${esc}[K$summary"$'\r') ;;
    *) fail "on a terminal: $(printf '%s' "$body" | cat -v)" ;;
esac
echo "terminal: $(printf '%s' "$body" | cat -v | head -c 200)"

# --quiet on a terminal: nothing at all.
rm -f "$OUT"/store.db*
script -qfec "$quoted -q" "$OUT/quiet.txt" > /dev/null < /dev/null
body=$(sed -e '1{/^Script started/d}' -e '${/^Script done/d}' "$OUT/quiet.txt" | tr -d '\n')
[ -z "$body" ] || fail "--quiet on a terminal printed: $(printf '%s' "$body" | cat -v)"
echo "quiet: nothing"
