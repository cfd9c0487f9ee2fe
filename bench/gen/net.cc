#include "bench/gen/net.h"

#include <cstring>

namespace tsgen {

uint32_t csum_add(uint32_t sum, const uint8_t* p, size_t n) {
  uint64_t s = sum;
  size_t i = 0;
  for (; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (i < n) s += static_cast<uint32_t>(p[i] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}

uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint32_t pseudo_sum(const IpPair& ip, uint8_t proto, uint32_t l4_len) {
  size_t alen = ip.v6 ? 16 : 4;
  uint32_t s = csum_add(0, ip.src, alen);
  s = csum_add(s, ip.dst, alen);
  s += proto;
  s += l4_len >> 16;
  s += l4_len & 0xffff;
  return s;
}

void put_tcp(Bytes& out, const IpPair& ip, uint16_t sport, uint16_t dport, uint32_t seq,
             uint32_t ack, uint8_t flags, uint16_t win, const uint8_t* opts, size_t opt_len,
             const uint8_t* payload, size_t n) {
  size_t start = out.size();
  size_t hlen = 20 + opt_len;  // callers pass options padded to 4 bytes
  put16(out, sport);
  put16(out, dport);
  put32(out, seq);
  put32(out, ack);
  put8(out, static_cast<uint8_t>((hlen / 4) << 4));
  put8(out, flags);
  put16(out, win);
  put16(out, 0);
  put16(out, 0);
  if (opt_len) put(out, opts, opt_len);
  if (n) put(out, payload, n);
  uint32_t len = static_cast<uint32_t>(out.size() - start);
  uint32_t s = pseudo_sum(ip, kIpTcp, len);
  s = csum_add(s, out.data() + start, len);
  set16(out.data() + start + 16, csum_fold(s));
}

void put_udp(Bytes& out, const IpPair& ip, uint16_t sport, uint16_t dport,
             const uint8_t* payload, size_t n) {
  size_t start = out.size();
  put16(out, sport);
  put16(out, dport);
  put16(out, static_cast<uint16_t>(8 + n));
  put16(out, 0);
  if (n) put(out, payload, n);
  uint32_t len = static_cast<uint32_t>(8 + n);
  uint32_t s = pseudo_sum(ip, kIpUdp, len);
  s = csum_add(s, out.data() + start, len);
  uint16_t c = csum_fold(s);
  set16(out.data() + start + 6, c == 0 ? 0xffff : c);
}

void put_ipv4_hdr(Bytes& out, const uint8_t* src, const uint8_t* dst, uint8_t proto,
                  size_t payload_len, uint8_t ttl, uint16_t id, uint16_t frag,
                  const uint8_t* opts, size_t opt_len) {
  size_t padded = (opt_len + 3) & ~size_t{3};
  size_t hlen = 20 + padded;
  size_t start = out.size();
  put8(out, static_cast<uint8_t>(0x40 | (hlen / 4)));
  put8(out, 0);
  put16(out, static_cast<uint16_t>(hlen + payload_len));
  put16(out, id);
  put16(out, frag);
  put8(out, ttl);
  put8(out, proto);
  put16(out, 0);
  put(out, src, 4);
  put(out, dst, 4);
  if (opt_len) put(out, opts, opt_len);
  for (size_t i = opt_len; i < padded; ++i) put8(out, 0);
  set16(out.data() + start + 10, csum_fold(csum_add(0, out.data() + start, hlen)));
}

void put_ipv6_hdr(Bytes& out, const uint8_t* src, const uint8_t* dst, uint8_t next,
                  size_t payload_len, uint8_t hop_limit, uint32_t flow) {
  put32(out, 0x60000000u | (flow & 0xfffff));
  put16(out, static_cast<uint16_t>(payload_len));
  put8(out, next);
  put8(out, hop_limit);
  put(out, src, 16);
  put(out, dst, 16);
}

void put_ip(Bytes& out, const IpPair& ip, uint8_t proto, const Bytes& l4, uint8_t ttl,
            uint16_t id) {
  if (ip.v6) {
    put_ipv6_hdr(out, ip.src, ip.dst, proto, l4.size(), ttl, id);
  } else {
    put_ipv4_hdr(out, ip.src, ip.dst, proto, l4.size(), ttl, id);
  }
  put(out, l4.data(), l4.size());
}

void put_eth(Bytes& out, const Mac& dst, const Mac& src, uint16_t vlan, uint16_t type) {
  put(out, dst.b, 6);
  put(out, src.b, 6);
  if (vlan) {
    put16(out, kEthVlan);
    put16(out, vlan & 0x0fff);
  }
  put16(out, type);
}

void pad_frame(Bytes& out, size_t start) {
  while (out.size() - start < 60) out.push_back(0);
}

Mac multicast_mac(const uint8_t* g) {
  return Mac{{0x01, 0x00, 0x5e, static_cast<uint8_t>(g[1] & 0x7f), g[2], g[3]}};
}

}  // namespace tsgen
