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

}  // namespace ts
