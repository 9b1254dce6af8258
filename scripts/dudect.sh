#!/usr/bin/env bash
# Constant-time evidence (dudect, Welch's t-test on timing classes) for hookguard's signature
# comparison, through the public API. See ct/src/main.rs for the classes.
#
#   scripts/dudect.sh                   # quick: 200 000 samples per bench
#   scripts/dudect.sh 1000000           # recorded figure: >= 1 000 000 samples per class pair
#   scripts/dudect.sh 1000000 first_vs_last   # only benches whose name contains the filter
#
# Prints dudect's line per bench and a summary of max |t| with the verdict (|t| < 5) for the
# benches that must be constant time (*first_vs_last*: both classes fail at the same point,
# only the position of the differing byte changes); the equal-vs-differ benches (whose code
# after the match decision differs by design) and the positive control are reported, not
# judged. Exit 1 if a judged bench
# has |t| >= 5. Run it on an otherwise idle machine.
set -euo pipefail
exec </dev/null
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAMPLES="${1:-${DUDECT_SAMPLES:-200000}}"
FILTER="${2:-}"
cd "$ROOT/ct"
mkdir -p target
if ! cargo build --release --quiet 2>"$ROOT/ct/target/build.log"; then
    cat "$ROOT/ct/target/build.log" >&2
    exit 1
fi
LOG="$ROOT/ct/target/dudect-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "dudect: $SAMPLES samples per bench, $(date -u +%FT%TZ), $(uname -srm), $(nproc) cpus"
args=()
[ -n "$FILTER" ] && args=(--filter "$FILTER")
DUDECT_SAMPLES="$SAMPLES" ./target/release/hookguard-ct "${args[@]}" | tee "$LOG"
echo
echo "summary (max |t|; judged: |t| < 5):"
bad=0
while IFS= read -r line; do
    name=$(sed -E 's/^bench ([^ ]+).*/\1/' <<<"$line")
    n=$(sed -nE 's/.*n == ([+0-9.]+M).*/\1/p' <<<"$line")
    t=$(sed -nE 's/.*max t = ([-+0-9.]+).*/\1/p' <<<"$line")
    abs=${t#[-+]}
    case "$name" in
        *first_vs_last*)
            case "$name" in
                *control*) verdict="positive control (should be large)" ;;
                *) if awk -v a="$abs" 'BEGIN{exit !(a < 5)}'; then verdict="PASS"; else verdict="FAIL"; bad=1; fi ;;
            esac ;;
        *) verdict="reported (paths after the match decision differ by design)" ;;
    esac
    printf '  %-32s n=%-8s max|t|=%-10s %s\n' "$name" "$n" "$abs" "$verdict"
done < <(grep -E '^bench .*max t = ' "$LOG")
echo "log: $LOG"
exit "$bad"
