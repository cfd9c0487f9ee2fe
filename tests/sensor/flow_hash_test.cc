#include "sensor/flow_hash.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_set>

#include "sensor/decode.h"
#include "tests/sensor/frame_builder.h"

namespace ts {
namespace {

PacketView random_view(std::mt19937_64& rng, bool v6) {
  PacketView p;
  uint8_t a[16], b[16];
  for (int i = 0; i < 16; ++i) {
    a[i] = static_cast<uint8_t>(rng());
    b[i] = static_cast<uint8_t>(rng());
  }
  p.ip_version = v6 ? 6 : 4;
  p.src = v6 ? IpAddr::v6(a) : IpAddr::v4(a);
  p.dst = v6 ? IpAddr::v6(b) : IpAddr::v4(b);
  p.l4 = rng() % 2 ? L4::kTcp : L4::kUdp;
  p.ip_proto = p.l4 == L4::kTcp ? 6 : 17;
  p.sport = static_cast<Port>(rng());
  p.dport = static_cast<Port>(rng());
  return p;
}

PacketView reversed(PacketView p) {
  std::swap(p.src, p.dst);
  std::swap(p.sport, p.dport);
  return p;
}

TEST(FlowHash, SymmetricOverRandomTuples) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    PacketView p = random_view(rng, i % 2);
    p.vlan_count = static_cast<uint8_t>(i % 3);
    p.vlan[0] = static_cast<uint16_t>(rng() & 0xfff);
    p.iface = static_cast<uint16_t>(i % 4);
    ASSERT_EQ(flow_hash(p), flow_hash(reversed(p))) << i;
  }
  // Same address on both sides: ports decide the order.
  PacketView p = random_view(rng, false);
  p.dst = p.src;
  EXPECT_EQ(flow_hash(p), flow_hash(reversed(p)));
}

TEST(FlowHash, EveryKeyFieldMatters) {
  std::mt19937_64 rng(2);
  const PacketView base = random_view(rng, false);
  const uint32_t h = flow_hash(base);
  PacketView p = base;
  p.sport ^= 1;
  EXPECT_NE(flow_hash(p), h);
  p = base;
  p.src.b[3] ^= 1;
  EXPECT_NE(flow_hash(p), h);
  p = base;
  p.ip_proto = 132;
  EXPECT_NE(flow_hash(p), h);
  p = base;
  p.vlan[0] = 7;
  p.vlan_count = 1;
  EXPECT_NE(flow_hash(p), h);
  p = base;
  p.vlan[1] = 9;
  EXPECT_NE(flow_hash(p), h);
  p = base;
  p.iface = 1;
  EXPECT_NE(flow_hash(p), h);
  // Ports of a non-TCP/UDP view are ignored (they are not set by the decoder anyway).
  p = base;
  p.l4 = L4::kIcmp;
  p.ip_proto = 1;
  PacketView q = p;
  q.sport = 999;
  EXPECT_EQ(flow_hash(p), flow_hash(q));
}

// Distinct tuples spread evenly over 2 and 4 workers (chi-square, generous bound) and over
// 1024 buckets; near-identical tuples (sequential ports) too.
TEST(FlowHash, SpreadsAcrossWorkers) {
  std::mt19937_64 rng(3);
  constexpr int kN = 200000;
  for (int mode = 0; mode < 2; ++mode) {
    for (uint32_t workers : {2u, 4u, 1024u}) {
      std::vector<uint64_t> bucket(workers);
      PacketView p = random_view(rng, false);
      for (int i = 0; i < kN; ++i) {
        if (mode == 0) {
          p = random_view(rng, i % 2);
        } else {  // one client, sequential source ports, a few servers
          p.sport = static_cast<Port>(1024 + i % 60000);
          p.dst.b[3] = static_cast<uint8_t>(i / 60000);
        }
        ++bucket[flow_hash(p) % workers];
      }
      const double expect = double(kN) / workers;
      double chi2 = 0;
      for (uint64_t c : bucket) chi2 += (c - expect) * (c - expect) / expect;
      // df = workers-1; the 99.9% quantile is ~10.8 (df 1), ~16.3 (df 3), ~1170 (df 1023).
      const double bound = workers == 2 ? 10.8 : workers == 4 ? 16.3 : 1170;
      EXPECT_LT(chi2, bound) << "mode " << mode << " workers " << workers;
    }
  }
}

TEST(FlowHash, FewCollisions) {
  std::mt19937_64 rng(4);
  std::unordered_set<uint32_t> seen;
  int coll = 0;
  for (int i = 0; i < 100000; ++i) coll += !seen.insert(flow_hash(random_view(rng, true))).second;
  EXPECT_LT(coll, 10);  // expected ~1.2 for 1e5 keys in 2^32
}

TEST(FlowHash, ArpHashesTheTwoAddresses) {
  using namespace ts::testing;
  Decoder d(DecodeConfig{}, nullptr);
  PacketView a, b;
  const Bytes f1 = eth(0x0806, arp(A4{10, 0, 0, 1}, A4{10, 0, 0, 2}));
  const Bytes f2 = eth(0x0806, arp(A4{10, 0, 0, 2}, A4{10, 0, 0, 1}));
  ASSERT_EQ(d.decode(LinkType::kEthernet, 0, f1.data(), f1.size(), f1.size(), a),
            DecodeResult::kNotIp);
  ASSERT_EQ(d.decode(LinkType::kEthernet, 0, f2.data(), f2.size(), f2.size(), b),
            DecodeResult::kNotIp);
  EXPECT_EQ(flow_hash(a), flow_hash(b));
  PacketView c = a;
  c.dst.b[3] = 9;
  EXPECT_NE(flow_hash(a), flow_hash(c));
}

}  // namespace
}  // namespace ts
