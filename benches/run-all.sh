#!/usr/bin/env bash
# Runs every benchmark of the workspace and prints the figures BENCHMARKS.md reports:
#   1. per-call cost, SDK vs hand-written reqwest (criterion: thread CPU time and wall time;
#      callgrind: instructions per call),
#   2./3. purge batching and pagination through cf-cache-ext vs hand-written loops,
#   4. regen time on the committed spec and on synthetic 250/1,000/2,000-operation specs,
#   5. generated code size and `cargo check` time of the generated crates,
#   6. (`limits`, only when named: about 45 minutes, mostly waiting) the `purge_on_deploy`
#      example and a loop over the official Python SDK against cf-cache-fake's Free limits.
# Usage: benches/run-all.sh [--quick] [percall|ext|regen|codegen|limits ...]
#   --quick: shorter criterion runs, fewer callgrind calls, no regen instruction counts, no
#   100,000-URL limits jobs;
#   names: run only those parts (default: all but limits).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
quick=false
parts=()
for arg in "$@"; do
    case "$arg" in
        --quick) quick=true ;;
        percall | ext | regen | codegen | limits) parts+=("$arg") ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
want() { [[ (${#parts[@]} -eq 0 && $1 != limits) || " ${parts[*]} " == *" $1 "* ]]; }

section() { printf '\n=== %s (load average: %s)\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

section "machine"
echo "cores: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
rustc --version

cargo build --release -q -p cf-cache-benches --bins
cargo build --release -q -p xtask
bin="$CARGO_TARGET_DIR/release"

if want percall; then
section "1. per-call cost: criterion (thread CPU time and wall time)"
criterion_args=()
$quick && criterion_args=(--warm-up-time 1 --measurement-time 3)
cargo bench -q -p cf-cache-benches --bench client -- "${criterion_args[@]}"
"$bin/ratios" "$CARGO_TARGET_DIR/criterion"

section "1. per-call cost: callgrind instructions"
if command -v valgrind >/dev/null; then
    few=100; many=1100
    $quick && { few=20; many=220; }
    out="$CARGO_TARGET_DIR/callgrind"
    rm -rf "$out" && mkdir -p "$out"
    total() { # sum of the `totals:` lines of the given callgrind files
        awk '/^totals:/ { s += $2 } END { print s }' "$@"
    }
    declare -A ir
    printf '%-8s %-9s %16s %16s\n' op client "client thread" "whole process"
    for op in purge get; do
        for client in sdk baseline; do
            for n in $few $many; do
                valgrind --tool=callgrind --separate-threads=yes \
                    --callgrind-out-file="$out/$op-$client-$n" \
                    "$bin/percall" "$client" "$op" "$n" 2>/dev/null
            done
            main_few=$(total "$out/$op-$client-$few-01"); main_many=$(total "$out/$op-$client-$many-01")
            all_few=$(total "$out/$op-$client-$few"-*); all_many=$(total "$out/$op-$client-$many"-*)
            calls=$((many - few))
            printf '%-8s %-9s %16d %16d\n' "$op" "$client" \
                $(((main_many - main_few) / calls)) $(((all_many - all_few) / calls))
            ir[$op-$client]=$(((main_many - main_few) / calls))
        done
        awk -v a="${ir[$op-sdk]}" -v b="${ir[$op-baseline]}" -v op="$op" \
            'BEGIN { printf "%-8s SDK / baseline (client thread): %.3fx\n", op, a / b }'
    done
else
    echo "valgrind not installed: skipped"
fi

section "1. per-call cost: thread CPU time, SDK and baseline blocks alternating"
rounds=41; $quick && rounds=11
"$bin/percall" compare purge $rounds
"$bin/percall" compare get $rounds

fi

if want ext; then
section "2./3. purge batching and pagination"
cargo bench -q -p cf-cache-benches --bench ext

fi

if want regen; then
section "4. regen"
cargo bench -q -p cf-cache-benches --bench regen
if command -v valgrind >/dev/null && ! $quick; then
    mkdir -p "$CARGO_TARGET_DIR/callgrind"
    echo "instructions in xtask::generate (callgrind; load-independent):"
    for n in 1000 2000; do
        valgrind --tool=callgrind --callgrind-out-file="$CARGO_TARGET_DIR/callgrind/regen-$n" \
            "$bin/regen_once" "$n" >/dev/null 2>&1
        callgrind_annotate --inclusive=yes "$CARGO_TARGET_DIR/callgrind/regen-$n" 2>/dev/null |
            awk -v n="$n" '/xtask::generate_timed \[/ && !done { gsub(",", "", $1); print "  " n " operations: " $1; done = 1 }'
    done | tee "$CARGO_TARGET_DIR/callgrind/regen.txt"
    awk '{ v[NR] = $3 } END { printf "  growth 1,000 -> 2,000: %.2fx\n", v[2] / v[1] }' "$CARGO_TARGET_DIR/callgrind/regen.txt"
fi
echo "release binary, committed spec (\`xtask regen --check\`, 5 runs):"
for _ in 1 2 3 4 5; do
    /usr/bin/env time -f '  %e s wall, %U s user, %M KiB peak' "$bin/xtask" regen --check >/dev/null
done

fi

if want codegen; then
section "5. generated code: lines"
for f in crates/cf-cache-types/src/generated.rs crates/cf-cache-client/src/generated/*.rs; do
    printf '  %6d  %s\n' "$(wc -l <"$f")" "$f"
done
printf '  %6d  crates/cf-cache-client/src (hand-written runtime, outside generated/)\n' \
    "$(find crates/cf-cache-client/src -name '*.rs' -not -path '*/generated/*' -exec cat {} + | wc -l)"

section "5. generated code: cargo check time"
check_dir="$CARGO_TARGET_DIR/bench-check"
rm -rf "$check_dir"
timed() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
all=$(timed cargo check -p cf-cache-client --target-dir "$check_dir")
cargo clean -q -p cf-cache-types -p cf-cache-client --target-dir "$check_dir"
types=$(timed cargo check -p cf-cache-types --target-dir "$check_dir")
client=$(timed cargo check -p cf-cache-client --target-dir "$check_dir")
printf '  clean check of cf-cache-client with all dependencies: %6.1f s\n' "$all"
printf '  cf-cache-types alone (dependencies already checked):   %6.1f s\n' "$types"
printf '  cf-cache-client alone (types already checked):         %6.1f s\n' "$client"
printf '  so the dependencies take about:                        %6.1f s\n' "$(echo "$all - $types - $client" | bc)"
rm -rf "$check_dir"
fi

if want limits; then
section "6. purging at the limits (Free plan, cf-cache-fake)"
cargo build --release -q -p cf-cache-fake --bin cf-cache-fake
cargo build --release -q -p cf-cache-ext --features redis --example purge_on_deploy
redis=$(scripts/redis-server.sh)
# The peer: the official Python SDK, pinned, in a virtualenv of its own under target/.
venv="$CARGO_TARGET_DIR/limits-venv"
peer=()
if { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
    "$venv/bin/pip" install -q --disable-pip-version-check 'cloudflare==5.9.0'; then
    peer=(--python "$venv/bin/python")
else
    echo "no Python virtualenv with cloudflare==5.9.0: the Python peer is skipped"
fi
jobs=(ext:20000 ext:3x8000:redis ext:3x8000)
$quick || jobs+=(ext:100000)
if [ ${#peer[@]} -gt 0 ]; then
    jobs+=(python:20000 python:3x8000)
    $quick || jobs+=(python:100000)
fi
"$bin/limits" "${peer[@]}" --redis-server "$redis" "${jobs[@]}"
fi
