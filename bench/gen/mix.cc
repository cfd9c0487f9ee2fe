#include "bench/gen/mix.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <span>
#include <string>
#include <vector>

#include "bench/gen/fix_msg.h"
#include "bench/gen/net.h"
#include "bench/gen/rng.h"
#include "bench/gen/tcp_conn.h"

namespace tsgen {
namespace {

constexpr uint64_t kMs = 1000;
constexpr uint64_t kSec = 1000000;

// ---------------------------------------------------------------------------------------
// Address plan (private ranges only). IPv6 addresses mirror IPv4: a.b.c.d -> fd00:a:b:c::d.
Host make_host(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t vlan) {
  Host h{};
  h.mac = Mac{{0x02, 0x00, a, b, c, d}};
  h.vlan = vlan;
  h.v4[0] = a, h.v4[1] = b, h.v4[2] = c, h.v4[3] = d;
  std::memset(h.v6, 0, 16);
  h.v6[0] = 0xfd;
  h.v6[3] = a;
  h.v6[5] = b;
  h.v6[7] = c;
  h.v6[15] = d;
  return h;
}

constexpr uint16_t kTradingVlan = 100;
constexpr uint16_t kDmzVlan = 200;
constexpr uint16_t kFix44Port = 9876;
constexpr uint16_t kFix42Port = 9878;
constexpr uint16_t kStepPort = 9129;

// How FIX sessions behave: the mix's, or the FIX-heavy profile's (busier, longer sessions,
// more client hosts, more NewOrderSingles split across segments).
struct FixTraffic {
  int clients = 20;              // OMS client hosts 10.10.1.11.. (then 10.10.2.11.., ...)
  double gap_min_ms = 20.0;      // per-session mean order gap, log-uniform in
  double gap_span = 2000.0;      // [gap_min_ms, gap_min_ms * gap_span]
  double quiet_share = 0.0;      // sessions idle enough for heartbeats (mean gap 5-60 s)
  int64_t actions_min = 30, actions_max = 400;
  double split_share = 0.08;     // NewOrderSingles written as two TCP segments
};

struct Ctx {
  Ctx(const GenOptions& o, const FixTraffic& ft) : rng(o.seed), opt(o), fix(ft) {
    fix44_gw = make_host(10, 10, 0, 10, kTradingVlan);
    fix42_gw = make_host(10, 10, 0, 11, kTradingVlan);
    for (int i = 0; i < fix.clients; ++i)
      fix_clients.push_back(make_host(10, 10, static_cast<uint8_t>(1 + i / 200),
                                      static_cast<uint8_t>(11 + i % 200),
                                      i % 2 == 0 ? kTradingVlan : 0));
    step_gw = make_host(172, 16, 50, 20, 0);
    for (uint8_t i = 0; i < 4; ++i)
      step_clients.push_back(make_host(172, 16, 1, static_cast<uint8_t>(11 + i), kDmzVlan));
    for (uint8_t i = 0; i < 2; ++i) md_src.push_back(make_host(10, 30, 0, static_cast<uint8_t>(11 + i), 0));
    portal = make_host(10, 20, 0, 10, 0);
    for (uint8_t i = 0; i < 3; ++i) tls_srv.push_back(make_host(10, 20, 0, static_cast<uint8_t>(20 + i), 0));
    ssh_srv = make_host(10, 20, 0, 30, 0);
    dns_srv = make_host(10, 20, 0, 53, 0);
    for (uint8_t i = 0; i < 50; ++i) users.push_back(make_host(192, 168, 10, static_cast<uint8_t>(11 + i), 0));
    // Host indices for ephemeral-port counters are the host's last two address bytes.
    next_port.fill(0);
    // Filler text for HTTP bodies: fixed, so bodies cost a memcpy.
    for (int i = 0; filler.size() < 200000; ++i) {
      char line[160];
      std::snprintf(line, sizeof line,
                    "<tr class=\"row\"><td>%06d</td><td>%d.%02d</td><td>%d</td></tr>\n",
                    600000 + i * 7 % 4000, 10 + i % 90, i % 100, (i * 37) % 5000 * 100);
      filler += line;
    }
  }

  uint16_t ephemeral(const Host& h) {
    uint16_t& p = next_port[static_cast<size_t>(h.v4[2]) << 8 | h.v4[3]];
    if (p == 0) p = static_cast<uint16_t>(32768 + rng.below(20000));
    p = static_cast<uint16_t>(p + 1 + rng.below(7));
    if (p > 60999 || p < 32768) p = static_cast<uint16_t>(32768 + rng.below(64));
    return p;
  }
  bool pick_v6() { return rng.chance(opt.ipv6_share); }
  uint32_t r32() { return static_cast<uint32_t>(rng.next()); }
  TcpConn conn(Outbox* ob, const Host& c, const Host& s, uint16_t sport, bool v6) {
    FlowL2 l2{&c, &s, v6, c.vlan ? c.vlan : s.vlan};
    return TcpConn(ob, l2, ephemeral(c), sport, r32(), r32(), r32(), r32());
  }

  Rng rng;
  GenOptions opt;
  FixTraffic fix;
  Host fix44_gw, fix42_gw, step_gw, portal, ssh_srv, dns_srv;
  std::vector<Host> fix_clients, step_clients, md_src, tls_srv, users;
  std::array<uint16_t, 65536> next_port;
  std::string filler;
};

class Session {
 public:
  virtual ~Session() = default;
  // Generates the next batch of packets (all at or after the previous batch). Returns
  // false when the session has ended and produced nothing.
  virtual bool refill() = 0;
  Outbox ob;
};

// ---------------------------------------------------------------------------------------
// FIX 4.2 / FIX 4.4 / STEP order entry.

struct Instrument {
  const char* symbol;
  int64_t price;  // in 10^-decimals units
  int decimals;
  bool future;
  const char* exchange;  // STEP SecurityExchange (207)
};

constexpr Instrument kInstruments[] = {
    {"600519", 168500, 2, false, "XSHG"}, {"601318", 4512, 2, false, "XSHG"},
    {"600036", 3318, 2, false, "XSHG"},   {"601988", 452, 2, false, "XSHG"},
    {"000001", 1056, 2, false, "XSHE"},   {"000858", 14020, 2, false, "XSHE"},
    {"300750", 18233, 2, false, "XSHE"},  {"002594", 25410, 2, false, "XSHE"},
    {"IF2409", 33024, 1, true, ""},       {"IC2409", 51206, 1, true, ""},
    {"AU2412", 56044, 2, true, ""},       {"RB2501", 3315, 0, true, ""},
};
constexpr size_t kStockCount = 8;
constexpr size_t kInstrumentCount = sizeof kInstruments / sizeof kInstruments[0];

enum class FixKind { kFix42, kFix44, kStep };

class FixSession : public Session {
 public:
  FixSession(Ctx& ctx, FixKind kind, uint64_t start, int slot) : ctx_(ctx), kind_(kind) {
    Rng& r = ctx.rng;
    const Host* client;
    const Host* server;
    uint16_t port;
    if (kind == FixKind::kStep) {
      client = &ctx.step_clients[r.below(ctx.step_clients.size())];
      server = &ctx.step_gw;
      port = kStepPort;
      begin_ = "STEP.1.0.0";
      rtt_ = static_cast<uint64_t>(r.range(2000, 6000));  // exchange peer
      proc_ = static_cast<uint64_t>(r.range(300, 1500));
      std::snprintf(sender_, sizeof sender_, "BRK%03d", 100 + slot);
      std::snprintf(target_, sizeof target_, "SSEGW");
      std::snprintf(account_, sizeof account_, "A%09u", static_cast<unsigned>(r.below(1000000000)));
    } else {
      client = &ctx.fix_clients[r.below(ctx.fix_clients.size())];
      bool v44 = kind == FixKind::kFix44;
      server = v44 ? &ctx.fix44_gw : &ctx.fix42_gw;
      port = v44 ? kFix44Port : kFix42Port;
      begin_ = v44 ? "FIX.4.4" : "FIX.4.2";
      rtt_ = static_cast<uint64_t>(r.range(30, 120));
      proc_ = static_cast<uint64_t>(r.range(40, 400));
      std::snprintf(sender_, sizeof sender_, "OMS%02d", slot);
      std::snprintf(target_, sizeof target_, v44 ? "GW44" : "GW42");
    }
    conn_ = ctx.conn(&ob, *client, *server, port, ctx.pick_v6());
    // Order rate per session spans quiet (heartbeats show) to busy algos.
    const FixTraffic& ft = ctx.fix;
    mean_gap_us_ = static_cast<double>(kMs) *
                   std::exp(std::log(ft.gap_min_ms) + r.unit() * std::log(ft.gap_span));
    if (ft.quiet_share > 0 && r.chance(ft.quiet_share))
      mean_gap_us_ = static_cast<double>(kSec) * (5.0 + 55.0 * r.unit());
    actions_left_ = static_cast<int>(r.range(ft.actions_min, ft.actions_max));
    next_t_ = start;
    tag_ = static_cast<unsigned>(r.below(100000));
  }

  bool refill() override {
    ob.reset();
    switch (state_) {
      case 0:
        logon();
        state_ = 1;
        break;
      case 1:
        if (--actions_left_ <= 0) {
          logout();
          state_ = 2;
        } else {
          action();
        }
        break;
      default:
        return false;
    }
    ob.sort();
    return true;
  }

 private:
  struct Order {
    std::string clordid;
    uint32_t inst;
    int side;
    int64_t qty, leaves, price;
    int ord_type;
  };

  void msg(int dir, const char* type, uint64_t t) {
    if (dir == 0) {
      fb_.start(begin_, type, sender_, target_, seq_[0]++, t);
    } else {
      fb_.start(begin_, type, target_, sender_, seq_[1]++, t);
    }
  }
  uint64_t ackd() { return static_cast<uint64_t>(ctx_.rng.range(15, 120)); }
  uint64_t resp_t(uint64_t t) { return t + rtt_ + proc_ / 2 + ctx_.rng.below(proc_); }

  void logon() {
    uint64_t t = conn_.open(next_t_, rtt_);
    t += static_cast<uint64_t>(ctx_.rng.range(100, 2000));
    buf_.clear();
    msg(0, "A", t);
    fb_.add(98, int64_t{0});
    fb_.add(108, int64_t{30});
    fb_.add(141, "Y");
    if (kind_ != FixKind::kFix42) {
      char user[sizeof sender_ + 1];
      std::snprintf(user, sizeof user, "u%s", sender_);
      fb_.add(553, user);
      fb_.add(554, "s3cr3t!Pw");
    }
    fb_.finish(buf_);
    t = conn_.send(0, t, buf_);
    last_tx_[0] = t;
    t = resp_t(t);
    buf_.clear();
    msg(1, "A", t);
    fb_.add(98, int64_t{0});
    fb_.add(108, int64_t{30});
    fb_.add(141, "Y");
    fb_.finish(buf_);
    t = conn_.send(1, t, buf_);
    last_tx_[1] = t;
    t = conn_.ack(0, t + ackd());
    schedule_next(t);
  }

  void logout() {
    uint64_t t = next_t_;
    buf_.clear();
    msg(0, "5", t);
    fb_.finish(buf_);
    t = conn_.send(0, t, buf_);
    t = resp_t(t);
    buf_.clear();
    msg(1, "5", t);
    fb_.finish(buf_);
    t = conn_.send(1, t, buf_);
    t += static_cast<uint64_t>(ctx_.rng.range(200, 3000));
    conn_.close(0, t, rtt_);
  }

  void schedule_next(uint64_t after) {
    uint64_t gap = static_cast<uint64_t>(ctx_.rng.exponential(mean_gap_us_)) + 50;
    next_t_ = after + gap;
  }

  const Instrument& inst(uint32_t i) const { return kInstruments[i]; }

  void add_common_order(const Order& o, uint64_t t) {
    const Instrument& in = inst(o.inst);
    if (kind_ == FixKind::kStep) {
      fb_.add(1, account_);
    }
    fb_.add(55, in.symbol);
    if (kind_ == FixKind::kStep) fb_.add(207, in.exchange);
    fb_.add(54, static_cast<int64_t>(o.side));
    fb_.add_time(60, t);
  }

  void exec_report(const Order& o, uint64_t t, char exec, char status, int64_t last_qty) {
    msg(1, "8", t);
    const Instrument& in = inst(o.inst);
    char id[32];
    std::snprintf(id, sizeof id, "O%u-%s", tag_, o.clordid.c_str() + 1);
    fb_.add(37, id);
    fb_.add(11, o.clordid);
    std::snprintf(id, sizeof id, "E%u-%llu", tag_, static_cast<unsigned long long>(++exec_id_));
    fb_.add(17, id);
    if (kind_ == FixKind::kFix42) fb_.add(20, "0");
    char e[2] = {exec, 0}, s[2] = {status, 0};
    fb_.add(150, e);
    fb_.add(39, s);
    if (kind_ == FixKind::kStep) fb_.add(1, account_);
    fb_.add(55, in.symbol);
    fb_.add(54, static_cast<int64_t>(o.side));
    fb_.add(38, o.qty);
    fb_.add(40, static_cast<int64_t>(o.ord_type));
    if (o.ord_type == 2) fb_.add_price(44, o.price, in.decimals);
    if (last_qty > 0) {
      fb_.add(32, last_qty);
      fb_.add_price(31, o.price, in.decimals);
    }
    fb_.add(151, o.leaves);
    fb_.add(14, o.qty - o.leaves);
    fb_.add_price(6, last_qty > 0 || o.leaves < o.qty ? o.price : 0, in.decimals);
    fb_.add_time(60, t);
    fb_.finish(buf_);
  }

  // Fill of `o` by `q` units: ExecType F (4.4/STEP) or 1/2 (4.2).
  void fill_report(Order& o, int64_t q, uint64_t t) {
    o.leaves -= q;
    bool done = o.leaves == 0;
    char exec = kind_ == FixKind::kFix42 ? (done ? '2' : '1') : 'F';
    exec_report(o, t, exec, done ? '2' : '1', q);
  }

  int64_t fill_qty(const Order& o) {
    if (o.leaves <= 1 || ctx_.rng.chance(0.6)) return o.leaves;
    int64_t lot = inst(o.inst).future ? 1 : 100;
    int64_t lots = o.leaves / lot;
    if (lots <= 1) return o.leaves;
    return lot * ctx_.rng.range(1, lots - 1);
  }

  void client_then_server(uint64_t t, size_t split) {
    uint64_t gap = static_cast<uint64_t>(ctx_.rng.range(5, 80));
    t = conn_.send(0, t, buf_, split, gap);
    last_tx_[0] = t;
    pending_resp_t_ = resp_t(t);
  }

  void action() {
    Rng& r = ctx_.rng;
    uint64_t t = next_t_;
    // Heartbeats when the line has been idle for HeartBtInt.
    if (t > last_tx_[0] + 30 * kSec) {
      t = last_tx_[0] + 30 * kSec;
      buf_.clear();
      msg(0, "0", t);
      fb_.finish(buf_);
      t = conn_.send(0, t, buf_);
      last_tx_[0] = t;
      t = conn_.ack(1, t + rtt_ + ackd());
      uint64_t ts = t + static_cast<uint64_t>(r.range(1000, 900000));
      buf_.clear();
      msg(1, "0", ts);
      fb_.finish(buf_);
      ts = conn_.send(1, ts, buf_);
      last_tx_[1] = ts;
      conn_.ack(0, ts + ackd());
      ++actions_left_;  // a heartbeat does not use up the session's order flow
      next_t_ = std::max(next_t_, ts + 1000);
      return;
    }
    uint64_t pick = r.below(100);
    if (open_.empty() && pick >= 45 && pick < 85) pick = 0;
    buf_.clear();
    if (pick < 45) {
      new_order(t);
    } else if (pick < 65) {
      size_t i = r.below(open_.size());
      Order& o = open_[i];
      fill_report(o, fill_qty(o), t);
      t = conn_.send(1, t, buf_);
      last_tx_[1] = t;
      t = conn_.ack(0, t + ackd());
      if (o.leaves == 0) open_.erase(open_.begin() + static_cast<long>(i));
      schedule_next(t);
    } else if (pick < 77) {
      cancel(r.below(open_.size()), t);
    } else if (pick < 85) {
      replace(r.below(open_.size()), t);
    } else if (pick < 92 && kind_ == FixKind::kFix44) {
      md_request(t);
    } else if (pick < 96) {
      new_order(t);
    } else {
      msg(0, "1", t);
      char id[24];
      std::snprintf(id, sizeof id, "TEST%llu", static_cast<unsigned long long>(t / 1000));
      fb_.add(112, id);
      fb_.finish(buf_);
      client_then_server(t, 0);
      buf_.clear();
      msg(1, "0", pending_resp_t_);
      fb_.add(112, id);
      fb_.finish(buf_);
      server_reply();
    }
  }

  void server_reply() {
    uint64_t t = conn_.send(1, pending_resp_t_, buf_);
    last_tx_[1] = t;
    t = conn_.ack(0, t + ackd());
    schedule_next(t);
  }

  void new_order(uint64_t t) {
    Rng& r = ctx_.rng;
    Order o;
    char id[24];
    std::snprintf(id, sizeof id, "C%u%07u", tag_ % 1000, ++clord_);
    o.clordid = id;
    o.inst = static_cast<uint32_t>(r.below(kind_ == FixKind::kStep ? kStockCount : kInstrumentCount));
    const Instrument& in = inst(o.inst);
    o.side = static_cast<int>(1 + r.below(2));
    o.qty = in.future ? r.range(1, 20) : 100 * r.range(1, 50);
    o.leaves = o.qty;
    o.ord_type = r.chance(0.85) ? 2 : 1;
    int64_t tick = std::max<int64_t>(1, in.price / 1000);
    o.price = in.price + tick * r.range(-20, 20);
    msg(0, "D", t);
    fb_.add(11, o.clordid);
    if (kind_ == FixKind::kFix42) fb_.add(21, "1");
    add_common_order(o, t);
    fb_.add(38, o.qty);
    fb_.add(40, static_cast<int64_t>(o.ord_type));
    if (o.ord_type == 2) fb_.add_price(44, o.price, in.decimals);
    fb_.add(59, "0");
    if (kind_ == FixKind::kStep) {
      fb_.add(522, "1");
      fb_.add(544, "1");
    }
    fb_.finish(buf_);
    size_t split = r.chance(ctx_.fix.split_share) ? 1 + r.below(buf_.size() - 1) : 0;
    client_then_server(t, split);
    buf_.clear();
    uint64_t rt = pending_resp_t_;
    exec_report(o, rt, '0', '0', 0);
    // Market orders fill at once; limit orders sometimes; ack + fill share a segment.
    if (o.ord_type == 1 || r.chance(0.3)) fill_report(o, fill_qty(o), rt);
    if (o.leaves > 0) {
      if (open_.size() >= 16) open_.erase(open_.begin());
      open_.push_back(o);
    }
    server_reply();
  }

  void cancel(size_t i, uint64_t t) {
    Order& o = open_[i];
    msg(0, "F", t);
    std::string orig = o.clordid;
    char id[24];
    std::snprintf(id, sizeof id, "C%u%07u", tag_ % 1000, ++clord_);
    fb_.add(11, id);
    fb_.add(41, orig);
    add_common_order(o, t);
    fb_.add(38, o.qty);
    fb_.finish(buf_);
    client_then_server(t, 0);
    buf_.clear();
    o.clordid = id;
    o.leaves = 0;
    exec_report(o, pending_resp_t_, '4', '4', 0);
    open_.erase(open_.begin() + static_cast<long>(i));
    server_reply();
  }

  void replace(size_t i, uint64_t t) {
    Order& o = open_[i];
    const Instrument& in = inst(o.inst);
    msg(0, "G", t);
    std::string orig = o.clordid;
    char id[24];
    std::snprintf(id, sizeof id, "C%u%07u", tag_ % 1000, ++clord_);
    o.clordid = id;
    o.price += std::max<int64_t>(1, in.price / 1000) * (o.side == 1 ? 1 : -1);
    o.ord_type = 2;
    fb_.add(11, o.clordid);
    fb_.add(41, orig);
    if (kind_ == FixKind::kFix42) fb_.add(21, "1");
    add_common_order(o, t);
    fb_.add(38, o.qty);
    fb_.add(40, int64_t{2});
    fb_.add_price(44, o.price, in.decimals);
    fb_.finish(buf_);
    client_then_server(t, 0);
    buf_.clear();
    exec_report(o, pending_resp_t_, '5', o.leaves < o.qty ? '1' : '0', 0);
    server_reply();
  }

  // MarketDataRequest answered by a snapshot large enough to span TCP segments.
  void md_request(uint64_t t) {
    Rng& r = ctx_.rng;
    const Instrument& in = kInstruments[r.below(kInstrumentCount)];
    char id[24];
    std::snprintf(id, sizeof id, "MD%u", ++clord_);
    msg(0, "V", t);
    fb_.add(262, id);
    fb_.add(263, "0");
    fb_.add(264, int64_t{0});
    fb_.add(267, int64_t{2});
    fb_.add(269, "0");
    fb_.add(269, "1");
    fb_.add(146, int64_t{1});
    fb_.add(55, in.symbol);
    fb_.finish(buf_);
    client_then_server(t, 0);
    buf_.clear();
    msg(1, "W", pending_resp_t_);
    fb_.add(262, id);
    fb_.add(55, in.symbol);
    int entries = static_cast<int>(r.range(20, 80));
    fb_.add(268, static_cast<int64_t>(entries));
    int64_t tick = std::max<int64_t>(1, in.price / 1000);
    for (int k = 0; k < entries; ++k) {
      bool bid = k % 2 == 0;
      fb_.add(269, bid ? "0" : "1");
      fb_.add_price(270, in.price + (bid ? -1 : 1) * tick * (1 + k / 2), in.decimals);
      fb_.add(271, in.future ? r.range(1, 300) : 100 * r.range(1, 900));
      fb_.add(290, static_cast<int64_t>(1 + k / 2));
    }
    fb_.finish(buf_);
    server_reply();
  }

  Ctx& ctx_;
  FixKind kind_;
  const char* begin_;
  char sender_[16], target_[16], account_[16] = "";
  TcpConn conn_;
  FixBuilder fb_;
  std::string buf_;
  uint64_t rtt_, proc_, next_t_, pending_resp_t_ = 0;
  uint64_t last_tx_[2] = {0, 0};
  uint64_t seq_[2] = {1, 1};
  uint64_t exec_id_ = 0;
  double mean_gap_us_;
  int actions_left_;
  int state_ = 0;
  unsigned tag_, clord_ = 0;
  std::vector<Order> open_;
};

// ---------------------------------------------------------------------------------------
// UDP multicast market data: one channel, never ends.

class MdChannel : public Session {
 public:
  MdChannel(Ctx& ctx, int ch, uint64_t start, double pps)
      : ctx_(ctx), src_(&ctx.md_src[static_cast<size_t>(ch) % ctx.md_src.size()]),
        sport_(static_cast<uint16_t>(40000 + ch)), dport_(static_cast<uint16_t>(30001 + ch)),
        mean_gap_us_(1e6 / pps), t_(start), seq_(1 + ctx.rng.below(1000000)) {
    group_ = make_host(239, 10, 1, static_cast<uint8_t>(1 + ch), 0);
    dmac_ = multicast_mac(group_.v4);
  }

  bool refill() override {
    ob.reset();
    Rng& r = ctx_.rng;
    t_ += 1 + static_cast<uint64_t>(r.exponential(mean_gap_us_));
    payload_.clear();
    int count = r.chance(0.02) ? 0 : static_cast<int>(1 + r.below(8));
    put64(payload_, seq_);
    put16(payload_, static_cast<uint16_t>(count));
    uint64_t ns = (ctx_.opt.start_us + t_) * 1000 - static_cast<uint64_t>(r.range(2000, 40000));
    for (int i = 0; i < count; ++i) {
      uint32_t inst = static_cast<uint32_t>(r.below(kInstrumentCount));
      int64_t px = kInstruments[inst].price;
      for (int d = kInstruments[inst].decimals; d < 4; ++d) px *= 10;
      if (r.chance(0.8)) {
        put16(payload_, 37);
        put8(payload_, 'Q');
        put32(payload_, 1000 + inst);
        put64(payload_, static_cast<uint64_t>(px - r.range(1, 5) * 100));
        put32(payload_, static_cast<uint32_t>(100 * r.range(1, 500)));
        put64(payload_, static_cast<uint64_t>(px + r.range(1, 5) * 100));
        put32(payload_, static_cast<uint32_t>(100 * r.range(1, 500)));
        put64(payload_, ns);
      } else {
        put16(payload_, 25);
        put8(payload_, 'T');
        put32(payload_, 1000 + inst);
        put64(payload_, static_cast<uint64_t>(px));
        put32(payload_, static_cast<uint32_t>(100 * r.range(1, 200)));
        put64(payload_, ns);
      }
    }
    seq_ += static_cast<uint64_t>(count);
    emit_udp(ob, t_, *src_, group_, dmac_, false, 0, sport_, dport_, payload_.data(),
             payload_.size(), 32, ip_id_++, scratch_);
    return true;
  }

 private:
  Ctx& ctx_;
  const Host* src_;
  Host group_;
  Mac dmac_;
  uint16_t sport_, dport_;
  double mean_gap_us_;
  uint64_t t_, seq_;
  uint16_t ip_id_ = 0;
  Bytes payload_, scratch_;
};

// ---------------------------------------------------------------------------------------
// HTTP/1.1 portal user over one keep-alive connection.

class HttpSession : public Session {
 public:
  HttpSession(Ctx& ctx, uint64_t start) : ctx_(ctx), t_(start) {
    Rng& r = ctx.rng;
    const Host& u = ctx.users[r.below(ctx.users.size())];
    conn_ = ctx.conn(&ob, u, ctx.portal, 80, ctx.pick_v6());
    rtt_ = static_cast<uint64_t>(r.range(150, 600));
    user_ = static_cast<unsigned>(r.below(9000) + 1000);
    step_ = r.chance(0.5) ? 0 : 4;  // fresh visit, or straight to the quote API
    left_ = static_cast<int>(r.range(3, 14));
  }

  bool refill() override {
    ob.reset();
    Rng& r = ctx_.rng;
    if (state_ == 2) return false;
    if (state_ == 0) {
      t_ = conn_.open(t_, rtt_) + static_cast<uint64_t>(r.range(50, 400));
      state_ = 1;
    }
    if (left_-- <= 0) {
      conn_.close(0, t_, rtt_);
      state_ = 2;
      ob.sort();
      return true;
    }
    req_.clear();
    char head[512];
    const char* ctype = "text/html; charset=utf-8";
    size_t body = 0;
    int status = 200;
    const char* extra = "";
    std::string form;
    switch (step_) {
      case 0:
        add_get("/");
        body = static_cast<size_t>(r.range(3000, 12000));
        break;
      case 1:
        add_get("/static/app.js");
        ctype = "application/javascript";
        body = static_cast<size_t>(r.range(15000, 48000));
        break;
      case 2:
        add_get("/login");
        body = static_cast<size_t>(r.range(1500, 3000));
        break;
      case 3: {
        char f[128];
        std::snprintf(f, sizeof f, "username=trader%u&password=Pw%u%%21x&remember=1", user_,
                      static_cast<unsigned>(r.below(100000)));
        form = f;
        std::snprintf(head, sizeof head,
                      "POST /login HTTP/1.1\r\nHost: portal.broker.internal\r\n"
                      "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
                      form.size());
        req_ = head;
        req_ += form;
        status = 302;
        extra = "Location: /portfolio\r\nSet-Cookie: sid=8f3a9c; HttpOnly\r\n";
        break;
      }
      case 4:
        add_get("/portfolio");
        body = static_cast<size_t>(r.range(4000, 20000));
        break;
      default: {
        char path[96];
        std::snprintf(path, sizeof path, "/api/quote?symbol=%s",
                      kInstruments[r.below(kInstrumentCount)].symbol);
        add_get(path);
        ctype = "application/json";
        body = 0;
        break;
      }
    }
    uint64_t t = conn_.send(0, t_, req_);
    t += rtt_ + static_cast<uint64_t>(r.range(200, 3000));
    resp_.clear();
    std::string json;
    if (step_ >= 5) {
      char j[256];
      const Instrument& in = kInstruments[r.below(kInstrumentCount)];
      std::snprintf(j, sizeof j,
                    "{\"symbol\":\"%s\",\"last\":%lld,\"bid\":%lld,\"ask\":%lld,\"volume\":%llu}",
                    in.symbol, static_cast<long long>(in.price), static_cast<long long>(in.price - 1),
                    static_cast<long long>(in.price + 1), static_cast<unsigned long long>(r.below(10000000)));
      json = j;
      body = json.size();
    }
    std::snprintf(head, sizeof head,
                  "HTTP/1.1 %d %s\r\nServer: nginx\r\nContent-Type: %s\r\n"
                  "Content-Length: %zu\r\n%sConnection: keep-alive\r\n\r\n",
                  status, status == 200 ? "OK" : "Found", ctype, body, extra);
    resp_ = head;
    if (!json.empty()) {
      resp_ += json;
    } else if (body) {
      size_t off = r.below(ctx_.filler.size() - body);
      resp_.append(ctx_.filler, off, body);
    }
    t = conn_.send(1, t, resp_);
    t = conn_.ack(0, t + static_cast<uint64_t>(r.range(20, 200)));
    ++step_;
    t_ = t + static_cast<uint64_t>(r.exponential(step_ <= 4 ? 300000.0 : 2000000.0)) + 1000;
    ob.sort();
    return true;
  }

 private:
  void add_get(const char* path) {
    char h[512];
    std::snprintf(h, sizeof h,
                  "GET %s HTTP/1.1\r\nHost: portal.broker.internal\r\n"
                  "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n"
                  "Accept: */*\r\nConnection: keep-alive\r\n\r\n",
                  path);
    req_ = h;
  }

  Ctx& ctx_;
  TcpConn conn_;
  uint64_t t_, rtt_;
  unsigned user_;
  int step_, left_, state_ = 0;
  std::string req_, resp_;
};

// ---------------------------------------------------------------------------------------
// DNS lookups over UDP 53.

constexpr const char* kNames[] = {
    "portal.broker.internal", "fixgw1.broker.internal", "fixgw2.broker.internal",
    "md.broker.internal",     "ntp.broker.internal",    "mail.broker.internal",
    "sso.broker.internal",    "api.quotes.internal",    "risk.broker.internal"};

class DnsSession : public Session {
 public:
  DnsSession(Ctx& ctx, uint64_t start) : ctx_(ctx), t_(start) {
    Rng& r = ctx.rng;
    client_ = &ctx.users[r.below(ctx.users.size())];
    v6_ = ctx.pick_v6();
    left_ = static_cast<int>(r.range(1, 4));
  }

  bool refill() override {
    ob.reset();
    if (left_-- <= 0) return false;
    Rng& r = ctx_.rng;
    const char* name = kNames[r.below(sizeof kNames / sizeof kNames[0])];
    bool aaaa = v6_ || r.chance(0.1);
    uint16_t id = static_cast<uint16_t>(r.next());
    uint16_t sport = ctx_.ephemeral(*client_);
    q_.clear();
    put16(q_, id);
    put16(q_, 0x0100);
    put16(q_, 1);
    put16(q_, 0);
    put16(q_, 0);
    put16(q_, 0);
    for (const char* p = name; *p;) {
      const char* dot = std::strchr(p, '.');
      size_t len = dot ? static_cast<size_t>(dot - p) : std::strlen(p);
      put8(q_, static_cast<uint8_t>(len));
      put(q_, p, len);
      p += len + (dot ? 1 : 0);
    }
    put8(q_, 0);
    put16(q_, aaaa ? 28 : 1);
    put16(q_, 1);
    const Host& srv = ctx_.dns_srv;
    emit_udp(ob, t_, *client_, srv, srv.mac, v6_, 0, sport, 53, q_.data(), q_.size(), 64,
             static_cast<uint16_t>(r.next()), scratch_);
    a_ = q_;
    set16(a_.data() + 2, 0x8180);
    set16(a_.data() + 6, 1);
    put16(a_, 0xc00c);
    put16(a_, aaaa ? 28 : 1);
    put16(a_, 1);
    put32(a_, 300);
    uint8_t last = static_cast<uint8_t>(10 + r.below(200));
    if (aaaa) {
      Host h = make_host(10, 20, 0, last, 0);
      put16(a_, 16);
      put(a_, h.v6, 16);
    } else {
      put16(a_, 4);
      uint8_t ip[4] = {10, 20, 0, last};
      put(a_, ip, 4);
    }
    uint64_t rt = t_ + static_cast<uint64_t>(r.range(150, 900));
    emit_udp(ob, rt, srv, *client_, client_->mac, v6_, 0, 53, sport, a_.data(), a_.size(), 64,
             static_cast<uint16_t>(r.next()), scratch_);
    t_ = rt + static_cast<uint64_t>(r.exponential(800000.0)) + 100;
    return true;
  }

 private:
  Ctx& ctx_;
  const Host* client_;
  bool v6_;
  uint64_t t_;
  int left_;
  Bytes q_, a_, scratch_;
};

// ---------------------------------------------------------------------------------------
// TLS 1.3 on 443: ClientHello with SNI, ServerHello, then opaque application data.

class TlsSession : public Session {
 public:
  TlsSession(Ctx& ctx, uint64_t start) : ctx_(ctx), t_(start) {
    Rng& r = ctx.rng;
    const Host& u = ctx.users[r.below(ctx.users.size())];
    const Host& s = ctx.tls_srv[r.below(ctx.tls_srv.size())];
    sni_ = kNames[r.below(sizeof kNames / sizeof kNames[0])];
    conn_ = ctx.conn(&ob, u, s, 443, ctx.pick_v6());
    rtt_ = static_cast<uint64_t>(r.range(200, 1200));
    left_ = static_cast<int>(r.range(2, 12));
  }

  bool refill() override {
    ob.reset();
    Rng& r = ctx_.rng;
    if (state_ == 3) return false;
    if (state_ == 0) {
      uint64_t t = conn_.open(t_, rtt_) + 30;
      client_hello();
      t = conn_.send(0, t, buf_.data(), buf_.size());
      t += rtt_ + static_cast<uint64_t>(r.range(300, 2000));
      server_flight();
      t = conn_.send(1, t, buf_.data(), buf_.size());
      t += static_cast<uint64_t>(r.range(100, 600));
      buf_.clear();
      ccs();
      app_data(74);
      t = conn_.send(0, t, buf_.data(), buf_.size());
      t_ = t + 1000;
      state_ = 1;
    } else if (state_ == 1 && left_-- > 0) {
      buf_.clear();
      app_data(static_cast<size_t>(r.range(80, 900)));
      uint64_t t = conn_.send(0, t_, buf_.data(), buf_.size());
      buf_.clear();
      size_t total = static_cast<size_t>(r.range(100, 30000));
      while (total > 0) {
        size_t k = std::min<size_t>(total, 16401);
        app_data(k);
        total -= k;
      }
      t = conn_.send(1, t + rtt_ + static_cast<uint64_t>(r.range(200, 5000)), buf_.data(),
                     buf_.size());
      t = conn_.ack(0, t + 30);
      t_ = t + static_cast<uint64_t>(r.exponential(1500000.0)) + 1000;
    } else {
      buf_.clear();
      app_data(19);  // close_notify alert, encrypted
      uint64_t t = conn_.send(0, t_, buf_.data(), buf_.size());
      conn_.close(0, t + 50, rtt_);
      state_ = 3;
    }
    ob.sort();
    return true;
  }

 private:
  void record_header(uint8_t type, size_t len) {
    put8(buf_, type);
    put16(buf_, type == 22 ? 0x0301 : 0x0303);
    put16(buf_, static_cast<uint16_t>(len));
  }
  void random_bytes(size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    ctx_.rng.fill(buf_.data() + at, n);
  }
  void ccs() {
    record_header(20, 1);
    put8(buf_, 1);
  }
  void app_data(size_t n) {
    record_header(23, n);
    random_bytes(n);
  }
  void client_hello() {
    Bytes& b = ext_;
    b.clear();
    size_t sni_len = std::strlen(sni_);
    put16(b, 0x0000);  // server_name
    put16(b, static_cast<uint16_t>(sni_len + 5));
    put16(b, static_cast<uint16_t>(sni_len + 3));
    put8(b, 0);
    put16(b, static_cast<uint16_t>(sni_len));
    put(b, sni_, sni_len);
    const uint8_t groups[] = {0, 0x0a, 0, 8, 0, 6, 0, 0x1d, 0, 0x17, 0, 0x18};
    put(b, groups, sizeof groups);
    const uint8_t sigalgs[] = {0, 0x0d, 0, 10, 0, 8, 4, 3, 8, 4, 4, 1, 8, 7};
    put(b, sigalgs, sizeof sigalgs);
    const uint8_t alpn[] = {0, 0x10, 0, 11, 0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    put(b, alpn, sizeof alpn);
    const uint8_t versions[] = {0, 0x2b, 0, 5, 4, 3, 4, 3, 3};
    put(b, versions, sizeof versions);
    const uint8_t psk_modes[] = {0, 0x2d, 0, 2, 1, 1};
    put(b, psk_modes, sizeof psk_modes);
    const uint8_t ks_head[] = {0, 0x33, 0, 38, 0, 36, 0, 0x1d, 0, 32};
    put(b, ks_head, sizeof ks_head);
    size_t at = b.size();
    b.resize(at + 32);
    ctx_.rng.fill(b.data() + at, 32);

    buf_.clear();
    const uint8_t suites[] = {0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2f, 0xc0, 0x2b};
    size_t hs_len = 2 + 32 + 1 + 32 + 2 + sizeof suites + 2 + 2 + b.size();
    record_header(22, hs_len + 4);
    put8(buf_, 1);
    put8(buf_, 0);
    put16(buf_, static_cast<uint16_t>(hs_len));
    put16(buf_, 0x0303);
    random_bytes(32);
    put8(buf_, 32);
    size_t sid = buf_.size();
    random_bytes(32);
    session_id_.assign(buf_.begin() + static_cast<long>(sid), buf_.end());
    put16(buf_, sizeof suites);
    put(buf_, suites, sizeof suites);
    put8(buf_, 1);
    put8(buf_, 0);
    put16(buf_, static_cast<uint16_t>(b.size()));
    put(buf_, b.data(), b.size());
  }
  void server_flight() {
    buf_.clear();
    size_t hs_len = 2 + 32 + 1 + 32 + 2 + 1 + 2 + 6 + 40;
    record_header(22, hs_len + 4);
    put8(buf_, 2);
    put8(buf_, 0);
    put16(buf_, static_cast<uint16_t>(hs_len));
    put16(buf_, 0x0303);
    random_bytes(32);
    put8(buf_, 32);
    put(buf_, session_id_.data(), session_id_.size());
    put16(buf_, 0x1301);
    put8(buf_, 0);
    put16(buf_, 46);
    const uint8_t versions[] = {0, 0x2b, 0, 2, 3, 4};
    put(buf_, versions, sizeof versions);
    const uint8_t ks_head[] = {0, 0x33, 0, 36, 0, 0x1d, 0, 32};
    put(buf_, ks_head, sizeof ks_head);
    random_bytes(32);
    ccs();
    // EncryptedExtensions, Certificate, CertificateVerify, Finished: opaque.
    app_data(static_cast<size_t>(ctx_.rng.range(1800, 4200)));
    app_data(53);
  }

  Ctx& ctx_;
  TcpConn conn_;
  const char* sni_;
  uint64_t t_, rtt_;
  int left_, state_ = 0;
  Bytes buf_, ext_, session_id_;
};

// ---------------------------------------------------------------------------------------
// SSH on 22: banners, clear key exchange, then encrypted packets.

class SshSession : public Session {
 public:
  SshSession(Ctx& ctx, uint64_t start) : ctx_(ctx), t_(start) {
    Rng& r = ctx.rng;
    const Host& u = ctx.users[r.below(ctx.users.size())];
    conn_ = ctx.conn(&ob, u, ctx.ssh_srv, 22, ctx.pick_v6());
    rtt_ = static_cast<uint64_t>(r.range(100, 400));
    left_ = static_cast<int>(r.range(20, 200));
  }

  bool refill() override {
    ob.reset();
    Rng& r = ctx_.rng;
    if (state_ == 2) return false;
    if (state_ == 0) {
      uint64_t t = conn_.open(t_, rtt_);
      t = conn_.send(1, t + 900, std::string_view("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
      t = conn_.send(0, t + 300, std::string_view("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
      buf_.clear();
      kexinit();
      t = conn_.send(0, t + 100, buf_.data(), buf_.size());
      buf_.clear();
      kexinit();
      t = conn_.send(1, t + rtt_ + 200, buf_.data(), buf_.size());
      buf_.clear();
      payload_.clear();
      put8(payload_, 30);  // SSH_MSG_KEX_ECDH_INIT
      ssh_string_random(32);
      packet();
      t = conn_.send(0, t + 300, buf_.data(), buf_.size());
      buf_.clear();
      payload_.clear();
      put8(payload_, 31);  // SSH_MSG_KEX_ECDH_REPLY
      put32(payload_, 51);
      put32(payload_, 11);
      put(payload_, std::string_view("ssh-ed25519"));
      ssh_string_random(32);
      ssh_string_random(32);
      put32(payload_, 83);
      put32(payload_, 11);
      put(payload_, std::string_view("ssh-ed25519"));
      ssh_string_random(64);
      packet();
      payload_.clear();
      put8(payload_, 21);  // SSH_MSG_NEWKEYS
      packet();
      t = conn_.send(1, t + rtt_ + 1500, buf_.data(), buf_.size());
      buf_.clear();
      payload_.clear();
      put8(payload_, 21);
      packet();
      t = conn_.send(0, t + 200, buf_.data(), buf_.size());
      t_ = t + 5000;
      state_ = 1;
    } else if (left_-- > 0) {
      // Keystroke and echo (chacha20-poly1305: 4-byte length + 32 + 16 tag).
      buf_.clear();
      enc(36);
      uint64_t t = conn_.send(0, t_, buf_.data(), buf_.size());
      int replies = r.chance(0.15) ? static_cast<int>(r.range(2, 4)) : 1;
      t += rtt_ + 50;
      for (int k = 0; k < replies; ++k) {
        buf_.clear();
        enc(replies > 1 ? static_cast<size_t>(r.range(100, 1300)) : 36);
        t = conn_.send(1, t, buf_.data(), buf_.size()) + 15;
      }
      t = conn_.ack(0, t + 40);
      t_ = t + static_cast<uint64_t>(r.exponential(250000.0)) + 1000;
    } else {
      conn_.close(1, t_, rtt_);
      state_ = 2;
    }
    ob.sort();
    return true;
  }

 private:
  void ssh_string_random(size_t n) {
    put32(payload_, static_cast<uint32_t>(n));
    size_t at = payload_.size();
    payload_.resize(at + n);
    ctx_.rng.fill(payload_.data() + at, n);
  }
  void name_list(std::string_view s) {
    put32(payload_, static_cast<uint32_t>(s.size()));
    put(payload_, s);
  }
  void kexinit() {
    payload_.clear();
    put8(payload_, 20);
    size_t at = payload_.size();
    payload_.resize(at + 16);
    ctx_.rng.fill(payload_.data() + at, 16);
    name_list("curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256");
    name_list("ssh-ed25519,rsa-sha2-512,rsa-sha2-256");
    name_list("chacha20-poly1305@openssh.com,aes256-gcm@openssh.com");
    name_list("chacha20-poly1305@openssh.com,aes256-gcm@openssh.com");
    name_list("umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com");
    name_list("umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com");
    name_list("none,zlib@openssh.com");
    name_list("none,zlib@openssh.com");
    name_list("");
    name_list("");
    put8(payload_, 0);
    put32(payload_, 0);
    packet();
  }
  // Unencrypted binary packet: length, padding length, payload, padding (block 8).
  void packet() {
    size_t pad = 8 - (5 + payload_.size()) % 8;
    if (pad < 4) pad += 8;
    put32(buf_, static_cast<uint32_t>(1 + payload_.size() + pad));
    put8(buf_, static_cast<uint8_t>(pad));
    put(buf_, payload_.data(), payload_.size());
    for (size_t i = 0; i < pad; ++i) put8(buf_, 0);
  }
  void enc(size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + 4 + n + 16);
    ctx_.rng.fill(buf_.data() + at, 4 + n + 16);
  }

  Ctx& ctx_;
  TcpConn conn_;
  uint64_t t_, rtt_;
  int left_, state_ = 0;
  Bytes buf_, payload_;
};

// ---------------------------------------------------------------------------------------

enum class Kind { kFix44, kFix42, kStep, kMd, kHttp, kDns, kTls, kSsh };

struct SlotPlan {
  Kind kind;
  int count;
};
constexpr SlotPlan kMixPlan[] = {
    {Kind::kFix44, 8}, {Kind::kFix42, 4}, {Kind::kStep, 4}, {Kind::kMd, 3},
    {Kind::kHttp, 10}, {Kind::kDns, 3},   {Kind::kTls, 5},   {Kind::kSsh, 1},
};
// The FIX-heavy profile: order entry only, 96 sessions at once.
constexpr SlotPlan kFixPlan[] = {{Kind::kFix44, 72}, {Kind::kFix42, 24}};

std::unique_ptr<Session> make_session(Ctx& ctx, Kind k, int slot, int md_ch, uint64_t t) {
  switch (k) {
    case Kind::kFix44: return std::make_unique<FixSession>(ctx, FixKind::kFix44, t, slot);
    case Kind::kFix42: return std::make_unique<FixSession>(ctx, FixKind::kFix42, t, slot);
    case Kind::kStep: return std::make_unique<FixSession>(ctx, FixKind::kStep, t, slot);
    case Kind::kMd:
      return std::make_unique<MdChannel>(ctx, md_ch, t, md_ch == 0 ? 45.0 : md_ch == 1 ? 30.0 : 2.0);
    case Kind::kHttp: return std::make_unique<HttpSession>(ctx, t);
    case Kind::kDns: return std::make_unique<DnsSession>(ctx, t);
    case Kind::kTls: return std::make_unique<TlsSession>(ctx, t);
    case Kind::kSsh: return std::make_unique<SshSession>(ctx, t);
  }
  return nullptr;
}

void run_slots(const GenOptions& opt, const FixTraffic& ft, std::span<const SlotPlan> plan,
               PcapWriter& w) {
  Ctx ctx(opt, ft);
  struct Slot {
    Kind kind;
    int md_ch;
    std::unique_ptr<Session> s;
  };
  std::vector<Slot> slots;
  int md = 0;
  for (const SlotPlan& p : plan)
    for (int i = 0; i < p.count; ++i) slots.push_back({p.kind, p.kind == Kind::kMd ? md++ : 0, nullptr});

  using Item = std::pair<uint64_t, uint32_t>;  // (time, slot): ties go to the lower slot
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
  auto prime = [&](uint32_t i, uint64_t t) {
    Slot& sl = slots[i];
    for (;;) {
      if (!sl.s) sl.s = make_session(ctx, sl.kind, static_cast<int>(i), sl.md_ch, t);
      bool more = sl.s->refill();
      while (more && sl.s->ob.empty()) more = sl.s->refill();
      if (more) break;
      // Session over: the slot starts a new one after a short pause.
      sl.s.reset();
      t += static_cast<uint64_t>(ctx.rng.exponential(sl.kind == Kind::kDns ? 2e6 : 5e5)) + 1000;
    }
    heap.push({sl.s->ob.front().t, i});
  };
  for (uint32_t i = 0; i < slots.size(); ++i) prime(i, ctx.rng.below(2 * kSec));

  uint64_t last_t = 0;
  while (!heap.empty()) {
    if (opt.max_packets && w.packets() >= opt.max_packets) break;
    if (opt.max_bytes && w.frame_bytes() >= opt.max_bytes) break;
    auto [t, i] = heap.top();
    heap.pop();
    Outbox& ob = slots[i].s->ob;
    const Outbox::Entry& e = ob.front();
    // Sessions generate each batch after their previous one, so e.t >= last_t; the clamp
    // only guards the file's time order against a session that breaks that rule.
    last_t = std::max(last_t, e.t);
    w.write(opt.start_us + last_t, ob.data(e), e.len);
    ob.pop();
    if (!ob.empty()) {
      heap.push({ob.front().t, i});
    } else {
      prime(i, t);
    }
  }
}

}  // namespace

void run_mix(const GenOptions& opt, PcapWriter& w) { run_slots(opt, FixTraffic{}, kMixPlan, w); }

void run_fix(const GenOptions& opt, PcapWriter& w) {
  FixTraffic ft;
  ft.clients = 400;
  // Busy algos, mean order gap 3 ms (about 150 NewOrderSingles/s, under the default
  // fix.order-rate-limit of 300/s, so the capture is clean order flow) ... to 2 s.
  ft.gap_min_ms = 3.0;
  ft.gap_span = 667.0;
  ft.quiet_share = 0.1;    // one session in ten is idle enough to heartbeat
  ft.actions_min = 100;
  ft.actions_max = 2000;
  ft.split_share = 0.2;
  run_slots(opt, ft, kFixPlan, w);
}

}  // namespace tsgen
