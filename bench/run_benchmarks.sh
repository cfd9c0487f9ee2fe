#!/usr/bin/env bash
# Benchmarks: prints figures, asserts nothing. Generates a trading mix of BENCH_BYTES
# (default 1 GB) and a FIX-only capture of BENCH_FIX_BYTES (default 500 MB) on first use (not
# committed), warms the page cache, replays them through the whole pipeline with 1 and 2
# workers (the FIX capture with the FIX inspector on and off), then runs the Google Benchmark
# microbenchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
BYTES=${BENCH_BYTES:-1000000000}
FIX_BYTES=${BENCH_FIX_BYTES:-500000000}
mix=$B/bench/trading_mix_${BYTES}.pcap
fix=$B/bench/fix_${FIX_BYTES}.pcap
mkdir -p $B/bench
[ -s "$mix" ] || $B/tsgen --seed 42 --bytes "$BYTES" --out "$mix"
[ -s "$fix" ] || $B/tsgen --seed 42 --profile fix --bytes "$FIX_BYTES" --out "$fix"
cat "$mix" > /dev/null   # page cache
echo "== whole-pipeline replay of $mix ($(stat -c %s "$mix") bytes)"
for w in 1 2; do $B/pipeline_replay --workers $w --repeat 3 "$mix"; done
cat "$fix" > /dev/null
echo "== FIX inspector: whole-pipeline replay of $fix ($(stat -c %s "$fix") bytes), inspector on and off"
for w in 1 2; do
  for f in on off; do $B/pipeline_replay --workers $w --repeat 3 --fix $f "$fix"; done
done
echo "== whole-pipeline replay with the shipped rules, and the Hyperscan limit on the same payload"
$B/pipeline_replay --workers 1 --repeat 3 --rules shipped "$mix" | grep -v "run="
et=../shared/rules/et-open
if [ -d "$et" ]; then
  echo "== the same with the ET open rules ($et)"
  et_args=()
  for f in "$et"/*.rules; do et_args+=(--rules "$f"); done
  for w in 1 2; do
    $B/pipeline_replay --workers $w --repeat 3 "${et_args[@]}" "$mix" | grep -v "run="
  done
else
  echo "== ET open rules: skipped ($et not found)"
fi
for b in $B/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" --benchmark_min_time=0.2
done
