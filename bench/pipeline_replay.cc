// Whole-pipeline offline replay benchmark: reads capture files through the real Pipeline
// (capture, decode, dispatch, flows, TCP streams, and with --rules the signature engine) and
// prints throughput and heap allocations per packet. With rules it also measures the limit:
// the raw Hyperscan scan of the same payload bytes with the same databases
// (CompiledRules::measure_scan_limit), and the pipeline's share of it. With the FIX/STEP
// inspector on (the default configuration's `fix.enabled`) it also prints the FIX messages
// framed per second, in all and per worker; `--fix off` runs the same replay without it for
// comparison. Prints figures; asserts nothing.
//
//   pipeline_replay [--workers N] [--repeat R] [--fix on|off] [--rules shipped|FILE.rules ...]
//                   FILE.pcap...
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config/config.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/pipeline.h"
#include "signatures/rule_loader.h"
#include "tests/alloc_hook.h"

namespace {

// Decodes every frame of the inputs into views that point into the mapped files (or copies
// for pcapng), for the Hyperscan limit run.
struct Collector final : ts::FrameHandler {
  explicit Collector(const ts::DecodeConfig& dc) : decoder(dc, nullptr) {}
  void on_frame(ts::LinkType lt, ts::Nanos ts, const uint8_t* data, uint32_t caplen,
                uint32_t wirelen, bool stable) noexcept override {
    if (!stable) {
      copies.emplace_back(data, data + caplen);
      data = copies.back().data();
    }
    ts::PacketView v;
    if (decoder.decode(lt, ts, data, caplen, wirelen, v) == ts::DecodeResult::kOk)
      views.push_back(v);
  }
  ts::Decoder decoder;
  std::vector<ts::PacketView> views;
  std::vector<std::vector<uint8_t>> copies;
};

}  // namespace

int main(int argc, char** argv) {
  int workers = 1, repeat = 3;
  std::vector<std::string> files, rule_files;
  bool with_rules = false;
  const char* fix = "on";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--workers") && i + 1 < argc) workers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--fix") && i + 1 < argc) fix = argv[++i];
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rules") && i + 1 < argc) {
      with_rules = true;
      if (std::strcmp(argv[++i], "shipped") != 0) rule_files.emplace_back(argv[i]);
    } else files.emplace_back(argv[i]);
  }
  if (files.empty() || (std::strcmp(fix, "on") != 0 && std::strcmp(fix, "off") != 0)) {
    std::fprintf(stderr, "usage: pipeline_replay [--workers N] [--repeat R] [--fix on|off] "
                         "[--rules shipped|FILE.rules ...] FILE...\n");
    return 2;
  }
  ts::config::SensorConfig cfg = ts::config::load_default().config;
  cfg.outputs.metrics_file = false;
  cfg.fix.enabled = std::strcmp(fix, "on") == 0;
  std::shared_ptr<const ts::sig::CompiledRules> rules;
  if (with_rules) {
    cfg.rule_files = rule_files;  // empty: the shipped rules
    const auto t0 = std::chrono::steady_clock::now();
    ts::sig::LoadedRules lr = ts::sig::load_and_compile(cfg);
    if (!lr.ok()) {
      for (auto& e : lr.errors) std::fprintf(stderr, "error: %s\n", e.str().c_str());
      std::fprintf(stderr, "error: %s\n", lr.fatal.c_str());
      return 2;
    }
    rules = lr.compiled;
    std::printf("rules: %s (%s), %zu exact, %zu prefiltered, %zu IP-only; compiled in %.2f s\n",
                lr.summary_line().c_str(), rule_files.empty() ? "shipped" : "files",
                lr.stats.exact, lr.stats.prefiltered, lr.stats.ip_only,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  uint64_t payload_bytes_total = 0;
  double best_secs = 0;
  char dir[] = "/tmp/tradesentry-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  double best_pps = 0, best_fix_mps = 0;
  for (int r = 0; r < repeat; ++r) {
    ts::PipelineOptions opts;
    opts.files = files;
    opts.workers = workers;
    opts.log_dir = dir;
    opts.rules = rules;
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
    uint64_t pkts = 0, bytes = 0, flows = 0, fix_msgs = 0, fix_conns = 0;
    for (auto& [k, v] : p.stats_counters()) {
      if (k == "decoder.pkts") pkts = v;
      if (k == "decoder.bytes") bytes = v;
      if (k == "flow.total") flows = v;
      if (k == "fix.messages") fix_msgs = v;
      if (k == "fix.connections") fix_conns = v;
    }
    const double pps = static_cast<double>(pkts) / secs;
    if (pps > best_pps) best_secs = secs;
    best_pps = std::max(best_pps, pps);
    std::printf("replay workers=%d run=%d: %llu packets, %.1f MB, %llu flows in %.3f s: "
                "%.2f Mpps, %.2f Gbit/s, %.4f allocations/packet (%llu during run)\n",
                workers, r + 1, static_cast<unsigned long long>(pkts),
                static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(flows), secs,
                pps / 1e6, static_cast<double>(bytes) * 8 / secs / 1e9,
                pkts ? static_cast<double>(allocs) / static_cast<double>(pkts) : 0.0,
                static_cast<unsigned long long>(allocs));
    if (cfg.fix.enabled) {
      const double mps = static_cast<double>(fix_msgs) / secs;
      best_fix_mps = std::max(best_fix_mps, mps);
      std::printf("replay workers=%d run=%d: FIX inspector: %llu messages on %llu connections: "
                  "%.3f M messages/s, %.3f M per worker\n",
                  workers, r + 1, static_cast<unsigned long long>(fix_msgs),
                  static_cast<unsigned long long>(fix_conns), mps / 1e6, mps / 1e6 / workers);
    }
  }
  std::printf("replay workers=%d fix=%s best: %.2f Mpps", workers, fix, best_pps / 1e6);
  if (cfg.fix.enabled)
    std::printf(", %.3f M FIX messages/s (%.3f M per worker)", best_fix_mps / 1e6,
                best_fix_mps / 1e6 / workers);
  std::printf("\n");
  if (!rules) return 0;

  // The limit: raw Hyperscan over the same payload bytes with the same databases.
  std::string err;
  auto src = ts::CaptureSource::open_files(files, &err);
  if (!src) {
    std::fprintf(stderr, "error: %s\n", err.c_str());
    return 1;
  }
  Collector col(cfg.decode);
  int got = 0;
  while (src->read(4096, col, &got) == ts::CaptureSource::ReadStatus::kPackets) {
  }
  for (const auto& v : col.views)
    if (v.has_ports()) payload_bytes_total += v.payload_len;
  ts::sig::CompiledRules::ScanLimit best{};
  for (int r = 0; r < repeat; ++r) {
    const auto l = rules->measure_scan_limit(col.views);
    if (best.seconds == 0 || l.seconds < best.seconds) best = l;
  }
  if (best.scans == 0) {
    std::printf("hyperscan limit: no payload rule applies to these packets (IP-only or header "
                "rules only): nothing to compare\n");
    return 0;
  }
  const double limit_bps = static_cast<double>(best.bytes) / best.seconds;
  const double pipe_bps = static_cast<double>(payload_bytes_total) / best_secs;
  std::printf("hyperscan limit: %llu payloads, %.1f MB, %llu scans, %llu raw matches in %.3f s: "
              "%.0f MB/s of payload\n",
              static_cast<unsigned long long>(best.packets), static_cast<double>(best.bytes) / 1e6,
              static_cast<unsigned long long>(best.scans),
              static_cast<unsigned long long>(best.matches), best.seconds, limit_bps / 1e6);
  std::printf("pipeline (best run, workers=%d): %.0f MB/s of the same payload = %.0f%% of the "
              "limit (%.0f%% per worker)\n",
              workers, pipe_bps / 1e6, 100 * pipe_bps / limit_bps,
              100 * pipe_bps / limit_bps / workers);
  return 0;
}
