// FlowTable implementation: a fixed array of Flow records, open hashing with bucket chains
// threaded through the records by slot index, a free list, and one intrusive LRU list per
// timeout class. Everything is allocated in the constructor; lookup/expire never allocate.
//
// Links (chain_next, lru_prev, lru_next, bucket heads) store slot + 1, so 0 means "none" and
// a zero-initialised table is a valid empty table.
#include "sensor/flow_table.h"

#include "sensor/zeroed_array.h"

#include <cassert>
#include <vector>

namespace ts {
namespace {

// Timeout classes: one LRU list each. Within a class every flow has the same timeout, so the
// list ordered by last-seen is also ordered by expiry time and its head expires first.
enum TimeoutClass : uint8_t {
  kTcpNew = 0,
  kTcpEstablished,
  kTcpClosed,
  kUdpNew,
  kUdpEstablished,
  kIcmp,
  kOther,
  kClassCount
};

constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

// Flow ids: (seed + counter * kMaxWorkers + worker) mod 2^53, skipping 0. For a fixed seed
// this is injective in (counter, worker) while counter < 2^43, so ids are unique per run,
// nonzero and exact as JSON numbers (< 2^53).
constexpr uint64_t kIdMask = (uint64_t{1} << 53) - 1;
constexpr uint64_t kMaxWorkers = 1024;

uint8_t class_of(uint8_t proto, FlowState s) noexcept {
  switch (proto) {
    case kProtoTcp:
      return s == FlowState::kNew ? kTcpNew
             : s == FlowState::kEstablished ? kTcpEstablished
                                             : kTcpClosed;
    case kProtoUdp:
      return s == FlowState::kNew ? kUdpNew : kUdpEstablished;
    case kProtoIcmp:
    case kProtoIcmpv6:
      return kIcmp;
    default:
      return kOther;
  }
}

std::size_t bucket_count_for(std::size_t capacity) noexcept {
  std::size_t n = 1;
  while (n < capacity) n <<= 1;
  return n;
}

}  // namespace

std::size_t flow_table_bytes_per_flow() noexcept {
  // Bucket count is the next power of two >= capacity: between 1 and 2 heads per flow.
  // Report the upper bound so a memory cap is never exceeded.
  return sizeof(Flow) + 2 * sizeof(uint32_t);
}

struct FlowTable::Impl {
  ZeroedArray<Flow> flows;       // capacity records; slot = index; untouched until first used
  ZeroedArray<uint32_t> buckets; // chain heads, slot + 1
  uint32_t mask = 0;
  uint32_t free_head = 0;        // released slots, through chain_next, slot + 1
  uint32_t fresh = 0;            // slots [fresh, capacity) were never used
  uint32_t lru_head[kClassCount] = {};  // oldest
  uint32_t lru_tail[kClassCount] = {};  // newest
  Nanos timeout[kClassCount] = {};
  std::size_t active = 0;
  uint64_t id_next;              // seed + counter * kMaxWorkers + worker, before masking
  uint32_t worker;
  FlowEndSink* sink;
  FlowStats* stats;

  Flow& at(uint32_t link) noexcept { return flows[link - 1]; }

  void lru_unlink(Flow& f) noexcept {
    const uint8_t c = f.timeout_class;
    if (f.lru_prev) at(f.lru_prev).lru_next = f.lru_next;
    else lru_head[c] = f.lru_next;
    if (f.lru_next) at(f.lru_next).lru_prev = f.lru_prev;
    else lru_tail[c] = f.lru_prev;
    f.lru_prev = f.lru_next = 0;
  }

  // Appends at the newest end. With non-monotonic packet time (several capture sources)
  // the list order is approximate and an expiry can be late by at most the time skew.
  void lru_append(Flow& f, uint8_t c) noexcept {
    const uint32_t link = f.slot + 1;
    f.timeout_class = c;
    f.lru_next = 0;
    f.lru_prev = lru_tail[c];
    if (lru_tail[c]) at(lru_tail[c]).lru_next = link;
    else lru_head[c] = link;
    lru_tail[c] = link;
  }

  void chain_unlink(Flow& f) noexcept {
    uint32_t* link = &buckets[f.hash & mask];
    const uint32_t me = f.slot + 1;
    while (*link != me) {
      assert(*link != 0);
      link = &at(*link).chain_next;
    }
    *link = f.chain_next;
    f.chain_next = 0;
  }

  uint64_t next_id() noexcept {
    for (;;) {
      const uint64_t id = id_next & kIdMask;
      id_next += kMaxWorkers;
      if (id != 0) return id;
    }
  }

  // Ends the flow: sink first (the slot is still valid), then back to the free list.
  void release(Flow& f, FlowEndReason reason, Nanos now) noexcept {
    if (sink) sink->on_flow_end(f, reason, now);
    lru_unlink(f);
    chain_unlink(f);
    f.in_use = false;
    f.chain_next = free_head;
    free_head = f.slot + 1;
    --active;
    stats->active.add(-1);
  }

  // The least recently seen flow across all classes (compares the heads), or null.
  Flow* lru_victim() noexcept {
    Flow* best = nullptr;
    for (uint8_t c = 0; c < kClassCount; ++c) {
      if (!lru_head[c]) continue;
      Flow& h = at(lru_head[c]);
      if (!best || h.last < best->last) best = &h;
    }
    return best;
  }
};

namespace {

bool key_matches(const FlowKey& k, const PacketView& p, Port sport, Port dport,
                 Dir& dir) noexcept {
  if (k.ip_proto != p.ip_proto || k.iface != p.iface || k.tunnel_depth != p.tunnel_depth ||
      k.vlan_count != p.vlan_count || k.vlan[0] != p.vlan[0] || k.vlan[1] != p.vlan[1])
    return false;
  if (k.client_port == sport && k.server_port == dport && k.client == p.src &&
      k.server == p.dst) {
    dir = Dir::kToServer;
    return true;
  }
  if (k.client_port == dport && k.server_port == sport && k.client == p.dst &&
      k.server == p.src) {
    dir = Dir::kToClient;
    return true;
  }
  return false;
}

}  // namespace

FlowTable::FlowTable(const FlowTableConfig& cfg, uint32_t worker_index, uint64_t id_seed,
                     FlowEndSink* sink)
    : impl_(std::make_unique<Impl>()) {
  assert(cfg.capacity > 0 && cfg.capacity < (uint64_t{1} << 31));
  assert(worker_index < kMaxWorkers);
  Impl& m = *impl_;
  m.flows.reset(cfg.capacity);
  m.buckets.reset(bucket_count_for(cfg.capacity));
  m.mask = static_cast<uint32_t>(m.buckets.size() - 1);
  const FlowTimeouts& t = cfg.timeouts;
  m.timeout[kTcpNew] = t.tcp_new;
  m.timeout[kTcpEstablished] = t.tcp_established;
  m.timeout[kTcpClosed] = t.tcp_closed;
  m.timeout[kUdpNew] = t.udp_new;
  m.timeout[kUdpEstablished] = t.udp_established;
  m.timeout[kIcmp] = t.icmp;
  m.timeout[kOther] = t.other;
  m.id_next = (id_seed & kIdMask) + worker_index;
  m.worker = worker_index;
  m.sink = sink;
  m.stats = &stats_;
}

FlowTable::~FlowTable() = default;

FlowTable::Lookup FlowTable::lookup(const PacketView& p, uint32_t hash) noexcept {
  Lookup r;
  if (p.ip_version == 0) return r;
  Impl& m = *impl_;
  const Port sport = p.has_ports() ? p.sport : 0;
  const Port dport = p.has_ports() ? p.dport : 0;

  uint32_t* head = &m.buckets[hash & m.mask];
  Flow* f = nullptr;
  for (uint32_t link = *head; link; link = m.at(link).chain_next) {
    Flow& c = m.at(link);
    if (c.hash == hash && key_matches(c.key, p, sport, dport, r.dir)) {
      f = &c;
      break;
    }
  }

  // TCP port reuse: a SYN on a closed TCP flow opens a new connection with the same tuple.
  // The old flow ends (reason forced, counted in tcp_reused) and a new one is created.
  if (f && f->state == FlowState::kClosed && p.l4 == L4::kTcp &&
      (p.tcp.flags & (tcpflag::kSyn | tcpflag::kAck)) == tcpflag::kSyn) {
    stats_.tcp_reused.inc();
    m.release(*f, FlowEndReason::kForced, p.ts);
    f = nullptr;
  }

  if (!f) {
    // Released slots first, then never-used ones in slot order (so the first flows take
    // the lowest slots), and only when both are gone, the least recently used flow.
    if (!m.free_head && m.fresh < m.flows.size()) {
      f = &m.flows[m.fresh];
      f->slot = m.fresh++;
    } else {
      if (!m.free_head) {
        Flow* victim = m.lru_victim();
        assert(victim);
        stats_.evicted.inc();
        m.release(*victim, FlowEndReason::kForced, p.ts);
      }
      f = &m.at(m.free_head);
      m.free_head = f->chain_next;
    }

    // A TCP flow first seen by its SYN/ACK is oriented towards the SYN's sender.
    const bool swap = p.l4 == L4::kTcp &&
                      (p.tcp.flags & (tcpflag::kSyn | tcpflag::kAck)) ==
                          (tcpflag::kSyn | tcpflag::kAck);
    const uint32_t slot = f->slot;
    *f = Flow{};
    f->slot = slot;
    FlowKey& k = f->key;
    k.client = swap ? p.dst : p.src;
    k.server = swap ? p.src : p.dst;
    k.client_port = swap ? dport : sport;
    k.server_port = swap ? sport : dport;
    k.ip_proto = p.ip_proto;
    k.vlan_count = p.vlan_count;
    k.vlan[0] = p.vlan[0];
    k.vlan[1] = p.vlan[1];
    k.iface = p.iface;
    k.tunnel_depth = p.tunnel_depth;
    f->id = m.next_id();
    f->worker = m.worker;
    f->start = p.ts;
    f->last = p.ts;
    f->hash = hash;
    f->in_use = true;
    f->chain_next = *head;
    *head = slot + 1;
    m.lru_append(*f, class_of(p.ip_proto, FlowState::kNew));
    ++m.active;
    stats_.active.add(1);
    stats_.created.inc();
    switch (p.ip_proto) {
      case kProtoTcp: stats_.tcp.inc(); break;
      case kProtoUdp: stats_.udp.inc(); break;
      case kProtoIcmp:
      case kProtoIcmpv6: stats_.icmp.inc(); break;
      default: stats_.other.inc(); break;
    }
    r.dir = swap ? Dir::kToClient : Dir::kToServer;
    r.created = true;
  } else {
    if (p.ts > f->last) f->last = p.ts;
    // Move to the newest end of its class (no-op if already there).
    if (m.lru_tail[f->timeout_class] != f->slot + 1) {
      const uint8_t c = f->timeout_class;
      m.lru_unlink(*f);
      m.lru_append(*f, c);
    }
  }

  const int d = idx(r.dir);
  f->pkts[d] += 1;
  f->bytes[d] += p.wirelen;
  if (p.l4 == L4::kTcp) f->tcp_flags_seen[d] |= p.tcp.flags;
  // UDP is established once both directions have been seen.
  if (f->key.ip_proto == kProtoUdp && f->state == FlowState::kNew && f->pkts[0] && f->pkts[1])
    set_state(*f, FlowState::kEstablished);
  r.flow = f;
  return r;
}

void FlowTable::set_state(Flow& f, FlowState s) noexcept {
  assert(f.in_use);
  f.state = s;
  const uint8_t c = class_of(f.key.ip_proto, s);
  if (c == f.timeout_class) return;
  impl_->lru_unlink(f);
  impl_->lru_append(f, c);
}

void FlowTable::expire(Nanos now) noexcept {
  Impl& m = *impl_;
  // A flow expires once it has been idle for its class timeout: now >= last + timeout.
  for (uint8_t c = 0; c < kClassCount; ++c) {
    while (m.lru_head[c]) {
      Flow& f = m.at(m.lru_head[c]);
      if (now - f.last < m.timeout[c]) break;
      stats_.timed_out.inc();
      m.release(f, FlowEndReason::kTimeout, now);
    }
  }
}

void FlowTable::flush(FlowEndReason reason, Nanos now) noexcept {
  Impl& m = *impl_;
  for (uint8_t c = 0; c < kClassCount; ++c)
    while (m.lru_head[c]) m.release(m.at(m.lru_head[c]), reason, now);
}

std::size_t FlowTable::capacity() const noexcept { return impl_->flows.size(); }
std::size_t FlowTable::active() const noexcept { return impl_->active; }

std::size_t FlowTable::memory_bytes() const noexcept {
  return impl_->flows.size() * sizeof(Flow) + impl_->buckets.size() * sizeof(uint32_t);
}

}  // namespace ts
