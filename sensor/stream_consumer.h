// The one interface through which reassembled TCP payload reaches detectors (FIX/STEP
// inspector, stream signatures). Called on the worker thread that owns the flow, in order,
// each byte at most once. Implementations must not block, allocate per call, or keep the
// span beyond the call.
#pragma once

#include <cstdint>
#include <span>

#include "sensor/types.h"

namespace ts {

struct Flow;

class StreamConsumer {
 public:
  virtual ~StreamConsumer() = default;
  // In-order bytes of one direction. `ts` is the time of the packet that made them deliverable.
  virtual void on_stream_data(Flow& flow, Dir dir, std::span<const uint8_t> bytes,
                              Nanos ts) noexcept = 0;
  // `len` bytes of this direction were never seen (lost before the mirror or evicted from a
  // full out-of-order buffer); delivery resumes after them.
  virtual void on_stream_gap(Flow& flow, Dir dir, uint32_t len, Nanos ts) noexcept = 0;
  // The flow ended (FIN/RST seen and done, timeout, eviction or shutdown); after this call the
  // flow's slot is reused.
  virtual void on_stream_end(Flow& flow, Nanos ts) noexcept { (void)flow; (void)ts; }
};

}  // namespace ts
