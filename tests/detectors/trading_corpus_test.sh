#!/bin/bash
# The team's labelled trading corpus (../shared/corpus, built by others, not by tsgen) against
# the FIX/STEP inspector and the market-data feed tracker: every trading-protocol label is
# detected by its gid:sid on its flow and time, the exact built-in alert set per capture,
# and FIX/STEP message counts equal to the labels and to Wireshark's FIX dissector
# (tests/detectors/trading_corpus.py does the work and prints the tables).
# Env: TS_BIN, TS_SOURCE_DIR. Exit 0 pass, 1 fail, 77 skip (no corpus, no tshark).
set -u
. "$(dirname "$0")/../script_lib.sh"
corpus="$TS_SOURCE_DIR/../shared/corpus"
if [ ! -f "$corpus/mixed.labels.json" ]; then
  echo "SKIP: $corpus not found (../shared is not beside the project)"
  exit 77
fi
need_tools tshark
/usr/bin/python3 -c 'import yaml' 2>/dev/null ||
  { echo "SKIP: python3-yaml not installed for /usr/bin/python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$TS_SOURCE_DIR/tests/detectors/trading_corpus.py" --binary "$TS_BIN" \
  --corpus "$corpus" --work "$work"
