// The signature engine against OISF suricata-verify expectations (../shared/conformance/
// suricata-verify, see its README): each test's pcap goes through the product's capture,
// decoder, flow table, TCP tracker and Detector (registered as the stream consumer), alerts
// through the ThresholdEngine, and the alert counts are compared with expected.json. This is
// the engine-level run (no pipeline threads); skipped when ../shared is absent.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/defrag.h"
#include "sensor/flow_hash.h"
#include "sensor/flow_table.h"
#include "sensor/tcp_stream.h"
#include "signatures/engine.h"
#include "signatures/parser.h"
#include "signatures/threshold.h"

namespace ts::sig {
namespace {

using nlohmann::json;

std::string corpus_dir() {
  return std::string(TS_SOURCE_DIR) + "/../shared/conformance/suricata-verify";
}

struct Logged {
  Alert a;
  uint64_t pcap_cnt = 0;
};

class Run final : public FrameHandler, public FlowEndSink, public AlertSink {
 public:
  Run(std::shared_ptr<const CompiledRules> cr, bool midstream)
      : defrag(DefragConfig{}),
        decoder(DecodeConfig{}, &defrag),
        table(FlowTableConfig{4096, {}}, 0, 1, this),
        tcp(tcp_cfg(midstream), table),
        det(cr, DetectorConfig{4096, 16u << 20, true}, this),
        rules(std::move(cr)) {
    tcp.add_consumer(&det);
    thresholds.set_config(rules->ruleset().thresholds);
  }
  static TcpConfig tcp_cfg(bool midstream) {
    TcpConfig c;
    c.flow_capacity = 4096;
    c.reassembly_memcap = 8u << 20;
    c.midstream = midstream;
    return c;
  }
  void on_frame(LinkType lt, Nanos ts, const uint8_t* data, uint32_t caplen, uint32_t wirelen,
                bool) noexcept override {
    ++frame;
    PacketView v;
    v.iface = 0;
    const DecodeResult r = decoder.decode(lt, ts, data, caplen, wirelen, v);
    if (r != DecodeResult::kOk && r != DecodeResult::kNotIp && r != DecodeResult::kReassembled)
      return;
    if (v.ts > now) now = v.ts;
    v.pcap_cnt = frame;
    cur = frame;
    if (v.ip_version != 0) {
      const FlowTable::Lookup lk = table.lookup(v, flow_hash(v));
      if (lk.flow && v.l4 == L4::kTcp) tcp.process(*lk.flow, lk.dir, v);
      cur = frame;
      det.inspect(lk.flow, lk.dir, v);
    }
    cur = 0;  // flow ends raise alerts on pseudo packets
    if (now >= next_expire) {
      table.expire(now);
      next_expire = now + kNanosPerSec;
    }
  }
  void on_flow_end(Flow& f, FlowEndReason, Nanos when) noexcept override {
    const uint64_t keep = cur;
    cur = 0;
    if (f.key.ip_proto == 6) tcp.end(f, when);
    cur = keep;
  }
  void on_alert(const Alert& a) noexcept override {
    // The harness's own frame count cross-checks the pcap_cnt the engine copied.
    EXPECT_EQ(a.pcap_cnt, cur);
    if (thresholds.allow(rules->rule(a.rule), a)) logged.push_back({a, a.pcap_cnt});
  }

  Defragmenter defrag;
  Decoder decoder;
  FlowTable table;
  TcpTracker tcp;
  Detector det;
  std::shared_ptr<const CompiledRules> rules;
  ThresholdEngine thresholds;
  std::vector<Logged> logged;
  uint64_t frame = 0, cur = 0;
  Nanos now = 0, next_expire = 0;
};

bool parse_ip(const std::string& s, IpAddr* out) {
  uint8_t b[16];
  if (inet_pton(AF_INET, s.c_str(), b) == 1) {
    *out = IpAddr::v4(b);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), b) == 1) {
    *out = IpAddr::v6(b);
    return true;
  }
  return false;
}

std::string proto_name(uint8_t p) {
  switch (p) {
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 1:
      return "ICMP";
    case 58:
      return "IPv6-ICMP";
    default:
      return std::to_string(p);
  }
}

// 1 match, 0 no match, -1 a key the engine-level run cannot check.
int matches(const Logged& l, const Rule& r, const json& m, bool ips) {
  for (const auto& [k, v] : m.items()) {
    IpAddr ip;
    if (k == "src_ip" || k == "dest_ip") {
      if (!v.is_string() || !parse_ip(v.get<std::string>(), &ip)) return -1;
      if (!(ip == (k == "src_ip" ? l.a.src : l.a.dst))) return 0;
    } else if (k == "src_port" || k == "dest_port") {
      if (v.get<int>() != (k == "src_port" ? l.a.sport : l.a.dport)) return 0;
    } else if (k == "pcap_cnt") {
      if (v.get<uint64_t>() != l.pcap_cnt) return 0;
    } else if (k == "proto") {
      if (v.get<std::string>() != proto_name(l.a.ip_proto)) return 0;
    } else if (k == "ip_v") {
      if (v.get<int>() != l.a.src.family) return 0;
    } else if (k == "stream") {
      if (v.get<int>() != (l.a.stream ? 1 : 0)) return 0;
    } else if (k == "alert.action") {
      const bool blocked = ips && l.a.blocked;
      if (v.get<std::string>() != (blocked ? "blocked" : "allowed")) return 0;
    } else if (k == "alert.signature") {
      if (v.get<std::string>() != r.msg) return 0;
    } else if (k == "not-has-key" && v == "pcap_cnt") {
      if (l.pcap_cnt != 0) return 0;
    } else if (k == "has-key" && v == "pcap_cnt") {
      if (l.pcap_cnt == 0) return 0;
    } else {
      return -1;
    }
  }
  return 1;
}

struct Outcome {
  bool pass = true;
  int unsupported = 0;
  std::string detail;
};

Outcome run_test(const std::filesystem::path& dir) {
  Outcome o;
  std::ifstream jf(dir / "expected.json");
  const json ex = json::parse(jf);
  const json& cfg = ex["config"];
  const bool ips = cfg.value("ips_mode", false);
  const bool midstream = cfg.value("stream.midstream", false);
  LoadOptions lo;
  if (ex.contains("vars"))
    for (const auto& [k, v] : ex["vars"].items()) {
      const bool port = k.size() > 6 && k.compare(k.size() - 6, 6, "_PORTS") == 0;
      (port ? lo.vars.port_groups : lo.vars.address_groups).emplace_back(k, v.get<std::string>());
    }
  std::ifstream rf(dir / ex["rules"].get<std::string>());
  std::stringstream text;
  text << rf.rdbuf();
  RuleSet set = parse_rules(text.str(), "test.rules", lo);
  for (const auto& d : set.errors) o.detail += "  rule error: " + d.str() + "\n";
  for (const auto& d : set.skipped) o.detail += "  rule skipped: " + d.str() + "\n";
  std::string err;
  auto cr = CompiledRules::compile(std::move(set), CompileOptions{"", ips}, &err);
  if (!cr) {
    o.pass = false;
    o.detail += "  compile: " + err + "\n";
    return o;
  }
  Run run(cr, midstream);
  auto cap = CaptureSource::open_files({(dir / ex["pcap"].get<std::string>()).string()}, &err);
  if (!cap) {
    o.pass = false;
    o.detail += "  capture: " + err + "\n";
    return o;
  }
  for (;;) {
    int got = 0;
    const auto st = cap->read(256, run, &got);
    if (st == CaptureSource::ReadStatus::kEnd || st == CaptureSource::ReadStatus::kError) break;
  }
  run.cur = 0;
  run.table.flush(FlowEndReason::kShutdown, run.now);

  std::map<uint32_t, int> by_sid;
  for (const Logged& l : run.logged) ++by_sid[l.a.sid];
  if (const char* only = std::getenv("TS_CONFORMANCE_ONLY"); only && dir.filename() == only)
    for (const Logged& l : run.logged)
      o.detail += "  alert sid " + std::to_string(l.a.sid) + " pcap_cnt " +
                  std::to_string(l.pcap_cnt) + (l.a.stream ? " stream" : "") + "\n";
  for (const json& e : ex["expect"]) {
    const bool any_sid = e["sid"].is_null();
    const uint32_t sid = any_sid ? 0 : e["sid"].get<uint32_t>();
    const int want = e["count"].get<int>();
    int n = 0;
    bool unsupported = false;
    for (const Logged& l : run.logged) {
      if (!any_sid && l.a.sid != sid) continue;
      const int m = e.contains("match") ? matches(l, cr->rule(l.a.rule), e["match"], ips) : 1;
      if (m < 0) unsupported = true;
      n += m == 1;
    }
    if (unsupported) {
      ++o.unsupported;
      continue;
    }
    if (n != want) {
      o.pass = false;
      o.detail += "  sid " + (any_sid ? std::string("*") : std::to_string(sid)) + ": " +
                  std::to_string(n) + " alerts, expected " + std::to_string(want) +
                  (e.contains("match") ? " (match " + e["match"].dump() + ")" : "") + "\n";
    }
  }
  for (const json& s : ex["expect_absent"]) {
    const int n = by_sid[s.get<uint32_t>()];
    if (n != 0) {
      o.pass = false;
      o.detail += "  sid " + std::to_string(s.get<uint32_t>()) + ": " + std::to_string(n) +
                  " alerts, expected none\n";
    }
  }
  return o;
}

TEST(Conformance, SuricataVerify) {
  const std::string root = corpus_dir();
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "../shared/conformance absent";
  std::vector<std::filesystem::path> dirs;
  const char* only = std::getenv("TS_CONFORMANCE_ONLY");
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (std::filesystem::exists(e.path() / "expected.json") &&
        (!only || e.path().filename() == only))
      dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  // Known differences, none in rule matching itself:
  const std::set<std::string> known = {
      // A fuzzed capture whose first frame Suricata decodes and the capture reader refuses.
      "bug-6875-01",
      // Suricata inspects the one midstream segment twice (as a packet, then as stream data on
      // the flow-end pseudo packet) and alerts twice for rules with a fast pattern.
      "detect-bytetest-02",
      // Simultaneous open with data in both SYNs: the tracker streams SYN data (as for TCP
      // Fast Open), so the pass rule matching the second SYN is a stream match and passes the
      // flow; Suricata inspects those SYNs as packets, passes only that packet and alerts on
      // the third (a segment overlapping the first SYN's sequence number).
      "util-action-tests__util-action-03",
  };
  std::set<std::string> failing;
  int passed = 0, failed = 0;
  std::string report;
  for (const auto& d : dirs) {
    const auto t0 = std::chrono::steady_clock::now();
    const Outcome o = run_test(d);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (sec > 2) std::printf("%s: slow, %.1f s\n", d.filename().c_str(), sec);
    (o.pass ? passed : failed)++;
    if (!o.pass) failing.insert(d.filename().string());
    if (!o.pass || std::getenv("TS_CONFORMANCE_ONLY"))
      report += d.filename().string() + ": FAIL\n" + o.detail;
  }
  RecordProperty("passed", passed);
  RecordProperty("failed", failed);
  std::printf("suricata-verify: %d passed, %d failed of %zu\n%s", passed, failed, dirs.size(),
              report.c_str());
  if (!only) {
    for (const std::string& f : failing)
      EXPECT_TRUE(known.count(f)) << f << " fails (not a known difference)";
    for (const std::string& k : known)
      EXPECT_TRUE(failing.count(k)) << k << " passes now: remove it from the known list";
  }
}

}  // namespace
}  // namespace ts::sig
