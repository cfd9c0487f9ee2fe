#!/usr/bin/env bash
# Benchmarks: prints figures, asserts nothing. Generates a trading mix of BENCH_BYTES
# (default 1 GB) on first use (not committed), warms the page cache, replays it through the
# whole pipeline with 1 and 2 workers, then runs the Google Benchmark microbenchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
BYTES=${BENCH_BYTES:-1000000000}
mix=$B/bench/trading_mix_${BYTES}.pcap
mkdir -p $B/bench
[ -s "$mix" ] || $B/tsgen --seed 42 --bytes "$BYTES" --out "$mix"
cat "$mix" > /dev/null   # page cache
echo "== whole-pipeline replay of $mix ($(stat -c %s "$mix") bytes)"
for w in 1 2; do $B/pipeline_replay --workers $w --repeat 3 "$mix" | tail -n 4; done
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
