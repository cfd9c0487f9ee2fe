#!/usr/bin/env bash
# The metrics exposition (MetricsRegistry::write_file) passes `promtool check metrics`.
# Skips (77) when promtool is not installed (Debian: apt-get install prometheus).
set -euo pipefail
command -v promtool >/dev/null || { echo "promtool not installed: skipping"; exit 77; }
: "${TS_BUILD:?TS_BUILD must point at the build directory}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
TS_METRICS_SAMPLE_OUT="$out/metrics.prom" \
  "$TS_BUILD/unit_tests" --gtest_filter=MetricsRegistry.WritesSampleForPromtool >/dev/null
test -s "$out/metrics.prom"
promtool check metrics < "$out/metrics.prom"
echo "promtool: metrics.prom is clean"

# The sensor's own metrics.prom after an offline run, every metric of the pipeline.
"$TS_BUILD/tsgen" --seed 4 --packets 5000 --out "$out/mix.pcap" 2>/dev/null
"$TS_BUILD/tradesentry" -r "$out/mix.pcap" -l "$out/run"
promtool check metrics < "$out/run/metrics.prom"
grep -q '^tradesentry_packets_total{interface="pcap"} 5000$' "$out/run/metrics.prom"
echo "promtool: the sensor's metrics.prom is clean"
