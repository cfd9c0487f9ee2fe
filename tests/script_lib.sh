# Shared by the script tests (source it): exact checks that report every result and fail
# the test at the end, and reading the last stats event of an eve.json.
fail=0
# check NAME GOT WANT
check() {
  if [ "$2" = "$3" ]; then echo "ok   $1 = $2"; else echo "FAIL $1: got '$2', want '$3'"; fail=1; fi
}
# stat_of EVE_JSON DOTTED_NAME: a counter of the last stats event, e.g. decoder.pkts
stat_of() {
  grep '"event_type":"stats"' "$1" | tail -n 1 | /usr/bin/python3 -c \
    "import json,sys; d=json.load(sys.stdin)['stats']
for k in sys.argv[1].split('.'): d=d[k]
print(d)" "$2"
}
# need_tools TOOL...: skip the test (exit 77) naming the first tool that is not installed.
need_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed (make deps installs it)"; exit 77; }
  done
}
# veth_netns PREFIX: a veth pair with one end in a new network namespace, both up, IPv6 off
# (so the kernel sends nothing of its own on them). Sets NS (namespace), A (our end) and
# B (the namespace's end), and a trap that removes them, kills $pid if set and removes
# $work if set. Needs root, ip; skips (exit 77) otherwise.
veth_netns() {
  if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for ip netns"; exit 77; fi
  need_tools ip
  local tag=$$
  NS=${1}n$tag A=${1}a$tag B=${1}b$tag
  trap 'veth_netns_cleanup' EXIT
  ip netns add "$NS"
  ip link add "$A" type veth peer name "$B"
  ip link set "$B" netns "$NS"
  sysctl -qw "net.ipv6.conf.$A.disable_ipv6=1"
  ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=1"
  ip link set "$A" mtu 9000 up
  ip netns exec "$NS" ip link set "$B" mtu 9000 up
  ip netns exec "$NS" ip link set lo up
}
veth_netns_cleanup() {
  [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null || true
  ip link del "$A" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  [ -n "${work:-}" ] && rm -rf "$work"
  return 0
}
# wait_metrics PORT: until the sensor's endpoint answers inside the namespace (10 s at most).
wait_metrics() {
  for _ in $(seq 100); do
    ip netns exec "$NS" curl -sf "http://127.0.0.1:$1/metrics" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
