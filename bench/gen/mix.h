// The "mix" profile: a trading network's traffic (FIX 4.2/4.4 and STEP order entry,
// multicast market data, portal HTTP, DNS, TLS, SSH) from a fixed set of session slots.
// Each slot runs one session at a time and starts a new one when it ends, so memory is
// bounded; a min-heap of slot next-packet times interleaves them in time order.
#pragma once

#include <cstdint>

#include "bench/gen/pcap_writer.h"

namespace tsgen {

struct GenOptions {
  uint64_t seed = 1;
  uint64_t max_packets = 0;  // 0 = no packet limit
  uint64_t max_bytes = 0;    // 0 = no byte limit (sum of frame lengths)
  uint64_t start_us = 0;
  double ipv6_share = 0.1;
};

// Streams the mix into `w` until the packet or byte limit is reached.
void run_mix(const GenOptions& opt, PcapWriter& w);

// The FIX-heavy profile: 96 concurrent FIX order-entry sessions (72 FIX 4.4, 24 FIX 4.2)
// from 400 client hosts, the mix's session model with busier order flow (mean order gap
// 3 ms to 2 s per session, under the sensor's default order-rate limit; one session in ten
// idle enough to heartbeat), longer sessions and a fifth of NewOrderSingles split across
// two segments. Nothing else on the wire.
void run_fix(const GenOptions& opt, PcapWriter& w);

}  // namespace tsgen
