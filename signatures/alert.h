// Alert: one detection, as it travels from the thread that found it to the output thread.
// Fixed size and trivially copyable (it crosses an SPSC ring); text (msg, category) is looked
// up at output time through the rule it names.
#pragma once

#include <cstdint>

#include "sensor/types.h"

namespace ts::sig {

class CompiledRules;

struct Alert {
  Nanos ts = 0;              // packet time (indicators: end of the breaching window)
  uint64_t flow_id = 0;      // 0: not about one flow
  uint64_t pcap_cnt = 0;     // 1-based frame number in the input (0: not from one packet)
  IpAddr src, dst;           // as in the packet that raised it
  Port sport = 0, dport = 0;
  uint8_t ip_proto = 0;      // 0: no IP header (link or host alert)
  uint8_t icmp_type = 0, icmp_code = 0;
  bool to_server = true;     // direction of that packet within its flow
  bool stream = false;       // matched on reassembled stream data
  bool blocked = false;      // a drop/reject rule (EVE action "blocked" only in IPS mode)
  // Which rule: index into `rules`, or for built-in detectors (rules == nullptr) gid/sid.
  const CompiledRules* rules = nullptr;
  uint32_t rule = 0;
  uint32_t gid = 0, sid = 0, rev = 0;
  uint8_t severity = 3;      // 1 (highest) .. 4
  // Built-in detectors: what the analyst needs to act on it, written as a top-level EVE
  // object named `app` ("fix", "feed"), its members already JSON (detectors/alert_detail.h),
  // personal data already masked. app == nullptr: none.
  const char* app = nullptr;
  char detail[256] = {};     // "{...}" or empty
};

}  // namespace ts::sig
