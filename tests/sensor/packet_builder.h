// Test and benchmark helpers: build PacketViews directly (no decoder).
// Payload spans must outlive the view (tests keep the bytes in a std::string or vector).
#pragma once

#include <cstdint>
#include <string_view>

#include "sensor/flow_hash.h"
#include "sensor/packet.h"

namespace ts::test {

inline IpAddr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t v[4] = {a, b, c, d};
  return IpAddr::v4(v);
}

inline PacketView make_ip(const IpAddr& src, const IpAddr& dst, uint8_t proto, L4 l4,
                          Port sport, Port dport, std::string_view payload, Nanos ts) {
  PacketView p;
  p.ts = ts;
  p.ip_version = src.family;
  p.ip_proto = proto;
  p.src = src;
  p.dst = dst;
  p.l4 = l4;
  p.sport = sport;
  p.dport = dport;
  p.payload = reinterpret_cast<const uint8_t*>(payload.data());
  p.payload_len = static_cast<uint32_t>(payload.size());
  p.wirelen = static_cast<uint32_t>(payload.size()) + 54;
  p.caplen = p.wirelen;
  return p;
}

inline PacketView make_tcp(const IpAddr& src, const IpAddr& dst, Port sport, Port dport,
                           uint32_t seq, uint32_t ack, uint8_t flags, std::string_view payload,
                           Nanos ts, uint16_t window = 65535) {
  PacketView p = make_ip(src, dst, 6, L4::kTcp, sport, dport, payload, ts);
  p.tcp.seq = seq;
  p.tcp.ack = ack;
  p.tcp.flags = flags;
  p.tcp.window = window;
  p.tcp.data_offset = 20;
  p.wirelen = static_cast<uint32_t>(payload.size()) + 54;
  p.caplen = p.wirelen;
  return p;
}

inline PacketView make_udp(const IpAddr& src, const IpAddr& dst, Port sport, Port dport,
                           std::string_view payload, Nanos ts) {
  PacketView p = make_ip(src, dst, 17, L4::kUdp, sport, dport, payload, ts);
  p.wirelen = static_cast<uint32_t>(payload.size()) + 42;
  p.caplen = p.wirelen;
  return p;
}

inline PacketView make_icmp(const IpAddr& src, const IpAddr& dst, Nanos ts) {
  PacketView p = make_ip(src, dst, 1, L4::kIcmp, 0, 0, {}, ts);
  p.wirelen = 98;
  p.caplen = p.wirelen;
  return p;
}

// The product's symmetric flow hash, under the name the flow and TCP tests use.
inline uint32_t test_hash(const PacketView& p) { return flow_hash(p); }

}  // namespace ts::test
