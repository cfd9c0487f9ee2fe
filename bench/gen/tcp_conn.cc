#include "bench/gen/tcp_conn.h"

namespace tsgen {
namespace {
// Serialisation gap between back-to-back full segments at 1 Gbit/s.
constexpr uint64_t kSegGapUs = 13;
constexpr uint64_t kAckDelayUs = 25;
}  // namespace

TcpConn::TcpConn(Outbox* ob, const FlowL2& l2, uint16_t cport, uint16_t sport, uint32_t isn_c,
                 uint32_t isn_s, uint32_t ts_c, uint32_t ts_s)
    : ob_(ob), l2_(l2) {
  s_[0] = Side{cport, isn_c, 0, 0, ts_c, 0, static_cast<uint16_t>(isn_c >> 7)};
  s_[1] = Side{sport, isn_s, 0, 0, ts_s, 0, static_cast<uint16_t>(isn_s >> 9)};
}

void TcpConn::segment(int dir, uint64_t t, uint8_t flags, const uint8_t* p, size_t n) {
  Side& me = s_[dir];
  Side& peer = s_[1 - dir];
  const Host& src = dir == 0 ? *l2_.a : *l2_.b;
  const Host& dst = dir == 0 ? *l2_.b : *l2_.a;
  IpPair ip{l2_.v6, l2_.v6 ? src.v6 : src.v4, l2_.v6 ? dst.v6 : dst.v4};

  uint32_t tsval = me.ts_base + static_cast<uint32_t>(t / 1000);
  uint8_t opts[20];
  size_t olen;
  uint16_t win;
  if (flags & tcpf::kSyn) {
    // Linux order: MSS, SACK_PERM, TS, NOP, WS.
    const uint8_t o[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
    std::copy(o, o + 20, opts);
    set32(opts + 8, tsval);
    set32(opts + 12, me.ts_recent);
    olen = 20;
    win = dir == 0 ? 64240 : 65160;
  } else {
    const uint8_t o[12] = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
    std::copy(o, o + 12, opts);
    set32(opts + 4, tsval);
    set32(opts + 8, me.ts_recent);
    olen = 12;
    win = 502;  // x 128 (window scale 7) = 64256
  }
  peer.ts_recent = tsval;

  uint32_t ack = (flags & tcpf::kAck) ? me.rcv_nxt : 0;
  if (flags & tcpf::kAck) me.last_ack_sent = me.rcv_nxt;
  l4_.clear();
  put_tcp(l4_, ip, me.port, peer.port, me.snd_nxt, ack, flags, win, opts, olen, p, n);
  uint32_t adv = static_cast<uint32_t>(n) + ((flags & (tcpf::kSyn | tcpf::kFin)) ? 1u : 0u);
  me.snd_nxt += adv;
  peer.rcv_nxt += adv;

  Bytes& out = ob_->arena();
  size_t start = out.size();
  put_eth(out, dst.mac, src.mac, l2_.vlan, l2_.v6 ? kEthIpv6 : kEthIpv4);
  put_ip(out, ip, kIpTcp, l4_, l2_.v6 ? 64 : 64, me.ip_id++);
  ob_->commit(t, start);
}

uint64_t TcpConn::open(uint64_t t, uint64_t rtt) {
  // Receive-side state starts from the peer's ISN.
  s_[1].rcv_nxt = s_[0].snd_nxt;
  s_[0].rcv_nxt = s_[1].snd_nxt;
  segment(0, t, tcpf::kSyn, nullptr, 0);
  segment(1, t + rtt, tcpf::kSyn | tcpf::kAck, nullptr, 0);
  segment(0, t + rtt + 8, tcpf::kAck, nullptr, 0);
  return t + rtt + 8;
}

uint64_t TcpConn::send(int dir, uint64_t t, const void* pv, size_t n, size_t split,
                       uint64_t gap) {
  const uint8_t* p = static_cast<const uint8_t*>(pv);
  size_t writes[2] = {n, 0};
  if (split > 0 && split < n) writes[0] = split, writes[1] = n - split;
  int full = 0;
  uint64_t last_ack = 0;
  for (size_t w : writes) {
    if (w == 0) continue;
    while (w > 0) {
      size_t k = w < kMss ? w : kMss;
      uint8_t flags = tcpf::kAck | (k == w ? tcpf::kPsh : 0);
      segment(dir, t, flags, p, k);
      p += k;
      w -= k;
      if (k == kMss && ++full % 2 == 0) {
        last_ack = t + kAckDelayUs;
        segment(1 - dir, last_ack, tcpf::kAck, nullptr, 0);
      }
      if (w > 0) t += kSegGapUs;
    }
    if (writes[1] != 0 && p != static_cast<const uint8_t*>(pv) + n) t += gap;
  }
  return t > last_ack ? t : last_ack;
}

uint64_t TcpConn::ack(int dir, uint64_t t) {
  if (s_[dir].rcv_nxt != s_[dir].last_ack_sent) segment(dir, t, tcpf::kAck, nullptr, 0);
  return t;
}

uint64_t TcpConn::close(int first, uint64_t t, uint64_t rtt) {
  segment(first, t, tcpf::kFin | tcpf::kAck, nullptr, 0);
  segment(1 - first, t + rtt, tcpf::kFin | tcpf::kAck, nullptr, 0);
  segment(first, t + rtt + 10, tcpf::kAck, nullptr, 0);
  return t + rtt + 10;
}

void emit_udp(Outbox& ob, uint64_t t, const Host& src, const Host& dst, const Mac& dst_mac,
              bool v6, uint16_t vlan, uint16_t sport, uint16_t dport, const uint8_t* p,
              size_t n, uint8_t ttl, uint16_t ip_id, Bytes& scratch) {
  IpPair ip{v6, v6 ? src.v6 : src.v4, v6 ? dst.v6 : dst.v4};
  scratch.clear();
  put_udp(scratch, ip, sport, dport, p, n);
  Bytes& out = ob.arena();
  size_t start = out.size();
  put_eth(out, dst_mac, src.mac, vlan, v6 ? kEthIpv6 : kEthIpv4);
  put_ip(out, ip, kIpUdp, scratch, ttl, ip_id);
  ob.commit(t, start);
}

}  // namespace tsgen
