#!/usr/bin/env bash
# Oracle for the evidence packets: for every alert of a capture, the packets
# `egresswatch pcap` writes equal, byte for byte, the frames tshark selects
# from the original capture (cut to the same snap length with editcap): the
# first N of each direction of the flow's 5-tuple within its time span, and
# the last DNS answer to the device that named the remote address before the
# flow began. Then the same for a real capture from ../shared/corpus, if present.
# Prints the storage cost per alert. Skipped (77) without tshark or editcap.
# Usage: pcap-oracle.sh EGRESSWATCHD EGRESSWATCH GEOIP_DIR RULES_DIR SAMPLE CORPUS_DIR OUT_DIR
set -euo pipefail
daemon=$1 cli=$2 geoip=$3 rules=$4 sample=$5 corpus=$6 out=$7
for tool in tshark editcap python3; do
    command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed (deploy/install-deps.sh)"; exit 77; }
done
rm -rf "$out"; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)

check() {  # NAME CAPTURE [DAEMON-ARGS...]
    local name=$1 capture=$2; shift 2
    local store="$out/$name.db"
    "$daemon" -r "$capture" -d "$store" --geoip-dir "$geoip" --rules "$rules" -q "$@"
    "$cli" -d "$store" pcap -o "$out/$name.pcapng" 2> "$out/$name.pcap.err"
    "$cli" -d "$store" verify > "$out/$name.verify"
    editcap -s "$snaplen" "$capture" "$out/$name.cut.pcap"
    python3 "$here/pcap_oracle.py" "$store" "$out/$name.pcapng" "$out/$name.cut.pcap" "$per_direction" "$name"
}

snaplen=512 per_direction=16
check sample "$sample"
# Fewer packets each way and a shorter snap length, so that both cut.
snaplen=100 per_direction=2
check sample-short "$sample" --evidence-packets 2 --evidence-snaplen 100

real="$corpus/real_home/blink-cam-02.pcap"
if [ -f "$real" ]; then
    snaplen=512 per_direction=16
    check blink-cam-02 "$real"
else
    echo "note: $real not found: the real capture was not checked"
fi
echo "pcap oracle: ok"
