// TcpTracker: per-worker TCP session tracking and in-order stream delivery. Session state
// lives in an array indexed by Flow::slot (capacity = the flow table's). Out-of-order
// segments are copied into a fixed, preallocated segment pool, bounded per flow and in
// total; nothing allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sensor/counter.h"
#include "sensor/flow.h"
#include "sensor/flow_table.h"
#include "sensor/packet.h"
#include "sensor/stream_consumer.h"

namespace ts {

struct TcpConfig {
  std::size_t flow_capacity = 65536;           // = FlowTable capacity
  std::size_t reassembly_memcap = 64u << 20;   // bytes of out-of-order data, whole worker
  std::size_t reassembly_per_flow = 1u << 20;  // bytes of out-of-order data, one direction
  bool midstream = true;                       // pick up sessions already running
};

// Analysis counters (retransmissions, out_of_order, lost_segment) follow Wireshark's
// tcp.analysis.* flags, computed per packet independently of what is delivered; the
// delivery counters (reassembly_*, gaps, bytes_delivered) describe the stream consumers saw.
struct alignas(64) TcpStats {
  Counter sessions;           // flows with at least one TCP packet
  Counter syn, synack, rst, fin;
  Counter handshakes;         // completed three-way handshakes (RTT measured)
  Counter midstream_pickups;
  Counter retransmissions;    // tcp.analysis.retransmission (incl. fast and spurious)
  Counter out_of_order;       // tcp.analysis.out_of_order: the later, lower-seq segment of a
                              // reordered pair
  Counter lost_segment;       // tcp.analysis.lost_segment: a segment beyond the highest seen
                              // ("previous segment not captured")
  Counter gaps;               // gap notices delivered
  Counter gap_bytes;
  Counter zero_windows;       // tcp.analysis.zero_window (window 0, not SYN/FIN/RST)
  Counter reassembly_memcap_drops;  // a buffer limit (per flow or global) forced a gap early
  Counter reassembly_buffered;      // segments (partly) copied into the out-of-order pool
  Counter data_after_fin;     // segments with bytes beyond the direction's FIN (ignored)
  Counter bytes_delivered;
  Gauge reassembly_bytes;     // out-of-order bytes held now
};

// Handshake timing of one flow, 0 where not seen.
struct TcpHandshake {
  Nanos syn_to_synack = 0;
  Nanos synack_to_ack = 0;
  Nanos rtt = 0;  // SYN -> ACK, the sum of the two
};

class TcpTracker {
 public:
  TcpTracker(const TcpConfig& cfg, FlowTable& flows);
  ~TcpTracker();
  TcpTracker(const TcpTracker&) = delete;
  TcpTracker& operator=(const TcpTracker&) = delete;

  // Registered at start-up, before the first packet; called in registration order.
  void add_consumer(StreamConsumer* c);

  // One TCP packet of `flow` in direction `dir`: updates the session (handshake, RTT,
  // sequence tracking, FIN/RST, flow state via FlowTable::set_state), and delivers any bytes
  // that became in-order to the consumers.
  void process(Flow& flow, Dir dir, const PacketView& p) noexcept;

  // The flow is ending: deliver what is buffered (with gap notices for holes), call
  // on_stream_end on the consumers and release the flow's segments. Call it from the
  // FlowEndSink for every flow; flows without TCP packets are ignored (no on_stream_end).
  void end(Flow& flow, Nanos now) noexcept;

  // Whether this flow's payload reaches the stream consumers (false when it started without
  // a SYN and midstream pick-up is off: detectors then see its packets only).
  bool delivers(const Flow& flow) const noexcept;

  // Handshake RTT of the flow in ns (SYN -> SYN/ACK -> ACK), 0 if not measured. With a
  // retransmitted SYN, the last SYN before the SYN/ACK is the start.
  Nanos handshake_rtt(const Flow& flow) const noexcept;
  TcpHandshake handshake(const Flow& flow) const noexcept;

  static std::size_t bytes_per_flow() noexcept;  // session state cost per flow slot
  const TcpStats& stats() const noexcept { return stats_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TcpStats stats_;
};

}  // namespace ts
