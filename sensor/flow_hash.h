// flow_hash: the symmetric hash dispatch uses to pick a worker, on the capture thread.
// Both directions of a flow give the same value (endpoints are ordered before mixing).
// Fragments are hashed after reassembly: the Decoder (with its Defragmenter) runs before
// dispatch, so a reassembled datagram carries its ports and lands with its flow. Fragments
// that could not be reassembled (no defragmenter, memcap) have no ports and hash by
// addresses and protocol only.
#pragma once

#include <cstdint>

#include "sensor/packet.h"

namespace ts {

// Covers src/dst addresses, ports (TCP/UDP only), ip_proto, vlan ids and iface.
// Non-IP frames (ARP) hash their two addresses. A few multiplies; no allocation.
uint32_t flow_hash(const PacketView& p) noexcept;

// murmur3's 64-bit finaliser: every input bit affects every output bit. For the open-addressed
// tables keyed by mixed fields (defragmenter, FIX pending orders).
inline uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace ts
