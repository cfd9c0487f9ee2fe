// Flow: per-connection record owned by one worker's FlowTable. Per-flow state of other
// subsystems (TCP tracker, detectors) lives in their own arrays indexed by Flow::slot, so
// this struct stays small and each subsystem owns its memory.
#pragma once

#include <cstdint>

#include "sensor/packet.h"
#include "sensor/types.h"

namespace ts {

// Identity of a flow, oriented client -> server (the side that opened it).
struct FlowKey {
  IpAddr client;
  IpAddr server;
  Port client_port = 0;
  Port server_port = 0;
  uint8_t ip_proto = 0;
  uint8_t vlan_count = 0;
  uint16_t vlan[2] = {0, 0};
  uint16_t iface = 0;  // capture source: the same tuple on two mirror ports is two flows
  uint8_t tunnel_depth = 0;
};

enum class FlowState : uint8_t { kNew, kEstablished, kClosed };
enum class FlowEndReason : uint8_t { kTimeout, kForced, kShutdown };  // EVE flow.reason

struct Flow {
  FlowKey key;
  uint64_t id = 0;        // EVE flow_id: unique per sensor run, nonzero
  uint32_t slot = 0;      // index into per-flow arrays of other subsystems: [0, capacity)
  uint32_t worker = 0;
  Nanos start = 0;
  Nanos last = 0;
  uint64_t pkts[2] = {0, 0};   // indexed by idx(Dir)
  uint64_t bytes[2] = {0, 0};  // frame bytes (wire length), like Suricata
  FlowState state = FlowState::kNew;
  bool midstream = false;      // TCP picked up without its handshake
  uint8_t tcp_flags_seen[2] = {0, 0};

  // Table internals (owned by FlowTable).
  uint32_t hash = 0;
  uint32_t chain_next = 0;  // bucket chain, slot+1 (0 = end)
  uint32_t lru_prev = 0, lru_next = 0;
  uint8_t timeout_class = 0;
  bool in_use = false;
};

}  // namespace ts
