// Decoder and flow-hash microbenchmarks: ns per packet for common frame shapes, and heap
// allocations per packet (must be 0), counted by tests/alloc_hook.cc.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "sensor/decode.h"
#include "sensor/defrag.h"
#include "sensor/flow_hash.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/frame_builder.h"

namespace ts {
namespace {

using namespace ts::testing;
const A4 kA{10, 0, 0, 1}, kB{10, 0, 0, 2};

Bytes eth_ipv4_tcp() {
  TcpOpts o;
  o.options = Bytes{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // NOP NOP timestamps
  return eth(0x0800, ipv4(kA, kB, 6, tcp(40000, 443, pattern(100), o)));
}
Bytes vlan_ipv6_udp() {
  return eth(0x86dd, ipv6(v6addr(1), v6addr(2), 17, udp(5000, 6000, pattern(100))), {100});
}
Bytes vxlan_tcp() {
  const Bytes inner = eth(0x0800, ipv4(A4{192, 168, 0, 1}, A4{192, 168, 0, 2}, 6,
                                       tcp(1111, 2222, pattern(100))));
  return eth(0x0800, ipv4(kA, kB, 17, udp(50000, 4789, vxlan(7, inner))));
}

void run_decode(benchmark::State& state, const Bytes& f, bool checksums) {
  DecodeConfig cfg;
  cfg.validate_checksums = checksums;
  Defragmenter defrag(DefragConfig{});
  Decoder d(cfg, &defrag);
  PacketView v;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    auto r = d.decode(LinkType::kEthernet, 0, f.data(), static_cast<uint32_t>(f.size()),
                      static_cast<uint32_t>(f.size()), v);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(v);
  }
  if (d.stats().invalid.get()) state.SkipWithError("frame did not decode");
  state.counters["allocs_per_pkt"] =
      benchmark::Counter(double(ts_test_allocations() - a0) / double(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

void BM_Decode_EthIpv4Tcp(benchmark::State& s) { run_decode(s, eth_ipv4_tcp(), false); }
void BM_Decode_VlanIpv6Udp(benchmark::State& s) { run_decode(s, vlan_ipv6_udp(), false); }
void BM_Decode_VxlanInnerTcp(benchmark::State& s) { run_decode(s, vxlan_tcp(), false); }
void BM_Decode_EthIpv4Tcp_Checksums(benchmark::State& s) { run_decode(s, eth_ipv4_tcp(), true); }
BENCHMARK(BM_Decode_EthIpv4Tcp);
BENCHMARK(BM_Decode_VlanIpv6Udp);
BENCHMARK(BM_Decode_VxlanInnerTcp);
BENCHMARK(BM_Decode_EthIpv4Tcp_Checksums);

// A UDP datagram in two IPv4 fragments (1480 + 520 bytes): held, then reassembled and
// decoded; reported per fragment frame.
void BM_Decode_Ipv4TwoFragments(benchmark::State& state) {
  Bytes l4 = udp(5000, 6000, pattern(1992));
  Ip4Opts o;
  o.fill_l4 = false;
  o.frag = 0x2000;
  const Bytes f0 = eth(0x0800, ipv4(kA, kB, 17, Bytes(l4.begin(), l4.begin() + 1480), o));
  o.frag = 1480 / 8;
  const Bytes f1 = eth(0x0800, ipv4(kA, kB, 17, Bytes(l4.begin() + 1480, l4.end()), o));
  Defragmenter defrag(DefragConfig{});
  Decoder d(DecodeConfig{}, &defrag);
  PacketView v;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    auto r0 = d.decode(LinkType::kEthernet, 0, f0.data(), static_cast<uint32_t>(f0.size()),
                       static_cast<uint32_t>(f0.size()), v);
    auto r1 = d.decode(LinkType::kEthernet, 0, f1.data(), static_cast<uint32_t>(f1.size()),
                       static_cast<uint32_t>(f1.size()), v);
    benchmark::DoNotOptimize(r0);
    benchmark::DoNotOptimize(r1);
    benchmark::DoNotOptimize(v);
  }
  if (d.stats().frag_reassembled.get() != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("not reassembled");
  state.counters["allocs_per_pkt"] =
      benchmark::Counter(double(ts_test_allocations() - a0) / double(2 * state.iterations()));
  state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_Decode_Ipv4TwoFragments);

void BM_FlowHash(benchmark::State& state) {
  Decoder d(DecodeConfig{}, nullptr);
  const bool v6 = state.range(0);
  const Bytes f = v6 ? vlan_ipv6_udp() : eth_ipv4_tcp();
  PacketView v;
  (void)d.decode(LinkType::kEthernet, 0, f.data(), static_cast<uint32_t>(f.size()),
                 static_cast<uint32_t>(f.size()), v);
  uint32_t acc = 0;
  for (auto _ : state) {
    v.sport = static_cast<Port>(v.sport + 1);  // defeat hoisting
    acc += flow_hash(v);
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowHash)->Arg(0)->Arg(1)->ArgName("v6");

}  // namespace
}  // namespace ts

BENCHMARK_MAIN();
