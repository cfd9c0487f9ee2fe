// CompiledRules and Detector: grouping, exact vs prefiltered payload rules (checked against
// PayloadProgram as the reference), IP-only once per flow direction, <>, flowbits, pass,
// IPS drop, packet_alert_max, TCP streams through a real FlowTable + TcpTracker (split,
// reordered, gaps), the stream memcap, the database cache, and zero allocations per packet.
#include "signatures/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sensor/flow_table.h"
#include "sensor/tcp_stream.h"
#include "signatures/match.h"
#include "signatures/parser.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::sig {
namespace {

using test::ip4;
namespace f = tcpflag;
using Path = CompiledRules::Path;

// ---- hand-built rules ----
struct C {  // content with modifiers
  ContentOpt c;
  explicit C(std::string s) { c.pattern = std::move(s); }
  C& nocase() {
    c.nocase = true;
    return *this;
  }
  C& neg() {
    c.negated = true;
    return *this;
  }
  C& offset(int64_t v) {
    c.offset = IntOrVar{v, -1};
    return *this;
  }
  C& depth(int64_t v) {
    c.depth = IntOrVar{v, -1};
    return *this;
  }
  C& distance(int64_t v) {
    c.distance = IntOrVar{v, -1};
    c.relative = true;
    return *this;
  }
  C& within(int64_t v) {
    c.within = IntOrVar{v, -1};
    c.relative = true;
    return *this;
  }
  C& fast() {
    c.fast_pattern = true;
    return *this;
  }
  operator PayloadOpt() const { return c; }
};

Rule rule(uint32_t sid, Proto proto, std::vector<PayloadOpt> payload = {}) {
  Rule r;
  r.sid = sid;
  r.rev = 1;
  r.proto = proto;
  r.payload = std::move(payload);
  return r;
}

PortSet ports(uint16_t lo, uint16_t hi) {
  PortSet s;
  s.any = false;
  s.ranges.push_back({lo, hi});
  return s;
}

class Sink : public AlertSink {
 public:
  void on_alert(const Alert& a) noexcept override {
    if (record) alerts.push_back(a);
    ++count;
  }
  std::vector<uint32_t> sids() const {
    std::vector<uint32_t> v;
    for (const Alert& a : alerts) v.push_back(a.sid);
    return v;
  }
  std::vector<uint32_t> sorted_sids() const {
    auto v = sids();
    std::sort(v.begin(), v.end());
    return v;
  }
  void clear() { alerts.clear(); }
  std::vector<Alert> alerts;
  uint64_t count = 0;
  bool record = true;
};

std::shared_ptr<const CompiledRules> compile(std::vector<Rule> rules, CompileOptions opts = {},
                                             CompileStats* st = nullptr) {
  RuleSet set;
  set.rules = std::move(rules);
  std::string err;
  auto cr = CompiledRules::compile(std::move(set), opts, &err, st);
  EXPECT_TRUE(cr) << err;
  return cr;
}

// Rules as text (Suricata syntax, default variables: HOME_NET = 192.168/16, 10/8, 172.16/12).
std::shared_ptr<const CompiledRules> compile_text(std::string_view text, CompileOptions opts = {},
                                                  CompileStats* st = nullptr) {
  RuleSet set = parse_rules(text, "test.rules", LoadOptions{});
  EXPECT_TRUE(set.errors.empty()) << set.errors.front().str();
  EXPECT_TRUE(set.skipped.empty()) << set.skipped.front().str();
  std::string err;
  auto cr = CompiledRules::compile(std::move(set), opts, &err, st);
  EXPECT_TRUE(cr) << err;
  return cr;
}

std::string et_dir() { return std::string(TS_SOURCE_DIR) + "/../shared/rules/et-open"; }

// One worker's flow table, TCP tracker and detector (registered as stream consumer).
class Worker : public FlowEndSink {
 public:
  explicit Worker(std::shared_ptr<const CompiledRules> cr, std::size_t memcap = 1u << 20,
                  bool reassembly = true, bool midstream = true)
      : table(FlowTableConfig{64, {}}, 0, 7, this),
        tracker(tcp_cfg(midstream), table),
        det(std::move(cr), DetectorConfig{64, memcap, reassembly}, &sink) {
    if (reassembly) tracker.add_consumer(&det);
  }
  static TcpConfig tcp_cfg(bool midstream) {
    TcpConfig c;
    c.midstream = midstream;
    c.flow_capacity = 64;
    c.reassembly_memcap = 1u << 20;
    c.reassembly_per_flow = 256u << 10;
    return c;
  }
  void on_flow_end(Flow& fl, FlowEndReason, Nanos now) noexcept override {
    if (fl.key.ip_proto == 6) tracker.end(fl, now);
  }
  Flow* send(const PacketView& p) {
    auto r = table.lookup(p, test::test_hash(p));
    if (r.flow && p.l4 == L4::kTcp) tracker.process(*r.flow, r.dir, p);
    det.inspect(r.flow, r.dir, p);
    return r.flow;
  }
  FlowTable table;
  TcpTracker tracker;
  Sink sink;
  Detector det;
};

const IpAddr kC = ip4(192, 168, 1, 10), kS = ip4(10, 0, 0, 20);

// A TCP connection kC:cport -> kS:sport with handshake; data sent with c2s/s2c at explicit
// sequence offsets (relative to the ISNs).
struct Conn {
  Worker& w;
  Port cport, sport;
  Nanos t = 0;
  Conn(Worker& wk, Port cp = 40000, Port sp = 80) : w(wk), cport(cp), sport(sp) {}
  Flow* handshake() {
    w.send(test::make_tcp(kC, kS, cport, sport, 999, 0, f::kSyn, "", t += 1000));
    w.send(test::make_tcp(kS, kC, sport, cport, 4999, 1000, f::kSyn | f::kAck, "", t += 1000));
    return w.send(test::make_tcp(kC, kS, cport, sport, 1000, 5000, f::kAck, "", t += 1000));
  }
  Flow* c2s(uint32_t off, std::string_view data, uint32_t ack_off = 0) {
    return w.send(test::make_tcp(kC, kS, cport, sport, 1000 + off, 5000 + ack_off,
                                 f::kAck | f::kPsh, data, t += 1000));
  }
  Flow* s2c(uint32_t off, std::string_view data, uint32_t ack_off = 0) {
    return w.send(test::make_tcp(kS, kC, sport, cport, 5000 + off, 1000 + ack_off,
                                 f::kAck | f::kPsh, data, t += 1000));
  }
};

PacketView udp(const IpAddr& s, const IpAddr& d, Port sp, Port dp, std::string_view pl) {
  return test::make_udp(s, d, sp, dp, pl, 1);
}

// ---------------------------------------------------------------------------------------
TEST(Engine, GroupsByProtocolPortAndDirection) {
  CompileStats st;
  auto cr = compile_text(R"(
alert tcp any any -> any 80 (msg:"to 80"; content:"GET"; sid:1;)
alert tcp any any -> any 443 (msg:"to 443"; content:"GET"; sid:2;)
alert tcp any any -> any any (msg:"any tcp"; content:"GET"; sid:3;)
alert udp any any -> any any (msg:"any udp"; content:"GET"; sid:4;)
alert ip any any -> any any (msg:"any ip"; content:"GET"; sid:5;)
alert tcp any 80 -> any any (msg:"from 80"; content:"GET"; sid:6;)
alert tcp any any -> any 1024: (msg:"wide range: any group"; content:"GET"; sid:7;)
)",
                         {}, &st);
  ASSERT_TRUE(cr);
  EXPECT_EQ(st.groups, 7u);  // 4 "any" groups + dport 80, dport 443, sport 80
  Sink sink;
  Detector det(cr, DetectorConfig{0, 0, false}, &sink);
  const std::string get = "GET / HTTP/1.1";
  auto tcp = [&](Port sp, Port dp) {
    sink.clear();
    det.inspect(nullptr, Dir::kToServer, test::make_tcp(kC, kS, sp, dp, 1, 1, f::kAck, get, 1));
    return sink.sorted_sids();
  };
  EXPECT_EQ(tcp(40000, 80), (std::vector<uint32_t>{1, 3, 5}));
  EXPECT_EQ(tcp(40000, 443), (std::vector<uint32_t>{2, 3, 5}));
  EXPECT_EQ(tcp(40000, 8080), (std::vector<uint32_t>{3, 5, 7}));
  EXPECT_EQ(tcp(80, 40000), (std::vector<uint32_t>{3, 5, 6, 7}));
  EXPECT_EQ(tcp(80, 80), (std::vector<uint32_t>{1, 3, 5, 6}));
  sink.clear();
  det.inspect(nullptr, Dir::kToServer, udp(kC, kS, 5000, 80, get));
  EXPECT_EQ(sink.sorted_sids(), (std::vector<uint32_t>{4, 5}));
}
TEST(Engine, FlowDirectionRules) {
  Worker w(compile_text(R"(
alert udp any any -> any any (msg:"request"; flow:to_server; content:"ping"; sid:1;)
alert udp any any -> any any (msg:"reply"; flow:to_client; content:"ping"; sid:2;)
alert udp any any -> any any (msg:"both seen"; flow:established; content:"ping"; sid:3;)
alert udp any any -> any any (msg:"no flow"; flow:not_established; content:"ping"; sid:4;)
)"));
  w.send(udp(kC, kS, 5000, 53, "ping"));
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{1, 4}));
  w.sink.clear();
  w.send(udp(kS, kC, 53, 5000, "ping"));  // the reply: to_client, and now established
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{2, 3}));
}
TEST(Engine, BidirectionalRules) {
  Worker w(compile_text(R"(
alert udp 192.168.0.0/16 any <> any 53 (msg:"both ways"; content:"data"; sid:1;)
alert udp 192.168.0.0/16 any -> any 53 (msg:"one way"; content:"data"; sid:2;)
)"));
  PacketView p = udp(kC, kS, 5000, 53, "data");
  p.pcap_cnt = 42;
  w.send(p);
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(w.sink.alerts[0].pcap_cnt, 42u);
  w.sink.clear();
  w.send(udp(kS, kC, 53, 5000, "data"));
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{1}));
  w.sink.clear();
  w.send(udp(kS, kC, 5000, 53, "data"));  // 10.x -> 192.168 to port 53: neither way
  EXPECT_TRUE(w.sink.sids().empty());
}
TEST(Engine, PathsExactPrefilterNoPattern) {
  CompileStats st;
  auto cr = compile_text(R"(
alert udp any any -> any any (msg:"chain"; content:"abc"; content:"def"; distance:2; within:10; sid:1;)
alert udp any any -> any any (msg:"content+pcre"; content:"abc"; pcre:"/d+ef/"; sid:2;)
alert udp any any -> any any (msg:"pcre only"; pcre:"/x[0-9]+y/i"; sid:3;)
alert udp any any -> any any (msg:"negated only"; content:!"zzz"; sid:4;)
alert udp any any -> any any (msg:"content, negated"; content:"abc"; content:!"zzz"; sid:5;)
alert udp any any -> any any (msg:"header only"; dsize:>3; sid:6;)
alert udp any any -> any any (msg:"ip only"; sid:7;)
alert udp any any -> any any (msg:"nocase, offset, depth"; content:"ABC"; nocase; offset:1; depth:4; sid:8;)
alert udp any any -> any any (msg:"isdataat"; content:"abc"; isdataat:2,relative; sid:9;)
)",
                         {}, &st);
  ASSERT_TRUE(cr);
  const std::vector<Path> want = {Path::kExact,     Path::kPrefilter, Path::kPrefilter,
                                  Path::kNoPattern, Path::kPrefilter, Path::kHeader,
                                  Path::kIpOnly,    Path::kExact,     Path::kPrefilter};
  for (uint32_t i = 0; i < want.size(); ++i) EXPECT_EQ(cr->path(i), want[i]) << "sid " << i + 1;
  EXPECT_EQ(st.exact, 2u);
  EXPECT_EQ(st.prefiltered, 4u);
  EXPECT_EQ(st.no_pattern, 1u);
  EXPECT_EQ(st.ip_only, 1u);
  Sink sink;
  Detector det(cr, DetectorConfig{}, &sink);
  auto run = [&](std::string_view pl) {
    sink.clear();
    det.inspect(nullptr, Dir::kToServer, udp(kC, kS, 5000, 53, pl));
    return sink.sorted_sids();
  };
  EXPECT_EQ(run("abc..def"), (std::vector<uint32_t>{1, 2, 4, 5, 6, 7, 9}));
  EXPECT_EQ(run("abc.def"), (std::vector<uint32_t>{2, 4, 5, 6, 7, 9}));  // distance 2 unmet
  EXPECT_EQ(run("X12Y zzz"), (std::vector<uint32_t>{3, 6, 7}));
  EXPECT_EQ(run("ab"), (std::vector<uint32_t>{4, 7}));
  EXPECT_EQ(run("xaBc"), (std::vector<uint32_t>{4, 6, 7, 8}));
  EXPECT_EQ(run("xxaBc"), (std::vector<uint32_t>{4, 6, 7, 8}));
  EXPECT_EQ(run("xxxaBc"), (std::vector<uint32_t>{4, 6, 7}));  // past depth
  EXPECT_EQ(run("abc"), (std::vector<uint32_t>{4, 5, 7}));     // no 2 bytes after it
}
// Random content chains over "abAB", for the tests that hold the exact (Hyperscan) path to
// PayloadProgram. Draws are made in a fixed order, so a seed always gives the same rules.
struct Draws {
  std::mt19937 rng;
  int pick(int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); }
  std::string word(int len) {
    std::string s;
    for (int i = 0; i < len; ++i) s.push_back("abAB"[pick(pick(3) == 0 ? 4 : 2)]);
    return s;
  }
};
struct ChainShape {
  int word_min;       // each content is word_min to word_min + 2 bytes
  int anchor_one_in;  // the first content gets an offset (and, drawn again, a depth) when
  int anchor_hit;     // pick(anchor_one_in) == anchor_hit
  int offset_span;    // offset 0 .. offset_span - 1
  int depth_slack;    // depth len .. len + depth_slack - 1
  int distance_span;  // later contents: distance 0 .. distance_span - 1
  int within_slack;   // within len .. len + within_slack - 1
};
std::vector<PayloadOpt> random_chain(Draws& d, const ChainShape& sh) {
  std::vector<PayloadOpt> opts;
  const int n = 1 + d.pick(3);
  for (int j = 0; j < n; ++j) {
    C c(d.word(sh.word_min + d.pick(3)));
    if (d.pick(3) == 0) c.nocase();
    const int64_t len = static_cast<int64_t>(c.c.pattern.size());
    if (j == 0) {
      if (d.pick(sh.anchor_one_in) == sh.anchor_hit) c.offset(d.pick(sh.offset_span));
      if (d.pick(sh.anchor_one_in) == sh.anchor_hit) c.depth(len + d.pick(sh.depth_slack));
    } else {
      const int m = d.pick(3);
      if (m != 1) c.distance(d.pick(sh.distance_span));
      if (m != 0) c.within(len + d.pick(sh.within_slack));
    }
    opts.push_back(c);
  }
  return opts;
}
// One PayloadProgram per rule (the reference the engine is held to).
void build_programs(const std::vector<Rule>& rs,
                    std::vector<std::unique_ptr<PayloadProgram>>& progs) {
  for (const Rule& r : rs) {
    std::string err;
    progs.push_back(PayloadProgram::build(r, &err));
    ASSERT_TRUE(progs.back()) << err;
  }
}

TEST(Engine, ExactExpressionsAgreeWithPayloadProgram) {
  Draws d{std::mt19937(12345)};
  // pick(2) != 0 is pick(2) == 1: the same draws as when this test had its own generator.
  const ChainShape shape{1, 2, 1, 4, 5, 4, 6};
  constexpr int kRules = 120;
  std::vector<Rule> rs;
  for (int i = 0; i < kRules; ++i) {
    const std::vector<PayloadOpt> opts = random_chain(d, shape);
    for (Proto p : {Proto::kUdp, Proto::kTcp}) {
      rs.push_back(rule(static_cast<uint32_t>(rs.size() + 1), p, opts));
      rs.back().dport = ports(static_cast<uint16_t>(1000 + i), static_cast<uint16_t>(1000 + i));
    }
  }
  std::vector<std::unique_ptr<PayloadProgram>> progs;
  ASSERT_NO_FATAL_FAILURE(build_programs(rs, progs));
  auto cr = compile(rs);
  ASSERT_TRUE(cr);
  std::size_t exact = 0;
  for (uint32_t i = 0; i < rs.size(); ++i) {
    exact += cr->path(i) == Path::kExact;
    if (cr->path(i) != Path::kExact) {
      std::string desc;
      for (const PayloadOpt& o : rs[i].payload) {
        const ContentOpt& c = std::get<ContentOpt>(o);
        desc += "[" + c.pattern + (c.nocase ? " i" : "") +
                (c.offset ? " o" + std::to_string(c.offset->value) : "") +
                (c.depth ? " d" + std::to_string(c.depth->value) : "") +
                (c.distance ? " D" + std::to_string(c.distance->value) : "") +
                (c.within ? " W" + std::to_string(c.within->value) : "") + "]";
      }
      ADD_FAILURE() << "not exact: " << i << " " << desc;
    }
  }
  EXPECT_EQ(exact, rs.size());
  Sink sink;
  Detector det(cr, DetectorConfig{0, 0, false}, &sink);
  MatchScratch ms;
  int matches = 0;
  for (int k = 0; k < 300; ++k) {
    const std::string pl = d.word(1 + d.pick(24));
    const auto* data = reinterpret_cast<const uint8_t*>(pl.data());
    for (int i = 0; i < kRules; ++i) {
      for (int t = 0; t < 2; ++t) {
        const uint32_t idx = static_cast<uint32_t>(2 * i + t);
        const bool want = progs[idx]->match({data, pl.size()}, ms);
        sink.clear();
        const Port dp = static_cast<Port>(1000 + i);
        det.inspect(
            nullptr, Dir::kToServer,
            t == 0 ? udp(kC, kS, 5, dp, pl) : test::make_tcp(kC, kS, 5, dp, 1, 1, f::kAck, pl, 1));
        ASSERT_EQ(!sink.alerts.empty(), want) << "rule " << idx << " payload '" << pl << "'";
        matches += want;
      }
    }
  }
  EXPECT_GT(matches, 1000);  // the sample exercises matches, not only misses
}

TEST(Engine, IpOnlyOncePerFlowDirection) {
  // 600 listed sources -> $HOME_NET, as ET's compromised/ciarmy lists are written.
  std::string list;
  for (int i = 0; i < 600; ++i)
    list += (i ? "," : "") + std::string("45.") + std::to_string(i / 200) + "." +
            std::to_string(i % 200) + ".7";
  CompileStats st;
  auto cr =
      compile_text("alert ip [" + list +
                       "] any -> $HOME_NET any (msg:\"listed\"; sid:1;)\n"
                       "alert ip any any -> any any (msg:\"any\"; sid:2;)\n"
                       "alert udp any any -> any any (msg:\"payload\"; content:\"x\"; sid:3;)\n",
                   {}, &st);
  Worker w(cr);
  EXPECT_EQ(st.ip_only, 2u);
  const IpAddr bad = ip4(45, 2, 33, 7), home = ip4(192, 168, 3, 3);
  for (int i = 0; i < 5; ++i) w.send(udp(bad, home, 7000, 53, "x"));
  for (int i = 0; i < 5; ++i) w.send(udp(home, bad, 53, 7000, "x"));
  std::map<uint32_t, int> n;
  for (uint32_t s : w.sink.sids()) ++n[s];
  EXPECT_EQ(n[1], 1);   // once: the first packet to the home net
  EXPECT_EQ(n[2], 2);   // once per direction
  EXPECT_EQ(n[3], 10);  // payload rules: every packet
  w.sink.clear();
  w.send(udp(ip4(45, 2, 33, 8), home, 7000, 53, "x"));  // unlisted neighbour
  w.send(udp(bad, home, 7001, 53, "x"));                // a new flow from the listed host
  n.clear();
  for (uint32_t s : w.sink.sids()) ++n[s];
  EXPECT_EQ(n[1], 1);
  EXPECT_EQ(n[2], 2);
  // Without a flow, IP-only rules are evaluated on every packet.
  Sink sink;
  Detector det(cr, DetectorConfig{}, &sink);
  for (int i = 0; i < 3; ++i) det.inspect(nullptr, Dir::kToServer, udp(bad, home, 1, 2, ""));
  const auto s = sink.sids();
  EXPECT_EQ(std::count(s.begin(), s.end(), 1u), 3);
}

// The ET IP-list files themselves: every rule is IP-only; a listed address raises its group's
// alert once per flow direction, an unlisted one nothing.
TEST(Engine, EtIpListsAreIpOnly) {
  std::vector<std::string> files;
  for (const char* f : {"compromised.rules", "ciarmy.rules", "3coresec.rules", "botcc.rules",
                        "botcc.portgrouped.rules", "tor.rules"})
    if (std::filesystem::exists(et_dir() + "/" + f)) files.push_back(et_dir() + "/" + f);
  if (files.empty()) GTEST_SKIP() << "../shared/rules/et-open absent";
  RuleSet set = load_rules(files, LoadOptions{});
  ASSERT_GT(set.rules.size(), 100u);
  // A listed address: the first of the first compromised rule.
  const AddrRange listed = set.rules.front().src.ranges.front();
  const uint32_t first_sid = set.rules.front().sid;
  std::string err;
  CompileStats st;
  auto cr = CompiledRules::compile(std::move(set), {}, &err, &st);
  ASSERT_TRUE(cr) << err;
  EXPECT_EQ(st.ip_only, st.rules);
  EXPECT_EQ(st.database_bytes, 0u);
  Worker w(cr);
  const IpAddr home = ip4(192, 168, 3, 3);
  for (int i = 0; i < 4; ++i) w.send(udp(listed.lo, home, 7000, 53, "x"));
  for (int i = 0; i < 4; ++i) w.send(udp(home, listed.lo, 53, 7000, "x"));
  ASSERT_EQ(w.sink.sids(), (std::vector<uint32_t>{first_sid}));
  w.sink.clear();
  w.send(udp(ip4(192, 0, 2, 1), home, 7000, 53, "x"));
  EXPECT_TRUE(w.sink.sids().empty());
}
TEST(Engine, IpOnlyBidirectionalAndPorts) {
  Sink sink;
  Detector det(compile_text(R"(
alert tcp 45.1.0.0/16 any <> any 22 (msg:"ssh with 45.1/16"; sid:1;)
)"),
               DetectorConfig{}, &sink);
  det.inspect(nullptr, Dir::kToServer,
              test::make_tcp(ip4(45, 1, 0, 1), kS, 999, 22, 1, 1, f::kSyn, "", 1));
  det.inspect(nullptr, Dir::kToServer,
              test::make_tcp(kS, ip4(45, 1, 0, 1), 22, 999, 1, 1, f::kAck, "", 1));
  det.inspect(nullptr, Dir::kToServer,
              test::make_tcp(kS, ip4(45, 1, 0, 1), 23, 999, 1, 1, f::kAck, "", 1));
  det.inspect(nullptr, Dir::kToServer, udp(kS, ip4(45, 1, 0, 1), 22, 999, ""));
  EXPECT_EQ(sink.sids(), (std::vector<uint32_t>{1, 1}));
}
TEST(Engine, FlowbitsAcrossPacketsAndWithinOne) {
  Worker w(compile_text(R"(
alert udp any any -> any any (msg:"cmd after login"; content:"cmd"; flowbits:isset,logged_in; sid:1;)
alert udp any any -> any any (msg:"login"; content:"login"; flowbits:set,logged_in; flowbits:noalert; sid:2;)
alert udp any any -> any any (msg:"cmd before login"; content:"cmd"; flowbits:isnotset,logged_in; sid:3;)
alert udp any any -> any any (msg:"logout"; content:"logout"; flowbits:unset,logged_in; noalert; sid:4;)
)"));
  w.send(udp(kC, kS, 5000, 21, "cmd"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3}));
  w.sink.clear();
  w.send(udp(kC, kS, 5000, 21, "login"));
  w.send(udp(kC, kS, 5000, 21, "cmd"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1}));
  w.sink.clear();
  w.send(udp(kC, kS, 5001, 21, "cmd"));  // another flow: bit not set there
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3}));
  w.sink.clear();
  w.send(udp(kC, kS, 5000, 21, "logout cmd"));  // unset (a setter) runs before the readers
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3}));
  w.sink.clear();
  w.send(udp(kC, kS, 5002, 21, "cmd login"));  // set before isset in the same packet
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1}));
  // Without a flow, flowbit conditions never hold.
  Sink sink;
  Detector det(
      compile_text(R"(alert udp any any -> any any (content:"c"; flowbits:isnotset,x; sid:9;))"),
      DetectorConfig{}, &sink);
  det.inspect(nullptr, Dir::kToServer, udp(kC, kS, 1, 2, "c"));
  EXPECT_TRUE(sink.sids().empty());
}

// More flowbit names than the per-flow bitmap covers: a bounded id list per flow.
TEST(Engine, ManyFlowbitNames) {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "alert udp any any -> any any (content:\"set" + std::to_string(i) +
            ".\"; flowbits:set,b" + std::to_string(i) +
            "; noalert; sid:" + std::to_string(1000 + i) + ";)\n";
  text +=
      "alert udp any any -> any any (content:\"q\"; flowbits:isset,b7; flowbits:isset,b299; "
      "sid:1;)\n";
  Worker w(compile_text(text));
  w.send(udp(kC, kS, 1, 2, "set7. q"));
  EXPECT_TRUE(w.sink.sids().empty());
  w.send(udp(kC, kS, 1, 2, "set299."));
  w.send(udp(kC, kS, 1, 2, "q"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1}));
  for (int i = 0; i < 20; ++i) w.send(udp(kC, kS, 1, 2, "set" + std::to_string(100 + i) + "."));
  EXPECT_EQ(w.det.stats().flowbits_dropped.get(), 6u);  // 16 per flow
  EXPECT_EQ(Detector::bytes_per_flow(w.det.rules()),
            Detector::bytes_per_flow(nullptr) + 16 * sizeof(uint16_t));
}
TEST(Engine, PassSuppressesLaterRules) {
  Worker w(compile_text(R"(
alert udp any any -> any any (msg:"evil"; content:"evil"; sid:1;)
pass udp 192.168.0.0/16 any -> any any (msg:"trusted"; content:"evil"; sid:2;)
drop udp any any -> any any (msg:"evil, drop"; content:"evil"; sid:3;)
)"));
  w.send(udp(kC, kS, 1, 2, "evil"));  // passed: nothing
  EXPECT_TRUE(w.sink.sids().empty());
  w.send(udp(kS, kC, 2, 1, "evil"));  // from 10/8: drop first (IDS: an alert), then alert
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3, 1}));
  EXPECT_FALSE(w.sink.alerts[0].blocked);
  EXPECT_EQ(w.det.stats().matches.get(), 3u);
}
TEST(Engine, IpOnlyPassPassesTheWholeFlow) {
  Worker w(compile_text(R"(
alert udp any any -> any any (msg:"evil"; content:"evil"; sid:1;)
pass ip any any -> 10.0.0.0/16 any (msg:"trusted servers"; sid:2;)
)"));
  w.send(udp(kC, kS, 1, 2, "evil"));
  w.send(udp(kS, kC, 2, 1, "evil"));  // the reply direction too
  EXPECT_TRUE(w.sink.sids().empty());
  w.send(udp(kC, ip4(172, 16, 0, 1), 1, 2, "evil"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1}));
}
// IPS: a drop matched on one packet drops that packet; matched on the stream or by an IP-only
// rule it drops the rest of the flow, as Suricata applies the action to the flow then.
TEST(Engine, IpsDropScope) {
  CompileOptions o;
  o.ips_mode = true;
  Worker w(compile_text(R"(
drop udp any any -> any any (msg:"evil"; content:"evil"; sid:1;)
alert udp any any -> any any (msg:"a"; content:"a"; sid:2;)
drop tcp any any -> any any (msg:"stream"; content:"evil"; sid:3;)
drop ip 45.0.0.0/8 any -> any any (msg:"listed"; sid:4;)
alert tcp any any -> any any (msg:"b"; content:"b"; sid:5;)
)",
                        o));
  w.send(udp(kC, kS, 1, 2, "a"));
  Flow* fl = w.send(udp(kC, kS, 1, 2, "evil a"));
  ASSERT_EQ(w.sink.sids(), (std::vector<uint32_t>{2, 1, 2}));  // drop ranks before alert
  EXPECT_TRUE(w.sink.alerts[1].blocked);
  EXPECT_FALSE(w.sink.alerts[2].blocked);
  EXPECT_FALSE(w.det.flow_blocked(*fl));
  w.send(udp(kC, kS, 1, 2, "evil a"));  // a packet-rule drop: this packet only
  EXPECT_EQ(w.sink.sids().size(), 5u);
  w.sink.clear();

  Conn c(w);
  c.handshake();
  fl = c.c2s(0, "xx ev");
  c.c2s(5, "il b");  // stream match: the flow is dropped from here on
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3, 5}));
  EXPECT_TRUE(w.sink.alerts[0].stream);
  EXPECT_TRUE(w.det.flow_blocked(*fl));
  c.c2s(9, " b");
  EXPECT_EQ(w.sink.sids().size(), 2u);
  w.sink.clear();

  fl = w.send(udp(ip4(45, 1, 1, 1), kS, 1, 2, "a"));  // IP-only drop: the flow too
  w.send(udp(ip4(45, 1, 1, 1), kS, 1, 2, "a"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{4, 2}));
  EXPECT_TRUE(w.det.flow_blocked(*fl));
}

TEST(Engine, AtMostFifteenAlertsPerPacketInRankOrder) {
  std::string text;
  for (int i = 1; i <= 20; ++i)
    text += "alert udp any any -> any any (content:\"x\"; priority:" +
            std::string(i == 20 ? "1" : "3") + "; sid:" + std::to_string(i) + ";)\n";
  Sink sink;
  Detector det(compile_text(text), DetectorConfig{}, &sink);
  det.inspect(nullptr, Dir::kToServer, udp(kC, kS, 1, 2, "x"));
  ASSERT_EQ(sink.alerts.size(), 15u);
  EXPECT_EQ(sink.alerts[0].sid, 20u);  // priority 1 first
  EXPECT_EQ(sink.alerts[0].severity, 1);
  EXPECT_EQ(sink.alerts[1].sid, 1u);
  EXPECT_EQ(sink.alerts[1].severity, 3);
  EXPECT_EQ(det.stats().alerts_over_max.get(), 5u);
  EXPECT_EQ(det.stats().matches.get(), 20u);
}
// ---- TCP streams ----
constexpr std::string_view kStreamRules = R"(
alert tcp any any -> any any (msg:"one literal"; flow:established,to_server; content:"attackpattern"; sid:1;)
alert tcp any any -> any any (msg:"chain"; content:"USER"; content:"root"; distance:1; within:8; sid:2;)
alert tcp any any -> any any (msg:"stream start"; content:"hdr"; depth:3; sid:3;)
alert tcp any any -> any any (msg:"prefilter"; content:"attack"; pcre:"/pat+ern/"; sid:4;)
)";
std::shared_ptr<const CompiledRules> stream_rules(CompileOptions o = {},
                                                  CompileStats* st = nullptr) {
  return compile_text(kStreamRules, o, st);
}

TEST(EngineStream, SplitAcrossSegmentsFiresOnce) {
  const std::string msg = "xxattackpatternyy";
  for (std::size_t parts : {std::size_t{1}, std::size_t{2}, std::size_t{3}, msg.size()}) {
    Worker w(stream_rules());
    Conn c(w);
    c.handshake();
    std::size_t off = 0;
    for (std::size_t i = 0; i < parts; ++i) {
      const std::size_t n = (msg.size() - off) / (parts - i);
      c.c2s(static_cast<uint32_t>(off), std::string_view(msg).substr(off, n));
      off += n;
    }
    const auto s = w.sink.sids();
    EXPECT_EQ(std::count(s.begin(), s.end(), 1u), 1) << parts << " parts";
    ASSERT_FALSE(w.sink.alerts.empty());
    EXPECT_TRUE(w.sink.alerts[0].stream);
    EXPECT_TRUE(w.sink.alerts[0].to_server);
    EXPECT_EQ(w.sink.alerts[0].src, kC);
    // The prefilter rule (content + pcre) is verified on the window of recent stream bytes
    // plus the new chunk, and retried while its literal is in the window: split anywhere,
    // it fires once.
    EXPECT_EQ(std::count(s.begin(), s.end(), 4u), 1) << parts << " parts";
  }
}

TEST(EngineStream, ChainAcrossSegmentsAndOutOfOrder) {
  Worker w(stream_rules());
  Conn c(w);
  c.handshake();
  c.c2s(0, "hdr USER ");
  c.c2s(12, "t now");  // ahead of the stream: buffered
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3}));
  c.c2s(9, "roo");  // fills the hole: "hdr USER root now"
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3, 2}));
  c.c2s(17, " hdr USER  root");  // depth 3 holds to the stream start; within 8 ok again
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3, 2, 2}));
  // From the server side only the rule without a direction matches.
  w.sink.clear();
  c.s2c(0, "attackpattern", 32);
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{4}));
  EXPECT_FALSE(w.sink.alerts[0].to_server);
  EXPECT_EQ(w.sink.alerts[0].src, kS);
}

TEST(EngineStream, NoMatchAcrossAGap) {
  Worker w(stream_rules());
  Conn c(w);
  c.handshake();
  c.c2s(0, "xxattack");
  // "pat" lost before the mirror; the server acknowledges it, so the tracker gives it up.
  c.c2s(11, "ternyy");
  w.send(test::make_tcp(kS, kC, 80, 40000, 5000, 1000 + 17, f::kAck, "", c.t += 1000));
  EXPECT_TRUE(w.sink.sids().empty());
  EXPECT_EQ(w.tracker.stats().gaps.get(), 1u);
  c.c2s(17, "attackpattern");  // a whole one after the gap still matches
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1, 4}));
}

TEST(EngineStream, MatchDeliveredAtFlowEndRaisedOnPseudoPacket) {
  Worker w(stream_rules());
  Conn c(w);
  c.handshake();
  c.c2s(0, "xx");
  c.c2s(4, "attackpattern");  // hole at [2, 4) never filled: held in the reassembly buffer
  c.c2s(2, "");               // nothing new
  EXPECT_TRUE(w.sink.sids().empty());
  const uint64_t id = c.c2s(17, "")->id;
  w.table.flush(FlowEndReason::kShutdown, c.t + 5000);
  // At the end the hole is reported as a gap and the buffered bytes delivered; their match
  // is raised on a pseudo packet of the ending flow.
  ASSERT_EQ(w.sink.sids(), (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(w.sink.alerts[0].flow_id, id);
  EXPECT_EQ(w.sink.alerts[0].pcap_cnt, 0u);
  EXPECT_EQ(w.sink.alerts[0].ts, c.t + 5000);
  EXPECT_TRUE(w.sink.alerts[0].stream);
  EXPECT_EQ(w.sink.alerts[0].src, kC);
  EXPECT_EQ(w.sink.alerts[0].dport, 80);

  Worker w2(stream_rules());
  Conn c2(w2);
  c2.handshake();
  c2.c2s(2, "attackpattern");  // first bytes "xx" late: everything waits in the buffer
  EXPECT_TRUE(w2.sink.sids().empty());
  c2.c2s(0, "xx");
  EXPECT_EQ(w2.sink.sids(), (std::vector<uint32_t>{1, 4}));
}

TEST(EngineStream, MemcapFallsBackToPackets) {
  Worker w(stream_rules(), /*memcap=*/1);
  Conn c(w);
  c.handshake();
  c.c2s(0, "attack");
  c.c2s(6, "pattern");  // split: not seen without a stream
  EXPECT_TRUE(w.sink.sids().empty());
  c.c2s(13, "attackpattern");  // whole in one packet: matched on the packet
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1, 4}));
  EXPECT_FALSE(w.sink.alerts[0].stream);
  EXPECT_EQ(w.det.stats().stream_state_memcap_drops.get(), 1u);
}

// Midstream pick-up off and no SYN seen: the tracker reassembles neither direction
// (TcpTracker::delivers() is false), so both directions are inspected packet by packet.
TEST(EngineStream, UnreassembledFlowIsInspectedPerPacket) {
  Worker w(stream_rules(), 1u << 20, true, /*midstream=*/false);
  Conn c(w);
  Flow* fl = c.c2s(0, "attack");
  EXPECT_FALSE(w.tracker.delivers(*fl));
  c.c2s(6, "pattern");  // split: no stream to join it
  EXPECT_TRUE(w.sink.sids().empty());
  c.s2c(0, "xxattackpattern");
  c.c2s(13, "attackpattern");
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{4, 4}));  // sid 1 needs established
  for (const Alert& a : w.sink.alerts) EXPECT_FALSE(a.stream);
  EXPECT_FALSE(w.sink.alerts[0].to_server);
  EXPECT_EQ(w.det.stats().stream_bytes_scanned.get(), 0u);
}

TEST(EngineStream, StreamStatesAreReusedAcrossFlows) {
  Worker w(stream_rules());
  for (Port p = 40000; p < 40010; ++p) {
    Conn c(w, p);
    c.handshake();
    c.c2s(0, "xxattackpattern");
    w.table.flush(FlowEndReason::kShutdown, c.t + 1000);
  }
  EXPECT_EQ(w.sink.sids().size(), 20u);
  // One flow's streams at a time, returned to the pool at flow end.
  const int64_t bytes = w.det.stats().stream_state_bytes.get();
  Conn c(w, 50000);
  c.handshake();
  c.c2s(0, "attackpattern");
  EXPECT_EQ(w.det.stats().stream_state_bytes.get(), bytes);
}

// Exact rules on the stream are decided by Hyperscan in streaming mode: whatever the
// segmentation and order of arrival, a rule fires in a flow exactly when PayloadProgram
// matches the whole reassembled stream (offsets and depths count from the stream start).
TEST(EngineStream, RandomSegmentationAgreesWithPayloadProgram) {
  Draws d{std::mt19937(777)};
  const ChainShape shape{2, 3, 0, 6, 20, 5, 10};
  constexpr int kRules = 40;
  std::vector<Rule> rs;
  for (int i = 0; i < kRules; ++i) {
    rs.push_back(rule(static_cast<uint32_t>(i + 1), Proto::kTcp, random_chain(d, shape)));
    rs.back().dport = ports(static_cast<uint16_t>(2000 + i), static_cast<uint16_t>(2000 + i));
  }
  std::vector<std::unique_ptr<PayloadProgram>> progs;
  ASSERT_NO_FATAL_FAILURE(build_programs(rs, progs));
  auto cr = compile(rs);
  ASSERT_TRUE(cr);
  for (uint32_t i = 0; i < rs.size(); ++i) ASSERT_EQ(cr->path(i), Path::kExact) << i;
  Worker w(cr);
  MatchScratch ms;
  int fired = 0;
  Port cport = 10000;
  for (int round = 0; round < 15; ++round) {
    for (int i = 0; i < kRules; ++i) {
      const std::string stream = d.word(20 + d.pick(60));
      // Random cut points, then a random order of the segments.
      std::vector<std::size_t> cuts = {0, stream.size()};
      for (int k = d.pick(8); k > 0; --k)
        cuts.push_back(1 + static_cast<std::size_t>(d.pick(static_cast<int>(stream.size()) - 1)));
      std::sort(cuts.begin(), cuts.end());
      cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
      std::vector<std::pair<std::size_t, std::size_t>> segs;
      for (std::size_t k = 0; k + 1 < cuts.size(); ++k) segs.push_back({cuts[k], cuts[k + 1]});
      std::shuffle(segs.begin(), segs.end(), d.rng);
      w.sink.clear();
      Conn c(w, ++cport, static_cast<Port>(2000 + i));
      c.handshake();
      for (const auto& [a, b] : segs)
        c.c2s(static_cast<uint32_t>(a), std::string_view(stream).substr(a, b - a));
      w.table.flush(FlowEndReason::kShutdown, c.t + 1000);
      const bool want = progs[static_cast<std::size_t>(i)]->match(
          {reinterpret_cast<const uint8_t*>(stream.data()), stream.size()}, ms);
      ASSERT_EQ(!w.sink.alerts.empty(), want)
          << "rule " << i << " stream '" << stream << "' in " << segs.size() << " segments";
      for (const Alert& a : w.sink.alerts) ASSERT_TRUE(a.stream);
      fired += want;
    }
  }
  EXPECT_GT(fired, 100);
  EXPECT_EQ(w.det.stats().hs_errors.get(), 0u);
}

// ---- cache ----
TEST(EngineCache, SecondCompileLoadsAndCorruptFileRecovers) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("ts_engine_cache_" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(dir);
  CompileOptions o;
  o.cache_dir = dir;
  CompileStats s1, s2, s3, s4;
  auto a = stream_rules(o, &s1);
  auto b = stream_rules(o, &s2);
  EXPECT_FALSE(s1.from_cache);
  EXPECT_TRUE(s2.from_cache);
  EXPECT_EQ(s1.database_bytes, s2.database_bytes);
  EXPECT_EQ(s1.exact, s2.exact);
  for (uint32_t i = 0; i < b->size(); ++i) EXPECT_EQ(a->path(i), b->path(i));
  // Same alerts from both.
  for (auto cr : {a, b}) {
    Worker w(cr);
    Conn c(w);
    c.handshake();
    c.c2s(0, "hdr USER root attackpat");
    c.c2s(23, "tern");
    EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{2, 3, 1, 4}));  // same packet: rule order
  }
  // Corrupt the file: ignored, recompiled, rewritten.
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  {
    std::fstream fs(files[0], std::ios::in | std::ios::out | std::ios::binary);
    fs.seekp(100);
    fs.write("garbage!", 8);
  }
  auto c3 = stream_rules(o, &s3);
  EXPECT_FALSE(s3.from_cache);
  auto c4 = stream_rules(o, &s4);
  EXPECT_TRUE(s4.from_cache);
  // A truncated file too.
  std::filesystem::resize_file(files[0], 50);
  CompileStats s5;
  stream_rules(o, &s5);
  EXPECT_FALSE(s5.from_cache);
  // A different rule set gets a different file.
  compile_text(
      std::string(kStreamRules) + "alert tcp any any -> any any (content:\"more\"; sid:5;)\n", o,
      &s5);
  EXPECT_FALSE(s5.from_cache);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            2);
  std::filesystem::remove_all(dir);
}

TEST(Engine, SetRulesSwapsBetweenPackets) {
  Worker w(compile_text(R"(alert tcp any any -> any any (content:"one"; sid:1;))"));
  Conn c(w);
  c.handshake();
  c.c2s(0, "one two");
  w.det.set_rules(compile_text(R"(
alert tcp any any -> any any (content:"two"; sid:2;)
alert udp any any -> any any (content:"two"; sid:3;)
)"));
  c.c2s(7, " one two");
  w.send(udp(kC, kS, 1, 2, "two"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1, 2, 3}));
}
// ---- hot path ----
TEST(Engine, NoAllocationPerPacket) {
  Worker w(compile_text(std::string(kStreamRules) + R"(
alert udp any any -> any any (content:"abc"; pcre:"/c[0-9]+d/"; sid:10;)
alert ip any any -> any any (flowbits:set,seen; sid:11;)
alert udp any any -> any any (content:"abc"; flowbits:isset,seen; sid:12;)
alert tcp any any -> any any (flags:S; sid:13;)
)"));
  w.sink.record = false;
  auto round = [&](Port base) {
    for (Port p = base; p < base + 20; ++p) {
      Conn c(w, p);
      c.handshake();
      c.c2s(0, "hdr USER ro");
      c.c2s(11, "ot attackpat");
      c.c2s(30, "out of order");
      c.c2s(23, "tern...");
      c.s2c(0, "reply", 42);
      w.send(udp(kC, kS, p, 53, "abc123d"));
    }
    w.table.flush(FlowEndReason::kShutdown, 1'000'000'000);
  };
  round(10000);  // warm-up: pools and lazily created state
  const uint64_t before = ts_test_allocations();
  const uint64_t alerts = w.sink.count;
  round(20000);
  round(30000);
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_GT(w.sink.count, alerts);
  EXPECT_EQ(w.det.stats().hs_errors.get(), 0u);
}

}  // namespace
}  // namespace ts::sig
