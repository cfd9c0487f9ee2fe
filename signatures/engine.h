// The compiled signature engine.
//
//   RuleSet --compile()--> CompiledRules (immutable, shared by workers; swapped whole on reload)
//                              |
//   per worker:            Detector (Hyperscan scratch, per-flow stream states, flowbits)
//
// compile() groups rules so a packet meets only rules that can apply to it (protocol, port
// group, direction), builds Hyperscan block databases for packet payload and streaming
// databases for TCP stream data (exact where Hyperscan expresses a rule's content chain,
// HS_FLAG_PREFILTER / fast pattern otherwise, verified by PayloadProgram), an IP-only index
// (address/port interval tree) for rules without payload keywords, and caches serialized
// databases on disk keyed by a hash of the rules and the Hyperscan version.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sensor/counter.h"
#include "sensor/flow.h"
#include "sensor/packet.h"
#include "sensor/stream_consumer.h"
#include "signatures/alert.h"
#include "signatures/rule.h"

namespace ts::sig {

struct CompileOptions {
  std::string cache_dir;  // empty: no on-disk cache
  bool ips_mode = false;  // drop/reject alerts are "blocked" (simulated inline)
};

struct CompileStats {
  std::size_t rules = 0;
  std::size_t ip_only = 0;      // rules matched by the IP-only index
  std::size_t exact = 0;        // rules decided by Hyperscan alone
  std::size_t prefiltered = 0;  // Hyperscan candidate + PayloadProgram verify
  std::size_t no_pattern = 0;   // rules with payload options but no usable literal
  std::size_t groups = 0;
  std::size_t database_bytes = 0;
  double compile_seconds = 0;
  bool from_cache = false;
};

class CompiledRules {
 public:
  // Compiles `set`. Rules whose payload cannot be prepared (PCRE2 error, Hyperscan refusing
  // an expression it was given exactly) move to set.errors and are dropped, never the whole
  // set. Returns null only on a fatal error (message in *error).
  static std::shared_ptr<const CompiledRules> compile(RuleSet set, const CompileOptions& opts,
                                                      std::string* error,
                                                      CompileStats* stats = nullptr);
  ~CompiledRules();

  // Benchmarks: the raw Hyperscan limit on these packets' payloads with this set's databases.
  // Each payload is scanned by the databases of its protocol/port groups in its direction
  // (to_server when dport < sport): block databases with hs_scan, stream databases with
  // hs_scan_stream on one open stream per database. No verification, flows or alerts.
  struct ScanLimit {
    uint64_t packets = 0, bytes = 0, matches = 0, scans = 0;
    double seconds = 0;
  };
  ScanLimit measure_scan_limit(std::span<const PacketView> packets) const;

  const RuleSet& ruleset() const noexcept;
  const Rule& rule(uint32_t index) const noexcept;
  std::size_t size() const noexcept;
  const CompileStats& stats() const noexcept;

  // How the compiled engine decides rule `index` (tests, -T output, diagnostics).
  enum class Path : uint8_t {
    kIpOnly,     // IP-only index, once per flow direction
    kHeader,     // header options only, evaluated on every packet of its groups
    kExact,      // Hyperscan decides the whole content chain
    kPrefilter,  // Hyperscan literal or PCRE prefilter, then PayloadProgram
    kNoPattern,  // PayloadProgram on every packet/chunk of its groups
  };
  Path path(uint32_t index) const noexcept;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  CompiledRules();
  std::unique_ptr<Impl> impl_;
};

// Where a Detector hands its alerts. Called on the worker thread; must not block or allocate.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void on_alert(const Alert& a) noexcept = 0;
};

struct DetectorConfig {
  std::size_t flow_capacity = 0;        // flow slots of the worker's FlowTable
  std::size_t stream_state_memcap = 0;  // Hyperscan stream state, this worker (bytes); 0: none
  // True when the Detector is registered with the worker's TcpTracker, so TCP payload rules
  // match on the reassembled stream. False: every TCP packet's payload is scanned on its own.
  bool tcp_reassembly = true;
  // Rules Hyperscan only prefilters are verified on the last stream_window bytes of the
  // direction plus the new chunk (0: the chunk alone); windows for at most
  // stream_window_memcap bytes, the rest verify on the chunk alone (counted).
  std::size_t stream_window = 2048;
  std::size_t stream_window_memcap = 16u << 20;
};

// Written by the worker only, read by stats scrapes: its own cache lines.
struct alignas(64) DetectorStats {
  Counter packets_inspected;
  Counter stream_bytes_scanned;
  Counter candidates;                 // rules verified after a prefilter hit
  Counter matches;                    // rule matches before thresholds (incl. noalert/pass)
  Counter stream_state_memcap_drops;  // streams not scanned because the cap was reached
  Gauge stream_state_bytes;
  Gauge stream_window_bytes;           // verification windows in use
  Counter stream_window_memcap_drops;  // directions verified without a window (cap reached)
  Counter stream_retries_dropped;      // failed prefilter hits not kept for a retry (list full)
  Counter alerts;              // handed to the sink
  Counter alerts_over_max;     // matches beyond 15 alerts on one packet (packet_alert_max)
  Counter candidates_dropped;  // the per-packet candidate buffer was full
  Counter flowbits_dropped;    // a flow already held the most flowbits it can
  Counter hs_errors;           // Hyperscan calls that failed (scan, stream open/reset)
};

// One per worker. Feed it TCP stream bytes through the StreamConsumer interface (register it
// with the worker's TcpTracker), then call inspect() once per packet after the tracker has
// processed that packet. Alerts (after pass/noalert, before thresholds) go to the sink.
class Detector final : public StreamConsumer {
 public:
  Detector(std::shared_ptr<const CompiledRules> rules, const DetectorConfig& cfg, AlertSink* sink);
  ~Detector() override;

  // Flow may be null (not IP, or no flow). dir is the packet's direction within the flow.
  void inspect(Flow* flow, Dir dir, const PacketView& p) noexcept;

  // Switches to a new rule set between packets (worker thread). Stream states and flowbits
  // of live flows restart under the new rules.
  void set_rules(std::shared_ptr<const CompiledRules> rules) noexcept;
  const CompiledRules* rules() const noexcept;

  void on_stream_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes,
                      Nanos ts) noexcept override;
  void on_stream_gap(Flow& flow, Dir dir, uint32_t len, Nanos ts) noexcept override;
  void on_stream_end(Flow& flow, Nanos ts) noexcept override;

  const DetectorStats& stats() const noexcept;

  // Memory the Detector holds per flow slot for `rules` (flow state, flowbits, stream pool
  // bookkeeping; the Hyperscan stream states themselves are bounded by stream_state_memcap).
  // For sizing flow_capacity from a memory cap, like TcpTracker::bytes_per_flow().
  static std::size_t bytes_per_flow(const CompiledRules* rules) noexcept;

  // IPS mode: a drop/reject rule matched in this flow; later packets are not inspected.
  bool flow_blocked(const Flow& flow) const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::sig
