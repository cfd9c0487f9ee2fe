// CompiledRules (main thread) and Detector (one per worker).
//
// Compile plan, in order:
//  1. Every payload rule gets its PayloadProgram (a rule that cannot be prepared is an error,
//     dropped alone). Each rule is classified: IP-only (addresses/ports, flowbits set/unset/
//     toggle at most), header-only (dsize, flags, itype, ... no payload keyword) or payload.
//  2. Rank: Suricata's evaluation order (action pass > drop > reject > alert, then flowbits
//     setters before readers, then priority, then load order).
//  3. Groups per protocol class (tcp, udp, icmp, other; `ip` rules are in all): an "any" group,
//     and for tcp/udp groups keyed by port: rules whose dport set is small (<= 32 ports) are
//     found by the packet's dport, rules with only a small sport set by its sport, the rest in
//     "any". Identical port rule lists share one group. Each group splits by direction
//     (flow:to_server / to_client rules only in that half) and, for tcp, into packet rules
//     (dsize, flow:no_stream: block database, inspected per packet) and stream rules
//     (streaming database, inspected on reassembled data).
//  4. One Hyperscan database per (group, direction, mode) with at least one expression, in a
//     fixed order with expressions sorted by rule index. Cached on disk by SHA-256.
//
// Detector: per packet, candidates = IP-only hits (first packet of each flow direction) +
// header-only rules of the packet's groups + block-scan hits on the payload + stream hits
// recorded while the TcpTracker delivered this packet's bytes. Candidates are sorted by rank,
// deduplicated per rule, checked (addresses/ports, flow, header, stream_size, flowbits,
// payload verification when Hyperscan alone does not decide), and acted on.
#include "signatures/engine.h"

#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <variant>

#include "signatures/db_cache.h"
#include "signatures/hs_compile.h"
#include "signatures/ip_only.h"
#include "signatures/match.h"

namespace ts::sig {
namespace {

constexpr uint16_t kNoGroup = 0xFFFF;
constexpr std::size_t kMaxGroupPorts = 32;      // larger port sets go to the "any" group
constexpr int kPacketAlertMax = 15;             // Suricata's packet_alert_max
constexpr std::size_t kMaxCandidates = 1024;    // per packet, after dedupe
constexpr std::size_t kMaxPending = 1024;       // per stream chunk, before verification
constexpr std::size_t kMaxVerifyChunk = 65536;  // larger chunks are verified without window
constexpr int kRetries = 4;                     // failed prefilter hits kept per direction
constexpr std::size_t kFlowbitIds = 16;         // per flow when the rule set has many names
constexpr std::size_t kFlowbitBitmapMax = 256;  // names up to which a per-flow bitmap is used
constexpr uint32_t kNil = 0xFFFFFFFFu;
constexpr uint64_t kCacheFormat = 1;

enum ProtoClass : uint8_t { kPcTcp = 0, kPcUdp = 1, kPcIcmp = 2, kPcOther = 3, kPcCount = 4 };
enum class RuleKind : uint8_t { kIpOnly, kHeader, kPayload };
enum class Source : uint8_t { kStream = 0, kPacket = 1, kIpOnly = 2 };

int proto_class(const PacketView& p) noexcept {
  if (p.ip_version == 0) return -1;
  switch (p.l4) {
    case L4::kTcp:
      return kPcTcp;
    case L4::kUdp:
      return kPcUdp;
    case L4::kIcmp:
    case L4::kIcmpv6:
      return kPcIcmp;
    default:
      return kPcOther;
  }
}

uint8_t rule_protos(const Rule& r) {
  switch (r.proto) {
    case Proto::kIp:
      return 0x0F;
    case Proto::kTcp:
      return 1 << kPcTcp;
    case Proto::kUdp:
      return 1 << kPcUdp;
    case Proto::kIcmp:
      return 1 << kPcIcmp;
  }
  return 0x0F;
}

bool proto_ok(const Rule& r, const PacketView& p) noexcept {
  switch (r.proto) {
    case Proto::kIp:
      return p.ip_version != 0;
    case Proto::kTcp:
      return p.l4 == L4::kTcp;
    case Proto::kUdp:
      return p.l4 == L4::kUdp;
    case Proto::kIcmp:
      return p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6;
  }
  return false;
}

bool has_header_opts(const Rule& r) {
  return r.dsize || r.ttl || r.tos || r.window || r.seq || r.ack || r.ip_id || r.itype || r.icode ||
         r.icmp_id || r.icmp_seq || r.ip_proto || r.flags || r.fragbits;
}

bool has_flow_opts(const FlowOpt& f) {
  return f.to_server || f.to_client || f.established || f.not_established || f.stateless ||
         f.only_stream || f.no_stream;
}

bool flowbit_reads(const Rule& r) {
  for (const FlowbitOp& op : r.flowbits)
    if (op.kind == FlowbitOp::Kind::kIsSet || op.kind == FlowbitOp::Kind::kIsNotSet) return true;
  return false;
}
bool flowbit_writes(const Rule& r) {
  for (const FlowbitOp& op : r.flowbits)
    if (op.kind == FlowbitOp::Kind::kSet || op.kind == FlowbitOp::Kind::kUnset ||
        op.kind == FlowbitOp::Kind::kToggle)
      return true;
  return false;
}

RuleKind classify(const Rule& r) {
  if (!r.payload.empty() || r.bsize) return RuleKind::kPayload;
  if (has_header_opts(r) || r.stream_size || has_flow_opts(r.flow) || flowbit_reads(r))
    return RuleKind::kHeader;
  return RuleKind::kIpOnly;
}

// Suricata's signature mask: a dsize comparison that excludes 0 except '<', '<=' and '= 0'
// (which "include 0") requires a payload, so "dsize:!9" does not match an empty packet.
bool dsize_needs_payload(const Rule& r) {
  if (!r.dsize) return false;
  switch (r.dsize->op) {
    case NumCmp::Op::kLt:
    case NumCmp::Op::kLe:
      return false;
    case NumCmp::Op::kEq:
      return r.dsize->a != 0;
    default:
      return true;
  }
}

int action_order(Action a) {
  switch (a) {
    case Action::kPass:
      return 0;
    case Action::kDrop:
      return 1;
    case Action::kReject:
      return 2;
    case Action::kAlert:
      return 3;
  }
  return 3;
}

// Suricata's flowbits ordering type: setters first, then set+read, readers, unused.
int flowbits_type(const Rule& r) {
  const bool rd = flowbit_reads(r), wr = flowbit_writes(r);
  if (wr && !rd) return 4;
  if (wr && rd) return 3;
  if (rd) return 2;
  return 1;
}

std::size_t port_count(const PortSet& s) {
  if (s.any) return 65536;
  std::size_t n = 0;
  for (const PortRange& r : s.ranges) n += static_cast<std::size_t>(r.hi) - r.lo + 1;
  return n;
}
bool specific(const PortSet& s) { return !s.any && port_count(s) <= kMaxGroupPorts; }
void expand(const PortSet& s, std::vector<Port>* out) {
  for (const PortRange& r : s.ranges)
    for (uint32_t p = r.lo; p <= r.hi; ++p) out->push_back(static_cast<Port>(p));
}

// Port keys under which a tcp/udp rule is grouped; both empty: the "any" group.
void port_keys(const Rule& r, std::vector<Port>* dst, std::vector<Port>* src) {
  const bool sd = specific(r.dport), ss = specific(r.sport);
  if (!r.bidirectional) {
    if (sd)
      expand(r.dport, dst);
    else if (ss)
      expand(r.sport, src);
  } else if (sd && ss) {  // forward needs dport in D, reversed dport in S
    expand(r.dport, dst);
    expand(r.sport, dst);
  } else if (sd) {  // forward: dport in D; reversed: sport in D
    expand(r.dport, dst);
    expand(r.dport, src);
  } else if (ss) {
    expand(r.sport, src);
    expand(r.sport, dst);
  }
  for (auto* v : {dst, src}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
}

struct ScratchDeleter {
  // Compile-time object: a failure here has nowhere to be counted and nothing to undo.
  void operator()(hs_scratch_t* s) const noexcept { (void)hs_free_scratch(s); }
};

}  // namespace

// ---------------------------------------------------------------------------------------
struct RuleInfo {
  RuleKind kind = RuleKind::kHeader;
  PatternLadder ladder;
  uint8_t level = 0;  // position in ladder finally used
  PatternKind pattern = PatternKind::kNone;
  uint8_t dirs = 3;       // bit idx(Dir): directions the rule can apply to
  uint8_t protos = 0;     // bit ProtoClass
  bool pkt_only = false;  // tcp: inspected on packets, not the stream (dsize, no_stream)
  bool header = false;    // has options match_header checks
  bool fb_reads = false;
  bool anchored = false;       // exact expression anchored at the stream start
  bool needs_payload = false;  // dsize that cannot match 0 bytes: never on an empty packet
  uint32_t rank = 0;
  uint64_t max_end = std::numeric_limits<uint64_t>::max();  // exact: latest stream match end
  std::unique_ptr<PayloadProgram> prog;
};

struct Group {
  uint8_t pc = 0;
  std::vector<uint32_t> rules;  // members, by index
  std::vector<uint32_t> header[2];
  std::vector<uint32_t> pkt[2], stream[2];  // payload rules by inspection path
  std::vector<uint32_t> nopat_pkt[2], nopat_stream[2];
  int pkt_db[2] = {-1, -1};
  int stream_db[2] = {-1, -1};
};

struct DbSlot {
  uint32_t group = 0;
  uint8_t dir = 0;
  bool stream = false;
  HsDatabase db;
  std::size_t stream_size = 0;  // bytes per open stream (stream databases)
};

struct CompiledRules::Impl {
  RuleSet set;
  CompileStats stats;
  bool ips_mode = false;
  std::vector<RuleInfo> info;
  std::vector<Group> groups;
  uint16_t any_group[kPcCount] = {kNoGroup, kNoGroup, kNoGroup, kNoGroup};
  std::vector<uint16_t> port_group[2][2];  // [tcp, udp][0 dst, 1 src] -> group, 65536 each
  std::vector<DbSlot> dbs;
  IpOnlyIndex ip_only;
  std::unique_ptr<hs_scratch_t, ScratchDeleter> scratch;  // prototype; workers clone it

  // The packet's groups: [0] any, [1] by dport, [2] by sport (kNoGroup where none).
  void groups_for(int pc, Port sport, Port dport, uint16_t out[3]) const noexcept {
    out[0] = any_group[pc];
    out[1] = out[2] = kNoGroup;
    if (pc <= kPcUdp) {
      out[1] = port_group[pc][0][dport];
      out[2] = port_group[pc][1][sport];
      if (out[2] == out[1]) out[2] = kNoGroup;
    }
  }
};

CompiledRules::CompiledRules() : impl_(std::make_unique<Impl>()) {}
CompiledRules::~CompiledRules() = default;
const RuleSet& CompiledRules::ruleset() const noexcept { return impl_->set; }
const Rule& CompiledRules::rule(uint32_t index) const noexcept { return impl_->set.rules[index]; }
std::size_t CompiledRules::size() const noexcept { return impl_->set.rules.size(); }
const CompileStats& CompiledRules::stats() const noexcept { return impl_->stats; }

CompiledRules::Path CompiledRules::path(uint32_t index) const noexcept {
  const RuleInfo& i = impl_->info[index];
  switch (i.kind) {
    case RuleKind::kIpOnly:
      return Path::kIpOnly;
    case RuleKind::kHeader:
      return Path::kHeader;
    case RuleKind::kPayload:
      break;
  }
  switch (i.pattern) {
    case PatternKind::kExact:
      return Path::kExact;
    case PatternKind::kLiteral:
    case PatternKind::kPcre:
      return Path::kPrefilter;
    case PatternKind::kNone:
      break;
  }
  return Path::kNoPattern;
}

namespace {

// Expressions of one database slot at the rules' current levels.
std::vector<HsExpr> slot_exprs(const CompiledRules::Impl& m, const DbSlot& s) {
  const Group& g = m.groups[s.group];
  const std::vector<uint32_t>& ids = s.stream ? g.stream[s.dir] : g.pkt[s.dir];
  std::vector<HsExpr> out;
  for (uint32_t id : ids) {
    const RuleInfo& ri = m.info[id];
    const PatternKind k = ri.ladder.rung[ri.level];
    if (k == PatternKind::kNone) continue;
    out.push_back(make_expression(m.set.rules[id], k, s.stream, id));
  }
  return out;
}

std::string cache_key(const CompiledRules::Impl& m) {
  Sha256 h;
  h.update_str("tradesentry-hsdb");
  h.update_u64(kCacheFormat);
  h.update_str(hs_version());
  hs_platform_info_t plat{};
  if (hs_populate_platform(&plat) == HS_SUCCESS) {
    h.update_u64(plat.tune);
    h.update_u64(plat.cpu_features);
  }
  h.update_u64(m.info.size());
  for (const RuleInfo& ri : m.info) {
    h.update_u64(ri.ladder.size);
    for (int i = 0; i < ri.ladder.size; ++i) h.update_u64(static_cast<uint64_t>(ri.ladder.rung[i]));
  }
  h.update_u64(m.dbs.size());
  for (const DbSlot& s : m.dbs) {
    h.update_u64(s.stream ? HS_MODE_STREAM : HS_MODE_BLOCK);
    const std::vector<HsExpr> ex = slot_exprs(m, s);
    h.update_u64(ex.size());
    for (const HsExpr& e : ex) {
      h.update_str(e.pattern);
      h.update_u64(e.flags);
      h.update_u64(e.id);
      h.update_u64(e.has_min_offset ? e.min_offset + 1 : 0);
      h.update_u64(e.has_max_offset ? e.max_offset + 1 : 0);
    }
  }
  return h.hex();
}

bool load_cached(CompiledRules::Impl& m, const std::string& path) {
  DbCacheEntry e;
  if (!db_cache_load(path, &e)) return false;
  if (e.databases.size() != m.dbs.size() || e.levels.size() != m.info.size()) return false;
  for (std::size_t i = 0; i < m.info.size(); ++i)
    if (e.levels[i] >= m.info[i].ladder.size) return false;
  std::vector<HsDatabase> dbs(m.dbs.size());
  for (std::size_t i = 0; i < dbs.size(); ++i) {
    if (e.databases[i].empty()) continue;
    hs_database_t* db = nullptr;
    if (hs_deserialize_database(e.databases[i].data(), e.databases[i].size(), &db) != HS_SUCCESS)
      return false;
    dbs[i].reset(db);
  }
  for (std::size_t i = 0; i < m.info.size(); ++i) m.info[i].level = e.levels[i];
  // A database is present exactly where the slot has expressions at these levels.
  for (std::size_t i = 0; i < dbs.size(); ++i)
    if (slot_exprs(m, m.dbs[i]).empty() != !dbs[i]) return false;
  for (std::size_t i = 0; i < dbs.size(); ++i) m.dbs[i].db = std::move(dbs[i]);
  return true;
}

void store_cached(const CompiledRules::Impl& m, const std::string& path) {
  DbCacheEntry e;
  for (const DbSlot& s : m.dbs) {
    std::string bytes;
    if (s.db) {
      char* b = nullptr;
      std::size_t n = 0;
      if (hs_serialize_database(s.db.get(), &b, &n) != HS_SUCCESS) return;
      bytes.assign(b, n);
      std::free(b);
    }
    e.databases.push_back(std::move(bytes));
  }
  for (const RuleInfo& ri : m.info) e.levels.push_back(ri.level);
  std::string err;
  (void)db_cache_store(path, e, &err);  // a cache that cannot be written is only slower
}

// Pre-checks each payload rule's expression and demotes what Hyperscan would refuse, so
// the database compiles below rarely need a retry.
void prevalidate(CompiledRules::Impl& m) {
  for (std::size_t i = 0; i < m.info.size(); ++i) {
    RuleInfo& ri = m.info[i];
    if (ri.kind != RuleKind::kPayload) continue;
    const bool in_stream = (ri.protos & (1 << kPcTcp)) && !ri.pkt_only;
    const bool in_block = (ri.protos & ~(1 << kPcTcp)) || ri.pkt_only;
    while (ri.level + 1 < ri.ladder.size) {
      const PatternKind k = ri.ladder.rung[ri.level];
      const Rule& r = m.set.rules[i];
      const bool ok =
          (!in_block || hs_expression_ok(make_expression(r, k, false, 0), HS_MODE_BLOCK)) &&
          (!in_stream || hs_expression_ok(make_expression(r, k, true, 0), HS_MODE_STREAM));
      if (ok) break;
      ++ri.level;
    }
  }
}

// Compiles every slot; an expression Hyperscan refuses demotes its rule and the slots holding
// that rule are compiled again. False (with *error) only if Hyperscan fails as a whole.
bool compile_all(CompiledRules::Impl& m, std::string* error) {
  std::vector<bool> dirty(m.dbs.size(), true);
  for (bool again = true; again;) {
    again = false;
    for (std::size_t s = 0; s < m.dbs.size(); ++s) {
      if (!dirty[s]) continue;
      const std::vector<HsExpr> ex = slot_exprs(m, m.dbs[s]);
      dirty[s] = false;
      m.dbs[s].db.reset();
      if (ex.empty()) continue;
      int bad = -1;
      std::string err;
      HsDatabase db =
          hs_compile_exprs(ex, m.dbs[s].stream ? HS_MODE_STREAM : HS_MODE_BLOCK, &bad, &err);
      if (db) {
        m.dbs[s].db = std::move(db);
        continue;
      }
      if (bad < 0 || static_cast<std::size_t>(bad) >= ex.size()) {
        *error = "Hyperscan: " + err;
        return false;
      }
      const uint32_t id = ex[static_cast<std::size_t>(bad)].id;
      RuleInfo& ri = m.info[id];
      if (ri.level + 1 >= ri.ladder.size) {
        *error = "Hyperscan: " + err;
        return false;
      }
      ++ri.level;
      for (std::size_t t = 0; t < m.dbs.size(); ++t) {
        const Group& g = m.groups[m.dbs[t].group];
        const auto& ids = m.dbs[t].stream ? g.stream[m.dbs[t].dir] : g.pkt[m.dbs[t].dir];
        if (std::binary_search(ids.begin(), ids.end(), id)) dirty[t] = true;
      }
      again = true;
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<const CompiledRules> CompiledRules::compile(RuleSet set, const CompileOptions& opts,
                                                            std::string* error,
                                                            CompileStats* stats_out) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<CompiledRules> cr(new CompiledRules());
  Impl& m = *cr->impl_;
  m.ips_mode = opts.ips_mode;

  // 1. Payload programs; a rule that cannot be prepared is reported and dropped alone.
  std::vector<Rule> kept;
  std::vector<std::unique_ptr<PayloadProgram>> progs;
  kept.reserve(set.rules.size());
  for (Rule& r : set.rules) {
    std::unique_ptr<PayloadProgram> prog;
    if (!r.payload.empty() || r.bsize) {
      std::string err;
      prog = PayloadProgram::build(r, &err);
      if (!prog) {
        Diagnostic d;
        d.file = r.file;
        d.line = r.line;
        d.sid = r.sid;
        d.message = "sid " + std::to_string(r.sid) + ": " + (err.empty() ? "bad payload" : err);
        set.errors.push_back(std::move(d));
        continue;
      }
    }
    kept.push_back(std::move(r));
    progs.push_back(std::move(prog));
  }
  set.rules = std::move(kept);
  m.set = std::move(set);
  const std::vector<Rule>& rules = m.set.rules;
  const std::size_t n = rules.size();
  m.info.resize(n);

  // Classification.
  std::vector<uint32_t> ip_only_ids;
  for (std::size_t i = 0; i < n; ++i) {
    const Rule& r = rules[i];
    RuleInfo& ri = m.info[i];
    ri.kind = classify(r);
    ri.prog = std::move(progs[i]);
    ri.protos = rule_protos(r);
    ri.dirs = r.flow.to_server ? 1 : r.flow.to_client ? 2 : 3;
    ri.pkt_only = r.dsize.has_value() || r.flow.no_stream;
    ri.header = has_header_opts(r);
    ri.fb_reads = flowbit_reads(r);
    ri.needs_payload = dsize_needs_payload(r);
    if (ri.kind == RuleKind::kPayload) ri.ladder = pattern_ladder(r);
    if (ri.kind == RuleKind::kIpOnly) ip_only_ids.push_back(static_cast<uint32_t>(i));
  }

  // 2. Rank.
  {
    std::vector<uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      const Rule& x = rules[a];
      const Rule& y = rules[b];
      if (action_order(x.action) != action_order(y.action))
        return action_order(x.action) < action_order(y.action);
      if (flowbits_type(x) != flowbits_type(y)) return flowbits_type(x) > flowbits_type(y);
      if (x.priority != y.priority) return x.priority < y.priority;
      return a < b;
    });
    for (std::size_t k = 0; k < n; ++k) m.info[order[k]].rank = static_cast<uint32_t>(k);
  }

  // 3. IP-only index and groups.
  m.ip_only.build(rules, ip_only_ids);
  for (int pc = 0; pc < kPcCount; ++pc) {
    std::map<Port, std::vector<uint32_t>> by_port[2];  // [dst, src]
    std::vector<uint32_t> any;
    std::vector<Port> dk, sk;
    for (std::size_t i = 0; i < n; ++i) {
      const RuleInfo& ri = m.info[i];
      if (ri.kind == RuleKind::kIpOnly || !(ri.protos & (1 << pc))) continue;
      dk.clear();
      sk.clear();
      if (pc <= kPcUdp) port_keys(rules[i], &dk, &sk);
      if (dk.empty() && sk.empty()) {
        any.push_back(static_cast<uint32_t>(i));
        continue;
      }
      for (Port p : dk) by_port[0][p].push_back(static_cast<uint32_t>(i));
      for (Port p : sk) by_port[1][p].push_back(static_cast<uint32_t>(i));
    }
    auto new_group = [&](std::vector<uint32_t> members) {
      Group g;
      g.pc = static_cast<uint8_t>(pc);
      g.rules = std::move(members);
      m.groups.push_back(std::move(g));
      return static_cast<uint16_t>(m.groups.size() - 1);
    };
    m.any_group[pc] = new_group(std::move(any));
    if (pc > kPcUdp) continue;
    std::map<std::vector<uint32_t>, uint16_t> seen;
    for (int side = 0; side < 2; ++side) {
      m.port_group[pc][side].assign(65536, kNoGroup);
      for (auto& [port, members] : by_port[side]) {
        auto it = seen.find(members);
        if (it == seen.end()) {
          if (m.groups.size() >= kNoGroup) {
            *error = "too many port groups";
            return nullptr;
          }
          it = seen.emplace(members, new_group(members)).first;
        }
        m.port_group[pc][side][port] = it->second;
      }
    }
  }
  for (std::size_t gi = 0; gi < m.groups.size(); ++gi) {
    Group& g = m.groups[gi];
    for (uint32_t id : g.rules) {
      const RuleInfo& ri = m.info[id];
      for (int d = 0; d < 2; ++d) {
        if (!(ri.dirs & (1 << d))) continue;
        if (ri.kind == RuleKind::kHeader)
          g.header[d].push_back(id);
        else if (g.pc == kPcTcp && !ri.pkt_only)
          g.stream[d].push_back(id);
        else
          g.pkt[d].push_back(id);
      }
    }
    for (int d = 0; d < 2; ++d) {
      if (!g.pkt[d].empty()) {
        g.pkt_db[d] = static_cast<int>(m.dbs.size());
        m.dbs.push_back(DbSlot{static_cast<uint32_t>(gi), static_cast<uint8_t>(d), false, {}, 0});
      }
      if (!g.stream[d].empty()) {
        g.stream_db[d] = static_cast<int>(m.dbs.size());
        m.dbs.push_back(DbSlot{static_cast<uint32_t>(gi), static_cast<uint8_t>(d), true, {}, 0});
      }
    }
  }

  // 4. Databases: from the cache, else compiled (and cached).
  std::string path;
  if (!opts.cache_dir.empty()) path = db_cache_path(opts.cache_dir, cache_key(m));
  m.stats.from_cache = !path.empty() && load_cached(m, path);
  if (!m.stats.from_cache) {
    for (RuleInfo& ri : m.info) ri.level = 0;
    prevalidate(m);
    if (!compile_all(m, error)) return nullptr;
    if (!path.empty()) store_cached(m, path);
  }

  // Final per-rule pattern kinds, no-pattern lists, scratch, stats.
  for (std::size_t i = 0; i < n; ++i) {
    RuleInfo& ri = m.info[i];
    if (ri.kind != RuleKind::kPayload) continue;
    ri.pattern = ri.ladder.rung[ri.level];
    if (ri.pattern == PatternKind::kExact) {
      ri.max_end = exact_max_end(rules[i]);
      const HsExpr e = make_expression(rules[i], PatternKind::kExact, true, 0);
      ri.anchored = !e.pattern.empty() && e.pattern[0] == '^';
    }
  }
  for (Group& g : m.groups)
    for (int d = 0; d < 2; ++d) {
      for (uint32_t id : g.pkt[d])
        if (m.info[id].pattern == PatternKind::kNone) g.nopat_pkt[d].push_back(id);
      for (uint32_t id : g.stream[d])
        if (m.info[id].pattern == PatternKind::kNone) g.nopat_stream[d].push_back(id);
    }
  m.stats.database_bytes = 0;
  for (DbSlot& s : m.dbs) {
    if (!s.db) continue;
    std::size_t sz = 0;
    if (hs_database_size(s.db.get(), &sz) == HS_SUCCESS) m.stats.database_bytes += sz;
    hs_scratch_t* sc = m.scratch.release();
    if (hs_alloc_scratch(s.db.get(), &sc) != HS_SUCCESS) {
      m.scratch.reset(sc);
      *error = "Hyperscan: cannot allocate scratch";
      return nullptr;
    }
    m.scratch.reset(sc);
    if (s.stream && hs_stream_size(s.db.get(), &s.stream_size) != HS_SUCCESS) {
      *error = "Hyperscan: cannot size stream state";
      return nullptr;
    }
  }
  m.stats.rules = n;
  m.stats.groups = m.groups.size();
  m.stats.ip_only = ip_only_ids.size();
  for (const RuleInfo& ri : m.info) {
    if (ri.kind != RuleKind::kPayload) continue;
    if (ri.pattern == PatternKind::kExact)
      ++m.stats.exact;
    else if (ri.pattern == PatternKind::kNone)
      ++m.stats.no_pattern;
    else
      ++m.stats.prefiltered;
  }
  m.stats.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats_out) *stats_out = m.stats;
  return cr;
}

// =======================================================================================
// Detector

namespace {

// Per flow slot. Streams are Hyperscan stream states for the flow direction's groups
// ([dir][0 any, 1 dport group, 2 sport group]); sdb is the database each belongs to.
struct SlotState {
  uint64_t flow_id = 0;       // the flow these fields describe (0: none)
  uint64_t seen[2] = {0, 0};  // stream bytes delivered + gap bytes, per direction
  uint64_t base[2] = {0, 0};  // stream offset at which the current streams started
  hs_stream_t* streams[2][3] = {};
  uint16_t sdb[2][3] = {};
  uint32_t win[2] = {0, 0};      // verification window of each direction: index + 1, 0 none
  uint32_t win_len[2] = {0, 0};  // bytes held in it (the direction's most recent stream bytes)
  // Prefilter hits whose verification failed, retried on the next chunks while the hit is
  // still inside the window (the rest of the pattern may arrive in a later segment).
  uint32_t retry_rule[2][kRetries] = {};
  uint64_t retry_until[2][kRetries] = {};  // stream offset after which the hit left the window
  uint8_t nretry[2] = {0, 0};
  uint16_t flags = 0;
  uint8_t nbits = 0;  // flowbit ids held (id-list mode)
};
enum : uint16_t {
  kIpoDone = 1,           // << dir: IP-only rules evaluated for this direction
  kOpened = 4,            // << dir: streams opened for this direction
  kNoStream = 16,         // << dir: no stream for this direction (memcap, or the tracker does
                          //    not reassemble it): packets scanned one by one
  kPassed = 64,           // a pass rule matched on the stream or IP-only: flow not inspected
  kBlocked = 128,         // IPS: a drop/reject rule matched on the stream or IP-only: likewise
  kSeen = 256,            // a packet of this flow was inspected
  kWasEstablished = 512,  // the flow was established when an earlier packet was inspected
};

struct Cand {
  uint32_t rule;
  uint32_t rank;
  uint64_t flow_id;
  uint8_t dir;
  Source src;
  bool verified;  // payload already known to match (exact hit or verified stream chunk)
};

struct StreamNode {
  hs_stream_t* s = nullptr;
  uint32_t next = kNil;
};

}  // namespace

struct Detector::Impl {
  std::shared_ptr<const CompiledRules> holder;
  const CompiledRules::Impl* cr = nullptr;
  DetectorConfig cfg;
  AlertSink* sink = nullptr;
  DetectorStats stats;
  hs_scratch_t* scratch = nullptr;
  MatchScratch ms;

  std::vector<SlotState> slots;
  std::size_t fb_words = 0;  // > 0: bitmap mode, words per slot
  std::vector<uint64_t> fb_bitmap;
  std::vector<uint16_t> fb_ids;  // id-list mode: kFlowbitIds per slot

  // Stream states: pooled per database (reset, ready for the next flow), bounded in total.
  std::vector<StreamNode> nodes;
  uint32_t free_node = kNil;
  std::vector<uint32_t> pool_head;  // per database slot
  std::size_t stream_bytes = 0;     // open streams, in use or pooled
  std::size_t oneshot_bytes = 0;
  std::vector<hs_stream_t*> oneshot;  // per stream database: packet-by-packet fallback

  // Verification windows: the last cfg.stream_window bytes of a stream direction, so a rule
  // Hyperscan only prefilters (pcre, byte_*, isdataat, negated content) is verified on the
  // window plus the new chunk, and a match split across segments is found. Fixed pool,
  // bounded by cfg.stream_window_memcap; a direction without one verifies on the chunk alone.
  std::vector<uint8_t> win_pool;
  std::vector<uint32_t> win_free;  // free window indexes (a stack)
  std::vector<uint8_t> vbuf;       // window + chunk, assembled for verification
  bool any_prefilter_stream = false;

  // Per packet.
  std::vector<uint32_t> stamp;  // rule -> epoch when it became a candidate
  uint32_t epoch = 1;
  std::vector<uint32_t> cstamp;  // rule -> chunk when it was a stream hit
  uint32_t chunk = 1;
  std::array<Cand, kMaxCandidates> cand{};
  std::size_t ncand = 0;
  std::array<uint32_t, kMaxPending> pend{};
  std::size_t npend = 0;

  struct ScanCtx {
    Impl* m;
    uint64_t flow_id;
    uint64_t base;
    uint8_t dir;
  };

  // Every Hyperscan call's result is checked; failures are counted, never fatal here.
  void hs_ok(hs_error_t rc) noexcept {
    if (rc != HS_SUCCESS) stats.hs_errors.inc();
  }
  void close_stream(hs_stream_t* s) noexcept {
    hs_ok(hs_close_stream(s, nullptr, nullptr, nullptr));
  }

  // ---- setup / teardown ----
  void setup(std::shared_ptr<const CompiledRules> rules) {
    holder = std::move(rules);
    cr = holder ? &holder->impl() : nullptr;
    slots.assign(cfg.flow_capacity, SlotState{});
    if (!cr) return;
    if (cr->scratch && hs_clone_scratch(cr->scratch.get(), &scratch) != HS_SUCCESS) {
      stats.hs_errors.inc();
      scratch = nullptr;
    }
    const std::size_t names = cr->set.flowbit_names.size();
    fb_bitmap.clear();
    fb_ids.clear();
    fb_words = 0;
    if (names > 0 && names <= kFlowbitBitmapMax) {
      fb_words = (names + 63) / 64;
      fb_bitmap.assign(cfg.flow_capacity * fb_words, 0);
    } else if (names > 0) {
      fb_ids.assign(cfg.flow_capacity * kFlowbitIds, 0);
    }
    const std::size_t nrules = cr->set.rules.size();
    stamp.assign(nrules, 0);
    cstamp.assign(nrules, 0);
    epoch = chunk = 1;
    ncand = npend = 0;
    pool_head.assign(cr->dbs.size(), kNil);
    oneshot.assign(cr->dbs.size(), nullptr);
    std::size_t min_size = std::numeric_limits<std::size_t>::max();
    for (std::size_t i = 0; i < cr->dbs.size(); ++i) {
      const DbSlot& s = cr->dbs[i];
      if (!s.stream || !s.db) continue;
      min_size = std::min(min_size, std::max<std::size_t>(s.stream_size, 1));
      if (hs_open_stream(s.db.get(), 0, &oneshot[i]) != HS_SUCCESS) {
        stats.hs_errors.inc();
        oneshot[i] = nullptr;
      } else {
        oneshot_bytes += s.stream_size;
      }
    }
    // Every stream that can exist at once could sit in a pool: bound the nodes by both the
    // memcap and six streams (two directions x three groups) per flow slot.
    std::size_t max_streams = cfg.flow_capacity * 6;
    if (cfg.stream_state_memcap && min_size != std::numeric_limits<std::size_t>::max())
      max_streams = std::min(max_streams, cfg.stream_state_memcap / min_size + 1);
    if (min_size == std::numeric_limits<std::size_t>::max()) max_streams = 0;
    any_prefilter_stream = false;
    for (std::size_t i = 0; i < cr->info.size(); ++i) {
      const RuleInfo& ri = cr->info[i];
      if (ri.kind == RuleKind::kPayload && !ri.pkt_only && (ri.protos & (1u << kPcTcp)) &&
          ri.pattern != PatternKind::kExact)
        any_prefilter_stream = true;
    }
    win_pool.clear();
    win_free.clear();
    if (any_prefilter_stream && cfg.stream_window > 0) {
      const std::size_t n = std::min(cfg.flow_capacity * 2, cfg.stream_window_memcap / cfg.stream_window);
      win_pool.assign(n * cfg.stream_window, 0);
      win_free.reserve(n);
      for (std::size_t i = n; i-- > 0;) win_free.push_back(static_cast<uint32_t>(i));
      vbuf.assign(cfg.stream_window + kMaxVerifyChunk, 0);
    }
    nodes.assign(max_streams, StreamNode{});
    free_node = kNil;
    for (std::size_t i = nodes.size(); i-- > 0;) {
      nodes[i].next = free_node;
      free_node = static_cast<uint32_t>(i);
    }
    update_gauge();
  }

  void teardown() noexcept {
    for (SlotState& st : slots)
      for (int d = 0; d < 2; ++d)
        for (int k = 0; k < 3; ++k)
          if (st.streams[d][k]) {
            close_stream(st.streams[d][k]);
            st.streams[d][k] = nullptr;
          }
    for (uint32_t& h : pool_head)
      while (h != kNil) {
        close_stream(nodes[h].s);
        h = nodes[h].next;
      }
    for (hs_stream_t*& s : oneshot)
      if (s) {
        close_stream(s);
        s = nullptr;
      }
    stream_bytes = oneshot_bytes = 0;
    if (scratch) hs_ok(hs_free_scratch(scratch));
    scratch = nullptr;
    update_gauge();
  }

  void update_gauge() noexcept {
    stats.stream_state_bytes.set(static_cast<int64_t>(stream_bytes + oneshot_bytes));
  }

  // ---- stream pool ----
  hs_stream_t* acquire(uint16_t db) noexcept {
    uint32_t h = pool_head[db];
    if (h != kNil) {
      pool_head[db] = nodes[h].next;
      hs_stream_t* s = nodes[h].s;
      nodes[h].next = free_node;
      free_node = h;
      return s;
    }
    const std::size_t sz = cr->dbs[db].stream_size;
    if (cfg.stream_state_memcap && stream_bytes + sz > cfg.stream_state_memcap) {
      // Free pooled streams of other databases to make room.
      for (std::size_t o = 0; o < pool_head.size() && stream_bytes + sz > cfg.stream_state_memcap;
           ++o)
        while (pool_head[o] != kNil && stream_bytes + sz > cfg.stream_state_memcap) {
          const uint32_t x = pool_head[o];
          pool_head[o] = nodes[x].next;
          close_stream(nodes[x].s);
          stream_bytes -= cr->dbs[o].stream_size;
          nodes[x].next = free_node;
          free_node = x;
        }
      if (stream_bytes + sz > cfg.stream_state_memcap) {
        update_gauge();
        return nullptr;
      }
    }
    hs_stream_t* s = nullptr;
    if (hs_open_stream(cr->dbs[db].db.get(), 0, &s) != HS_SUCCESS) {
      stats.hs_errors.inc();
      return nullptr;
    }
    stream_bytes += sz;
    update_gauge();
    return s;
  }

  void release(uint16_t db, hs_stream_t* s) noexcept {
    const hs_error_t rc = hs_reset_stream(s, 0, nullptr, nullptr, nullptr);
    hs_ok(rc);
    if (rc != HS_SUCCESS || free_node == kNil) {
      close_stream(s);
      stream_bytes -= cr->dbs[db].stream_size;
      update_gauge();
      return;
    }
    const uint32_t x = free_node;
    free_node = nodes[x].next;
    nodes[x].s = s;
    nodes[x].next = pool_head[db];
    pool_head[db] = x;
  }

  void release_windows(SlotState& st) noexcept {
    for (int d = 0; d < 2; ++d) {
      if (st.win[d]) win_free.push_back(st.win[d] - 1);  // capacity reserved: no allocation
      st.win[d] = 0;
      st.win_len[d] = 0;
      st.nretry[d] = 0;
    }
    update_window_gauge();
  }
  void update_window_gauge() noexcept {
    const std::size_t n = cfg.stream_window ? win_pool.size() / cfg.stream_window : 0;
    stats.stream_window_bytes.set(static_cast<int64_t>((n - win_free.size()) * cfg.stream_window));
  }
  uint8_t* window(const SlotState& st, uint8_t d) noexcept {
    return win_pool.data() + static_cast<std::size_t>(st.win[d] - 1) * cfg.stream_window;
  }
  // Keeps the last stream_window bytes of the direction after `bytes` were delivered.
  void push_window(SlotState& st, uint8_t d, std::span<const uint8_t> bytes) noexcept {
    if (!st.win[d]) return;
    uint8_t* w = window(st, d);
    const std::size_t cap = cfg.stream_window;
    if (bytes.size() >= cap) {
      std::memcpy(w, bytes.data() + bytes.size() - cap, cap);
      st.win_len[d] = static_cast<uint32_t>(cap);
      return;
    }
    std::size_t len = st.win_len[d];
    if (len + bytes.size() > cap) {
      const std::size_t drop = len + bytes.size() - cap;
      std::memmove(w, w + drop, len - drop);
      len -= drop;
    }
    std::memcpy(w + len, bytes.data(), bytes.size());
    st.win_len[d] = static_cast<uint32_t>(len + bytes.size());
  }

  void release_streams(SlotState& st) noexcept {
    release_windows(st);
    for (int d = 0; d < 2; ++d)
      for (int k = 0; k < 3; ++k)
        if (st.streams[d][k]) {
          release(st.sdb[d][k], st.streams[d][k]);
          st.streams[d][k] = nullptr;
        }
  }

  // ---- per-flow state ----
  void clear_flowbits(uint32_t slot) noexcept {
    if (fb_words) std::memset(&fb_bitmap[slot * fb_words], 0, fb_words * sizeof(uint64_t));
    slots[slot].nbits = 0;
  }

  SlotState* state_of(Flow* f) noexcept {
    if (!f || f->slot >= slots.size()) return nullptr;
    SlotState& st = slots[f->slot];
    if (st.flow_id != f->id) {  // the slot holds a new flow
      release_streams(st);
      st = SlotState{};
      clear_flowbits(f->slot);
      st.flow_id = f->id;
    }
    return &st;
  }

  bool fb_isset(uint32_t slot, uint16_t bit) const noexcept {
    if (fb_words) {
      if (bit >= fb_words * 64) return false;
      return (fb_bitmap[slot * fb_words + bit / 64] >> (bit % 64)) & 1;
    }
    const uint16_t* ids = fb_ids.data() + slot * kFlowbitIds;
    for (uint8_t i = 0; i < slots[slot].nbits; ++i)
      if (ids[i] == bit) return true;
    return false;
  }
  void fb_set(uint32_t slot, uint16_t bit, bool on) noexcept {
    if (fb_words) {
      if (bit >= fb_words * 64) return;
      uint64_t& w = fb_bitmap[slot * fb_words + bit / 64];
      if (on)
        w |= uint64_t{1} << (bit % 64);
      else
        w &= ~(uint64_t{1} << (bit % 64));
      return;
    }
    if (fb_ids.empty()) return;
    uint16_t* ids = fb_ids.data() + slot * kFlowbitIds;
    uint8_t& nb = slots[slot].nbits;
    for (uint8_t i = 0; i < nb; ++i)
      if (ids[i] == bit) {
        if (!on) ids[i] = ids[--nb];
        return;
      }
    if (!on) return;
    if (nb >= kFlowbitIds) {
      stats.flowbits_dropped.inc();
      return;
    }
    ids[nb++] = bit;
  }

  // ---- candidates ----
  void next_epoch() noexcept {
    if (++epoch == 0) {
      std::fill(stamp.begin(), stamp.end(), 0);
      epoch = 1;
    }
  }

  void add_cand(uint32_t rule, uint8_t dir, uint64_t flow_id, Source src, bool verified) noexcept {
    if (stamp[rule] == epoch) return;
    if (ncand == kMaxCandidates) {
      stats.candidates_dropped.inc();
      return;
    }
    stamp[rule] = epoch;
    cand[ncand++] = Cand{rule, cr->info[rule].rank, flow_id, dir, src, verified};
  }

  static int on_packet_match(unsigned id, unsigned long long, unsigned long long, unsigned,
                             void* ctx) {
    auto* c = static_cast<ScanCtx*>(ctx);
    Impl& m = *c->m;
    if (id < m.stamp.size())
      m.add_cand(id, c->dir, c->flow_id, Source::kPacket,
                 m.cr->info[id].pattern == PatternKind::kExact);
    return 0;
  }

  static int on_stream_match(unsigned id, unsigned long long, unsigned long long to, unsigned,
                             void* ctx) {
    auto* c = static_cast<ScanCtx*>(ctx);
    Impl& m = *c->m;
    if (id >= m.cstamp.size() || m.cstamp[id] == m.chunk) return 0;
    const RuleInfo& ri = m.cr->info[id];
    if (ri.pattern == PatternKind::kExact && c->base > 0) {
      // The stream restarted after a gap: offsets Hyperscan checked are relative to the
      // restart; hold depth to the absolute stream offset, and anchors cannot match.
      if (ri.anchored || c->base + to > ri.max_end) return 0;
    }
    m.add_pending(id);
    return 0;
  }

  // A verified rule leaves the retry list; a failed one joins it (once) until `until`.
  void note_retry(SlotState& st, uint8_t d, uint32_t id, bool matched, uint64_t until) noexcept {
    for (int i = 0; i < st.nretry[d]; ++i) {
      if (st.retry_rule[d][i] != id) continue;
      if (matched) {
        st.retry_rule[d][i] = st.retry_rule[d][st.nretry[d] - 1];
        st.retry_until[d][i] = st.retry_until[d][st.nretry[d] - 1];
        --st.nretry[d];
      }
      return;
    }
    if (matched || !st.win[d] || until == 0) return;
    if (st.nretry[d] == kRetries) {
      stats.stream_retries_dropped.inc();
      return;
    }
    st.retry_rule[d][st.nretry[d]] = id;
    st.retry_until[d][st.nretry[d]++] = until;
  }

  void add_pending(uint32_t id) noexcept {
    if (cstamp[id] == chunk) return;
    cstamp[id] = chunk;
    if (npend == kMaxPending) {
      stats.candidates_dropped.inc();
      return;
    }
    pend[npend++] = id;
  }

  void scan_block(int db, std::span<const uint8_t> data, uint8_t dir, uint64_t fid) noexcept {
    if (!scratch) return;
    ScanCtx ctx{this, fid, 0, dir};
    const hs_error_t rc = hs_scan(
        cr->dbs[static_cast<std::size_t>(db)].db.get(), reinterpret_cast<const char*>(data.data()),
        static_cast<unsigned>(data.size()), 0, scratch, on_packet_match, &ctx);
    if (rc != HS_SUCCESS) stats.hs_errors.inc();
  }

  // A stream database run over one packet's payload (TCP without reassembly).
  void scan_oneshot(int db, std::span<const uint8_t> data, uint8_t dir, uint64_t fid) noexcept {
    hs_stream_t* s = oneshot[static_cast<std::size_t>(db)];
    if (!scratch || !s) return;
    ScanCtx ctx{this, fid, 0, dir};
    hs_error_t rc =
        hs_scan_stream(s, reinterpret_cast<const char*>(data.data()),
                       static_cast<unsigned>(data.size()), 0, scratch, on_packet_match, &ctx);
    if (rc != HS_SUCCESS) stats.hs_errors.inc();
    rc = hs_reset_stream(s, 0, scratch, on_packet_match, &ctx);
    if (rc != HS_SUCCESS) stats.hs_errors.inc();
  }

  // ---- evaluation ----
  static bool ports_ok(const PortSet& sp, const PortSet& dp, Port s, Port d, bool has) noexcept {
    if (!has) return sp.any && dp.any;
    return sp.contains(s) && dp.contains(d);
  }
  static bool addrs_ok(const Rule& r, const IpAddr& s, const IpAddr& d, Port sp, Port dp,
                       bool has_ports) noexcept {
    if (r.src.contains(s) && r.dst.contains(d) && ports_ok(r.sport, r.dport, sp, dp, has_ports))
      return true;
    return r.bidirectional && r.src.contains(d) && r.dst.contains(s) &&
           ports_ok(r.sport, r.dport, dp, sp, has_ports);
  }
  static bool flow_ok(const FlowOpt& f, const Flow* flow, Dir dir, bool stream,
                      bool established) noexcept {
    if ((f.to_server || f.to_client || f.established || f.not_established) && !flow) return false;
    if (f.to_server && dir != Dir::kToServer) return false;
    if (f.to_client && dir != Dir::kToClient) return false;
    if (f.established && !established) return false;
    if (f.not_established && established) return false;
    if (f.only_stream && !stream) return false;
    if (f.no_stream && stream) return false;
    return true;
  }
  // stream_size: bytes each side has sent on the stream (+1 for its SYN when the handshake was
  // seen, as Suricata counts sequence numbers from the ISN).
  static bool stream_size_ok(const StreamSizeOpt& o, const Flow* flow,
                             const SlotState* st) noexcept {
    if (!flow || !st || flow->key.ip_proto != 6) return false;
    const uint64_t syn = flow->midstream ? 0 : 1;
    const uint64_t client = st->seen[0] + syn, server = st->seen[1] + syn;
    switch (o.side) {
      case StreamSizeOpt::Side::kServer:
        return o.cmp.test(server);
      case StreamSizeOpt::Side::kClient:
        return o.cmp.test(client);
      case StreamSizeOpt::Side::kBoth:
        return o.cmp.test(server) && o.cmp.test(client);
      case StreamSizeOpt::Side::kEither:
        return o.cmp.test(server) || o.cmp.test(client);
    }
    return false;
  }
  bool flowbits_ok(const Rule& r, const Flow* flow) const noexcept {
    for (const FlowbitOp& op : r.flowbits) {
      const bool is = op.kind == FlowbitOp::Kind::kIsSet;
      if (!is && op.kind != FlowbitOp::Kind::kIsNotSet) continue;
      if (!flow || flow->slot >= slots.size()) return false;
      bool any = false, all = true;
      for (uint16_t b : op.bits) {
        const bool want = fb_isset(flow->slot, b) == is;
        any = any || want;
        all = all && want;
      }
      if (!(op.any_of ? any : all)) return false;
    }
    return true;
  }
  void apply_flowbits(const Rule& r, const Flow* flow) noexcept {
    if (!flow || flow->slot >= slots.size()) return;
    for (const FlowbitOp& op : r.flowbits)
      for (uint16_t b : op.bits) switch (op.kind) {
          case FlowbitOp::Kind::kSet:
            fb_set(flow->slot, b, true);
            break;
          case FlowbitOp::Kind::kUnset:
            fb_set(flow->slot, b, false);
            break;
          case FlowbitOp::Kind::kToggle:
            fb_set(flow->slot, b, !fb_isset(flow->slot, b));
            break;
          default:
            break;
        }
  }

  // Evaluates this flow's candidates against packet p (direction pdir) in rank order and
  // raises alerts. keep_others: leave other flows' candidates queued (flow-end processing).
  void run_candidates(Flow* flow, SlotState* st, Dir pdir, const PacketView& p,
                      bool keep_others) noexcept {
    const uint64_t fid = flow ? flow->id : 0;
    std::size_t k = 0;
    for (std::size_t i = 0; i < ncand; ++i)
      if (cand[i].flow_id == fid) std::swap(cand[k++], cand[i]);
    if (!keep_others && ncand > k) stats.candidates_dropped.inc(ncand - k);
    std::sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(k),
              [](const Cand& a, const Cand& b) {
                if (a.rank != b.rank) return a.rank < b.rank;
                return a.src < b.src;
              });
    const CompiledRules::Impl& c = *cr;
    // Suricata's per-packet "established": UDP and others once both directions were seen
    // (this packet included); TCP once the session reached established before this packet,
    // closing states included, so the ACK completing the handshake is not (unless it carries
    // data) and the last ACK after both FINs still is.
    bool established = flow && flow->state == FlowState::kEstablished;
    if (flow && st && flow->key.ip_proto == 6)
      established = (st->flags & kWasEstablished) || (established && p.payload_len > 0);
    int alerts = 0;
    uint32_t last = kNil;
    for (std::size_t i = 0; i < k; ++i) {
      const Cand& x = cand[i];
      if (x.rule == last) continue;
      const Rule& r = c.set.rules[x.rule];
      const RuleInfo& ri = c.info[x.rule];
      const Dir cdir = static_cast<Dir>(x.dir);
      const bool same = cdir == pdir;
      const IpAddr& s = same ? p.src : p.dst;
      const IpAddr& d = same ? p.dst : p.src;
      const Port sp = same ? p.sport : p.dport;
      const Port dp = same ? p.dport : p.sport;
      if (!proto_ok(r, p) || !addrs_ok(r, s, d, sp, dp, p.has_ports())) continue;
      if (!flow_ok(r.flow, flow, cdir, x.src == Source::kStream, established)) continue;
      if (ri.needs_payload && p.payload_len == 0) continue;
      if (ri.header && !match_header(r, p)) continue;
      if (r.stream_size && !stream_size_ok(*r.stream_size, flow, st)) continue;
      if (ri.fb_reads && !flowbits_ok(r, flow)) continue;
      if (!x.verified) {
        stats.candidates.inc();
        if (!ri.prog || !ri.prog->match(p.payload_span(), ms)) continue;
      }
      last = x.rule;
      stats.matches.inc();
      if (st) apply_flowbits(r, flow);
      // Suricata applies pass and drop to the whole flow for stream matches and IP-only
      // rules; a packet match acts on that packet only.
      const bool flow_scope = x.src != Source::kPacket;
      if (r.action == Action::kPass) {
        if (flow_scope && st) st->flags |= kPassed;
        break;
      }
      const bool blocks = r.action == Action::kDrop || r.action == Action::kReject;
      if (c.ips_mode && blocks && flow_scope && st) st->flags |= kBlocked;
      if (r.noalert) continue;
      if (alerts == kPacketAlertMax) {
        stats.alerts_over_max.inc();
        continue;
      }
      ++alerts;
      Alert a;
      a.ts = p.ts;
      a.flow_id = fid;
      a.pcap_cnt = p.pcap_cnt;  // 0 on a flow-end pseudo packet
      a.src = s;
      a.dst = d;
      a.sport = sp;
      a.dport = dp;
      a.ip_proto = p.ip_proto;
      a.icmp_type = p.icmp_type;
      a.icmp_code = p.icmp_code;
      a.to_server = cdir == Dir::kToServer;
      a.stream = x.src == Source::kStream;
      a.blocked = c.ips_mode && blocks;
      a.rules = holder.get();
      a.rule = x.rule;
      a.gid = r.gid;
      a.sid = r.sid;
      a.rev = r.rev;
      a.severity = static_cast<uint8_t>(std::clamp(r.priority, 1, 4));
      stats.alerts.inc();
      if (sink) sink->on_alert(a);
    }
    if (keep_others) {
      std::size_t j = 0;
      for (std::size_t i = k; i < ncand; ++i) cand[j++] = cand[i];
      ncand = j;
    } else {
      ncand = 0;
    }
    next_epoch();
  }

  void inspect(Flow* flow, Dir dir, const PacketView& p) noexcept {
    const int pc = proto_class(p);
    SlotState* st = cr && pc >= 0 ? state_of(flow) : nullptr;
    if (!cr || pc < 0 || (st && (st->flags & (kPassed | kBlocked)))) {
      stats.candidates_dropped.inc(ncand);
      ncand = 0;
      next_epoch();
      return;
    }
    const uint8_t d = static_cast<uint8_t>(idx(dir));
    const uint64_t fid = flow ? flow->id : 0;
    if (st && !(st->flags & kSeen)) {
      st->flags |= kSeen;
      // A TCP flow that starts without SYN and was not picked up midstream is not reassembled
      // by the tracker (TcpTracker::delivers() is false), in either direction: its packets
      // are inspected one by one.
      if (pc == kPcTcp && !(p.tcp.flags & tcpflag::kSyn) && !flow->midstream)
        st->flags |= static_cast<uint16_t>(kNoStream | (kNoStream << 1));
    }
    // IP-only rules: once per flow direction (every packet without flow state).
    if (!st || !(st->flags & (kIpoDone << d))) {
      if (st) st->flags |= static_cast<uint16_t>(kIpoDone << d);
      cr->ip_only.lookup(p.src, p.dst,
                         [&](uint32_t id) { add_cand(id, d, fid, Source::kIpOnly, true); });
    }
    uint16_t gs[3];
    cr->groups_for(pc, p.sport, p.dport, gs);
    // TCP payload the stream will not carry is inspected on the packet: no reassembly, or no
    // stream for this direction (memcap, or a flow the tracker does not reassemble). SYN data
    // (TCP Fast Open) is stream data, like every segment the tracker takes, retransmissions
    // included (Suricata adds those to the stream too, so they get no packet inspection).
    const bool tcp_alone =
        pc == kPcTcp && (!cfg.tcp_reassembly || !st || (st->flags & (kNoStream << d)));
    for (uint16_t gi : gs) {
      if (gi == kNoGroup) continue;
      const Group& g = cr->groups[gi];
      for (uint32_t id : g.header[d]) add_cand(id, d, fid, Source::kPacket, true);
      if (p.payload_len == 0) continue;
      if (g.pkt_db[d] >= 0) scan_block(g.pkt_db[d], p.payload_span(), d, fid);
      for (uint32_t id : g.nopat_pkt[d]) add_cand(id, d, fid, Source::kPacket, false);
      if (tcp_alone) {
        if (g.stream_db[d] >= 0) scan_oneshot(g.stream_db[d], p.payload_span(), d, fid);
        for (uint32_t id : g.nopat_stream[d]) add_cand(id, d, fid, Source::kPacket, false);
      }
    }
    run_candidates(flow, st, dir, p, false);
    if (st && flow->state == FlowState::kEstablished) st->flags |= kWasEstablished;
  }

  // ---- stream side ----
  bool open_streams(const Flow& flow, SlotState& st, uint8_t d) noexcept {
    const Port cp = flow.key.client_port, sp = flow.key.server_port;
    uint16_t gs[3];
    cr->groups_for(kPcTcp, d == 0 ? cp : sp, d == 0 ? sp : cp, gs);
    for (int k = 0; k < 3; ++k) {
      if (gs[k] == kNoGroup) continue;
      const int db = cr->groups[gs[k]].stream_db[d];
      if (db < 0 || !cr->dbs[static_cast<std::size_t>(db)].db) continue;
      hs_stream_t* s = acquire(static_cast<uint16_t>(db));
      if (!s) {
        for (int j = 0; j < 3; ++j)
          if (st.streams[d][j]) {
            release(st.sdb[d][j], st.streams[d][j]);
            st.streams[d][j] = nullptr;
          }
        st.flags |= static_cast<uint16_t>(kNoStream << d);
        stats.stream_state_memcap_drops.inc();
        return false;
      }
      st.streams[d][k] = s;
      st.sdb[d][k] = static_cast<uint16_t>(db);
    }
    st.flags |= static_cast<uint16_t>(kOpened << d);
    st.base[d] = st.seen[d];
    if (any_prefilter_stream && cfg.stream_window > 0) {
      if (!win_free.empty()) {
        st.win[d] = win_free.back() + 1;
        win_free.pop_back();
        st.win_len[d] = 0;
        update_window_gauge();
      } else {
        stats.stream_window_memcap_drops.inc();
      }
    }
    return true;
  }

  void stream_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes) noexcept {
    if (!cr || bytes.empty()) return;
    SlotState* st = state_of(&flow);
    if (!st) return;
    const uint8_t d = static_cast<uint8_t>(idx(dir));
    const uint64_t at = st->seen[d];
    if (st->flags & (kPassed | kBlocked | (kNoStream << d))) {
      st->seen[d] = at + bytes.size();
      return;
    }
    if (!(st->flags & (kOpened << d)) && !open_streams(flow, *st, d)) {
      st->seen[d] = at + bytes.size();
      return;
    }
    st->seen[d] = at + bytes.size();
    stats.stream_bytes_scanned.inc(bytes.size());
    if (++chunk == 0) {
      std::fill(cstamp.begin(), cstamp.end(), 0);
      chunk = 1;
    }
    npend = 0;
    ScanCtx ctx{this, flow.id, st->base[d], d};
    const Port cp = flow.key.client_port, svp = flow.key.server_port;
    uint16_t gs[3];
    cr->groups_for(kPcTcp, d == 0 ? cp : svp, d == 0 ? svp : cp, gs);
    for (int k = 0; k < 3; ++k) {
      if (gs[k] == kNoGroup) continue;
      if (hs_stream_t* s = st->streams[d][k]; s && scratch) {
        const hs_error_t rc =
            hs_scan_stream(s, reinterpret_cast<const char*>(bytes.data()),
                           static_cast<unsigned>(bytes.size()), 0, scratch, on_stream_match, &ctx);
        if (rc != HS_SUCCESS) stats.hs_errors.inc();
      }
      for (uint32_t id : cr->groups[gs[k]].nopat_stream[d]) add_pending(id);
    }
    // Oriented as the data flows: the sender is the source.
    const IpAddr& src = d == 0 ? flow.key.client : flow.key.server;
    const IpAddr& dst = d == 0 ? flow.key.server : flow.key.client;
    const Port sp = d == 0 ? cp : svp, dp = d == 0 ? svp : cp;
    // What a prefiltered rule is verified on: the direction's window plus this chunk, built
    // once per chunk and only when such a rule is a candidate.
    std::span<const uint8_t> vspan;
    bool vbuilt = false;
    // Earlier hits still in the window are candidates again; expired ones are dropped.
    const uint64_t end = st->seen[d];
    {
      int k = 0;
      for (int i = 0; i < st->nretry[d]; ++i) {
        if (st->retry_until[d][i] < end) continue;
        st->retry_rule[d][k] = st->retry_rule[d][i];
        st->retry_until[d][k++] = st->retry_until[d][i];
        add_pending(st->retry_rule[d][i]);
      }
      st->nretry[d] = static_cast<uint8_t>(k);
    }
    for (std::size_t i = 0; i < npend; ++i) {
      const uint32_t id = pend[i];
      if (stamp[id] == epoch) continue;
      const Rule& r = cr->set.rules[id];
      const RuleInfo& ri = cr->info[id];
      if (!addrs_ok(r, src, dst, sp, dp, true)) continue;
      if (ri.pattern != PatternKind::kExact) {
        stats.candidates.inc();
        if (!vbuilt) {
          vbuilt = true;
          vspan = bytes;
          const std::size_t wl = st->win[d] ? st->win_len[d] : 0;
          if (wl > 0 && bytes.size() <= kMaxVerifyChunk) {
            std::memcpy(vbuf.data(), window(*st, d), wl);
            std::memcpy(vbuf.data() + wl, bytes.data(), bytes.size());
            vspan = std::span<const uint8_t>(vbuf.data(), wl + bytes.size());
          }
        }
        const bool ok = ri.prog && ri.prog->match(vspan, ms);
        note_retry(*st, d, id, ok, end + (st->win[d] ? cfg.stream_window : 0));
        if (!ok) continue;
      }
      add_cand(id, d, flow.id, Source::kStream, true);
    }
    npend = 0;
    push_window(*st, d, bytes);
  }

  void stream_gap(Flow& flow, Dir dir, uint32_t len) noexcept {
    if (!cr) return;
    SlotState* st = state_of(&flow);
    if (!st) return;
    const uint8_t d = static_cast<uint8_t>(idx(dir));
    st->seen[d] += len;
    // A pattern must not match across the hole: the streams start again after it.
    for (int k = 0; k < 3; ++k)
      if (hs_stream_t* s = st->streams[d][k])
        if (hs_reset_stream(s, 0, nullptr, nullptr, nullptr) != HS_SUCCESS) stats.hs_errors.inc();
    st->base[d] = st->seen[d];
    st->win_len[d] = 0;  // nothing before the hole is verified with what follows it
    st->nretry[d] = 0;
  }

  void stream_end(Flow& flow, Nanos ts) noexcept {
    if (!cr || flow.slot >= slots.size()) return;
    SlotState& st = slots[flow.slot];
    if (st.flow_id != flow.id) return;
    bool pending = false;
    for (std::size_t i = 0; i < ncand && !pending; ++i) pending = cand[i].flow_id == flow.id;
    if (pending && !(st.flags & (kPassed | kBlocked))) {
      // Matches in data delivered as the flow ends: raised on a pseudo packet (no pcap_cnt).
      PacketView pv;
      pv.ts = ts;
      pv.ip_version = flow.key.client.family;
      pv.ip_proto = flow.key.ip_proto;
      pv.l4 = L4::kTcp;
      pv.src = flow.key.client;
      pv.dst = flow.key.server;
      pv.sport = flow.key.client_port;
      pv.dport = flow.key.server_port;
      pv.iface = flow.key.iface;
      run_candidates(&flow, &st, Dir::kToServer, pv, true);
    } else if (pending) {
      std::size_t j = 0;
      for (std::size_t i = 0; i < ncand; ++i)
        if (cand[i].flow_id != flow.id) cand[j++] = cand[i];
      ncand = j;
    }
    release_streams(st);
    clear_flowbits(flow.slot);
    st = SlotState{};
  }
};

Detector::Detector(std::shared_ptr<const CompiledRules> rules, const DetectorConfig& cfg,
                   AlertSink* sink)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = cfg;
  impl_->sink = sink;
  impl_->setup(std::move(rules));
}

Detector::~Detector() { impl_->teardown(); }

void Detector::inspect(Flow* flow, Dir dir, const PacketView& p) noexcept {
  impl_->stats.packets_inspected.inc();
  impl_->inspect(flow, dir, p);
}

void Detector::set_rules(std::shared_ptr<const CompiledRules> rules) noexcept {
  impl_->teardown();
  impl_->setup(std::move(rules));
}

const CompiledRules* Detector::rules() const noexcept { return impl_->holder.get(); }

void Detector::on_stream_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes, Nanos) noexcept {
  impl_->stream_data(flow, dir, bytes);
}
void Detector::on_stream_gap(Flow& flow, Dir dir, uint32_t len, Nanos) noexcept {
  impl_->stream_gap(flow, dir, len);
}
void Detector::on_stream_end(Flow& flow, Nanos ts) noexcept { impl_->stream_end(flow, ts); }

const DetectorStats& Detector::stats() const noexcept { return impl_->stats; }

std::size_t Detector::bytes_per_flow(const CompiledRules* rules) noexcept {
  std::size_t n = sizeof(SlotState) + 6 * sizeof(StreamNode);
  const std::size_t names = rules ? rules->ruleset().flowbit_names.size() : 0;
  if (names > 0 && names <= kFlowbitBitmapMax)
    n += (names + 63) / 64 * sizeof(uint64_t);
  else if (names > 0)
    n += kFlowbitIds * sizeof(uint16_t);
  return n;
}

CompiledRules::ScanLimit CompiledRules::measure_scan_limit(
    std::span<const PacketView> packets) const {
  const Impl& m = *impl_;
  ScanLimit out;
  hs_scratch_t* scratch = nullptr;
  if (!m.scratch || hs_clone_scratch(m.scratch.get(), &scratch) != HS_SUCCESS) return out;
  std::vector<hs_stream_t*> streams(m.dbs.size(), nullptr);
  for (std::size_t i = 0; i < m.dbs.size(); ++i)
    if (m.dbs[i].stream && m.dbs[i].db && hs_open_stream(m.dbs[i].db.get(), 0, &streams[i]) != HS_SUCCESS)
      streams[i] = nullptr;
  auto count = [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
    ++*static_cast<uint64_t*>(ctx);
    return 0;
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (const PacketView& p : packets) {
    const int pc = proto_class(p);
    if (pc < 0 || p.payload_len == 0) continue;
    ++out.packets;
    out.bytes += p.payload_len;
    const uint8_t d = p.has_ports() && p.dport > p.sport ? 1 : 0;
    uint16_t gs[3];
    m.groups_for(pc, p.sport, p.dport, gs);
    for (uint16_t gi : gs) {
      if (gi == kNoGroup) continue;
      const Group& g = m.groups[gi];
      const char* data = reinterpret_cast<const char*>(p.payload);
      if (g.pkt_db[d] >= 0 && m.dbs[static_cast<std::size_t>(g.pkt_db[d])].db) {
        ++out.scans;
        hs_scan(m.dbs[static_cast<std::size_t>(g.pkt_db[d])].db.get(), data, p.payload_len, 0,
                scratch, count, &out.matches);
      }
      if (pc == kPcTcp && g.stream_db[d] >= 0 && streams[static_cast<std::size_t>(g.stream_db[d])]) {
        ++out.scans;
        hs_scan_stream(streams[static_cast<std::size_t>(g.stream_db[d])], data, p.payload_len, 0,
                       scratch, count, &out.matches);
      }
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (hs_stream_t* s : streams)
    if (s) hs_close_stream(s, scratch, nullptr, nullptr);
  hs_free_scratch(scratch);
  return out;
}

bool Detector::flow_blocked(const Flow& flow) const noexcept {
  if (flow.slot >= impl_->slots.size()) return false;
  const SlotState& st = impl_->slots[flow.slot];
  return st.flow_id == flow.id && (st.flags & kBlocked);
}

}  // namespace ts::sig
