#!/usr/bin/env bash
# Live capture on a real interface: a veth pair with one end in a network namespace,
# tradesentry -i on that end, tcpreplay of a generated capture into the other end.
# Checks every packet was seen (capture.kernel_packets and decoder.pkts equal the capture,
# no drops), that the Prometheus endpoint serves the required metrics while live, and that
# SIGTERM flushes the final stats event and exits 0.
set -euo pipefail
BIN=${TS_BIN:?} BUILD=${TS_BUILD:?}
. "$(dirname "$0")/../script_lib.sh"
need_tools tcpreplay capinfos curl
work=$(mktemp -d /tmp/tradesentry-live-XXXXXX)
pid=
veth_netns tsl

"$BUILD/tsgen" --seed 11 --packets 20000 --out "$work/live.pcap" 2>/dev/null
want=$(capinfos -M -c "$work/live.pcap" | awk '/Number of packets/ {print $NF}')
port=$((20000 + $$ % 20000))

ip netns exec "$NS" "$BIN" -i "$B" -l "$work/logs" --workers 2 \
  --metrics-listen "127.0.0.1:$port" -q &
pid=$!
wait_metrics "$port"  # inside the namespace: the sensor's loopback is the namespace's
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
