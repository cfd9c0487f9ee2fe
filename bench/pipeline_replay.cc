// Whole-pipeline offline replay benchmark: reads capture files through the real Pipeline
// (capture, decode, dispatch, flows, TCP streams) and prints throughput and heap
// allocations per packet. Prints figures; asserts nothing.
//
//   pipeline_replay [--workers N] [--repeat R] FILE.pcap...
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config/config.h"
#include "sensor/pipeline.h"
#include "tests/alloc_hook.h"

int main(int argc, char** argv) {
  int workers = 1, repeat = 3;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--workers") && i + 1 < argc) workers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else files.emplace_back(argv[i]);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: pipeline_replay [--workers N] [--repeat R] FILE...\n");
    return 2;
  }
  ts::config::SensorConfig cfg = ts::config::load_default().config;
  cfg.outputs.metrics_file = false;
  char dir[] = "/tmp/tradesentry-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  double best_pps = 0;
  for (int r = 0; r < repeat; ++r) {
    ts::PipelineOptions opts;
    opts.files = files;
    opts.workers = workers;
    opts.log_dir = dir;
    ts::Pipeline p(cfg, opts);
    std::string err;
    if (!p.open(&err)) {
      std::fprintf(stderr, "error: %s\n", err.c_str());
      return 1;
    }
    const uint64_t a0 = ts_test_allocations_all_threads();
    const auto t0 = std::chrono::steady_clock::now();
    p.start();
    while (!p.finished()) usleep(1000);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const uint64_t allocs = ts_test_allocations_all_threads() - a0;
    p.finish();
    uint64_t pkts = 0, bytes = 0, flows = 0;
    for (auto& [k, v] : p.stats_counters()) {
      if (k == "decoder.pkts") pkts = v;
      if (k == "decoder.bytes") bytes = v;
      if (k == "flow.total") flows = v;
    }
    const double pps = static_cast<double>(pkts) / secs;
    best_pps = std::max(best_pps, pps);
    std::printf("replay workers=%d run=%d: %llu packets, %.1f MB, %llu flows in %.3f s: "
                "%.2f Mpps, %.2f Gbit/s, %.4f allocations/packet (%llu during run)\n",
                workers, r + 1, static_cast<unsigned long long>(pkts),
                static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(flows), secs,
                pps / 1e6, static_cast<double>(bytes) * 8 / secs / 1e9,
                pkts ? static_cast<double>(allocs) / static_cast<double>(pkts) : 0.0,
                static_cast<unsigned long long>(allocs));
  }
  std::printf("replay workers=%d best: %.2f Mpps\n", workers, best_pps / 1e6);
  return 0;
}
