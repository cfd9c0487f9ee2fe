// EveWriter: appends Suricata EVE JSON lines to <log_dir>/eve.json. Runs on the output
// thread (or main at the end of an offline run), never on a worker. Lines are buffered and
// written by flush() (or when the buffer passes kFlushBytes); close() flushes and fsyncs.
// A failed write (ENOSPC, EIO, ...) is counted, never thrown: the unwritten bytes stay
// buffered and are retried by the next flush; past kMaxPendingBytes new lines are dropped
// and counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporters/json.h"
#include "sensor/types.h"

namespace ts::exporters {

// What the flow table reports when a flow ends; the writer turns it into an EVE flow event.
struct FlowEvent {
  uint64_t flow_id = 0;
  Nanos start = 0, end = 0;
  IpAddr src, dst;  // src = client (the side that opened the flow)
  uint16_t sport = 0, dport = 0;
  uint8_t ip_proto = 0;
  uint16_t vlan[2] = {0, 0};
  uint8_t vlan_count = 0;  // 0..2
  uint64_t pkts_toserver = 0, pkts_toclient = 0, bytes_toserver = 0, bytes_toclient = 0;
  const char* state = "new";       // "new" / "established" / "closed"
  const char* reason = "timeout";  // "timeout" / "forced" / "shutdown"
  bool alerted = false;
  uint8_t tcp_flags_ts = 0, tcp_flags_tc = 0;  // OR of the flags seen in each direction
};

// One alert as the EVE writer needs it; whoever raised it (a rule, a built-in detector, an
// indicator threshold) fills what it has. Text is borrowed for the call.
struct AlertRecord {
  Nanos ts = 0;
  uint64_t flow_id = 0;        // 0: not about one flow (flow fields omitted)
  uint64_t pcap_cnt = 0;       // 0: omitted
  IpAddr src, dst;             // family 0: omitted
  uint16_t sport = 0, dport = 0;
  uint8_t ip_proto = 0;        // 0: no proto field
  uint8_t icmp_type = 0, icmp_code = 0;
  const char* direction = nullptr;  // "to_server" / "to_client" / null
  int stream = -1;             // 1 stream match, 0 packet match, -1 omitted
  bool blocked = false;        // alert.action "blocked" instead of "allowed"
  uint32_t gid = 1, sid = 0, rev = 0;
  std::string_view signature, category;
  int severity = 3;
  // A top-level object after "alert" (built-in detectors): key and a complete JSON object.
  std::string_view app, app_json;
};

// Suricata's "proto" value: "TCP", "UDP", "ICMP", "IPv6-ICMP", ... or the number as three
// digits ("047") for protocols without a name, as Suricata writes it.
std::string proto_name(uint8_t ip_proto);

class EveWriter {
 public:
  static constexpr std::size_t kFlushBytes = 64 * 1024;
  static constexpr std::size_t kMaxPendingBytes = 16u << 20;
  static constexpr std::size_t kLineReserve = 8192;

  // Appends to <log_dir>/eve.json.
  explicit EveWriter(const std::string& log_dir);
  // Appends to exactly this file (tests; a named pipe; /dev/stdout).
  struct File {
    std::string path;
  };
  explicit EveWriter(File file);
  ~EveWriter();  // close()
  EveWriter(const EveWriter&) = delete;
  EveWriter& operator=(const EveWriter&) = delete;

  // Opens (creating, mode 0640) for appending. On failure returns false with one clear
  // message ("cannot open /x/eve.json: Permission denied"): a start-up error, exit 1.
  [[nodiscard]] bool open(std::string* error);
  bool is_open() const noexcept { return fd_ >= 0; }
  const std::string& path() const noexcept { return path_; }

  // Suricata's stats event. `counters` are flat dotted names ("decoder.pkts",
  // "capture.kernel_packets") nested by their dots into objects; siblings keep the order in
  // which their first member appears. uptime is written in whole seconds, like Suricata.
  void write_stats(Nanos ts, const std::vector<std::pair<std::string, uint64_t>>& counters,
                   double uptime_s);
  // Suricata's flow event, timestamped with the flow's end.
  void write_flow(const FlowEvent& f);
  // Suricata's alert event (field order as Suricata writes it).
  void write_alert(const AlertRecord& a);
  // Any other complete JSON object (alerts built elsewhere); a newline is appended.
  void write_line(std::string_view json);

  // Writes the buffer to the file. Returns true if nothing is left pending.
  bool flush();
  // flush(), fsync(), close(). Idempotent.
  void close();

  uint64_t write_errors() const noexcept { return write_errors_; }
  uint64_t lines() const noexcept { return lines_; }
  uint64_t dropped_lines() const noexcept { return dropped_lines_; }
  std::size_t pending_bytes() const noexcept { return buf_.size(); }
  int last_errno() const noexcept { return last_errno_; }

 private:
  void append_line();  // moves json_ into buf_ as one line

  std::string path_;
  int fd_ = -1;
  std::string buf_;    // lines not yet written
  JsonBuilder json_;   // reused per event
  uint64_t write_errors_ = 0;
  uint64_t lines_ = 0;
  uint64_t dropped_lines_ = 0;
  int last_errno_ = 0;
};

}  // namespace ts::exporters
