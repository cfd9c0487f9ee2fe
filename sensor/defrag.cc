#include "sensor/defrag.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "sensor/flow_hash.h"

namespace ts {

// A tracker: one datagram being rebuilt. Data bytes land at buffer + kHdrRoom at their
// fragment offset; the unfragmentable part of the offset-0 fragment is written just before.
struct Defragmenter::Tracker {
  Key key;
  Nanos first_seen = 0;
  uint32_t next = 0;                  // bucket chain, index+1
  uint32_t lru_prev = 0, lru_next = 0;  // index+1
  uint32_t total = 0;                 // data length, known once the last fragment arrived
  uint32_t hdr_len = 0;               // 0 until the offset-0 fragment arrived
  uint32_t nh_offset = 0;
  uint32_t blocks_have = 0;           // 8-byte blocks received, within total once known
  uint32_t max_block = 0;             // highest block index touched + 1 (bitmap clearing)
  bool have_last = false;
  bool in_use = false;
};

namespace {

inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint16_t ipv4_header_checksum(const uint8_t* p, uint32_t n) noexcept {
  uint32_t sum = 0;
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += (uint32_t{p[i]} << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::size_t Defragmenter::bytes_per_tracker() noexcept {
  return sizeof(Tracker) + kBufBytes + kBitmapWords * sizeof(uint64_t) + 2 * sizeof(uint32_t);
}

Defragmenter::Defragmenter(const DefragConfig& cfg) : cfg_(cfg) {
  ntrackers_ = std::max<std::size_t>(1, cfg.memcap / bytes_per_tracker());
  std::size_t nb = std::bit_ceil(ntrackers_ * 2);
  bucket_mask_ = static_cast<uint32_t>(nb - 1);
  trackers_ = std::make_unique<Tracker[]>(ntrackers_);
  buckets_ = std::make_unique<uint32_t[]>(nb);  // value-initialised: all empty
  buffers_ = std::make_unique<uint8_t[]>(ntrackers_ * kBufBytes);
  bitmaps_ = std::make_unique<uint64_t[]>(ntrackers_ * kBitmapWords);
  // Free list threaded through Tracker::next.
  for (std::size_t i = 0; i < ntrackers_; ++i)
    trackers_[i].next = i + 1 < ntrackers_ ? static_cast<uint32_t>(i + 2) : 0;
  free_head_ = 1;
}

Defragmenter::~Defragmenter() = default;

uint32_t Defragmenter::bucket_of(const Key& k) const noexcept {
  uint64_t h = load64(k.src.b.data()) ^ mix64(load64(k.src.b.data() + 8));
  h = mix64(h ^ load64(k.dst.b.data())) ^ load64(k.dst.b.data() + 8);
  h = mix64(h ^ (uint64_t{k.id} << 32 | uint64_t{k.proto} << 8 | k.version) ^
            (uint64_t{k.vlan0} << 40 | uint64_t{k.vlan1} << 20 | k.iface) * 0x9e3779b97f4a7c15ULL);
  return static_cast<uint32_t>(h) & bucket_mask_;
}

uint32_t Defragmenter::find(const Key& k, uint32_t bucket) const noexcept {
  for (uint32_t i = buckets_[bucket]; i != 0; i = trackers_[i - 1].next)
    if (trackers_[i - 1].key == k) return i;
  return 0;
}

void Defragmenter::release(uint32_t t) noexcept {
  Tracker& tr = trackers_[t];
  // Unlink from its bucket chain.
  uint32_t* link = &buckets_[bucket_of(tr.key)];
  while (*link != t + 1) link = &trackers_[*link - 1].next;
  *link = tr.next;
  // Unlink from the age list.
  if (tr.lru_prev) trackers_[tr.lru_prev - 1].lru_next = tr.lru_next;
  else lru_head_ = tr.lru_next;
  if (tr.lru_next) trackers_[tr.lru_next - 1].lru_prev = tr.lru_prev;
  else lru_tail_ = tr.lru_prev;
  tr.in_use = false;
  tr.next = free_head_;
  free_head_ = t + 1;
  --used_;
}

void Defragmenter::expire(Nanos now, DecodeStats& stats) noexcept {
  while (lru_head_ && now - trackers_[lru_head_ - 1].first_seen > cfg_.timeout) {
    release(lru_head_ - 1);
    stats.event(DecodeEvent::kFragTimeout);
  }
}

DefragStatus Defragmenter::add(const FragmentRef& f, DecodeStats& stats,
                               DefragOut& out) noexcept {
  expire(f.ts, stats);

  // Size limits: the rebuilt datagram's length field must hold it.
  const uint64_t end = uint64_t{f.offset} + f.data_len;
  const uint64_t unfrag_extra = f.ip_version == 4 ? f.hdr_len : f.hdr_len - 40;
  if (end + unfrag_extra > 65535 || f.hdr_len > kHdrRoom) return DefragStatus::kTooLarge;

  Key k;
  k.src = f.src;
  k.dst = f.dst;
  k.id = f.id;
  k.vlan0 = f.vlan[0];
  k.vlan1 = f.vlan[1];
  k.iface = f.iface;
  k.proto = f.proto;
  k.version = f.ip_version;
  const uint32_t bucket = bucket_of(k);
  uint32_t ti = find(k, bucket);
  const bool fresh = ti == 0;
  if (fresh) {
    if (free_head_ == 0) return DefragStatus::kMemcap;
    ti = free_head_;
    Tracker& nt = trackers_[ti - 1];
    free_head_ = nt.next;
    nt = Tracker{};
    nt.key = k;
    nt.first_seen = f.ts;
    nt.in_use = true;
    nt.next = buckets_[bucket];
    buckets_[bucket] = ti;
    nt.lru_prev = lru_tail_;
    if (lru_tail_) trackers_[lru_tail_ - 1].lru_next = ti;
    else lru_head_ = ti;
    lru_tail_ = ti;
    ++used_;
  }
  const uint32_t t = ti - 1;
  Tracker& tr = trackers_[t];
  uint8_t* buf = &buffers_[std::size_t{t} * kBufBytes];
  uint64_t* bm = &bitmaps_[std::size_t{t} * kBitmapWords];
  if (fresh) std::memset(bm, 0, kBitmapWords * sizeof(uint64_t));

  bool overlap = false;
  uint32_t begin = f.offset;
  uint32_t stop = static_cast<uint32_t>(end);
  if (!f.more) {
    if (tr.have_last) {
      if (tr.total != stop) overlap = true;  // a second, different end: the first wins
    } else {
      tr.have_last = true;
      tr.total = stop;
      if (tr.max_block > (stop + 7) / 8) overlap = true;  // data already seen past the end
      // Recount only what lies inside the datagram.
      const uint32_t nblocks = (stop + 7) / 8;
      uint32_t have = 0;
      for (uint32_t w = 0; w < nblocks / 64; ++w) have += std::popcount(bm[w]);
      if (nblocks % 64) have += std::popcount(bm[nblocks / 64] & ((1ULL << (nblocks % 64)) - 1));
      tr.blocks_have = have;
    }
  }
  if (tr.have_last && stop > tr.total) {
    overlap = true;
    stop = tr.total;
  }

  if (begin == 0 && tr.hdr_len == 0 && begin < stop) {
    std::memcpy(buf + kHdrRoom - f.hdr_len, f.hdr, f.hdr_len);
    tr.hdr_len = f.hdr_len;
    tr.nh_offset = f.nh_offset;
  }

  // Copy the blocks not yet received, in runs; the first copy of a byte wins.
  if (begin < stop) {
    const uint32_t b0 = begin / 8, b1 = (stop + 7) / 8;
    uint32_t b = b0;
    while (b < b1) {
      const bool have = (bm[b / 64] >> (b % 64)) & 1;
      uint32_t e = b + 1;
      while (e < b1 && (((bm[e / 64] >> (e % 64)) & 1) != 0) == have) ++e;
      if (have) {
        overlap = true;
      } else {
        const uint32_t from = std::max(begin, b * 8), to = std::min(stop, e * 8);
        std::memcpy(buf + kHdrRoom + from, f.data + (from - f.offset), to - from);
        for (uint32_t i = b; i < e; ++i) bm[i / 64] |= 1ULL << (i % 64);
        tr.blocks_have += e - b;
      }
      b = e;
    }
    tr.max_block = std::max(tr.max_block, b1);
  }
  if (overlap) stats.event(DecodeEvent::kFragOverlap);

  if (!tr.have_last || tr.hdr_len == 0 || tr.blocks_have != (tr.total + 7) / 8)
    return DefragStatus::kHeld;

  // Complete: patch the unfragmentable part and hand out the datagram.
  uint8_t* h = buf + kHdrRoom - tr.hdr_len;
  const uint32_t len = tr.hdr_len + tr.total;
  if (tr.key.version == 4) {
    h[2] = static_cast<uint8_t>(len >> 8);
    h[3] = static_cast<uint8_t>(len);
    h[6] &= 0x40;  // keep DF, clear MF and the offset
    h[7] = 0;
    h[10] = h[11] = 0;
    const uint16_t c = ipv4_header_checksum(h, tr.hdr_len);
    h[10] = static_cast<uint8_t>(c >> 8);
    h[11] = static_cast<uint8_t>(c);
  } else {
    const uint32_t plen = len - 40;
    h[4] = static_cast<uint8_t>(plen >> 8);
    h[5] = static_cast<uint8_t>(plen);
    h[tr.nh_offset] = tr.key.proto;
  }
  out.data = h;
  out.len = len;
  // The buffer keeps its bytes until this tracker is reused by a later add().
  release(t);
  return DefragStatus::kComplete;
}

}  // namespace ts
