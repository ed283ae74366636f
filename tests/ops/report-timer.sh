#!/usr/bin/env bash
# The periodic report: the timers and their service verify (systemd-analyze,
# where there is one), and the service's command, run once against a test
# store, writes last month's report as HTML, CSV and JSON named by the period;
# a second run overwrites nothing.
#
#   tests/ops/report-timer.sh EGRESSWATCHD EGRESSWATCH GEOIP_DIR CAPTURE SOURCE_DIR OUT_DIR
set -euo pipefail
DAEMON=$1 CLI=$2 GEOIP=$3 CAPTURE=$4 SOURCE=$5 OUT=$6
rm -rf "$OUT"; mkdir -p "$OUT/units"
fail() { echo "FAIL: $*"; exit 1; }
script=$SOURCE/deploy/egresswatch-periodic-report
unit=$SOURCE/deploy/egresswatch-report@.service
installed=/usr/share/egresswatch/egresswatch-periodic-report

# The service's command, as the unit gives it, with this checkout's script.
grep -q "^ExecStart=$installed %i /var/lib/egresswatch/reports$" "$unit" || fail "unexpected ExecStart in $unit"
for timer in monthly:last-month weekly:last-week; do
    grep -q "^Unit=egresswatch-report@${timer#*:}.service$" "$SOURCE/deploy/egresswatch-report-${timer%%:*}.timer" ||
        fail "egresswatch-report-${timer%%:*}.timer does not start egresswatch-report@${timer#*:}.service"
done
if command -v systemd-analyze > /dev/null; then
    cp "$SOURCE"/deploy/egresswatch-report* "$OUT/units/"
    sed -i "s|$installed|$script|" "$OUT/units/egresswatch-report@.service"
    (cd "$OUT/units" && systemd-analyze verify --man=no egresswatch-report@last-month.service \
        egresswatch-report@last-week.service egresswatch-report-monthly.timer egresswatch-report-weekly.timer)
    echo "systemd-analyze verify: ok; monthly: $(systemd-analyze calendar '*-*-01 02:00:00' | grep -m1 'Next elapse')"
else
    echo "systemd-analyze verify: not checked (no systemd-analyze); the rest runs"
fi

"$DAEMON" -r "$CAPTURE" -d "$OUT/store.db" --geoip-dir "$GEOIP" -q
period=$("$CLI" -d "$OUT/store.db" report --period last-month --format json | grep -o -m1 '"period": *"[^"]*"' |
         sed 's/.*"\([^"]*\)"$/\1/')
[[ $period =~ ^[0-9]{4}-[0-9]{2}$ ]] || fail "last-month is '$period'"
run_service() {  # ExecStart with %i = last-month and the test's store and report directory
    EGRESSWATCH=$CLI EGRESSWATCH_DB=$OUT/store.db EGRESSWATCH_CONF=/nonexistent "$script" last-month "$OUT/reports"
}
run_service > "$OUT/first.log"
for format in html csv json; do
    f=$OUT/reports/egress-report-$period.$format
    [ -s "$f" ] || fail "no $f: $(cat "$OUT/first.log")"
    grep -qF "wrote $f" "$OUT/first.log" || fail "did not say it wrote $f"
done
grep -q "<title>Egress report: $period</title>" "$OUT/reports/egress-report-$period.html" || fail "HTML is not for $period"
grep -q "^period,,,,,,,,,,period,$period$" "$OUT/reports/egress-report-$period.csv" || fail "CSV is not for $period"
grep -q "\"period\": \"$period\"" "$OUT/reports/egress-report-$period.json" || fail "JSON is not for $period"
# The report's method names each store's evidence-chain head.
grep -q '"chain' "$OUT/reports/egress-report-$period.json" || fail "JSON has no chain head"
[ "$(ls -A "$OUT/reports" | wc -l)" = 3 ] || fail "left other files: $(ls -A "$OUT/reports")"
echo "first run: $(tr '\n' ' ' < "$OUT/first.log")"

# Never overwritten: a second run keeps the files as they were.
echo "edited" >> "$OUT/reports/egress-report-$period.csv"
sums=$(md5sum "$OUT"/reports/*)
run_service > "$OUT/second.log"
[ "$(md5sum "$OUT"/reports/*)" = "$sums" ] || fail "the second run changed a report"
[ "$(grep -c 'exists: not overwritten' "$OUT/second.log")" = 3 ] || fail "second run: $(cat "$OUT/second.log")"
echo "second run: nothing overwritten"
