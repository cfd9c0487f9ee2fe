// Pipeline: builds and runs the stages of DESIGN.md for one sensor run.
//
//   capture thread per source --SPSC(slot idx)--> N workers --SPSC(flow records)--> output
//        ^                                          |
//        +---------------SPSC(slot idx)-------------+   (slot return)
//
// Owns every thread, ring and pool. Built once from a validated SensorConfig; the hot path
// (capture->worker->consumers) never allocates, locks or logs. Counters are single-writer and
// read here for stats events and metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "sensor/stream_consumer.h"

namespace ts {

namespace exporters {
class MetricsSink;
}
namespace sig {
class CompiledRules;
}

struct PipelineOptions {
  std::vector<std::string> files;       // offline inputs, read in order
  std::vector<std::string> interfaces;  // live inputs, one capture thread each
  int workers = 1;
  std::string log_dir = ".";
  // Compiled signatures; null runs without the signature engine.
  std::shared_ptr<const sig::CompiledRules> rules;
};

struct Progress {
  uint64_t input_bytes_read = 0;
  uint64_t input_bytes_total = 0;
  uint64_t packets = 0;
  uint64_t alerts = 0;
  uint64_t alerts_by_severity[4] = {0, 0, 0, 0};  // severity 1..4
};

class Pipeline {
 public:
  Pipeline(const config::SensorConfig& cfg, PipelineOptions opts);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // One consumer per worker, created at start() on the calling thread; owned by the pipeline.
  using ConsumerFactory = std::function<std::unique_ptr<StreamConsumer>(int worker)>;
  void add_stream_consumer(ConsumerFactory f);

  // Reload: workers switch to `rules` at their next batch, between packets; capture never
  // stops. The previous set stays alive until no worker or queued alert can refer to it.
  // Main thread.
  void set_rules(std::shared_ptr<const sig::CompiledRules> rules);
  // Frees rule sets no worker or queued alert can refer to any more. Main thread; cheap, so
  // the main loop calls it on every tick.
  void reclaim_rules();
  // How many workers run the newest set given to set_rules (for tests and the reload log).
  int workers_on_latest_rules() const noexcept;

  // Opens the sources and the outputs. False with a message on an environment failure
  // (file unreadable, interface missing, no permission, log dir not writable).
  [[nodiscard]] bool open(std::string* error);
  void start();
  // Asks capture to stop reading; the pipeline then drains and finishes. Async-signal-safe.
  void request_stop() noexcept;
  // True once every source is exhausted (or stopped) and every worker and output drained.
  bool finished() const noexcept;
  // Joins all threads, then writes the final stats event (and metrics.prom when enabled).
  void finish();

  // After finish(): the first capture failure (truncated or corrupt file, interface gone),
  // empty when every source ended cleanly. What was read before it is fully processed.
  std::string error() const;
  bool live() const noexcept;
  int workers() const noexcept;
  Progress progress() const noexcept;
  // After finish(): the most frequent signatures logged, most first (at most n).
  struct SignatureCount {
    uint32_t gid = 0, sid = 0;
    std::string msg;
    uint64_t count = 0;
  };
  std::vector<SignatureCount> top_signatures(std::size_t n) const;
  // Flat dotted counter names (Suricata's stats tree), summed over threads at call time.
  std::vector<std::pair<std::string, uint64_t>> stats_counters() const;
  // Writes a stats event now (live: called periodically by the output thread).
  void write_stats_event();
  // Every metric of the pipeline, read lock-free from the counters.
  void collect_metrics(exporters::MetricsSink& sink) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts
