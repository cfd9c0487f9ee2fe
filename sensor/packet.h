// PacketView: one decoded packet as every later stage sees it. The decoder fills it from
// the raw frame without copying payload; it points into a packet-pool slot and is valid
// until that slot is returned to capture. Trivially copyable, fixed size.
#pragma once

#include <cstdint>
#include <span>

#include "sensor/types.h"

namespace ts {

// Link types we decode (values are libpcap DLT_* numbers).
enum class LinkType : uint16_t {
  kEthernet = 1,     // DLT_EN10MB
  kRaw = 101,        // DLT_RAW (LINKTYPE_RAW)
  kLinuxSll = 113,   // DLT_LINUX_SLL
  kLinuxSll2 = 276,  // DLT_LINUX_SLL2
  kIpv4 = 228,       // LINKTYPE_IPV4
  kIpv6 = 229,       // LINKTYPE_IPV6
};

namespace tcpflag {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                         kUrg = 0x20, kEce = 0x40, kCwr = 0x80;
}

struct TcpHeader {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 0;  // raw, unscaled
  uint8_t flags = 0;
  uint8_t data_offset = 0;  // header length in bytes
  // Options (valid when the has_* flag is set).
  uint16_t mss = 0;
  uint8_t wscale = 0;
  bool has_mss = false;
  bool has_wscale = false;
  bool sack_permitted = false;
  bool has_timestamp = false;
  uint8_t sack_blocks = 0;
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;
};

enum class L4 : uint8_t { kNone = 0, kTcp, kUdp, kIcmp, kIcmpv6, kOther };

struct PacketView {
  // Capture facts.
  Nanos ts = 0;
  const uint8_t* frame = nullptr;  // start of the captured frame
  uint32_t caplen = 0;             // bytes captured
  uint32_t wirelen = 0;            // bytes on the wire
  uint16_t iface = 0;              // index of the capture source (interface or file set)
  uint64_t pcap_cnt = 0;           // 1-based frame number within its capture source (EVE pcap_cnt)
  LinkType linktype = LinkType::kEthernet;

  // Layer 2 (outermost Ethernet) and encapsulation.
  uint16_t vlan[2] = {0, 0};  // 802.1Q / QinQ ids of the innermost tunnel level, outer first
  uint8_t vlan_count = 0;
  uint8_t tunnel_depth = 0;   // encapsulations peeled (GRE, ERSPAN, VXLAN, ...)
  bool is_arp = false;

  // Layer 3 (innermost IP header).
  uint8_t ip_version = 0;     // 0 none, 4, 6
  uint8_t ip_proto = 0;       // IPPROTO_* of the transport (after IPv6 extension headers)
  uint8_t ttl = 0;            // TTL or hop limit
  uint8_t tos = 0;            // TOS or traffic class
  uint16_t ip_id = 0;         // IPv4 identification (low 16 bits of the IPv6 fragment id)
  bool reassembled = false;   // this datagram was rebuilt from fragments
  IpAddr src;
  IpAddr dst;
  uint32_t l3_offset = 0;     // offset of the innermost IP header in frame
  uint32_t l4_offset = 0;     // offset of the transport header in frame

  // Layer 4.
  L4 l4 = L4::kNone;
  Port sport = 0;
  Port dport = 0;
  TcpHeader tcp;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;

  // Transport payload (TCP/UDP data, or what follows the ICMP header). Trimmed to the IP
  // length, so Ethernet padding is never payload.
  const uint8_t* payload = nullptr;
  uint32_t payload_len = 0;

  std::span<const uint8_t> payload_span() const noexcept { return {payload, payload_len}; }
  bool has_ports() const noexcept { return l4 == L4::kTcp || l4 == L4::kUdp; }
};

}  // namespace ts
