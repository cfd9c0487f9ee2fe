// Byte-level builders for Ethernet, 802.1Q, IPv4, IPv6, TCP and UDP with correct
// lengths and checksums. Shared by both profiles; the mix profile calls these once per
// packet, so they append into caller-owned buffers and never allocate once warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tsgen {

using Bytes = std::vector<uint8_t>;

struct Mac {
  uint8_t b[6];
};

// A host on the mirrored network: both address families, and the VLAN its access
// port tags frames with (0 = untagged).
struct Host {
  Mac mac;
  uint16_t vlan = 0;
  uint8_t v4[4];
  uint8_t v6[16];
};

// Source and destination address of one IP packet, as raw bytes.
struct IpPair {
  bool v6 = false;
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
};

namespace tcpf {
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806,
                   kEthVlan = 0x8100, kEthQinQ = 0x88a8;
constexpr uint8_t kIpTcp = 6, kIpUdp = 17, kIpIcmp = 1, kIpIcmp6 = 58;

inline void put8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void put64(Bytes& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v >> 32));
  put32(b, static_cast<uint32_t>(v));
}
inline void put(Bytes& b, const void* p, size_t n) {
  const uint8_t* s = static_cast<const uint8_t*>(p);
  b.insert(b.end(), s, s + n);
}
inline void put(Bytes& b, std::string_view s) { put(b, s.data(), s.size()); }
inline void set16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void set32(uint8_t* p, uint32_t v) {
  set16(p, static_cast<uint16_t>(v >> 16));
  set16(p + 2, static_cast<uint16_t>(v));
}

// One's-complement sum; chunks passed to csum_add must have even length except the last.
uint32_t csum_add(uint32_t sum, const uint8_t* p, size_t n);
uint16_t csum_fold(uint32_t sum);
// Pseudo-header sum for TCP/UDP/ICMPv6 over IPv4 or IPv6.
uint32_t pseudo_sum(const IpPair& ip, uint8_t proto, uint32_t l4_len);

// Appends a TCP segment (header, options, payload) with its checksum.
void put_tcp(Bytes& out, const IpPair& ip, uint16_t sport, uint16_t dport, uint32_t seq,
             uint32_t ack, uint8_t flags, uint16_t win, const uint8_t* opts, size_t opt_len,
             const uint8_t* payload, size_t n);
// Appends a UDP datagram with its checksum (never 0: 0 is sent as 0xffff).
void put_udp(Bytes& out, const IpPair& ip, uint16_t sport, uint16_t dport,
             const uint8_t* payload, size_t n);

// Appends an IPv4 header (with options, padded to 4 bytes) for `payload_len` bytes.
void put_ipv4_hdr(Bytes& out, const uint8_t* src, const uint8_t* dst, uint8_t proto,
                  size_t payload_len, uint8_t ttl, uint16_t id, uint16_t frag = 0x4000,
                  const uint8_t* opts = nullptr, size_t opt_len = 0);
void put_ipv6_hdr(Bytes& out, const uint8_t* src, const uint8_t* dst, uint8_t next,
                  size_t payload_len, uint8_t hop_limit, uint32_t flow = 0);
// Appends a complete IP packet (header + l4) for the address pair.
void put_ip(Bytes& out, const IpPair& ip, uint8_t proto, const Bytes& l4, uint8_t ttl,
            uint16_t id);
// Appends an Ethernet header, with an 802.1Q tag when vlan != 0.
void put_eth(Bytes& out, const Mac& dst, const Mac& src, uint16_t vlan, uint16_t type);
// Pads the frame that starts at `start` with zeros to the 60-byte Ethernet minimum.
void pad_frame(Bytes& out, size_t start);

Mac multicast_mac(const uint8_t* group_v4);

}  // namespace tsgen
