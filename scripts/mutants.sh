#!/usr/bin/env bash
# Mutation testing of the core verify/parse and replay modules (research plan P22) with
# cargo-mutants: every mutant of the code below must make a test fail.
#
#   scripts/mutants.sh            # all core modules: the three scopes below, one after another
#   scripts/mutants.sh quick      # src/crypto/ and src/scheme/timestamp.rs
#   scripts/mutants.sh verify     # src/verify.rs and src/scheme/ (header parsing, the model)
#   scripts/mutants.sh replay     # src/replay/guard.rs and src/replay/memory.rs
#   scripts/mutants.sh FILE...    # these files (globs as cargo-mutants --file takes them)
#
# Each scope runs only the test targets that exercise it (MUTANTS_TESTS overrides), built in
# the `mutants` profile (Cargo.toml: dependencies optimised, hookguard without debug info), so
# a mutant costs a rebuild of the crate plus about a second of tests instead of a minute.
# `src/scheme/custom.rs` (the scheme-file loader: configuration, not request input) is
# outside the scope; `tests/schemes/custom_schemes.rs` covers it.
#
# Environment:
#   MUTANTS_TIMEOUT  per-mutant test timeout in seconds (default 300)
#   MUTANTS_BUDGET   overall time bound in seconds (default 0 = none); when it runs out the
#                    run is interrupted and the mutants tested so far are reported
#   MUTANTS_JOBS     parallel build/test jobs (default 1)
#   MUTANTS_OUT      output directory (default target/mutants); mutants.out/ lands inside
#   MUTANTS_STRICT   1 = exit non-zero when a mutant survives or times out
#   MUTANTS_TESTS    cargo test target arguments instead of the scope's list
#   MUTANTS_PROFILE  cargo profile (default mutants)
#   CARGO_TARGET_DIR is honoured: point it at an existing build to skip the dependencies.
#
# Prints caught / missed / timeout / unviable counts, the kill rate
# caught / (caught + missed) and, separately, (caught + timeout) / (caught + missed + timeout),
# and every surviving mutant.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
    echo "mutants: installing cargo-mutants from crates.io" >&2
    cargo install --locked cargo-mutants || exit 1
fi

scope="${1:-full}"
if [ "$scope" = full ]; then
    status=0
    for part in quick verify replay; do
        MUTANTS_OUT="${MUTANTS_OUT:-target/mutants}/$part" "$0" "$part" || status=$?
    done
    exit "$status"
fi

# The unit tests (--lib) come with the files. The test binaries hold one module per concern
# (tests/<binary>/main.rs); `--skip` keeps each scope to the modules it had as test targets of
# their own (schemes: wycheproof; stores: replay_memory). `adapters` (its handshakes module) is
# built only with the features axum and actix-web, which this script does not turn on.
skip_schemes=(--skip custom_schemes:: --skip differential:: --skip properties::)
skip_stores=(--skip ratelimit_memory:: --skip redis_store::)
skip_adapters=(--skip actix_scenarios:: --skip adapter_redis:: --skip adapter_replay::
    --skip axum_scenarios:: --skip observe_only:: --skip receivers::)
case "$scope" in
    quick)
        files=('src/crypto/*.rs' src/scheme/timestamp.rs)
        tests=(--lib --test core --test schemes -- "${skip_schemes[@]}")
        ;;
    verify)
        files=(src/verify.rs src/scheme/mod.rs src/scheme/header.rs src/scheme/message.rs src/scheme/handshake.rs)
        tests=(--lib --test core --test adapters -- "${skip_adapters[@]}")
        ;;
    replay)
        files=(src/replay/guard.rs src/replay/memory.rs)
        tests=(--lib --test stores -- "${skip_stores[@]}")
        ;;
    *)
        files=("$@")
        tests=(--lib --test core --test stores --test schemes -- "${skip_schemes[@]}" "${skip_stores[@]}")
        ;;
esac
if [ -n "${MUTANTS_TESTS:-}" ]; then
    read -r -a tests <<< "$MUTANTS_TESTS"
fi

out="${MUTANTS_OUT:-target/mutants}"
mkdir -p "$out"
args=(--no-shuffle --timeout "${MUTANTS_TIMEOUT:-300}" --jobs "${MUTANTS_JOBS:-1}" --output "$out"
    --profile "${MUTANTS_PROFILE:-mutants}")
for f in "${files[@]}"; do
    args+=(--file "$f")
done

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "mutants: $started: cargo mutants ${args[*]} -- ${tests[*]}"
budget="${MUTANTS_BUDGET:-0}"
if [ "$budget" -gt 0 ]; then
    timeout --signal=INT --kill-after=60 "$budget" cargo mutants "${args[@]}" -- "${tests[@]}"
else
    cargo mutants "${args[@]}" -- "${tests[@]}"
fi
status=$?
case $status in
    0 | 2 | 3) ;;                            # all caught / some missed / some timed out
    124 | 130) echo "mutants: time budget of ${budget}s ran out: partial results" ;;
    *) echo "mutants: cargo mutants failed (exit $status)"; exit "$status" ;;
esac

dir="$out/mutants.out"
count() { if [ -f "$dir/$1" ]; then grep -c . "$dir/$1"; else echo 0; fi; }
caught=$(count caught.txt)
missed=$(count missed.txt)
timeouts=$(count timeout.txt)
unviable=$(count unviable.txt)
echo "mutants: files: ${files[*]}"
echo "mutants: tests: ${tests[*]}"
echo "mutants: started $started, finished $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "mutants: caught $caught, missed $missed, timeout $timeouts, unviable $unviable"
awk -v c="$caught" -v m="$missed" -v t="$timeouts" 'BEGIN {
    if (c + m > 0) printf "mutants: kill rate %.1f %% (caught / (caught + missed))\n", 100 * c / (c + m);
    if (c + m + t > 0) printf "mutants: kill rate %.1f %% counting timeouts as killed\n", 100 * (c + t) / (c + m + t);
}'
if [ "$missed" -gt 0 ]; then
    echo "mutants: surviving mutants:"
    sed 's/^/  /' "$dir/missed.txt"
fi
if [ "${MUTANTS_STRICT:-0}" = 1 ] && [ $((missed + timeouts)) -gt 0 ]; then
    exit 2
fi
exit 0
