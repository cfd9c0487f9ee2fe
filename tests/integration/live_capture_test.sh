#!/usr/bin/env bash
# Live capture on a real interface: a veth pair with one end in a network namespace,
# tradesentry -i on that end, tcpreplay of a generated capture into the other end.
# Checks every packet was seen (capture.kernel_packets and decoder.pkts equal the capture,
# no drops), that the Prometheus endpoint serves the required metrics while live, and that
# SIGTERM flushes the final stats event and exits 0.
set -euo pipefail
BIN=${TS_BIN:?} BUILD=${TS_BUILD:?}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for ip netns"; exit 77; fi
for p in ip tcpreplay capinfos curl; do
  command -v $p >/dev/null || { echo "SKIP: $p not installed (make deps installs it)"; exit 77; }
done

tag=$$
NS=tsl$tag A=tsa$tag B=tsb$tag
. "$(dirname "$0")/../script_lib.sh"
work=$(mktemp -d /tmp/tradesentry-live-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  ip link del "$A" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$NS"
ip link add "$A" type veth peer name "$B"
ip link set "$B" netns "$NS"
sysctl -qw "net.ipv6.conf.$A.disable_ipv6=1"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=1"
ip link set "$A" mtu 9000 up
ip netns exec "$NS" ip link set "$B" mtu 9000 up
ip netns exec "$NS" ip link set lo up

"$BUILD/tsgen" --seed 11 --packets 20000 --out "$work/live.pcap" 2>/dev/null
want=$(capinfos -M -c "$work/live.pcap" | awk '/Number of packets/ {print $NF}')
port=$((20000 + tag % 20000))

ip netns exec "$NS" "$BIN" -i "$B" -l "$work/logs" --workers 2 \
  --metrics-listen "127.0.0.1:$port" -q &
pid=$!
# Wait for the endpoint (inside the namespace: the sensor's loopback is the namespace's).
for _ in $(seq 100); do
  ip netns exec "$NS" curl -sf "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break
  sleep 0.1
done
tcpreplay -q -i "$A" --pps 20000 "$work/live.pcap" >/dev/null 2>&1
sleep 1.5
metrics=$(ip netns exec "$NS" curl -sf "http://127.0.0.1:$port/metrics")
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
check "exit status after SIGTERM" "$rc" 0
get() { stat_of "$work/logs/eve.json" "$1"; }
check capture.kernel_packets "$(get capture.kernel_packets)" "$want"
check decoder.pkts "$(get decoder.pkts)" "$want"
check capture.kernel_drops "$(get capture.kernel_drops)" 0
check capture.ring_drops "$(get capture.ring_drops)" 0
for m in tradesentry_packets_total tradesentry_bytes_total tradesentry_dropped_packets_total \
         tradesentry_alerts_total tradesentry_flows_active; do
  if printf '%s\n' "$metrics" | grep -q "^$m"; then echo "ok   metric $m served"; else echo "FAIL metric $m missing"; fail=1; fi
done
check "live packets metric" "$(printf '%s\n' "$metrics" | awk -v i="$B" '$1 == "tradesentry_packets_total{interface=\""i"\"}" {print $2}')" "$want"
exit $fail
