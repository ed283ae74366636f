#!/usr/bin/env bash
# Installs what egresswatch needs to build, test and run, from Debian's packages.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail
packages=(
    build-essential cmake pkg-config git
    libpcap-dev libndpi-dev libndpi-bin libmaxminddb-dev mmdb-bin
    libboost-program-options-dev libsqlite3-dev sqlite3 catch2
    ieee-data libmaxmind-db-writer-perl
    tshark tcpreplay iproute2 clang libclang-rt-14-dev
    # SHA-256 of the evidence chain and Ed25519 signed checkpoints (OpenSSL
    # libcrypto; the openssl tool makes keys); the HTML report's
    # browser test (headless Chromium) and the case-bundle verifier (Python).
    libssl-dev openssl chromium python3
    # The daemon's webhooks (--webhook): HTTP and HTTPS through libcurl.
    libcurl4-openssl-dev
    # The daemon's allocator (jemalloc on transparent huge pages: CMakeLists.txt).
    libjemalloc-dev
    # The central view (deploy/clickhouse) and its test: ClickHouse 18.16,
    # about 13 MB to download and 85 MB installed; jq for the loader.
    clickhouse-server clickhouse-client jq
    # Checking the systemd unit (systemd-analyze) and building the package.
    systemd dpkg-dev
    # Time zones for egresswatch --tz (and the ClickHouse test); man pages'
    # check (man -l) and bash completion's; script(1) for the progress test.
    tzdata man-db bash-completion bsdutils
    # The hostile-traffic tests' peak memory (/usr/bin/time -v).
    time
)
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the default geolocation data; Node.js may come from elsewhere.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
    # tshark asks whether non-root users may capture: answer no, non-interactively.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "all packages present"
fi
