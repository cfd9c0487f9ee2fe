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
  C& nocase() { c.nocase = true; return *this; }
  C& neg() { c.negated = true; return *this; }
  C& offset(int64_t v) { c.offset = IntOrVar{v, -1}; return *this; }
  C& depth(int64_t v) { c.depth = IntOrVar{v, -1}; return *this; }
  C& distance(int64_t v) { c.distance = IntOrVar{v, -1}; c.relative = true; return *this; }
  C& within(int64_t v) { c.within = IntOrVar{v, -1}; c.relative = true; return *this; }
  C& fast() { c.fast_pattern = true; return *this; }
  operator PayloadOpt() const { return c; }
};

PayloadOpt pcre(std::string re, std::string flags = "") {
  PcreOpt p;
  p.regex = std::move(re);
  p.flags = std::move(flags);
  return p;
}

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

AddressSet cidr16(uint8_t a, uint8_t b) {
  AddressSet s;
  s.any = false;
  s.ranges.push_back({ip4(a, b, 0, 0), ip4(a, b, 255, 255)});
  return s;
}

FlowbitOp fb(FlowbitOp::Kind k, uint16_t bit) {
  FlowbitOp op;
  op.kind = k;
  op.bits = {bit};
  return op;
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
                                             std::vector<std::string> flowbits = {},
                                             CompileStats* st = nullptr) {
  RuleSet set;
  set.rules = std::move(rules);
  set.flowbit_names = std::move(flowbits);
  std::string err;
  auto cr = CompiledRules::compile(std::move(set), opts, &err, st);
  EXPECT_TRUE(cr) << err;
  return cr;
}

// One worker's flow table, TCP tracker and detector (registered as stream consumer).
class Worker : public FlowEndSink {
 public:
  explicit Worker(std::shared_ptr<const CompiledRules> cr, std::size_t memcap = 1u << 20,
                  bool reassembly = true)
      : table(FlowTableConfig{64, {}}, 0, 7, this),
        tracker(tcp_cfg(), table),
        det(std::move(cr), DetectorConfig{64, memcap, reassembly}, &sink) {
    if (reassembly) tracker.add_consumer(&det);
  }
  static TcpConfig tcp_cfg() {
    TcpConfig c;
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
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kTcp, {C("GET")}));
  rs.back().dport = ports(80, 80);
  rs.push_back(rule(2, Proto::kTcp, {C("GET")}));
  rs.back().dport = ports(443, 443);
  rs.push_back(rule(3, Proto::kTcp, {C("GET")}));
  rs.push_back(rule(4, Proto::kUdp, {C("GET")}));
  rs.push_back(rule(5, Proto::kIp, {C("GET")}));
  rs.push_back(rule(6, Proto::kTcp, {C("GET")}));  // responses: from port 80
  rs.back().sport = ports(80, 80);
  rs.push_back(rule(7, Proto::kTcp, {C("GET")}));  // a wide range stays in "any"
  rs.back().dport = ports(1024, 65535);
  CompileStats st;
  auto cr = compile(std::move(rs), {}, {}, &st);
  ASSERT_TRUE(cr);
  EXPECT_GE(st.groups, 6u);  // 4 "any" groups + dport 80, dport 443, sport 80
  Sink sink;
  Detector det(cr, DetectorConfig{0, 0, false}, &sink);
  const std::string get = "GET / HTTP/1.1";
  auto tcp = [&](Port sp, Port dp) {
    sink.clear();
    det.inspect(nullptr, Dir::kToServer,
                test::make_tcp(kC, kS, sp, dp, 1, 1, f::kAck, get, 1));
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
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("ping")}));
  rs.back().flow.to_server = true;
  rs.push_back(rule(2, Proto::kUdp, {C("ping")}));
  rs.back().flow.to_client = true;
  rs.push_back(rule(3, Proto::kUdp, {C("ping")}));
  rs.back().flow.established = true;
  Worker w(compile(std::move(rs)));
  w.send(udp(kC, kS, 5000, 53, "ping"));
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{1}));
  w.sink.clear();
  w.send(udp(kS, kC, 53, 5000, "ping"));  // the reply: to_client, and now established
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{2, 3}));
}

TEST(Engine, BidirectionalRules) {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("data")}));
  rs.back().src = cidr16(192, 168);
  rs.back().dport = ports(53, 53);
  rs.back().bidirectional = true;
  rs.push_back(rule(2, Proto::kUdp, {C("data")}));  // same, one-way
  rs.back().src = cidr16(192, 168);
  rs.back().dport = ports(53, 53);
  Worker w(compile(std::move(rs)));
  w.send(udp(kC, kS, 5000, 53, "data"));
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{1, 2}));
  w.sink.clear();
  w.send(udp(kS, kC, 53, 5000, "data"));
  EXPECT_EQ(w.sink.sorted_sids(), (std::vector<uint32_t>{1}));
  w.sink.clear();
  w.send(udp(kS, kC, 5000, 53, "data"));  // 10.x -> 192.168 to port 53: neither way
  EXPECT_TRUE(w.sink.sids().empty());
}

TEST(Engine, PathsExactPrefilterNoPattern) {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("abc"), C("def").distance(2).within(10)}));
  rs.push_back(rule(2, Proto::kUdp, {C("abc"), pcre("d+ef")}));
  rs.push_back(rule(3, Proto::kUdp, {pcre("x[0-9]+y", "i")}));
  rs.push_back(rule(4, Proto::kUdp, {C("zzz").neg()}));
  rs.push_back(rule(5, Proto::kUdp, {C("abc"), C("zzz").neg()}));
  rs.push_back(rule(6, Proto::kUdp, {}));  // header / IP-only
  rs.back().dsize = NumCmp{NumCmp::Op::kGt, 3, 0};
  rs.push_back(rule(7, Proto::kUdp, {}));
  CompileStats st;
  auto cr = compile(std::move(rs), {}, {}, &st);
  ASSERT_TRUE(cr);
  EXPECT_EQ(cr->path(0), Path::kExact);
  EXPECT_EQ(cr->path(1), Path::kPrefilter);
  EXPECT_EQ(cr->path(2), Path::kPrefilter);
  EXPECT_EQ(cr->path(3), Path::kNoPattern);
  EXPECT_EQ(cr->path(4), Path::kPrefilter);
  EXPECT_EQ(cr->path(5), Path::kHeader);
  EXPECT_EQ(cr->path(6), Path::kIpOnly);
  EXPECT_EQ(st.exact, 1u);
  EXPECT_EQ(st.prefiltered, 3u);
  EXPECT_EQ(st.no_pattern, 1u);
  EXPECT_EQ(st.ip_only, 1u);
  Sink sink;
  Detector det(cr, DetectorConfig{}, &sink);
  auto run = [&](std::string_view pl) {
    sink.clear();
    det.inspect(nullptr, Dir::kToServer, udp(kC, kS, 5000, 53, pl));
    return sink.sorted_sids();
  };
  EXPECT_EQ(run("abc..def"), (std::vector<uint32_t>{1, 2, 4, 5, 6, 7}));
  EXPECT_EQ(run("abc.def"), (std::vector<uint32_t>{2, 4, 5, 6, 7}));  // distance 2 unmet
  EXPECT_EQ(run("x12y zzz"), (std::vector<uint32_t>{3, 6, 7}));
  EXPECT_EQ(run("ab"), (std::vector<uint32_t>{4, 7}));
}

// Random content chains over a two-letter alphabet: every rule Hyperscan decides alone must
// agree with PayloadProgram on every payload, in block mode (UDP) and stream mode (TCP
// scanned packet by packet). Each rule has its own destination port, so a packet meets one.
TEST(Engine, ExactExpressionsAgreeWithPayloadProgram) {
  std::mt19937 rng(12345);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto word = [&](int len) {
    std::string s;
    for (int i = 0; i < len; ++i) s.push_back("abAB"[pick(pick(3) == 0 ? 4 : 2)]);
    return s;
  };
  constexpr int kRules = 120;
  std::vector<Rule> rs;
  for (int i = 0; i < kRules; ++i) {
    std::vector<PayloadOpt> opts;
    const int n = 1 + pick(3);
    for (int j = 0; j < n; ++j) {
      C c(word(1 + pick(3)));
      if (pick(3) == 0) c.nocase();
      const int64_t len = static_cast<int64_t>(c.c.pattern.size());
      if (j == 0) {
        if (pick(2)) c.offset(pick(4));
        if (pick(2)) c.depth(len + pick(5));
      } else {
        const int m = pick(3);
        if (m != 1) c.distance(pick(4));
        if (m != 0) c.within(len + pick(6));
      }
      opts.push_back(c);
    }
    for (Proto p : {Proto::kUdp, Proto::kTcp}) {
      rs.push_back(rule(static_cast<uint32_t>(rs.size() + 1), p, opts));
      rs.back().dport = ports(static_cast<uint16_t>(1000 + i), static_cast<uint16_t>(1000 + i));
    }
  }
  std::vector<std::unique_ptr<PayloadProgram>> progs;
  for (const Rule& r : rs) {
    std::string err;
    progs.push_back(PayloadProgram::build(r, &err));
    ASSERT_TRUE(progs.back()) << err;
  }
  auto cr = compile(rs);
  ASSERT_TRUE(cr);
  std::size_t exact = 0;
  for (uint32_t i = 0; i < rs.size(); ++i) {
    exact += cr->path(i) == Path::kExact;
    if (cr->path(i) != Path::kExact) {
      std::string d;
      for (const PayloadOpt& o : rs[i].payload) {
        const ContentOpt& c = std::get<ContentOpt>(o);
        d += "[" + c.pattern + (c.nocase ? " i" : "") +
             (c.offset ? " o" + std::to_string(c.offset->value) : "") +
             (c.depth ? " d" + std::to_string(c.depth->value) : "") +
             (c.distance ? " D" + std::to_string(c.distance->value) : "") +
             (c.within ? " W" + std::to_string(c.within->value) : "") + "]";
      }
      ADD_FAILURE() << "not exact: " << i << " " << d;
    }
  }
  EXPECT_EQ(exact, rs.size());
  Sink sink;
  Detector det(cr, DetectorConfig{0, 0, false}, &sink);
  MatchScratch ms;
  int matches = 0;
  for (int k = 0; k < 300; ++k) {
    const std::string pl = word(1 + pick(24));
    const auto* data = reinterpret_cast<const uint8_t*>(pl.data());
    for (int i = 0; i < kRules; ++i) {
      for (int t = 0; t < 2; ++t) {
        const uint32_t idx = static_cast<uint32_t>(2 * i + t);
        const bool want = progs[idx]->match({data, pl.size()}, ms);
        sink.clear();
        const Port dp = static_cast<Port>(1000 + i);
        det.inspect(nullptr, Dir::kToServer,
                    t == 0 ? udp(kC, kS, 5, dp, pl)
                           : test::make_tcp(kC, kS, 5, dp, 1, 1, f::kAck, pl, 1));
        ASSERT_EQ(!sink.alerts.empty(), want)
            << "rule " << idx << " payload '" << pl << "'";
        matches += want;
      }
    }
  }
  EXPECT_GT(matches, 1000);  // the sample exercises matches, not only misses
}

TEST(Engine, IpOnlyOncePerFlowDirection) {
  // 600 listed sources (like ET's compromised/ciarmy lists) -> 192.168/16.
  std::vector<Rule> rs;
  Rule list = rule(1, Proto::kIp);
  list.src.any = false;
  for (int i = 0; i < 600; ++i) {
    const IpAddr a = ip4(45, static_cast<uint8_t>(i / 200), static_cast<uint8_t>(i % 200), 7);
    list.src.ranges.push_back({a, a});
  }
  list.dst = cidr16(192, 168);
  rs.push_back(list);
  rs.push_back(rule(2, Proto::kIp));  // any -> any
  rs.push_back(rule(3, Proto::kUdp, {C("x")}));  // a payload rule fires every time
  CompileStats st;
  auto cr = compile(std::move(rs), {}, {}, &st);
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

TEST(Engine, IpOnlyBidirectionalAndPorts) {
  std::vector<Rule> rs;
  Rule r = rule(1, Proto::kTcp);
  r.src = cidr16(45, 1);
  r.dport = ports(22, 22);
  r.bidirectional = true;
  rs.push_back(r);
  Sink sink;
  auto cr = compile(std::move(rs));
  Detector det(cr, DetectorConfig{}, &sink);
  det.inspect(nullptr, Dir::kToServer,
              test::make_tcp(ip4(45, 1, 0, 1), kS, 999, 22, 1, 1, f::kSyn, "", 1));
  det.inspect(nullptr, Dir::kToServer,
              test::make_tcp(kS, ip4(45, 1, 0, 1), 22, 999, 1, 1, f::kAck, "", 1));
  det.inspect(nullptr, Dir::kToServer,
              test::make_tcp(kS, ip4(45, 1, 0, 1), 23, 999, 1, 1, f::kAck, "", 1));
  EXPECT_EQ(sink.sids(), (std::vector<uint32_t>{1, 1}));
}

TEST(Engine, FlowbitsAcrossPacketsAndWithinOne) {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("cmd")}));  // reader first in the file
  rs.back().flowbits = {fb(FlowbitOp::Kind::kIsSet, 0)};
  rs.push_back(rule(2, Proto::kUdp, {C("login")}));
  rs.back().flowbits = {fb(FlowbitOp::Kind::kSet, 0)};
  rs.back().noalert = true;
  rs.push_back(rule(3, Proto::kUdp, {C("cmd")}));
  rs.back().flowbits = {fb(FlowbitOp::Kind::kIsNotSet, 0)};
  rs.push_back(rule(4, Proto::kUdp, {C("logout")}));
  rs.back().flowbits = {fb(FlowbitOp::Kind::kUnset, 0)};
  rs.back().noalert = true;
  Worker w(compile(std::move(rs), {}, {"logged_in"}));
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
}

TEST(Engine, PassSuppressesLaterRules) {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("evil")}));
  rs.push_back(rule(2, Proto::kUdp, {C("evil")}));
  rs.back().action = Action::kPass;
  rs.back().src = cidr16(192, 168);
  rs.push_back(rule(3, Proto::kUdp, {C("evil")}));
  rs.back().action = Action::kDrop;
  Worker w(compile(std::move(rs)));
  w.send(udp(kC, kS, 1, 2, "evil"));  // passed: nothing
  EXPECT_TRUE(w.sink.sids().empty());
  w.send(udp(kS, kC, 2, 1, "evil"));  // from 10/8: drop first (IDS: alert), then alert
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3, 1}));
  EXPECT_FALSE(w.sink.alerts[0].blocked);
}

TEST(Engine, IpOnlyPassPassesTheWholeFlow) {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("evil")}));
  rs.push_back(rule(2, Proto::kIp));
  rs.back().action = Action::kPass;
  rs.back().dst = cidr16(10, 0);
  Worker w(compile(std::move(rs)));
  w.send(udp(kC, kS, 1, 2, "evil"));
  w.send(udp(kS, kC, 2, 1, "evil"));  // the reply direction too
  EXPECT_TRUE(w.sink.sids().empty());
  w.send(udp(kC, ip4(172, 16, 0, 1), 1, 2, "evil"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1}));
}

TEST(Engine, IpsDropBlocksTheFlow) {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kUdp, {C("evil")}));
  rs.back().action = Action::kDrop;
  rs.push_back(rule(2, Proto::kUdp, {C("a")}));
  CompileOptions o;
  o.ips_mode = true;
  Worker w(compile(std::move(rs), o));
  w.send(udp(kC, kS, 1, 2, "a"));
  Flow* fl = w.send(udp(kC, kS, 1, 2, "evil a"));
  ASSERT_EQ(w.sink.sids(), (std::vector<uint32_t>{2, 1, 2}));  // drop ranks before alert
  EXPECT_TRUE(w.sink.alerts[1].blocked);
  EXPECT_FALSE(w.sink.alerts[2].blocked);
  EXPECT_TRUE(w.det.flow_blocked(*fl));
  w.send(udp(kC, kS, 1, 2, "evil a"));  // the rest of the flow is dropped, not inspected
  EXPECT_EQ(w.sink.sids().size(), 3u);
}

TEST(Engine, AtMostFifteenAlertsPerPacketInRankOrder) {
  std::vector<Rule> rs;
  for (uint32_t i = 1; i <= 20; ++i) {
    rs.push_back(rule(i, Proto::kUdp, {C("x")}));
    rs.back().priority = i == 20 ? 1 : 3;
  }
  Sink sink;
  Detector det(compile(std::move(rs)), DetectorConfig{}, &sink);
  det.inspect(nullptr, Dir::kToServer, udp(kC, kS, 1, 2, "x"));
  ASSERT_EQ(sink.alerts.size(), 15u);
  EXPECT_EQ(sink.alerts[0].sid, 20u);  // priority 1 first
  EXPECT_EQ(sink.alerts[1].sid, 1u);
  EXPECT_EQ(det.stats().alerts_over_max.get(), 5u);
  EXPECT_EQ(det.stats().matches.get(), 20u);
}

// ---- TCP streams ----
std::vector<Rule> stream_rules() {
  std::vector<Rule> rs;
  rs.push_back(rule(1, Proto::kTcp, {C("attackpattern")}));
  rs.back().flow.to_server = true;
  rs.back().flow.established = true;
  rs.push_back(rule(2, Proto::kTcp, {C("USER"), C("root").distance(1).within(8)}));
  rs.push_back(rule(3, Proto::kTcp, {C("hdr").depth(3)}));  // stream start only
  rs.push_back(rule(4, Proto::kTcp, {C("attack"), pcre("pat+ern")}));  // prefilter
  return rs;
}

TEST(EngineStream, SplitAcrossSegmentsFiresOnce) {
  const std::string msg = "xxattackpatternyy";
  for (std::size_t parts : {std::size_t{1}, std::size_t{2}, std::size_t{3}, msg.size()}) {
    Worker w(compile(stream_rules()));
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
    // The prefilter rule is verified on the delivered chunk only (documented limit): it
    // fires when the whole match sits in one chunk.
    EXPECT_EQ(std::count(s.begin(), s.end(), 4u), parts == 1 ? 1 : 0) << parts << " parts";
  }
}

TEST(EngineStream, ChainAcrossSegmentsAndOutOfOrder) {
  Worker w(compile(stream_rules()));
  Conn c(w);
  c.handshake();
  c.c2s(0, "hdr USER ");
  c.c2s(12, "t now");   // ahead of the stream: buffered
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{3}));
  c.c2s(9, "roo");      // fills the hole: "hdr USER root now"
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
  Worker w(compile(stream_rules()));
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
  Worker w(compile(stream_rules()));
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

  Worker w2(compile(stream_rules()));
  Conn c2(w2);
  c2.handshake();
  c2.c2s(2, "attackpattern");  // first bytes "xx" late: everything waits in the buffer
  EXPECT_TRUE(w2.sink.sids().empty());
  c2.c2s(0, "xx");
  EXPECT_EQ(w2.sink.sids(), (std::vector<uint32_t>{1, 4}));
}

TEST(EngineStream, MemcapFallsBackToPackets) {
  Worker w(compile(stream_rules()), /*memcap=*/1);
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

TEST(EngineStream, StreamStatesAreReusedAcrossFlows) {
  Worker w(compile(stream_rules()));
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

// ---- cache ----
TEST(EngineCache, SecondCompileLoadsAndCorruptFileRecovers) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("ts_engine_cache_" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(dir);
  CompileOptions o;
  o.cache_dir = dir;
  CompileStats s1, s2, s3, s4;
  auto a = compile(stream_rules(), o, {}, &s1);
  auto b = compile(stream_rules(), o, {}, &s2);
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
    EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{2, 3, 1}));  // same packet: rule order
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
  auto c3 = compile(stream_rules(), o, {}, &s3);
  EXPECT_FALSE(s3.from_cache);
  auto c4 = compile(stream_rules(), o, {}, &s4);
  EXPECT_TRUE(s4.from_cache);
  // A truncated file too.
  std::filesystem::resize_file(files[0], 50);
  CompileStats s5;
  compile(stream_rules(), o, {}, &s5);
  EXPECT_FALSE(s5.from_cache);
  // A different rule set gets a different file.
  auto rs = stream_rules();
  rs.pop_back();
  compile(std::move(rs), o, {}, &s5);
  EXPECT_FALSE(s5.from_cache);
  std::filesystem::remove_all(dir);
}

TEST(Engine, SetRulesSwapsBetweenPackets) {
  std::vector<Rule> r1, r2;
  r1.push_back(rule(1, Proto::kTcp, {C("one")}));
  r2.push_back(rule(2, Proto::kTcp, {C("two")}));
  r2.push_back(rule(3, Proto::kUdp, {C("two")}));
  Worker w(compile(std::move(r1)));
  Conn c(w);
  c.handshake();
  c.c2s(0, "one two");
  w.det.set_rules(compile(std::move(r2)));
  c.c2s(7, " one two");
  w.send(udp(kC, kS, 1, 2, "two"));
  EXPECT_EQ(w.sink.sids(), (std::vector<uint32_t>{1, 2, 3}));
}

// ---- hot path ----
TEST(Engine, NoAllocationPerPacket) {
  std::vector<Rule> rs = stream_rules();
  rs.push_back(rule(10, Proto::kUdp, {C("abc"), pcre("c[0-9]+d")}));
  rs.push_back(rule(11, Proto::kIp));
  rs.back().flowbits = {fb(FlowbitOp::Kind::kSet, 0)};
  rs.push_back(rule(12, Proto::kUdp, {C("abc")}));
  rs.back().flowbits = {fb(FlowbitOp::Kind::kIsSet, 0)};
  Worker w(compile(std::move(rs), {}, {"seen"}));
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
