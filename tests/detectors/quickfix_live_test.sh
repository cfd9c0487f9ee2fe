#!/usr/bin/env bash
# The FIX inspector against a real FIX engine, live. Two network namespaces joined by a veth
# pair: the QuickFIX acceptor (fix_peer, the "exchange") and tradesentry -i on the server's
# end, the QuickFIX initiator (the "broker") on the other. The broker logs on, sends 200
# NewOrderSingle (Account 1=ACC123456789) and cancels 20 of them; the exchange answers each
# with an ExecutionReport; then both log out. Run twice: with the FIX port configured
# (auto-detect off, the broker's CompID allow-listed) and with auto-detect only.
#
# Checks, against the engines' own message logs (every message sent and received, with its
# time): the sensor's tradesentry_fix_messages_total per direction and MsgType, mid-session
# (before the logout) and at the end; tradesentry_fix_sessions_active 1 then 0; the
# order-to-acknowledgement histogram (count = orders, sum and every bucket inside the bracket
# the two engines' logs give, see fix_session_check.py); the same against a capture of the
# sensor's interface decoded by tshark (counts equal, latency sum and buckets within 5 us per
# order); the EVE stats fix.* (one connection, every message, nothing malformed, skipped or
# evicted); no alert for this clean session; the Account value in no output; no packet
# dropped; exit 0 on SIGTERM. TS_KEEP_WORK=1 keeps the logs, scrapes and captures.
set -euo pipefail
BIN=${TS_BIN:?} BUILD=${TS_BUILD:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../script_lib.sh"
PEER=$BUILD/fix_peer
CHECK=$here/quickfix/fix_session_check.py
[ -x "$PEER" ] || { echo "SKIP: $PEER not built (needs libquickfix-dev; make deps installs it)"; exit 77; }
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for ip netns"; exit 77; fi
need_tools ip curl /usr/bin/python3 dumpcap tshark

ORDERS=200 CANCELS=20 ACCOUNT=ACC123456789 CLIENT=BROKER01 SERVER=EXCHANGE
SRV_IP=10.231.0.2 CLI_IP=10.231.0.1 FIX_PORT=9876
work=$(mktemp -d /tmp/tradesentry-quickfix-XXXXXX)
pid= apid= ipid= cpid=

# Two namespaces, one veth pair: NS (server side: exchange + sensor on B), NC (client: A).
tag=$$
NS=tsqsn$tag NC=tsqcn$tag A=tsqa$tag B=tsqb$tag
cleanup() {
  local p
  for p in $pid $apid $ipid $cpid; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$NC" 2>/dev/null || true  # deletes the veth pair with it
  ip netns del "$NS" 2>/dev/null || true
  if [ -n "${TS_KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
  return 0
}
trap cleanup EXIT
ip netns add "$NS"
ip netns add "$NC"
ip link add "$A" netns "$NC" type veth peer name "$B" netns "$NS"
for pair in "$NC:$A:$CLI_IP" "$NS:$B:$SRV_IP"; do
  IFS=: read -r n dev addr <<<"$pair"
  # IPv6 off first, or router solicitations and DAD land in the capture.
  ip netns exec "$n" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
  ip netns exec "$n" ip addr add "$addr/24" dev "$dev"
  ip netns exec "$n" ip link set "$dev" up
  ip netns exec "$n" ip link set lo up
done
mport=$((20000 + $$ % 20000))

wait_file() {  # FILE SECONDS
  for _ in $(seq $(($2 * 20))); do [ -e "$1" ] && return 0; sleep 0.05; done
  return 1
}
scrape() { ip netns exec "$NS" curl -sf "http://127.0.0.1:$mport/metrics"; }
metric() {  # the value of one series (exact name{labels} as served) in FILE, or "absent"
  awk -v s="$2" '$1 == s {print $2; found=1} END {if (!found) print "absent"}' "$1"
}
# PREFIX METRICS_FILE [noinfo]: the engines' logs (and the capture, when ${wire[@]} names it)
# vs the sensor's metrics
run_checks() {
  local name got want
  while IFS='|' read -r name got want; do
    case $name in
      info\ *) [ -n "${3:-}" ] || echo "$name" ;;
      *) check "$name" "$got" "$want" ;;
    esac
  done < <(/usr/bin/python3 "$CHECK" --prefix "$1" --metrics "$2" --client "$CLIENT" \
             --server "$SERVER" --orders "$ORDERS" --cancels "$CANCELS" \
             --initiator-log "$dir/ini/FIX.4.4-$CLIENT-$SERVER.messages.current.log" \
             --acceptor-log "$dir/acc/FIX.4.4-$SERVER-$CLIENT.messages.current.log" \
             ${wire[@]+"${wire[@]}"})
}
counts_match() {  # METRICS_FILE: exit 0 once the sensor's counts equal the logs'
  /usr/bin/python3 "$CHECK" --counts-only --metrics "$1" --client "$CLIENT" --server "$SERVER" \
    --orders "$ORDERS" --cancels "$CANCELS" \
    --initiator-log "$dir/ini/FIX.4.4-$CLIENT-$SERVER.messages.current.log" \
    --acceptor-log "$dir/acc/FIX.4.4-$SERVER-$CLIENT.messages.current.log"
}
settle() {  # OUT: scrape until the counts match the logs (5 s at most), keep the last scrape
  local end=$((SECONDS + 5))
  while :; do
    scrape > "$1" || true
    counts_match "$1" && return 0
    [ "$SECONDS" -lt "$end" ] || return 0  # the checks that follow say what differs
    sleep 0.1
  done
}

# run NAME FIX_YAML: one session under a sensor started with this fix: section.
run() {
  local name=$1 p="$1: " rc
  dir=$work/$name wire=()
  mkdir -p "$dir/acc" "$dir/ini" "$dir/logs"
  # The reference capture, beside the sensor on the same interface (nanosecond pcapng).
  ip netns exec "$NS" dumpcap -q -i "$B" -f "tcp port $FIX_PORT" -w "$dir/wire.pcapng" \
    2>"$dir/dumpcap.err" &
  cpid=$!
  for _ in $(seq 100); do grep -q "Capturing on" "$dir/dumpcap.err" && break; sleep 0.1; done
  cat > "$dir/sensor.yaml" <<EOF
workers: 2
outputs:
  metrics-listen: "127.0.0.1:$mport"
  stats-interval: 1s
$2
EOF
  ip netns exec "$NS" "$BIN" -c "$dir/sensor.yaml" -i "$B" -l "$dir/logs" -q \
    2>"$dir/sensor.err" &
  pid=$!
  if ! wait_metrics "$mport"; then
    echo "FAIL ${p}metrics endpoint never answered:"; cat "$dir/sensor.err"; exit 1
  fi
  # Capture is live once a packet from the client side is counted on B.
  for _ in $(seq 100); do
    ip netns exec "$NC" bash -c "echo ping > /dev/udp/$SRV_IP/9" 2>/dev/null || true
    v=$(scrape | awk -v s="tradesentry_packets_total{interface=\"$B\"}" '$1 == s {print $2}' || true)
    [ -n "$v" ] && [ "${v%.*}" -gt 0 ] && break
    sleep 0.1
  done

  ip netns exec "$NS" "$PEER" acceptor --port "$FIX_PORT" --log-dir "$dir/acc" \
    --sender "$SERVER" --target "$CLIENT" 2>"$dir/acc.err" &
  apid=$!
  wait_file "$dir/acc/ready" 10 || { echo "FAIL ${p}acceptor not listening"; cat "$dir/acc.err"; exit 1; }
  ip netns exec "$NC" "$PEER" initiator --host "$SRV_IP" --port "$FIX_PORT" --log-dir "$dir/ini" \
    --sender "$CLIENT" --target "$SERVER" --orders "$ORDERS" --cancels "$CANCELS" \
    --account "$ACCOUNT" --gap-us 200 --hold "$dir/go" --timeout 20 2>"$dir/ini.err" &
  ipid=$!
  wait_file "$dir/ini/acked" 25 || { echo "FAIL ${p}orders not acknowledged"; cat "$dir/ini.err"; exit 1; }

  # Logged on, every order answered: what the sensor says now.
  settle "$dir/mid.prom"
  check "${p}mid-session: tradesentry_fix_sessions_active" \
    "$(metric "$dir/mid.prom" tradesentry_fix_sessions_active)" 1
  run_checks "${p}mid-session: " "$dir/mid.prom" noinfo

  touch "$dir/go"
  rc=0; wait "$ipid" || rc=$?; ipid=
  check "${p}initiator exit status" "$rc" 0
  rc=0; wait "$apid" || rc=$?; apid=
  check "${p}acceptor exit status" "$rc" 0

  settle "$dir/end.prom"
  kill -INT "$cpid"; wait "$cpid" || true; cpid=
  wire=(--wire "$dir/wire.pcapng" --fix-port "$FIX_PORT")
  kill -TERM "$pid"
  rc=0; wait "$pid" || rc=$?; pid=
  check "${p}sensor exit status after SIGTERM" "$rc" 0
  check "${p}end: tradesentry_fix_sessions_active" \
    "$(metric "$dir/end.prom" tradesentry_fix_sessions_active)" 0
  run_checks "${p}" "$dir/end.prom"

  local eve=$dir/logs/eve.json
  check "${p}gid 9001 alerts in eve.json" "$(grep -c '"gid":9001,' "$eve" || true)" 0
  grep '"gid":9001,' "$eve" | head -5 || true
  check "${p}alerts of any kind in eve.json" "$(grep -c '"event_type":"alert"' "$eve" || true)" 0
  check "${p}Account value in eve.json, metrics, sensor stderr" \
    "$(cat "$eve" "$dir/mid.prom" "$dir/end.prom" "$dir/sensor.err" "$dir/logs"/*.prom 2>/dev/null \
       | grep -c "$ACCOUNT" || true)" 0
  get() { stat_of "$eve" "$1"; }
  local total
  total=$(/usr/bin/python3 -c 'import re,sys; print(sum(1 for l in open(sys.argv[1], "rb")
    if re.search(rb" : 8=FIX", l)))' "$dir/ini/FIX.4.4-$CLIENT-$SERVER.messages.current.log")
  check "${p}stats fix.connections" "$(get fix.connections)" 1
  check "${p}stats fix.messages (initiator log: $total)" "$(get fix.messages)" "$total"
  for c in connections_untracked malformed garbage_bytes stream_gaps orders_evicted \
           sessions_over_cap sessions_active alerts; do
    check "${p}stats fix.$c" "$(get fix.$c)" 0
  done
  check "${p}capture.kernel_drops" "$(get capture.kernel_drops)" 0
  check "${p}capture.ring_drops" "$(get capture.ring_drops)" 0
  check "${p}capture.pool_drops" "$(get capture.pool_drops)" 0
  check "${p}tradesentry_dropped_packets_total, all stages" \
    "$(awk '/^tradesentry_dropped_packets_total/ {s += $2} END {print s + 0}' "$dir/end.prom")" 0
  check "${p}sensor warnings and errors" "$(wc -l < "$dir/sensor.err")" 0
}

run configured "fix:
  auto-detect: false
  ports: [$FIX_PORT]
  servers:
    - {name: exchange, address: $SRV_IP, port: $FIX_PORT, allowed-comp-ids: [$CLIENT]}"
run autodetect "fix:
  auto-detect: true
  ports: []"
exit $fail
