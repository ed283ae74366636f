#!/usr/bin/env bash
# The man pages and bash completion the build writes from the option tables:
# man -l renders both pages, every option --help lists is in its page, and the
# completion scripts load in bash and complete commands, options and values.
#
#   tests/ops/docs.sh EGRESSWATCHD EGRESSWATCH DOC_DIR
set -euo pipefail
DAEMON=$1 CLI=$2 DOCS=$3
fail() { echo "FAIL: $*"; exit 1; }

for page in man8/egresswatchd.8.gz:"$DAEMON" man1/egresswatch.1.gz:"$CLI"; do
    file=$DOCS/${page%%:*} program=${page#*:}
    [ -s "$file" ] || fail "no $file"
    if command -v man > /dev/null; then
        text=$(MANWIDTH=100 man -l "$file" 2> /dev/null | col -b) || fail "man -l $file"
    else
        text=$(zcat "$file")  # the roff source: option names are there too, as \-\-name
        text=${text//\\-/-}
    fi
    grep -q "^NAME" <<< "$text" || fail "$file renders without NAME"
    # Every long option of --help, in the page.
    n=0
    for option in $("$program" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -qF -- "$option" <<< "$text" || fail "$file lacks $option"
        n=$((n + 1))
    done
    echo "$(basename "$file"): renders, has all $n options of --help"
done

# complete PROGRAM WORDS...: what the completion offers for the last word.
complete_words() {
    local script=$DOCS/completions/$1
    bash --norc --noprofile -c '
        source "$1" || exit 3
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        fn=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
        "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        echo "${COMPREPLY[*]}"' bash "$script" "$@"
}
expect() {  # expect "OFFERED" PROGRAM WORDS...
    local want=$1 got
    shift
    got=$(complete_words "$@") || fail "completion for $* did not load"
    [ "$got" = "$want" ] || fail "completing '$*': got '$got', want '$want'"
}
expect "alerts" egresswatch al
expect "devices device" egresswatch dev
expect "" egresswatch alerts al
expect "--format" egresswatch alerts --form
expect "table csv json jsonl md html" egresswatch report --format ""
expect "high" egresswatch alerts --severity h
expect "last-month last-week" egresswatch report --period last
expect "--check" egresswatchd --ch
expect "wall packet" egresswatchd --flush-clock ""
if [ -e /usr/share/zoneinfo/Europe/London ]; then expect "Europe/London" egresswatch alerts --tz Europe/Lon; fi
echo "completion: loads in bash, completes commands, options and --format values"

# --version: the version, nDPI's, and the geolocation databases (or their absence).
for program in "$DAEMON" "$CLI"; do
    out=$("$program" --version)
    grep -qE "^egresswatchd? [0-9]+\.[0-9]+\.[0-9]+, nDPI [0-9]" <<< "$out" || fail "$program --version: $out"
    grep -q "^geolocation: " <<< "$out" || fail "$program --version names no geolocation: $out"
done
echo "--version: $("$CLI" --version | head -n1)"
