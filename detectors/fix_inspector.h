// FixInspector: the FIX/STEP inspector of one worker. A StreamConsumer fed with each TCP
// direction's in-order bytes; frames messages (fix_framer.h), tracks the session of each FIX
// connection (logon, heartbeats, MsgSeqNum per direction, resends, logout), the order flow
// (orders, cancels, replaces, ExecutionReports, rejects) and order-to-acknowledgement
// latency, and raises the built-in gid 9001 alerts (detectors/builtin.h) into the worker's
// alert ring.
//
// Which connections: a stream whose first bytes are "8=FIX", "8=FIXT" or "8=STEP"
// (fix.auto-detect), and any connection to fix.ports or fix.servers (midstream pickups
// included: the framer hunts for "8="). Others are marked not-FIX on their first data and
// cost one array read per delivery afterwards.
//
// Memory, fixed at construction: a flow-slot -> connection index (4 bytes per flow slot,
// lazily touched), a pool of connection states (fix.max-connections / workers; connections
// beyond it are counted, not inspected), a table of session counters for metrics
// (fix.max-sessions names, then "other"), and the pending-order table for latency
// (fix.max-pending-orders / workers, oldest evicted and counted).
//
// Worker thread for everything except the metrics readers, which run on the scrape thread
// and read single-writer relaxed atomics and the append-only session name table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>
#include <utility>
#include <string>

#include "config/config.h"
#include "sensor/counter.h"
#include "sensor/stream_consumer.h"
#include "signatures/engine.h"

namespace ts::exporters {
class MetricsSink;
}

namespace ts::detectors {

// Counters of one worker's inspector (single writer: the worker).
struct alignas(64) FixInspectorStats {
  Counter connections;           // FIX connections recognised
  Counter connections_untracked; // recognised but the connection pool was full
  Counter messages;              // framed messages (malformed included)
  Counter malformed;             // messages with a framing/validation error
  Counter garbage_bytes;         // bytes skipped resynchronising
  Counter stream_gaps;           // TCP gaps inside FIX streams
  Counter orders_evicted;        // pending orders dropped (table full or ack timeout)
  Counter sessions_over_cap;     // session names beyond fix.max-sessions (counted as "other")
};

class FixInspector final : public StreamConsumer {
 public:
  // `flow_capacity`: the worker's flow slots; `nworkers` divides the configured caps.
  // `sink`: the worker's alert ring. Allocates everything here.
  FixInspector(const config::FixConfig& cfg, std::size_t flow_capacity, int nworkers,
               sig::AlertSink* sink);
  ~FixInspector() override;
  FixInspector(const FixInspector&) = delete;
  FixInspector& operator=(const FixInspector&) = delete;

  void on_stream_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes,
                      Nanos ts) noexcept override;
  void on_stream_gap(Flow& flow, Dir dir, uint32_t len, Nanos ts) noexcept override;
  void on_stream_end(Flow& flow, Nanos ts) noexcept override;

  // Packet time moved on (the worker calls this at least once per second of packet time,
  // and when idle live): heartbeat-lost checks, rate windows, order-ack timeouts.
  void tick(Nanos now) noexcept;

  const FixInspectorStats& stats() const noexcept;

  // Bytes of per-flow state this inspector adds per flow slot (for the flow memcap).
  static std::size_t bytes_per_flow() noexcept { return sizeof(uint32_t); }

  // Prometheus families of every worker's inspector, merged by session name (scrape thread):
  // tradesentry_fix_messages_total{session,direction,msg_type},
  // tradesentry_fix_sessions_active, tradesentry_fix_sequence_gaps_total{session},
  // tradesentry_fix_rejects_total{session,msg_type},
  // tradesentry_fix_order_ack_latency_seconds{session} (histogram), and the inspector's own
  // counters. Sessions beyond max_sessions (over all workers) are reported as "other".
  static void collect_metrics(std::span<const FixInspector* const> inspectors,
                              std::size_t max_sessions, exporters::MetricsSink& sink);

  // EVE stats counters (fix.*), summed over workers, appended to `out`.
  static void add_stats(std::span<const FixInspector* const> inspectors,
                        std::vector<std::pair<std::string, uint64_t>>& out);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::detectors
