// Helpers for integration tests: run the sensor pipeline in-process on capture files,
// record delivered stream bytes, run reference tools (tshark, tsgen) and read their output.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "sensor/flow.h"
#include "sensor/pipeline.h"
#include "sensor/stream_consumer.h"

namespace ts::test {

// Runs a shell command, returns its stdout; *status gets the exit status.
std::string run_command(const std::string& cmd, int* status = nullptr);
bool have_program(const char* name);
std::string shared_dir();  // ../shared beside the source tree, or "" when absent
std::string make_temp_dir();

// "ip:port" of each side, as tshark's follow output prints them (IPv6 in brackets).
std::string endpoint(const IpAddr& a, Port p);

// Delivered bytes per flow and direction, keyed by "client_endpoint server_endpoint".
struct StreamRecord {
  std::string to_server, to_client;
  uint32_t gaps = 0;
};
class RecordingConsumer final : public StreamConsumer {
 public:
  void on_stream_data(Flow& f, Dir d, std::span<const uint8_t> b, Nanos) noexcept override;
  void on_stream_gap(Flow& f, Dir d, uint32_t len, Nanos) noexcept override;
  std::map<std::string, StreamRecord> streams;
};

struct RunResult {
  std::map<std::string, uint64_t> counters;
  std::map<std::string, StreamRecord> streams;  // merged over workers
};
// Replays `files` through a Pipeline with `workers` workers and the default config.
// With `rules`, the signature engine runs too.
RunResult run_pipeline(const std::vector<std::string>& files, int workers,
                       bool record_streams, const std::string& log_dir = "",
                       std::shared_ptr<const sig::CompiledRules> rules = nullptr);

// tshark's view of a capture: frame, byte and per-protocol frame counts.
struct TsharkCounts {
  uint64_t pkts = 0, bytes = 0, ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0;
};
TsharkCounts tshark_counts(const std::string& pcap);

// tshark's follow,tcp,raw for the first `max_streams` TCP streams, keyed like StreamRecord.
std::map<std::string, StreamRecord> tshark_follow(const std::string& pcap, int max_streams);

}  // namespace ts::test
