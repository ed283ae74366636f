#!/usr/bin/env bash
# egresswatchd --check: exit 0 and what it would run with for a good
# configuration; exit 1 and each problem with its file:line and a fix for
# each broken one. Run as root it also checks as the user the daemon becomes.
#
#   tests/ops/check.sh EGRESSWATCHD GEOIP_DIR RULES_DIR CAPTURE OUT_DIR
set -euo pipefail
DAEMON=$1 GEOIP=$2 RULES=$3 CAPTURE=$4 OUT=$5
rm -rf "$OUT"; mkdir -p "$OUT/store"
fail() { echo "FAIL: $*"; exit 1; }
conf=$OUT/egresswatch.conf
cp -r "$RULES" "$OUT/rules"
write_conf() {
    cat > "$conf" <<CONF
# a test configuration
read = $CAPTURE
db = $OUT/store/evidence.db
rules = $OUT/rules
geoip-dir = $GEOIP
CONF
}
# check NAME EXPECTED_EXIT [ARGS...]: runs --check on $conf.
check() {
    local name=$1 expected=$2 status=0
    shift 2
    "$DAEMON" --check -c "$conf" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || status=$?
    [ "$status" = "$expected" ] || fail "$name: exit $status, expected $expected: $(cat "$OUT/$name.err")"
}
says() {  # says NAME FILE TEXT
    grep -qF -- "$3" "$OUT/$1.$2" || fail "$1: $2 does not say \"$3\": $(cat "$OUT/$1.$2")"
}

write_conf
check good 0
says good out "would run with $conf:"
says good out "  capture       1 file(s) opened: $CAPTURE"
says good out "  store         $OUT/store/evidence.db (will be created; its directory is writable by"
says good out "  rules         $OUT/rules ("
says good out "  geolocation   country: country.mmdb"
says good out "configuration OK"
[ ! -s "$OUT/good.err" ] || fail "good: complained: $(cat "$OUT/good.err")"
[ ! -e "$OUT/store/evidence.db" ] || fail "good: --check created the store"
check quiet 0 --quiet
[ ! -s "$OUT/quiet.out" ] || fail "quiet: printed $(cat "$OUT/quiet.out")"
echo "good: exit 0"

# An existing store: its schema version is read, nothing is written.
"$DAEMON" -r "$CAPTURE" -d "$OUT/store/evidence.db" --rules "$RULES" --geoip-dir "$GEOIP" -q
sum=$(md5sum < "$OUT/store/evidence.db")
check existing 0
says existing out "(exists, schema version"
[ "$(md5sum < "$OUT/store/evidence.db")" = "$sum" ] || fail "existing: --check changed the store"
rm -f "$OUT"/store/*

write_conf; echo "bogus-option = 1" >> "$conf"
check unknown-option 1
says unknown-option err "$conf:6: unrecognised option 'bogus-option'"
says unknown-option err "    fix: "
write_conf; echo "snaplen = 0" >> "$conf"
check bad-value 1
says bad-value err "$conf:6: --snaplen and --buffer-mb must be positive"
write_conf; sed -i "s|^db = .*|db = $OUT/missing/evidence.db|" "$conf"
check store-dir-missing 1
says store-dir-missing err "$conf:3: directory $OUT/missing of $OUT/missing/evidence.db does not exist"
says store-dir-missing err "    fix: create it: install -d"
write_conf; echo "not a database" > "$OUT/store/evidence.db"
check store-garbage 1
says store-garbage err "$conf:3: cannot open store $OUT/store/evidence.db"
rm -f "$OUT/store/evidence.db"
write_conf; echo "AS64500 somewhere-else Example" >> "$OUT/rules/networks.txt"
line=$(wc -l < "$OUT/rules/networks.txt")
check rules-line 1
says rules-line err "$OUT/rules/networks.txt:$line: unknown network class"
says rules-line err "    fix: correct that line"
rm -rf "$OUT/rules"; cp -r "$RULES" "$OUT/rules"
write_conf; sed -i "s|^geoip-dir = .*|geoip-dir = $OUT/no-geoip|" "$conf"
cp -r "$GEOIP" "$OUT/no-geoip"; head -c 2000 /dev/urandom > "$OUT/no-geoip/country.mmdb"
check geoip-garbage 1
says geoip-garbage err "$conf:5: "
says geoip-garbage err "$OUT/no-geoip/country.mmdb"
write_conf; sed -i "s|^read = .*|read = $OUT/no-such.pcap|" "$conf"
check capture-missing 1
says capture-missing err "$conf:2: cannot read capture $OUT/no-such.pcap"
write_conf; printf 'interface = ew-no-such0\nfilter = not a filter ((\n' >> "$conf"; sed -i '/^read = /d' "$conf"
check interface-missing 1
says interface-missing err "$conf:5: cannot "
says interface-missing err "ew-no-such0"
for name in unknown-option bad-value store-dir-missing store-garbage rules-line geoip-garbage capture-missing interface-missing; do
    echo "$name: exit 1: $(head -n1 "$OUT/$name.err")"
done

# As root: the files are checked as the user the daemon becomes.
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the check as another user needs root (the rest passed)"; exit 77; fi
write_conf; chmod 700 "$OUT/store"
check user-cannot-write 1 --user nobody
says user-cannot-write err "$conf:3: user nobody cannot create files in $OUT/store"
says user-cannot-write out "  user          nobody (after the capture is open)"
chmod 777 "$OUT/store"
if ! su -s /bin/sh nobody -c "test -r '$OUT/rules/countries.txt' && test -r '$GEOIP/country.mmdb'" 2> /dev/null; then
    echo "user-can-write: not checked: nobody cannot read $OUT (a checkout under a private home directory?)"
else
    check user-can-write 0 --user nobody
    echo "user-can-write: exit 0"
fi
echo "user-cannot-write: exit 1: $(head -n1 "$OUT/user-cannot-write.err")"

# A rules directory that the user cannot reach (a checkout under /root): the
# daemon's own file:line message, not a bare filesystem error.
mkdir -p "$OUT/private/rules"; cp "$RULES"/*.txt "$OUT/private/rules/"; chmod 700 "$OUT/private"
status=0
"$DAEMON" -r "$CAPTURE" -d "$OUT/store/unreached.db" --rules "$OUT/private/rules" --geoip-dir "$GEOIP" --user nobody -q \
    2> "$OUT/unreachable-rules.err" || status=$?
[ "$status" = 2 ] || fail "unreachable rules: exit $status"
grep -qF "egresswatchd: $OUT/private/rules/countries.txt:1: cannot read rules file (permission denied: $OUT/private/rules or a directory above it cannot be searched by this user)" \
    "$OUT/unreachable-rules.err" || fail "unreachable rules: $(cat "$OUT/unreachable-rules.err")"
echo "unreachable rules: exit 2: $(head -c 150 "$OUT/unreachable-rules.err")..."
