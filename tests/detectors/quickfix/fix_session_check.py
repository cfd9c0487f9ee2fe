#!/usr/bin/python3
"""Compare the sensor's FIX metrics with the QuickFIX engines' own message logs.

Reads the two FileLog message logs of one session (initiator = client, acceptor = server;
lines "YYYYMMDD-HH:MM:SS.fffffffff : 8=FIX.4.4<SOH>...") and a scrape of /metrics, and prints
one line per check, "NAME|GOT|WANT", for the test's check(); lines starting with "info "
are figures for the log. Exit status 0.

Direction: a message whose SenderCompID (49) is the client's went to_server.

Latency bracket. For each order, the sensor's latency is the wire time of its first
ExecutionReport minus the wire time of the NewOrderSingle, taken on the server's veth end.
QuickFIX logs an outgoing message just before the socket write and an incoming one just after
the read, so on the wire
    acceptor log (8 out - D in)  <=  sensor latency  <=  initiator log (8 in - D out)
and the same holds for the sums and for every histogram bucket (orders whose sensor latency is
<= le are at least those whose initiator-side latency is <= le, at most those whose
acceptor-side latency is <= le). The engines' timestamps are truncated to the microsecond
(UtcTimeStamp), the sensor's are the kernel's nanoseconds on the same clock, so each logged
difference is off by less than 1 us: the tolerance is 1 us per order. The bracket is as wide as
the engines' own scheduling delays (tens of microseconds to milliseconds on a loaded machine).

Wire reference (--wire). A capture of the same interface taken beside the sensor (dumpcap, the
kernel's nanosecond timestamps) decoded by tshark's FIX dissector with TCP reassembly, which
reports a message in the frame that completes it: the same packet times the sensor uses (the
last byte of the order, the last byte of its first ExecutionReport). Its message counts must
equal the engines' logs, and the sensor's latency sum must equal the wire's within 5 us per
order; every histogram bucket must lie between the wire's counts of latencies <= le - 5 us and
<= le + 5 us. Why 5 us: a packet the server sends carries one kernel timestamp for every
capture socket, but a packet the veth receives is stamped by each capture socket as it gets it
(Linux 6.18: two dumpcaps on the same veth differed by 0.24 to 3.5 us, mean 0.6 us, on every
received packet, never on a sent one). So each order's time (received on the server's end)
differs by a few microseconds between the sensor and the reference capture, its
ExecutionReport's time does not. Replayed offline from the reference capture, the sensor's sum
equals the wire's to the nanosecond.
"""
import subprocess
import xml.etree.ElementTree as ET
import argparse
import re
import sys
from datetime import datetime, timezone

SOH = "\x01"


def read_log(path, client):
    """[(time_s, direction, fields)] in log order."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("latin-1").rstrip("\n")
            if " : " not in line:
                continue
            stamp, msg = line.split(" : ", 1)
            day, frac = stamp.split(".")
            t = datetime.strptime(day, "%Y%m%d-%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
            t += int(frac) / 10 ** len(frac)
            fields = {}
            for kv in msg.split(SOH):
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    fields.setdefault(k, v)
            out.append((t, "to_server" if fields.get("49") == client else "to_client", fields))
    return out


def counts(log):
    c = {}
    for _, d, f in log:
        c[(d, f.get("35", "?"))] = c.get((d, f.get("35", "?")), 0) + 1
    return c


def latencies(log):
    """Per ClOrdID: first ExecutionReport (to_client, same 11=) time minus the order's time."""
    sent, lat = {}, {}
    for t, d, f in log:
        if d == "to_server" and f.get("35") == "D":
            sent.setdefault(f.get("11"), t)
        elif d == "to_client" and f.get("35") == "8" and f.get("11") in sent \
                and f.get("11") not in lat:
            lat[f.get("11")] = t - sent[f.get("11")]
    return lat


def read_wire(pcap, fix_port):
    """[(time_ns, direction, {msg fields})], one entry per FIX message tshark decodes."""
    out = []
    cmd = ["tshark", "-n", "-r", pcap, "-d", "tcp.port==%d,fix" % fix_port,
           "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "fix", "-T", "pdml"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for _, el in ET.iterparse(proc.stdout):
        if el.tag != "packet":
            continue
        t, d = None, None
        for f in el.iter("field"):
            if f.get("name") == "frame.time_epoch" and t is None:
                sec, _, frac = f.get("show").partition(".")
                t = int(sec) * 10 ** 9 + int((frac + "000000000")[:9])
            elif f.get("name") == "tcp.dstport" and d is None:
                d = "to_server" if int(f.get("show")) == fix_port else "to_client"
        for proto in el.iter("proto"):
            if proto.get("name") != "fix":
                continue
            fields = {}
            for f in proto.iter("field"):
                n = f.get("name") or ""
                if n.startswith("fix."):
                    fields.setdefault(n[4:], f.get("show"))
            out.append((t, d, {"35": fields.get("MsgType"), "11": fields.get("ClOrdID"),
                               "150": fields.get("ExecType")}))
        el.clear()
    proc.wait()
    return out


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read_metrics(path):
    series = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            m = LINE.match(line)
            if m:
                series.append((m.group(1), dict(LABEL.findall(m.group(2) or "")),
                               float(m.group(3))))
    return series


def quantile(q, values):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, max(0, int(round(q * len(v) + 0.5)) - 1))]


def hist_quantile(q, buckets):
    """Prometheus histogram_quantile over [(le, cumulative count)] sorted by le."""
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / (c - prev_c) if c > prev_c else 0)
        prev_le, prev_c = le, c
    return prev_le


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--initiator-log", required=True)
    ap.add_argument("--acceptor-log", required=True)
    ap.add_argument("--metrics", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--orders", type=int, required=True)
    ap.add_argument("--cancels", type=int, required=True)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--wire", help="capture of the sensor's interface (pcap/pcapng)")
    ap.add_argument("--fix-port", type=int, default=0, help="the acceptor's port, with --wire")
    ap.add_argument("--counts-only", action="store_true",
                    help="exit 0 when the sensor's message counts equal the logs' (no output)")
    a = ap.parse_args()
    p = a.prefix
    ini = read_log(a.initiator_log, a.client)
    acc = read_log(a.acceptor_log, a.client)
    series = read_metrics(a.metrics)
    session = a.client + "->" + a.server
    ci, ca = counts(ini), counts(acc)

    fix = [s for s in series if s[0].startswith("tradesentry_fix_")]
    msgs = {}
    for name, lab, v in fix:
        if name == "tradesentry_fix_messages_total" and lab.get("session") == session:
            k = (lab.get("direction"), lab.get("msg_type"))
            msgs[k] = msgs.get(k, 0) + int(v)
    keys = sorted(set(ci) | set(msgs))
    if a.counts_only:
        return 0 if all(msgs.get(k, 0) == ci.get(k, 0) for k in keys) else 1

    out = []
    def check(name, got, want):
        out.append("%s%s|%s|%s" % (p, name, got, want))

    # The engines agree with each other, and the session did what was asked.
    fmt = lambda c: " ".join("%s:%s=%d" % (d, t, n) for (d, t), n in sorted(c.items()))
    check("engine logs: initiator counts = acceptor counts", fmt(ci), fmt(ca))
    check("engine logs: NewOrderSingle sent", ci.get(("to_server", "D"), 0), a.orders)
    check("engine logs: OrderCancelRequest sent", ci.get(("to_server", "F"), 0), a.cancels)
    er = [f.get("150") for _, d, f in ini if d == "to_client" and f.get("35") == "8"]
    check("engine logs: ExecutionReports New", er.count("0"), a.orders)
    check("engine logs: ExecutionReports Canceled", er.count("4"), a.cancels)

    # Message counts per direction and type: sensor vs engines.
    for k in keys:
        check("messages_total{direction=%s,msg_type=%s}" % k, msgs.get(k, 0), ci.get(k, 0))
    check("messages_total, all", sum(msgs.values()), sum(ci.values()))
    others = sorted({lab["session"] for _, lab, _ in fix if "session" in lab} - {session})
    check("fix series with a session label other than " + session, ",".join(others) or "none",
          "none")

    # Order-to-acknowledgement latency.
    li, la = latencies(ini), latencies(acc)
    check("engine logs: orders with a New report (initiator, acceptor)",
          "%d,%d" % (len(li), len(la)), "%d,%d" % (a.orders, a.orders))
    hname = "tradesentry_fix_order_ack_latency_seconds"
    hs = {n: v for n, lab, v in fix if n in (hname + "_sum", hname + "_count")
          and lab.get("session") == session}
    buckets = sorted((float(lab["le"].replace("+Inf", "inf")), v) for n, lab, v in fix
                     if n == hname + "_bucket" and lab.get("session") == session)
    count, total = int(hs.get(hname + "_count", -1)), hs.get(hname + "_sum", float("nan"))
    check("order_ack_latency_seconds_count", count, a.orders)
    tol = 1e-6  # per order, see above
    lo, hi = sum(la.values()) - tol * len(la), sum(li.values()) + tol * len(li)
    check("order_ack_latency_seconds_sum > 0", total > 0, True)
    check("order_ack_latency_seconds_sum within [acceptor-log sum - %d us, initiator-log sum + %d us]"
          % (len(la), len(li)), lo <= total <= hi, True)
    bad = []
    for le, c in buckets:
        if le == float("inf"):
            continue
        at_least = sum(1 for v in li.values() if v <= le - tol)
        at_most = sum(1 for v in la.values() if v <= le + tol)
        if not at_least <= c <= at_most:
            bad.append("le=%g:%d not in [%d,%d]" % (le, c, at_least, at_most))
    check("latency buckets within the engines' bracket", ";".join(bad) or "all %d" % len(buckets),
          "all %d" % len(buckets))
    if buckets:
        check("latency +Inf bucket", int(buckets[-1][1]), count)

    us = lambda s: "%.1f us" % (s * 1e6)
    if a.wire:
        wire = read_wire(a.wire, a.fix_port)
        check("wire (tshark): counts = engine logs", fmt(counts(wire)), fmt(ci))
        lw = latencies(wire)  # nanoseconds
        check("wire (tshark): orders with a New report", len(lw), a.orders)
        wsum = sum(lw.values()) / 1e9
        tol_ns = 5000  # per order, see above
        check("order_ack_latency_seconds_sum = wire sum within %d us (5 us per order)"
              % (5 * len(lw)), abs(total - wsum) <= tol_ns * len(lw) / 1e9, True)
        bad = []
        exact = 0
        for le, c in buckets:
            if le == float("inf"):
                continue
            le_ns = round(le * 1e9)
            at_least = sum(1 for v in lw.values() if v <= le_ns - tol_ns)
            at_most = sum(1 for v in lw.values() if v <= le_ns + tol_ns)
            exact += c == sum(1 for v in lw.values() if v <= le_ns)
            if not at_least <= c <= at_most:
                bad.append("le=%g:%d not in [%d,%d]" % (le, c, at_least, at_most))
        check("latency buckets within the wire's +-5 us", ";".join(bad) or "all %d" % len(buckets),
              "all %d" % len(buckets))
        out.append("info %slatency buckets equal to the wire's exactly: %d of %d"
                   % (p, exact, len(buckets) - 1))
        out.append("info %slatency sum: sensor - wire = %.0f ns over %d orders (%.2f us per order)"
                   % (p, (total - wsum) * 1e9, len(lw), (total - wsum) * 1e6 / max(1, len(lw))))
        vals = [v / 1e9 for v in lw.values()]
        out.append("info %swire latency: sum %s, p50 %s, p90 %s, p99 %s, max %s"
                   % (p, us(wsum), us(quantile(0.5, vals)), us(quantile(0.9, vals)),
                      us(quantile(0.99, vals)), us(max(vals, default=0))))
    out.append("info %slatency sum: sensor %s, acceptor log %s, initiator log %s (%d orders)"
               % (p, us(total), us(sum(la.values())), us(sum(li.values())), len(li)))
    for q in (0.5, 0.9, 0.99):
        out.append("info %slatency p%g: sensor (histogram_quantile) %s, acceptor log %s, "
                   "initiator log %s" % (p, q * 100, us(hist_quantile(q, buckets)) if buckets
                                          else "n/a", us(quantile(q, la.values())),
                                          us(quantile(q, li.values()))))
    out.append("info %slatency max: acceptor log %s, initiator log %s"
               % (p, us(max(la.values(), default=0)), us(max(li.values(), default=0))))
    out.append("info %sbuckets: %s" % (p, " ".join("%g:%d" % b for b in buckets)))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
