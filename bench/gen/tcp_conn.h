// Packet outbox of one session and the TCP connection model that fills it.
// A session generates one short batch of packets at a time (an "action"); packets in a
// batch may be generated out of time order (data first, the receiver's ACKs after) and
// are sorted by timestamp before the scheduler drains them. Sequence numbers are assigned
// at generation time, per direction, so they always increase with time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bench/gen/net.h"

namespace tsgen {

class Outbox {
 public:
  struct Entry {
    uint64_t t;
    uint32_t off;
    uint32_t len;
  };

  bool empty() const { return head_ >= q_.size(); }
  const Entry& front() const { return q_[head_]; }
  const uint8_t* data(const Entry& e) const { return arena_.data() + e.off; }
  void pop() { ++head_; }
  // Drops drained packets; call only when empty().
  void reset() {
    arena_.clear();
    q_.clear();
    head_ = 0;
  }
  Bytes& arena() { return arena_; }
  // Registers the frame written to arena() since `start` (padded to 60 bytes).
  void commit(uint64_t t, size_t start) {
    pad_frame(arena_, start);
    q_.push_back({t, static_cast<uint32_t>(start), static_cast<uint32_t>(arena_.size() - start)});
  }
  void sort() {
    std::stable_sort(q_.begin() + static_cast<long>(head_), q_.end(),
                     [](const Entry& a, const Entry& b) { return a.t < b.t; });
  }

 private:
  Bytes arena_;
  std::vector<Entry> q_;
  size_t head_ = 0;
};

// Builds one Ethernet/IP frame around an L4 payload into the outbox.
struct FlowL2 {
  const Host* a = nullptr;  // initiator
  const Host* b = nullptr;  // responder
  bool v6 = false;
  uint16_t vlan = 0;  // tag on both directions: the capture-side host's VLAN
};

class TcpConn {
 public:
  static constexpr size_t kMss = 1448;  // 1460 minus the 12-byte timestamps option

  TcpConn() = default;
  TcpConn(Outbox* ob, const FlowL2& l2, uint16_t cport, uint16_t sport, uint32_t isn_c,
          uint32_t isn_s, uint32_t ts_c, uint32_t ts_s);

  // SYN at t, SYN-ACK at t + rtt, ACK right after. Returns the time of the last packet.
  uint64_t open(uint64_t t, uint64_t rtt);
  // Sends `n` bytes from side `dir` (0 = client, 1 = server) starting at t, segmented at
  // the MSS; when 0 < split < n the bytes go out as two writes `gap` apart. The receiver
  // ACKs every second full segment. Returns the time of the last packet generated.
  uint64_t send(int dir, uint64_t t, const void* p, size_t n, size_t split = 0,
                uint64_t gap = 0);
  uint64_t send(int dir, uint64_t t, std::string_view s, size_t split = 0, uint64_t gap = 0) {
    return send(dir, t, s.data(), s.size(), split, gap);
  }
  // Pure ACK from `dir` if it has unacknowledged received data; returns t.
  uint64_t ack(int dir, uint64_t t);
  // FIN from `first` at t, FIN-ACK from the peer at t + rtt, final ACK after.
  uint64_t close(int first, uint64_t t, uint64_t rtt);

  uint16_t ip_id_seed = 0;

 private:
  struct Side {
    uint16_t port;
    uint32_t snd_nxt;
    uint32_t rcv_nxt;
    uint32_t last_ack_sent;
    uint32_t ts_base;
    uint32_t ts_recent;
    uint16_t ip_id;
  };
  void segment(int dir, uint64_t t, uint8_t flags, const uint8_t* p, size_t n);

  Outbox* ob_ = nullptr;
  FlowL2 l2_;
  Side s_[2] = {};
  Bytes l4_;
};

// Appends one UDP datagram frame to the outbox.
void emit_udp(Outbox& ob, uint64_t t, const Host& src, const Host& dst, const Mac& dst_mac,
              bool v6, uint16_t vlan, uint16_t sport, uint16_t dport, const uint8_t* p,
              size_t n, uint8_t ttl, uint16_t ip_id, Bytes& scratch);

}  // namespace tsgen
