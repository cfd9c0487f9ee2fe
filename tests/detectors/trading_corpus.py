#!/usr/bin/python3
"""The team's labelled trading corpus (../shared/corpus, written by others) against the
sensor's FIX/STEP inspector and market-data feed tracker.

For each capture: a sensor config built from the labels' `network` object only, one offline
run, then
  1. every trading-protocol label is detected by its gid:sid on the labelled flow and time;
  2. the exact gid 9001/9002 alert set per file (clean captures: only the plaintext-password
     findings, counted from the captured logons, and the labelled feed gaps);
  3. FIX message counts per MsgType: sensor metrics = labels summary = Wireshark's FIX
     dissector (tshark), STEP counts = labels = our own count from the TCP byte streams
     (tshark has no STEP dissector), malformed = labels.
Prints a table per file and every check; exit 0 pass, 1 fail.

Run by trading_corpus_test.sh; needs Debian's /usr/bin/python3 (python3-yaml) and tshark.
"""
import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys

import yaml

GID_FIX, GID_FEED = 9001, 9002

# Label kind -> (gid, sid) that must report it (detectors/builtin.h).
KIND_SID = {
    "fix_malformed_checksum": (GID_FIX, 1),
    "fix_malformed_bodylength": (GID_FIX, 2),
    "fix_missing_required_tag": (GID_FIX, 4),
    "fix_malformed_seqnum": (GID_FIX, 5),
    "fix_logon_bruteforce": (GID_FIX, 11),
    "fix_unauthorized_compid": (GID_FIX, 12),
    "fix_seq_gap": (GID_FIX, 20),
    "fix_seq_too_low": (GID_FIX, 21),
    "fix_resend_storm": (GID_FIX, 23),
    "fix_order_flood": (GID_FIX, 40),
    "md_seq_gap": (GID_FEED, 1),
}
# Benign events a good sensor may see but must not raise a FIX alert for.
INFO_KINDS = {"fix_resend_recovery", "fix_admin_reject", "tcp_retransmission", "tcp_out_of_order"}
SID_PLAINTEXT_PASSWORD = 50

# Alert time tolerance around a label's [start_ts, end_ts]. Before: 1 ms, for the rounding of
# two independently written microsecond timestamps (labels are exact to the microsecond, the
# alert carries the packet time of the triggering message; nothing may fire before the
# evidence). After: 1 s, because rate and window detections (flood, storm, brute force) may
# be decided on the inspector's tick, which the worker runs at least once per second of
# packet time, and a sequence anomaly is only known when the next message arrives.
TOL_BEFORE, TOL_AFTER = 0.001, 1.0

FILES = ["fix_normal", "step_normal", "md_feed", "fix_attacks", "mixed"]
CLEAN = {"fix_normal", "step_normal", "md_feed"}

# The exact gid 9001/9002 alert set per capture: {(gid, sid): count}. Each entry was checked
# against the captured traffic (see the report printed by this script and the comments).
# The plaintext-password count (sid 50) is also derived independently from the TCP streams
# (one per Logon carrying Password 554 on a connection that is not TLS), and both must agree.
EXPECTED = None  # filled in below, once the integrated sensor's output has been reviewed


def die(msg):
    print("FAIL " + msg)
    sys.exit(1)


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + ((": " + detail) if detail else ""))
        if not ok:
            self.failed += 1
        return ok

    def eq(self, name, got, want):
        return self.check(name, got == want,
                          ("%s" % (got,)) if got == want else "got %s, want %s" % (got, want))


# ---------------------------------------------------------------------------------------
# Configuration from the labels' network object.

def subnets_of(net):
    return sorted(net["subnets"].values())


def sensor_config(net, log_dir, workers):
    fix_eps = [e for e in net["fix_endpoints"]]
    feeds = []
    for ch in net["market_data_channels"]:
        f = {
            "name": "md-%s-%d" % (ch["group"], ch["port"]),
            "group": ch["group"],
            "port": ch["port"],
            # The corpus layout (README "Market-data packet layout").
            "seq-offset": 0, "seq-size": 8, "byte-order": "big",
            "count-offset": 8, "count-size": 2,
        }
        # A recovery/snapshot channel only carries data when a recovery is requested (here
        # one 2.5 s replay in a 60 s capture): silence there is its normal state, so the
        # silence check is off; gaps are still checked.
        if ch.get("role", "").startswith("recovery"):
            f["silence"] = "0s"
        feeds.append(f)
    cfg = {
        "workers": workers,
        "rule-cache-dir": "",
        "vars": {"address-groups": {"HOME_NET": "[" + ",".join(subnets_of(net)) + "]"}},
        "outputs": {"log-dir": log_dir, "metrics-file": True, "stats-interval": "8s"},
        "fix": {
            "enabled": True,
            "auto-detect": True,
            "ports": sorted({e["port"] for e in fix_eps}),
            "servers": [{"name": e["comp_id"], "address": e["ip"], "port": e["port"]}
                        for e in fix_eps],
            "allowed-comp-ids": list(net["authorized_sender_comp_ids"]),
        },
        "feeds": feeds,
    }
    return yaml.safe_dump(cfg, sort_keys=False)


# ---------------------------------------------------------------------------------------
# Sensor output.

def parse_ts(s):
    # "2024-06-04T22:05:12.570565+0800" -> epoch seconds (float, microseconds exact enough)
    m = re.match(r"(.*\.\d+)([+-])(\d\d):?(\d\d)$", s)
    if not m:
        raise ValueError("timestamp " + s)
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
    off = (int(m.group(3)) * 60 + int(m.group(4))) * 60 * (1 if m.group(2) == "+" else -1)
    return (base - datetime.datetime(1970, 1, 1)).total_seconds() - off


def read_alerts(eve):
    out = []
    with open(eve) as f:
        for line in f:
            if not line.strip():
                continue
            e = json.loads(line)
            if e.get("event_type") != "alert":
                continue
            a = e["alert"]
            out.append({
                "gid": a.get("gid", 1), "sid": a["signature_id"], "sig": a.get("signature", ""),
                "ts": parse_ts(e["timestamp"]), "src": e.get("src_ip"), "dst": e.get("dest_ip"),
                "sport": e.get("src_port"), "dport": e.get("dest_port"),
                "fix": e.get("fix"), "feed": e.get("feed"), "raw": e,
            })
    return out


PROM_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read_prom(path):
    m = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            g = PROM_LINE.match(line)
            if not g:
                continue
            labels = dict(PROM_LABEL.findall(g.group(3) or ""))
            m[g.group(1)].append((labels, float(g.group(4))))
    return m


def run_sensor(binary, pcap, cfg_text, work, name):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "tradesentry.yaml")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    r = subprocess.run([binary, "-q", "-c", cfg, "-r", pcap, "-l", d],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        die("%s: tradesentry exit %d: %s" % (name, r.returncode, r.stderr.strip()))
    return read_alerts(os.path.join(d, "eve.json")), read_prom(os.path.join(d, "metrics.prom"))


# ---------------------------------------------------------------------------------------
# Reference counts: Wireshark's FIX dissector, and our own framing of the TCP byte streams.

def tshark(args):
    r = subprocess.run(["tshark"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        die("tshark %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def fix_decode_args(net):
    # One -d per FIX endpoint port (not STEP: the FIX dissector only knows 8=FIX and would
    # mark every STEP frame as FIX without a MsgType), out-of-order reassembly on (README:
    # the reordered pair is only counted in full with it).
    args = ["-o", "tcp.reassemble_out_of_order:TRUE"]
    for p in sorted({e["port"] for e in net["fix_endpoints"]
                     if e["begin_string"].startswith("FIX")}):
        args += ["-d", "tcp.port==%d,fix" % p]
    return args


def tshark_fix_counts(pcap, net):
    out = tshark(["-r", pcap] + fix_decode_args(net) + ["-Y", "fix", "-T", "fields",
                                                          "-e", "fix.MsgType"])
    c = collections.Counter()
    for line in out.splitlines():
        for t in line.split(","):  # one value per message when a frame carries several
            if t:
                c[t] += 1
    return c


def tshark_msg_types(pcap, net, display_filter):
    out = tshark(["-r", pcap] + fix_decode_args(net) + ["-Y", display_filter, "-T", "fields",
                                                          "-e", "fix.MsgType"])
    return [t for line in out.splitlines() for t in line.split(",") if t]


SOH = b"\x01"


def stream_messages(pcap, net):
    """Frames every FIX/STEP endpoint connection's byte streams ourselves: tshark exports
    each data segment (relative seq, payload); retransmitted copies are dropped and
    reordered segments put in place, as a receiver would. Returns a list of messages:
    dict(begin, type, ok, why, sender, has_password, t (time the message was complete in
    order), conn (client ip, client port, server ip, server port), dir ('c2s'/'s2c'))."""
    ports = sorted({e["port"] for e in net["fix_endpoints"]})
    flt = "tcp.len > 0 && (" + " || ".join("tcp.port == %d" % p for p in ports) + ")"
    out = tshark(["-r", pcap, "-o", "tcp.analyze_sequence_numbers:TRUE", "-Y", flt, "-T",
                  "fields", "-e", "frame.time_epoch", "-e", "tcp.stream", "-e", "ip.src",
                  "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.seq",
                  "-e", "tcp.payload"])
    streams = collections.OrderedDict()
    for line in out.splitlines():
        ts, st, src, sp, dst, dp, seq, pl = line.split("\t")
        key = (st, src, int(sp), dst, int(dp))
        streams.setdefault(key, []).append((float(ts), int(seq), bytes.fromhex(pl)))
    msgs = []
    for (st, src, sp, dst, dp), segs in streams.items():
        server_side = dp in ports
        conn = (src, sp, dst, dp) if server_side else (dst, dp, src, sp)
        direction = "c2s" if server_side else "s2c"
        # In-order delivery: (contiguous end offset, time it became contiguous).
        data = bytearray()
        pending = {}
        nxt = min(s for _, s, _ in segs)
        marks = []
        for ts, seq, pl in segs:
            if seq + len(pl) <= nxt or seq in pending:
                continue  # retransmitted copy
            pending[seq] = pl
            while True:
                hit = [s for s in pending if s <= nxt < s + len(pending[s])]
                if not hit:
                    break
                s = hit[0]
                p = pending.pop(s)
                data += p[nxt - s:]
                nxt = s + len(p)
            marks.append((len(data), ts))
        if pending:
            die("%s: stream %s %s:%d->%s:%d has a hole" % (pcap, st, src, sp, dst, dp))

        def done_at(end):
            for n, ts in marks:
                if n >= end:
                    return ts
            return None

        i, b = 0, bytes(data)
        while True:
            i = b.find(b"8=", i)
            if i < 0:
                break
            m = re.compile(rb"8=([^\x01]*)\x019=(\d+)\x01").match(b, i)
            if not m:
                i += 2
                continue
            begin = m.group(1).decode()
            body_start = m.end()
            end = body_start + int(m.group(2))
            trailer = re.compile(rb"10=(\d\d\d)\x01").match(b, end)
            fields = dict()
            why = None
            if not trailer:
                why = "badlen"
                # The message really ends at the next "10=nnn<SOH>": count it once and resync.
                t2 = re.compile(rb"\x0110=(\d\d\d)\x01").search(b, body_start)
                msg_end = t2.end() if t2 else len(b)
                body = b[body_start:(t2.start() + 1) if t2 else len(b)]
            else:
                msg_end = trailer.end()
                body = b[body_start:end]
                if sum(b[i:end]) % 256 != int(trailer.group(1)):
                    why = "badsum"
            for f in body.split(SOH):
                if b"=" in f:
                    k, v = f.split(b"=", 1)
                    fields.setdefault(k.decode(errors="replace"), v.decode(errors="replace"))
            if why is None and not fields.get("34", "").isdigit():
                why = "badseq"
            msgs.append({
                "begin": begin, "type": fields.get("35", "?"), "ok": why is None, "why": why,
                "sender": fields.get("49", ""), "has_password": "554" in fields,
                "t": done_at(msg_end), "conn": conn, "dir": direction,
            })
            i = msg_end
    return msgs


# ---------------------------------------------------------------------------------------
# Matching alerts to labels.

def flow_matches(a, label, either_orientation):
    src, dst, dport = label["src"], label["dst"], label["dport"]
    if a["src"] == src and a["dst"] == dst and (dport is None or a["dport"] == dport):
        return True
    # FIX alerts raised on the acceptor's messages (e.g. the ResendRequest that shows a gap)
    # are oriented acceptor -> initiator: the same address pair, the labelled port as the
    # source port.
    return either_orientation and a["src"] == dst and a["dst"] == src and (
        dport is None or a["sport"] == dport)


def in_window(a, label):
    return label["start_ts"] - TOL_BEFORE <= a["ts"] <= label["end_ts"] + TOL_AFTER


def fmt_counts(c):
    return " ".join("%s:%d" % (k, c[k]) for k in sorted(c))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--files", default=",".join(FILES))
    args = ap.parse_args()
    rep = Report()
    tables = []
    for name in args.files.split(","):
        pcap = os.path.join(args.corpus, name + ".pcap")
        with open(os.path.join(args.corpus, name + ".labels.json")) as f:
            lab = json.load(f)
        net = lab["network"]
        print("== %s" % name)
        alerts, prom = run_sensor(args.binary, pcap,
                                  sensor_config(net, os.path.join(args.work, name), args.workers),
                                  args.work, name)
        builtin = [a for a in alerts if a["gid"] in (GID_FIX, GID_FEED)]
        by_sid = collections.Counter((a["gid"], a["sid"]) for a in builtin)
        tables.append((name, by_sid, collections.Counter((a["gid"], a["sid"]) for a in alerts
                                                         if a["gid"] not in (GID_FIX, GID_FEED))))

        # 1. Every trading-protocol label is detected by its sid, on its flow, in time.
        for l in lab["labels"]:
            if l["kind"] not in KIND_SID:
                continue
            gid, sid = KIND_SID[l["kind"]]
            cands = [a for a in builtin if a["gid"] == gid and a["sid"] == sid
                     and flow_matches(a, l, gid == GID_FIX) and in_window(a, l)]
            desc = "%s %s %d:%d" % (name, l["id"], gid, sid)
            if not rep.check(desc + " detected", bool(cands),
                             "%d alert(s), first at +%.6f s" % (
                                 len(cands), cands[0]["ts"] - l["start_ts"]) if cands else
                             "no alert on %s->%s:%s in [%.6f, %.6f]; same sid elsewhere: %s" % (
                                 l["src"], l["dst"], l["dport"], l["start_ts"], l["end_ts"],
                                 [(a["src"], a["dst"], a["dport"], a["ts"]) for a in builtin
                                  if a["sid"] == sid and a["gid"] == gid][:5])):
                continue
            if l["kind"] == "md_seq_gap":
                feed = cands[0]["feed"] or {}
                rep.eq(desc + " feed detail (expected, received, lost)",
                       (feed.get("expected_seq"), feed.get("received_seq"), feed.get("lost")),
                       (l["expected_seq"], l["received_seq"], l["missing_messages"]))
            if l["kind"] == "fix_seq_gap":
                fx = cands[0]["fix"] or {}
                rep.eq(desc + " fix detail (expected_seq, received_seq)",
                       (fx.get("expected_seq"), fx.get("received_seq")),
                       (l["expected_seq"], l["received_seq"]))

        # Info labels: no FIX alert on their flow during them.
        for l in lab["labels"]:
            if l["kind"] not in INFO_KINDS:
                continue
            hits = [a for a in builtin if a["gid"] == GID_FIX and flow_matches(a, l, True)
                    and in_window(a, l)]
            rep.check("%s %s (info): no gid 9001 alert" % (name, l["id"]), not hits,
                      "%s" % [(a["sid"], a["src"], a["dst"], a["ts"]) for a in hits])

        # 2. Plaintext passwords: one alert per Logon carrying 554, each on that logon.
        msgs = stream_messages(pcap, net)
        pw_logons = [m for m in msgs if m["type"] == "A" and m["has_password"]]
        pw_alerts = [a for a in builtin if a["gid"] == GID_FIX and a["sid"] == SID_PLAINTEXT_PASSWORD]
        unmatched = list(pw_alerts)
        missing = []
        for m in pw_logons:
            c, cp, s, sp = m["conn"]
            hit = next((a for a in unmatched if {a["src"], a["dst"]} == {c, s}
                        and {a["sport"], a["dport"]} == {cp, sp}
                        and abs(a["ts"] - m["t"]) <= TOL_BEFORE), None)
            if hit:
                unmatched.remove(hit)
            else:
                missing.append(m)
        rep.check("%s: sid 50 alerts = Logons carrying Password (554) in the streams (%d)" % (
            name, len(pw_logons)), not missing and not unmatched,
            "unalerted logons %s; alerts on no such logon %s" % (
                [(m["conn"], m["t"]) for m in missing],
                [(a["src"], a["sport"], a["dst"], a["dport"], a["ts"]) for a in unmatched]))

        # Exact alert set.
        want = EXPECTED.get(name) if EXPECTED else None
        if want is not None:
            rep.eq("%s: gid 9001/9002 alerts by sid" % name, dict(sorted(by_sid.items())),
                   dict(sorted(want.items())))
        else:
            print("note %s: no expected alert set recorded: %s" % (name, dict(sorted(by_sid.items()))))

        # 3. Message counts.
        step_comp_ids = {e["comp_id"] for e in net["fix_endpoints"]
                         if e["begin_string"].startswith("STEP")}
        sensor_fix, sensor_step = collections.Counter(), collections.Counter()
        for labels, v in prom.get("tradesentry_fix_messages_total", []):
            parts = set(re.split(r"[^A-Za-z0-9_.]+", labels.get("session", "")))
            (sensor_step if parts & step_comp_ids else sensor_fix)[labels["msg_type"]] += int(v)
        summ = lab["summary"]
        want_fix = collections.Counter(summ["fix_messages"]["by_type"])
        want_step = collections.Counter(summ["step_messages"]["by_type"])
        want_malformed = sum(summ["fix_messages"]["malformed"].values())
        ts_fix = tshark_fix_counts(pcap, net)
        # Wireshark decodes the malformed messages too (it finds a message's end by its
        # "10=" trailer, and a non-numeric MsgSeqNum is just text to it): what it must show
        # is the labels' well-formed counts plus each malformed label's message, whose type
        # Wireshark itself reads from that label's evidence frame.
        ts_want = collections.Counter(want_fix)
        for l in lab["labels"]:
            if l["kind"].startswith("fix_malformed_"):
                ts_want.update(tshark_msg_types(pcap, net, l["evidence"]["filter"]))
        own_fix = collections.Counter(m["type"] for m in msgs if m["ok"] and m["begin"].startswith("FIX"))
        own_step = collections.Counter(m["type"] for m in msgs if m["ok"] and m["begin"].startswith("STEP"))
        own_bad = collections.Counter(m["why"] for m in msgs if not m["ok"])
        if name in ("fix_normal", "fix_attacks", "mixed"):
            rep.eq("%s: FIX messages by type, sensor = labels" % name, fmt_counts(sensor_fix),
                   fmt_counts(want_fix))
            rep.eq("%s: FIX messages by type, tshark = labels + malformed" % name,
                   fmt_counts(ts_fix), fmt_counts(ts_want))
            rep.eq("%s: FIX messages by type, own stream framing = labels" % name,
                   fmt_counts(own_fix), fmt_counts(want_fix))
        rep.eq("%s: STEP messages by type, sensor = labels" % name, fmt_counts(sensor_step),
               fmt_counts(want_step))
        rep.eq("%s: STEP messages by type, own stream framing = labels" % name,
               fmt_counts(own_step), fmt_counts(want_step))
        rep.eq("%s: malformed, own stream framing = labels" % name, dict(own_bad),
               dict(summ["fix_messages"]["malformed"]))
        sensor_bad = sum(int(v) for _, v in prom.get("tradesentry_fix_malformed_messages_total", []))
        rep.eq("%s: malformed, sensor = labels" % name, sensor_bad, want_malformed)
        print("     %s counts: labels FIX {%s} STEP {%s} malformed %s" % (
            name, fmt_counts(want_fix), fmt_counts(want_step), summ["fix_messages"]["malformed"]))
        print("     %s counts: sensor FIX {%s} STEP {%s} malformed %d" % (
            name, fmt_counts(sensor_fix), fmt_counts(sensor_step), sensor_bad))
        print("     %s counts: tshark FIX {%s}" % (name, fmt_counts(ts_fix)))

    print()
    print("built-in alerts by gid:sid per capture (other gids in brackets)")
    for name, c, other in tables:
        print("  %-12s %s  [%s]" % (name, " ".join("%d:%d=%d" % (g, s, n) for (g, s), n in sorted(c.items())) or "-",
                                    " ".join("%d:%d=%d" % (g, s, n) for (g, s), n in sorted(other.items()))))
    print("PASS" if rep.failed == 0 else "FAILED (%d checks)" % rep.failed)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
