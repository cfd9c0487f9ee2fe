// The hot path never allocates: replaying 10x more packets of the same traffic mix costs
// exactly the same number of heap allocations (start-up, pools and outputs only), so
// allocations per packet after warm-up are zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "config/config.h"
#include "signatures/rule_loader.h"

#include "tests/alloc_hook.h"
#include "tests/integration/test_support.h"

namespace ts::test {
namespace {

uint64_t allocations_for(const std::string& pcap, const std::string& log_dir,
                         std::shared_ptr<const sig::CompiledRules> rules = nullptr) {
  const uint64_t before = ts_test_allocations_all_threads();
  const RunResult r = run_pipeline({pcap}, 1, false, log_dir, std::move(rules));
  const uint64_t after = ts_test_allocations_all_threads();
  EXPECT_EQ(r.counters.count("error"), 0u);
  return after - before;
}

// The same traffic mix twice: small.pcap (20,000 packets) and large.pcap (200,000).
bool make_captures(const std::string& dir) {
  const std::string gen = std::string(TS_BINARY_DIR) + "/tsgen";
  for (const auto& [n, name] : {std::pair{"20000", "small"}, std::pair{"200000", "large"}}) {
    int st = 0;
    run_command(gen + " --seed 5 --packets " + n + " --out " + dir + "/" + name +
                    ".pcap 2>/dev/null",
                &st);
    if (st != 0) return false;
  }
  return true;
}

// The same with the signature engine: the shipped rules, and the ET open set when ../shared
// is present (payload, stream and IP-only rules on every packet).
TEST(HotPath, AllocationsDoNotGrowWithPacketsUnderRules) {
  const std::string dir = make_temp_dir();
  ASSERT_TRUE(make_captures(dir));
  config::SensorConfig cfg = config::load_default().config;
  cfg.rule_cache_dir.clear();
  std::vector<std::vector<std::string>> sets = {{}};  // {} = the shipped rules
  const std::string et = shared_dir().empty() ? "" : shared_dir() + "/rules/et-open";
  if (!et.empty() && std::filesystem::is_directory(et)) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(et))
      if (e.path().extension() == ".rules") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    sets.push_back(files);
  }
  for (const auto& files : sets) {
    cfg.rule_files = files;
    const sig::LoadedRules lr = sig::load_and_compile(cfg);
    ASSERT_TRUE(lr.ok()) << lr.summary_line();
    allocations_for(dir + "/small.pcap", dir, lr.compiled);
    const uint64_t small = allocations_for(dir + "/small.pcap", dir, lr.compiled);
    const uint64_t large = allocations_for(dir + "/large.pcap", dir, lr.compiled);
    EXPECT_EQ(large, small) << lr.summary_line() << ": allocations: 20k packets " << small
                            << ", 200k packets " << large;
  }
}

TEST(HotPath, AllocationsDoNotGrowWithPackets) {
  const std::string dir = make_temp_dir();
  ASSERT_TRUE(make_captures(dir));
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
