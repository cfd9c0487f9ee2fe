#include "sensor/flow_hash.h"

#include <cstring>

namespace ts {
namespace {

inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// 64x64->128 multiply, folded (wyhash's "mum"): a strong, cheap mixer of two words.
inline uint64_t mum(uint64_t a, uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kS0 = 0xa0761d6478bd642fULL, kS1 = 0xe7037ed1a0b428dbULL,
                   kS2 = 0x8ebc6af09c88c6e3ULL, kS3 = 0x589965cc75374cc3ULL;

}  // namespace

uint32_t flow_hash(const PacketView& p) noexcept {
  uint64_t a0 = load64(p.src.b.data()), a1 = load64(p.src.b.data() + 8);
  uint64_t b0 = load64(p.dst.b.data()), b1 = load64(p.dst.b.data() + 8);
  uint32_t pa = 0, pb = 0;
  if (p.has_ports()) {
    pa = p.sport;
    pb = p.dport;
  }
  // Order the endpoints (address, then port) so both directions mix the same words.
  const bool swap = a0 != b0 ? a0 > b0 : a1 != b1 ? a1 > b1 : pa > pb;
  if (swap) {
    std::swap(a0, b0);
    std::swap(a1, b1);
    std::swap(pa, pb);
  }
  const uint64_t ports = uint64_t{pa} << 16 | pb;
  const uint64_t meta = uint64_t{p.ip_proto} << 56 | uint64_t{p.vlan[0]} << 40 |
                        uint64_t{p.vlan[1]} << 24 | uint64_t{p.iface} << 8 | p.vlan_count;
  uint64_t h = mum(a0 ^ kS0, a1 ^ kS1);
  h ^= mum(b0 ^ kS2, b1 ^ kS3);
  h ^= mum(ports ^ kS1 ^ h, meta ^ kS2);
  h = mum(h ^ kS3, h ^ kS0 ^ 0x9e3779b97f4a7c15ULL);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace ts
