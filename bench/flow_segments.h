// Benchmark input shared by the TCP and detection benchmarks: one in-order data segment per
// flow (client 10.x.y.z:40000 -> 172.16.0.1:dport, ACK|PSH, seq 1) with its flow hash; the
// benchmark advances seq and ts per use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sensor/flow_hash.h"
#include "sensor/packet.h"
#include "tests/sensor/packet_builder.h"

namespace ts::bench {

struct FlowSegments {
  std::vector<PacketView> pkts;  // [flow]
  std::vector<uint32_t> hashes;  // [flow]
};

inline FlowSegments make_flow_segments(uint32_t flows, Port dport, const std::string& payload) {
  FlowSegments s;
  for (uint32_t f = 0; f < flows; ++f) {
    const IpAddr client = test::ip4(10, static_cast<uint8_t>(f >> 16),
                                    static_cast<uint8_t>(f >> 8), static_cast<uint8_t>(f));
    s.pkts.push_back(test::make_tcp(client, test::ip4(172, 16, 0, 1), 40000, dport, 1, 1,
                                    tcpflag::kAck | tcpflag::kPsh, payload, 0, 1000));
    s.hashes.push_back(flow_hash(s.pkts.back()));
  }
  return s;
}

}  // namespace ts::bench
