// FeedTracker implementation.
//
// Lookup: an open-addressing table (power of two, at least 4x the feeds, linear probing) of
// feed indexes keyed by destination address + UDP port. A non-feed UDP packet costs one hash
// and, almost always, one probe of an empty or foreign slot.
//
// Sequence rules per feed, on a packet carrying messages [seq, seq + count) (count 0: a
// heartbeat, which carries the next expected seq and advances nothing):
//  - first packet: baseline, expected = seq + count;
//  - seq == expected: in order;
//  - seq >  expected: gap of seq - expected messages (alert sid 1), remembered in a bounded
//    list of missing ranges (kMaxGaps per feed, oldest forgotten first); then as in order.
//    This holds for heartbeats too: a heartbeat ahead of expected means data was lost;
//  - seq <  expected: if every message of the packet was already seen, a duplicate;
//    otherwise a late (out-of-order) packet. Messages of it that fill a remembered gap are
//    taken off lost_messages and added to recovered, so lost_messages is the net number of
//    messages never seen; a gap's alert, once raised, stands. A late packet reaching past
//    expected also advances expected. A late packet older than the remembered gaps counts
//    as a duplicate (its gap was forgotten), one from before the baseline as late;
//  - a jump of more than kResetDistance either way, or back to seq 0/1 from more than
//    kRestartWindow ahead, is the publisher restarting its numbering (or a corrupt sequence
//    field): counted in resets, rebaselined, no gap and no alert.
// Sequence arithmetic is modulo 2^(8 * seq_size): 2- and 4-byte sequences wrap without a
// gap. Internally sequences are unwrapped to 64 bits (8-byte sequences are taken as they are).
//
// Silence: tick() compares packet time against each heard feed's last packet; one alert per
// silence, re-armed by the next packet. The earliest possible deadline is cached so a tick
// with nothing due costs one comparison.
//
// Worker thread only: no allocation, lock or log after construction. Metrics read the
// single-writer counters from the scrape thread.
#include "detectors/feed_tracker.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <string>

#include "detectors/alert_detail.h"
#include "detectors/builtin.h"
#include "exporters/metrics.h"

namespace ts::detectors {
namespace {

constexpr std::size_t kMaxGaps = 64;           // remembered missing ranges per feed
constexpr int64_t kResetDistance = 1'000'000;  // messages: a larger jump is a restart
constexpr int64_t kRestartWindow = 10'000;     // back to 0/1 from further ahead: restart
constexpr uint16_t kEmpty = 0xFFFF;            // free lookup slot
constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

// Reads an unsigned integer of `size` bytes (1, 2, 4 or 8) at p.
inline uint64_t load_uint(const uint8_t* p, uint8_t size, bool big_endian) noexcept {
  uint64_t v = 0;
  if (big_endian) {
    for (uint8_t i = 0; i < size; ++i) v = (v << 8) | p[i];
  } else {
    for (uint8_t i = size; i > 0; --i) v = (v << 8) | p[i - 1];
  }
  return v;
}

inline uint64_t key_hash(const IpAddr& a, Port port) noexcept {
  uint64_t lo, hi;
  std::memcpy(&lo, a.b.data(), 8);
  std::memcpy(&hi, a.b.data() + 8, 8);
  uint64_t h =
      (lo ^ (hi * 0x9E3779B97F4A7C15ull) ^ (uint64_t{port} << 48) ^ port) * 0xFF51AFD7ED558CCDull;
  return h ^ (h >> 29);
}

// Signed distance from `expected` to `wire`, modulo the wire width (mask + 1): half the
// sequence space ahead, half behind.
inline int64_t serial_diff(uint64_t wire, uint64_t expected, uint64_t mask) noexcept {
  const uint64_t d = (wire - expected) & mask;
  if (mask == ~uint64_t{0} || d <= (mask >> 1)) return static_cast<int64_t>(d);
  return static_cast<int64_t>(d) - static_cast<int64_t>(mask) - 1;
}

struct SeqRange {
  uint64_t lo = 0, hi = 0;  // [lo, hi), unwrapped
};

}  // namespace

struct FeedTracker::Impl {
  struct Feed {
    FeedStats st;  // first: its own cache line (alignas(64))
    // Configuration.
    std::string name;
    IpAddr group;
    Port port = 0;
    uint32_t seq_offset = 0;
    uint8_t seq_size = 8;
    uint8_t count_size = 2;
    bool big_endian = true;
    int32_t count_offset = -1;
    Nanos silence = 0;
    uint64_t mask = ~uint64_t{0};  // of the wire sequence
    uint32_t min_len = 0;          // payload bytes needed for seq (and count)
    // Sequence state (unwrapped).
    bool started = false;
    uint64_t expected = 0;
    uint64_t base = 0;        // first sequence of the baseline
    SeqRange gaps[kMaxGaps];  // missing ranges, ascending, non-overlapping
    std::size_t ngaps = 0;
    // Silence state and the last packet's addresses (silence alerts).
    bool heard = false;
    bool silent = false;  // alert raised, waiting for a packet
    Nanos last_ts = 0;
    uint64_t last_flow_id = 0;
    IpAddr last_src, last_dst;
    Port last_sport = 0, last_dport = 0;
  };

  Impl(const std::vector<config::FeedConfig>& cfgs, sig::AlertSink* s)
      : feeds(cfgs.size()), sink(s) {
    assert(cfgs.size() < kEmpty);
    std::size_t cap = 8;
    while (cap < cfgs.size() * 4) cap <<= 1;
    slots.assign(cap, kEmpty);
    slot_mask = cap - 1;
    for (std::size_t i = 0; i < cfgs.size(); ++i) {
      const config::FeedConfig& c = cfgs[i];
      Feed& f = feeds[i];
      f.name = c.name;
      f.group = c.group;
      f.port = c.port;
      f.seq_offset = c.seq_offset;
      f.seq_size = c.seq_size;
      f.big_endian = c.big_endian;
      f.count_offset = c.count_offset;
      f.count_size = c.count_size;
      f.silence = c.silence;
      f.mask = c.seq_size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * c.seq_size)) - 1;
      f.min_len = c.seq_offset + c.seq_size;
      if (c.count_offset >= 0)
        f.min_len =
            std::max<uint32_t>(f.min_len, static_cast<uint32_t>(c.count_offset) + c.count_size);
      // The loader rejects duplicate names, not duplicate group:port; the first one wins.
      if (find(c.group, c.port) != nullptr) continue;
      std::size_t slot = key_hash(c.group, c.port) & slot_mask;
      while (slots[slot] != kEmpty) slot = (slot + 1) & slot_mask;
      slots[slot] = static_cast<uint16_t>(i);
    }
  }

  Feed* find(const IpAddr& dst, Port dport) noexcept {
    std::size_t s = key_hash(dst, dport) & slot_mask;
    for (uint16_t i; (i = slots[s]) != kEmpty; s = (s + 1) & slot_mask) {
      Feed& f = feeds[i];
      if (f.port == dport && f.group == dst) return &f;
    }
    return nullptr;
  }

  // ---- alerts ----

  static void fill_alert(uint32_t sid, Nanos ts, uint64_t flow_id, uint64_t pcap_cnt,
                         const IpAddr& src, const IpAddr& dst, Port sport, Port dport,
                         sig::Alert& a) noexcept {
    a.ts = ts;
    a.flow_id = flow_id;
    a.pcap_cnt = pcap_cnt;
    a.src = src;
    a.dst = dst;
    a.sport = sport;
    a.dport = dport;
    a.ip_proto = 17;
    set_builtin(a, kGidFeed, sid);
  }

  void gap_alert(const Feed& f, const PacketView& p, uint64_t flow_id, uint64_t expected,
                 uint64_t received, uint64_t lost) noexcept {
    if (!sink) return;
    sig::Alert a;
    fill_alert(kFeedGap, p.ts, flow_id, p.pcap_cnt, p.src, p.dst, p.sport, p.dport, a);
    AlertDetail(a, "feed")
        .add("feed", f.name)
        .add("expected_seq", static_cast<int64_t>(expected & f.mask))
        .add("received_seq", static_cast<int64_t>(received & f.mask))
        .add("lost", static_cast<int64_t>(lost));
    sink->on_alert(a);
  }

  void silence_alert(const Feed& f, Nanos now) noexcept {
    if (!sink) return;
    sig::Alert a;
    // Not raised by a packet: pcap_cnt 0; addresses and flow of the feed's last packet.
    fill_alert(kFeedSilence, now, f.last_flow_id, 0, f.last_src, f.last_dst, f.last_sport,
               f.last_dport, a);
    AlertDetail(a, "feed")
        .add("feed", f.name)
        .add_fixed("silent_seconds", static_cast<double>(now - f.last_ts) / kNanosPerSec, 3)
        .add_fixed("limit_seconds", static_cast<double>(f.silence) / kNanosPerSec, 3);
    sink->on_alert(a);
  }

  // ---- missing ranges ----

  void remember_gap(Feed& f, uint64_t lo, uint64_t hi) noexcept {
    if (f.ngaps == kMaxGaps) forget_oldest(f);
    f.gaps[f.ngaps++] = {lo, hi};  // beyond every remembered range: stays sorted
  }

  static void forget_oldest(Feed& f) noexcept {
    std::memmove(f.gaps, f.gaps + 1, (f.ngaps - 1) * sizeof(SeqRange));
    --f.ngaps;
  }

  // Takes [lo, hi) off the remembered missing ranges; returns how many messages it filled.
  static uint64_t fill(Feed& f, uint64_t lo, uint64_t hi) noexcept {
    uint64_t filled = 0;
    for (std::size_t i = 0; i < f.ngaps; ++i) {
      SeqRange& g = f.gaps[i];
      if (g.hi <= lo) continue;
      if (g.lo >= hi) break;
      const uint64_t a = std::max(g.lo, lo), b = std::min(g.hi, hi);
      filled += b - a;
      if (a == g.lo && b == g.hi) {  // whole range filled
        std::memmove(f.gaps + i, f.gaps + i + 1, (f.ngaps - i - 1) * sizeof(SeqRange));
        --f.ngaps;
        --i;
      } else if (a == g.lo) {
        g.lo = b;
      } else if (b == g.hi) {
        g.hi = a;
      } else {  // split in two; at capacity the oldest range goes first
        if (f.ngaps == kMaxGaps) {
          if (i == 0) {  // g is the oldest: forget its older part rather than another range
            g.lo = b;
            continue;
          }
          forget_oldest(f);
          --i;
        }
        SeqRange& h = f.gaps[i];  // g moved down with the others
        const SeqRange tail{b, h.hi};
        h.hi = a;
        std::memmove(f.gaps + i + 2, f.gaps + i + 1, (f.ngaps - i - 1) * sizeof(SeqRange));
        f.gaps[i + 1] = tail;
        ++f.ngaps;
        ++i;
      }
    }
    return filled;
  }

  void rebaseline(Feed& f, uint64_t seq, uint64_t end) noexcept {
    f.started = true;
    f.base = seq;
    f.expected = end;
    f.ngaps = 0;
  }

  // ---- per packet ----

  void on_packet(Feed& f, const PacketView& p, uint64_t flow_id) noexcept {
    FeedStats& st = f.st;
    st.packets.inc();
    st.bytes.inc(p.payload_len);
    st.last_packet_ns.set(p.ts);
    f.last_ts = p.ts;
    f.last_flow_id = flow_id;
    f.last_src = p.src;
    f.last_dst = p.dst;
    f.last_sport = p.sport;
    f.last_dport = p.dport;
    if (!f.heard || f.silent) {
      f.heard = true;
      f.silent = false;
      if (f.silence > 0) next_check = std::min(next_check, p.ts + f.silence);
    }

    if (p.payload_len < f.min_len) {
      st.malformed.inc();
      return;
    }
    const uint64_t wire = load_uint(p.payload + f.seq_offset, f.seq_size, f.big_endian);
    const uint64_t count =
        f.count_offset < 0 ? 1 : load_uint(p.payload + f.count_offset, f.count_size, f.big_endian);
    st.messages.inc(count);

    if (!f.started) {
      rebaseline(f, wire, wire + count);
      st.last_seq.set(static_cast<int64_t>((f.expected - 1) & f.mask));
      return;
    }

    const int64_t diff = serial_diff(wire, f.expected, f.mask);
    const uint64_t seq = f.expected + static_cast<uint64_t>(diff);  // unwrapped
    const uint64_t end = seq + count;

    if (diff > kResetDistance || diff < -kResetDistance ||
        (diff < 0 && wire <= 1 && -diff > kRestartWindow)) {
      st.resets.inc();
      rebaseline(f, seq, end);
    } else if (diff >= 0) {
      if (diff > 0) {
        const uint64_t lost = static_cast<uint64_t>(diff);
        st.gaps.inc();
        st.lost_messages.inc(lost);
        remember_gap(f, f.expected, seq);
        gap_alert(f, p, flow_id, f.expected, seq, lost);
      }
      f.expected = end;
    } else {
      // Behind expected: which of [seq, min(end, expected)) were missing?
      const uint64_t old_end = std::min(end, f.expected);
      const uint64_t filled = fill(f, seq, old_end);
      if (filled > 0) {
        st.lost_messages.set(st.lost_messages.get() - filled);
        st.recovered.inc(filled);
      }
      const bool before_base = seq < f.base;
      // A heartbeat behind expected was sent before data already seen: late, not a copy.
      if (count > 0 && filled == 0 && !before_base && end <= f.expected) {
        st.duplicates.inc();
      } else {
        st.out_of_order.inc();
        if (end > f.expected) f.expected = end;
        if (before_base) f.base = seq;
      }
    }
    st.last_seq.set(static_cast<int64_t>((f.expected - 1) & f.mask));
  }

  void tick(Nanos now) noexcept {
    if (now <= next_check) return;
    Nanos next = kNever;
    for (Feed& f : feeds) {
      if (f.silence <= 0 || !f.heard || f.silent) continue;
      if (now - f.last_ts > f.silence) {
        f.silent = true;
        f.st.silences.inc();
        silence_alert(f, now);
      } else {
        next = std::min(next, f.last_ts + f.silence);
      }
    }
    next_check = next;
  }

  std::vector<Feed> feeds;
  std::vector<uint16_t> slots;  // feed index by key_hash; kEmpty: free
  std::size_t slot_mask = 0;
  sig::AlertSink* sink;
  // No armed feed can fall silent at or before this packet time (a lower bound).
  Nanos next_check = kNever;
};

FeedTracker::FeedTracker(const std::vector<config::FeedConfig>& feeds, sig::AlertSink* sink)
    : impl_(std::make_unique<Impl>(feeds, sink)) {}

FeedTracker::~FeedTracker() = default;

void FeedTracker::on_udp(const PacketView& p, uint64_t flow_id) noexcept {
  if (p.l4 != L4::kUdp) return;
  Impl::Feed* f = impl_->find(p.dst, p.dport);
  if (f == nullptr) return;
  impl_->on_packet(*f, p, flow_id);
}

void FeedTracker::tick(Nanos now) noexcept { impl_->tick(now); }

std::size_t FeedTracker::feeds() const noexcept { return impl_->feeds.size(); }

const FeedStats& FeedTracker::stats(std::size_t feed) const noexcept {
  return impl_->feeds[feed].st;
}

namespace {

// One counter of feed i, summed over the workers' trackers (metrics and stats read alike).
uint64_t feed_sum(std::span<const FeedTracker* const> trackers, std::size_t i,
                  uint64_t (*get)(const FeedStats&)) {
  uint64_t sum = 0;
  for (const FeedTracker* t : trackers)
    if (t != nullptr && i < t->feeds()) sum += get(t->stats(i));
  return sum;
}

}  // namespace

void FeedTracker::add_stats(std::span<const FeedTracker* const> trackers,
                            const std::vector<config::FeedConfig>& feeds,
                            std::vector<std::pair<std::string, uint64_t>>& out) {
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    const std::string base = "feed." + feeds[i].name + ".";
    out.emplace_back(base + "packets",
                     feed_sum(trackers, i, [](const FeedStats& s) { return s.packets.get(); }));
    out.emplace_back(base + "gaps",
                     feed_sum(trackers, i, [](const FeedStats& s) { return s.gaps.get(); }));
    out.emplace_back(base + "lost_messages", feed_sum(trackers, i, [](const FeedStats& s) {
                       return s.lost_messages.get();
                     }));
  }
}

void FeedTracker::collect_metrics(std::span<const FeedTracker* const> trackers,
                                  const std::vector<config::FeedConfig>& feeds,
                                  exporters::MetricsSink& sink) {
  using L = exporters::MetricLabels;
  struct CounterMetric {
    const char* name;
    const char* help;
    uint64_t (*get)(const FeedStats&);
  };
  // lost_messages_total is lost_messages + recovered: a Prometheus counter must never go
  // down, and the net count does when a late packet fills a gap. Net = lost - recovered.
  static constexpr CounterMetric kCounters[] = {
      {"tradesentry_feed_packets_total", "Market-data packets received, per feed",
       [](const FeedStats& s) { return s.packets.get(); }},
      {"tradesentry_feed_bytes_total", "UDP payload bytes of market-data packets, per feed",
       [](const FeedStats& s) { return s.bytes.get(); }},
      {"tradesentry_feed_messages_total",
       "Market-data messages received (sum of packet message counts), per feed",
       [](const FeedStats& s) { return s.messages.get(); }},
      {"tradesentry_feed_gaps_total", "Times a feed's sequence number jumped ahead, per feed",
       [](const FeedStats& s) { return s.gaps.get(); }},
      {"tradesentry_feed_lost_messages_total",
       "Messages skipped by sequence gaps, per feed (including those a late packet filled "
       "later, see tradesentry_feed_recovered_messages_total)",
       [](const FeedStats& s) { return s.lost_messages.get() + s.recovered.get(); }},
      {"tradesentry_feed_recovered_messages_total",
       "Messages of earlier sequence gaps that arrived late, per feed",
       [](const FeedStats& s) { return s.recovered.get(); }},
      {"tradesentry_feed_duplicates_total",
       "Market-data packets whose messages were all seen before, per feed",
       [](const FeedStats& s) { return s.duplicates.get(); }},
      {"tradesentry_feed_out_of_order_total",
       "Market-data packets behind the expected sequence that were not duplicates, per feed",
       [](const FeedStats& s) { return s.out_of_order.get(); }},
      {"tradesentry_feed_malformed_packets_total",
       "Market-data packets too short for the sequence or count field, per feed",
       [](const FeedStats& s) { return s.malformed.get(); }},
      {"tradesentry_feed_silences_total",
       "Times a feed fell silent longer than its limit, per feed",
       [](const FeedStats& s) { return s.silences.get(); }},
      {"tradesentry_feed_resets_total",
       "Times a feed's sequence numbering restarted (rebaselined without a gap), per feed",
       [](const FeedStats& s) { return s.resets.get(); }},
  };
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    const L labels{{"feed", feeds[i].name}};
    for (const CounterMetric& m : kCounters)
      sink.counter(m.name, m.help, labels, static_cast<double>(feed_sum(trackers, i, m.get)));
    int64_t last_ns = 0, last_seq = 0;
    for (const FeedTracker* t : trackers) {
      if (t == nullptr || i >= t->feeds()) continue;
      last_ns = std::max(last_ns, t->stats(i).last_packet_ns.get());
      last_seq = std::max(last_seq, t->stats(i).last_seq.get());
    }
    sink.gauge("tradesentry_feed_last_packet_timestamp_seconds",
               "Packet time of the feed's last packet (Unix seconds; 0: never), per feed", labels,
               static_cast<double>(last_ns) / kNanosPerSec);
    sink.gauge("tradesentry_feed_last_sequence",
               "Highest sequence number received (next expected - 1), per feed", labels,
               static_cast<double>(last_seq));
  }
}

}  // namespace ts::detectors
