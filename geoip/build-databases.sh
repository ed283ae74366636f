#!/usr/bin/env bash
# Build free GeoIP databases for egresswatch from the ip-location-db npm
# packages (no MaxMind licence needed). See geoip/README.md.
#
#   geoip/build-databases.sh [--force] [OUTDIR]      (default: build/geoip)
#
# Env: IPLOCDB_VERSION  npm version (or range) to pin both packages to.
#
# Produces OUTDIR/country.mmdb, OUTDIR/asn.mmdb, OUTDIR/VERSION.txt and
# OUTDIR/licenses/ (the packages' licence files, needed for attribution).
# Says how old the data is, and warns when it is over 45 days old: upstream
# has deprecated the npm packages (see geoip/README.md).
set -euo pipefail
shopt -s inherit_errexit  # so die() inside $(...) stops the script

COUNTRY_PKG=@ip-location-db/geo-whois-asn-country-mmdb
ASN_PKG=@ip-location-db/asn

start=$SECONDS
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "build-databases: error: $*" >&2; exit 1; }
say() { echo "build-databases: $*"; }

force=0 outdir=
for arg; do
    case $arg in
        --force) force=1 ;;
        -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) die "unknown option $arg (try --help)" ;;
        *) [[ -z $outdir ]] || die "only one OUTDIR allowed"; outdir=$arg ;;
    esac
done
outdir=${outdir:-$(dirname "$here")/build/geoip}

command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs)"
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
    die "perl module MaxMind::DB::Writer::Tree missing (Debian: apt-get install libmaxmind-db-writer-perl)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
spec() { echo "$1${IPLOCDB_VERSION:+@$IPLOCDB_VERSION}"; }

# npm's own stderr is noisy (config warnings); keep it for error messages only.
# npm 10 says "npm error", Debian 12's npm 9 "npm ERR!"; either way the script
# must say what failed and what to do, not stop silently (set -e, grep's 1).
npm_or_die() {
    if ! npm "$@" 2>"$tmp/npm.err"; then
        { grep -E '^npm (error|ERR!)' "$tmp/npm.err" | grep -Ev '^npm (error|ERR!) +at ' | head -n 6 >&2; } || true
        local registry hint
        registry=$(npm config get registry 2>/dev/null || echo "https://registry.npmjs.org/")
        if grep -qE 'SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF|CERT_|certificate' "$tmp/npm.err"; then
            hint="npm does not trust the registry's TLS certificate, as behind a TLS-inspecting proxy: give npm the proxy's CA certificate (NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or npm config set cafile /path/to/ca.pem) and run this again"
        elif grep -qE 'ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ENETUNREACH|network' "$tmp/npm.err"; then
            hint="the npm registry ($registry) cannot be reached: behind a web proxy, set it (npm config set proxy http://PROXY:PORT; npm config set https-proxy http://PROXY:PORT) and run this again"
        elif grep -qE 'E404|ETARGET|No matching version' "$tmp/npm.err"; then
            hint="no such package version${IPLOCDB_VERSION:+ (IPLOCDB_VERSION=$IPLOCDB_VERSION)}"
        else
            hint="is the npm registry ($registry) reachable, and does the version exist?"
        fi
        die "'npm $*' failed: $hint. Without the npm registry, use MaxMind's GeoLite2 files instead: geoipupdate, then --geoip-dir /var/lib/GeoIP (README.md, \"Geolocation data\")"
    fi
}

# Ask the registry first, so an up-to-date OUTDIR costs no download.
# With a range, npm view lists every match; the last one is the newest.
latest() {
    local json
    json=$(npm_or_die view "$(spec "$1")" version --json)
    [[ -n $json ]] || die "no version of $1 matches '${IPLOCDB_VERSION:-latest}'"
    node -p '[].concat(JSON.parse(process.argv[1])).at(-1)' "$json"
}
country_ver=$(latest "$COUNTRY_PKG")
asn_ver=$(latest "$ASN_PKG")

# The data's own date: ip-location-db's versions end in YYYYMMDDHH
# (2.3.2026061719 is data of 2026-06-17). Empty when a version does not.
data_date() {
    [[ $1 =~ \.(20[0-9]{2})([0-9]{2})([0-9]{2})[0-9]{2}$ ]] || return 0
    echo "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}"
}
STALE_DAYS=45
# Says how old the data is; warns past STALE_DAYS.
report_age() {
    local name=$1 date=$2 days
    if [[ -z $date ]]; then
        say "$name: the data's date is unknown (version $3)"
        return
    fi
    days=$(( ($(date -u +%s) - $(date -u -d "$date" +%s)) / 86400 ))
    say "$name: data of $date, $days days old"
    if (( days > STALE_DAYS )); then
        echo "build-databases: warning: $name's data is $days days old (over $STALE_DAYS): networks move, so" \
             "countries and owners drift. ip-location-db has deprecated its npm packages and will stop updating" \
             "them (geoip/README.md); for current data use MaxMind's GeoLite2 with geoipupdate (README.md," \
             "\"Geolocation data\")." >&2
    fi
}
country_date=$(data_date "$country_ver")
asn_date=$(data_date "$asn_ver")

if (( !force )) && [[ -s $outdir/country.mmdb && -s $outdir/asn.mmdb && -f $outdir/VERSION.txt ]] &&
   grep -q "^country.mmdb	$COUNTRY_PKG@$country_ver	" "$outdir/VERSION.txt" &&
   grep -q "^asn.mmdb	$ASN_PKG@$asn_ver	" "$outdir/VERSION.txt"; then
    report_age country.mmdb "$country_date" "$country_ver"
    report_age asn.mmdb "$asn_date" "$asn_ver"
    say "$outdir is already up to date ($COUNTRY_PKG@$country_ver, $ASN_PKG@$asn_ver); use --force to rebuild"
    exit 0
fi

# Fetch and unpack one package into $tmp/NAME and set $pkgdir to it.
fetch() {
    local name=$1 ver=$2
    say "fetching $name@$ver"
    npm_or_die pack "$name@$ver" --pack-destination "$tmp" --silent >/dev/null
    pkgdir=$tmp/${name##*/}
    mkdir -p "$pkgdir"
    tar -xzf "$tmp/ip-location-db-${name##*/}-$ver.tgz" -C "$pkgdir" --strip-components=1
}

# Licence as actually shipped: every *LICENSE file in these packages is a
# CC BY 4.0 notice naming whom to credit; package.json's field is kept too
# because it disagrees for the country package (it says CC0-1.0).
licence() {
    local dir=$1 who=() f
    for f in "$dir"/*LICENSE*; do
        [[ -e $f ]] || continue
        if grep -q 'Creative Commons Attribution 4.0' "$f"; then
            who+=("$(basename "$f" | sed 's/[-_]LICENSE.*//')")
        else
            who+=("$(basename "$f"): unrecognised licence text")
        fi
    done
    local pj; pj=$(node -p "require('$dir/package.json').license")
    if ((${#who[@]})); then
        local IFS=,; echo "CC-BY-4.0 (credit: ${who[*]}); package.json: $pj"
    else
        echo "$pj"
    fi
}

mkdir -p "$outdir"
# A half-finished rebuild must not look current to the next run.
rm -f "$outdir/VERSION.txt"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

fetch "$COUNTRY_PKG" "$country_ver"
country_dir=$pkgdir
country_mmdb=$country_dir/geo-whois-asn-country.mmdb
[[ -s $country_mmdb ]] || die "$COUNTRY_PKG@$country_ver has no geo-whois-asn-country.mmdb: package layout changed"
cp "$country_mmdb" "$outdir/country.mmdb.new"
mv "$outdir/country.mmdb.new" "$outdir/country.mmdb"
say "wrote $outdir/country.mmdb"

fetch "$ASN_PKG" "$asn_ver"
asn_dir=$pkgdir
for f in asn-ipv4.csv asn-ipv6.csv; do
    [[ -s $asn_dir/$f ]] || die "$ASN_PKG@$asn_ver has no $f: package layout changed"
done
# The CSVs have no header; refuse to guess if that ever changes.
head -n1 "$asn_dir/asn-ipv4.csv" | grep -Eq '^[0-9.]+,[0-9.]+,[0-9]+,' ||
    die "unexpected first line in asn-ipv4.csv: $(head -n1 "$asn_dir/asn-ipv4.csv")"
say "converting $(cat "$asn_dir"/asn-ipv[46].csv | wc -l) ASN ranges to mmdb"
MMDB_BUILD_EPOCH=${asn_date:+$(date -u -d "$asn_date" +%s)} \
    "$here/asn-csv-to-mmdb.pl" "$outdir/asn.mmdb.new" "$asn_dir/asn-ipv4.csv" "$asn_dir/asn-ipv6.csv" 2>"$tmp/convert.log" ||
    { cat "$tmp/convert.log" >&2; die "ASN conversion failed"; }
cat "$tmp/convert.log" >&2
mv "$outdir/asn.mmdb.new" "$outdir/asn.mmdb"
say "wrote $outdir/asn.mmdb"

# CC BY 4.0 requires passing the notices on with the data.
for d in "$country_dir" "$asn_dir"; do
    dest=$outdir/licenses/$(basename "$d")
    mkdir -p "$dest"
    for f in "$d"/*LICENSE* "$d"/MODIFICATIONS "$d"/README.md "$d"/package.json; do
        if [[ -e $f ]]; then cp "$f" "$dest/"; fi
    done
done

# Tab-separated: file, package@version, licence, build date (UTC).
{
    printf 'country.mmdb\t%s@%s\t%s\t%s\n' "$COUNTRY_PKG" "$country_ver" "$(licence "$country_dir")" "$now"
    printf 'asn.mmdb\t%s@%s\t%s\t%s\n' "$ASN_PKG" "$asn_ver" "$(licence "$asn_dir")" "$now"
} >"$outdir/VERSION.txt"

report_age country.mmdb "$country_date" "$country_ver"
report_age asn.mmdb "$asn_date" "$asn_ver"
say "done in $((SECONDS - start))s:"
ls -l "$outdir/country.mmdb" "$outdir/asn.mmdb"
cat "$outdir/VERSION.txt"
