#include "bench/gen/zoo.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string_view>

#include "bench/gen/net.h"
#include "bench/gen/rng.h"
#include "bench/gen/tcp_conn.h"

namespace tsgen {
namespace {

Host zoo_host(uint8_t net, uint8_t id) {
  Host h{};
  h.mac = Mac{{0x02, 0x99, 0, 0, net, id}};
  h.v4[0] = 10, h.v4[1] = 99, h.v4[2] = net, h.v4[3] = id;
  h.v6[0] = 0xfd, h.v6[1] = 0x00, h.v6[2] = 0x00, h.v6[3] = 0x99;
  h.v6[7] = net;
  h.v6[15] = id;
  return h;
}

// Writes frames in time order; each case's packets are laid out on a shared timeline.
class Zoo {
 public:
  Zoo(const GenOptions& opt, PcapWriter& w) : rng_(opt.seed), w_(w), t_(opt.start_us) {}

  // Wraps an inner IP packet (or inner Ethernet frame) into the frame written to the file.
  using Wrap = std::function<void(Bytes& frame, const uint8_t* ip, size_t ip_len,
                                  const uint8_t* eth, size_t eth_len, int dir)>;

  // A small TCP exchange (handshake with options, request, response, FIN) between two
  // hosts of subnet `net`, each packet passed through `wrap`.
  void tcp_case(uint8_t net, bool v6, uint16_t port, const Wrap& wrap) {
    Host a = zoo_host(net, 1), b = zoo_host(net, 2);
    Outbox ob;
    FlowL2 l2{&a, &b, v6, 0};
    TcpConn c(&ob, l2, static_cast<uint16_t>(40000 + net), port, static_cast<uint32_t>(rng_.next()),
              static_cast<uint32_t>(rng_.next()), static_cast<uint32_t>(rng_.next()),
              static_cast<uint32_t>(rng_.next()));
    uint64_t t = c.open(0, 60);
    char req[96];
    std::snprintf(req, sizeof req, "GET /zoo/%u HTTP/1.1\r\nHost: zoo%u.lab.internal\r\n\r\n",
                  net, net);
    t = c.send(0, t + 20, std::string_view(req));
    std::string_view resp = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nzoo\n";
    t = c.send(1, t + 80, resp);
    t = c.ack(0, t + 30);
    c.close(0, t + 100, 60);
    ob.sort();
    flush(ob, a, wrap);
  }

  // A UDP request and response (payload sizes chosen by the caller).
  void udp_case(uint8_t net, bool v6, uint16_t port, size_t req_len, const Wrap& wrap) {
    Host a = zoo_host(net, 1), b = zoo_host(net, 2);
    Outbox ob;
    Bytes p(req_len), scratch;
    for (size_t i = 0; i < req_len; ++i) p[i] = static_cast<uint8_t>('a' + i % 26);
    emit_udp(ob, 0, a, b, b.mac, v6, 0, static_cast<uint16_t>(50000 + net), port, p.data(),
             p.size(), 64, static_cast<uint16_t>(0x1000 + net), scratch);
    emit_udp(ob, 150, b, a, a.mac, v6, 0, port, static_cast<uint16_t>(50000 + net), p.data(),
             16, 64, static_cast<uint16_t>(0x2000 + net), scratch);
    flush(ob, a, wrap);
  }

  void write(const Bytes& f, uint64_t dt = 50) {
    t_ += dt;
    w_.write(t_, f.data(), static_cast<uint32_t>(f.size()));
  }

  Rng& rng() { return rng_; }

 private:
  void flush(Outbox& ob, const Host& a, const Wrap& wrap) {
    uint64_t base = t_ + 1000;
    uint64_t last = base;
    Bytes frame;
    while (!ob.empty()) {
      const Outbox::Entry& e = ob.front();
      const uint8_t* eth = ob.data(e);
      const uint8_t* ip = eth + 14;
      size_t ip_len = (ip[0] >> 4) == 4 ? (static_cast<size_t>(ip[2]) << 8 | ip[3])
                                        : 40 + (static_cast<size_t>(ip[4]) << 8 | ip[5]);
      int dir = std::memcmp(eth + 6, a.mac.b, 6) == 0 ? 0 : 1;
      frame.clear();
      t_ = std::max(t_, base + e.t);
      wrap(frame, ip, ip_len, eth, 14 + ip_len, dir);  // may write() fragments first
      pad_frame(frame, 0);
      last = t_;
      w_.write(last, frame.data(), static_cast<uint32_t>(frame.size()));
      ob.pop();
    }
    t_ = last;
  }

  Rng rng_;
  PcapWriter& w_;
  uint64_t t_;
};

const Mac kLeft{{0x02, 0x99, 0xee, 0, 0, 1}}, kRight{{0x02, 0x99, 0xee, 0, 0, 2}};

uint16_t ip_type(const uint8_t* ip) { return (ip[0] >> 4) == 4 ? kEthIpv4 : kEthIpv6; }

void eth_hdr(Bytes& f, int dir, uint16_t type) {
  put(f, (dir == 0 ? kRight : kLeft).b, 6);
  put(f, (dir == 0 ? kLeft : kRight).b, 6);
  put16(f, type);
}

// Outer IPv4 between two tunnel endpoints of subnet 10.98.net.0/24.
void outer_v4(Bytes& f, int dir, uint8_t net, uint8_t proto, size_t payload_len, uint16_t id) {
  uint8_t a[4] = {10, 98, net, 1}, b[4] = {10, 98, net, 2};
  put_ipv4_hdr(f, dir == 0 ? a : b, dir == 0 ? b : a, proto, payload_len, 64, id);
}
void outer_v6(Bytes& f, int dir, uint8_t net, uint8_t next, size_t payload_len) {
  uint8_t a[16] = {0xfd, 0, 0, 0x98, 0, 0, 0, net, 0, 0, 0, 0, 0, 0, 0, 1};
  uint8_t b[16] = {0xfd, 0, 0, 0x98, 0, 0, 0, net, 0, 0, 0, 0, 0, 0, 0, 2};
  put_ipv6_hdr(f, dir == 0 ? a : b, dir == 0 ? b : a, next, payload_len, 64);
}

// Rebuilds an IPv6 packet with hop-by-hop and destination-options headers (PadN only).
void v6_with_ext(Bytes& f, const uint8_t* ip, size_t len) {
  uint8_t next = ip[6];
  size_t l4 = len - 40;
  put_ipv6_hdr(f, ip + 8, ip + 24, 0, l4 + 16, ip[7]);
  const uint8_t hbh[8] = {60, 0, 1, 4, 0, 0, 0, 0};
  put(f, hbh, 8);
  const uint8_t dst[8] = {next, 0, 1, 4, 0, 0, 0, 0};
  put(f, dst, 8);
  put(f, ip + 40, l4);
}

// Rebuilds an IPv4 packet with a Record Route option (room for 4 addresses).
void v4_with_rr(Bytes& f, const uint8_t* ip, size_t len) {
  size_t hl = static_cast<size_t>(ip[0] & 0xf) * 4;
  uint8_t rr[19] = {7, 19, 8};
  std::memcpy(rr + 3, ip + 12, 4);  // first hop recorded: the sender
  uint8_t opts[20];
  std::memcpy(opts, rr, 19);
  opts[19] = 0;  // end of options list
  put_ipv4_hdr(f, ip + 12, ip + 16, ip[9], len - hl, ip[8], static_cast<uint16_t>(ip[4] << 8 | ip[5]),
               static_cast<uint16_t>(ip[6] << 8 | ip[7]), opts, 20);
  put(f, ip + hl, len - hl);
}

}  // namespace

void run_zoo(const GenOptions& opt, PcapWriter& w) {
  Zoo z(opt, w);
  auto plain = [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, ip_type(ip));
    put(f, ip, n);
  };
  // Plain Ethernet: IPv4 TCP (options in the handshake) and UDP, IPv6 TCP and UDP.
  z.tcp_case(1, false, 80, plain);
  z.udp_case(2, false, 7010, 40, plain);
  z.tcp_case(3, true, 80, plain);
  z.udp_case(4, true, 7010, 40, plain);

  // ICMP echo and ICMPv6 echo.
  {
    Host a = zoo_host(5, 1), b = zoo_host(5, 2);
    for (int dir = 0; dir < 2; ++dir) {
      Bytes icmp, f;
      put8(icmp, dir == 0 ? 8 : 0);
      put8(icmp, 0);
      put16(icmp, 0);
      put16(icmp, 0x1234);
      put16(icmp, 1);
      for (int i = 0; i < 32; ++i) put8(icmp, static_cast<uint8_t>(0x10 + i));
      set16(icmp.data() + 2, csum_fold(csum_add(0, icmp.data(), icmp.size())));
      const Host& s = dir == 0 ? a : b;
      const Host& d = dir == 0 ? b : a;
      put_eth(f, d.mac, s.mac, 0, kEthIpv4);
      put_ipv4_hdr(f, s.v4, d.v4, kIpIcmp, icmp.size(), 64, static_cast<uint16_t>(0x500 + dir));
      put(f, icmp.data(), icmp.size());
      pad_frame(f, 0);
      z.write(f, 200);
    }
    for (int dir = 0; dir < 2; ++dir) {
      Bytes icmp, f;
      const Host& s = dir == 0 ? a : b;
      const Host& d = dir == 0 ? b : a;
      put8(icmp, dir == 0 ? 128 : 129);
      put8(icmp, 0);
      put16(icmp, 0);
      put16(icmp, 0x4321);
      put16(icmp, 1);
      for (int i = 0; i < 32; ++i) put8(icmp, static_cast<uint8_t>(0x20 + i));
      IpPair ip{true, s.v6, d.v6};
      uint32_t sum = pseudo_sum(ip, kIpIcmp6, static_cast<uint32_t>(icmp.size()));
      set16(icmp.data() + 2, csum_fold(csum_add(sum, icmp.data(), icmp.size())));
      put_eth(f, d.mac, s.mac, 0, kEthIpv6);
      put_ipv6_hdr(f, s.v6, d.v6, kIpIcmp6, icmp.size(), 64);
      put(f, icmp.data(), icmp.size());
      pad_frame(f, 0);
      z.write(f, 200);
    }
  }

  // ARP request (broadcast) and reply.
  {
    Host a = zoo_host(6, 1), b = zoo_host(6, 2);
    for (int op = 1; op <= 2; ++op) {
      Bytes f;
      const Host& s = op == 1 ? a : b;
      const Host& d = op == 1 ? b : a;
      Mac bcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
      put_eth(f, op == 1 ? bcast : d.mac, s.mac, 0, kEthArp);
      put16(f, 1);
      put16(f, kEthIpv4);
      put8(f, 6);
      put8(f, 4);
      put16(f, static_cast<uint16_t>(op));
      put(f, s.mac.b, 6);
      put(f, s.v4, 4);
      Mac zero{};
      put(f, op == 1 ? zero.b : d.mac.b, 6);
      put(f, d.v4, 4);
      pad_frame(f, 0);
      z.write(f, 300);
    }
  }

  // 802.1Q and QinQ.
  z.tcp_case(7, false, 9876, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    put(f, (dir == 0 ? kRight : kLeft).b, 6);
    put(f, (dir == 0 ? kLeft : kRight).b, 6);
    put16(f, kEthVlan);
    put16(f, 100);
    put16(f, ip_type(ip));
    put(f, ip, n);
  });
  z.udp_case(8, true, 7010, 40, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    put(f, (dir == 0 ? kRight : kLeft).b, 6);
    put(f, (dir == 0 ? kLeft : kRight).b, 6);
    put16(f, kEthQinQ);
    put16(f, 300);
    put16(f, kEthVlan);
    put16(f, 100);
    put16(f, ip_type(ip));
    put(f, ip, n);
  });
  z.tcp_case(9, false, 8080, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    put(f, (dir == 0 ? kRight : kLeft).b, 6);
    put(f, (dir == 0 ? kLeft : kRight).b, 6);
    put16(f, kEthQinQ);
    put16(f, 301);
    put16(f, kEthVlan);
    put16(f, 200);
    put16(f, ip_type(ip));
    put(f, ip, n);
  });

  // IPv4 with Record Route; IPv6 with hop-by-hop and destination options.
  z.tcp_case(10, false, 80, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv4);
    v4_with_rr(f, ip, n);
  });
  z.udp_case(11, false, 7000, 40, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv4);
    v4_with_rr(f, ip, n);
  });
  z.tcp_case(12, true, 80, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv6);
    v6_with_ext(f, ip, n);
  });
  z.udp_case(13, true, 7000, 40, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv6);
    v6_with_ext(f, ip, n);
  });

  // IPv4 fragmented UDP: one datagram in order, one with fragments out of order; IPv6
  // fragmented UDP with a fragment header. Replies are small and unfragmented.
  for (int variant = 0; variant < 3; ++variant) {
    uint8_t net = static_cast<uint8_t>(14 + variant);
    bool v6 = variant == 2;
    bool reorder = variant == 1;
    z.udp_case(net, v6, 7001, 3000,
               [reorder, &w, &z](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
                 bool is_v6 = (ip[0] >> 4) == 6;
                 size_t hl = is_v6 ? 40 : static_cast<size_t>(ip[0] & 0xf) * 4;
                 const uint8_t* l4 = ip + hl;
                 size_t l4_len = n - hl;
                 if (l4_len <= 1000) {
                   eth_hdr(f, dir, is_v6 ? kEthIpv6 : kEthIpv4);
                   put(f, ip, n);
                   return;
                 }
                 // Three fragments of 1208, 1208 and the rest (multiples of 8 bytes).
                 size_t cuts[4] = {0, 1208, 2416, l4_len};
                 int order[3] = {0, 1, 2};
                 if (reorder) order[0] = 2, order[1] = 0, order[2] = 1;
                 uint32_t ident = 0x5a5a0000u | static_cast<uint32_t>(z.rng().below(65536));
                 for (int k = 0; k < 3; ++k) {
                   int i = order[k];
                   size_t off = cuts[i], len = cuts[i + 1] - cuts[i];
                   bool more = i < 2;
                   Bytes frag;
                   eth_hdr(frag, dir, is_v6 ? kEthIpv6 : kEthIpv4);
                   if (is_v6) {
                     put_ipv6_hdr(frag, ip + 8, ip + 24, 44, 8 + len, ip[7]);
                     put8(frag, ip[6]);
                     put8(frag, 0);
                     put16(frag, static_cast<uint16_t>((off / 8) << 3 | (more ? 1 : 0)));
                     put32(frag, ident);
                   } else {
                     uint16_t fl = static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8));
                     put_ipv4_hdr(frag, ip + 12, ip + 16, ip[9], len, ip[8],
                                  static_cast<uint16_t>(ident), fl);
                   }
                   put(frag, l4 + off, len);
                   pad_frame(frag, 0);
                   if (k < 2) {
                     z.write(frag, 20);
                   } else {
                     f = frag;  // the last one goes out through the normal path
                   }
                 }
                 (void)w;
               });
  }

  // GRE (IPv4 in GRE), ERSPAN type II and type III, VXLAN.
  z.tcp_case(17, false, 80, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv4);
    outer_v4(f, dir, 17, 47, 4 + n, static_cast<uint16_t>(0x100 + n));
    put16(f, 0);
    put16(f, 0x0800);
    put(f, ip, n);
  });
  uint32_t gre_seq = 0;
  z.tcp_case(18, false, 9876, [&gre_seq](Bytes& f, const uint8_t*, size_t, const uint8_t* eth, size_t en, int dir) {
    eth_hdr(f, 0, kEthIpv4);
    outer_v4(f, 0, 18, 47, 8 + 8 + en, static_cast<uint16_t>(0x200 + gre_seq));
    put16(f, 0x1000);  // S bit: sequence number present
    put16(f, 0x88be);
    put32(f, gre_seq++);
    put16(f, static_cast<uint16_t>(0x1000 | 100));  // ver 1, VLAN 100
    put16(f, static_cast<uint16_t>(0x0000 | 5));    // COS 0, En 0, T 0, session 5
    put32(f, static_cast<uint32_t>(dir == 0 ? 1 : 2));  // reserved 0, index
    put(f, eth, en);
  });
  z.tcp_case(19, false, 9876, [&gre_seq](Bytes& f, const uint8_t*, size_t, const uint8_t* eth, size_t en, int dir) {
    eth_hdr(f, 0, kEthIpv4);
    outer_v4(f, 0, 19, 47, 8 + 12 + en, static_cast<uint16_t>(0x300 + gre_seq));
    put16(f, 0x1000);
    put16(f, 0x22eb);
    put32(f, gre_seq++);
    put16(f, static_cast<uint16_t>(0x2000 | 100));  // ver 2, VLAN 100
    put16(f, static_cast<uint16_t>(0x0000 | 6));    // COS 0, BSO 0, T 0, session 6
    put32(f, 0x01020304u + static_cast<uint32_t>(gre_seq));  // timestamp
    put16(f, 0);                                    // SGT
    put16(f, static_cast<uint16_t>(dir == 0 ? 0 : 4));  // P/FT/HWID/D/Gra; O = 0
    put(f, eth, en);
  });
  z.tcp_case(20, false, 80, [](Bytes& f, const uint8_t*, size_t, const uint8_t* eth, size_t en, int dir) {
    eth_hdr(f, dir, kEthIpv4);
    uint8_t a[4] = {10, 98, 20, 1}, b[4] = {10, 98, 20, 2};
    IpPair ip{false, dir == 0 ? a : b, dir == 0 ? b : a};
    Bytes vx, udp;
    put32(vx, 0x08000000u);
    put32(vx, 5001u << 8);  // VNI 5001
    put(vx, eth, en);
    put_udp(udp, ip, static_cast<uint16_t>(49152 + dir), 4789, vx.data(), vx.size());
    put_ipv4_hdr(f, ip.src, ip.dst, kIpUdp, udp.size(), 64, static_cast<uint16_t>(0x400 + en));
    put(f, udp.data(), udp.size());
  });

  // MPLS with one and two labels.
  z.tcp_case(21, false, 80, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, 0x8847);
    put32(f, (16001u << 12) | (1u << 8) | 64);
    put(f, ip, n);
  });
  z.udp_case(22, false, 7002, 40, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, 0x8847);
    put32(f, (16002u << 12) | 64);
    put32(f, (24005u << 12) | (1u << 8) | 64);
    put(f, ip, n);
  });

  // PPPoE session with PPP IPv4 and IPv6.
  auto pppoe = [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, 0x8864);
    put8(f, 0x11);
    put8(f, 0);
    put16(f, 0x2a01);
    put16(f, static_cast<uint16_t>(n + 2));
    put16(f, (ip[0] >> 4) == 4 ? 0x0021 : 0x0057);
    put(f, ip, n);
  };
  z.tcp_case(23, false, 80, pppoe);
  z.tcp_case(24, true, 80, pppoe);

  // IPv6 in IPv4 (protocol 41) and IPv4 in IPv6 (next header 4).
  z.tcp_case(25, true, 80, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv4);
    outer_v4(f, dir, 25, 41, n, static_cast<uint16_t>(0x600 + n));
    put(f, ip, n);
  });
  z.udp_case(26, false, 7003, 40, [](Bytes& f, const uint8_t* ip, size_t n, const uint8_t*, size_t, int dir) {
    eth_hdr(f, dir, kEthIpv6);
    outer_v6(f, dir, 26, 4, n);
    put(f, ip, n);
  });
}

}  // namespace tsgen
