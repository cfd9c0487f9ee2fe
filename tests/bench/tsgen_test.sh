#!/usr/bin/env bash
# tsgen: determinism, exact packet count, and protocol correctness as judged by tshark
# (mix, fix, zoo and the per-rule attacks captures).
# Env: TS_BUILD (build dir), TS_SOURCE_DIR. Exit 0 pass, 1 fail, 77 skip (no tshark).
set -u
BUILD=${TS_BUILD:-build}
GEN="$BUILD/tsgen"
if ! command -v tshark >/dev/null || ! command -v capinfos >/dev/null; then
  echo "SKIP: tshark/capinfos not installed (apt-get install -y tshark)"
  exit 77
fi
if [ ! -x "$GEN" ]; then
  echo "FAIL: $GEN not built"
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
check() {  # check NAME COMMAND...: prints and records the result
  local name=$1
  shift
  if "$@"; then echo "ok   - $name"; else echo "FAIL - $name"; fail=1; fi
}
TS() { tshark "$@" 2>/dev/null; }
CK=(-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE)
BAD='_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || icmpv6.checksum.status == 0'

"$GEN" --seed 7 --packets 20000 --out "$TMP/a.pcap" 2>/dev/null
"$GEN" --seed 7 --packets 20000 --out "$TMP/b.pcap" 2>/dev/null
"$GEN" --seed 8 --packets 20000 --out "$TMP/c.pcap" 2>/dev/null
check "same seed gives byte-identical output" cmp -s "$TMP/a.pcap" "$TMP/b.pcap"
check "different seed gives different output" bash -c "! cmp -s '$TMP/a.pcap' '$TMP/c.pcap'"

"$GEN" --seed 3 --packets 5000 --out "$TMP/n.pcap" 2>"$TMP/n.err"
n=$(capinfos -M -c "$TMP/n.pcap" | awk '/Number of packets/ {print $NF}')
check "--packets 5000 writes exactly 5000 packets (capinfos: $n)" test "$n" = 5000
check "summary line on stderr" grep -q "^tsgen: wrote 5000 packets, [0-9]* bytes (sum of frame lengths) to $TMP/n.pcap\$" "$TMP/n.err"
order=$(capinfos -o "$TMP/a.pcap" | awk -F: '/Strict time order/ {gsub(/ /, "", $2); print $2}')
check "mix is in strict time order" test "$order" = True

"$GEN" --seed 5 --bytes 2000000 --out "$TMP/bytes.pcap" 2>/dev/null
bytes=$(capinfos -M -d "$TMP/bytes.pcap" | awk '/Data size/ {print $(NF-1)}')
check "--bytes 2000000 stops at the first packet reaching the limit ($bytes)" \
  bash -c "[ $bytes -ge 2000000 ] && [ $bytes -lt 2001600 ]"

m=$(TS -r "$TMP/a.pcap" "${CK[@]}" -Y "$BAD || tcp.analysis.flags" | wc -l)
check "mix: no malformed, bad checksum or TCP analysis flags ($m)" test "$m" = 0
# Wireshark 4.0's SSH dissector warns on every KEX_ECDH_REPLY host signature ("Decoded N
# bytes, but packet length is M"): it does not count the signature blob. Those are excluded.
w=$(TS -r "$TMP/a.pcap" -Y '_ws.expert.severity >= warning && !(ssh.message_code == 31)' | wc -l)
check "mix: no expert warnings or errors besides the SSH ECDH-reply one ($w)" test "$w" = 0
fixd=(-d tcp.port==9876,fix -d tcp.port==9878,fix)
f=$(TS -r "$TMP/a.pcap" "${fixd[@]}" -Y 'fix.checksum_bad || fix.checksum_bad_expert || _ws.malformed || (fix && _ws.expert.severity >= warning)' | wc -l)
check "mix: FIX decodes with no bad checksum or malformed ($f)" test "$f" = 0
msgs=$(TS -r "$TMP/a.pcap" "${fixd[@]}" -T fields -e fix.MsgType | tr ',' '\n' | sort -u | tr -d '\n')
for t in 0 5 8 A D F G; do
  check "mix: FIX MsgType $t present" bash -c "[[ '$msgs' == *$t* ]]"
done
step=$(TS -r "$TMP/a.pcap" -Y 'tcp.port == 9129 && tcp.payload contains "8=STEP.1.0.0"' | wc -l)
check "mix: STEP messages present ($step frames)" test "$step" -gt 0
for p in dns http tls ssh vlan ipv6 'udp && ip.dst == 239.0.0.0/8'; do
  c=$(TS -r "$TMP/a.pcap" -Y "$p" | wc -l)
  check "mix: $p present ($c frames)" test "$c" -gt 0
done

"$GEN" --seed 2 --profile fix --packets 50000 --out "$TMP/f.pcap" 2>/dev/null
"$GEN" --seed 2 --profile fix --packets 50000 --out "$TMP/f2.pcap" 2>/dev/null
check "fix is deterministic" cmp -s "$TMP/f.pcap" "$TMP/f2.pcap"
check "fix: only FIX order entry (TCP to 9876/9878)" test \
  "$(TS -r "$TMP/f.pcap" -Y '!(tcp.port == 9876 || tcp.port == 9878)' | wc -l)" = 0
f=$(TS -r "$TMP/f.pcap" "${CK[@]}" "${fixd[@]}" -Y "$BAD || tcp.analysis.flags || _ws.expert.severity >= warning || fix.checksum_bad_expert" | wc -l)
check "fix: no malformed, bad checksum (IP, TCP, FIX), TCP analysis flags or warnings ($f)" test "$f" = 0
fields=$(TS -r "$TMP/f.pcap" "${fixd[@]}" -Y fix -T fields -e fix.MsgType -e tcp.reassembled.length)
msgs=$(cut -f1 <<<"$fields" | tr ',' '\n' | sort -u | tr -d '\n')
for t in 0 1 5 8 A D F G V W; do
  check "fix: FIX MsgType $t present" bash -c "[[ '$msgs' == *$t* ]]"
done
split=$(cut -f2 <<<"$fields" | grep -c .)
coalesced=$(cut -f1 <<<"$fields" | grep -c ,)
check "fix: messages split across segments ($split) and several in one segment ($coalesced)" \
  bash -c "[ $split -gt 100 ] && [ $coalesced -gt 100 ]"
TS -r "$TMP/f.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.stream | sort -u >"$TMP/f.syn"
TS -r "$TMP/f.pcap" "${fixd[@]}" -Y fix -T fields -e tcp.stream | sort -u >"$TMP/f.data"
nosyn=$(comm -13 "$TMP/f.syn" "$TMP/f.data" | wc -l)
check "fix: every connection carrying FIX opened with a handshake ($(wc -l <"$TMP/f.syn") SYN, $nosyn without)" \
  test "$nosyn" = 0

"$GEN" --seed 1 --profile zoo --out "$TMP/z.pcap" 2>/dev/null
z=$(TS -r "$TMP/z.pcap" "${CK[@]}" -Y "$BAD || tcp.analysis.flags || _ws.expert.severity >= warning" | wc -l)
check "zoo: no malformed, bad checksum, TCP analysis flags or warnings ($z)" test "$z" = 0
phs=$(TS -r "$TMP/z.pcap" -q -z io,phs)
for p in vlan ieee8021ad arp icmp icmpv6 gre erspan vxlan mpls pppoes; do
  check "zoo: $p decoded" grep -qw "$p" <<<"$phs"
done
for f in 'ip.opt.type' 'ipv6.hopopts' 'ipv6.dstopts' 'ip.flags.mf == 1' 'ipv6.fraghdr' \
  'ip.proto == 41' 'ipv6.nxt == 4' 'tcp.options.sack_perm' 'tcp.options.wscale.shift'; do
  c=$(TS -r "$TMP/z.pcap" -Y "$f" | wc -l)
  check "zoo: $f present ($c frames)" test "$c" -gt 0
done
"$GEN" --seed 1 --profile zoo --out "$TMP/z2.pcap" 2>/dev/null
check "zoo is deterministic" cmp -s "$TMP/z.pcap" "$TMP/z2.pcap"

"$GEN" --seed 1 --profile attacks --out-dir "$TMP/att" 2>/dev/null
"$GEN" --seed 1 --profile attacks --out-dir "$TMP/att2" 2>/dev/null
check "attacks is deterministic" diff -r "$TMP/att" "$TMP/att2"
na=$(ls "$TMP/att" | grep -c '\.pcap$')
check "attacks: a positive and a near-miss capture per case ($na files)" \
  bash -c "[ $na -gt 0 ] && [ $(ls "$TMP/att" | grep -c '\.pos\.pcap$') = $(ls "$TMP/att" | grep -c '\.neg\.pcap$') ]"
a=0
for f in "$TMP"/att/*.pcap; do
  a=$((a + $(TS -r "$f" "${CK[@]}" -Y "$BAD || tcp.analysis.flags || _ws.expert.severity >= warning" | wc -l)))
done
check "attacks: no malformed, bad checksum, TCP analysis flags or warnings ($a)" test "$a" = 0

if [ "$fail" = 0 ]; then echo "PASS"; else echo "FAILED"; fi
exit "$fail"
