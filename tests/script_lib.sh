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
