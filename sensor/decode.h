// Decoder: raw frame -> PacketView, headers only, no payload copy, no allocation.
// Runs on the capture thread (so dispatch can hash inner tunnel tuples and reassembled
// fragments). Every malformation increments one named reason counter; nothing throws or logs.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "sensor/counter.h"
#include "sensor/packet.h"

namespace ts {

class Defragmenter;

struct DecodeConfig {
  bool validate_checksums = false;  // IPv4 header, TCP, UDP, ICMP checksums
  uint8_t max_tunnel_depth = 4;     // encapsulations peeled before giving up (counted)
  uint16_t vxlan_port = 4789;
  uint16_t geneve_port = 6081;      // reserved: not decoded yet
};

// Why a frame is invalid or an anomaly was seen. Names are the stats/metric label values.
#define TS_DECODE_EVENTS(X)                  \
  X(kEthTruncated, "eth_truncated")          \
  X(kVlanTruncated, "vlan_truncated")        \
  X(kVlanTooDeep, "vlan_too_deep")           \
  X(kSllTruncated, "sll_truncated")          \
  X(kArpTruncated, "arp_truncated")          \
  X(kIpv4Truncated, "ipv4_truncated")        \
  X(kIpv4BadVersion, "ipv4_bad_version")     \
  X(kIpv4BadHeaderLen, "ipv4_bad_header_len") \
  X(kIpv4BadTotalLen, "ipv4_bad_total_len")  \
  X(kIpv4BadOptions, "ipv4_bad_options")     \
  X(kIpv4BadChecksum, "ipv4_bad_checksum")   \
  X(kIpv6Truncated, "ipv6_truncated")        \
  X(kIpv6BadVersion, "ipv6_bad_version")     \
  X(kIpv6BadPayloadLen, "ipv6_bad_payload_len") \
  X(kIpv6BadExtHeader, "ipv6_bad_ext_header") \
  X(kTcpTruncated, "tcp_truncated")          \
  X(kTcpBadHeaderLen, "tcp_bad_header_len")  \
  X(kTcpBadOptions, "tcp_bad_options")       \
  X(kTcpBadChecksum, "tcp_bad_checksum")     \
  X(kUdpTruncated, "udp_truncated")          \
  X(kUdpBadLen, "udp_bad_len")               \
  X(kUdpBadChecksum, "udp_bad_checksum")     \
  X(kIcmpTruncated, "icmp_truncated")        \
  X(kIcmpBadChecksum, "icmp_bad_checksum")   \
  X(kGreTruncated, "gre_truncated")          \
  X(kGreBadVersion, "gre_bad_version")       \
  X(kErspanTruncated, "erspan_truncated")    \
  X(kErspanBadVersion, "erspan_bad_version") \
  X(kVxlanTruncated, "vxlan_truncated")      \
  X(kMplsTruncated, "mpls_truncated")        \
  X(kNshTruncated, "nsh_truncated")          \
  X(kNshBadHeader, "nsh_bad_header")         \
  X(kNshUnknownPayload, "nsh_unknown_payload") \
  X(kMplsBadPayload, "mpls_bad_payload")     \
  X(kPppoeTruncated, "pppoe_truncated")      \
  X(kPppTruncated, "ppp_truncated")          \
  X(kPppUnsupportedProto, "ppp_unsupported_proto") \
  X(kTunnelTooDeep, "tunnel_too_deep")       \
  X(kFragOverlap, "frag_overlap")            \
  X(kFragTooLarge, "frag_too_large")         \
  X(kFragTimeout, "frag_timeout")            \
  X(kFragMemcap, "frag_memcap")              \
  X(kUnknownLinkType, "unknown_linktype")    \
  X(kUnknownEthertype, "unknown_ethertype")  \
  X(kFragBadLen, "frag_bad_len")

enum class DecodeEvent : uint8_t {
#define TS_X(id, name) id,
  TS_DECODE_EVENTS(TS_X)
#undef TS_X
      kCount
};
inline constexpr std::size_t kDecodeEventCount = static_cast<std::size_t>(DecodeEvent::kCount);
std::string_view decode_event_name(DecodeEvent e) noexcept;

// Per-frame counters (Suricata's decoder.* names). A frame counts once in each protocol it
// contains at any depth (like tshark's display filters), so totals compare to tshark exactly.
struct alignas(64) DecodeStats {
  Counter pkts, bytes, invalid;
  Counter ethernet, sll, raw, vlan, vlan_qinq, arp;
  Counter ipv4, ipv6, tcp, udp, icmpv4, icmpv6, other_ip;
  Counter gre, erspan, vxlan, mpls, pppoe, ppp, ipv4_in_ipv6, ipv6_in_ipv4;
  Counter ipv4_frag, ipv6_frag, frag_reassembled;
  std::array<Counter, kDecodeEventCount> events;

  void event(DecodeEvent e) noexcept { events[static_cast<std::size_t>(e)].inc(); }
};

enum class DecodeResult : uint8_t {
  kOk,           // view filled; dispatch it
  kNotIp,        // ARP or another non-IP frame: view has L2 facts only (ARP: src/dst set)
  kInvalid,      // malformed: counted in stats().invalid and one event; drop
  kFragmentHeld, // an IP fragment taken by the defragmenter; nothing to dispatch yet
  kReassembled,  // a fragment completed a datagram: view points at defragmenter storage,
                 // valid until the next decode() call (the caller copies it into a slot)
};

class Decoder {
 public:
  // defrag may be null: fragments are then dispatched as they are (no ports).
  // With a defragmenter, a fragment found inside a reassembled datagram is not reassembled
  // again (dispatched as is), so the datagram's storage stays intact for this call.
  Decoder(const DecodeConfig& cfg, Defragmenter* defrag) noexcept;

  // Resets `out` except out.iface, which the caller sets (capture source index) before.
  // Results other than kInvalid may still have counted anomaly events (tcp_bad_options,
  // vlan_too_deep, tunnel_too_deep, frag_overlap, frag_memcap, unknown_ethertype).
  [[nodiscard]] DecodeResult decode(LinkType lt, Nanos ts, const uint8_t* frame,
                                    uint32_t caplen, uint32_t wirelen,
                                    PacketView& out) noexcept;

  const DecodeStats& stats() const noexcept { return stats_; }
  DecodeStats& stats() noexcept { return stats_; }

 private:
  DecodeConfig cfg_;
  Defragmenter* defrag_;
  DecodeStats stats_;
};

}  // namespace ts
