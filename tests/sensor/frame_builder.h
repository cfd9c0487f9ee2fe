// Test-only frame builder: each function wraps a payload in one header and returns the bytes.
// IP builders fill lengths and checksums (IPv4 header, and TCP/UDP/ICMP/ICMPv6 in the
// payload they wrap) with their own straightforward checksum code, independent of the
// decoder's. Used by the decoder tests, the benchmark and the fuzz seeds.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ts::testing {

using Bytes = std::vector<uint8_t>;
using A4 = std::array<uint8_t, 4>;
using A16 = std::array<uint8_t, 16>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void set16(Bytes& b, std::size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t s = 0) {
  for (std::size_t i = 0; i < n; i += 2) s += (uint32_t{p[i]} << 8) | (i + 1 < n ? p[i + 1] : 0);
  return s;
}
inline uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

inline A16 v6addr(uint16_t last, uint16_t first = 0x2001) {
  A16 a{};
  a[0] = static_cast<uint8_t>(first >> 8);
  a[1] = static_cast<uint8_t>(first);
  a[2] = 0x0d;
  a[3] = 0xb8;
  a[14] = static_cast<uint8_t>(last >> 8);
  a[15] = static_cast<uint8_t>(last);
  return a;
}

// --- Layer 4 (checksum left zero; the IP builder fills it) -------------------------------

struct TcpOpts {
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = 0x18;  // PSH|ACK
  uint16_t window = 8192;
  Bytes options;         // raw option bytes, padded to 4 by the builder with NOPs... EOL
};
inline Bytes tcp(uint16_t sport, uint16_t dport, const Bytes& payload, const TcpOpts& o = {}) {
  Bytes opts = o.options;
  while (opts.size() % 4) opts.push_back(0);  // EOL padding
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, o.seq);
  put32(b, o.ack);
  b.push_back(static_cast<uint8_t>(((20 + opts.size()) / 4) << 4));
  b.push_back(o.flags);
  put16(b, o.window);
  put16(b, 0);  // checksum
  put16(b, 0);  // urgent
  b.insert(b.end(), opts.begin(), opts.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes icmp(uint8_t type, uint8_t code, const Bytes& payload, uint32_t rest = 0x00010002) {
  Bytes b{type, code, 0, 0};
  put32(b, rest);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// Fills the transport checksum of `l4` given the pseudo-header sum.
inline void fill_l4_checksum(Bytes& l4, uint8_t proto, uint32_t pseudo) {
  std::size_t at;
  switch (proto) {
    case 6: at = 16; break;
    case 17: at = 6; break;
    case 1: at = 2; pseudo = 0; break;
    case 58: at = 2; break;
    default: return;
  }
  if (l4.size() < at + 2) return;
  set16(l4, at, 0);
  uint16_t c = fold(sum16(l4.data(), l4.size(), pseudo));
  if (proto == 17 && c == 0) c = 0xffff;
  set16(l4, at, c);
}

// --- Layer 3 -----------------------------------------------------------------------------

struct Ip4Opts {
  uint16_t id = 0x1234;
  uint8_t ttl = 64, tos = 0;
  uint16_t frag = 0;        // flags+offset field as on the wire (0x2000 = MF)
  Bytes options;            // padded to 4 with EOL
  bool fill_l4 = true;      // compute the transport checksum in the payload
};
inline Bytes ipv4(A4 src, A4 dst, uint8_t proto, Bytes payload, const Ip4Opts& o = {}) {
  Bytes opts = o.options;
  while (opts.size() % 4) opts.push_back(0);
  const std::size_t hl = 20 + opts.size();
  if (o.fill_l4) {
    uint32_t ps = sum16(src.data(), 4, sum16(dst.data(), 4));
    ps += proto + static_cast<uint32_t>(payload.size());
    fill_l4_checksum(payload, proto, ps);
  }
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x40 | (hl / 4)));
  b.push_back(o.tos);
  put16(b, static_cast<uint16_t>(hl + payload.size()));
  put16(b, o.id);
  put16(b, o.frag);
  b.push_back(o.ttl);
  b.push_back(proto);
  put16(b, 0);
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  b.insert(b.end(), opts.begin(), opts.end());
  set16(b, 10, fold(sum16(b.data(), hl)));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// ext: extension headers already encoded, each starting with its next-header byte, which
// the builder chains: `first_nh` is the type of ext[0] (or `proto` when ext is empty).
struct Ip6Ext {
  uint8_t type;
  Bytes body;  // full header bytes; byte 0 (next header) is overwritten
};
inline Bytes ipv6(A16 src, A16 dst, uint8_t proto, Bytes payload,
                  const std::vector<Ip6Ext>& ext = {}, uint8_t hlim = 64, bool fill = true) {
  if (fill) {
    uint32_t ps = sum16(src.data(), 16, sum16(dst.data(), 16));
    ps += proto + static_cast<uint32_t>(payload.size());
    fill_l4_checksum(payload, proto, ps);
  }
  Bytes exts;
  for (std::size_t i = 0; i < ext.size(); ++i) {
    Bytes h = ext[i].body;
    h[0] = i + 1 < ext.size() ? ext[i + 1].type : proto;
    exts.insert(exts.end(), h.begin(), h.end());
  }
  Bytes b{0x60, 0x00, 0x00, 0x00};
  put16(b, static_cast<uint16_t>(exts.size() + payload.size()));
  b.push_back(ext.empty() ? proto : ext[0].type);
  b.push_back(hlim);
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  b.insert(b.end(), exts.begin(), exts.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Ip6Ext ext_opts(uint8_t type, std::size_t len8 = 8) {  // HBH(0)/dest(60)/routing(43)
  Ip6Ext e{type, Bytes(len8, 0)};
  e.body[1] = static_cast<uint8_t>(len8 / 8 - 1);
  if (type != 43) {
    e.body[2] = 1;  // PadN covering the rest
    e.body[3] = static_cast<uint8_t>(len8 - 4);
  }
  return e;
}

// --- Layer 2 and tunnels -----------------------------------------------------------------

inline Bytes eth(uint16_t ethertype, const Bytes& payload, std::vector<uint16_t> vlans = {},
                 uint16_t tpid = 0x8100) {
  Bytes b{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
  for (std::size_t i = 0; i < vlans.size(); ++i) {
    put16(b, i == 0 && vlans.size() > 1 ? 0x88a8 : tpid);
    put16(b, vlans[i]);
  }
  put16(b, ethertype);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes pad_to(Bytes b, std::size_t n) {
  if (b.size() < n) b.resize(n, 0);
  return b;
}
// GRE v0 with optional checksum/key/sequence.
inline Bytes gre(uint16_t proto, const Bytes& payload, bool csum = false, bool key = false,
                 bool seq = false) {
  uint16_t flags = (csum ? 0x8000 : 0) | (key ? 0x2000 : 0) | (seq ? 0x1000 : 0);
  Bytes b;
  put16(b, flags);
  put16(b, proto);
  if (csum) put32(b, 0);
  if (key) put32(b, 0xabcd);
  if (seq) put32(b, 7);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes erspan2(const Bytes& inner_eth, uint16_t session = 5) {
  Bytes b;
  put16(b, 0x1000 | 42);  // ver 1, vlan 42
  put16(b, session);
  put32(b, 0);
  b.insert(b.end(), inner_eth.begin(), inner_eth.end());
  return b;
}
inline Bytes erspan3(const Bytes& inner, bool platform = false, uint8_t ft = 0) {
  Bytes b;
  put16(b, 0x2000 | 42);  // ver 2
  put16(b, 5);
  put32(b, 0x01020304);    // timestamp
  put16(b, 0);             // SGT
  b.push_back(static_cast<uint8_t>(ft << 2));
  b.push_back(platform ? 0x01 : 0x00);
  if (platform) {
    put32(b, 0x08000000);
    put32(b, 0);
  }
  b.insert(b.end(), inner.begin(), inner.end());
  return b;
}
inline Bytes vxlan(uint32_t vni, const Bytes& inner_eth) {
  Bytes b{0x08, 0, 0, 0};
  put32(b, vni << 8);
  b.insert(b.end(), inner_eth.begin(), inner_eth.end());
  return b;
}
inline Bytes mpls(std::vector<uint32_t> labels, const Bytes& payload) {
  Bytes b;
  for (std::size_t i = 0; i < labels.size(); ++i)
    put32(b, labels[i] << 12 | (i + 1 == labels.size() ? 0x100 : 0) | 64);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes pppoe(uint16_t ppp_proto, const Bytes& payload) {
  Bytes b{0x11, 0x00};
  put16(b, 0x0001);  // session
  put16(b, static_cast<uint16_t>(2 + payload.size()));
  put16(b, ppp_proto);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
inline Bytes arp(A4 sender, A4 target) {
  Bytes b;
  put16(b, 1);
  put16(b, 0x0800);
  b.push_back(6);
  b.push_back(4);
  put16(b, 1);
  for (int i = 0; i < 6; ++i) b.push_back(0x10);
  b.insert(b.end(), sender.begin(), sender.end());
  for (int i = 0; i < 6; ++i) b.push_back(0);
  b.insert(b.end(), target.begin(), target.end());
  return b;
}
inline Bytes text(const char* s) {
  Bytes b;
  while (*s) b.push_back(static_cast<uint8_t>(*s++));
  return b;
}
inline Bytes pattern(std::size_t n, uint8_t seed = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + seed);
  return b;
}

}  // namespace ts::testing
