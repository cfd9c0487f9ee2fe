// Decoder implementation. One Walk object per frame carries the cursor state; each layer
// reads its header from a (pointer, bytes available) pair that the outer layer has already
// trimmed to its own length, so no layer can read past the capture or past its parent.
#include "sensor/decode.h"

#include <bit>
#include <cstring>

#include "sensor/defrag.h"

namespace ts {

std::string_view decode_event_name(DecodeEvent e) noexcept {
  static constexpr std::string_view kNames[] = {
#define TS_X(id, name) name,
      TS_DECODE_EVENTS(TS_X)
#undef TS_X
  };
  const auto i = static_cast<std::size_t>(e);
  return i < kDecodeEventCount ? kNames[i] : std::string_view("unknown");
}

namespace {

inline uint16_t rd16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t rd32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

constexpr uint16_t kEtIpv4 = 0x0800, kEtArp = 0x0806, kEtVlan = 0x8100, kEtQinq = 0x88a8,
                   kEtQinqOld = 0x9100, kEtIpv6 = 0x86dd, kEtMpls = 0x8847,
                   kEtPppoeSession = 0x8864, kEtTeb = 0x6558, kEtErspan2 = 0x88be,
                   kEtErspan3 = 0x22eb, kEtPpp = 0x880b, kEtNsh = 0x894f;

// Protocols seen in this frame: each counts once per frame however often it occurs.
enum ProtoBit : uint32_t {
  kBEthernet, kBSll, kBRaw, kBVlan, kBQinq, kBArp, kBIpv4, kBIpv6, kBTcp, kBUdp, kBIcmpv4,
  kBIcmpv6, kBOtherIp, kBGre, kBErspan, kBVxlan, kBMpls, kBPppoe, kBPpp, kBIpv4InIpv6,
  kBIpv6InIpv4, kBIpv4Frag, kBIpv6Frag, kBReassembled, kBCount
};
constexpr Counter DecodeStats::*kBitCounter[kBCount] = {
    &DecodeStats::ethernet,     &DecodeStats::sll,       &DecodeStats::raw,
    &DecodeStats::vlan,         &DecodeStats::vlan_qinq, &DecodeStats::arp,
    &DecodeStats::ipv4,         &DecodeStats::ipv6,      &DecodeStats::tcp,
    &DecodeStats::udp,          &DecodeStats::icmpv4,    &DecodeStats::icmpv6,
    &DecodeStats::other_ip,     &DecodeStats::gre,       &DecodeStats::erspan,
    &DecodeStats::vxlan,        &DecodeStats::mpls,      &DecodeStats::pppoe,
    &DecodeStats::ppp,          &DecodeStats::ipv4_in_ipv6, &DecodeStats::ipv6_in_ipv4,
    &DecodeStats::ipv4_frag,    &DecodeStats::ipv6_frag, &DecodeStats::frag_reassembled,
};

// Ones' complement sum of native-endian words, unfolded. Byte order does not matter for the
// ones' complement sum as long as it is consistent, and the final test is for all ones.
inline uint64_t csum_add(uint64_t sum, const uint8_t* p, uint32_t n) noexcept {
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    sum += w >> 32;
    sum += w & 0xffffffffu;
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    sum += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    uint16_t w = 0;
    std::memcpy(&w, p, 1);  // the odd byte, padded with a zero byte after it
    sum += w;
  }
  return sum;
}
inline bool csum_ok(uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

bool ipv4_options_ok(const uint8_t* o, uint32_t n) noexcept {
  uint32_t i = 0;
  while (i < n) {
    const uint8_t t = o[i];
    if (t == 0) break;  // end of list
    if (t == 1) {       // no-op
      ++i;
      continue;
    }
    if (i + 1 >= n) return false;
    const uint8_t l = o[i + 1];
    if (l < 2 || i + l > n) return false;
    i += l;
  }
  return true;
}

// Returns false at the first malformed option (what came before it stays set).
bool parse_tcp_options(const uint8_t* o, uint32_t n, TcpHeader& t) noexcept {
  uint32_t i = 0;
  while (i < n) {
    const uint8_t k = o[i];
    if (k == 0) break;
    if (k == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= n) return false;
    const uint8_t l = o[i + 1];
    if (l < 2 || i + l > n) return false;
    const uint8_t* v = o + i + 2;
    switch (k) {
      case 2:
        if (l != 4) return false;
        t.mss = rd16(v);
        t.has_mss = true;
        break;
      case 3:
        if (l != 3) return false;
        t.wscale = v[0];
        t.has_wscale = true;
        break;
      case 4:
        if (l != 2) return false;
        t.sack_permitted = true;
        break;
      case 5:
        if (l < 10 || (l - 2) % 8 != 0) return false;
        t.sack_blocks = static_cast<uint8_t>((l - 2) / 8);
        break;
      case 8:
        if (l != 10) return false;
        t.ts_val = rd32(v);
        t.ts_ecr = rd32(v + 4);
        t.has_timestamp = true;
        break;
      default:
        break;
    }
    i += l;
  }
  return true;
}

using R = DecodeResult;
using E = DecodeEvent;

// Per-frame cursor. Lives on the stack for one decode() call; everything inlines.
class Walk {
 public:
  Walk(const DecodeConfig& cfg, Defragmenter* defrag, DecodeStats& st, PacketView& v,
       bool snapped) noexcept
      : cfg_(cfg), defrag_(defrag), st_(st), v_(v), base_(v.frame), snapped_(snapped) {}

  R link(LinkType lt, const uint8_t* p, uint32_t n) noexcept {
    switch (static_cast<uint16_t>(lt)) {
      case 1:
        return eth(p, n);
      case 113:  // Linux cooked v1: 16-byte header, protocol last
        bits_ |= 1u << kBSll;
        if (n < 16) return bad(E::kSllTruncated);
        return ethertype(rd16(p + 14), p + 16, n - 16);
      case 276:  // Linux cooked v2: 20-byte header, protocol first
        bits_ |= 1u << kBSll;
        if (n < 20) return bad(E::kSllTruncated);
        return ethertype(rd16(p), p + 20, n - 20);
      case 101:
      case 12:  // DLT_RAW on OpenBSD
      case 14:  // DLT_RAW on BSD/OS
        bits_ |= 1u << kBRaw;
        return raw_ip(p, n);
      case 228:
        bits_ |= 1u << kBRaw;
        return ipv4(p, n);
      case 229:
        bits_ |= 1u << kBRaw;
        return ipv6(p, n);
      default:
        st_.event(E::kUnknownLinkType);
        return R::kNotIp;
    }
  }

  void commit() noexcept {
    uint32_t b = bits_;
    while (b) {
      const int i = std::countr_zero(b);
      (st_.*kBitCounter[i]).inc();
      b &= b - 1;
    }
  }

 private:
  R bad(E e) noexcept {
    st_.event(e);
    return R::kInvalid;
  }
  uint32_t off(const uint8_t* p) const noexcept { return static_cast<uint32_t>(p - base_); }

  // Peels one more encapsulation level, or counts tunnel_too_deep and refuses.
  bool enter_tunnel() noexcept {
    if (v_.tunnel_depth >= cfg_.max_tunnel_depth) {
      st_.event(E::kTunnelTooDeep);
      return false;
    }
    ++v_.tunnel_depth;
    return true;
  }
  // What to return when we stop peeling: the view keeps the outer IP facts if it has any.
  R stop_here() const noexcept { return v_.ip_version ? R::kOk : R::kNotIp; }

  R raw_ip(const uint8_t* p, uint32_t n) noexcept {
    if (n < 1) return bad(E::kIpv4Truncated);
    switch (p[0] >> 4) {
      case 4:
        return ipv4(p, n);
      case 6:
        return ipv6(p, n);
      default:
        return bad(E::kIpv4BadVersion);
    }
  }

  R eth(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBEthernet;
    if (n < 14) return bad(E::kEthTruncated);
    if (v_.tunnel_depth) clear_inner();
    uint16_t et = rd16(p + 12);
    p += 14;
    n -= 14;
    uint32_t tags = 0;
    while (et == kEtVlan || et == kEtQinq || et == kEtQinqOld) {
      if (n < 4) return bad(E::kVlanTruncated);
      if (tags < 2) v_.vlan[tags] = rd16(p) & 0x0fff;
      else if (tags == 2) st_.event(E::kVlanTooDeep);
      ++tags;
      et = rd16(p + 2);
      p += 4;
      n -= 4;
    }
    if (tags) {
      bits_ |= 1u << kBVlan;
      if (tags >= 2) bits_ |= 1u << kBQinq;
      v_.vlan_count = static_cast<uint8_t>(tags < 2 ? tags : 2);
    }
    return ethertype(et, p, n);
  }

  // A new L2 level inside a tunnel: the inner frame's L2/L3/L4 facts replace the outer ones.
  // Only fields an outer level can have set are reset (the transport ones are set last).
  void clear_inner() noexcept {
    v_.vlan[0] = v_.vlan[1] = 0;
    v_.vlan_count = 0;
    v_.ip_version = v_.ip_proto = v_.ttl = v_.tos = 0;
    v_.ip_id = 0;
    v_.src = IpAddr{};
    v_.dst = IpAddr{};
    v_.l3_offset = v_.l4_offset = 0;
    v_.l4 = L4::kNone;
    v_.sport = v_.dport = 0;
    v_.payload = nullptr;
    v_.payload_len = 0;
  }

  R ethertype(uint16_t et, const uint8_t* p, uint32_t n) noexcept {
    switch (et) {
      case kEtIpv4:
        return ipv4(p, n);
      case kEtIpv6:
        return ipv6(p, n);
      case kEtArp:
        return arp(p, n);
      case kEtMpls:
        return mpls(p, n);
      case kEtPppoeSession:
        return pppoe(p, n);
      case kEtNsh:
        return nsh(p, n);
      default:
        if (et >= 0x0600) st_.event(E::kUnknownEthertype);  // below: an 802.3 length
        return stop_here();
    }
  }

  R arp(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBArp;
    v_.is_arp = true;
    if (n < 8) return bad(E::kArpTruncated);
    const uint8_t hlen = p[4], plen = p[5];
    const uint32_t need = 8u + 2u * (hlen + plen);
    if (n < need) return bad(E::kArpTruncated);
    if (rd16(p + 2) == kEtIpv4 && plen == 4) {
      v_.src = IpAddr::v4(p + 8 + hlen);
      v_.dst = IpAddr::v4(p + 8 + 2 * hlen + 4);
    }
    return R::kNotIp;
  }

  R mpls(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBMpls;
    if (!enter_tunnel()) return stop_here();
    for (;;) {
      if (n < 4) return bad(E::kMplsTruncated);
      const bool bottom = p[2] & 0x01;
      p += 4;
      n -= 4;
      if (bottom) break;
    }
    if (n < 1) return bad(E::kMplsTruncated);
    switch (p[0] >> 4) {
      case 4:
        return ipv4(p, n);
      case 6:
        return ipv6(p, n);
      case 0:  // pseudowire control word, then Ethernet
        if (n < 4) return bad(E::kMplsTruncated);
        return eth(p + 4, n - 4);
      default:
        return bad(E::kMplsBadPayload);
    }
  }

  // Network Service Header (RFC 8300): base header, service path header, context headers
  // (length in 4-byte words), then IPv4, IPv6, Ethernet or another NSH.
  R nsh(const uint8_t* p, uint32_t n) noexcept {
    if (!enter_tunnel()) return stop_here();
    if (n < 8) return bad(E::kNshTruncated);
    const uint8_t version = p[0] >> 6;
    const uint32_t len = static_cast<uint32_t>(p[1] & 0x3f) * 4;
    const uint8_t md_type = p[2] & 0x0f;
    if (version != 0 || len < 8 || (md_type == 1 && len != 24) || md_type == 0 || md_type == 0xf)
      return bad(E::kNshBadHeader);
    if (n < len) return bad(E::kNshTruncated);
    switch (p[3]) {
      case 1: return ipv4(p + len, n - len);
      case 2: return ipv6(p + len, n - len);
      case 3: return eth(p + len, n - len);
      case 4: return nsh(p + len, n - len);
      case 5: return mpls(p + len, n - len);
      default:
        st_.event(E::kNshUnknownPayload);
        return stop_here();
    }
  }

  R pppoe(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBPppoe;
    if (n < 6) return bad(E::kPppoeTruncated);
    uint32_t len = rd16(p + 4);
    if (len > n - 6) {
      if (!snapped_) return bad(E::kPppoeTruncated);
      len = n - 6;
    }
    if (!enter_tunnel()) return stop_here();
    return ppp(p + 6, len);
  }

  R ppp(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBPpp;
    if (n >= 2 && p[0] == 0xff && p[1] == 0x03) {  // address and control fields
      p += 2;
      n -= 2;
    }
    if (n < 1) return bad(E::kPppTruncated);
    uint16_t proto;
    if (p[0] & 1) {  // protocol field compressed to one byte
      proto = p[0];
      p += 1;
      n -= 1;
    } else {
      if (n < 2) return bad(E::kPppTruncated);
      proto = rd16(p);
      p += 2;
      n -= 2;
    }
    switch (proto) {
      case 0x0021:
        return ipv4(p, n);
      case 0x0057:
        return ipv6(p, n);
      default:
        st_.event(E::kPppUnsupportedProto);  // LCP, IPCP...: control traffic, not malformed
        return stop_here();
    }
  }

  R ipv4(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBIpv4;
    if (n < 1) return bad(E::kIpv4Truncated);
    if ((p[0] >> 4) != 4) return bad(E::kIpv4BadVersion);
    if (n < 20) return bad(E::kIpv4Truncated);
    const uint32_t hl = (p[0] & 0x0fu) * 4;
    if (hl < 20) return bad(E::kIpv4BadHeaderLen);
    if (hl > n) return bad(E::kIpv4Truncated);
    const uint32_t tot = rd16(p + 2);
    if (tot < hl) return bad(E::kIpv4BadTotalLen);
    bool complete = true;
    if (tot > n) {
      if (!snapped_) return bad(E::kIpv4Truncated);
      complete = false;  // cut by the snap length: decode what we have
    } else {
      n = tot;  // trims Ethernet padding
    }
    if (hl > 20 && !ipv4_options_ok(p + 20, hl - 20)) return bad(E::kIpv4BadOptions);
    if (cfg_.validate_checksums && !csum_ok(csum_add(0, p, hl)))
      return bad(E::kIpv4BadChecksum);

    v_.ip_version = 4;
    v_.tos = p[1];
    v_.ip_id = rd16(p + 4);
    v_.ttl = p[8];
    const uint8_t proto = p[9];
    v_.ip_proto = proto;
    v_.src = IpAddr::v4(p + 12);
    v_.dst = IpAddr::v4(p + 16);
    v_.l3_offset = off(p);

    const uint16_t frag = rd16(p + 6);
    const uint32_t foff = (frag & 0x1fffu) * 8;
    const bool more = frag & 0x2000;
    if (more || foff) {
      return fragment(4, p, hl, 0, proto, v_.ip_id, foff, more, p + hl, n - hl, complete);
    }
    return transport(proto, p + hl, n - hl, complete);
  }

  R ipv6(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBIpv6;
    if (n < 1) return bad(E::kIpv6Truncated);
    if ((p[0] >> 4) != 6) return bad(E::kIpv6BadVersion);
    if (n < 40) return bad(E::kIpv6Truncated);
    uint32_t avail = n - 40;
    const uint32_t plen = rd16(p + 4);
    uint8_t nh = p[6];
    if (plen == 0 && nh != 59) return bad(E::kIpv6BadPayloadLen);  // jumbograms unsupported
    bool complete = true;
    if (plen > avail) {
      if (!snapped_) return bad(E::kIpv6Truncated);
      complete = false;
    } else {
      avail = plen;
    }
    v_.ip_version = 6;
    v_.tos = static_cast<uint8_t>(((p[0] & 0x0f) << 4) | (p[1] >> 4));
    v_.ttl = p[7];
    v_.src = IpAddr::v6(p + 8);
    v_.dst = IpAddr::v6(p + 24);
    v_.l3_offset = off(p);
    v_.ip_id = 0;

    const uint8_t* q = p + 40;
    uint32_t nh_offset = 6;
    for (int ext = 0;; ++ext) {
      if (ext == 16) return bad(E::kIpv6BadExtHeader);
      uint32_t len;
      switch (nh) {
        case 0:   // hop-by-hop
        case 43:  // routing
        case 60:  // destination options
          if (avail < 2) return bad(E::kIpv6BadExtHeader);
          len = (q[1] + 1u) * 8;
          break;
        case 51:  // authentication header
          if (avail < 2) return bad(E::kIpv6BadExtHeader);
          len = (q[1] + 2u) * 4;
          break;
        case 44: {  // fragment
          if (avail < 8) return bad(E::kIpv6BadExtHeader);
          const uint16_t fo = rd16(q + 2);
          const uint32_t foff = fo & 0xfff8u;
          const bool more = fo & 1;
          if (foff == 0 && !more) {  // atomic fragment (RFC 6946): just a header
            len = 8;
            break;
          }
          const uint32_t id = rd32(q + 4);
          v_.ip_id = static_cast<uint16_t>(id);
          v_.ip_proto = q[0];
          return fragment(6, p, off(q) - off(p), nh_offset, q[0], id, foff, more, q + 8,
                          avail - 8, complete);
        }
        default:
          v_.ip_proto = nh;
          return transport(nh, q, avail, complete);
      }
      if (len > avail) return bad(E::kIpv6BadExtHeader);
      nh_offset = off(q) - off(p);
      nh = q[0];
      q += len;
      avail -= len;
    }
  }

  R fragment(uint8_t version, const uint8_t* ip, uint32_t hdr_len, uint32_t nh_offset,
             uint8_t proto, uint32_t id, uint32_t foff, bool more, const uint8_t* data,
             uint32_t dlen, bool complete) noexcept {
    bits_ |= 1u << (version == 4 ? kBIpv4Frag : kBIpv6Frag);
    v_.ip_proto = proto;
    v_.l4 = L4::kNone;  // no transport header until reassembled
    v_.l4_offset = off(data);
    v_.payload = data;
    v_.payload_len = dlen;
    if (!defrag_ || in_reassembled_ || !complete) return R::kOk;
    if (more && (dlen == 0 || dlen % 8 != 0)) return bad(E::kFragBadLen);

    FragmentRef f;
    f.ts = v_.ts;
    f.ip_version = version;
    f.proto = proto;
    f.id = id;
    f.src = v_.src;
    f.dst = v_.dst;
    f.vlan[0] = v_.vlan[0];
    f.vlan[1] = v_.vlan[1];
    f.iface = v_.iface;
    f.offset = foff;
    f.more = more;
    f.hdr = ip;
    f.hdr_len = hdr_len;
    f.nh_offset = nh_offset;
    f.data = data;
    f.data_len = dlen;
    DefragOut o;
    switch (defrag_->add(f, st_, o)) {
      case DefragStatus::kHeld:
        return R::kFragmentHeld;
      case DefragStatus::kMemcap:
        st_.event(E::kFragMemcap);
        return R::kOk;  // dispatched unreassembled, like Suricata
      case DefragStatus::kTooLarge:
        return bad(E::kFragTooLarge);
      case DefragStatus::kComplete:
        break;
    }
    bits_ |= 1u << kBReassembled;
    in_reassembled_ = true;
    snapped_ = false;
    base_ = o.data;
    v_.frame = o.data;
    v_.caplen = v_.wirelen = o.len;
    v_.linktype = LinkType::kRaw;
    v_.reassembled = true;
    v_.payload = nullptr;
    v_.payload_len = 0;
    const R r = version == 4 ? ipv4(o.data, o.len) : ipv6(o.data, o.len);
    return r == R::kOk ? R::kReassembled : r;
  }

  // Pseudo-header sum for the innermost IP header (already in the view).
  uint64_t pseudo(uint8_t proto, uint32_t len) const noexcept {
    uint64_t s;
    if (v_.ip_version == 4) {
      s = csum_add(0, v_.src.b.data(), 4);
      s = csum_add(s, v_.dst.b.data(), 4);
      const uint8_t t[4] = {0, proto, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
      return csum_add(s, t, 4);
    }
    s = csum_add(0, v_.src.b.data(), 16);
    s = csum_add(s, v_.dst.b.data(), 16);
    const uint8_t t[8] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                          static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0,
                          proto};
    return csum_add(s, t, 8);
  }

  R transport(uint8_t proto, const uint8_t* p, uint32_t n, bool complete) noexcept {
    v_.l4_offset = off(p);
    switch (proto) {
      case 6:
        return tcp(p, n, complete);
      case 17:
        return udp(p, n, complete);
      case 1:
        return icmp(p, n, complete, false);
      case 58:
        return icmp(p, n, complete, true);
      case 47:
        return gre(p, n);
      case 4:
        if (v_.ip_version == 6) bits_ |= 1u << kBIpv4InIpv6;
        return ip_in_ip(p, n);
      case 41:
        if (v_.ip_version == 4) bits_ |= 1u << kBIpv6InIpv4;
        return ip_in_ip(p, n);
      default:
        bits_ |= 1u << kBOtherIp;
        v_.l4 = L4::kOther;
        v_.payload = p;
        v_.payload_len = n;
        return R::kOk;
    }
  }

  R tcp(const uint8_t* p, uint32_t n, bool complete) noexcept {
    bits_ |= 1u << kBTcp;
    if (n < 20) return bad(E::kTcpTruncated);
    const uint32_t doff = (p[12] >> 4) * 4u;
    if (doff < 20) return bad(E::kTcpBadHeaderLen);
    if (doff > n) return bad(complete ? E::kTcpBadHeaderLen : E::kTcpTruncated);
    if (cfg_.validate_checksums && complete && !csum_ok(csum_add(pseudo(6, n), p, n)))
      return bad(E::kTcpBadChecksum);
    TcpHeader& t = v_.tcp;
    v_.sport = rd16(p);
    v_.dport = rd16(p + 2);
    t.seq = rd32(p + 4);
    t.ack = rd32(p + 8);
    t.data_offset = static_cast<uint8_t>(doff);
    t.flags = p[13];
    t.window = rd16(p + 14);
    if (doff > 20 && !parse_tcp_options(p + 20, doff - 20, t)) st_.event(E::kTcpBadOptions);
    v_.l4 = L4::kTcp;
    v_.payload = p + doff;
    v_.payload_len = n - doff;
    return R::kOk;
  }

  R udp(const uint8_t* p, uint32_t n, bool complete) noexcept {
    bits_ |= 1u << kBUdp;
    if (n < 8) return bad(E::kUdpTruncated);
    const uint32_t ulen = rd16(p + 4);
    if (ulen < 8) return bad(E::kUdpBadLen);
    if (ulen > n) {
      if (complete) return bad(E::kUdpBadLen);
    } else {
      n = ulen;
      complete = true;
    }
    // A zero checksum means "none" (IPv4; tolerated on IPv6 as for tunnels, RFC 6935).
    if (cfg_.validate_checksums && complete && rd16(p + 6) != 0 &&
        !csum_ok(csum_add(pseudo(17, n), p, n)))
      return bad(E::kUdpBadChecksum);
    v_.sport = rd16(p);
    v_.dport = rd16(p + 2);
    v_.l4 = L4::kUdp;
    v_.payload = p + 8;
    v_.payload_len = n - 8;
    if (v_.dport == cfg_.vxlan_port) return vxlan(p + 8, n - 8);
    return R::kOk;
  }

  R icmp(const uint8_t* p, uint32_t n, bool complete, bool v6) noexcept {
    bits_ |= 1u << (v6 ? kBIcmpv6 : kBIcmpv4);
    if (n < 8) return bad(E::kIcmpTruncated);
    if (cfg_.validate_checksums && complete &&
        !csum_ok(csum_add(v6 ? pseudo(58, n) : 0, p, n)))
      return bad(E::kIcmpBadChecksum);
    v_.icmp_type = p[0];
    v_.icmp_code = p[1];
    v_.l4 = v6 ? L4::kIcmpv6 : L4::kIcmp;
    v_.payload = p + 8;
    v_.payload_len = n - 8;
    return R::kOk;
  }

  R ip_in_ip(const uint8_t* p, uint32_t n) noexcept {
    v_.l4 = L4::kOther;
    v_.payload = p;
    v_.payload_len = n;
    if (!enter_tunnel()) return R::kOk;
    return v_.ip_proto == 4 ? ipv4(p, n) : ipv6(p, n);
  }

  R vxlan(const uint8_t* p, uint32_t n) noexcept {
    if (n < 8) {
      bits_ |= 1u << kBVxlan;
      return bad(E::kVxlanTruncated);
    }
    if (!(p[0] & 0x08)) return R::kOk;  // no valid VNI: plain UDP to that port
    bits_ |= 1u << kBVxlan;
    if (!enter_tunnel()) return R::kOk;
    return eth(p + 8, n - 8);
  }

  R gre(const uint8_t* p, uint32_t n) noexcept {
    bits_ |= 1u << kBGre;
    v_.l4 = L4::kOther;
    v_.payload = p;
    v_.payload_len = n;
    if (n < 4) return bad(E::kGreTruncated);
    const uint16_t flags = rd16(p);
    const uint16_t proto = rd16(p + 2);
    uint32_t hl = 4;
    const bool seq = flags & 0x1000;
    switch (flags & 0x7) {
      case 0:
        if (flags & 0x4000) return bad(E::kGreBadVersion);  // RFC 1701 routing: obsolete
        if (flags & 0x8000) hl += 4;
        if (flags & 0x2000) hl += 4;
        if (seq) hl += 4;
        break;
      case 1:  // enhanced GRE (PPTP): key mandatory, PPP only
        if (proto != kEtPpp || !(flags & 0x2000)) return bad(E::kGreBadVersion);
        hl = 8;
        if (seq) hl += 4;
        if (flags & 0x0080) hl += 4;  // acknowledgment number
        break;
      default:
        return bad(E::kGreBadVersion);
    }
    if (n < hl) return bad(E::kGreTruncated);
    switch (proto) {
      case kEtIpv4: case kEtIpv6: case kEtTeb: case kEtErspan2: case kEtErspan3:
      case kEtMpls: case kEtPpp:
        break;
      default:
        st_.event(E::kUnknownEthertype);
        return R::kOk;  // the outer IP/GRE view stands
    }
    if (!enter_tunnel()) return R::kOk;
    p += hl;
    n -= hl;
    switch (proto) {
      case kEtIpv4:
        return ipv4(p, n);
      case kEtIpv6:
        return ipv6(p, n);
      case kEtTeb:
        return eth(p, n);
      case kEtMpls:
        return mpls(p, n);  // its own level: GRE + MPLS is depth 2
      case kEtPpp:
        return ppp(p, n);
      case kEtErspan2:
        bits_ |= 1u << kBErspan;
        if (!seq) return eth(p, n);  // ERSPAN type I: no header
        if (n < 8) return bad(E::kErspanTruncated);
        if ((p[0] >> 4) != 1) return bad(E::kErspanBadVersion);
        return eth(p + 8, n - 8);
      default: {  // ERSPAN type III
        bits_ |= 1u << kBErspan;
        if (n < 12) return bad(E::kErspanTruncated);
        if ((p[0] >> 4) != 2) return bad(E::kErspanBadVersion);
        uint32_t h = 12;
        if (p[11] & 0x01) h += 8;  // optional platform-specific subheader
        if (n < h) return bad(E::kErspanTruncated);
        const uint8_t ft = (p[10] >> 2) & 0x1f;
        if (ft == 0) return eth(p + h, n - h);
        if (ft == 2) return raw_ip(p + h, n - h);
        st_.event(E::kUnknownEthertype);
        return R::kOk;
      }
    }
  }

  const DecodeConfig& cfg_;
  Defragmenter* defrag_;
  DecodeStats& st_;
  PacketView& v_;
  const uint8_t* base_;  // view offsets are relative to this (the frame, or the datagram)
  uint32_t bits_ = 0;
  bool snapped_;  // caplen < wirelen: lengths may legitimately exceed what was captured
  bool in_reassembled_ = false;
};

}  // namespace

Decoder::Decoder(const DecodeConfig& cfg, Defragmenter* defrag) noexcept
    : cfg_(cfg), defrag_(defrag) {}

DecodeResult Decoder::decode(LinkType lt, Nanos ts, const uint8_t* frame, uint32_t caplen,
                             uint32_t wirelen, PacketView& out) noexcept {
  const uint16_t iface = out.iface;
  out = PacketView{};
  out.iface = iface;
  out.ts = ts;
  out.frame = frame;
  out.caplen = caplen;
  out.wirelen = wirelen;
  out.linktype = lt;
  stats_.pkts.inc();
  stats_.bytes.inc(wirelen);
  if (!frame) caplen = 0;
  Walk w(cfg_, defrag_, stats_, out, caplen < wirelen);
  const DecodeResult r = w.link(lt, frame, caplen);
  w.commit();
  if (r == DecodeResult::kInvalid) stats_.invalid.inc();
  return r;
}

}  // namespace ts
