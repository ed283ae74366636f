#!/usr/bin/env bash
# The HTML report in a real browser: egresswatchd records the sample capture,
# egresswatch writes the month's HTML report, and headless Chromium renders it
# to a PNG and dumps the DOM it built. The page must have loaded with the
# report's headline numbers (taken from the JSON report of the same store),
# its charts, and a screenshot that is not blank.
# Skipped (exit 77) with a message when chromium is not installed.
set -euo pipefail
daemon=$1 cli=$2 geoip=$3 source=$4 out=$5
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "SKIPPED: chromium is not installed (apt-get install chromium; .ci/run installs it)"
    exit 77
fi
rm -rf "$out"; mkdir -p "$out"
store="$out/store.db"
"$daemon" -r "$source/samples/camera-network.pcap" -d "$store" --geoip-dir "$geoip" --rules "$source/rules" 2> "$out/daemon.err"
"$cli" -d "$store" report --period 2026-11 --format html -o "$out/report.html"
"$cli" -d "$store" report --period 2026-11 --format json -o "$out/report.json"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
browser=("$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
         --disable-background-networking --disable-component-update --disable-sync
         --user-data-dir="$profile" --window-size=1200,2000)
timeout 120 "${browser[@]}" --screenshot="$out/report.png" "file://$out/report.html" 2> "$out/chromium.err"
timeout 120 "${browser[@]}" --dump-dom "file://$out/report.html" > "$out/dom.html" 2>> "$out/chromium.err"
timeout 120 "${browser[@]}" --no-pdf-header-footer --print-to-pdf="$out/report.pdf" "file://$out/report.html" \
    2>> "$out/chromium.err"

python3 - "$out" <<'EOF'
import json, struct, sys, zlib
out = sys.argv[1]
report = json.load(open(out + "/report.json"))
dom = open(out + "/dom.html", encoding="utf-8").read()
h = report["headline"]
expected = {
    "cameras-seen": h["cameras_seen"],
    "cameras-abroad": h["cameras_sent_abroad"],
    "camera-bytes-abroad": h["cameras_abroad"]["bytes_out"],
    "iot-seen": h["iot_seen"],
}
problems = []
if h["cameras_seen"] == 0 or h["cameras_abroad"]["bytes_out"] == 0:
    problems.append("the sample's report has no cameras abroad: %r" % h)
for element, value in expected.items():
    shown = '<div class="value" id="%s">%s</div>' % (element, format(value, ","))
    if shown not in dom:
        problems.append("the rendered page does not show %s = %s" % (element, format(value, ",")))
if dom.count("<svg") < 4 or "<h1>Egress report: 2026-11</h1>" not in dom:
    problems.append("the rendered page lacks its title or its four charts")

# The screenshot: a PNG whose pixels are not all one colour.
png = open(out + "/report.png", "rb").read()
if png[:8] != b"\x89PNG\r\n\x1a\n":
    problems.append("report.png is not a PNG")
else:
    pos, idat = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IHDR":
            width, height = struct.unpack(">II", png[pos + 8:pos + 16])
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    if (width, height) != (1200, 2000) or len(set(pixels)) < 16:
        problems.append("the screenshot looks blank (%dx%d, %d distinct bytes)" % (width, height, len(set(pixels))))
pdf = open(out + "/report.pdf", "rb").read()
if not pdf.startswith(b"%PDF") or pdf.count(b"/Type /Page") < 2:
    problems.append("the page did not print to a PDF of pages")
for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print("chromium rendered the report: headline %s; screenshot %s" % (expected, out + "/report.png"))
EOF
