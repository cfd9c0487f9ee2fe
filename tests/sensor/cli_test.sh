#!/usr/bin/env bash
# The command line as users and acceptance checks rely on it (INTERFACE.md): exit codes,
# -T, pcap and pcapng input, several -r files in order, EVE flow events, metrics.prom.
set -uo pipefail
BIN=${TS_BIN:?} BUILD=${TS_BUILD:?}
command -v editcap >/dev/null || { echo "SKIP: editcap (tshark package) not installed"; exit 77; }
work=$(mktemp -d /tmp/tradesentry-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/../script_lib.sh"

"$BUILD/tsgen" --seed 21 --packets 3000 --out "$work/a.pcap" 2>/dev/null
"$BUILD/tsgen" --seed 22 --packets 2000 --out "$work/b.pcap" 2>/dev/null
editcap -F pcapng "$work/b.pcap" "$work/b.pcapng"

# Usage and configuration errors exit 2, naming the file and line.
"$BIN" >/dev/null 2>&1; check "no input exits 2" $? 2
"$BIN" -r "$work/a.pcap" -i lo >/dev/null 2>&1; check "-r with -i exits 2" $? 2
"$BIN" --bogus >/dev/null 2>&1; check "unknown flag exits 2" $? 2
printf 'flow:\n  memcap: lots\n' > "$work/bad.yaml"
err=$("$BIN" -c "$work/bad.yaml" -T 2>&1 >/dev/null); rc=$?
check "bad config exits 2" $rc 2
case "$err" in *"bad.yaml:2:"*"flow.memcap"*) echo "ok   bad config names file:line and key";;
  *) echo "FAIL bad config message: $err"; fail=1;; esac
"$BIN" -c "$work/missing.yaml" -T >/dev/null 2>&1; check "missing config exits 2" $? 2
# Runtime failures exit 1.
"$BIN" -r "$work/nonexistent.pcap" -l "$work/l0" >/dev/null 2>&1; check "unreadable capture exits 1" $? 1
"$BIN" -i ts-no-such-if0 -l "$work/l0" >/dev/null 2>&1; check "missing interface exits 1" $? 1
# -T: configuration check, last line fixed by INTERFACE.md.
out=$("$BIN" -T); check "-T exits 0" $? 0
# Without -c or -S the built-in default loads the shipped rules (signatures/rules/*.rules).
shipped=$(cat "$TS_SOURCE_DIR"/signatures/rules/*.rules | grep -cE '^(alert|drop|pass|reject) ')
check "-T last line" "$(printf '%s\n' "$out" | tail -n 1)" "rules: $shipped loaded, 0 skipped, 0 errors"
"$BIN" -c "$TS_SOURCE_DIR/config/tradesentry.yaml" -T >/dev/null; check "shipped example config is valid" $? 0
# Rules: an error exits 2 naming file:line:col; an unsupported keyword skips the rule with a
# warning naming file, line, sid and keyword; -T's last line counts both.
cat > "$work/r.rules" <<'R'
alert tcp any any -> any 80 (msg:"good"; content:"GET"; sid:1; rev:1;)
alert http any any -> any any (msg:"app layer"; http.uri; content:"/x"; sid:2; rev:1;)
alert tcp any any -> any 80 (msg:"bad"; content:"x"; sid:3 rev:1;)
R
out=$("$BIN" -T -S "$work/r.rules" 2>"$work/r.err"); rc=$?
check "rule error: -T exits 2" $rc 2
check "rule error: -T last line" "$(printf '%s\n' "$out" | tail -n 1)" "rules: 1 loaded, 1 skipped, 1 errors"
check "rule error names file:line:col" "$(grep -c "^error: $work/r.rules:3:58: expected an integer .* for 'sid'" "$work/r.err")" 1
check "skip names file:line, sid and keyword" "$(grep -c "^warning: $work/r.rules:2:[0-9]*: skipped sid 2: unsupported protocol 'http'" "$work/r.err")" 1
"$BIN" -S "$work/r.rules" -r "$work/a.pcap" -l "$work/lr" 2>/dev/null; check "rule error: a run exits 2" $? 2
# Offline: not a terminal, so nothing on stdout or stderr.
out=$("$BIN" -r "$work/a.pcap" -l "$work/l1" 2>&1); check "offline run exits 0" $? 0
check "offline run is silent off a terminal" "$out" ""
check "pcap: decoder.pkts" "$(stat_of "$work/l1/eve.json" decoder.pkts)" 3000
check "metrics.prom written" "$(grep -c '^tradesentry_packets_total{interface="pcap"} 3000$' "$work/l1/metrics.prom")" 1
"$BIN" -r "$work/b.pcapng" -l "$work/l2"; check "pcapng run exits 0" $? 0
check "pcapng: decoder.pkts" "$(stat_of "$work/l2/eve.json" decoder.pkts)" 2000
# A capture cut mid-record: what came before is processed and logged, the run exits 1.
head -c 100000 "$work/a.pcap" > "$work/cut.pcap"
err=$("$BIN" -r "$work/cut.pcap" -l "$work/l5" 2>&1); rc=$?
check "truncated capture exits 1" $rc 1
case "$err" in *"cut.pcap: truncated capture file"*) echo "ok   truncated capture names the file";;
  *) echo "FAIL truncated capture message: $err"; fail=1;; esac
want=$(capinfos -M -c "$work/cut.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
check "truncated capture: packets before the cut logged" "$(stat_of "$work/l5/eve.json" decoder.pkts)" "$want"
# Several files in order: one run, counts add up.
"$BIN" -r "$work/a.pcap" -r "$work/b.pcapng" -l "$work/l3" --workers 2
check "two files: decoder.pkts" "$(stat_of "$work/l3/eve.json" decoder.pkts)" 5000
# Flow events: one per flow, Suricata's fields.
printf 'outputs:\n  flow-events: true\n' > "$work/flows.yaml"
"$BIN" -c "$work/flows.yaml" -r "$work/a.pcap" -l "$work/l4" --workers 2
total=$(stat_of "$work/l4/eve.json" flow.total)
check "one flow event per flow" "$(grep -c '"event_type":"flow"' "$work/l4/eve.json")" "$total"
fields=$(grep -m1 '"event_type":"flow"' "$work/l4/eve.json" | /usr/bin/python3 -c "import json,sys
f=json.load(sys.stdin)['flow']
print(all(k in f for k in ('pkts_toserver','pkts_toclient','bytes_toserver','bytes_toclient','start','end','state','reason')))")
check "flow event fields" "$fields" True
pk=$(grep '"event_type":"flow"' "$work/l4/eve.json" | /usr/bin/python3 -c "import json,sys
print(sum(json.loads(l)['flow']['pkts_toserver']+json.loads(l)['flow']['pkts_toclient'] for l in sys.stdin))")
check "flow packets add up to the IP packets" "$pk" "$(( $(stat_of "$work/l4/eve.json" decoder.ipv4) + $(stat_of "$work/l4/eve.json" decoder.ipv6) ))"
exit $fail
