#include "sensor/defrag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "sensor/decode.h"
#include "tests/sensor/frame_builder.h"

namespace ts {
namespace {

using namespace ts::testing;
using Events = std::map<std::string, uint64_t>;
using Piece = std::pair<uint32_t, uint32_t>;  // offset, length (bytes of the IP payload)

const A4 kA{10, 0, 0, 1}, kB{10, 0, 0, 2};

Events events_of(const DecodeStats& s) {
  Events e;
  for (std::size_t i = 0; i < kDecodeEventCount; ++i)
    if (s.events[i].get())
      e[std::string(decode_event_name(static_cast<DecodeEvent>(i)))] = s.events[i].get();
  return e;
}

// Splits the IP payload `l4` (with its checksum already filled) into IPv4 fragments.
std::vector<Bytes> frags_v4(const Bytes& l4, uint8_t proto, uint16_t id,
                            const std::vector<Piece>& pieces, std::vector<uint16_t> vlans = {}) {
  std::vector<Bytes> out;
  Ip4Opts o;
  o.id = id;
  o.fill_l4 = false;
  for (const auto& [off, len] : pieces) {
    const bool last = off + len >= l4.size();
    o.frag = static_cast<uint16_t>((off / 8) | (last ? 0 : 0x2000));
    Bytes slice(l4.begin() + off, l4.begin() + std::min<std::size_t>(off + len, l4.size()));
    out.push_back(eth(0x0800, ipv4(kA, kB, proto, slice, o), vlans));
  }
  return out;
}

Bytes udp_v4(std::size_t n) {  // a UDP datagram with its checksum filled for kA -> kB
  Bytes l4 = udp(5000, 6000, pattern(n));
  uint32_t ps = sum16(kA.data(), 4, sum16(kB.data(), 4)) + 17 + static_cast<uint32_t>(l4.size());
  fill_l4_checksum(l4, 17, ps);
  return l4;
}

std::vector<Piece> even_pieces(std::size_t total, uint32_t size) {
  std::vector<Piece> p;
  for (uint32_t off = 0; off < total; off += size) p.push_back({off, size});
  return p;
}

class DefragTest : public ::testing::Test {
 protected:
  DecodeResult run(const Bytes& f, Nanos ts = 0) {
    return dec.decode(LinkType::kEthernet, ts, f.data(), f.size(), f.size(), v);
  }
  void expect_udp_datagram(const Bytes& l4) {
    EXPECT_TRUE(v.reassembled);
    EXPECT_EQ(v.linktype, LinkType::kRaw);
    EXPECT_EQ(v.l3_offset, 0u);
    EXPECT_EQ(v.caplen, 20 + l4.size());
    EXPECT_EQ(v.frame[0], 0x45);
    EXPECT_EQ(v.l4, L4::kUdp);
    EXPECT_EQ(v.sport, 5000);
    EXPECT_EQ(v.dport, 6000);
    ASSERT_EQ(v.payload_len, l4.size() - 8);
    EXPECT_EQ(0, std::memcmp(v.payload, l4.data() + 8, v.payload_len));
  }

  DecodeConfig cfg = [] {
    DecodeConfig c;
    c.validate_checksums = true;  // the rebuilt header and the UDP checksum must verify
    return c;
  }();
  Defragmenter defrag{DefragConfig{4u << 20, 10 * kNanosPerSec}};
  Decoder dec{cfg, &defrag};
  PacketView v;
};

TEST_F(DefragTest, InOrder) {
  const Bytes l4 = udp_v4(4000);
  const auto fr = frags_v4(l4, 17, 77, even_pieces(l4.size(), 1480));
  ASSERT_EQ(fr.size(), 3u);
  EXPECT_EQ(run(fr[0]), DecodeResult::kFragmentHeld);
  EXPECT_EQ(v.l4, L4::kNone);
  EXPECT_EQ(v.ip_proto, 17);
  EXPECT_EQ(run(fr[1]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(run(fr[2]), DecodeResult::kReassembled);
  expect_udp_datagram(l4);
  EXPECT_EQ(v.ip_id, 77);
  const auto& s = dec.stats();
  EXPECT_EQ(s.pkts.get(), 3u);
  EXPECT_EQ(s.ipv4.get(), 3u);
  EXPECT_EQ(s.ipv4_frag.get(), 3u);
  EXPECT_EQ(s.udp.get(), 1u);  // only the completing frame shows UDP (tshark semantics)
  EXPECT_EQ(s.frag_reassembled.get(), 1u);
  EXPECT_EQ(s.invalid.get(), 0u);
  EXPECT_EQ(events_of(s), Events{});
  EXPECT_EQ(defrag.in_use(), 0u);
}

TEST_F(DefragTest, ReversedAndShuffled) {
  const Bytes l4 = udp_v4(3000);
  auto pieces = even_pieces(l4.size(), 512);
  std::reverse(pieces.begin(), pieces.end());
  auto fr = frags_v4(l4, 17, 1, pieces);
  for (std::size_t i = 0; i + 1 < fr.size(); ++i)
    EXPECT_EQ(run(fr[i]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(run(fr.back()), DecodeResult::kReassembled);
  expect_udp_datagram(l4);

  pieces = even_pieces(l4.size(), 256);
  std::swap(pieces[0], pieces[5]);
  std::swap(pieces[2], pieces.back());
  fr = frags_v4(l4, 17, 2, pieces);
  for (std::size_t i = 0; i + 1 < fr.size(); ++i)
    EXPECT_EQ(run(fr[i]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(run(fr.back()), DecodeResult::kReassembled);
  expect_udp_datagram(l4);
  EXPECT_EQ(events_of(dec.stats()), Events{});
}

TEST_F(DefragTest, OverlapFirstCopyWins) {
  const Bytes l4 = udp_v4(40);  // 48 bytes of IP payload
  Bytes evil = l4;
  for (std::size_t i = 16; i < 32; ++i) evil[i] = 0xee;
  auto a = frags_v4(l4, 17, 3, {{0, 24}});
  auto b = frags_v4(evil, 17, 3, {{16, 16}});   // overlaps bytes 16..23, new 24..31
  auto c = frags_v4(l4, 17, 3, {{24, 24}});     // overlaps 24..31, rest new, last
  Decoder d(DecodeConfig{}, &defrag);  // no checksums: the mixed datagram fails UDP's
  auto go = [&](const Bytes& f) {
    return d.decode(LinkType::kEthernet, 0, f.data(), f.size(), f.size(), v);
  };
  EXPECT_EQ(go(a[0]), DecodeResult::kFragmentHeld);
  EXPECT_EQ(go(b[0]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(go(c[0]), DecodeResult::kReassembled);
  // Bytes 16..23 come from the first fragment, 24..31 from the second (first to arrive).
  EXPECT_EQ(0, std::memcmp(v.frame + 20 + 16, l4.data() + 16, 8));
  EXPECT_EQ(v.frame[20 + 24], 0xee);
  EXPECT_EQ(events_of(d.stats()), (Events{{"frag_overlap", 2}}));
  EXPECT_EQ(d.stats().invalid.get(), 0u);
}

TEST_F(DefragTest, DuplicatesCountedAndIgnored) {
  const Bytes l4 = udp_v4(1992);
  const auto fr = frags_v4(l4, 17, 4, even_pieces(l4.size(), 1000));
  EXPECT_EQ(run(fr[0]), DecodeResult::kFragmentHeld);
  EXPECT_EQ(run(fr[0]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(run(fr[1]), DecodeResult::kReassembled);
  expect_udp_datagram(l4);
  EXPECT_EQ(events_of(dec.stats()), (Events{{"frag_overlap", 1}}));
}

TEST_F(DefragTest, TimeoutOnPacketTime) {
  const Bytes l4 = udp_v4(1992);
  const auto fr = frags_v4(l4, 17, 5, even_pieces(l4.size(), 1000));
  EXPECT_EQ(run(fr[0], 0), DecodeResult::kFragmentHeld);
  EXPECT_EQ(defrag.in_use(), 1u);
  // The rest arrives after the timeout: the first tracker is gone, this one starts anew.
  EXPECT_EQ(run(fr[1], 11 * kNanosPerSec), DecodeResult::kFragmentHeld);
  EXPECT_EQ(defrag.in_use(), 1u);
  EXPECT_EQ(events_of(dec.stats()), (Events{{"frag_timeout", 1}}));
  // Within the timeout it completes.
  ASSERT_EQ(run(fr[0], 12 * kNanosPerSec), DecodeResult::kReassembled);
  expect_udp_datagram(l4);
  // Explicit expiry (live ticks).
  EXPECT_EQ(run(fr[0], 20 * kNanosPerSec), DecodeResult::kFragmentHeld);
  defrag.expire(29 * kNanosPerSec, dec.stats());
  EXPECT_EQ(defrag.in_use(), 1u);
  defrag.expire(31 * kNanosPerSec, dec.stats());
  EXPECT_EQ(defrag.in_use(), 0u);
  EXPECT_EQ(events_of(dec.stats()), (Events{{"frag_timeout", 2}}));
}

TEST_F(DefragTest, MemcapExhausted) {
  Defragmenter small(DefragConfig{2 * Defragmenter::bytes_per_tracker(), kNanosPerSec});
  ASSERT_EQ(small.capacity(), 2u);
  Decoder d(cfg, &small);
  const Bytes l4 = udp_v4(1992);
  std::vector<std::vector<Bytes>> dgrams;
  for (uint16_t id = 1; id <= 3; ++id)
    dgrams.push_back(frags_v4(l4, 17, id, even_pieces(l4.size(), 1000)));
  auto go = [&](const Bytes& f) {
    return d.decode(LinkType::kEthernet, 0, f.data(), f.size(), f.size(), v);
  };
  EXPECT_EQ(go(dgrams[0][0]), DecodeResult::kFragmentHeld);
  EXPECT_EQ(go(dgrams[1][0]), DecodeResult::kFragmentHeld);
  // Table full: the fragment goes on unreassembled.
  EXPECT_EQ(go(dgrams[2][0]), DecodeResult::kOk);
  EXPECT_EQ(v.l4, L4::kNone);
  EXPECT_FALSE(v.reassembled);
  EXPECT_EQ(events_of(d.stats()), (Events{{"frag_memcap", 1}}));
  // Completing one frees its tracker for the next datagram.
  EXPECT_EQ(go(dgrams[0][1]), DecodeResult::kReassembled);
  EXPECT_EQ(go(dgrams[2][0]), DecodeResult::kFragmentHeld);
  EXPECT_EQ(go(dgrams[2][1]), DecodeResult::kReassembled);
  EXPECT_EQ(d.stats().frag_reassembled.get(), 2u);
}

TEST_F(DefragTest, TooLargeAndBadLength) {
  Bytes big(64, 0xab);
  Ip4Opts o;
  o.fill_l4 = false;
  o.frag = 65520 / 8;  // last fragment ending at 65584 > 65535
  EXPECT_EQ(run(eth(0x0800, ipv4(kA, kB, 17, big, o))), DecodeResult::kInvalid);
  o.frag = 0x2000;  // MF with 13 bytes: not a multiple of 8
  EXPECT_EQ(run(eth(0x0800, ipv4(kA, kB, 17, Bytes(13, 1), o))), DecodeResult::kInvalid);
  EXPECT_EQ(events_of(dec.stats()), (Events{{"frag_too_large", 1}, {"frag_bad_len", 1}}));
  EXPECT_EQ(dec.stats().invalid.get(), 2u);
  EXPECT_EQ(defrag.in_use(), 0u);
}

TEST_F(DefragTest, Ipv6WithExtensionHeaderBeforeFragment) {
  const A16 s = v6addr(1), d = v6addr(2);
  Bytes l4 = udp(5000, 6000, pattern(3000));
  uint32_t ps = sum16(s.data(), 16, sum16(d.data(), 16)) + 17 + static_cast<uint32_t>(l4.size());
  fill_l4_checksum(l4, 17, ps);
  std::vector<Bytes> fr;
  for (uint32_t off = 0; off < l4.size(); off += 1232) {
    const bool last = off + 1232 >= l4.size();
    Ip6Ext fh{44, Bytes{0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe}};
    const uint16_t fo = static_cast<uint16_t>(off | (last ? 0 : 1));
    fh.body[2] = static_cast<uint8_t>(fo >> 8);
    fh.body[3] = static_cast<uint8_t>(fo);
    Bytes slice(l4.begin() + off, l4.begin() + std::min<std::size_t>(off + 1232, l4.size()));
    fr.push_back(eth(0x86dd, ipv6(s, d, 17, slice, {ext_opts(0), fh}, 64, false), {300}));
  }
  ASSERT_EQ(fr.size(), 3u);
  EXPECT_EQ(run(fr[2]), DecodeResult::kFragmentHeld);
  EXPECT_EQ(v.ip_id, 0xbabe);
  EXPECT_EQ(run(fr[0]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(run(fr[1]), DecodeResult::kReassembled);
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.ip_proto, 17);
  EXPECT_EQ(v.l4, L4::kUdp);
  EXPECT_EQ(v.sport, 5000);
  EXPECT_EQ(v.l4_offset, 48u);  // IPv6 header + hop-by-hop; the fragment header is gone
  EXPECT_EQ(v.caplen, 48 + l4.size());
  EXPECT_EQ(v.vlan_count, 1);
  EXPECT_EQ(v.vlan[0], 300);
  ASSERT_EQ(v.payload_len, 3000u);
  EXPECT_EQ(0, std::memcmp(v.payload, l4.data() + 8, 3000));
  EXPECT_EQ(dec.stats().ipv6_frag.get(), 3u);
  EXPECT_EQ(dec.stats().udp.get(), 1u);
  EXPECT_EQ(events_of(dec.stats()), Events{});
}

TEST_F(DefragTest, InnerFragmentsInATunnelKeepOuterFacts) {
  const Bytes l4 = udp_v4(2000);
  const auto inner = frags_v4(l4, 17, 9, even_pieces(l4.size(), 1024));
  const A4 o1{1, 1, 1, 1}, o2{2, 2, 2, 2};
  std::vector<Bytes> fr;
  for (const auto& f : inner) {
    const Bytes ip(f.begin() + 14, f.end());
    fr.push_back(eth(0x0800, ipv4(o1, o2, 47, gre(0x0800, ip)), {42}));
  }
  EXPECT_EQ(run(fr[0]), DecodeResult::kFragmentHeld);
  ASSERT_EQ(run(fr[1]), DecodeResult::kReassembled);
  expect_udp_datagram(l4);
  EXPECT_EQ(v.tunnel_depth, 1);
  EXPECT_EQ(v.vlan[0], 42);
  EXPECT_EQ(v.src, IpAddr::v4(kA.data()));
  EXPECT_EQ(dec.stats().gre.get(), 2u);
  EXPECT_EQ(dec.stats().ipv4.get(), 2u);
}

TEST_F(DefragTest, WithoutDefragmenterFragmentsPassAsIs) {
  Decoder d(cfg, nullptr);
  const Bytes l4 = udp_v4(2000);
  const auto fr = frags_v4(l4, 17, 4, even_pieces(l4.size(), 1000));
  for (const auto& f : fr) {
    ASSERT_EQ(d.decode(LinkType::kEthernet, 0, f.data(), f.size(), f.size(), v),
              DecodeResult::kOk);
    EXPECT_EQ(v.l4, L4::kNone);
    EXPECT_EQ(v.ip_proto, 17);
    EXPECT_EQ(v.sport, 0);
  }
  EXPECT_EQ(d.stats().ipv4_frag.get(), 3u);
  EXPECT_EQ(d.stats().udp.get(), 0u);
}

}  // namespace
}  // namespace ts
