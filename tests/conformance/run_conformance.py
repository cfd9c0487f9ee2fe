#!/usr/bin/env python3
"""Conformance runner over the suricata-verify subset in ../shared/conformance.

For each case: run `tradesentry -c <generated config> -S test.rules -r <pcap> -l <tmp>` with
the case's variables and settings, read the alert events of eve.json, and compare the count
per signature (with each entry's `match` keys) to expected.json exactly, as the corpus README
prescribes. Cases listed in known_failures.txt (one `name  reason` per line) may fail; one of
them that passes is reported, so the list is kept honest. Exit 0 when every other case passes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

# EVE keys we write; an expectation on any other key is reported as unsupported.
PRODUCED = {"timestamp", "flow_id", "pcap_cnt", "event_type", "src_ip", "src_port", "dest_ip",
            "dest_port", "ip_v", "proto", "icmp_type", "icmp_code", "pkt_src", "direction",
            "stream", "alert"}


def get_path(ev, path):
    cur = ev
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return (False, None)
    return (True, cur)


def key_supported(key):
    if key in ("has-key", "not-has-key"):
        return True
    base = key.split(".")[0]
    return base in PRODUCED


def matches(ev, match):
    for key, want in match.items():
        if key == "has-key":
            if not get_path(ev, want)[0]:
                return False
            continue
        if key == "not-has-key":
            if get_path(ev, want)[0]:
                return False
            continue
        op = None
        path = key
        for suffix in ("__len", "__gt", "__gte", "__lt", "__lte"):
            if path.endswith("." + suffix):
                op = suffix
                path = path[: -(len(suffix) + 1)]
        found, val = get_path(ev, path)
        if not found:
            return False
        if op == "__len":
            if len(val) != want:
                return False
        elif op == "__gt":
            if not val > want:
                return False
        elif op == "__gte":
            if not val >= want:
                return False
        elif op == "__lt":
            if not val < want:
                return False
        elif op == "__lte":
            if not val <= want:
                return False
        elif val != want:
            return False
    return True


def yaml_quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_config(case, path):
    cfg = case.get("config", {})
    lines = ["workers: 1"]
    lines.append("decoder:")
    lines.append("  checksum-validation: %s" %
                 ("false" if cfg.get("checksum_validation") == "none" else "false"))
    lines.append("stream:")
    lines.append("  midstream: %s" % ("true" if cfg.get("stream.midstream") else "false"))
    lines.append("detect:")
    lines.append("  ips-mode: %s" % ("true" if cfg.get("ips_mode") else "false"))
    lines.append("outputs:")
    lines.append("  metrics-file: false")
    vars_ = case.get("vars", {})
    if vars_:
        addr = {k: v for k, v in vars_.items() if not k.endswith("PORTS")}
        ports = {k: v for k, v in vars_.items() if k.endswith("PORTS")}
        lines.append("vars:")
        if addr:
            lines.append("  address-groups:")
            for k, v in addr.items():
                lines.append("    %s: %s" % (k, yaml_quote(v)))
        if ports:
            lines.append("  port-groups:")
            for k, v in ports.items():
                lines.append("    %s: %s" % (k, yaml_quote(v)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_case(binary, case_dir, work):
    with open(os.path.join(case_dir, "expected.json")) as f:
        case = json.load(f)
    name = os.path.basename(case_dir)
    out = os.path.join(work, name)
    os.makedirs(out, exist_ok=True)
    cfg_path = os.path.join(out, "config.yaml")
    make_config(case, cfg_path)
    cmd = [binary, "-q", "-c", cfg_path, "-S", os.path.join(case_dir, case["rules"]),
           "-r", os.path.join(case_dir, case["pcap"]), "-l", out]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    result = {"name": name, "problems": [], "unsupported": [], "rc": p.returncode,
              "stderr": p.stderr.strip()}
    # A capture that is cut or corrupt part-way exits 1 after logging everything before the
    # damage (our documented behaviour; Suricata logs an error and stops reading too): the
    # alerts are still compared.
    damaged = p.returncode == 1 and ("corrupt record" in p.stderr or "truncated" in p.stderr)
    if p.returncode != 0 and not damaged:
        result["problems"].append("exit %d: %s" % (p.returncode, p.stderr.strip()[-400:]))
        return result
    alerts = []
    eve = os.path.join(out, "eve.json")
    if os.path.exists(eve):
        with open(eve) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("event_type") == "alert":
                    alerts.append(ev)
    result["alerts"] = {}
    for a in alerts:
        sid = a["alert"]["signature_id"]
        result["alerts"][sid] = result["alerts"].get(sid, 0) + 1
    for e in case.get("expect", []):
        match = e.get("match", {})
        bad = [k for k in match if not key_supported(k)]
        if bad:
            result["unsupported"].append("sid %s: match on %s" % (e["sid"], ",".join(bad)))
            continue
        got = sum(1 for a in alerts
                  if (e["sid"] is None or a["alert"]["signature_id"] == e["sid"])
                  and matches(a, match))
        if got != e["count"]:
            result["problems"].append("sid %s%s: %d alerts, expected %d" % (
                e["sid"], (" " + json.dumps(match)) if match else "", got, e["count"]))
    for sid in case.get("expect_absent", []):
        got = sum(1 for a in alerts if a["alert"]["signature_id"] == sid)
        if got:
            result["problems"].append("sid %s: %d alerts, expected none" % (sid, got))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--known-failures", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    known = {}
    with open(args.known_failures) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            known[name] = reason.strip()

    cases = sorted(d for d in os.listdir(args.corpus)
                   if os.path.isfile(os.path.join(args.corpus, d, "expected.json")))
    if args.only:
        cases = [c for c in cases if args.only in c]
    work = tempfile.mkdtemp(prefix="tradesentry-conformance-")
    passed, failed, expected_fail, fixed, unsupported_only = [], [], [], [], []
    for name in cases:
        r = run_case(args.binary, os.path.join(args.corpus, name), work)
        ok = not r["problems"]
        status = "PASS" if ok else "FAIL"
        if ok and r["unsupported"] and len(r["unsupported"]) == sum(1 for _ in r["unsupported"]):
            pass
        detail = "; ".join(r["problems"] + ["unsupported " + u for u in r["unsupported"]])
        if name in known:
            if ok and not r["unsupported"]:
                fixed.append(name)
                status = "PASS (listed in known_failures.txt: remove it)"
            else:
                expected_fail.append(name)
                status = "KNOWN " + status + " (" + known[name] + ")"
        elif ok:
            passed.append(name)
            if r["unsupported"]:
                unsupported_only.append(name)
        else:
            failed.append(name)
        print("%-60s %s%s" % (name, status, (": " + detail) if detail else ""))
    print("\nconformance: %d cases: %d pass, %d fail, %d known failures, %d fixed known failures"
          " (%d passing cases have entries we cannot check)" % (
              len(cases), len(passed), len(failed), len(expected_fail), len(fixed),
              len(unsupported_only)))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("outputs kept in", work)
    for n in known:
        if n not in cases and not args.only:
            print("known_failures.txt names %s, which is not in the corpus" % n)
            return 1
    return 0 if not failed and not fixed else 1


if __name__ == "__main__":
    sys.exit(main())
