// SensorConfig: the validated, immutable configuration. YAML never leaves config/: the
// loader turns it into this struct (collecting every error with file:line:col), and runtime
// objects are built from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sensor/decode.h"
#include "sensor/flow_table.h"
#include "sensor/tcp_stream.h"

namespace ts::config {

struct CaptureConfig {
  int snaplen = 65535;
  bool promiscuous = true;
  int buffer_size = 64 << 20;  // kernel buffer, bytes
  std::string bpf;             // empty: everything
  std::size_t pool_slots = 16384;     // packet pool slots per capture source
  std::size_t slot_bytes = 2048;      // bytes per slot; larger frames use jumbo slots
  std::size_t jumbo_slots = 256;      // slots of snaplen (or 65535+) bytes
  int timeout_ms = 10;                // pcap read timeout (live)
};

struct OutputsConfig {
  std::string log_dir = ".";          // -l overrides
  bool flow_events = false;           // EVE flow events at flow end
  int stats_interval_s = 8;           // live stats events; 0 disables
  std::string metrics_listen = "127.0.0.1:9888";  // empty disables the endpoint
  bool metrics_file = true;           // metrics.prom at the end of an offline run
};

// The rule language's address and port variables (Suricata's vars: address-groups and
// port-groups), in the order written. Names without '$', values as Suricata writes them
// ("[10.0.0.0/8,!10.1.0.0/16]", "!$HOME_NET", "[80,8080:8090]"). Checked when rules load
// (signatures/vars.h); names not given there get Suricata's defaults.
struct RuleVarsConfig {
  std::vector<std::pair<std::string, std::string>> address_groups;
  std::vector<std::pair<std::string, std::string>> port_groups;
};

struct DetectConfig {
  bool ips_mode = false;  // simulated inline: matching drop/reject rules block ("blocked")
  std::size_t stream_state_memcap = 32u << 20;  // Hyperscan stream state, all workers together
  // Prefiltered stream rules are verified on the last stream_window bytes plus the new data.
  std::size_t stream_window = 2048;
  std::size_t stream_window_memcap = 32u << 20;  // all workers together
};

// FIX/STEP inspector (detectors/fix_inspector.h). Thresholds are per connection unless said.
struct FixServerConfig {
  std::string name;                  // for humans; optional
  IpAddr address;                    // the acceptor (server side of the TCP connection)
  bool any_address = false;          // "address" not given: this port on any host
  Port port = 0;
  std::vector<std::string> allowed_comp_ids;  // SenderCompIDs allowed to log on; empty: the global list
  bool tls = false;                  // TLS-protected leg: a password seen here is not plaintext
};

struct FixConfig {
  bool enabled = true;
  bool auto_detect = true;           // 8=FIX / 8=FIXT / 8=STEP at the start of a stream, any port
  std::vector<Port> ports;           // always inspected (midstream too), on top of servers[].port
  std::vector<FixServerConfig> servers;
  std::vector<std::string> allowed_comp_ids;  // global allow-list; empty: no CompID check
  std::vector<uint32_t> masked_tags = {1};    // values never written to any output
  std::size_t max_connections = 4096;  // FIX connections tracked at once, all workers together
  std::size_t max_sessions = 256;      // per-session metric labels; the rest count as "other"
  std::size_t max_pending_orders = 65536;  // orders awaiting their first ExecutionReport
  std::size_t max_message = 64 * 1024;     // a message longer than this is garbled
  Nanos order_ack_timeout = 60 * kNanosPerSec;  // an order unanswered this long stops waiting
  Nanos heartbeat_grace = 2 * kNanosPerSec;     // silence beyond HeartBtInt plus this: lost
  int logon_failures = 5;            // failed logons per source ...
  Nanos logon_window = 60 * kNanosPerSec;  // ... within this window: brute force
  int order_rate_limit = 300;        // NewOrderSingle per second per SenderCompID
  double cancel_ratio_limit = 0.9;   // cancels / orders over cancel_window ...
  int cancel_min_orders = 50;        // ... once at least this many orders were sent
  Nanos cancel_window = 60 * kNanosPerSec;
  // A MsgSeqNum gap of fewer messages is counted (metrics) but not alerted: FIX engines
  // recover small gaps with ResendRequest / GapFill as routine.
  int seq_gap_alert_min = 10;
  int resend_limit = 10;             // ResendRequests per connection ...
  Nanos resend_window = 10 * kNanosPerSec;  // ... within this window: storm
};

// A market-data channel (UDP, usually multicast) and where its sequence number is.
struct FeedConfig {
  std::string name;
  IpAddr group;
  Port port = 0;
  uint32_t seq_offset = 0;           // bytes into the UDP payload
  uint8_t seq_size = 8;              // 2, 4 or 8
  bool big_endian = true;
  int32_t count_offset = -1;         // messages in the packet; -1: one per packet
  uint8_t count_size = 2;            // 1, 2 or 4
  Nanos silence = 5 * kNanosPerSec;  // no packet this long: silence alert; 0: off
};

struct SensorConfig {
  std::string source;                 // file it was loaded from, or "<built-in default>"
  int workers = 0;                    // 0: cores - 1, at least 1
  std::size_t ring_size = 4096;       // packets per capture->worker ring
  CaptureConfig capture;
  DecodeConfig decode;
  std::size_t defrag_memcap = 16u << 20;
  Nanos defrag_timeout = 60 * kNanosPerSec;
  std::size_t flow_memcap = 128u << 20;  // all workers together
  FlowTimeouts flow_timeouts;
  std::size_t stream_memcap = 64u << 20;  // out-of-order buffers, all workers together
  std::size_t stream_per_flow = 1u << 20;
  bool stream_midstream = true;
  OutputsConfig outputs;
  std::vector<std::string> rule_files;  // used by the signature engine; empty: shipped rules
  RuleVarsConfig vars;
  std::string classification_file;  // empty: the shipped classification.config (compiled in)
  std::string threshold_file;       // empty: none
  std::string rule_cache_dir = "/var/cache/tradesentry";  // compiled-rule cache; empty: none
  DetectConfig detect;
  FixConfig fix;
  std::vector<FeedConfig> feeds;
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 if unknown
  int column = 0;  // 1-based; 0 if unknown
  std::string message;
  std::string str() const;  // "file:line:col: message"
};

struct LoadResult {
  SensorConfig config;
  std::vector<ConfigError> errors;  // empty on success
  bool ok() const { return errors.empty(); }
};

// Loads and validates. Unknown keys are errors (a typo must not silently use a default).
LoadResult load_file(const std::string& path);
LoadResult load_string(const std::string& yaml, const std::string& source_name);
// The built-in default (config/default.yaml compiled in).
LoadResult load_default();

}  // namespace ts::config
