#!/bin/bash
# Conformance: the suricata-verify subset in ../shared/conformance must give exactly the
# expected alert counts per signature (tests/conformance/run_conformance.py).
set -u
. "$(dirname "$0")/../script_lib.sh"
corpus="$TS_SOURCE_DIR/../shared/conformance/suricata-verify"
if [ ! -d "$corpus" ]; then
  echo "SKIP: $corpus not found (../shared is not beside the project)"
  exit 77
fi
exec python3 "$TS_SOURCE_DIR/tests/conformance/run_conformance.py" --binary "$TS_BIN" \
  --corpus "$corpus" --known-failures "$TS_SOURCE_DIR/tests/conformance/known_failures.txt"
