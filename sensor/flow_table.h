// FlowTable: one per worker, never shared. Fixed capacity derived from a memory cap, all
// memory allocated at construction; lookups and inserts never allocate. Flows expire by
// per-protocol/per-state timeouts on packet time; when full, the least recently seen flow
// is ended (reason forced) and counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sensor/counter.h"
#include "sensor/flow.h"
#include "sensor/packet.h"

namespace ts {

struct FlowTimeouts {  // seconds; Suricata's defaults
  Nanos tcp_new = 30 * kNanosPerSec;
  Nanos tcp_established = 300 * kNanosPerSec;
  Nanos tcp_closed = 10 * kNanosPerSec;
  Nanos udp_new = 30 * kNanosPerSec;
  Nanos udp_established = 300 * kNanosPerSec;
  Nanos icmp = 30 * kNanosPerSec;
  Nanos other = 30 * kNanosPerSec;
};

struct FlowTableConfig {
  std::size_t capacity = 65536;  // flows; the pipeline derives it from the memory cap
  FlowTimeouts timeouts;
};

// Bytes one flow costs across the table and the per-flow arrays indexed by slot; the pipeline
// divides the configured memory cap by this (plus what other subsystems report per slot).
std::size_t flow_table_bytes_per_flow() noexcept;

class FlowEndSink {
 public:
  virtual ~FlowEndSink() = default;
  // Called just before the flow's slot is freed.
  virtual void on_flow_end(Flow& flow, FlowEndReason reason, Nanos now) noexcept = 0;
};

struct alignas(64) FlowStats {
  Counter created;       // flow.total
  Counter timed_out;
  Counter evicted;       // ended early because the table was full (memcap)
  Counter tcp_reused;    // closed TCP flows ended early by a new SYN on the same tuple
  Counter tcp, udp, icmp, other;
  Gauge active;
};

class FlowTable {
 public:
  FlowTable(const FlowTableConfig& cfg, uint32_t worker_index, uint64_t id_seed,
            FlowEndSink* sink);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  struct Lookup {
    Flow* flow = nullptr;  // null only if the packet has no IP layer
    Dir dir = Dir::kToServer;
    bool created = false;
  };
  // Finds or creates the flow of an IP packet (hash = flow_hash(p)) and updates its
  // last-seen time and per-direction packet/byte counts. A new TCP flow whose first packet
  // is a SYN/ACK is oriented with the SYN/ACK's destination as client. A SYN (without ACK)
  // on a TCP flow in state kClosed ends that flow (sink, reason kForced) and starts a new one.
  // When the table is full, the least recently seen flow is ended (sink, kForced) first.
  [[nodiscard]] Lookup lookup(const PacketView& p, uint32_t hash) noexcept;

  // Moves the flow to the timeout class of its new state.
  void set_state(Flow& f, FlowState s) noexcept;
  // Ends flows whose timeout passed at `now` (packet time).
  void expire(Nanos now) noexcept;
  // Ends every flow (shutdown or forced flush).
  void flush(FlowEndReason reason, Nanos now) noexcept;

  std::size_t capacity() const noexcept;
  std::size_t active() const noexcept;
  // Exact bytes held by the table (flow records and bucket heads).
  std::size_t memory_bytes() const noexcept;
  const FlowStats& stats() const noexcept { return stats_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  FlowStats stats_;
};

}  // namespace ts
