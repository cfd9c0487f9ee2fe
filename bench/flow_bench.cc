// Flow table lookups with 100k flows: hits (flow exists) and misses (table full: every lookup
// evicts the least recently seen flow and creates one). Reports allocations per lookup.
#include <benchmark/benchmark.h>

#include <vector>

#include "sensor/flow_hash.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"
#include "sensor/flow_table.h"

namespace ts {
namespace {

constexpr std::size_t kFlows = 100'000;

IpAddr host(uint32_t i) {
  return test::ip4(10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                   static_cast<uint8_t>(i));
}

struct Keys {
  explicit Keys(std::size_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      pkts.push_back(test::make_udp(host(i), test::ip4(172, 16, 0, 1),
                                    static_cast<Port>(1024 + i % 50000), 53, {}, 0));
      hashes.push_back(flow_hash(pkts.back()));
    }
  }
  std::vector<PacketView> pkts;
  std::vector<uint32_t> hashes;
};

void BM_FlowLookupHit(benchmark::State& state) {
  FlowTableConfig cfg;
  cfg.capacity = kFlows;
  FlowTable table(cfg, 0, 1, nullptr);
  Keys keys(kFlows);
  for (std::size_t i = 0; i < kFlows; ++i) (void)table.lookup(keys.pkts[i], keys.hashes[i]);
  // Visit flows in a scattered order so the working set is the whole table.
  std::size_t i = 0;
  Nanos t = 0;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    PacketView& p = keys.pkts[i];
    p.ts = ++t;
    auto r = table.lookup(p, keys.hashes[i]);
    benchmark::DoNotOptimize(r.flow);
    i += 7919;
    if (i >= kFlows) i -= kFlows;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_lookup"] =
      static_cast<double>(ts_test_allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["table_MiB"] = static_cast<double>(table.memory_bytes()) / (1 << 20);
}
BENCHMARK(BM_FlowLookupHit);

void BM_FlowLookupMissEvict(benchmark::State& state) {
  FlowTableConfig cfg;
  cfg.capacity = kFlows;
  FlowTable table(cfg, 0, 1, nullptr);
  Keys keys(2 * kFlows);  // twice the capacity, cycled: every lookup misses and evicts
  std::size_t i = 0;
  Nanos t = 0;
  for (; i < kFlows; ++i) (void)table.lookup(keys.pkts[i], keys.hashes[i]);
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    PacketView& p = keys.pkts[i];
    p.ts = ++t;
    auto r = table.lookup(p, keys.hashes[i]);
    benchmark::DoNotOptimize(r.flow);
    if (++i == keys.pkts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_lookup"] =
      static_cast<double>(ts_test_allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["evicted"] = static_cast<double>(table.stats().evicted.get());
}
BENCHMARK(BM_FlowLookupMissEvict);

}  // namespace
}  // namespace ts

BENCHMARK_MAIN();
