// The hot path never allocates: replaying 10x more packets of the same traffic mix costs
// exactly the same number of heap allocations (start-up, pools and outputs only), so
// allocations per packet after warm-up are zero.
#include <gtest/gtest.h>

#include "tests/alloc_hook.h"
#include "tests/integration/test_support.h"

namespace ts::test {
namespace {

uint64_t allocations_for(const std::string& pcap, const std::string& log_dir) {
  const uint64_t before = ts_test_allocations_all_threads();
  const RunResult r = run_pipeline({pcap}, 1, false, log_dir);
  const uint64_t after = ts_test_allocations_all_threads();
  EXPECT_EQ(r.counters.count("error"), 0u);
  return after - before;
}

TEST(HotPath, AllocationsDoNotGrowWithPackets) {
  const std::string dir = make_temp_dir();
  const std::string gen = std::string(TS_BINARY_DIR) + "/tsgen";
  int st = 0;
  run_command(gen + " --seed 5 --packets 20000 --out " + dir + "/small.pcap 2>/dev/null", &st);
  ASSERT_EQ(st, 0);
  run_command(gen + " --seed 5 --packets 200000 --out " + dir + "/large.pcap 2>/dev/null", &st);
  ASSERT_EQ(st, 0);
  allocations_for(dir + "/small.pcap", dir);  // warm up lazy library state (locale, tz, pcap)
  const uint64_t small = allocations_for(dir + "/small.pcap", dir);
  const uint64_t large = allocations_for(dir + "/large.pcap", dir);
  RecordProperty("allocations_small", std::to_string(small));
  RecordProperty("allocations_large", std::to_string(large));
  // 180,000 more packets, not one more allocation.
  EXPECT_EQ(large, small) << "allocations: 20k packets " << small << ", 200k packets " << large;
}

}  // namespace
}  // namespace ts::test
