// FixInspector implementation.
//
// Per delivery: one read of the flow slot's entry in `slots` decides everything for flows
// already classified (not FIX, untracked, or a connection index). A flow's first data
// classifies it: a configured port/server, or (auto-detect) a stream starting "8=FIX" /
// "8=STEP"; a first segment too short to tell ("8=F") parks the flow on a connection in
// probing state until the rest arrives. FIX bytes go to the direction's FixFramer, which
// calls back on_fix_message / on_fix_garbage with the connection and direction in `cur`.
//
// Per message, in order: session name (first message carrying 49 and 56), per-session
// counters, framing errors (alert, sequence tracking only), required tags, MsgSeqNum, then
// by type: Logon/Logout (logon state, CompID allow-list, plaintext password, failed logons),
// ResendRequest storms, NewOrderSingle (flood window, cancel ratio, pending order for
// latency), cancels, ExecutionReports (latency), rejects.
//
// Logon state machine of a connection (the initiator is the TCP client):
//   none/failed/logged-out --Logon--> logon-sent --acceptor Logon--> logged-on --Logout--> out
//                                        |--acceptor Logout or stream end--> failed (alert)
//
// MsgSeqNum per direction: the first message sets the baseline (a Logon with 141=Y resets it
// to 1), and so does the first message after a TCP gap: numbers lost with our capture are
// not the session's gap. Garbage is alerted only where the stream was followed from a known
// message boundary: the bytes before the first message of a midstream pickup, and those
// around a TCP gap or the stream's end, are counted only.
//
// Memory is fixed at construction: the slot map (4 bytes per flow slot, lazily touched), the
// connection pool (about 6 KB per connection, mostly its two framers), the session stats
// table (about 600 bytes per name) and the pending-order table (about 40 bytes per order).
// Nothing here allocates, locks or logs after the constructor. tick() walks the intrusive
// list of active connections only.
#include "detectors/fix_inspector.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/alert_detail.h"
#include "detectors/builtin.h"
#include "detectors/fix_framer.h"
#include "exporters/metrics.h"
#include "sensor/flow.h"
#include "sensor/flow_hash.h"
#include "sensor/zeroed_array.h"

namespace ts::detectors {
namespace {

constexpr uint32_t kNil = 0xFFFFFFFFu;

// slots_ values: 0 until the flow's first data, then one of these or kSlotConn + index.
constexpr uint32_t kSlotUnknown = 0;
constexpr uint32_t kSlotNotFix = 1;
constexpr uint32_t kSlotUntracked = 2;
constexpr uint32_t kSlotConn = 3;

constexpr std::size_t kMinConnections = 16;
constexpr std::size_t kMinPendingOrders = 16;
constexpr std::size_t kWindowBuckets = 10;
constexpr Nanos kFloodBucket = 100 * kNanosPerMs;       // 10 x 100 ms: the 1 s order-rate window
constexpr std::size_t kNameMax = 2 * kFixValueMax + 2;  // "Sender->Target"
constexpr std::size_t kExcerptMax = sizeof(FixMessage::head);

// MsgType label values: a fixed list, everything else is "other".
constexpr std::string_view kMsgTypes[] = {"0", "1", "2", "3", "4", "5", "A", "D",  "F",  "G",
                                          "8", "9", "j", "V", "W", "X", "Y", "AE", "AR", "other"};
constexpr std::size_t kMsgTypeCount = std::size(kMsgTypes);
constexpr std::size_t kMsgOther = kMsgTypeCount - 1;

// Rejects counted per session: session Reject, BusinessMessageReject, OrderCancelReject.
constexpr std::string_view kRejectTypes[] = {"3", "j", "9"};
constexpr std::size_t kRejectCount = std::size(kRejectTypes);

// Order-to-ack latency histogram bounds, seconds (and the same in nanoseconds).
constexpr double kLatencyBounds[] = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 5e-3, 10e-3,
                                     25e-3, 50e-3,  100e-3, 250e-3, 500e-3, 1,      2.5,  5};
constexpr std::size_t kLatencyBuckets = std::size(kLatencyBounds);
constexpr Nanos kLatencyBoundsNs[kLatencyBuckets] = {
    50'000,      100'000,       250'000,       500'000,      1'000'000,   2'500'000,
    5'000'000,   10'000'000,    25'000'000,    50'000'000,   100'000'000, 250'000'000,
    500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000};
constexpr bool latency_bounds_agree() {
  for (std::size_t i = 0; i < kLatencyBuckets; ++i)
    if (kLatencyBoundsNs[i] != static_cast<Nanos>(kLatencyBounds[i] * 1e9 + 0.5)) return false;
  return true;
}
static_assert(latency_bounds_agree());

const char* const kDirLabel[2] = {"to_server", "to_client"};

std::size_t msg_type_index(std::string_view t) noexcept {
  for (std::size_t i = 0; i < kMsgOther; ++i)
    if (kMsgTypes[i] == t) return i;
  return kMsgOther;
}

// Session-level (admin) messages: Heartbeat, TestRequest, ResendRequest, Reject,
// SequenceReset, Logout, Logon.
bool is_admin(std::string_view t) noexcept {
  return t.size() == 1 && t[0] != '\0' && std::strchr("012345A", t[0]) != nullptr;
}

uint64_t hash_bytes(std::string_view s, uint64_t h = 1469598103934665603ull) noexcept {
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// A positive decimal integer (FIX int fields); false on anything else or overflow.
bool parse_uint(std::string_view s, uint64_t& out) noexcept {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool flag_yes(const FixMessage& m, FixTag t) noexcept { return m.get(t) == "Y"; }

// Counts per bucket of `width` packet time, the newest kWindowBuckets buckets: a sliding
// window moving in bucket steps. All-zero is the empty window.
struct Window {
  uint32_t count[kWindowBuckets];
  int64_t head;  // bucket number (ts / width) of the newest bucket
  bool started;

  void advance(Nanos ts, Nanos width) noexcept {
    const int64_t b = std::max<Nanos>(ts, 0) / width;
    if (!started) {
      started = true;
      head = b;
      std::memset(count, 0, sizeof count);
      return;
    }
    if (b <= head) return;
    if (b - head >= static_cast<int64_t>(kWindowBuckets)) {
      std::memset(count, 0, sizeof count);
    } else {
      for (int64_t k = head + 1; k <= b; ++k) count[k % kWindowBuckets] = 0;
    }
    head = b;
  }
  void add(Nanos ts, Nanos width, uint32_t n = 1) noexcept {
    advance(ts, width);
    const int64_t b = std::max<Nanos>(ts, 0) / width;
    if (b + static_cast<int64_t>(kWindowBuckets) <= head) return;  // older than the window
    count[std::min(b, head) % kWindowBuckets] += n;
  }
  uint64_t sum() const noexcept {
    uint64_t s = 0;
    for (uint32_t c : count) s += c;
    return s;
  }
};

enum class Logon : uint8_t { kNone, kSent, kLoggedOn, kFailed, kLoggedOut };

struct DirState {
  uint64_t expected_seq;  // next MsgSeqNum expected, valid with has_baseline
  bool has_baseline;
  bool quiet_garbage;  // garbage now is our capture (midstream start, gap, end): no alert
  bool hb_alerted;     // heartbeat-lost raised, until this direction speaks again
  bool comp_set;       // comp_sender/comp_target hold the logged-on CompIDs
  Nanos last_rx;       // packet time of the latest bytes in this direction
  uint64_t comp_sender, comp_target;  // hashes of 49/56 expected on this direction
  Window resends;
  Nanos resend_quiet_until;  // storm alert raised: none again before this
};

// Everything about a connection except its framers; value-initialised on allocation.
struct ConnState {
  uint64_t flow_id;
  IpAddr client, server;
  Port client_port, server_port;
  uint32_t gen;    // allocation number: pending orders of a previous owner miss
  bool midstream;  // picked up without the start: no before-logon check
  bool gapped;     // bytes lost: logon may have been missed
  bool tls;        // configured TLS leg: passwords are not plaintext
  const std::vector<std::string>* allow;  // SenderCompIDs allowed to log on; null: no check
  Logon logon;
  bool logout_seen;  // no heartbeat checks after a Logout
  bool before_logon_alerted;
  bool password_alerted;
  Nanos hb_interval;  // HeartBtInt of the Logon; 0: unknown
  uint32_t session;   // index into the session table; kNil until known
  uint8_t name_len;
  char name[kNameMax];
  // Auto-detect: first bytes shorter than the signature ("8=F"), kept until decided.
  bool probing;
  Dir probe_dir;
  uint8_t probe_len;
  uint8_t probe[8];
  Nanos probe_ts;
  // Order flow.
  Window orders_1s;
  bool flood_alerted;
  Nanos flood_below_since;  // rate back at or under the limit since; 0: not
  Window ratio_orders, ratio_cancels;
  Nanos ratio_quiet_until;
  DirState d[2];
};

struct Conn {
  explicit Conn(const FixFramerConfig& fc) : fr{FixFramer(fc), FixFramer(fc)} {}
  FixFramer fr[2];
  ConnState s{};
  uint32_t prev = kNil, next = kNil;  // active list (in use) or free list
};

// Per-session counters, read by the scrape thread. The name is written once, before the
// table's published count is release-stored; counters are single-writer relaxed atomics.
struct SessionStats {
  char name[kNameMax];
  uint8_t name_len = 0;
  uint64_t hash = 0;
  Counter messages[2][kMsgTypeCount];
  Counter gaps;
  Counter rejects[kRejectCount];
  Counter latency[kLatencyBuckets + 1];  // per bucket; the last one is above the last bound
  Counter latency_sum_ns;
  Counter latency_count;
};

// Orders awaiting their first ExecutionReport: fixed entries, an open-addressing index
// (linear probing, backward-shift deletion) and an age list, oldest first.
class PendingOrders {
 public:
  struct Key {
    uint64_t clordid;  // hash of ClOrdID
    uint32_t conn;
    uint32_t gen_dir;  // connection generation << 1 | direction of the order
    bool operator==(const Key&) const = default;
  };

  explicit PendingOrders(std::size_t limit) : entries_(limit) {
    std::size_t cap = 16;
    while (cap < 2 * limit) cap <<= 1;
    index_.assign(cap, kNil);
    mask_ = cap - 1;
    for (std::size_t i = 0; i < limit; ++i)
      entries_[i].next = i + 1 < limit ? static_cast<uint32_t>(i + 1) : kNil;
    free_ = limit ? 0 : kNil;
  }

  uint32_t find(const Key& k) const noexcept {
    for (std::size_t i = home(k);; i = (i + 1) & mask_) {
      const uint32_t e = index_[i];
      if (e == kNil) return kNil;
      if (entries_[e].key == k) return e;
    }
  }
  Nanos ts(uint32_t e) const noexcept { return entries_[e].ts; }

  // False if already pending. `evicted` is set when the oldest had to make room.
  bool insert(const Key& k, Nanos ts, bool& evicted) noexcept {
    evicted = false;
    if (entries_.empty() || find(k) != kNil) return false;
    if (free_ == kNil) {
      remove(oldest_);
      evicted = true;
    }
    const uint32_t e = free_;
    Entry& en = entries_[e];
    free_ = en.next;
    en.key = k;
    en.ts = ts;
    en.prev = newest_;
    en.next = kNil;
    if (newest_ != kNil)
      entries_[newest_].next = e;
    else
      oldest_ = e;
    newest_ = e;
    std::size_t i = home(k);
    while (index_[i] != kNil) i = (i + 1) & mask_;
    index_[i] = e;
    ++size_;
    return true;
  }

  void remove(uint32_t e) noexcept {
    Entry& en = entries_[e];
    // Index: find the slot, then shift back later entries whose home is not in (hole, j].
    std::size_t i = home(en.key);
    while (index_[i] != e) i = (i + 1) & mask_;
    std::size_t j = i;
    for (;;) {
      j = (j + 1) & mask_;
      const uint32_t o = index_[j];
      if (o == kNil) break;
      const std::size_t h = home(entries_[o].key);
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      index_[i] = o;
      i = j;
    }
    index_[i] = kNil;
    // Age list.
    if (en.prev != kNil)
      entries_[en.prev].next = en.next;
    else
      oldest_ = en.next;
    if (en.next != kNil)
      entries_[en.next].prev = en.prev;
    else
      newest_ = en.prev;
    en.next = free_;
    en.prev = kNil;
    free_ = e;
    --size_;
  }

  // Drops orders placed before `cutoff`; returns how many.
  uint64_t expire(Nanos cutoff) noexcept {
    uint64_t n = 0;
    while (oldest_ != kNil && entries_[oldest_].ts < cutoff) {
      remove(oldest_);
      ++n;
    }
    return n;
  }
  std::size_t size() const noexcept { return size_; }

 private:
  struct Entry {
    Key key{};
    Nanos ts = 0;
    uint32_t prev = kNil, next = kNil;
  };
  std::size_t home(const Key& k) const noexcept {
    return mix64(k.clordid ^ (uint64_t{k.conn} << 32 | k.gen_dir)) & mask_;
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> index_;
  std::size_t mask_ = 0;
  uint32_t free_ = kNil, oldest_ = kNil, newest_ = kNil;
  std::size_t size_ = 0;
};

// Which signature is "8=FIX..." / "8=STEP..." a prefix of: 1 yes, 0 undecided (all bytes
// match but too few), -1 no.
int fix_signature(const uint8_t* p, std::size_t n) noexcept {
  static constexpr std::string_view kSigs[] = {"8=FIX", "8=STEP"};
  bool undecided = false;
  for (std::string_view s : kSigs) {
    const std::size_t k = std::min(n, s.size());
    if (std::memcmp(p, s.data(), k) != 0) continue;
    if (k == s.size()) return 1;
    undecided = true;
  }
  return undecided ? 0 : -1;
}

}  // namespace

struct FixInspector::Impl final : FixMessageHandler {
  Impl(const config::FixConfig& c, std::size_t flow_capacity, int nworkers, sig::AlertSink* s)
      : cfg(c),
        sink(s),
        pending(std::max(kMinPendingOrders,
                         c.max_pending_orders / static_cast<std::size_t>(std::max(1, nworkers)))) {
    fcfg.max_message = cfg.max_message;
    fcfg.masked_tags = cfg.masked_tags;
    for (uint32_t t : cfg.masked_tags) {
      if (t == 49) mask_sender = true;
      if (t == 56) mask_target = true;
    }
    slots.reset(flow_capacity);
    const std::size_t n = std::max(
        kMinConnections, cfg.max_connections / static_cast<std::size_t>(std::max(1, nworkers)));
    conns.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      conns.emplace_back(fcfg);
      conns.back().next = i + 1 < n ? static_cast<uint32_t>(i + 1) : kNil;
    }
    free_head = 0;
    session_cap = cfg.max_sessions;
    sessions = std::make_unique<SessionStats[]>(session_cap + 1);
    std::memcpy(sessions[session_cap].name, "other", 5);
    sessions[session_cap].name_len = 5;
    cancel_width = std::max<Nanos>(1, cfg.cancel_window / static_cast<Nanos>(kWindowBuckets));
    resend_width = std::max<Nanos>(1, cfg.resend_window / static_cast<Nanos>(kWindowBuckets));
  }

  // ---- connections ----

  Conn* conn_of(const Flow& flow) noexcept {
    if (flow.slot >= slots.size()) return nullptr;
    const uint32_t v = slots[flow.slot];
    if (v < kSlotConn) return nullptr;
    Conn& c = conns[v - kSlotConn];
    return c.s.flow_id == flow.id ? &c : nullptr;
  }
  uint32_t index_of(const Conn& c) const noexcept {
    return static_cast<uint32_t>(&c - conns.data());
  }

  // A configured port or server for this flow's server side: whether it is one, its
  // allow-list and TLS flag.
  bool configured(const Flow& flow, const std::vector<std::string>*& allow, bool& tls) const {
    const Port port = flow.key.server_port;
    bool found = std::find(cfg.ports.begin(), cfg.ports.end(), port) != cfg.ports.end();
    allow = nullptr;
    tls = false;
    const config::FixServerConfig* best = nullptr;
    for (int pass = 0; pass < 2; ++pass) {  // exact address first, then any-address entries
      for (const config::FixServerConfig& sv : cfg.servers) {
        if (sv.port != port) continue;
        if (pass == 0 ? (sv.any_address || !(sv.address == flow.key.server)) : !sv.any_address)
          continue;
        found = true;
        if (!best) best = &sv;
        if (!allow && !sv.allowed_comp_ids.empty()) allow = &sv.allowed_comp_ids;
      }
    }
    if (best) tls = best->tls;
    return found;
  }

  // A connection state for `flow` (its server's allow-list and TLS flag from configured()),
  // or null when the pool is empty (counted; the flow is marked untracked). `count`: count
  // the connection now (false while probing: counted once recognised).
  Conn* allocate(const Flow& flow, bool count, const std::vector<std::string>* allow,
                 bool tls) noexcept {
    if (count) stats.connections.inc();
    if (free_head == kNil) {
      if (!count) stats.connections.inc();
      stats.connections_untracked.inc();
      slots[flow.slot] = kSlotUntracked;
      return nullptr;
    }
    const uint32_t i = free_head;
    Conn& c = conns[i];
    free_head = c.next;
    c.s = ConnState{};
    c.prev = kNil;
    c.next = active_head;
    if (active_head != kNil) conns[active_head].prev = i;
    active_head = i;
    for (FixFramer& f : c.fr) f.reset();
    ConnState& s = c.s;
    s.flow_id = flow.id;
    s.client = flow.key.client;
    s.server = flow.key.server;
    s.client_port = flow.key.client_port;
    s.server_port = flow.key.server_port;
    s.gen = ++gen_counter;
    s.midstream = flow.midstream;
    s.session = kNil;
    s.allow = allow ? allow : (cfg.allowed_comp_ids.empty() ? nullptr : &cfg.allowed_comp_ids);
    s.tls = tls;
    slots[flow.slot] = kSlotConn + i;
    return &c;
  }

  void release(Conn& c) noexcept {
    if (c.s.logon == Logon::kLoggedOn) active_sessions.add(-1);
    const uint32_t i = index_of(c);
    if (c.prev != kNil)
      conns[c.prev].next = c.next;
    else
      active_head = c.next;
    if (c.next != kNil) conns[c.next].prev = c.prev;
    c.s.flow_id = 0;
    c.prev = kNil;
    c.next = free_head;
    free_head = i;
  }

  // Starts framing a recognised connection. `first_dir` delivered the first bytes; its
  // framer expects "8=" at once when those bytes carry the signature or the flow was seen
  // from its start; otherwise (midstream pickup) it hunts.
  void start_framers(Conn& c, Dir first_dir, bool signature) noexcept {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) {
      const bool at_start = (d == first_dir && signature) || !c.s.midstream;
      c.fr[idx(d)].set_expect_start(at_start);
      c.s.d[idx(d)].quiet_garbage = !at_start;
    }
  }

  void feed(Conn& c, Dir d, std::span<const uint8_t> bytes, Nanos ts) noexcept {
    cur = &c;
    cur_dir = d;
    c.fr[idx(d)].feed(bytes, ts, *this);
    cur = nullptr;
  }

  void on_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes, Nanos ts) noexcept {
    if (!cfg.enabled || bytes.empty() || flow.slot >= slots.size()) return;
    uint32_t v = slots[flow.slot];
    if (v == kSlotNotFix || v == kSlotUntracked) return;
    Conn* c = nullptr;
    if (v >= kSlotConn) {
      c = &conns[v - kSlotConn];
      if (c->s.flow_id != flow.id) {  // stale: the previous flow's end was not seen
        release(*c);
        slots[flow.slot] = v = kSlotUnknown;
        c = nullptr;
      }
    }
    if (!c) {
      c = classify(flow, dir, bytes, ts);
      if (!c) return;
      if (c->s.probing) return;
    } else if (c->s.probing) {
      if (!probe_more(flow, *c, dir, bytes, ts)) return;
      if (c->s.probing) return;
    }
    DirState& s = c->s.d[idx(dir)];
    s.last_rx = ts;
    s.hb_alerted = false;
    feed(*c, dir, bytes, ts);
  }

  // First data of a flow: FIX or not. Returns the connection when bytes should be fed now
  // (or it is probing: bytes consumed); null when not inspected.
  Conn* classify(Flow& flow, Dir dir, std::span<const uint8_t> bytes, Nanos ts) noexcept {
    const std::vector<std::string>* allow = nullptr;
    bool tls = false;
    const bool conf = configured(flow, allow, tls);
    const int sig = cfg.auto_detect ? fix_signature(bytes.data(), bytes.size()) : -1;
    if (!conf && sig < 0) {
      slots[flow.slot] = kSlotNotFix;
      return nullptr;
    }
    if (!conf && sig == 0) {  // "8=F": wait for the rest before counting the connection
      Conn* c = allocate(flow, /*count=*/false, allow, tls);
      if (!c) return nullptr;
      c->s.probing = true;
      c->s.probe_dir = dir;
      c->s.probe_len = static_cast<uint8_t>(bytes.size());
      std::memcpy(c->s.probe, bytes.data(), bytes.size());
      c->s.probe_ts = ts;
      return c;
    }
    Conn* c = allocate(flow, /*count=*/true, allow, tls);
    if (!c) return nullptr;
    start_framers(*c, dir, sig > 0);
    return c;
  }

  // More bytes while probing. True when the caller should feed `bytes` now.
  bool probe_more(Flow& flow, Conn& c, Dir dir, std::span<const uint8_t> bytes, Nanos ts) noexcept {
    ConnState& s = c.s;
    int sig = -1;
    if (dir == s.probe_dir) {
      uint8_t buf[sizeof s.probe];
      const std::size_t add = std::min(bytes.size(), sizeof buf - s.probe_len);
      std::memcpy(buf, s.probe, s.probe_len);
      std::memcpy(buf + s.probe_len, bytes.data(), add);
      sig = fix_signature(buf, s.probe_len + add);
      if (sig == 0) {  // still short: keep everything (fits: the signatures are < 8 bytes)
        std::memcpy(s.probe + s.probe_len, bytes.data(), add);
        s.probe_len = static_cast<uint8_t>(s.probe_len + add);
        return false;
      }
    }
    if (sig < 0) {  // not FIX after all (or the other side spoke first)
      release(c);
      slots[flow.slot] = kSlotNotFix;
      return false;
    }
    stats.connections.inc();
    s.probing = false;
    start_framers(c, s.probe_dir, true);
    DirState& ds = s.d[idx(dir)];
    ds.last_rx = ts;
    feed(c, dir, std::span<const uint8_t>(s.probe, s.probe_len), s.probe_ts);
    return true;
  }

  void on_gap(Flow& flow, Dir dir, uint32_t len, Nanos ts) noexcept {
    Conn* c = conn_of(flow);
    if (!c) return;
    if (c->s.probing) {
      release(*c);
      slots[flow.slot] = kSlotNotFix;
      return;
    }
    stats.stream_gaps.inc();
    DirState& s = c->s.d[idx(dir)];
    s.quiet_garbage = true;
    s.has_baseline = false;  // MsgSeqNums lost with the bytes are not a FIX gap
    c->s.gapped = true;
    cur = c;
    cur_dir = dir;
    c->fr[idx(dir)].gap(len, ts, *this);
    cur = nullptr;
  }

  void on_end(Flow& flow, Nanos ts) noexcept {
    if (flow.slot >= slots.size()) return;
    const uint32_t v = slots[flow.slot];
    Conn* c = v >= kSlotConn ? &conns[v - kSlotConn] : nullptr;
    if (c && c->s.flow_id != flow.id) {  // stale: an earlier flow's end was not seen
      release(*c);
      c = nullptr;
    }
    if (c) {
      if (!c->s.probing) {
        for (Dir d : {Dir::kToServer, Dir::kToClient}) {
          c->s.d[idx(d)].quiet_garbage = true;
          cur = c;
          cur_dir = d;
          c->fr[idx(d)].end(ts, *this);
          cur = nullptr;
        }
        if (c->s.logon == Logon::kSent) logon_failed(*c, ts, "disconnect");
      }
      release(*c);
    }
    slots[flow.slot] = kSlotUnknown;
  }

  // ---- alerts ----

  sig::Alert make_alert(const Conn& c, Dir d, uint32_t sid, Nanos ts) const noexcept {
    sig::Alert a;
    a.ts = ts;
    a.flow_id = c.s.flow_id;
    const bool up = d == Dir::kToServer;
    a.src = up ? c.s.client : c.s.server;
    a.dst = up ? c.s.server : c.s.client;
    a.sport = up ? c.s.client_port : c.s.server_port;
    a.dport = up ? c.s.server_port : c.s.client_port;
    a.ip_proto = 6;
    a.to_server = up;
    a.stream = true;
    set_builtin(a, kGidFix, sid);
    return a;
  }

  void emit(const sig::Alert& a) noexcept {
    alerts.inc();
    if (sink) sink->on_alert(a);
  }

  static void add_session(AlertDetail& det, const Conn& c) noexcept {
    if (c.s.name_len) det.add("session", std::string_view(c.s.name, c.s.name_len));
  }

  // The message's type and MsgSeqNum (when numeric).
  static void add_msg(AlertDetail& det, const FixMessage& m) noexcept {
    det.add("msg_type", m.msg_type());
    if (m.has(FixTag::kMsgSeqNum) && !(m.errors & kFixErrBadSeqNum))
      det.add("seq", static_cast<int64_t>(m.seq_num));
  }

  // Evidence, last: as much of the (already masked) head as fits in the detail buffer.
  static void add_excerpt(AlertDetail& det, const sig::Alert& a, const FixMessage& m) noexcept {
    std::size_t n = std::min<std::size_t>(m.head_len, kExcerptMax);
    const std::size_t before = std::strlen(a.detail);
    while (n > 0) {
      det.add("excerpt", std::string_view(m.head, n));
      if (std::strlen(a.detail) != before) return;
      n = n * 3 / 4;
    }
  }

  std::string_view comp_text(const FixMessage& m, FixTag t) const noexcept {
    if ((t == FixTag::kSenderCompID && mask_sender) || (t == FixTag::kTargetCompID && mask_target))
      return "*";
    return m.get(t);
  }

  // ---- sessions ----

  void assign_session(Conn& c, const FixMessage& m, Dir d) noexcept {
    // Client's SenderCompID first: a to-client message names the session reversed.
    std::string_view a = comp_text(m, FixTag::kSenderCompID);
    std::string_view b = comp_text(m, FixTag::kTargetCompID);
    if (d == Dir::kToClient) std::swap(a, b);
    char* p = c.s.name;
    std::memcpy(p, a.data(), a.size());
    std::memcpy(p + a.size(), "->", 2);
    std::memcpy(p + a.size() + 2, b.data(), b.size());
    c.s.name_len = static_cast<uint8_t>(a.size() + 2 + b.size());
    const std::string_view name(c.s.name, c.s.name_len);
    const uint64_t h = hash_bytes(name);
    const uint32_t n = published.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < n; ++i) {
      const SessionStats& ss = sessions[i];
      if (ss.hash == h && std::string_view(ss.name, ss.name_len) == name) {
        c.s.session = i;
        return;
      }
    }
    if (n < session_cap) {
      SessionStats& ss = sessions[n];
      std::memcpy(ss.name, name.data(), name.size());
      ss.name_len = c.s.name_len;
      ss.hash = h;
      published.store(n + 1, std::memory_order_release);
      c.s.session = n;
      return;
    }
    stats.sessions_over_cap.inc();
    other_used.store(true, std::memory_order_relaxed);
    c.s.session = static_cast<uint32_t>(session_cap);
  }

  SessionStats* session_of(const Conn& c) noexcept {
    return c.s.session == kNil ? nullptr : &sessions[c.s.session];
  }

  // ---- framer callbacks ----

  void on_fix_garbage(uint64_t bytes, uint64_t stream_offset, Nanos ts) noexcept override {
    stats.garbage_bytes.inc(bytes);
    Conn& c = *cur;
    if (c.s.d[idx(cur_dir)].quiet_garbage || bytes == 0) return;
    sig::Alert a = make_alert(c, cur_dir, kFixGarbled, ts);
    AlertDetail det(a, "fix");
    add_session(det, c);
    det.add("bytes", static_cast<int64_t>(bytes));
    det.add("stream_offset", static_cast<int64_t>(stream_offset));
    emit(a);
  }

  void on_fix_message(const FixMessage& m) noexcept override {
    Conn& c = *cur;
    const Dir d = cur_dir;
    DirState& s = c.s.d[idx(d)];
    stats.messages.inc();
    s.quiet_garbage = false;
    if (c.s.session == kNil && m.has(FixTag::kSenderCompID) && m.has(FixTag::kTargetCompID))
      assign_session(c, m, d);
    const std::string_view mt = m.msg_type();
    if (SessionStats* ss = session_of(c)) ss->messages[idx(d)][msg_type_index(mt)].inc();

    const uint32_t errors = m.errors & ~static_cast<uint32_t>(kFixErrTruncated);
    if (errors) {
      stats.malformed.inc();
      malformed(c, d, m, errors);
      // The sender used this MsgSeqNum even if the receiver drops the message: track it so
      // the next message is not a gap.
      if (!(errors & kFixErrMissingHeader)) check_seq(c, d, m);
      return;
    }
    required_tags(c, d, m);
    check_seq(c, d, m);
    const bool admin = is_admin(mt);
    if (!admin && !c.s.midstream && !c.s.gapped && !c.s.before_logon_alerted &&
        c.s.logon != Logon::kLoggedOn && c.s.logon != Logon::kLoggedOut) {
      c.s.before_logon_alerted = true;
      sig::Alert a = make_alert(c, d, kFixBeforeLogon, m.last_ts);
      AlertDetail det(a, "fix");
      add_session(det, c);
      add_msg(det, m);
      emit(a);
    }
    if (c.s.logon == Logon::kLoggedOn && mt != "A") check_comp_ids(c, d, m);

    if (mt.size() == 1) {
      switch (mt[0]) {
        case 'A':
          on_logon(c, d, m);
          break;
        case '5':
          on_logout(c, d, m);
          break;
        case '2':
          on_resend(c, d, m);
          break;
        case 'D':
          on_order(c, d, m);
          break;
        case 'F':
          on_cancel(c, d, m);
          break;
        case '8':
          on_exec(c, d, m);
          break;
        case '3':
          reject(c, 0);
          break;
        case 'j':
          reject(c, 1);
          break;
        case '9':
          reject(c, 2);
          break;
        default:
          break;
      }
    }
  }

  void malformed(Conn& c, Dir d, const FixMessage& m, uint32_t errors) noexcept {
    struct {
      uint32_t bit;
      uint32_t sid;
    } static constexpr kMap[] = {{kFixErrBadChecksum, kFixBadChecksum},
                                 {kFixErrBadBodyLength, kFixBadBodyLength},
                                 {kFixErrMissingHeader, kFixMissingHeaderTag},
                                 {kFixErrBadSeqNum, kFixBadSeqNum}};
    for (const auto& e : kMap) {
      if (!(errors & e.bit)) continue;
      sig::Alert a = make_alert(c, d, e.sid, m.last_ts);
      AlertDetail det(a, "fix");
      add_session(det, c);
      add_msg(det, m);
      if (e.bit == kFixErrBadChecksum) {
        det.add("checksum_declared", m.checksum_declared);
        det.add("checksum_actual", m.checksum_actual);
      } else if (e.bit == kFixErrBadBodyLength) {
        det.add("body_length_declared", m.body_length_declared);
        det.add("body_length_actual", m.body_length_actual);
      }
      add_excerpt(det, a, m);
      emit(a);
    }
  }

  void required_tags(Conn& c, Dir d, const FixMessage& m) noexcept {
    using T = FixTag;
    static constexpr struct {
      std::string_view type;
      T tags[4];
      uint8_t n;
    } kRequired[] = {
        {"D", {T::kClOrdID, T::kSymbol, T::kSide, T::kOrdType}, 4},
        {"F", {T::kClOrdID, T::kOrigClOrdID, T::kSide}, 3},
        {"G", {T::kClOrdID, T::kOrigClOrdID, T::kSide, T::kOrdType}, 4},
        {"8", {T::kOrderID, T::kExecID, T::kOrdStatus, T::kSide}, 4},
        {"A", {T::kEncryptMethod, T::kHeartBtInt}, 2},
        {"2", {T::kBeginSeqNo, T::kEndSeqNo}, 2},
        {"4", {T::kNewSeqNo}, 1},
        {"1", {T::kTestReqID}, 1},
        {"3", {T::kRefSeqNum}, 1},
    };
    const std::string_view mt = m.msg_type();
    for (const auto& r : kRequired) {
      if (r.type != mt) continue;
      char missing[40];
      std::size_t n = 0;
      for (uint8_t i = 0; i < r.n; ++i) {
        if (m.has(r.tags[i])) continue;
        if (n) missing[n++] = ',';
        const auto res =
            std::to_chars(missing + n, missing + sizeof missing - 1, fix_tag_number(r.tags[i]));
        n = static_cast<std::size_t>(res.ptr - missing);
      }
      if (n == 0) return;
      stats.malformed.inc();
      sig::Alert a = make_alert(c, d, kFixMissingRequiredTag, m.last_ts);
      AlertDetail det(a, "fix");
      add_session(det, c);
      add_msg(det, m);
      det.add("missing_tags", std::string_view(missing, n));
      add_excerpt(det, a, m);
      emit(a);
      return;
    }
  }

  void seq_alert(Conn& c, Dir d, const FixMessage& m, uint32_t sid, uint64_t expected,
                 uint64_t received) noexcept {
    sig::Alert a = make_alert(c, d, sid, m.last_ts);
    AlertDetail det(a, "fix");
    add_session(det, c);
    det.add("msg_type", m.msg_type());
    det.add("expected_seq", static_cast<int64_t>(expected));
    det.add("received_seq", static_cast<int64_t>(received));
    if (sid == kFixSeqGap) det.add("missing", static_cast<int64_t>(received - expected));
    emit(a);
  }

  void check_seq(Conn& c, Dir d, const FixMessage& m) noexcept {
    if (!m.has(FixTag::kMsgSeqNum) || (m.errors & kFixErrBadSeqNum)) return;
    DirState& s = c.s.d[idx(d)];
    const std::string_view mt = m.msg_type();
    const uint64_t seq = m.seq_num;
    const bool errors = (m.errors & ~static_cast<uint32_t>(kFixErrTruncated)) != 0;
    if (!errors && mt == "A" && flag_yes(m, FixTag::kResetSeqNumFlag)) {
      s.expected_seq = 1;
      s.has_baseline = true;
    }
    const bool seq_reset = !errors && mt == "4";
    const bool gap_fill = seq_reset && flag_yes(m, FixTag::kGapFillFlag);
    uint64_t new_seq = 0;
    const bool has_new = seq_reset && parse_uint(m.get(FixTag::kNewSeqNo), new_seq);
    if (seq_reset && !gap_fill) {  // Reset mode: MsgSeqNum is ignored, NewSeqNo rules
      if (!has_new) return;
      if (s.has_baseline && new_seq < s.expected_seq) {
        sig::Alert a = make_alert(c, d, kFixSeqResetBackwards, m.last_ts);
        AlertDetail det(a, "fix");
        add_session(det, c);
        det.add("expected_seq", static_cast<int64_t>(s.expected_seq));
        det.add("new_seq", static_cast<int64_t>(new_seq));
        emit(a);
      }
      s.expected_seq = new_seq;
      s.has_baseline = true;
      return;
    }
    if (!s.has_baseline) {
      s.expected_seq = seq + 1;
      s.has_baseline = true;
    } else if (seq == s.expected_seq) {
      ++s.expected_seq;
    } else if (seq > s.expected_seq) {
      // Every gap is counted; only large ones alert (engines recover small ones routinely
      // with ResendRequest / GapFill).
      if (SessionStats* ss = session_of(c)) ss->gaps.inc();
      if (seq - s.expected_seq >= static_cast<uint64_t>(std::max(1, cfg.seq_gap_alert_min)))
        seq_alert(c, d, m, kFixSeqGap, s.expected_seq, seq);
      s.expected_seq = seq + 1;
    } else if (!flag_yes(m, FixTag::kPossDupFlag)) {
      // Too low: the receiver would not accept it; expected stays where the session is.
      seq_alert(c, d, m, seq + 1 == s.expected_seq ? kFixSeqDuplicate : kFixSeqTooLow,
                s.expected_seq, seq);
    }
    // GapFill: the next message carries NewSeqNo. A gap fill answering a resend (PossDup,
    // low MsgSeqNum) never moves expected back below messages already seen.
    if (gap_fill && has_new) s.expected_seq = std::max(s.expected_seq, new_seq);
  }

  void check_comp_ids(Conn& c, Dir d, const FixMessage& m) noexcept {
    DirState& s = c.s.d[idx(d)];
    if (!s.comp_set || !m.has(FixTag::kSenderCompID) || !m.has(FixTag::kTargetCompID)) return;
    const uint64_t hs = hash_bytes(m.get(FixTag::kSenderCompID));
    const uint64_t ht = hash_bytes(m.get(FixTag::kTargetCompID));
    if (hs == s.comp_sender && ht == s.comp_target) return;
    s.comp_sender = hs;  // one alert per change
    s.comp_target = ht;
    sig::Alert a = make_alert(c, d, kFixCompIdChanged, m.last_ts);
    AlertDetail det(a, "fix");
    add_session(det, c);
    add_msg(det, m);
    det.add("sender_comp_id", comp_text(m, FixTag::kSenderCompID));
    det.add("target_comp_id", comp_text(m, FixTag::kTargetCompID));
    emit(a);
  }

  void set_comp_ids(Conn& c, Dir d, std::string_view sender, std::string_view target) noexcept {
    DirState& s = c.s.d[idx(d)];
    s.comp_sender = hash_bytes(sender);
    s.comp_target = hash_bytes(target);
    s.comp_set = true;
  }

  // The initiator is the TCP client: a to-client Logon answers one (or, picked up
  // midstream, answers one we never saw: ignored).
  void on_logon(Conn& c, Dir d, const FixMessage& m) noexcept {
    ConnState& s = c.s;
    const std::string_view sender = m.get(FixTag::kSenderCompID);
    const std::string_view target = m.get(FixTag::kTargetCompID);
    if (d == Dir::kToClient) {
      if (s.logon != Logon::kSent) return;
      s.logon = Logon::kLoggedOn;  // acceptor's answer: success
      active_sessions.add(1);
      set_comp_ids(c, d, sender, target);
      for (DirState& ds : s.d) ds.last_rx = std::max(ds.last_rx, m.last_ts);
      if (s.hb_interval == 0) hb_from(s, m);
      return;
    }
    if (s.logon == Logon::kLoggedOn) return;  // a Logon inside the session (sequence reset)
    // An initiator's Logon (first one, or another attempt after a failure or Logout).
    s.logon = Logon::kSent;
    s.logout_seen = false;
    hb_from(s, m);
    set_comp_ids(c, d, sender, target);
    set_comp_ids(c, opposite(d), target, sender);
    if (s.allow) {
      bool ok = false;
      for (const std::string& id : *s.allow) ok = ok || std::string_view(id) == sender;
      if (!ok) {
        sig::Alert a = make_alert(c, d, kFixUnauthorizedCompId, m.last_ts);
        AlertDetail det(a, "fix");
        add_session(det, c);
        det.add("sender_comp_id", comp_text(m, FixTag::kSenderCompID));
        det.add("target_comp_id", comp_text(m, FixTag::kTargetCompID));
        emit(a);
      }
    }
    if (m.has(FixTag::kPassword) && !s.tls && !s.password_alerted) {
      s.password_alerted = true;
      sig::Alert a = make_alert(c, d, kFixPlaintextPassword, m.last_ts);
      AlertDetail det(a, "fix");
      add_session(det, c);
      add_msg(det, m);
      emit(a);
    }
  }

  static void hb_from(ConnState& s, const FixMessage& m) noexcept {
    uint64_t hb = 0;
    if (parse_uint(m.get(FixTag::kHeartBtInt), hb) && hb <= 86400)
      s.hb_interval = static_cast<Nanos>(hb) * kNanosPerSec;
  }

  void on_logout(Conn& c, Dir d, const FixMessage& m) noexcept {
    ConnState& s = c.s;
    s.logout_seen = true;
    if (s.logon == Logon::kSent && d == Dir::kToClient) {
      logon_failed(c, m.last_ts, "logout");
    } else if (s.logon == Logon::kLoggedOn) {
      s.logon = Logon::kLoggedOut;
      active_sessions.add(-1);
    }
  }

  // One brute-force candidate per failed Logon; the output thread's threshold (by_src,
  // fix.logon-failures in fix.logon-window) decides when it is an alert.
  void logon_failed(Conn& c, Nanos ts, const char* how) noexcept {
    c.s.logon = Logon::kFailed;
    sig::Alert a = make_alert(c, Dir::kToServer, kFixLogonBruteForce, ts);
    AlertDetail det(a, "fix");
    add_session(det, c);
    det.add("failure", how);
    det.add("count", cfg.logon_failures);
    det.add_fixed("window_s", static_cast<double>(cfg.logon_window) / kNanosPerSec, 0);
    emit(a);
  }

  void on_resend(Conn& c, Dir d, const FixMessage& m) noexcept {
    DirState& s = c.s.d[idx(d)];
    s.resends.add(m.last_ts, resend_width);
    const uint64_t n = s.resends.sum();
    if (n <= static_cast<uint64_t>(std::max(0, cfg.resend_limit)) ||
        m.last_ts < s.resend_quiet_until)
      return;
    s.resend_quiet_until = m.last_ts + cfg.resend_window;
    sig::Alert a = make_alert(c, d, kFixResendStorm, m.last_ts);
    AlertDetail det(a, "fix");
    add_session(det, c);
    det.add("requests", static_cast<int64_t>(n));
    det.add("limit", cfg.resend_limit);
    det.add_fixed("window_s", static_cast<double>(cfg.resend_window) / kNanosPerSec, 3);
    emit(a);
  }

  void on_order(Conn& c, Dir d, const FixMessage& m) noexcept {
    ConnState& s = c.s;
    const Nanos ts = m.last_ts;
    s.orders_1s.add(ts, kFloodBucket);
    s.ratio_orders.add(ts, cancel_width);
    const uint64_t rate = s.orders_1s.sum();
    const uint64_t limit = static_cast<uint64_t>(std::max(0, cfg.order_rate_limit));
    if (rate > limit && !s.flood_alerted) {
      s.flood_alerted = true;
      s.flood_below_since = 0;
      sig::Alert a = make_alert(c, d, kFixOrderFlood, ts);
      AlertDetail det(a, "fix");
      add_session(det, c);
      det.add("orders_per_s", static_cast<int64_t>(rate));
      det.add("limit", cfg.order_rate_limit);
      emit(a);
    } else {
      flood_rearm(s, ts);
    }
    if (m.has(FixTag::kClOrdID)) {
      bool evicted = false;
      const PendingOrders::Key k{hash_bytes(m.get(FixTag::kClOrdID)), index_of(c),
                                 s.gen << 1 | static_cast<uint32_t>(idx(d))};
      (void)pending.insert(k, ts, evicted);
      if (evicted) stats.orders_evicted.inc();
    }
  }

  // Re-arms the flood alert once the rate stayed at or under the limit for a full second.
  void flood_rearm(ConnState& s, Nanos now) noexcept {
    if (!s.flood_alerted) return;
    s.orders_1s.advance(now, kFloodBucket);
    if (s.orders_1s.sum() > static_cast<uint64_t>(std::max(0, cfg.order_rate_limit))) {
      s.flood_below_since = 0;
    } else if (s.flood_below_since == 0) {
      s.flood_below_since = now;
    } else if (now - s.flood_below_since >= kNanosPerSec) {
      s.flood_alerted = false;
      s.flood_below_since = 0;
    }
  }

  void on_cancel(Conn& c, Dir d, const FixMessage& m) noexcept {
    ConnState& s = c.s;
    const Nanos ts = m.last_ts;
    s.ratio_cancels.add(ts, cancel_width);
    s.ratio_orders.advance(ts, cancel_width);
    const uint64_t orders = s.ratio_orders.sum();
    const uint64_t cancels = s.ratio_cancels.sum();
    if (orders == 0 || orders < static_cast<uint64_t>(std::max(0, cfg.cancel_min_orders))) return;
    const double ratio = static_cast<double>(cancels) / static_cast<double>(orders);
    if (ratio <= cfg.cancel_ratio_limit || ts < s.ratio_quiet_until) return;
    s.ratio_quiet_until = ts + cfg.cancel_window;
    sig::Alert a = make_alert(c, d, kFixCancelRatio, ts);
    AlertDetail det(a, "fix");
    add_session(det, c);
    det.add("orders", static_cast<int64_t>(orders));
    det.add("cancels", static_cast<int64_t>(cancels));
    det.add_fixed("ratio", ratio, 3);
    det.add_fixed("limit", cfg.cancel_ratio_limit, 3);
    det.add_fixed("window_s", static_cast<double>(cfg.cancel_window) / kNanosPerSec, 3);
    emit(a);
  }

  void on_exec(Conn& c, Dir d, const FixMessage& m) noexcept {
    if (!m.has(FixTag::kClOrdID)) return;
    const PendingOrders::Key k{hash_bytes(m.get(FixTag::kClOrdID)), index_of(c),
                               c.s.gen << 1 | static_cast<uint32_t>(idx(opposite(d)))};
    const uint32_t e = pending.find(k);
    if (e == kNil) return;
    const Nanos lat = std::max<Nanos>(0, m.last_ts - pending.ts(e));
    pending.remove(e);
    SessionStats* ss = session_of(c);
    if (!ss) return;
    std::size_t b = 0;
    while (b < kLatencyBuckets && lat > kLatencyBoundsNs[b]) ++b;
    ss->latency[b].inc();
    ss->latency_sum_ns.inc(static_cast<uint64_t>(lat));
    ss->latency_count.inc();
  }

  void reject(Conn& c, std::size_t which) noexcept {
    if (SessionStats* ss = session_of(c)) ss->rejects[which].inc();
  }

  // ---- time ----

  void tick(Nanos now) noexcept {
    stats.orders_evicted.inc(pending.expire(now - cfg.order_ack_timeout));
    for (uint32_t i = active_head; i != kNil; i = conns[i].next) {
      Conn& c = conns[i];
      ConnState& s = c.s;
      flood_rearm(s, now);
      if (s.logon != Logon::kLoggedOn || s.logout_seen || s.hb_interval <= 0) continue;
      const Nanos limit = s.hb_interval + cfg.heartbeat_grace;
      for (Dir d : {Dir::kToServer, Dir::kToClient}) {
        DirState& ds = s.d[idx(d)];
        if (ds.hb_alerted || now - ds.last_rx <= limit) continue;
        ds.hb_alerted = true;
        sig::Alert a = make_alert(c, d, kFixHeartbeatLost, now);
        AlertDetail det(a, "fix");
        add_session(det, c);
        det.add_fixed("silent_s", static_cast<double>(now - ds.last_rx) / kNanosPerSec, 3);
        det.add("heartbeat_interval_s", s.hb_interval / kNanosPerSec);
        det.add_fixed("grace_s", static_cast<double>(cfg.heartbeat_grace) / kNanosPerSec, 3);
        emit(a);
      }
    }
  }

  // ---- state ----

  const config::FixConfig cfg;  // a copy: masked_tags and allow-lists live as long as we do
  FixFramerConfig fcfg;
  bool mask_sender = false, mask_target = false;
  sig::AlertSink* sink;
  FixInspectorStats stats;
  Counter alerts;         // alerts raised
  Gauge active_sessions;  // connections logged on
  ZeroedArray<uint32_t> slots;
  std::vector<Conn> conns;
  uint32_t free_head = kNil;
  uint32_t active_head = kNil;
  uint32_t gen_counter = 0;
  std::size_t session_cap = 0;
  std::unique_ptr<SessionStats[]> sessions;  // session_cap named entries, then "other"
  std::atomic<uint32_t> published{0};
  std::atomic<bool> other_used{false};
  PendingOrders pending;
  Nanos cancel_width = 1, resend_width = 1;
  // The connection and direction being framed (framer callbacks).
  Conn* cur = nullptr;
  Dir cur_dir = Dir::kToServer;
};

FixInspector::FixInspector(const config::FixConfig& cfg, std::size_t flow_capacity, int nworkers,
                           sig::AlertSink* sink)
    : impl_(std::make_unique<Impl>(cfg, flow_capacity, nworkers, sink)) {}

FixInspector::~FixInspector() = default;

void FixInspector::on_stream_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes,
                                  Nanos ts) noexcept {
  impl_->on_data(flow, dir, bytes, ts);
}

void FixInspector::on_stream_gap(Flow& flow, Dir dir, uint32_t len, Nanos ts) noexcept {
  impl_->on_gap(flow, dir, len, ts);
}

void FixInspector::on_stream_end(Flow& flow, Nanos ts) noexcept { impl_->on_end(flow, ts); }

void FixInspector::tick(Nanos now) noexcept { impl_->tick(now); }

const FixInspectorStats& FixInspector::stats() const noexcept { return impl_->stats; }

namespace {

// One session's counters summed over inspectors (scrape thread).
struct SessionSum {
  std::string name;
  uint64_t messages[2][kMsgTypeCount] = {};
  uint64_t gaps = 0;
  uint64_t rejects[kRejectCount] = {};
  uint64_t latency[kLatencyBuckets + 1] = {};
  uint64_t latency_sum_ns = 0;
  uint64_t latency_count = 0;

  void add(const SessionStats& s) {
    for (int d = 0; d < 2; ++d)
      for (std::size_t t = 0; t < kMsgTypeCount; ++t) messages[d][t] += s.messages[d][t].get();
    gaps += s.gaps.get();
    for (std::size_t r = 0; r < kRejectCount; ++r) rejects[r] += s.rejects[r].get();
    for (std::size_t b = 0; b <= kLatencyBuckets; ++b) latency[b] += s.latency[b].get();
    latency_sum_ns += s.latency_sum_ns.get();
    latency_count += s.latency_count.get();
  }
};

}  // namespace

void FixInspector::collect_metrics(std::span<const FixInspector* const> inspectors,
                                   std::size_t max_sessions, exporters::MetricsSink& sink) {
  using L = exporters::MetricLabels;
  std::vector<SessionSum> sums;  // named sessions in order of first appearance
  std::map<std::string, std::size_t, std::less<>> by_name;
  SessionSum other;
  other.name = "other";
  bool other_used = false;
  uint64_t over_cap = 0;
  int64_t active = 0;
  uint64_t connections = 0, untracked = 0, malformed = 0, garbage = 0, gaps = 0, evicted = 0;
  for (const FixInspector* in : inspectors) {
    if (!in) continue;
    const Impl& m = *in->impl_;
    const uint32_t n = m.published.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < n; ++i) {
      const SessionStats& ss = m.sessions[i];
      const std::string_view name(ss.name, ss.name_len);
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        if (sums.size() >= max_sessions) {
          other.add(ss);
          other_used = true;
          continue;
        }
        it = by_name.emplace(std::string(name), sums.size()).first;
        sums.emplace_back().name = std::string(name);
      }
      sums[it->second].add(ss);
    }
    if (m.other_used.load(std::memory_order_relaxed)) {
      other.add(m.sessions[m.session_cap]);
      other_used = true;
    }
    over_cap += m.stats.sessions_over_cap.get();
    active += m.active_sessions.get();
    connections += m.stats.connections.get();
    untracked += m.stats.connections_untracked.get();
    malformed += m.stats.malformed.get();
    garbage += m.stats.garbage_bytes.get();
    gaps += m.stats.stream_gaps.get();
    evicted += m.stats.orders_evicted.get();
  }
  if (other_used) sums.push_back(std::move(other));

  const auto d = [](uint64_t v) { return static_cast<double>(v); };
  for (const SessionSum& s : sums)
    for (int dir = 0; dir < 2; ++dir)
      for (std::size_t t = 0; t < kMsgTypeCount; ++t)
        if (s.messages[dir][t])
          sink.counter("tradesentry_fix_messages_total",
                       "FIX/STEP messages framed, per session, direction and MsgType",
                       L{{"session", s.name},
                         {"direction", kDirLabel[dir]},
                         {"msg_type", std::string(kMsgTypes[t])}},
                       d(s.messages[dir][t]));
  sink.gauge("tradesentry_fix_sessions_active", "FIX/STEP connections logged on", L{},
             static_cast<double>(active));
  for (const SessionSum& s : sums)
    sink.counter("tradesentry_fix_sequence_gaps_total",
                 "MsgSeqNum gaps (messages missing), per session", L{{"session", s.name}},
                 d(s.gaps));
  for (const SessionSum& s : sums)
    for (std::size_t r = 0; r < kRejectCount; ++r)
      if (s.rejects[r])
        sink.counter("tradesentry_fix_rejects_total",
                     "Rejects (3 session, j business, 9 cancel), per session and MsgType",
                     L{{"session", s.name}, {"msg_type", std::string(kRejectTypes[r])}},
                     d(s.rejects[r]));
  const std::vector<double> bounds(std::begin(kLatencyBounds), std::end(kLatencyBounds));
  for (const SessionSum& s : sums)
    sink.histogram("tradesentry_fix_order_ack_latency_seconds",
                   "NewOrderSingle to first ExecutionReport, per session", L{{"session", s.name}},
                   bounds, std::vector<uint64_t>(s.latency, s.latency + kLatencyBuckets),
                   static_cast<double>(s.latency_sum_ns) / kNanosPerSec, s.latency_count);
  sink.counter("tradesentry_fix_connections_total", "FIX/STEP connections recognised", L{},
               d(connections));
  sink.counter("tradesentry_fix_connections_untracked_total",
               "FIX/STEP connections not inspected because the connection pool was full", L{},
               d(untracked));
  sink.counter("tradesentry_fix_malformed_messages_total",
               "FIX/STEP messages with a framing error or a required tag missing", L{},
               d(malformed));
  sink.counter("tradesentry_fix_garbage_bytes_total",
               "Bytes of FIX/STEP streams skipped while resynchronising", L{}, d(garbage));
  sink.counter("tradesentry_fix_stream_gaps_total", "TCP gaps inside FIX/STEP streams", L{},
               d(gaps));
  sink.counter("tradesentry_fix_pending_orders_evicted_total",
               "Orders that stopped waiting for their acknowledgement (table full or timeout)", L{},
               d(evicted));
  sink.counter("tradesentry_fix_sessions_over_cap_total",
               "Connections whose session name was counted as \"other\" (fix.max-sessions)", L{},
               d(over_cap));
}

void FixInspector::add_stats(std::span<const FixInspector* const> inspectors,
                             std::vector<std::pair<std::string, uint64_t>>& out) {
  FixInspectorStats s;
  uint64_t alerts = 0, active = 0;
  for (const FixInspector* in : inspectors) {
    if (!in) continue;
    const Impl& m = *in->impl_;
    s.connections.inc(m.stats.connections.get());
    s.connections_untracked.inc(m.stats.connections_untracked.get());
    s.messages.inc(m.stats.messages.get());
    s.malformed.inc(m.stats.malformed.get());
    s.garbage_bytes.inc(m.stats.garbage_bytes.get());
    s.stream_gaps.inc(m.stats.stream_gaps.get());
    s.orders_evicted.inc(m.stats.orders_evicted.get());
    s.sessions_over_cap.inc(m.stats.sessions_over_cap.get());
    alerts += m.alerts.get();
    active += static_cast<uint64_t>(std::max<int64_t>(0, m.active_sessions.get()));
  }
  out.emplace_back("fix.connections", s.connections.get());
  out.emplace_back("fix.connections_untracked", s.connections_untracked.get());
  out.emplace_back("fix.messages", s.messages.get());
  out.emplace_back("fix.malformed", s.malformed.get());
  out.emplace_back("fix.garbage_bytes", s.garbage_bytes.get());
  out.emplace_back("fix.stream_gaps", s.stream_gaps.get());
  out.emplace_back("fix.orders_evicted", s.orders_evicted.get());
  out.emplace_back("fix.sessions_over_cap", s.sessions_over_cap.get());
  out.emplace_back("fix.sessions_active", active);
  out.emplace_back("fix.alerts", alerts);
}

}  // namespace ts::detectors
