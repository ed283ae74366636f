#!/usr/bin/env bash
# --json-log: every line is a JSON object; one "flow" event per stored flow
# and one "alert" event per alert, with the same Community IDs that tshark
# (an independent implementation) computes for the same packets; each device's
# last "device" event is its row in the store.
#
# The sample, and the generator's captures with IPv6, ICMP, VLANs, GRE and ESP.
#
#   tests/live/json-log.sh EGRESSWATCHD GEOIP_DIR RULES_DIR SAMPLE OUT_DIR GENERATED_CAPTURES_DIR
set -euo pipefail
daemon=$1 geoip=$2 rules=$3 out=$5
set -- "$4" "$6"/{basic,ipv6,vlan,other_proto,dns_mixed,first_inbound}.pcap
rm -rf "$out"; mkdir -p "$out"
status=0
for capture in "$@"; do
    name=$(basename "$capture" .pcap)
    store="$out/$name.db" log="$out/$name.json"
    "$daemon" -r "$capture" -d "$store" --geoip-dir "$geoip" --rules "$rules" --json-log "$log" -q
    # As one JSON array, SQLite's JSON functions check and read every line.
    { echo '['; paste -sd, "$log"; echo ']'; } > "$out/$name.array.json"
    events() {
        sqlite3 "$store" "SELECT $1 FROM json_each(readfile('$out/$name.array.json')) WHERE $2 ORDER BY 1"
    }
    events "count(*)" "1" > /dev/null || { echo "FAIL: $log is not JSON lines"; status=1; continue; }
    [ "$(events "count(*)" "json_extract(value, '$.event_type') = 'flow'")" = "$(sqlite3 "$store" 'SELECT count(*) FROM flows')" ] ||
        { echo "FAIL: $name: flow events differ from the store's flows"; status=1; }
    [ "$(events "count(*)" "json_extract(value, '$.event_type') = 'alert'")" = "$(sqlite3 "$store" 'SELECT count(*) FROM alerts')" ] ||
        { echo "FAIL: $name: alert events differ from the store's alerts"; status=1; }
    # Device events: the last one of each device is its row in the store.
    last_devices="SELECT json_extract(value, '$.device_ip'), json_extract(value, '$.device_mac'),
        json_extract(value, '$.device_kind'), json_extract(value, '$.device_vendor')
        FROM json_each(readfile('$out/$name.array.json')) AS e
        WHERE json_extract(value, '$.event_type') = 'device' AND e.key = (SELECT max(f.key)
            FROM json_each(readfile('$out/$name.array.json')) AS f
            WHERE json_extract(f.value, '$.event_type') = 'device'
              AND json_extract(f.value, '$.device_ip') = json_extract(e.value, '$.device_ip'))
        ORDER BY 1"
    [ "$(sqlite3 "$store" "$last_devices")" = "$(sqlite3 "$store" 'SELECT ip, mac, kind, vendor FROM devices ORDER BY 1')" ] ||
        { echo "FAIL: $name: device events differ from the store's devices"; status=1; }
    [ "$(events "count(*)" "json_extract(value, '$.event_type') IN ('flow', 'alert') AND json_extract(value, '$.device_kind') IS NULL")" = 0 ] ||
        { echo "FAIL: $name: flow events without a device kind"; status=1; }
    events "DISTINCT json_extract(value, '$.community_id')" "json_extract(value, '$.event_type') = 'flow'" > "$out/$name.ours"
    tshark -r "$capture" --enable-protocol communityid -T fields -e communityid 2> /dev/null | sort -u | grep . > "$out/$name.tshark"
    if diff -u "$out/$name.tshark" "$out/$name.ours" > "$out/$name.diff"; then
        echo "$name: $(wc -l < "$out/$name.ours") flows, Community IDs as tshark's"
    else
        echo "FAIL: $name: Community IDs differ from tshark's:"; cat "$out/$name.diff"; status=1
    fi
done
exit $status
