// FixInspector: driven directly with Flow records and generated FIX messages (correct
// BodyLength and CheckSum unless a test breaks them). Every detection has a positive and a
// negative case; alerts, details, counters and metric samples are asserted exactly.
#include "detectors/fix_inspector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "detectors/builtin.h"
#include "detectors/fix_framer.h"
#include "exporters/metrics.h"
#include "sensor/flow.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::detectors {
namespace {

using test::ip4;

constexpr Nanos kT0 = 1717509914 * kNanosPerSec;  // a 100 ms boundary
constexpr Nanos kMs = kNanosPerMs;
constexpr Nanos kUs = kNanosPerUs;
constexpr Port kPort = 11310;

Nanos at_ms(double ms) { return kT0 + static_cast<Nanos>(std::llround(ms * 1e6)); }

std::string soh(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c == '|') c = kSoh;
  return r;
}

std::string pipes(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c == kSoh) c = '|';
  return r;
}

unsigned byte_sum(std::string_view s) {
  unsigned sum = 0;
  for (char c : s) sum += static_cast<uint8_t>(c);
  return sum % 256;
}

// "8=begin|9=len|" + body + "10=sum|"; `body` uses '|' for SOH and ends with '|'.
// `len_delta` / `sum_delta` break BodyLength / CheckSum on purpose.
std::string frame(std::string_view begin, std::string_view body, int len_delta = 0,
                  int sum_delta = 0) {
  const std::string b = soh(body);
  std::string m = "8=" + std::string(begin) + kSoh +
                  "9=" + std::to_string(static_cast<int>(b.size()) + len_delta) + kSoh + b;
  char t[16];
  std::snprintf(t, sizeof t, "10=%03u%c", (byte_sum(m) + 256 + sum_delta) % 256, kSoh);
  return m + t;
}

class CollectSink : public sig::AlertSink {
 public:
  CollectSink() { alerts.reserve(4096); }
  void on_alert(const sig::Alert& a) noexcept override {
    if (alerts.size() < alerts.capacity()) alerts.push_back(a);
  }
  std::vector<sig::Alert> alerts;
};

// One FIX connection: its flow and the next MsgSeqNum of each direction.
struct Conn {
  Flow flow;
  uint64_t next[2] = {1, 1};
  std::string client = "CLI1", server = "SRV1";
  std::string begin = "FIX.4.4";
};

class FixInspectorTest : public ::testing::Test {
 protected:
  void make(int workers = 1) { insp = std::make_unique<FixInspector>(cfg, 64, workers, &sink); }

  Conn conn(uint32_t slot, bool midstream = false, Port port = kPort) {
    Conn c;
    c.flow.key.client = ip4(10, 75, 10, static_cast<uint8_t>(100 + slot));
    c.flow.key.server = kServer;
    c.flow.key.client_port = static_cast<Port>(40000 + slot);
    c.flow.key.server_port = port;
    c.flow.key.ip_proto = 6;
    c.flow.id = 1000 + slot + 100 * next_flow_++;
    c.flow.slot = slot;
    c.flow.midstream = midstream;
    c.flow.in_use = true;
    return c;
  }

  // A message of `c` in direction `d` with the next MsgSeqNum (`seq` overrides it without
  // advancing). `extra` uses '|' for SOH and ends with '|'.
  std::string msg(Conn& c, Dir d, std::string_view type, std::string_view extra = "",
                  int64_t seq = -1) {
    const bool up = d == Dir::kToServer;
    const uint64_t n = seq >= 0 ? static_cast<uint64_t>(seq) : c.next[idx(d)]++;
    const std::string body = "35=" + std::string(type) + "|49=" + (up ? c.client : c.server) +
                             "|56=" + (up ? c.server : c.client) + "|34=" + std::to_string(n) +
                             "|52=20240604-14:05:14.975|" + std::string(extra);
    return frame(c.begin, body);
  }

  void data(Conn& c, Dir d, std::string_view bytes, Nanos ts) {
    insp->on_stream_data(c.flow, d, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                         ts);
  }
  void up(Conn& c, std::string_view type, std::string_view extra, Nanos ts, int64_t seq = -1) {
    data(c, Dir::kToServer, msg(c, Dir::kToServer, type, extra, seq), ts);
  }
  void down(Conn& c, std::string_view type, std::string_view extra, Nanos ts, int64_t seq = -1) {
    data(c, Dir::kToClient, msg(c, Dir::kToClient, type, extra, seq), ts);
  }
  void end(Conn& c, Nanos ts) { insp->on_stream_end(c.flow, ts); }

  // Client Logon and the acceptor's answer.
  void logon(Conn& c, Nanos ts, std::string_view extra = "98=0|108=30|141=Y|") {
    up(c, "A", extra, ts);
    down(c, "A", extra, ts + 200 * kUs);
  }

  std::vector<sig::Alert> with_sid(uint32_t sid) const {
    std::vector<sig::Alert> r;
    for (const sig::Alert& a : sink.alerts)
      if (a.sid == sid) r.push_back(a);
    return r;
  }
  std::vector<uint32_t> sids() const {
    std::vector<uint32_t> r;
    for (const sig::Alert& a : sink.alerts) r.push_back(a.sid);
    return r;
  }

  // Samples of one scrape as "name{k="v",...} value" lines (histograms as _bucket/_sum/_count).
  static std::vector<std::string> scrape(std::span<const FixInspector* const> insps,
                                         std::size_t max_sessions, const std::string& prefix) {
    exporters::MetricsSink ms;
    FixInspector::collect_metrics(insps, max_sessions, ms);
    std::vector<std::string> out;
    auto num = [](double v) {
      std::ostringstream o;
      o.precision(12);
      o << v;
      return o.str();
    };
    auto labels = [](const prometheus::ClientMetric& m, const std::string& more) {
      std::string s;
      for (const auto& l : m.label) s += (s.empty() ? "" : ",") + l.name + "=\"" + l.value + "\"";
      if (!more.empty()) s += (s.empty() ? "" : ",") + more;
      return s.empty() ? s : "{" + s + "}";
    };
    for (const auto& f : ms.take()) {
      if (f.name.rfind(prefix, 0) != 0) continue;
      for (const auto& m : f.metric) {
        if (f.type == prometheus::MetricType::Counter) {
          out.push_back(f.name + labels(m, "") + " " + num(m.counter.value));
        } else if (f.type == prometheus::MetricType::Gauge) {
          out.push_back(f.name + labels(m, "") + " " + num(m.gauge.value));
        } else if (f.type == prometheus::MetricType::Histogram) {
          for (const auto& b : m.histogram.bucket)
            if (b.cumulative_count)
              out.push_back(f.name + "_bucket" + labels(m, "le=\"" + num(b.upper_bound) + "\"") +
                            " " + std::to_string(b.cumulative_count));
          out.push_back(f.name + "_sum" + labels(m, "") + " " + num(m.histogram.sample_sum));
          out.push_back(f.name + "_count" + labels(m, "") + " " +
                        std::to_string(m.histogram.sample_count));
        }
      }
    }
    return out;
  }
  std::vector<std::string> scrape(const std::string& prefix, std::size_t max_sessions = 256) {
    const FixInspector* one[] = {insp.get()};
    return scrape(one, max_sessions, prefix);
  }

  const IpAddr kServer = ip4(10, 75, 128, 11);
  config::FixConfig cfg;
  CollectSink sink;
  std::unique_ptr<FixInspector> insp;
  uint32_t next_flow_ = 0;
};

// ---- recognition, framing, connections ----

TEST_F(FixInspectorTest, LogonOrdersAcksExactLatency) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  // Order 1: one segment; its ack 300 us later.
  up(c, "D", "11=O1|55=600519|54=1|38=100|40=2|44=1688.5|60=20240604-14:05:14.975|", at_ms(10));
  down(c, "8", "37=X1|17=E1|150=0|39=0|11=O1|55=600519|54=1|", at_ms(10.3));
  // Order 2: split inside "8=FIX", last byte at 20.2 ms; ack and fill coalesced at 22.7 ms.
  const std::string d2 = msg(c, Dir::kToServer, "D", "11=O2|55=IF2409|54=2|38=1|40=1|");
  data(c, Dir::kToServer, d2.substr(0, 3), at_ms(20));
  data(c, Dir::kToServer, d2.substr(3), at_ms(20.2));
  const std::string ack =
      msg(c, Dir::kToClient, "8", "37=X2|17=E2|150=0|39=0|11=O2|55=IF2409|54=2|");
  const std::string fill =
      msg(c, Dir::kToClient, "8", "37=X2|17=E3|150=2|39=2|11=O2|55=IF2409|54=2|");
  data(c, Dir::kToClient, ack + fill, at_ms(22.7));
  // Order 3: ack after 7 s (beyond the last bound).
  up(c, "D", "11=O3|55=600519|54=1|38=100|40=1|", at_ms(30));
  down(c, "8", "37=X3|17=E4|150=0|39=0|11=O3|55=600519|54=1|", at_ms(7030));
  EXPECT_TRUE(sink.alerts.empty()) << sink.alerts[0].sid << sink.alerts[0].detail;
  EXPECT_EQ(insp->stats().connections.get(), 1u);
  EXPECT_EQ(insp->stats().messages.get(), 9u);
  EXPECT_EQ(insp->stats().malformed.get(), 0u);
  EXPECT_EQ(
      scrape("tradesentry_fix_order_ack_latency_seconds"),
      (std::vector<std::string>{
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.0005\"} "
          "1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.001\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.0025\"} "
          "2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.005\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.01\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.025\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.05\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.1\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.25\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.5\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"1\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"2.5\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"5\"} 2",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"inf\"} 3",
          "tradesentry_fix_order_ack_latency_seconds_sum{session=\"CLI1->SRV1\"} 7.0028",
          "tradesentry_fix_order_ack_latency_seconds_count{session=\"CLI1->SRV1\"} 3",
      }));
}

TEST_F(FixInspectorTest, MessagesSplitAtEveryByteAndCoalesced) {
  make();
  Conn c = conn(0);
  std::string up_bytes = msg(c, Dir::kToServer, "A", "98=0|108=30|141=Y|");
  for (int i = 0; i < 5; ++i)
    up_bytes += msg(c, Dir::kToServer, "D",
                    "11=S" + std::to_string(i) + "|55=600519|54=1|38=100|40=2|44=10|");
  const std::string down_bytes = msg(c, Dir::kToClient, "A", "98=0|108=30|141=Y|");
  // Logon one byte at a time, the acceptor's answer, then the orders byte by byte too.
  const std::size_t logon_len = msg(c, Dir::kToServer, "A", "98=0|108=30|141=Y|", 1).size();
  for (std::size_t i = 0; i < logon_len; ++i)
    data(c, Dir::kToServer, up_bytes.substr(i, 1), at_ms(1));
  data(c, Dir::kToClient, down_bytes, at_ms(2));
  for (std::size_t i = logon_len; i < up_bytes.size(); ++i)
    data(c, Dir::kToServer, up_bytes.substr(i, 1), at_ms(3));
  EXPECT_EQ(insp->stats().messages.get(), 7u);
  EXPECT_EQ(insp->stats().garbage_bytes.get(), 0u);
  EXPECT_TRUE(sink.alerts.empty());
  EXPECT_EQ(scrape("tradesentry_fix_messages_total"),
            (std::vector<std::string>{
                "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_"
                "type=\"A\"} 1",
                "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_"
                "type=\"D\"} 5",
                "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_client\",msg_"
                "type=\"A\"} 1",
            }));
}

TEST_F(FixInspectorTest, AutoDetectFixStepAndNotFix) {
  make();
  Conn http = conn(0, false, 80);
  data(http, Dir::kToServer, "GET / HTTP/1.1\r\n\r\n", at_ms(0));
  data(http, Dir::kToServer, frame("FIX.4.4", "35=0|49=A|56=B|34=1|"), at_ms(1));  // too late
  Conn step = conn(1, false, 11001);
  step.begin = "STEP.1.0.0";
  up(step, "A", "98=0|108=30|553=u|", at_ms(2));
  // "8=F" alone cannot tell; the rest decides.
  Conn split = conn(2, false, 9999);
  const std::string m = msg(split, Dir::kToServer, "0", "");
  data(split, Dir::kToServer, m.substr(0, 3), at_ms(3));
  data(split, Dir::kToServer, m.substr(3), at_ms(4));
  Conn almost = conn(3, false, 9998);
  data(almost, Dir::kToServer, "8=S", at_ms(5));
  data(almost, Dir::kToServer, "MTP 220 hi\r\n", at_ms(6));
  EXPECT_EQ(insp->stats().connections.get(), 2u);
  EXPECT_EQ(insp->stats().messages.get(), 2u);
  EXPECT_EQ(scrape("tradesentry_fix_messages_total"),
            (std::vector<std::string>{
                "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_"
                "type=\"0\"} 1",
                "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_"
                "type=\"A\"} 1",
            }));
  // Auto-detect off: only configured ports.
  cfg.auto_detect = false;
  cfg.ports = {kPort};
  make();
  Conn other = conn(4, false, 11001);
  up(other, "A", "98=0|108=30|", at_ms(7));
  Conn known = conn(5);
  up(known, "A", "98=0|108=30|", at_ms(8));
  EXPECT_EQ(insp->stats().connections.get(), 1u);
  EXPECT_EQ(insp->stats().messages.get(), 1u);
}

TEST_F(FixInspectorTest, MidstreamPickupHuntsWithoutAlerts) {
  cfg.ports = {kPort};
  make();
  Conn c = conn(0, /*midstream=*/true);
  c.next[0] = 40;
  c.next[1] = 70;
  const std::string cut = msg(c, Dir::kToServer, "0", "");
  const std::string tail = cut.substr(cut.size() / 2);  // picked up inside a message
  data(c, Dir::kToServer, tail + msg(c, Dir::kToServer, "D", "11=M1|55=600519|54=1|40=1|"),
       at_ms(0));
  data(c, Dir::kToClient, soh("|56=CLI1|34=69|") + msg(c, Dir::kToClient, "0", ""), at_ms(1));
  up(c, "F", "11=M2|41=M1|54=1|", at_ms(2));
  EXPECT_EQ(insp->stats().messages.get(), 3u);
  EXPECT_GT(insp->stats().garbage_bytes.get(), 0u);
  EXPECT_TRUE(sink.alerts.empty()) << sids()[0];  // no garbled, before-logon or seq alerts
}

TEST_F(FixInspectorTest, PoolExhaustedCountedNotInspected) {
  cfg.max_connections = 64;  // / 4 workers = 16, the minimum
  make(4);
  std::vector<Conn> cs;
  for (uint32_t i = 0; i < 17; ++i) cs.push_back(conn(i));
  for (Conn& c : cs) up(c, "A", "98=0|108=30|", at_ms(1));
  EXPECT_EQ(insp->stats().connections.get(), 17u);
  EXPECT_EQ(insp->stats().connections_untracked.get(), 1u);
  EXPECT_EQ(insp->stats().messages.get(), 16u);
  up(cs[16], "0", "", at_ms(2));  // still not inspected
  EXPECT_EQ(insp->stats().messages.get(), 16u);
  // A connection ends: its state is reused by the next one.
  end(cs[0], at_ms(3));
  end(cs[16], at_ms(3));
  Conn next = conn(20);
  up(next, "A", "98=0|108=30|", at_ms(4));
  EXPECT_EQ(insp->stats().connections.get(), 18u);
  EXPECT_EQ(insp->stats().connections_untracked.get(), 1u);
  EXPECT_EQ(insp->stats().messages.get(), 17u);
  EXPECT_EQ(scrape("tradesentry_fix_connections"),
            (std::vector<std::string>{"tradesentry_fix_connections_total 18",
                                      "tradesentry_fix_connections_untracked_total 1"}));
}

// ---- malformed messages ----

TEST_F(FixInspectorTest, BadChecksum) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  const std::string good =
      "35=D|49=CLI1|56=SRV1|34=2|52=20240604-14:05:14.975|11=C1|55=X|54=1|40=1|";
  data(c, Dir::kToServer, frame("FIX.4.4", good), at_ms(1));
  EXPECT_TRUE(sink.alerts.empty());
  const std::string bad_body =
      "35=D|49=CLI1|56=SRV1|34=3|52=20240604-14:05:14.975|11=C2|55=X|54=1|40=1|";
  const std::string bad = frame("FIX.4.4", bad_body, 0, 7);
  data(c, Dir::kToServer, bad, at_ms(2));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixBadChecksum});
  const sig::Alert& a = sink.alerts[0];
  EXPECT_EQ(a.gid, kGidFix);
  EXPECT_EQ(a.rev, 1u);
  EXPECT_EQ(a.severity, 2);
  EXPECT_EQ(a.ts, at_ms(2));
  EXPECT_EQ(a.flow_id, c.flow.id);
  EXPECT_EQ(a.src, c.flow.key.client);
  EXPECT_EQ(a.dst, kServer);
  EXPECT_EQ(a.sport, 40000);
  EXPECT_EQ(a.dport, kPort);
  EXPECT_EQ(a.ip_proto, 6);
  EXPECT_TRUE(a.to_server);
  EXPECT_TRUE(a.stream);
  EXPECT_EQ(a.rules, nullptr);
  EXPECT_STREQ(a.app, "fix");
  const unsigned actual = byte_sum(bad.substr(0, bad.size() - 7));
  EXPECT_EQ(std::string(a.detail),
            "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"seq\":3,\"checksum_declared\":" +
                std::to_string((actual + 7) % 256) + ",\"checksum_actual\":" +
                std::to_string(actual) + ",\"excerpt\":\"" + pipes(bad) + "\"}");
  EXPECT_EQ(insp->stats().malformed.get(), 1u);
  // The bad message used MsgSeqNum 3: the next one (4) is no gap.
  up(c, "0", "", at_ms(3), 4);
  EXPECT_EQ(sink.alerts.size(), 1u);
}

TEST_F(FixInspectorTest, BadBodyLength) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  const std::string body =
      "35=D|49=CLI1|56=SRV1|34=2|52=20240604-14:05:14.975|11=C1|55=X|54=1|40=1|";
  data(c, Dir::kToServer, frame("FIX.4.4", body), at_ms(1));
  EXPECT_TRUE(sink.alerts.empty());
  const std::string body3 =
      "35=D|49=CLI1|56=SRV1|34=3|52=20240604-14:05:14.975|11=C2|55=X|54=1|40=1|";
  data(c, Dir::kToServer, frame("FIX.4.4", body3, -17), at_ms(2));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixBadBodyLength});
  const std::string d = sink.alerts[0].detail;
  const std::size_t len = soh(body3).size();
  EXPECT_NE(d.find("\"msg_type\":\"D\",\"seq\":3,\"body_length_declared\":" +
                   std::to_string(len - 17) + ",\"body_length_actual\":" + std::to_string(len)),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("\"excerpt\":\"8=FIX.4.4|9="), std::string::npos) << d;
}

TEST_F(FixInspectorTest, MissingHeaderTag) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  up(c, "0", "", at_ms(1));
  EXPECT_TRUE(sink.alerts.empty());
  // No MsgSeqNum (34).
  data(c, Dir::kToServer, frame("FIX.4.4", "35=0|49=CLI1|56=SRV1|52=20240604-14:05:14.975|"),
       at_ms(2));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixMissingHeaderTag});
  EXPECT_NE(std::string(sink.alerts[0].detail).find("\"msg_type\":\"0\",\"excerpt\":\"8=FIX.4.4|"),
            std::string::npos)
      << sink.alerts[0].detail;
}

TEST_F(FixInspectorTest, BadSeqNum) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  up(c, "D", "11=C1|55=X|54=1|40=1|", at_ms(1));
  EXPECT_TRUE(sink.alerts.empty());
  data(
      c, Dir::kToServer,
      frame("FIX.4.4", "35=D|49=CLI1|56=SRV1|34=3x|52=20240604-14:05:14.975|11=C2|55=X|54=1|40=1|"),
      at_ms(2));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixBadSeqNum});
  EXPECT_EQ(
      std::string(sink.alerts[0].detail)
          .rfind("{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"excerpt\":\"8=FIX.4.4|", 0),
      0u)
      << sink.alerts[0].detail;
}

TEST_F(FixInspectorTest, GarbledBytesOnePerResync) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  up(c, "0", "", at_ms(1));
  EXPECT_TRUE(sink.alerts.empty());
  data(c, Dir::kToServer, "\x16\x03 junk!\x01" + msg(c, Dir::kToServer, "0", ""), at_ms(2));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixGarbled});
  EXPECT_EQ(insp->stats().garbage_bytes.get(), 9u);
  EXPECT_EQ(sink.alerts[0].ts, at_ms(2));
  EXPECT_EQ(std::string(sink.alerts[0].detail).rfind("{\"session\":\"CLI1->SRV1\",\"bytes\":9,", 0),
            0u)
      << sink.alerts[0].detail;
  EXPECT_EQ(insp->stats().messages.get(), 4u);
}

TEST_F(FixInspectorTest, StreamGapIsNotGarbleNorSeqGap) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  const std::string m = msg(c, Dir::kToServer, "D", "11=C1|55=X|54=1|40=1|");
  data(c, Dir::kToServer, m.substr(0, 30), at_ms(1));
  insp->on_stream_gap(c.flow, Dir::kToServer, 500, at_ms(2));
  c.next[0] += 5;  // messages lost in the gap
  up(c, "0", "", at_ms(3));
  up(c, "0", "", at_ms(4));
  EXPECT_TRUE(sink.alerts.empty()) << sids()[0];
  EXPECT_EQ(insp->stats().stream_gaps.get(), 1u);
  EXPECT_EQ(insp->stats().garbage_bytes.get(), 30u);
  EXPECT_EQ(
      scrape("tradesentry_fix_sequence_gaps_total"),
      std::vector<std::string>{"tradesentry_fix_sequence_gaps_total{session=\"CLI1->SRV1\"} 0"});
}

TEST_F(FixInspectorTest, MissingRequiredTag) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  up(c, "D", "11=C1|55=X|54=1|40=1|", at_ms(1));
  up(c, "F", "11=C2|41=C1|54=1|", at_ms(2));
  down(c, "8", "37=X|17=E|39=0|54=1|11=C1|", at_ms(3));
  down(c, "3", "45=2|373=1|", at_ms(4));
  up(c, "1", "112=T1|", at_ms(5));
  EXPECT_TRUE(sink.alerts.empty());
  up(c, "D", "11=C3|40=1|38=1|1=ACCT99|", at_ms(6));  // no Symbol (55), no Side (54)
  up(c, "2", "7=1|", at_ms(7));                       // no EndSeqNo (16)
  ASSERT_EQ(sids(), (std::vector<uint32_t>{kFixMissingRequiredTag, kFixMissingRequiredTag}));
  const std::string d0 = sink.alerts[0].detail;
  EXPECT_EQ(d0.rfind("{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"seq\":5,"
                     "\"missing_tags\":\"55,54\",\"excerpt\":\"8=FIX.4.4|",
                     0),
            0u)
      << d0;
  EXPECT_EQ(d0.find("ACCT99"), std::string::npos) << d0;
  EXPECT_NE(std::string(sink.alerts[1].detail).find("\"missing_tags\":\"16\""), std::string::npos);
  EXPECT_EQ(insp->stats().malformed.get(), 2u);
}

// ---- session ----

TEST_F(FixInspectorTest, ApplicationMessageBeforeLogon) {
  make();
  Conn c = conn(0);
  up(c, "0", "", at_ms(0));  // admin: fine
  EXPECT_TRUE(sink.alerts.empty());
  up(c, "D", "11=C1|55=X|54=1|40=1|", at_ms(1));
  up(c, "D", "11=C2|55=X|54=1|40=1|", at_ms(2));  // once per connection
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixBeforeLogon});
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"seq\":2}");
  // Negative: after Logon, and on a connection picked up midstream.
  sink.alerts.clear();
  Conn ok = conn(1);
  logon(ok, at_ms(3));
  up(ok, "D", "11=C3|55=X|54=1|40=1|", at_ms(4));
  Conn mid = conn(2, true);
  mid.next[0] = 77;
  up(mid, "D", "11=C4|55=X|54=1|40=1|", at_ms(5));
  EXPECT_TRUE(sink.alerts.empty()) << sids()[0];
}

TEST_F(FixInspectorTest, FailedLogonsRaiseBruteForceCandidates) {
  make();
  // Answered by Logout.
  Conn a = conn(0);
  up(a, "A", "98=0|108=30|141=Y|", at_ms(0));
  down(a, "5", "58=Invalid password|", at_ms(1));
  end(a, at_ms(2));
  // No answer before the connection ends.
  Conn b = conn(1);
  up(b, "A", "98=0|108=30|141=Y|", at_ms(3));
  end(b, at_ms(4));
  ASSERT_EQ(sids(), (std::vector<uint32_t>{kFixLogonBruteForce, kFixLogonBruteForce}));
  const sig::Alert& x = sink.alerts[0];
  EXPECT_EQ(x.ts, at_ms(1));
  EXPECT_EQ(x.src, a.flow.key.client);  // the threshold tracks by_src
  EXPECT_EQ(x.dst, kServer);
  EXPECT_EQ(x.dport, kPort);
  EXPECT_TRUE(x.to_server);
  EXPECT_EQ(x.severity, 1);
  EXPECT_EQ(std::string(x.detail),
            "{\"session\":\"CLI1->SRV1\",\"failure\":\"logout\",\"count\":5,\"window_s\":60}");
  EXPECT_EQ(sink.alerts[1].ts, at_ms(4));
  EXPECT_EQ(sink.alerts[1].src, b.flow.key.client);
  EXPECT_NE(std::string(sink.alerts[1].detail).find("\"failure\":\"disconnect\""),
            std::string::npos);
  // Negative: accepted Logon, then Logout exchange or plain end.
  sink.alerts.clear();
  Conn ok = conn(2);
  logon(ok, at_ms(5));
  up(ok, "5", "", at_ms(6));
  down(ok, "5", "", at_ms(7));
  end(ok, at_ms(8));
  Conn ok2 = conn(3);
  logon(ok2, at_ms(9));
  end(ok2, at_ms(10));
  EXPECT_TRUE(sink.alerts.empty()) << sids()[0];
}

TEST_F(FixInspectorTest, UnauthorizedCompId) {
  cfg.allowed_comp_ids = {"CLI1", "CLI2"};
  config::FixServerConfig sv;
  sv.address = kServer;
  sv.port = 21001;
  sv.allowed_comp_ids = {"ONLY9"};
  cfg.servers = {sv};
  make();
  Conn ok = conn(0);
  logon(ok, at_ms(0));
  EXPECT_TRUE(sink.alerts.empty());
  Conn evil = conn(1);
  evil.client = "ROGUE91";
  up(evil, "A", "98=0|108=30|", at_ms(1));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixUnauthorizedCompId});
  EXPECT_EQ(sink.alerts[0].src, evil.flow.key.client);
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"ROGUE91->SRV1\",\"sender_comp_id\":\"ROGUE91\","
            "\"target_comp_id\":\"SRV1\"}");
  // The server's own list replaces the global one there.
  sink.alerts.clear();
  Conn there = conn(2, false, 21001);
  up(there, "A", "98=0|108=30|", at_ms(2));  // CLI1: globally allowed, not on this server
  Conn there_ok = conn(3, false, 21001);
  there_ok.client = "ONLY9";
  up(there_ok, "A", "98=0|108=30|", at_ms(3));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixUnauthorizedCompId});
  EXPECT_EQ(sink.alerts[0].flow_id, there.flow.id);
  // Both lists empty: no check.
  cfg.allowed_comp_ids.clear();
  cfg.servers.clear();
  make();
  sink.alerts.clear();
  Conn any = conn(4);
  any.client = "WHOEVER";
  up(any, "A", "98=0|108=30|", at_ms(4));
  EXPECT_TRUE(sink.alerts.empty());
}

TEST_F(FixInspectorTest, CompIdChangedWithinSession) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  up(c, "0", "", at_ms(1));
  down(c, "0", "", at_ms(2));
  EXPECT_TRUE(sink.alerts.empty());
  c.client = "CLI9";
  up(c, "D", "11=C1|55=X|54=1|40=1|", at_ms(3));
  up(c, "D", "11=C2|55=X|54=1|40=1|", at_ms(4));  // one alert per change
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixCompIdChanged});
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"seq\":3,"
            "\"sender_comp_id\":\"CLI9\",\"target_comp_id\":\"SRV1\"}");
  // The acceptor's direction too.
  c.client = "CLI1";
  c.server = "SRV2";
  down(c, "0", "", at_ms(5));
  EXPECT_EQ(sids(), (std::vector<uint32_t>{kFixCompIdChanged, kFixCompIdChanged}));
  EXPECT_FALSE(sink.alerts[1].to_server);
  EXPECT_EQ(sink.alerts[1].src, kServer);
}

TEST_F(FixInspectorTest, PlaintextPassword) {
  config::FixServerConfig tls;
  tls.any_address = true;
  tls.port = 11443;
  tls.tls = true;
  cfg.servers = {tls};
  make();
  Conn c = conn(0);
  up(c, "A", "98=0|108=30|553=trader1|554=hunter22|", at_ms(0));
  down(c, "5", "", at_ms(1));
  up(c, "A", "98=0|108=30|553=trader1|554=hunter23|", at_ms(2));  // once per connection
  EXPECT_EQ(with_sid(kFixPlaintextPassword).size(), 1u);
  const sig::Alert a = with_sid(kFixPlaintextPassword)[0];
  EXPECT_EQ(std::string(a.detail), "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"A\",\"seq\":1}");
  EXPECT_EQ(a.severity, 3);
  // Negative: a TLS leg, and a Logon without 554.
  sink.alerts.clear();
  Conn t = conn(1, false, 11443);
  up(t, "A", "98=0|108=30|554=hunter22|", at_ms(3));
  Conn n = conn(2);
  up(n, "A", "98=0|108=30|553=trader1|", at_ms(4));
  EXPECT_TRUE(with_sid(kFixPlaintextPassword).empty());
}

// ---- MsgSeqNum ----

TEST_F(FixInspectorTest, SequenceGapThenGapFill) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  for (int i = 0; i < 3; ++i) up(c, "0", "", at_ms(1 + i));  // 2, 3, 4
  EXPECT_TRUE(sink.alerts.empty());
  up(c, "D", "11=C1|55=X|54=1|40=1|", at_ms(10), 55);
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixSeqGap});
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"expected_seq\":5,"
            "\"received_seq\":55,\"missing\":50}");
  // Recovery: ResendRequest, GapFill (PossDup, low MsgSeqNum) to 56, then 56 on.
  down(c, "2", "7=5|16=0|", at_ms(11));
  up(c, "4", "43=Y|122=20240604-14:05:14.975|123=Y|36=56|", at_ms(12), 5);
  up(c, "0", "", at_ms(13), 56);
  up(c, "0", "", at_ms(14), 57);
  EXPECT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(
      scrape("tradesentry_fix_sequence_gaps_total"),
      std::vector<std::string>{"tradesentry_fix_sequence_gaps_total{session=\"CLI1->SRV1\"} 1"});
  // Negative: a gap smaller than seq_gap_alert_min (10) is counted, not alerted; 10 alerts.
  up(c, "0", "", at_ms(15), 58 + 9);
  EXPECT_EQ(sink.alerts.size(), 1u);
  up(c, "0", "", at_ms(16), 68 + 10);
  ASSERT_EQ(sids(), (std::vector<uint32_t>{kFixSeqGap, kFixSeqGap}));
  EXPECT_EQ(std::string(sink.alerts[1].detail),
            "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"0\",\"expected_seq\":68,"
            "\"received_seq\":78,\"missing\":10}");
  EXPECT_EQ(
      scrape("tradesentry_fix_sequence_gaps_total"),
      std::vector<std::string>{"tradesentry_fix_sequence_gaps_total{session=\"CLI1->SRV1\"} 3"});
}

TEST_F(FixInspectorTest, SequenceTooLowDuplicateAndPossDup) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  for (int i = 0; i < 4; ++i) up(c, "0", "", at_ms(1 + i));  // 2..5, expected 6
  up(c, "0", "43=Y|", at_ms(6), 4);                          // PossDup: accepted silently
  EXPECT_TRUE(sink.alerts.empty());
  up(c, "D", "11=C1|55=X|54=1|40=1|", at_ms(7), 3);
  up(c, "0", "", at_ms(8), 5);
  ASSERT_EQ(sids(), (std::vector<uint32_t>{kFixSeqTooLow, kFixSeqDuplicate}));
  EXPECT_EQ(
      std::string(sink.alerts[0].detail),
      "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"D\",\"expected_seq\":6,\"received_seq\":3}");
  EXPECT_EQ(
      std::string(sink.alerts[1].detail),
      "{\"session\":\"CLI1->SRV1\",\"msg_type\":\"0\",\"expected_seq\":6,\"received_seq\":5}");
  up(c, "0", "", at_ms(9), 6);  // expected stayed at 6
  EXPECT_EQ(sink.alerts.size(), 2u);
}

TEST_F(FixInspectorTest, SequenceResetModes) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  for (int i = 0; i < 8; ++i) down(c, "0", "", at_ms(1 + i));  // acceptor: expected 10
  down(c, "4", "36=20|", at_ms(10), 999);  // Reset mode, forward: MsgSeqNum ignored
  down(c, "0", "", at_ms(11), 20);
  down(c, "4", "123=Y|36=30|", at_ms(12), 21);  // GapFill at expected: next is 30
  down(c, "0", "", at_ms(13), 30);
  EXPECT_TRUE(sink.alerts.empty()) << sids()[0];
  down(c, "4", "36=7|", at_ms(14), 31);  // Reset mode backwards
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixSeqResetBackwards});
  EXPECT_FALSE(sink.alerts[0].to_server);
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"expected_seq\":31,\"new_seq\":7}");
  down(c, "0", "", at_ms(15), 7);  // follows the reset
  EXPECT_EQ(sink.alerts.size(), 1u);
  // Logon with ResetSeqNumFlag: back to 1 without an alert.
  up(c, "A", "98=0|108=30|141=Y|", at_ms(16), 1);
  up(c, "0", "", at_ms(17), 2);
  EXPECT_EQ(sink.alerts.size(), 1u);
}

TEST_F(FixInspectorTest, ResendStormOncePerWindow) {
  cfg.resend_limit = 3;
  cfg.resend_window = 10 * kNanosPerSec;
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  for (int i = 0; i < 3; ++i) up(c, "2", "7=1|16=0|", at_ms(100 + 100 * i));
  EXPECT_TRUE(sink.alerts.empty());
  for (int i = 0; i < 10; ++i) up(c, "2", "7=1|16=0|", at_ms(400 + 100 * i));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixResendStorm});
  EXPECT_EQ(sink.alerts[0].ts, at_ms(400));
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"requests\":4,\"limit\":3,\"window_s\":10.000}");
  // The next window alerts again.
  for (int i = 0; i < 4; ++i) up(c, "2", "7=1|16=0|", at_ms(11000 + 100 * i));
  EXPECT_EQ(with_sid(kFixResendStorm).size(), 2u);
  // Negative: at the limit, and spread over more than the window.
  sink.alerts.clear();
  Conn q = conn(1);
  logon(q, at_ms(0));
  for (int i = 0; i < 9; ++i) up(q, "2", "7=1|16=0|", at_ms(4000.0 * i));
  EXPECT_TRUE(sink.alerts.empty());
}

TEST_F(FixInspectorTest, HeartbeatLostViaTick) {
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));  // HeartBtInt 30 s, grace 2 s
  up(c, "0", "", at_ms(20000));
  insp->tick(at_ms(31000));
  insp->tick(at_ms(32000));
  EXPECT_TRUE(sink.alerts.empty());
  insp->tick(at_ms(32500));  // the acceptor silent for 32.4998 s
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixHeartbeatLost});
  const sig::Alert a = sink.alerts[0];
  EXPECT_EQ(a.ts, at_ms(32500));
  EXPECT_FALSE(a.to_server);
  EXPECT_EQ(a.src, kServer);
  EXPECT_EQ(std::string(a.detail),
            "{\"session\":\"CLI1->SRV1\",\"silent_s\":32.500,\"heartbeat_interval_s\":30,"
            "\"grace_s\":2.000}");
  insp->tick(at_ms(40000));  // once until it speaks again
  up(c, "0", "", at_ms(40000));
  EXPECT_EQ(sink.alerts.size(), 1u);
  down(c, "0", "", at_ms(41000));
  insp->tick(at_ms(60000));
  up(c, "0", "", at_ms(60000));
  insp->tick(at_ms(72900));
  EXPECT_EQ(sink.alerts.size(), 1u);
  insp->tick(at_ms(73100));
  EXPECT_EQ(sink.alerts.size(), 2u);
  // Negative: after Logout, and after the stream ended.
  sink.alerts.clear();
  Conn out = conn(1);
  logon(out, at_ms(100000));
  up(out, "5", "", at_ms(101000));
  Conn gone = conn(2);
  logon(gone, at_ms(100000));
  end(gone, at_ms(102000));
  insp->tick(at_ms(200000));
  for (const sig::Alert& x : sink.alerts) EXPECT_EQ(x.flow_id, c.flow.id);
}

// ---- order flow ----

TEST_F(FixInspectorTest, OrderFloodOnceThenRearmed) {
  cfg.order_rate_limit = 10;
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  int n = 0;
  auto order = [&](double ms) {
    up(c, "D", "11=F" + std::to_string(n++) + "|55=X|54=1|40=1|", at_ms(ms));
  };
  // Steady 10 per second: at the limit, never over.
  for (int i = 0; i < 30; ++i) order(1000 + 100 * i + 50);
  EXPECT_TRUE(sink.alerts.empty());
  // Burst: 11 in the last second on the 11th... (the steady ones are older than 1 s by now).
  for (int i = 0; i < 40; ++i) order(5000 + 10 * i);
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixOrderFlood});
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"orders_per_s\":11,\"limit\":10}");
  EXPECT_EQ(sink.alerts[0].ts, at_ms(5100));
  // Quiet: re-armed after a full second at or under the limit (seen by tick).
  insp->tick(at_ms(6500));
  insp->tick(at_ms(7000));
  for (int i = 0; i < 11; ++i) order(7200 + 10 * i);
  EXPECT_EQ(sink.alerts.size(), 1u);  // not yet re-armed: under the limit only since 6.5 s
  insp->tick(at_ms(9000));
  insp->tick(at_ms(10100));
  for (int i = 0; i < 11; ++i) order(10200 + 10 * i);
  EXPECT_EQ(sink.alerts.size(), 2u);
}

TEST_F(FixInspectorTest, CancelRatio) {
  cfg.cancel_min_orders = 10;
  cfg.cancel_ratio_limit = 0.5;
  cfg.cancel_window = 60 * kNanosPerSec;
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  for (int i = 0; i < 10; ++i)
    up(c, "D", "11=O" + std::to_string(i) + "|55=X|54=1|40=1|", at_ms(100 + i));
  for (int i = 0; i < 5; ++i)
    up(c, "F", "11=X" + std::to_string(i) + "|41=O" + std::to_string(i) + "|54=1|", at_ms(200 + i));
  EXPECT_TRUE(sink.alerts.empty());  // 5 / 10 is not over 0.5
  for (int i = 5; i < 10; ++i)
    up(c, "F", "11=X" + std::to_string(i) + "|41=O" + std::to_string(i) + "|54=1|", at_ms(300 + i));
  ASSERT_EQ(sids(), std::vector<uint32_t>{kFixCancelRatio});
  EXPECT_EQ(sink.alerts[0].ts, at_ms(305));
  EXPECT_EQ(std::string(sink.alerts[0].detail),
            "{\"session\":\"CLI1->SRV1\",\"orders\":10,\"cancels\":6,\"ratio\":0.600,"
            "\"limit\":0.500,\"window_s\":60.000}");
  // Negative: fewer orders than the minimum, however many cancels.
  sink.alerts.clear();
  Conn few = conn(1);
  logon(few, at_ms(0));
  for (int i = 0; i < 9; ++i) up(few, "D", "11=O|55=X|54=1|40=1|", at_ms(100 + i));
  for (int i = 0; i < 9; ++i) up(few, "F", "11=X|41=O|54=1|", at_ms(200 + i));
  EXPECT_TRUE(sink.alerts.empty());
}

TEST_F(FixInspectorTest, PendingOrdersEvictedAndExpired) {
  cfg.max_pending_orders = 16;  // the minimum per worker
  cfg.order_ack_timeout = 1 * kNanosPerSec;
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  for (int i = 0; i < 17; ++i)
    up(c, "D", "11=P" + std::to_string(i) + "|55=X|54=1|40=1|", at_ms(10 + i));
  EXPECT_EQ(insp->stats().orders_evicted.get(), 1u);
  down(c, "8", "37=X|17=E0|39=0|54=1|11=P0|", at_ms(100));  // evicted: no sample
  down(c, "8", "37=X|17=E1|39=0|54=1|11=P1|", at_ms(100));  // 89 ms
  down(c, "8", "37=X|17=E2|39=0|54=1|11=P1|", at_ms(200));  // not the first: no sample
  insp->tick(at_ms(1020));  // orders placed before 20 ms expire: P2..P9
  EXPECT_EQ(insp->stats().orders_evicted.get(), 9u);
  down(c, "8", "37=X|17=E3|39=0|54=1|11=P2|", at_ms(1100));   // expired: no sample
  down(c, "8", "37=X|17=E4|39=0|54=1|11=P16|", at_ms(1100));  // 1074 ms
  const auto s = scrape("tradesentry_fix_order_ack_latency_seconds");
  EXPECT_EQ(s[s.size() - 2],
            "tradesentry_fix_order_ack_latency_seconds_sum{session=\"CLI1->SRV1\"} 1.163");
  EXPECT_EQ(s.back(), "tradesentry_fix_order_ack_latency_seconds_count{session=\"CLI1->SRV1\"} 2");
  // Another connection's ExecutionReport with the same ClOrdID does not match.
  Conn o = conn(1);
  logon(o, at_ms(0));
  down(o, "8", "37=X|17=E5|39=0|54=1|11=P15|", at_ms(1200));
  EXPECT_EQ(scrape("tradesentry_fix_order_ack_latency_seconds").back(),
            "tradesentry_fix_order_ack_latency_seconds_count{session=\"CLI1->SRV1\"} 2");
}

// ---- metrics, stats, masking, allocation ----

TEST_F(FixInspectorTest, MetricsExactWithOtherFolding) {
  cfg.max_sessions = 1;
  make();
  Conn a = conn(0);
  logon(a, at_ms(0));
  up(a, "D", "11=A1|55=X|54=1|40=1|", at_ms(1));
  down(a, "8", "37=X|17=E|39=0|54=1|11=A1|", at_ms(1.04));
  down(a, "j", "45=2|58=x|", at_ms(2));
  up(a, "0", "", at_ms(3), 10);  // gap
  Conn b = conn(1);
  b.client = "CLI2";
  logon(b, at_ms(0));
  down(b, "3", "45=1|", at_ms(4));
  down(b, "9", "37=X|11=Q|41=Q|39=8|", at_ms(5));
  up(b, "XYZ", "", at_ms(6));
  EXPECT_EQ(insp->stats().sessions_over_cap.get(), 1u);
  EXPECT_EQ(
      scrape("tradesentry_fix_", 1),
      (std::vector<std::string>{
          "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_type="
          "\"0\"} 1",
          "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_type="
          "\"A\"} 1",
          "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\",msg_type="
          "\"D\"} 1",
          "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_client\",msg_type="
          "\"A\"} 1",
          "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_client\",msg_type="
          "\"8\"} 1",
          "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_client\",msg_type="
          "\"j\"} 1",
          "tradesentry_fix_messages_total{session=\"other\",direction=\"to_server\",msg_type=\"A\"}"
          " 1",
          "tradesentry_fix_messages_total{session=\"other\",direction=\"to_server\",msg_type="
          "\"other\"} 1",
          "tradesentry_fix_messages_total{session=\"other\",direction=\"to_client\",msg_type=\"3\"}"
          " 1",
          "tradesentry_fix_messages_total{session=\"other\",direction=\"to_client\",msg_type=\"A\"}"
          " 1",
          "tradesentry_fix_messages_total{session=\"other\",direction=\"to_client\",msg_type=\"9\"}"
          " 1",
          "tradesentry_fix_sessions_active 2",
          "tradesentry_fix_sequence_gaps_total{session=\"CLI1->SRV1\"} 1",
          "tradesentry_fix_sequence_gaps_total{session=\"other\"} 0",
          "tradesentry_fix_rejects_total{session=\"CLI1->SRV1\",msg_type=\"j\"} 1",
          "tradesentry_fix_rejects_total{session=\"other\",msg_type=\"3\"} 1",
          "tradesentry_fix_rejects_total{session=\"other\",msg_type=\"9\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"5e-05\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.0001\"} "
          "1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.00025\"} "
          "1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.0005\"} "
          "1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.001\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.0025\"} "
          "1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.005\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.01\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.025\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.05\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.1\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.25\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"0.5\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"1\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"2.5\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"5\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_bucket{session=\"CLI1->SRV1\",le=\"inf\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_sum{session=\"CLI1->SRV1\"} 4e-05",
          "tradesentry_fix_order_ack_latency_seconds_count{session=\"CLI1->SRV1\"} 1",
          "tradesentry_fix_order_ack_latency_seconds_sum{session=\"other\"} 0",
          "tradesentry_fix_order_ack_latency_seconds_count{session=\"other\"} 0",
          "tradesentry_fix_connections_total 2",
          "tradesentry_fix_connections_untracked_total 0",
          "tradesentry_fix_malformed_messages_total 0",
          "tradesentry_fix_garbage_bytes_total 0",
          "tradesentry_fix_stream_gaps_total 0",
          "tradesentry_fix_pending_orders_evicted_total 0",
          "tradesentry_fix_sessions_over_cap_total 1",
      }));
  // Logout and end: no longer active.
  up(a, "5", "", at_ms(7), 11);
  end(b, at_ms(8));
  EXPECT_EQ(scrape("tradesentry_fix_sessions_active"),
            std::vector<std::string>{"tradesentry_fix_sessions_active 0"});
}

TEST_F(FixInspectorTest, MetricsMergeWorkersByNameAndFoldBeyondCap) {
  cfg.max_sessions = 4;
  make();
  FixInspector w0(cfg, 64, 2, &sink);
  FixInspector w1(cfg, 64, 2, &sink);
  auto feed = [&](FixInspector& w, Conn& c, std::string_view type, Nanos ts) {
    const std::string m = msg(c, Dir::kToServer, type, type == "A" ? "98=0|108=30|" : "");
    w.on_stream_data(c.flow, Dir::kToServer, {reinterpret_cast<const uint8_t*>(m.data()), m.size()},
                     ts);
  };
  Conn a0 = conn(0), a1 = conn(0), b1 = conn(1);
  b1.client = "CLI3";
  feed(w0, a0, "A", at_ms(0));
  feed(w1, a1, "A", at_ms(0));
  feed(w1, a1, "0", at_ms(1));
  feed(w1, b1, "A", at_ms(2));
  const FixInspector* both[] = {&w0, &w1};
  const auto s = scrape(both, 1, "tradesentry_fix_messages_total");
  EXPECT_EQ(s, (std::vector<std::string>{
                   "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\","
                   "msg_type=\"0\"} 1",
                   "tradesentry_fix_messages_total{session=\"CLI1->SRV1\",direction=\"to_server\","
                   "msg_type=\"A\"} 2",
                   "tradesentry_fix_messages_total{session=\"other\",direction=\"to_server\",msg_"
                   "type=\"A\"} 1",
               }));
  EXPECT_EQ(scrape(both, 4, "tradesentry_fix_sequence_gaps_total"),
            (std::vector<std::string>{
                "tradesentry_fix_sequence_gaps_total{session=\"CLI1->SRV1\"} 0",
                "tradesentry_fix_sequence_gaps_total{session=\"CLI3->SRV1\"} 0",
            }));
}

TEST_F(FixInspectorTest, AddStatsSumsWorkers) {
  make();
  FixInspector other(cfg, 64, 1, &sink);
  Conn c = conn(0);
  logon(c, at_ms(0));
  data(c, Dir::kToServer, "xx\x01" + msg(c, Dir::kToServer, "0", ""), at_ms(1));
  const std::string m = msg(c, Dir::kToServer, "A", "98=0|108=30|");
  other.on_stream_data(c.flow, Dir::kToServer,
                       {reinterpret_cast<const uint8_t*>(m.data()), m.size()}, at_ms(2));
  const FixInspector* both[] = {insp.get(), &other};
  std::map<std::string, uint64_t> got;
  std::vector<std::pair<std::string, uint64_t>> stats;
  FixInspector::add_stats(both, stats);
  got = {stats.begin(), stats.end()};
  EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"fix.alerts", 1},
                                                  {"fix.connections", 2},
                                                  {"fix.connections_untracked", 0},
                                                  {"fix.garbage_bytes", 3},
                                                  {"fix.malformed", 0},
                                                  {"fix.messages", 4},
                                                  {"fix.orders_evicted", 0},
                                                  {"fix.sessions_active", 1},
                                                  {"fix.sessions_over_cap", 0},
                                                  {"fix.stream_gaps", 0}}));
}

TEST_F(FixInspectorTest, MaskedValuesNeverInAlertsOrMetrics) {
  cfg.masked_tags = {1, 553};
  make();
  Conn c = conn(0);
  // Bad checksum on a Logon with Username and Password, and on an order with an Account.
  data(c, Dir::kToServer,
       frame("FIX.4.4",
             "35=A|49=CLI1|56=SRV1|34=1|52=20240604-14:05:14.975|98=0|108=30|553=trader77|"
             "554=s3cretpw|",
             0, 1),
       at_ms(0));
  data(c, Dir::kToServer,
       frame("FIX.4.4",
             "35=D|49=CLI1|56=SRV1|34=2|52=20240604-14:05:14.975|1=ACCT12345|11=C1|55=X|54=1|40=1|",
             0, 1),
       at_ms(1));
  up(c, "D", "1=ACCT12345|11=C2|40=1|", at_ms(2), 3);  // missing 55/54
  ASSERT_EQ(sids(), (std::vector<uint32_t>{kFixBadChecksum, kFixBadChecksum, kFixMissingRequiredTag,
                                           kFixBeforeLogon}));
  for (const sig::Alert& a : sink.alerts) {
    const std::string d = a.detail;
    EXPECT_EQ(d.find("ACCT12345"), std::string::npos) << d;
    EXPECT_EQ(d.find("s3cretpw"), std::string::npos) << d;
    EXPECT_EQ(d.find("trader77"), std::string::npos) << d;
  }
  EXPECT_NE(std::string(sink.alerts[0].detail).find("|554=********|"), std::string::npos)
      << sink.alerts[0].detail;
  EXPECT_NE(std::string(sink.alerts[1].detail).find("|1=*********|"), std::string::npos)
      << sink.alerts[1].detail;
  for (const std::string& line : scrape("tradesentry_fix_")) {
    EXPECT_EQ(line.find("ACCT"), std::string::npos) << line;
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
  }
}

TEST_F(FixInspectorTest, NoAllocationPerMessage) {
  cfg.order_rate_limit = 1000000;
  make();
  Conn c = conn(0);
  logon(c, at_ms(0));
  std::vector<std::string> up_msgs, down_msgs;
  for (int i = 0; i < 200; ++i) {
    up_msgs.push_back(msg(c, Dir::kToServer, "D",
                          "11=N" + std::to_string(i) + "|55=600519|54=1|38=100|40=2|44=10|"));
    down_msgs.push_back(
        msg(c, Dir::kToClient, "8", "37=X|17=E|150=0|39=0|54=1|11=N" + std::to_string(i) + "|"));
  }
  up_msgs.push_back(msg(c, Dir::kToServer, "D", "11=bad|", 999));  // alerts on the way too
  const uint64_t before = ts_test_allocations();
  for (std::size_t i = 0; i < up_msgs.size(); ++i) {
    data(c, Dir::kToServer, up_msgs[i], at_ms(10 + static_cast<double>(i)));
    if (i < down_msgs.size())
      data(c, Dir::kToClient, down_msgs[i], at_ms(10.5 + static_cast<double>(i)));
    if (i % 50 == 0) insp->tick(at_ms(10 + static_cast<double>(i)));
  }
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_EQ(insp->stats().messages.get(), 403u);
  EXPECT_EQ(sids(), (std::vector<uint32_t>{kFixMissingRequiredTag, kFixSeqGap}));
}

}  // namespace
}  // namespace ts::detectors
