// Pipeline::set_rules: workers move to the new set between packets while an offline replay
// runs, and the replaced set is freed (only the test still holds it) once nothing refers to it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "config/config.h"
#include "sensor/pipeline.h"
#include "signatures/engine.h"
#include "signatures/parser.h"
#include "tests/integration/test_support.h"

namespace ts::test {
namespace {

std::shared_ptr<const sig::CompiledRules> compile(const char* text) {
  sig::RuleSet set = sig::parse_rules(text, "swap.rules", sig::LoadOptions{});
  EXPECT_TRUE(set.errors.empty());
  std::string err;
  return sig::CompiledRules::compile(std::move(set), sig::CompileOptions{}, &err);
}

TEST(RuleSwap, WorkersSwitchAndTheOldSetIsFreed) {
  const std::string dir = make_temp_dir();
  int st = 0;
  run_command(std::string(TS_BINARY_DIR) + "/tsgen --seed 3 --packets 200000 --out " + dir +
                  "/mix.pcap 2>/dev/null",
              &st);
  ASSERT_EQ(st, 0);
  auto a = compile("alert tcp any any -> any any (msg:\"a\"; content:\"8=FIX\"; sid:1;)\n");
  auto b = compile("alert tcp any any -> any any (msg:\"b\"; content:\"35=D\"; sid:2;)\n");
  ASSERT_TRUE(a && b);
  config::SensorConfig cfg = config::load_default().config;
  cfg.outputs.metrics_file = false;
  PipelineOptions opts;
  opts.files = {dir + "/mix.pcap"};
  opts.workers = 2;
  opts.log_dir = dir;
  opts.rules = a;
  Pipeline p(cfg, std::move(opts));
  std::string err;
  ASSERT_TRUE(p.open(&err)) << err;
  EXPECT_GT(a.use_count(), 1);
  p.start();
  p.set_rules(b);
  while (!p.finished()) {
    p.reclaim_rules();
    usleep(1000);
  }
  p.finish();
  EXPECT_EQ(p.workers_on_latest_rules(), 2);
  p.reclaim_rules();
  EXPECT_EQ(a.use_count(), 1) << "the replaced rule set is still referenced";
  EXPECT_GT(b.use_count(), 1);  // the pipeline's current set
}

}  // namespace
}  // namespace ts::test
