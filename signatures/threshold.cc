// ThresholdEngine: Suricata's threshold types (detect-engine-threshold.c semantics) over a
// fixed-capacity hash table with LRU eviction. Output thread only.
#include "signatures/threshold.h"

#include <algorithm>
#include <cstring>

namespace ts::sig {

struct ThresholdEngine::Key {
  uint32_t gid = 0, sid = 0;
  uint8_t slot = 0;
  uint8_t track = 0;
  uint64_t flow = 0;
  IpAddr a, b;
  bool operator==(const Key&) const = default;
};

struct ThresholdEngine::Entry {
  Key key;
  ThresholdOpt::Type type = ThresholdOpt::Type::kLimit;
  Nanos window_start = 0;
  Nanos window = 0;          // seconds in nanoseconds; 0: no window (backoff)
  uint32_t count = 0;        // matches in the window
  uint64_t next_alert = 0;   // backoff: the match number that alerts next
  int64_t rate_since = 0;    // rate_filter: second it became active, 0 inactive
  uint32_t rate_timeout = 0;
  std::vector<uint16_t> ports;  // detection_filter unique_on: distinct values, sorted
  uint32_t prev = 0, next = 0;  // LRU links / free list (entry number + 1, 0 none)
  bool used = false;
};

namespace {

uint64_t mix(uint64_t h, uint64_t v) noexcept {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t hash_key(const ThresholdEngine::Key& k) noexcept {
  uint64_t h = (uint64_t{k.gid} << 32) | k.sid;
  h = mix(h, (uint64_t{k.slot} << 8) | k.track);
  h = mix(h, k.flow);
  h = mix(h, load64(k.a.b.data()) ^ (uint64_t{k.a.family} << 56));
  h = mix(h, load64(k.a.b.data() + 8));
  h = mix(h, load64(k.b.b.data()) ^ (uint64_t{k.b.family} << 56));
  h = mix(h, load64(k.b.b.data() + 8));
  // Final avalanche (splitmix64).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace

ThresholdEngine::ThresholdEngine(std::size_t max_entries)
    : max_entries_(std::clamp<std::size_t>(max_entries, 1, UINT32_MAX / 4)) {
  std::size_t cap = 16;
  while (cap < max_entries_ * 2) cap <<= 1;
  index_.assign(cap, 0);
  // All the room the cap allows, up front: tracking a new source never allocates (untouched
  // pages of the reservation cost nothing until used).
  entries_.reserve(max_entries_);
}

ThresholdEngine::~ThresholdEngine() = default;

std::size_t ThresholdEngine::capacity() const noexcept { return max_entries_; }

void ThresholdEngine::set_config(const std::vector<ThresholdConfigEntry>& entries) {
  config_.clear();
  for (std::size_t seq = 0; seq < entries.size(); ++seq) {
    const ThresholdConfigEntry& e = entries[seq];
    ForRule& f = config_[(uint64_t{e.gid} << 32) | e.sid];
    switch (e.kind) {
      case ThresholdConfigEntry::Kind::kSuppress:
        f.suppress.push_back(e);
        break;
      case ThresholdConfigEntry::Kind::kRateFilter:
        f.rate.push_back(e);
        break;
      case ThresholdConfigEntry::Kind::kThreshold:
      case ThresholdConfigEntry::Kind::kEventFilter: {
        // Suricata: an entry for one gid:sid replaces the previous one; a wildcard entry is
        // installed only on rules without a threshold yet, so the first one stays.
        const bool wildcard = e.sid == 0;
        if (!f.has_threshold || !wildcard) {
          f.has_threshold = true;
          f.threshold = e;
          f.threshold_seq = seq;
        }
        break;
      }
    }
  }
}

const ThresholdEngine::ForRule* ThresholdEngine::config_for(uint32_t gid,
                                                            uint32_t sid) const noexcept {
  auto it = config_.find((uint64_t{gid} << 32) | sid);
  return it == config_.end() ? nullptr : &it->second;
}

// ---- Table.

bool ThresholdEngine::expired(const Entry& e, Nanos now) const noexcept {
  if (e.rate_since != 0) return false;  // an active rate_filter runs until its timeout
  if (e.window == 0) return false;      // backoff: lives as long as it is used
  return now >= e.window_start + e.window;
}

ThresholdEngine::Entry* ThresholdEngine::lookup(const Key& k) noexcept {
  const std::size_t mask = index_.size() - 1;
  for (std::size_t pos = hash_key(k) & mask;; pos = (pos + 1) & mask) {
    const uint32_t slot = index_[pos];
    if (slot == 0) return nullptr;
    Entry& e = entries_[slot - 1];
    if (e.key == k) return &e;
  }
}

void ThresholdEngine::erase_index(std::size_t pos) noexcept {
  // Backward-shift deletion keeps linear probing chains intact without tombstones.
  const std::size_t mask = index_.size() - 1;
  index_[pos] = 0;
  for (std::size_t next = (pos + 1) & mask; index_[next] != 0; next = (next + 1) & mask) {
    const std::size_t home = hash_key(entries_[index_[next] - 1].key) & mask;
    // Move the entry back if its home is not in (pos, next].
    const bool between = pos <= next ? (home > pos && home <= next) : (home > pos || home <= next);
    if (!between) {
      index_[pos] = index_[next];
      index_[next] = 0;
      pos = next;
    }
  }
}

void ThresholdEngine::touch(Entry* e) noexcept {
  const uint32_t id = static_cast<uint32_t>(e - entries_.data()) + 1;
  if (lru_head_ == id) return;
  // Unlink.
  if (e->prev) entries_[e->prev - 1].next = e->next;
  if (e->next) entries_[e->next - 1].prev = e->prev;
  if (lru_tail_ == id) lru_tail_ = e->prev;
  // Push front.
  e->prev = 0;
  e->next = lru_head_;
  if (lru_head_) entries_[lru_head_ - 1].prev = id;
  lru_head_ = id;
  if (lru_tail_ == 0) lru_tail_ = id;
}

ThresholdEngine::Entry* ThresholdEngine::insert(const Key& k, Nanos now) noexcept {
  uint32_t id = 0;
  if (entries_.size() < max_entries_) {
    // Entries are made on first need, up to the cap (the table grows during warm-up only).
    entries_.emplace_back();
    id = static_cast<uint32_t>(entries_.size());
    ++used_;
  } else {
    // Full: take the least recently used entry.
    id = lru_tail_;
    Entry& old = entries_[id - 1];
    if (!expired(old, now)) ++evictions_;
    const std::size_t mask = index_.size() - 1;
    std::size_t pos = hash_key(old.key) & mask;
    while (index_[pos] != id) pos = (pos + 1) & mask;
    erase_index(pos);
    lru_tail_ = old.prev;
    if (lru_tail_) entries_[lru_tail_ - 1].next = 0;
    if (lru_head_ == id) lru_head_ = 0;
  }
  Entry& e = entries_[id - 1];
  e.key = k;
  e.used = true;
  e.count = 0;
  e.next_alert = 0;
  e.rate_since = 0;
  e.rate_timeout = 0;
  e.window_start = now;
  e.window = 0;
  e.ports.clear();  // keeps its capacity: reuse does not allocate
  e.prev = e.next = 0;
  const std::size_t mask = index_.size() - 1;
  std::size_t pos = hash_key(k) & mask;
  while (index_[pos] != 0) pos = (pos + 1) & mask;
  index_[pos] = id;
  // Link at the front.
  e.next = lru_head_;
  if (lru_head_) entries_[lru_head_ - 1].prev = id;
  lru_head_ = id;
  if (lru_tail_ == 0) lru_tail_ = id;
  return &e;
}

// ---- Semantics.

namespace {

ThresholdEngine::Key make_key(const Rule& r, const Alert& a, const ThresholdOpt& t,
                              uint8_t slot) noexcept {
  ThresholdEngine::Key k;
  k.gid = r.gid;
  k.sid = r.sid;
  k.slot = slot;
  k.track = static_cast<uint8_t>(t.track);
  switch (t.track) {
    case ThresholdOpt::Track::kBySrc: k.a = a.src; break;
    case ThresholdOpt::Track::kByDst: k.a = a.dst; break;
    case ThresholdOpt::Track::kByRule: break;
    case ThresholdOpt::Track::kByBoth:
      // An IP pair: both directions between two hosts are one pair.
      k.a = std::min(a.src, a.dst);
      k.b = std::max(a.src, a.dst);
      break;
    case ThresholdOpt::Track::kByFlow: k.flow = a.flow_id; break;
  }
  return k;
}

bool in_window(const ThresholdEngine::Entry& e, Nanos now) noexcept {
  return now < e.window_start + e.window;
}

}  // namespace

// One threshold of rule r for this alert: true if the alert survives it.
bool ThresholdEngine::apply(const Rule& r, const Alert& a, const ThresholdOpt& t,
                            Slot slot) noexcept {
  using Type = ThresholdOpt::Type;
  if (t.track == ThresholdOpt::Track::kByFlow && a.flow_id == 0) return false;  // as Suricata
  const Key k = make_key(r, a, t, static_cast<uint8_t>(slot));
  const Nanos now = a.ts;
  const Nanos window = Nanos{t.seconds} * kNanosPerSec;
  Entry* e = lookup(k);
  if (e != nullptr) {
    touch(e);
    e->window = t.type == Type::kBackoff ? 0 : window;  // follows a reloaded rule
  }
  const bool fresh = e == nullptr;
  auto create = [&]() {
    e = insert(k, now);
    e->type = t.type;
    e->window = t.type == Type::kBackoff ? 0 : window;
    e->count = 1;
  };

  switch (t.type) {
    case Type::kLimit:
      // At most count alerts per window.
      if (fresh) {
        create();
        return true;
      }
      if (in_window(*e, now)) {
        ++e->count;
        return e->count <= t.count;
      }
      e->window_start = now;
      e->count = 1;
      return true;

    case Type::kThreshold:
      // Every count-th match within the window; the counter restarts after each alert.
      if (fresh) {
        if (t.count <= 1) return true;  // Suricata keeps no state for count 1
        create();
        return false;
      }
      if (in_window(*e, now)) {
        ++e->count;
        if (e->count >= t.count) {
          e->count = 0;
          return true;
        }
        return false;
      }
      e->window_start = now;
      e->count = 1;
      return false;

    case Type::kBoth:
      // Once per window, at the count-th match.
      if (fresh) {
        create();
        return t.count == 1;
      }
      if (in_window(*e, now)) {
        ++e->count;
        return e->count == t.count;
      }
      e->window_start = now;
      e->count = 1;
      return t.count == 1;

    case Type::kBackoff:
      // Alerts at matches count, count*multiplier, count*multiplier^2, ...
      if (fresh) {
        create();
        e->next_alert = t.count;
      } else if (e->count < UINT32_MAX) {
        ++e->count;
      }
      if (e->count == e->next_alert) {
        const uint64_t m = std::max<uint32_t>(t.multiplier, 1);
        e->next_alert = e->next_alert > (UINT64_MAX / m) ? UINT64_MAX : e->next_alert * m;
        return true;
      }
      return false;

    case Type::kDetectionFilter: {
      // Every match after count matches (count distinct ports with unique_on) in the window.
      uint16_t port = 0;
      const bool unique = t.unique_on != ThresholdOpt::Unique::kNone;
      if (unique) port = t.unique_on == ThresholdOpt::Unique::kSrcPort ? a.sport : a.dport;
      auto add_port = [&]() {
        // Distinct values beyond count + 1 change nothing: stop storing them there.
        if (e->ports.size() > t.count) return;
        auto it = std::lower_bound(e->ports.begin(), e->ports.end(), port);
        if (it == e->ports.end() || *it != port) e->ports.insert(it, port);
      };
      if (fresh || !in_window(*e, now)) {
        if (fresh) {
          create();
        } else {
          e->window_start = now;
          e->count = 1;
          e->ports.clear();
        }
        if (unique) {
          add_port();
          return e->ports.size() > t.count;
        }
        return false;
      }
      ++e->count;
      if (unique) {
        add_port();
        return e->ports.size() > t.count;
      }
      return e->count > t.count;
    }
  }
  return true;
}

// A rate_filter entry: true when its new action is in force for this alert.
bool ThresholdEngine::rate_filter(const Rule& r, const Alert& a, const ThresholdConfigEntry& c,
                                  std::size_t nth) noexcept {
  const ThresholdOpt& t = c.opt;
  if (t.track == ThresholdOpt::Track::kByFlow && a.flow_id == 0) return false;
  // Each rate_filter of a rule counts on its own.
  const auto slot = static_cast<uint8_t>(static_cast<std::size_t>(Slot::kRateFilter) +
                                         std::min<std::size_t>(nth, 200));
  const Key k = make_key(r, a, t, slot);
  const Nanos now = a.ts;
  const int64_t now_s = now / kNanosPerSec;
  Entry* e = lookup(k);
  if (e == nullptr) {
    e = insert(k, now);
    e->type = t.type;
    e->window = Nanos{t.seconds} * kNanosPerSec;
    e->count = 1;
    e->rate_timeout = c.timeout;
    return false;
  }
  touch(e);
  if (e->rate_since != 0) {
    if (now_s - e->rate_since > static_cast<int64_t>(c.timeout)) {
      e->rate_since = 0;  // timed out; this match only ends it (Suricata)
      return false;
    }
    return true;
  }
  if (in_window(*e, now)) {
    ++e->count;
    if (e->count > t.count) {
      e->rate_since = std::max<int64_t>(now_s, 1);
      return true;
    }
    return false;
  }
  e->window_start = now;
  e->count = 1;
  return false;
}

ThresholdDecision ThresholdEngine::decide(const Rule& r, const Alert& a) noexcept {
  ThresholdDecision d;
  d.action = r.action;
  if (a.src.family == 0) return d;  // not an IP packet: Suricata does not threshold it

  const ForRule* exact = config_for(r.gid, r.sid);
  const ForRule* any_gid = r.gid != 0 ? config_for(0, r.sid) : nullptr;
  const ForRule* gid_wide = r.sid != 0 ? config_for(r.gid, 0) : nullptr;
  const ForRule* global = (r.gid != 0 || r.sid != 0) ? config_for(0, 0) : nullptr;
  const ForRule* all[4] = {exact, any_gid, gid_wide, global};

  // 1. suppress.
  for (const ForRule* f : all) {
    if (f == nullptr) continue;
    for (const ThresholdConfigEntry& s : f->suppress) {
      bool hit = false;
      switch (s.suppress_track) {
        case ThresholdConfigEntry::SuppressTrack::kNone: hit = true; break;
        case ThresholdConfigEntry::SuppressTrack::kBySrc: hit = s.suppress_ip.contains(a.src); break;
        case ThresholdConfigEntry::SuppressTrack::kByDst: hit = s.suppress_ip.contains(a.dst); break;
        case ThresholdConfigEntry::SuppressTrack::kByEither:
          hit = s.suppress_ip.contains(a.src) || s.suppress_ip.contains(a.dst);
          break;
      }
      if (hit) {
        d.log = false;
        return d;
      }
    }
  }

  // 2. the rule's detection_filter.
  if (r.detection_filter && !apply(r, a, *r.detection_filter, Slot::kDetectionFilter)) {
    d.log = false;
    return d;
  }

  // 3. threshold: threshold.config for this gid:sid, else the rule's keyword, else the first
  // wildcard entry (only for rules with neither threshold nor detection_filter).
  const ThresholdOpt* t = nullptr;
  for (const ForRule* f : {exact, any_gid}) {
    if (t == nullptr && f != nullptr && f->has_threshold) t = &f->threshold.opt;
  }
  if (t == nullptr) {
    if (r.threshold) {
      t = &*r.threshold;
    } else if (!r.detection_filter) {
      std::size_t best = SIZE_MAX;
      for (const ForRule* f : {gid_wide, global}) {
        if (f != nullptr && f->has_threshold && f->threshold_seq < best) {
          best = f->threshold_seq;
          t = &f->threshold.opt;
        }
      }
    }
  }
  if (t != nullptr && !apply(r, a, *t, Slot::kThreshold)) {
    d.log = false;
    return d;
  }

  // 4. rate_filter: the alert stays, its action may change.
  std::size_t nth = 0;
  for (const ForRule* f : all) {
    if (f == nullptr) continue;
    for (const ThresholdConfigEntry& c : f->rate) {
      if (rate_filter(r, a, c, nth++) && !d.rate_filtered) {
        d.rate_filtered = true;
        d.action = c.new_action;
      }
    }
  }
  return d;
}

}  // namespace ts::sig
