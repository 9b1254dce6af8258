#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target in fuzz/ for FUZZ_SECONDS seconds each.
#
#   scripts/fuzz-smoke.sh                 # all targets, 30 s each
#   FUZZ_SECONDS=60 scripts/fuzz-smoke.sh verify timestamp
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_RSS_MB    libFuzzer -rss_limit_mb (default 512)
#   FUZZ_MAX_MS    slowest-input budget in ms for the replay pass (default 10); an input over
#                  it is timed alone three more times and its best time counts; exceeding it
#                  is reported, and fails the run only with FUZZ_STRICT_MS=1 (.ci/run sets it)
#   FUZZ_TIME_SANITIZER  sanitizer of the build the replay pass times (default none: the
#                  time an input costs the code, not AddressSanitizer's bookkeeping; "address"
#                  times the ASan build the fuzzing used)
#   FUZZ_TOOLCHAIN rustup toolchain for cargo-fuzz (default nightly)
#   FUZZ_KEEP_CORPUS=1  keep the working corpus from the previous run (fuzz/target/smoke-corpus)
#
# Fails (exit 1) on any crash, panic, OOM (> FUZZ_RSS_MB), timeout (> 1 s per input), leak or
# build failure. Prints per-target exec counts, exec/s, peak RSS and the slowest input.
#
# Two phases: every target is fuzzed with ASan first; then the targets are rebuilt without a
# sanitizer (same release + debug-assertions profile, same coverage instrumentation) and every
# input of the final corpora is replayed one at a time to find the slowest.
# Works non-interactively (CI=true, no stdin). Installs cargo-fuzz if missing.
set -euo pipefail
exec </dev/null

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
RSS_MB="${FUZZ_RSS_MB:-512}"
MAX_MS="${FUZZ_MAX_MS:-10}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
WORK="$FUZZ_DIR/target/smoke-corpus"
LOGS="$FUZZ_DIR/target/smoke-logs"
export CARGO_TERM_COLOR=never

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
    echo "fuzz-smoke: rust toolchain '$TOOLCHAIN' is required (rustup toolchain install $TOOLCHAIN)" >&2
    exit 1
fi
if ! cargo "+$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz (cargo install cargo-fuzz --locked)..."
    start=$(date +%s)
    cargo install cargo-fuzz --locked
    echo "fuzz-smoke: cargo-fuzz installed in $(( $(date +%s) - start )) s"
fi

cd "$FUZZ_DIR"
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo "+$TOOLCHAIN" fuzz list)
fi

echo "fuzz-smoke: building the fuzz targets (release + debug assertions + ASan)..."
cargo "+$TOOLCHAIN" fuzz build

[ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$WORK"
mkdir -p "$WORK" "$LOGS"
EMPTY="$FUZZ_DIR/target/smoke-empty-input"
: > "$EMPTY"
TRIPLE="$(rustup run "$TOOLCHAIN" rustc -vV | sed -n 's/^host: //p')"

failed=()
declare -A stats problems
for t in "${TARGETS[@]}"; do
    mkdir -p "$WORK/$t" "corpus/$t"
    log="$LOGS/$t.log"
    echo "fuzz-smoke: $t for ${SECONDS_PER_TARGET}s"
    status=0
    cargo "+$TOOLCHAIN" fuzz run "$t" "$WORK/$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb="$RSS_MB" \
        -timeout=1 \
        -report_slow_units=1 \
        -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    problem=""
    if [ "$status" -ne 0 ]; then problem="exit $status"; fi
    if grep -qE "deadly signal|ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|out-of-memory|ALARM: working on the last Unit|panicked at" "$log"; then
        problem="${problem:+$problem, }$(grep -oE "deadly signal|out-of-memory|ALARM|ERROR: [A-Za-z]+|panicked at [^ ]+" "$log" | sort -u | tr '\n' ' ')"
    fi
    if [ -n "$problem" ]; then
        tail -40 "$log" >&2
    fi
    stats[$t]=$(printf 'execs=%-10s exec/s=%-7s peak_rss_mb=%-5s' "${execs:-?}" "${rate:-?}" "${rss:-?}")
    problems[$t]="$problem"
done

# Replay pass: time every input of the final corpora one by one (libFuzzer prints
# "Executed <file> in <N> ms"); the empty input first warms up the lazy statics.
TIME_SAN="${FUZZ_TIME_SANITIZER:-none}"
if [ "$TIME_SAN" != address ]; then
    echo "fuzz-smoke: rebuilding the fuzz targets with sanitizer '$TIME_SAN' to time the corpora..."
    cargo "+$TOOLCHAIN" fuzz build --sanitizer "$TIME_SAN"
fi
summary=()
for t in "${TARGETS[@]}"; do
    log="$LOGS/$t.log"
    problem="${problems[$t]}"
    bin="target/$TRIPLE/release/$t"
    slowest="n/a"
    if [ -x "$bin" ]; then
        mapfile -t files < <(find "$WORK/$t" "corpus/$t" -type f | sort)
        if "$bin" -rss_limit_mb="$RSS_MB" -timeout=1 "$EMPTY" "${files[@]}" >"$LOGS/$t.replay.log" 2>&1; then
            slowest=$(grep -E '^Executed .* in [0-9]+ ms' "$LOGS/$t.replay.log" | tail -n +2 \
                | sed -E 's/^Executed (.*) in ([0-9]+) ms$/\2 \1/' | sort -n | tail -1)
            ms=${slowest%% *}
            if [ -n "$ms" ] && [ "$ms" -gt "$MAX_MS" ]; then
                # Time the slowest input alone three more times and keep the best: one
                # preemption by the scheduler is not the input's cost.
                file=${slowest#* }
                for _ in 1 2 3; do
                    again=$("$bin" -rss_limit_mb="$RSS_MB" -timeout=1 "$EMPTY" "$file" 2>&1 \
                        | sed -n -E 's/^Executed .* in ([0-9]+) ms$/\1/p' | tail -1)
                    if [ -n "$again" ] && [ "$again" -lt "$ms" ]; then ms=$again; fi
                done
                slowest="$ms $file"
            fi
            if [ -n "$ms" ] && [ "$ms" -gt "$MAX_MS" ]; then
                echo "fuzz-smoke: $t: slowest input takes ${ms} ms (> ${MAX_MS} ms budget): ${slowest#* }"
                [ "${FUZZ_STRICT_MS:-0}" = 1 ] && problem="${problem:+$problem, }slow input ${ms} ms"
            fi
        else
            problem="${problem:+$problem, }replay of corpus failed (see $LOGS/$t.replay.log)"
        fi
    fi
    corpus_n=$(find "$WORK/$t" "corpus/$t" -type f | wc -l)
    line=$(printf '%-18s %s corpus=%-5s slowest_ms=%s' "$t" "${stats[$t]}" "$corpus_n" "${slowest%% *}")
    if [ -n "$problem" ]; then
        line="$line  FAILED: $problem (log: $log; artifacts: fuzz/artifacts/$t/)"
        failed+=("$t")
    fi
    summary+=("$line")
    echo "$line"
done

echo
echo "fuzz-smoke summary (${SECONDS_PER_TARGET}s per target, -rss_limit_mb=$RSS_MB -timeout=1; slowest input timed on the '$TIME_SAN' build):"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-smoke: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz-smoke: OK: 0 crashes, 0 OOMs, 0 timeouts"
