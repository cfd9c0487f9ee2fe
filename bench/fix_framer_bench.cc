// FixFramer on an order-entry mix (NewOrderSingle, ExecutionReports, Heartbeats, a market-data
// snapshot; about 200 bytes per message, Account masked) fed in TCP-sized segments (1460) and
// in large reads (64 KB). Reports bytes/s, messages/s and allocations per message.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "detectors/fix_framer.h"
#include "tests/alloc_hook.h"

namespace ts::detectors {
namespace {

// "8=<begin>|9=len|<body>10=sum|" with '|' as SOH in `body`.
std::string fix(std::string_view begin, std::string body) {
  std::replace(body.begin(), body.end(), '|', kSoh);
  std::string m = "8=" + std::string(begin) + kSoh + "9=" + std::to_string(body.size()) + kSoh;
  m += body;
  unsigned sum = 0;
  for (unsigned char c : m) sum += c;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u%c", sum % 256, kSoh);
  return m + trailer;
}

const std::string& stream() {
  static const std::string s = [] {
    const std::string hdr = "49=CLIENT01|56=BROKER01|34=12345|52=20261124-01:30:00.123|";
    const std::string order = fix("FIX.4.4", "35=D|" + hdr +
                                                 "11=ORD-0000012345|1=ACC0042|55=600519|54=1|"
                                                 "38=100|40=2|44=1700.50|59=0|"
                                                 "60=20261124-01:30:00.120|");
    const std::string exec = fix("FIX.4.4", "35=8|" + hdr +
                                                "37=OID-99887766|11=ORD-0000012345|17=EX-0001|"
                                                "150=F|39=1|55=600519|54=1|38=100|32=40|"
                                                "31=1700.50|151=60|14=40|6=1700.50|"
                                                "60=20261124-01:30:00.121|");
    const std::string heartbeat = fix("FIX.4.4", "35=0|" + hdr);
    std::string entries;
    for (int i = 0; i < 10; ++i) {
      entries += "269=" + std::to_string(i % 2) + "|270=3521." + std::to_string(i) +
                 "|271=" + std::to_string(10 + i) + "|290=" + std::to_string(i + 1) + "|";
    }
    const std::string snapshot =
        fix("FIX.4.4", "35=W|" + hdr + "262=MDREQ1|55=IF2409|268=10|" + entries);
    std::string out;
    while (out.size() < (8u << 20)) {
      out += order + exec + heartbeat + order + exec + snapshot + heartbeat + order + exec;
    }
    return out;
  }();
  return s;
}

class Counter : public FixMessageHandler {
 public:
  void on_fix_message(const FixMessage& m) noexcept override {
    ++messages;
    errors += m.errors != kFixErrNone;
  }
  void on_fix_garbage(uint64_t bytes, uint64_t, Nanos) noexcept override { garbage += bytes; }
  uint64_t messages = 0, errors = 0, garbage = 0;
};

void BM_FixFramer(benchmark::State& state) {
  const std::size_t segment = static_cast<std::size_t>(state.range(0));
  const std::string& s = stream();
  const auto* data = reinterpret_cast<const uint8_t*>(s.data());
  const uint32_t masked[] = {1};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  FixFramer framer(cfg);
  Counter counter;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    framer.reset();
    for (std::size_t at = 0; at < s.size(); at += segment) {
      framer.feed({data + at, std::min(segment, s.size() - at)}, 1, counter);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
  state.SetItemsProcessed(static_cast<int64_t>(counter.messages));
  state.counters["allocs_per_msg"] = static_cast<double>(ts_test_allocations() - a0) /
                                     static_cast<double>(std::max<uint64_t>(counter.messages, 1));
  state.counters["malformed"] = static_cast<double>(counter.errors + counter.garbage);
}
BENCHMARK(BM_FixFramer)->Arg(1460)->Arg(65536);

}  // namespace
}  // namespace ts::detectors

BENCHMARK_MAIN();
