// TCP tracking of in-order 1460-byte segments across many flows (flow lookup included),
// delivered to one consumer; and the same with every pair of segments swapped, which sends
// half the data through the reassembly pool. Reports bytes/s and allocations per packet.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/flow_segments.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"
#include "sensor/tcp_stream.h"

namespace ts {
namespace {

class Sink : public StreamConsumer {
 public:
  void on_stream_data(Flow&, Dir, std::span<const uint8_t> b, Nanos) noexcept override {
    bytes += b.size();
    benchmark::DoNotOptimize(b.data()[b.size() - 1]);
  }
  void on_stream_gap(Flow&, Dir, uint32_t len, Nanos) noexcept override { gaps += len; }
  uint64_t bytes = 0, gaps = 0;
};

void run(benchmark::State& state, bool swapped) {
  const uint32_t flows = static_cast<uint32_t>(state.range(0));
  FlowTableConfig fc;
  fc.capacity = flows;
  FlowTable table(fc, 0, 1, nullptr);
  TcpConfig tc;
  tc.flow_capacity = flows;
  tc.reassembly_memcap = 64u << 20;
  TcpTracker tracker(tc, table);
  Sink sink;
  tracker.add_consumer(&sink);
  const std::string payload(1460, 'x');
  auto [pkts, hashes] = bench::make_flow_segments(flows, 443, payload);
  std::vector<uint32_t> step(flows, 0);
  uint32_t f = 0;
  Nanos t = 0;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    PacketView& p = pkts[f];
    const uint32_t i = step[f]++;
    const uint32_t n = swapped ? ((i % 2 == 0) ? i + 1 : i - 1) : i;
    p.tcp.seq = 1 + n * 1460;
    p.ts = t += 100;
    auto r = table.lookup(p, hashes[f]);
    tracker.process(*r.flow, r.dir, p);
    if (++f == flows) f = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1460);
  state.counters["allocs_per_pkt"] =
      static_cast<double>(ts_test_allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["delivered_ratio"] =
      static_cast<double>(sink.bytes) / (static_cast<double>(state.iterations()) * 1460);
}

void BM_TcpInOrder(benchmark::State& state) { run(state, false); }
void BM_TcpSwappedPairs(benchmark::State& state) { run(state, true); }
BENCHMARK(BM_TcpInOrder)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_TcpSwappedPairs)->Arg(1000)->Arg(100'000);

}  // namespace
}  // namespace ts

BENCHMARK_MAIN();
