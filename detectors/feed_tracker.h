// FeedTracker: market-data feed monitoring of one worker. Each configured feed (a UDP
// destination group:port, see config::FeedConfig) has its sequence number at a fixed
// offset, size and byte order of the UDP payload, and optionally a message count; the next
// packet is expected to carry seq + count (or seq + 1 without a count).
//
// Per feed: packets, bytes, messages, gaps and lost messages (seq ahead of expected),
// duplicates (a packet whose whole range was already seen), out-of-order/late packets (seq
// behind expected but not yet seen — fills part of an earlier gap), packets too short for
// the sequence field, and silence (no packet for longer than the feed's limit, checked on
// packet time by tick()). Alerts: gid 9002 sid 1 on each gap (with expected, received and
// lost), sid 2 when a feed falls silent (once, until it is heard again).
//
// A feed's packets all reach one worker when it has one publisher (one 5-tuple), which is
// how exchange channels are sent (A and B lines use different groups). Worker thread only,
// except the metric readers (relaxed single-writer atomics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <string>
#include <vector>

#include "config/config.h"
#include "sensor/counter.h"
#include "sensor/packet.h"
#include "signatures/engine.h"

namespace ts::exporters {
class MetricsSink;
}

namespace ts::detectors {

struct alignas(64) FeedStats {
  Counter packets;
  Counter bytes;          // UDP payload bytes
  Counter messages;       // sum of message counts (packets when the feed has no count)
  Counter gaps;           // times the sequence jumped ahead
  Counter lost_messages;  // messages skipped by those jumps, minus late arrivals that filled them
  Counter duplicates;
  Counter out_of_order;   // late packets (behind expected, not duplicates)
  Counter malformed;      // too short for the sequence (or count) field
  Counter silences;       // silence alerts raised
  Counter resets;         // sequence restarts (a jump of more than a million either way, or
                          // back to 0/1 from far ahead): rebaselined, no gap counted
  Counter recovered;      // lost messages later filled by late packets (already subtracted
                          // from lost_messages; lost_messages + recovered never decreases)
  Gauge last_seq;         // highest sequence seen (next expected - 1)
  Gauge last_packet_ns;   // packet time of the last packet, 0: never
};

class FeedTracker {
 public:
  // Allocates per-feed state for cfg.feeds; `sink` is the worker's alert ring.
  FeedTracker(const std::vector<config::FeedConfig>& feeds, sig::AlertSink* sink);
  ~FeedTracker();
  FeedTracker(const FeedTracker&) = delete;
  FeedTracker& operator=(const FeedTracker&) = delete;

  // Every decoded UDP packet of the worker (cheap when its destination is not a feed).
  void on_udp(const PacketView& p, uint64_t flow_id) noexcept;
  // Packet time moved on: silence checks.
  void tick(Nanos now) noexcept;

  std::size_t feeds() const noexcept;
  const FeedStats& stats(std::size_t feed) const noexcept;

  // tradesentry_feed_packets_total{feed}, tradesentry_feed_gaps_total{feed},
  // tradesentry_feed_lost_messages_total{feed}, and the other FeedStats, summed over workers.
  static void collect_metrics(std::span<const FeedTracker* const> trackers,
                              const std::vector<config::FeedConfig>& feeds,
                              exporters::MetricsSink& sink);

  // EVE stats counters (feed.<name>.packets, .gaps, .lost_messages), summed over workers,
  // appended to `out`.
  static void add_stats(std::span<const FeedTracker* const> trackers,
                        const std::vector<config::FeedConfig>& feeds,
                        std::vector<std::pair<std::string, uint64_t>>& out);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::detectors
