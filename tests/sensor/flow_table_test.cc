#include "sensor/flow_table.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts {
namespace {

using test::ip4;
using test::make_icmp;
using test::make_tcp;
using test::make_udp;
using test::test_hash;
namespace f = tcpflag;

constexpr Nanos kS = kNanosPerSec;

struct Ended {
  uint64_t id;
  uint32_t slot;
  FlowEndReason reason;
  Nanos now;
  uint64_t pkts0, pkts1;
};

class RecordingSink : public FlowEndSink {
 public:
  void on_flow_end(Flow& flow, FlowEndReason reason, Nanos now) noexcept override {
    ended.push_back({flow.id, flow.slot, reason, now, flow.pkts[0], flow.pkts[1]});
  }
  std::vector<Ended> ended;
};

FlowTableConfig small_cfg(std::size_t cap) {
  FlowTableConfig c;
  c.capacity = cap;
  // Distinct timeouts so a flow in the wrong class shows up as a wrong expiry time.
  c.timeouts.tcp_new = 11 * kS;
  c.timeouts.tcp_established = 12 * kS;
  c.timeouts.tcp_closed = 13 * kS;
  c.timeouts.udp_new = 14 * kS;
  c.timeouts.udp_established = 15 * kS;
  c.timeouts.icmp = 16 * kS;
  c.timeouts.other = 17 * kS;
  return c;
}

const IpAddr kA = ip4(10, 0, 0, 1), kB = ip4(10, 0, 0, 2), kC = ip4(10, 0, 0, 3);

FlowTable::Lookup look(FlowTable& t, const PacketView& p) { return t.lookup(p, test_hash(p)); }

TEST(FlowTable, FirstPacketSourceIsClientAndBothDirectionsShareTheFlow) {
  RecordingSink sink;
  FlowTable t(small_cfg(16), 0, 1, &sink);
  auto p1 = make_tcp(kA, kB, 40000, 443, 100, 0, f::kSyn, "", 1 * kS);
  auto r1 = look(t, p1);
  ASSERT_NE(r1.flow, nullptr);
  EXPECT_TRUE(r1.created);
  EXPECT_EQ(r1.dir, Dir::kToServer);
  EXPECT_EQ(r1.flow->key.client, kA);
  EXPECT_EQ(r1.flow->key.server, kB);
  EXPECT_EQ(r1.flow->key.client_port, 40000);
  EXPECT_EQ(r1.flow->key.server_port, 443);
  EXPECT_EQ(r1.flow->key.ip_proto, 6);

  auto p2 = make_tcp(kB, kA, 443, 40000, 500, 101, f::kSyn | f::kAck, "", 2 * kS);
  auto r2 = look(t, p2);
  EXPECT_EQ(r2.flow, r1.flow);
  EXPECT_FALSE(r2.created);
  EXPECT_EQ(r2.dir, Dir::kToClient);

  auto p3 = make_tcp(kA, kB, 40000, 443, 101, 501, f::kAck | f::kPsh, "hello", 3 * kS);
  auto r3 = look(t, p3);
  EXPECT_EQ(r3.flow, r1.flow);
  EXPECT_EQ(r3.dir, Dir::kToServer);

  const Flow& fl = *r1.flow;
  EXPECT_EQ(fl.pkts[0], 2u);
  EXPECT_EQ(fl.pkts[1], 1u);
  EXPECT_EQ(fl.bytes[0], 54u + 59u);
  EXPECT_EQ(fl.bytes[1], 54u);
  EXPECT_EQ(fl.tcp_flags_seen[0], f::kSyn | f::kAck | f::kPsh);
  EXPECT_EQ(fl.tcp_flags_seen[1], f::kSyn | f::kAck);
  EXPECT_EQ(fl.start, 1 * kS);
  EXPECT_EQ(fl.last, 3 * kS);
  EXPECT_EQ(t.active(), 1u);
  EXPECT_EQ(t.stats().created.get(), 1u);
  EXPECT_EQ(t.stats().tcp.get(), 1u);
  EXPECT_EQ(t.stats().active.get(), 1);
}

TEST(FlowTable, SynAckFirstMakesItsDestinationTheClient) {
  FlowTable t(small_cfg(16), 0, 1, nullptr);
  auto r = look(t, make_tcp(kB, kA, 443, 40000, 500, 101, f::kSyn | f::kAck, "", kS));
  ASSERT_NE(r.flow, nullptr);
  EXPECT_EQ(r.dir, Dir::kToClient);
  EXPECT_EQ(r.flow->key.client, kA);
  EXPECT_EQ(r.flow->key.client_port, 40000);
  EXPECT_EQ(r.flow->key.server, kB);
  EXPECT_EQ(r.flow->key.server_port, 443);
  EXPECT_EQ(r.flow->pkts[1], 1u);
  auto r2 = look(t, make_tcp(kA, kB, 40000, 443, 101, 501, f::kAck, "", kS));
  EXPECT_EQ(r2.flow, r.flow);
  EXPECT_EQ(r2.dir, Dir::kToServer);
  // A midstream data packet first: its source is the client.
  auto r3 = look(t, make_tcp(kB, kC, 443, 40001, 5, 7, f::kAck, "x", kS));
  EXPECT_EQ(r3.dir, Dir::kToServer);
  EXPECT_EQ(r3.flow->key.client, kB);
}

TEST(FlowTable, VlanIfaceTunnelAndProtoSeparateFlows) {
  FlowTable t(small_cfg(16), 0, 1, nullptr);
  auto base = make_udp(kA, kB, 1000, 2000, "x", kS);
  Flow* f0 = look(t, base).flow;
  auto v = base;
  v.vlan_count = 1;
  v.vlan[0] = 10;
  auto i = base;
  i.iface = 1;
  auto d = base;
  d.tunnel_depth = 1;
  auto tcp = make_tcp(kA, kB, 1000, 2000, 1, 0, f::kSyn, "", kS);
  std::set<Flow*> flows{f0, look(t, v).flow, look(t, i).flow, look(t, d).flow,
                        look(t, tcp).flow};
  EXPECT_EQ(flows.size(), 5u);
  EXPECT_EQ(t.active(), 5u);
  // The same variants again find their flows.
  EXPECT_EQ(look(t, v).created, false);
  EXPECT_EQ(look(t, i).created, false);
  auto rev = make_udp(kB, kA, 2000, 1000, "y", kS);
  rev.vlan_count = 1;
  rev.vlan[0] = 10;
  auto rr = look(t, rev);
  EXPECT_FALSE(rr.created);
  EXPECT_EQ(rr.dir, Dir::kToClient);
  EXPECT_EQ(t.stats().udp.get(), 4u);
  EXPECT_EQ(t.stats().tcp.get(), 1u);
}

TEST(FlowTable, NonIpPacketHasNoFlow) {
  FlowTable t(small_cfg(4), 0, 1, nullptr);
  PacketView arp;
  arp.is_arp = true;
  auto r = look(t, arp);
  EXPECT_EQ(r.flow, nullptr);
  EXPECT_EQ(t.stats().created.get(), 0u);
}

TEST(FlowTable, TimeoutsPerClassAreExact) {
  RecordingSink sink;
  FlowTable t(small_cfg(16), 0, 1, &sink);
  const Nanos t0 = 100 * kS;
  // tcp_new
  Flow* tn = look(t, make_tcp(kA, kB, 1, 80, 1, 0, f::kSyn, "", t0)).flow;
  // tcp_established
  Flow* te = look(t, make_tcp(kA, kB, 2, 80, 1, 0, f::kSyn, "", t0)).flow;
  t.set_state(*te, FlowState::kEstablished);
  // tcp_closed
  Flow* tc = look(t, make_tcp(kA, kB, 3, 80, 1, 0, f::kSyn, "", t0)).flow;
  t.set_state(*tc, FlowState::kEstablished);
  t.set_state(*tc, FlowState::kClosed);
  // udp_new (one direction only)
  Flow* un = look(t, make_udp(kA, kB, 4, 53, "q", t0)).flow;
  // udp_established: both directions seen, the table promotes it itself
  Flow* ue = look(t, make_udp(kA, kB, 5, 53, "q", t0)).flow;
  look(t, make_udp(kB, kA, 53, 5, "r", t0));
  EXPECT_EQ(ue->state, FlowState::kEstablished);
  EXPECT_EQ(un->state, FlowState::kNew);
  Flow* ic = look(t, make_icmp(kA, kB, t0)).flow;
  auto gre = test::make_ip(kA, kB, 47, L4::kOther, 0, 0, "", t0);
  Flow* ot = look(t, gre).flow;

  const std::vector<std::pair<uint64_t, Nanos>> expect = {
      {tn->id, 11 * kS}, {te->id, 12 * kS}, {tc->id, 13 * kS}, {un->id, 14 * kS},
      {ue->id, 15 * kS}, {ic->id, 16 * kS}, {ot->id, 17 * kS}};
  for (const auto& [id, idle] : expect) {
    sink.ended.clear();
    t.expire(t0 + idle - 1);
    EXPECT_TRUE(sink.ended.empty()) << "idle " << idle;
    t.expire(t0 + idle);
    ASSERT_EQ(sink.ended.size(), 1u) << "idle " << idle;
    EXPECT_EQ(sink.ended[0].id, id);
    EXPECT_EQ(sink.ended[0].reason, FlowEndReason::kTimeout);
    EXPECT_EQ(sink.ended[0].now, t0 + idle);
  }
  EXPECT_EQ(t.active(), 0u);
  EXPECT_EQ(t.stats().timed_out.get(), 7u);
  EXPECT_EQ(t.stats().created.get(), 7u);
  EXPECT_EQ(t.stats().active.get(), 0);
  EXPECT_EQ(t.stats().icmp.get(), 1u);
  EXPECT_EQ(t.stats().other.get(), 1u);
}

TEST(FlowTable, ActivityPostponesExpiry) {
  RecordingSink sink;
  FlowTable t(small_cfg(16), 0, 1, &sink);
  look(t, make_udp(kA, kB, 1, 53, "q", 0));
  look(t, make_udp(kA, kB, 2, 53, "q", 1 * kS));
  look(t, make_udp(kA, kB, 1, 53, "q", 5 * kS));  // flow 1 touched: now newest
  t.expire(15 * kS);                               // flow 2 idle 14 s: ends
  ASSERT_EQ(sink.ended.size(), 1u);
  EXPECT_EQ(sink.ended[0].pkts0, 1u);
  t.expire(19 * kS - 1);
  EXPECT_EQ(sink.ended.size(), 1u);
  t.expire(19 * kS);
  ASSERT_EQ(sink.ended.size(), 2u);
  EXPECT_EQ(sink.ended[1].pkts0, 2u);
}

TEST(FlowTable, FullTableEvictsLeastRecentlySeenAcrossClasses) {
  RecordingSink sink;
  FlowTable t(small_cfg(4), 0, 1, &sink);
  Flow* f1 = look(t, make_udp(kA, kB, 1, 53, "q", 1 * kS)).flow;
  Flow* f2 = look(t, make_tcp(kA, kB, 2, 80, 1, 0, f::kSyn, "", 2 * kS)).flow;
  t.set_state(*f2, FlowState::kEstablished);
  look(t, make_icmp(kA, kC, 3 * kS));
  look(t, make_tcp(kA, kB, 4, 80, 1, 0, f::kSyn, "", 4 * kS));
  look(t, make_udp(kA, kB, 1, 53, "q", 5 * kS));  // f1 is recent again: f2 is the LRU
  const uint64_t f2_id = f2->id;
  const uint32_t f2_slot = f2->slot;
  auto r = look(t, make_udp(kA, kB, 9, 53, "q", 6 * kS));
  ASSERT_TRUE(r.created);
  ASSERT_EQ(sink.ended.size(), 1u);
  EXPECT_EQ(sink.ended[0].id, f2_id);
  EXPECT_EQ(sink.ended[0].reason, FlowEndReason::kForced);
  EXPECT_EQ(sink.ended[0].now, 6 * kS);
  EXPECT_EQ(r.flow->slot, f2_slot);  // the freed slot is reused
  EXPECT_NE(r.flow->id, f2_id);
  EXPECT_EQ(t.stats().evicted.get(), 1u);
  EXPECT_EQ(t.stats().created.get(), 5u);
  EXPECT_EQ(t.stats().timed_out.get(), 0u);
  EXPECT_EQ(t.stats().active.get(), 4);
  EXPECT_EQ(t.active(), 4u);
  EXPECT_FALSE(look(t, make_udp(kA, kB, 1, 53, "q", 7 * kS)).created);
  EXPECT_EQ(f1->pkts[0], 3u);
}

TEST(FlowTable, FlushEndsEveryFlowWithTheGivenReason) {
  RecordingSink sink;
  FlowTable t(small_cfg(8), 0, 1, &sink);
  for (Port p = 1; p <= 5; ++p) look(t, make_udp(kA, kB, p, 53, "q", p * kS));
  t.flush(FlowEndReason::kShutdown, 10 * kS);
  ASSERT_EQ(sink.ended.size(), 5u);
  for (const auto& e : sink.ended) {
    EXPECT_EQ(e.reason, FlowEndReason::kShutdown);
    EXPECT_EQ(e.now, 10 * kS);
  }
  EXPECT_EQ(t.active(), 0u);
  EXPECT_EQ(t.stats().active.get(), 0);
  // The table is usable again and every slot is free.
  for (Port p = 1; p <= 8; ++p) EXPECT_TRUE(look(t, make_udp(kA, kB, p, 53, "q", 11 * kS)).created);
  EXPECT_EQ(t.stats().evicted.get(), 0u);
}

TEST(FlowTable, IdsAreUniqueNonzeroAndJsonSafeAcrossWorkersAndSlotReuse) {
  std::set<uint64_t> ids;
  const uint64_t seeds[] = {0, 12345, (uint64_t{1} << 53) - 3, ~uint64_t{0}};
  for (uint64_t seed : seeds) {
    ids.clear();
    for (uint32_t w = 0; w < 3; ++w) {
      FlowTable t(small_cfg(4), w, seed, nullptr);
      for (Port p = 0; p < 50; ++p) {  // more flows than slots: eviction and slot reuse
        auto r = look(t, make_udp(kA, kB, p, 53, "q", p));
        ASSERT_TRUE(r.created);
        EXPECT_LT(r.flow->slot, 4u);
        EXPECT_EQ(r.flow->worker, w);
        EXPECT_NE(r.flow->id, 0u);
        EXPECT_LT(r.flow->id, uint64_t{1} << 53);
        EXPECT_TRUE(ids.insert(r.flow->id).second) << r.flow->id;
      }
    }
  }
}

TEST(FlowTable, SynOnClosedTcpFlowStartsANewFlow) {
  RecordingSink sink;
  FlowTable t(small_cfg(8), 0, 1, &sink);
  Flow* old = look(t, make_tcp(kA, kB, 5000, 80, 1, 0, f::kSyn, "", 1 * kS)).flow;
  const uint64_t old_id = old->id;
  // Not closed: a SYN is a retransmission of the same connection.
  EXPECT_FALSE(look(t, make_tcp(kA, kB, 5000, 80, 1, 0, f::kSyn, "", 2 * kS)).created);
  t.set_state(*old, FlowState::kClosed);
  // Closed: a SYN/ACK or data still belong to it ...
  EXPECT_FALSE(look(t, make_tcp(kB, kA, 80, 5000, 9, 2, f::kSyn | f::kAck, "", 3 * kS)).created);
  // ... a new SYN (here from the former server) opens a new flow.
  auto r = look(t, make_tcp(kB, kA, 80, 5000, 777, 0, f::kSyn, "", 4 * kS));
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.dir, Dir::kToServer);
  EXPECT_EQ(r.flow->key.client, kB);
  EXPECT_NE(r.flow->id, old_id);
  ASSERT_EQ(sink.ended.size(), 1u);
  EXPECT_EQ(sink.ended[0].id, old_id);
  EXPECT_EQ(sink.ended[0].reason, FlowEndReason::kForced);
  EXPECT_EQ(t.stats().tcp_reused.get(), 1u);
  EXPECT_EQ(t.stats().evicted.get(), 0u);
  EXPECT_EQ(t.stats().created.get(), 2u);
  EXPECT_EQ(t.active(), 1u);
}

TEST(FlowTable, MemoryAccounting) {
  FlowTable t(small_cfg(1000), 0, 1, nullptr);
  EXPECT_EQ(t.capacity(), 1000u);
  EXPECT_EQ(t.memory_bytes(), 1000 * sizeof(Flow) + 1024 * sizeof(uint32_t));
  EXPECT_GE(flow_table_bytes_per_flow() * 1000, t.memory_bytes());
}

TEST(FlowTable, LookupsAfterWarmupDoNotAllocate) {
  RecordingSink sink;
  sink.ended.reserve(1 << 20);
  FlowTable t(small_cfg(4096), 0, 1, &sink);
  std::vector<PacketView> pkts;
  for (uint32_t i = 0; i < 8192; ++i) {  // 2x capacity: lookups also evict and create
    const IpAddr c = ip4(10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
    pkts.push_back(make_udp(c, kB, static_cast<Port>(1024 + i % 7), 53, "q", 0));
    pkts.push_back(make_udp(kB, c, 53, static_cast<Port>(1024 + i % 7), "r", 0));
  }
  std::vector<uint32_t> hashes;
  for (const auto& p : pkts) hashes.push_back(test_hash(p));
  const uint64_t before = ts_test_allocations();
  uint64_t found = 0;
  Nanos now = 0;
  for (int n = 0; n < 1'000'000; ++n) {
    const std::size_t k = static_cast<std::size_t>(n) % pkts.size();
    pkts[k].ts = now += 1000;
    auto r = t.lookup(pkts[k], hashes[k]);
    found += r.created ? 0 : 1;
    if (n % 4096 == 0) t.expire(now);
  }
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_GT(found, 0u);
  EXPECT_GT(t.stats().evicted.get(), 0u);
}

}  // namespace
}  // namespace ts
