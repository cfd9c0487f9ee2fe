// The FIX/STEP inspector behind the real pipeline (decoder, flow table, TCP reassembly) on
// the shared corpus (skipped when ../shared is absent): message counts per MsgType equal the
// labels' summary, and the labelled attacks raise exactly their built-in alerts.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "detectors/builtin.h"
#include "detectors/fix_inspector.h"
#include "exporters/metrics.h"
#include "tests/integration/test_support.h"

namespace ts::test {
namespace {

using detectors::FixInspector;

class Sink : public sig::AlertSink {
 public:
  void on_alert(const sig::Alert& a) noexcept override {
    std::lock_guard<std::mutex> lock(mu);
    alerts.push_back(a);
  }
  std::mutex mu;
  std::vector<sig::Alert> alerts;
};

// The pipeline does not tick stream consumers: tick the inspector once per second of packet
// time seen in its own deliveries.
class Ticking final : public StreamConsumer {
 public:
  Ticking(const config::FixConfig& cfg, int workers, sig::AlertSink* sink)
      : insp(cfg, 65536, workers, sink) {}
  void on_stream_data(Flow& f, Dir d, std::span<const uint8_t> b, Nanos ts) noexcept override {
    insp.on_stream_data(f, d, b, ts);
    tick(ts);
  }
  void on_stream_gap(Flow& f, Dir d, uint32_t len, Nanos ts) noexcept override {
    insp.on_stream_gap(f, d, len, ts);
  }
  void on_stream_end(Flow& f, Nanos ts) noexcept override {
    tick(ts);
    insp.on_stream_end(f, ts);
  }
  void tick(Nanos ts) noexcept {
    if (ts < next_) return;
    insp.tick(ts);
    next_ = ts + kNanosPerSec;
  }
  FixInspector insp;

 private:
  Nanos next_ = 0;
};

struct FixRun {
  std::vector<sig::Alert> alerts;
  std::map<std::string, uint64_t> by_type;  // MsgType -> messages, both directions
  std::map<std::string, uint64_t> stats;
};

FixRun run_fix(const std::string& pcap, const config::FixConfig& fix, int workers = 1) {
  config::SensorConfig cfg = config::load_default().config;
  cfg.outputs.metrics_file = false;
  cfg.fix = fix;
  PipelineOptions opts;
  opts.files = {pcap};
  opts.workers = workers;
  opts.log_dir = make_temp_dir();
  Pipeline p(cfg, opts);
  Sink sink;
  std::vector<FixInspector*> insps;
  p.add_stream_consumer([&](int) {
    auto c = std::make_unique<Ticking>(fix, workers, &sink);
    insps.push_back(&c->insp);
    return c;
  });
  std::string err;
  FixRun r;
  if (!p.open(&err)) return r;
  p.start();
  while (!p.finished()) usleep(2000);
  // Consumers live until the pipeline goes: read them before.
  std::vector<const FixInspector*> cin(insps.begin(), insps.end());
  exporters::MetricsSink ms;
  FixInspector::collect_metrics(cin, fix.max_sessions, ms);
  for (const auto& f : ms.take()) {
    if (f.name != "tradesentry_fix_messages_total") continue;
    for (const auto& m : f.metric)
      for (const auto& l : m.label)
        if (l.name == "msg_type") r.by_type[l.value] += static_cast<uint64_t>(m.counter.value);
  }
  std::vector<std::pair<std::string, uint64_t>> stats;
  FixInspector::add_stats(cin, stats);
  r.stats = {stats.begin(), stats.end()};
  p.finish();
  r.alerts = sink.alerts;
  return r;
}

// The labels file as text (pretty-printed JSON; the few fields needed are read by pattern).
std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// summary.<section>.by_type (MsgType -> count) and the sum of summary.<section>.malformed.
std::map<std::string, uint64_t> summary_by_type(const std::string& labels,
                                                const std::string& section, uint64_t* malformed) {
  std::map<std::string, uint64_t> r;
  const std::size_t at = labels.find("\"" + section + "\"");
  if (at == std::string::npos) return r;
  const std::size_t open = labels.find("\"by_type\"", at);
  const std::size_t close = labels.find('}', open);
  const std::regex pair("\"([^\"]+)\":\\s*([0-9]+)");
  const std::string body = labels.substr(open + 9, close - open - 9);
  for (std::sregex_iterator it(body.begin(), body.end(), pair), e; it != e; ++it)
    r[(*it)[1]] += std::stoull((*it)[2]);
  if (malformed) {
    const std::size_t m = labels.find("\"malformed\"", close);
    const std::size_t mclose = labels.find('}', m);
    const std::string mb = labels.substr(m, mclose - m);
    for (std::sregex_iterator it(mb.begin(), mb.end(), pair), e; it != e; ++it)
      *malformed += std::stoull((*it)[2]);
  }
  return r;
}

struct Label {
  std::string kind, src;
  double start = 0, end = 0;
};

std::vector<Label> labels_of(const std::string& labels) {
  std::vector<Label> v;
  const std::regex re(
      "\"kind\":\\s*\"([a-z_]+)\"[^{}]*?\"start_ts\":\\s*([0-9.]+),\\s*\"end_ts\":\\s*([0-9.]+)"
      "[^{}]*?\"src\":\\s*\"([^\"]*)\"");
  for (std::sregex_iterator it(labels.begin(), labels.end(), re), e; it != e; ++it)
    v.push_back({(*it)[1], (*it)[4], std::stod((*it)[2]), std::stod((*it)[3])});
  return v;
}

std::string ip_text(const IpAddr& a) {
  char b[64];
  format_ip(a, b, sizeof b);
  return b;
}

config::FixConfig corpus_fix_config() {
  config::FixConfig f;
  // network.authorized_sender_comp_ids of the dev corpus labels.
  f.allowed_comp_ids = {"ALPHACAP7", "B0102",     "B0451",     "CEDARAM2",   "DRAGONQ4",
                        "FALCONHF9", "HARBORIM5", "IRONWOOD9", "JADEFUND6",  "KESTREL2",
                        "OMSGW1",    "ORCHIDAM9", "RISKDC9",   "SECFUTGW42", "SSEGW01"};
  return f;
}

using detectors::FixSid;
using SidCounts = std::map<uint32_t, int>;

struct Case {
  const char* file;
  int workers;
  SidCounts sids;  // every alert raised, by sid
};

// Each FIX label kind and the alert that reports it.
const std::map<std::string, uint32_t> kKindSid = {
    {"fix_logon_bruteforce", detectors::kFixLogonBruteForce},
    {"fix_unauthorized_compid", detectors::kFixUnauthorizedCompId},
    {"fix_order_flood", detectors::kFixOrderFlood},
    {"fix_malformed_checksum", detectors::kFixBadChecksum},
    {"fix_malformed_bodylength", detectors::kFixBadBodyLength},
    {"fix_missing_required_tag", detectors::kFixMissingRequiredTag},
    {"fix_malformed_seqnum", detectors::kFixBadSeqNum},
    {"fix_seq_too_low", detectors::kFixSeqTooLow},
    {"fix_seq_gap", detectors::kFixSeqGap},
    {"fix_resend_storm", detectors::kFixResendStorm},
};

TEST(FixCorpus, MessagesAndAlertsMatchLabels) {
  const std::string d = shared_dir();
  if (d.empty()) GTEST_SKIP() << "../shared absent";
  using namespace detectors;
  // Plaintext-password alerts: one per Logon connection carrying 554 (FIX 4.4 and STEP; no
  // TLS leg is configured). Unauthorized CompID: TESTCLIENT and ROGUE91 (labelled), and the
  // malformed/sequence scenarios' MAPLEQT6 (4 connections) and BLUEFIN9 (2), which the
  // acceptor lets log on but which are not in network.authorized_sender_comp_ids either.
  // Brute-force candidates: the 27 labelled attempts and the 2 unauthorized Logons (also
  // answered by Logout); the output thread's threshold turns only the first into an alert.
  // The attack scenarios' alerts; mixed holds them plus the clean captures' password Logons.
  const SidCounts attacks = {{kFixBadChecksum, 1},        {kFixBadBodyLength, 1},
                             {kFixMissingRequiredTag, 1}, {kFixBadSeqNum, 1},
                             {kFixLogonBruteForce, 29},   {kFixUnauthorizedCompId, 8},
                             {kFixSeqGap, 1},             {kFixSeqTooLow, 1},
                             {kFixResendStorm, 1},        {kFixOrderFlood, 1}};
  auto with_passwords = [](SidCounts c, int n) {
    c[kFixPlaintextPassword] = n;
    return c;
  };
  const Case cases[] = {
      // fix_resend_recovery (info): the acceptor's MsgSeqNum jumps by 2, under
      // seq_gap_alert_min: counted, not alerted.
      {"fix_normal", 1, {{kFixPlaintextPassword, 4}}},
      {"step_normal", 1, {{kFixPlaintextPassword, 2}}},
      {"fix_attacks", 1, with_passwords(attacks, 34)},
      {"mixed", 2, with_passwords(attacks, 41)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string base = d + "/corpus/" + c.file;
    const std::string labels = read_text(base + ".labels.json");
    const FixRun r = run_fix(base + ".pcap", corpus_fix_config(), c.workers);
    // Messages: the labels count well-formed ones per MsgType; the malformed ones are all
    // NewOrderSingles (their notes), counted here under D.
    uint64_t malformed = 0;
    std::map<std::string, uint64_t> want = summary_by_type(labels, "fix_messages", &malformed);
    for (const auto& [t, n] : summary_by_type(labels, "step_messages", nullptr)) want[t] += n;
    if (malformed) want["D"] += malformed;
    EXPECT_EQ(r.by_type, want);
    EXPECT_EQ(r.stats.at("fix.malformed"), malformed + (malformed ? 1 : 0));  // + missing tags
    EXPECT_EQ(r.stats.at("fix.garbage_bytes"), 0u);
    EXPECT_EQ(r.stats.at("fix.connections_untracked"), 0u);
    SidCounts got;
    for (const sig::Alert& a : r.alerts) {
      got[a.sid]++;
      EXPECT_EQ(a.gid, kGidFix);
      EXPECT_STREQ(a.app, "fix");
    }
    EXPECT_EQ(got, c.sids);
    // Every FIX label has its alert from its source inside its time span.
    for (const Label& l : labels_of(labels)) {
      const auto k = kKindSid.find(l.kind);
      if (k == kKindSid.end()) continue;
      SCOPED_TRACE(l.kind + " " + l.src);
      int n = 0;
      for (const sig::Alert& a : r.alerts) {
        const double ts = static_cast<double>(a.ts) / 1e9;
        const std::string src = ip_text(a.src);
        if (a.sid == k->second && src == l.src && ts >= l.start - 1e-6 && ts <= l.end + 1e-6) ++n;
      }
      EXPECT_GE(n, 1);
    }
  }
}

}  // namespace
}  // namespace ts::test
