// TcpTracker implementation.
//
// Two independent jobs per packet:
//  1. Analysis (counters only): Wireshark's tcp_analyze_sequence_number rules for
//     retransmission, out-of-order, lost segment, keep-alive, zero window probe and duplicate
//     ACKs, on the highest sequence seen per direction. Nothing here affects delivery.
//  2. Delivery: per direction, `next` is the next byte owed to the consumers. In-order bytes go
//     straight from the packet (zero copy); bytes ahead of `next` are copied into a sorted,
//     non-overlapping chunk list from a preallocated pool; bytes below `next` are dropped.
//     Overlaps keep the first copy seen.
//
// Gap rule (when a hole [next, first byte held) is given up and reported as on_stream_gap):
//  a. the peer has acknowledged the whole hole (its ACK >= the first byte after the hole):
//     the receiver has those bytes, so they were lost before the sensor and will not be
//     retransmitted. Checked when the ACK arrives (against buffered data or the FIN) and when
//     a segment arrives beyond `next` (against the highest ACK seen), so a segment after a
//     hole that is already acknowledged is delivered directly without buffering;
//  b. buffering the segment would exceed the per-direction or the pool limit: the first hole
//     is given up and buffered data after it delivered, until the segment fits or becomes
//     in-order (counted in reassembly_memcap_drops);
//  c. the flow ends: every hole before buffered data (and before a seen FIN) is reported.
// A segment beyond `next` that the peer has not acknowledged yet is ordinary reordering: it is
// buffered and waits for the hole to fill.
//
// All sequence arithmetic is modulo 2^32 (seq_lt & co.).
#include "sensor/tcp_stream.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

namespace ts {
namespace {

constexpr uint32_t kNil = 0xFFFFFFFFu;
constexpr uint32_t kChunkBytes = 2048;  // pool granularity
constexpr Nanos kDefaultOooThreshold = 3 * kNanosPerMs;  // Wireshark's, until an RTT is known
constexpr Nanos kFastRetransWindow = 20 * kNanosPerMs;   // Wireshark's

inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_le(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
inline bool seq_ge(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

// DirState::flags
enum : uint8_t {
  kSeen = 1,       // a packet in this direction
  kStarted = 2,    // `next` is valid: delivery position known
  kSyn = 4,        // sent a SYN
  kSynAck = 8,     // sent a SYN/ACK
  kFin = 16,       // sent a FIN at fin_seq
  kRst = 32,
};
// DirState::an_flags (analysis)
enum : uint8_t {
  kAnNext = 1,        // an_next valid
  kAnLastAck = 2,     // an_lastack valid
  kAnWindow = 4,      // window valid
  kAnKeepAlive = 8,   // the last segment was a keep-alive
  kAnZwp = 16,        // the last segment was a zero window probe
};
// Session::flags
enum : uint8_t {
  kSessSeen = 1,
  kNoDelivery = 2,    // midstream pick-up disabled and the flow started without SYN
  kHandshake = 4,     // three-way handshake completed
  kSynAckTimed = 8,   // synack_ts valid (answered a SYN we saw)
};

struct DirState {
  // Delivery.
  uint32_t next = 0;      // next byte owed to consumers (kStarted)
  uint32_t acked = 0;     // highest ACK the peer sent for this direction (kStarted)
  uint32_t fin_seq = 0;   // sequence number of the FIN (kFin)
  uint32_t isn = 0;       // of the SYN or SYN/ACK
  uint32_t head = kNil;   // buffered chunks: sorted, non-overlapping, all start after `next`
  uint32_t chunks = 0;    // chunks held
  // Analysis (Wireshark's tcp_analyze_seq_info of this direction).
  uint32_t an_next = 0;     // highest seq + len (+1 for SYN/FIN) seen
  uint32_t an_lastack = 0;  // last ACK this direction sent
  Nanos an_next_ts = 0;     // time an_next last advanced
  Nanos an_lastack_ts = 0;
  uint16_t window = 0;      // last raw window this direction advertised
  uint8_t dupacks = 0;
  uint8_t wscale = 0;
  uint8_t flags = 0;
  uint8_t an_flags = 0;
};

struct Session {
  uint64_t flow_id = 0;  // owning flow; 0 = free. A mismatch means end() was never called.
  Nanos syn_ts = 0, synack_ts = 0, ack_ts = 0;
  DirState d[2];
  uint8_t flags = 0;
};

struct ChunkHdr {
  uint32_t next = kNil;
  uint32_t seq = 0;
  uint16_t len = 0;
};

}  // namespace

struct TcpTracker::Impl {
  Impl(const TcpConfig& c, FlowTable& f, TcpStats& s) : cfg(c), flows(f), st(s) {}

  TcpConfig cfg;
  FlowTable& flows;
  TcpStats& st;
  std::vector<Session> sessions;  // by Flow::slot
  std::vector<ChunkHdr> hdr;      // pool chunk headers
  std::vector<uint8_t> pool;      // hdr.size() * kChunkBytes
  uint32_t free_chunk = kNil;
  uint32_t per_dir_chunks = 0;
  std::vector<StreamConsumer*> consumers;

  uint8_t* chunk_data(uint32_t c) noexcept {
    return pool.data() + static_cast<std::size_t>(c) * kChunkBytes;
  }

  // ---- delivery primitives ----

  void deliver(Flow& f, Dir d, DirState& s, const uint8_t* p, uint32_t n, Nanos ts) noexcept {
    const std::span<const uint8_t> bytes(p, n);
    for (StreamConsumer* c : consumers) c->on_stream_data(f, d, bytes, ts);
    st.bytes_delivered.inc(n);
    s.next += n;
  }

  void gap(Flow& f, Dir d, DirState& s, uint32_t n, Nanos ts) noexcept {
    assert(n > 0);
    for (StreamConsumer* c : consumers) c->on_stream_gap(f, d, n, ts);
    st.gaps.inc();
    st.gap_bytes.inc(n);
    s.next += n;
  }

  void pop_chunk(DirState& s) noexcept {
    const uint32_t c = s.head;
    s.head = hdr[c].next;
    st.reassembly_bytes.add(-static_cast<int64_t>(hdr[c].len));
    hdr[c].next = free_chunk;
    free_chunk = c;
    --s.chunks;
  }

  void release_chunks(DirState& s) noexcept {
    while (s.head != kNil) pop_chunk(s);
  }

  // Delivers everything available at `next`: buffered chunks first (first copy wins), then the
  // packet's bytes [pseq, pseq + n) up to the next buffered chunk, repeatedly.
  void drain(Flow& f, Dir d, DirState& s, uint32_t pseq, const uint8_t* p, uint32_t n,
             Nanos ts) noexcept {
    for (;;) {
      if (s.head != kNil && seq_le(hdr[s.head].seq, s.next)) {
        const ChunkHdr& h = hdr[s.head];
        const uint32_t end = h.seq + h.len;
        if (seq_gt(end, s.next)) {
          const uint32_t off = s.next - h.seq;
          deliver(f, d, s, chunk_data(s.head) + off, end - s.next, ts);
        }
        pop_chunk(s);
        continue;
      }
      if (n != 0 && seq_le(pseq, s.next) && seq_lt(s.next, pseq + n)) {
        uint32_t end = pseq + n;
        if (s.head != kNil && seq_lt(hdr[s.head].seq, end)) end = hdr[s.head].seq;
        deliver(f, d, s, p + (s.next - pseq), end - s.next, ts);
        continue;
      }
      return;
    }
  }

  // Copies the parts of [seq, seq + n) not yet buffered into the chunk list. Returns how many
  // bytes from the start were handled (all of them unless a limit was reached).
  uint32_t store(DirState& s, uint32_t seq, const uint8_t* p, uint32_t n) noexcept {
    const uint32_t end = seq + n;
    uint32_t pos = seq;
    uint32_t prev = kNil, cur = s.head;
    bool stored = false;
    while (seq_lt(pos, end)) {
      while (cur != kNil && seq_le(hdr[cur].seq + hdr[cur].len, pos)) {
        prev = cur;
        cur = hdr[cur].next;
      }
      if (cur != kNil && seq_le(hdr[cur].seq, pos)) {  // already buffered: first copy wins
        pos = hdr[cur].seq + hdr[cur].len;
        prev = cur;
        cur = hdr[cur].next;
        continue;
      }
      uint32_t lim = end;
      if (cur != kNil && seq_lt(hdr[cur].seq, lim)) lim = hdr[cur].seq;
      if (prev != kNil && hdr[prev].seq + hdr[prev].len == pos && hdr[prev].len < kChunkBytes) {
        const uint32_t k = std::min<uint32_t>(lim - pos, kChunkBytes - hdr[prev].len);
        std::memcpy(chunk_data(prev) + hdr[prev].len, p + (pos - seq), k);
        hdr[prev].len = static_cast<uint16_t>(hdr[prev].len + k);
        st.reassembly_bytes.add(k);
        pos += k;
        stored = true;
        continue;
      }
      if (s.chunks >= per_dir_chunks || free_chunk == kNil) {
        if (stored) st.reassembly_buffered.inc();
        return pos - seq;  // limit reached
      }
      const uint32_t c = free_chunk;
      free_chunk = hdr[c].next;
      hdr[c].seq = pos;
      hdr[c].len = 0;
      hdr[c].next = cur;
      if (prev == kNil) s.head = c;
      else hdr[prev].next = c;
      prev = c;
      ++s.chunks;
    }
    if (stored) st.reassembly_buffered.inc();
    return n;  // pos may be past end when a buffered chunk covered the tail
  }

  // Gap rule (a) after the peer's ACK advanced: give up holes it wholly acknowledged.
  void resolve_acked(Flow& f, Dir d, DirState& s, Nanos ts) noexcept {
    while (s.head != kNil && seq_ge(s.acked, hdr[s.head].seq)) {
      gap(f, d, s, hdr[s.head].seq - s.next, ts);
      drain(f, d, s, 0, nullptr, 0, ts);
    }
    if (s.head == kNil && (s.flags & kFin) && seq_gt(s.fin_seq, s.next) &&
        seq_ge(s.acked, s.fin_seq))
      gap(f, d, s, s.fin_seq - s.next, ts);
  }

  // Payload [seq, seq + n) of direction d (SYN already skipped).
  void on_data(Flow& f, Dir d, DirState& s, uint32_t seq, const uint8_t* p, uint32_t n,
               Nanos ts) noexcept {
    if (s.flags & kFin) {  // nothing exists after the FIN
      if (seq_ge(seq, s.fin_seq)) {
        st.data_after_fin.inc();
        return;
      }
      if (seq_gt(seq + n, s.fin_seq)) {
        st.data_after_fin.inc();
        n = s.fin_seq - seq;
      }
    }
    for (;;) {
      if (seq_le(seq + n, s.next)) return;  // nothing new (retransmitted or delivered)
      if (seq_lt(seq, s.next)) {            // partial overlap: only the new bytes
        const uint32_t off = s.next - seq;
        seq += off;
        p += off;
        n -= off;
      }
      if (seq == s.next) {
        drain(f, d, s, seq, p, n, ts);
        continue;
      }
      // A hole [next, first) precedes the data.
      uint32_t first = seq;
      if (s.head != kNil && seq_lt(hdr[s.head].seq, first)) first = hdr[s.head].seq;
      if (seq_ge(s.acked, first)) {  // rule (a)
        gap(f, d, s, first - s.next, ts);
        drain(f, d, s, seq, p, n, ts);
        continue;
      }
      const uint32_t done = store(s, seq, p, n);
      if (done == n) return;
      // Rule (b): a limit was reached; give up the first hole and try again.
      st.reassembly_memcap_drops.inc();
      seq += done;
      p += done;
      n -= done;
      first = seq;
      if (s.head != kNil && seq_lt(hdr[s.head].seq, first)) first = hdr[s.head].seq;
      gap(f, d, s, first - s.next, ts);
      drain(f, d, s, seq, p, n, ts);
    }
  }

  // ---- analysis (Wireshark's tcp.analysis flags) ----

  void analyze(Session& S, DirState& D, DirState& R, const PacketView& pk) noexcept {
    const TcpHeader& th = pk.tcp;
    const uint32_t seq = th.seq, ack = th.ack, seglen = pk.payload_len;
    const uint8_t fl = th.flags;
    const bool synfin = fl & (tcpflag::kSyn | tcpflag::kFin);
    const bool ctl = fl & (tcpflag::kSyn | tcpflag::kFin | tcpflag::kRst);
    const bool has_next = D.an_flags & kAnNext;
    const Nanos ts = pk.ts;

    bool zwp = false, keepalive = false;
    if (seglen == 1 && has_next && seq == D.an_next && (R.an_flags & kAnWindow) &&
        R.window == 0) {
      zwp = true;  // zero window probe: skips the checks below, does not advance an_next
    } else {
      if (has_next && seq_gt(seq, D.an_next) && !(fl & tcpflag::kRst)) st.lost_segment.inc();
      if (has_next && seglen <= 1 && seq == D.an_next - 1 && !ctl) keepalive = true;
      const bool same = seglen == 0 && th.window != 0 && (D.an_flags & kAnWindow) &&
                        th.window == D.window && has_next && seq == D.an_next &&
                        (D.an_flags & kAnLastAck) && ack == D.an_lastack && !ctl;
      // A repeated ACK answering a keep-alive is not a duplicate ACK.
      if (same && !(R.an_flags & kAnKeepAlive) && D.dupacks < 255) ++D.dupacks;
    }
    if (!(D.an_flags & kAnLastAck) || ack != D.an_lastack) D.dupacks = 0;

    if ((seglen > 0 || synfin) && !keepalive) {
      bool not_advanced = has_next && seq_lt(seq, D.an_next);
      if (seglen > 1 && has_next && D.an_next - 1 == seq) not_advanced = false;
      const Nanos rtt = (S.flags & kHandshake) ? S.ack_ts - S.syn_ts : 0;
      const Nanos ooo_thres = rtt > 0 ? rtt : kDefaultOooThreshold;
      if (seglen > 0 && (R.an_flags & kAnLastAck) && seq_le(seq + seglen, R.an_lastack)) {
        st.retransmissions.inc();  // spurious: the peer had acknowledged it already
      } else if (not_advanced && R.dupacks >= 2 && R.an_lastack == seq &&
                 ts - R.an_lastack_ts < kFastRetransWindow) {
        st.retransmissions.inc();  // fast retransmission
      } else if (not_advanced && ts - D.an_next_ts < ooo_thres &&
                 D.an_next != seq + seglen + (synfin ? 1u : 0u)) {
        st.out_of_order.inc();
      } else if (not_advanced) {
        st.retransmissions.inc();
      }
    }

    const uint32_t nextseq = seq + seglen + (synfin ? 1u : 0u);
    if ((!has_next || seq_gt(nextseq, D.an_next)) && !zwp) {
      D.an_next = nextseq;
      D.an_next_ts = ts;
      D.an_flags |= kAnNext;
    }
    D.window = th.window;
    D.an_flags |= kAnWindow;
    if (fl & tcpflag::kAck) {
      D.an_lastack = ack;
      D.an_lastack_ts = ts;
      D.an_flags |= kAnLastAck;
    }
    D.an_flags = static_cast<uint8_t>((D.an_flags & ~(kAnKeepAlive | kAnZwp)) |
                                      (keepalive ? kAnKeepAlive : 0) | (zwp ? kAnZwp : 0));
  }

  static void start(DirState& s, uint32_t seq) noexcept {
    s.next = seq;
    s.acked = seq;
    s.flags |= kStarted;
  }

  void reset(Session& S) noexcept {
    release_chunks(S.d[0]);
    release_chunks(S.d[1]);
    S = Session{};
  }

  Session* session_of(const Flow& f) noexcept {
    Session& S = sessions[f.slot];
    return S.flow_id == f.id ? &S : nullptr;
  }
};

TcpTracker::TcpTracker(const TcpConfig& cfg, FlowTable& flows)
    : impl_(std::make_unique<Impl>(cfg, flows, stats_)) {
  assert(cfg.flow_capacity == flows.capacity());
  Impl& m = *impl_;
  // Sized by the table actually used, so a mismatched config cannot index out of bounds.
  m.sessions.resize(std::max(cfg.flow_capacity, flows.capacity()));
  const std::size_t nchunks = std::min<std::size_t>(cfg.reassembly_memcap / kChunkBytes, kNil - 1);
  m.hdr.resize(nchunks);
  m.pool.resize(nchunks * kChunkBytes);
  for (std::size_t i = nchunks; i-- > 0;) {
    m.hdr[i].next = m.free_chunk;
    m.free_chunk = static_cast<uint32_t>(i);
  }
  m.per_dir_chunks =
      static_cast<uint32_t>(std::min<std::size_t>(cfg.reassembly_per_flow / kChunkBytes, kNil - 1));
  m.consumers.reserve(16);
}

TcpTracker::~TcpTracker() = default;

void TcpTracker::add_consumer(StreamConsumer* c) { impl_->consumers.push_back(c); }

void TcpTracker::process(Flow& flow, Dir dir, const PacketView& p) noexcept {
  Impl& m = *impl_;
  Session& S = m.sessions[flow.slot];
  if (S.flow_id != flow.id) {
    m.reset(S);  // a previous flow in this slot ended without end(): drop its state
    S.flow_id = flow.id;
  }
  DirState& D = S.d[idx(dir)];
  DirState& R = S.d[idx(opposite(dir))];
  const TcpHeader& th = p.tcp;
  const uint8_t fl = th.flags;
  const bool syn = fl & tcpflag::kSyn, ack = fl & tcpflag::kAck, fin = fl & tcpflag::kFin,
             rst = fl & tcpflag::kRst;
  const bool first = !(S.flags & kSessSeen);
  if (first) {
    S.flags |= kSessSeen;
    stats_.sessions.inc();
  }

  if (syn) (ack ? stats_.synack : stats_.syn).inc();
  if (rst) stats_.rst.inc();
  if (fin) stats_.fin.inc();
  if (th.window == 0 && !(fl & (tcpflag::kSyn | tcpflag::kFin | tcpflag::kRst)))
    stats_.zero_windows.inc();

  m.analyze(S, D, R, p);

  // Handshake and delivery start.
  if (syn && !ack) {
    if (!(D.flags & kSyn)) {
      D.isn = th.seq;
      D.flags |= kSyn;
      if (th.has_wscale) D.wscale = th.wscale;
    }
    if (!(S.flags & kSynAckTimed)) S.syn_ts = p.ts;  // the last SYN before the SYN/ACK
    if (!(D.flags & kStarted)) Impl::start(D, th.seq + 1);
  } else if (syn) {
    if (!(D.flags & kSynAck)) {
      D.isn = th.seq;
      D.flags |= kSynAck;
      if (th.has_wscale) D.wscale = th.wscale;
      if ((R.flags & kSyn) && !(S.flags & kSynAckTimed)) {
        S.synack_ts = p.ts;
        S.flags |= kSynAckTimed;
      }
    }
    if (!(D.flags & kStarted)) Impl::start(D, th.seq + 1);
    // SYN not seen: the SYN/ACK's ACK tells where the client's data starts.
    if (!(R.flags & kStarted)) Impl::start(R, th.ack);
  } else {
    if (first) {
      if (m.cfg.midstream) {
        flow.midstream = true;
        stats_.midstream_pickups.inc();
      } else {
        S.flags |= kNoDelivery;
      }
    }
    if (ack && !(S.flags & kHandshake) && (D.flags & kSyn) && (R.flags & kSynAck) &&
        (S.flags & kSynAckTimed) && th.ack == R.isn + 1) {
      S.ack_ts = p.ts;
      S.flags |= kHandshake;
      stats_.handshakes.inc();
      if (flow.state == FlowState::kNew) m.flows.set_state(flow, FlowState::kEstablished);
    }
    if (!(D.flags & kStarted)) Impl::start(D, th.seq);
  }
  D.flags |= kSeen;
  if (flow.midstream && flow.state == FlowState::kNew && (R.flags & kSeen))
    m.flows.set_state(flow, FlowState::kEstablished);

  const bool delivering = !(S.flags & kNoDelivery);
  // This packet's ACK covers the other direction's bytes: rule (a) for its holes.
  if (ack && (R.flags & kStarted) && seq_gt(th.ack, R.acked)) {
    R.acked = th.ack;
    if (delivering) m.resolve_acked(flow, opposite(dir), R, p.ts);
  }

  if (rst) {
    D.flags |= kRst;  // RST payload (diagnostic text) is not stream data
    if (flow.state != FlowState::kClosed) m.flows.set_state(flow, FlowState::kClosed);
    return;
  }
  if (p.payload_len != 0 && delivering)
    m.on_data(flow, dir, D, th.seq + (syn ? 1u : 0u), p.payload, p.payload_len, p.ts);
  if (fin) {
    if (!(D.flags & kFin)) {
      D.flags |= kFin;
      D.fin_seq = th.seq + (syn ? 1u : 0u) + p.payload_len;
      if (delivering) m.resolve_acked(flow, dir, D, p.ts);
    }
    if ((R.flags & kFin) && flow.state != FlowState::kClosed)
      m.flows.set_state(flow, FlowState::kClosed);
  }
}

void TcpTracker::end(Flow& flow, Nanos now) noexcept {
  Impl& m = *impl_;
  Session& S = m.sessions[flow.slot];
  if (S.flow_id != flow.id) {  // not a TCP flow we tracked (or a stale slot)
    if (S.flow_id != 0) m.reset(S);
    return;
  }
  if (!(S.flags & kNoDelivery)) {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) {
      DirState& s = S.d[idx(d)];
      if (!(s.flags & kStarted)) continue;
      // Rule (c): report every hole before data held or before the FIN.
      while (s.head != kNil) {
        const uint32_t first = m.hdr[s.head].seq;
        if (seq_gt(first, s.next)) m.gap(flow, d, s, first - s.next, now);
        m.drain(flow, d, s, 0, nullptr, 0, now);
      }
      if ((s.flags & kFin) && seq_gt(s.fin_seq, s.next)) m.gap(flow, d, s, s.fin_seq - s.next, now);
    }
  }
  for (StreamConsumer* c : m.consumers) c->on_stream_end(flow, now);
  m.reset(S);
}

bool TcpTracker::delivers(const Flow& flow) const noexcept {
  const Session* S = impl_->session_of(flow);
  return S && !(S->flags & kNoDelivery);
}

Nanos TcpTracker::handshake_rtt(const Flow& flow) const noexcept {
  return handshake(flow).rtt;
}

TcpHandshake TcpTracker::handshake(const Flow& flow) const noexcept {
  TcpHandshake h;
  const Session* S = impl_->session_of(flow);
  if (!S) return h;
  if (S->flags & kSynAckTimed) h.syn_to_synack = S->synack_ts - S->syn_ts;
  if (S->flags & kHandshake) {
    h.synack_to_ack = S->ack_ts - S->synack_ts;
    h.rtt = S->ack_ts - S->syn_ts;
  }
  return h;
}

std::size_t TcpTracker::bytes_per_flow() noexcept { return sizeof(Session); }

}  // namespace ts
