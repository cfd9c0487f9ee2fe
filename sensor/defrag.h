// Defragmenter: IPv4 and IPv6 fragment reassembly for the Decoder, on the capture thread.
// Every byte it uses is allocated at construction from the memory cap (a fixed table of
// trackers, each with one 64 KiB+ datagram buffer and a received-block bitmap); adding a
// fragment never allocates. Overlaps keep the first copy (counted), trackers expire on packet
// time (counted), a full table leaves the fragment unreassembled (counted by the Decoder).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sensor/decode.h"
#include "sensor/types.h"

namespace ts {

struct DefragConfig {
  std::size_t memcap = 16u << 20;        // bytes for trackers and buffers together
  Nanos timeout = 60 * kNanosPerSec;     // from a datagram's first fragment, packet time
};

// One fragment as the Decoder hands it over. Pointers are only read during add().
struct FragmentRef {
  Nanos ts = 0;
  uint8_t ip_version = 4;  // 4 or 6
  uint8_t proto = 0;       // IPv4 protocol / IPv6 next header of the fragment header
  uint32_t id = 0;         // IPv4 identification or IPv6 fragment id
  IpAddr src, dst;
  uint16_t vlan[2] = {0, 0};
  uint16_t iface = 0;
  uint32_t offset = 0;     // bytes
  bool more = false;       // MF / M flag
  // Unfragmentable part: the IPv4 header, or the IPv6 header plus the extension headers
  // before the fragment header. Only kept from the fragment at offset 0.
  const uint8_t* hdr = nullptr;
  uint32_t hdr_len = 0;
  uint32_t nh_offset = 0;  // IPv6: offset in hdr of the next-header byte naming the frag hdr
  const uint8_t* data = nullptr;  // fragment payload (after the fragment header)
  uint32_t data_len = 0;
};

enum class DefragStatus : uint8_t {
  kHeld,      // kept; the datagram is not complete yet
  kComplete,  // datagram rebuilt: see DefragOut
  kMemcap,    // no free tracker: not reassembled (the caller counts frag_memcap)
  kTooLarge,  // the datagram would exceed 65535 bytes (the caller counts frag_too_large)
};

struct DefragOut {
  const uint8_t* data = nullptr;  // the reassembled IP packet, header patched (lengths,
  uint32_t len = 0;               // fragment fields, IPv4 checksum); valid until next add()
};

class Defragmenter {
 public:
  explicit Defragmenter(const DefragConfig& cfg);
  ~Defragmenter();
  Defragmenter(const Defragmenter&) = delete;
  Defragmenter& operator=(const Defragmenter&) = delete;

  // Adds one fragment. Expires old trackers first (frag_timeout); counts frag_overlap itself.
  [[nodiscard]] DefragStatus add(const FragmentRef& f, DecodeStats& stats,
                                 DefragOut& out) noexcept;
  // Frees trackers older than the timeout at packet time `now` (live mode: call on ticks).
  void expire(Nanos now, DecodeStats& stats) noexcept;

  std::size_t capacity() const noexcept { return ntrackers_; }
  std::size_t in_use() const noexcept { return used_; }

  // Largest datagram buffer: room for an unfragmentable part plus 65535 bytes of data.
  static constexpr uint32_t kHdrRoom = 512;
  static constexpr uint32_t kMaxData = 65535;
  static constexpr uint32_t kBufBytes = kHdrRoom + kMaxData + 1;
  static constexpr uint32_t kBitmapWords = (kMaxData / 8 + 1 + 63) / 64;  // 8-byte blocks
  static std::size_t bytes_per_tracker() noexcept;

 private:
  struct Key {
    IpAddr src, dst;
    uint32_t id = 0;
    uint16_t vlan0 = 0, vlan1 = 0, iface = 0;
    uint8_t proto = 0, version = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Tracker;

  uint32_t bucket_of(const Key& k) const noexcept;
  void release(uint32_t t) noexcept;
  uint32_t find(const Key& k, uint32_t bucket) const noexcept;  // index+1, 0 = none

  DefragConfig cfg_;
  std::size_t ntrackers_ = 0;
  std::size_t used_ = 0;
  uint32_t bucket_mask_ = 0;
  std::unique_ptr<Tracker[]> trackers_;
  std::unique_ptr<uint32_t[]> buckets_;   // tracker index+1, chained through Tracker::next
  std::unique_ptr<uint8_t[]> buffers_;    // ntrackers_ * kBufBytes
  std::unique_ptr<uint64_t[]> bitmaps_;   // ntrackers_ * kBitmapWords
  uint32_t free_head_ = 0;                // index+1
  uint32_t lru_head_ = 0, lru_tail_ = 0;  // index+1, oldest first (creation order)
};

}  // namespace ts
