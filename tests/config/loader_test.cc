// Config loader: good configs give exact values; bad configs give exact error lists.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace ts::config {
namespace {

std::vector<std::string> error_strings(const LoadResult& r) {
  std::vector<std::string> out;
  for (const ConfigError& e : r.errors) out.push_back(e.str());
  return out;
}

// Field by field, so a mismatch names the field.
void expect_same(const SensorConfig& a, const SensorConfig& b) {
  EXPECT_EQ(a.workers, b.workers);
  EXPECT_EQ(a.ring_size, b.ring_size);
  EXPECT_EQ(a.capture.snaplen, b.capture.snaplen);
  EXPECT_EQ(a.capture.promiscuous, b.capture.promiscuous);
  EXPECT_EQ(a.capture.buffer_size, b.capture.buffer_size);
  EXPECT_EQ(a.capture.bpf, b.capture.bpf);
  EXPECT_EQ(a.capture.pool_slots, b.capture.pool_slots);
  EXPECT_EQ(a.capture.slot_bytes, b.capture.slot_bytes);
  EXPECT_EQ(a.capture.jumbo_slots, b.capture.jumbo_slots);
  EXPECT_EQ(a.capture.timeout_ms, b.capture.timeout_ms);
  EXPECT_EQ(a.decode.validate_checksums, b.decode.validate_checksums);
  EXPECT_EQ(a.decode.max_tunnel_depth, b.decode.max_tunnel_depth);
  EXPECT_EQ(a.decode.vxlan_port, b.decode.vxlan_port);
  EXPECT_EQ(a.decode.geneve_port, b.decode.geneve_port);
  EXPECT_EQ(a.defrag_memcap, b.defrag_memcap);
  EXPECT_EQ(a.defrag_timeout, b.defrag_timeout);
  EXPECT_EQ(a.flow_memcap, b.flow_memcap);
  EXPECT_EQ(a.flow_timeouts.tcp_new, b.flow_timeouts.tcp_new);
  EXPECT_EQ(a.flow_timeouts.tcp_established, b.flow_timeouts.tcp_established);
  EXPECT_EQ(a.flow_timeouts.tcp_closed, b.flow_timeouts.tcp_closed);
  EXPECT_EQ(a.flow_timeouts.udp_new, b.flow_timeouts.udp_new);
  EXPECT_EQ(a.flow_timeouts.udp_established, b.flow_timeouts.udp_established);
  EXPECT_EQ(a.flow_timeouts.icmp, b.flow_timeouts.icmp);
  EXPECT_EQ(a.flow_timeouts.other, b.flow_timeouts.other);
  EXPECT_EQ(a.stream_memcap, b.stream_memcap);
  EXPECT_EQ(a.stream_per_flow, b.stream_per_flow);
  EXPECT_EQ(a.stream_midstream, b.stream_midstream);
  EXPECT_EQ(a.outputs.log_dir, b.outputs.log_dir);
  EXPECT_EQ(a.outputs.flow_events, b.outputs.flow_events);
  EXPECT_EQ(a.outputs.stats_interval_s, b.outputs.stats_interval_s);
  EXPECT_EQ(a.outputs.metrics_listen, b.outputs.metrics_listen);
  EXPECT_EQ(a.outputs.metrics_file, b.outputs.metrics_file);
  EXPECT_EQ(a.rule_files, b.rule_files);
  EXPECT_EQ(a.vars.address_groups, b.vars.address_groups);
  EXPECT_EQ(a.vars.port_groups, b.vars.port_groups);
  EXPECT_EQ(a.classification_file, b.classification_file);
  EXPECT_EQ(a.threshold_file, b.threshold_file);
  EXPECT_EQ(a.rule_cache_dir, b.rule_cache_dir);
  EXPECT_EQ(a.detect.ips_mode, b.detect.ips_mode);
  const FixConfig &fa = a.fix, &fb = b.fix;
  EXPECT_EQ(fa.enabled, fb.enabled);
  EXPECT_EQ(fa.auto_detect, fb.auto_detect);
  EXPECT_EQ(fa.ports, fb.ports);
  ASSERT_EQ(fa.servers.size(), fb.servers.size());
  for (std::size_t i = 0; i < fa.servers.size(); ++i) {
    EXPECT_EQ(fa.servers[i].name, fb.servers[i].name);
    EXPECT_EQ(fa.servers[i].address, fb.servers[i].address);
    EXPECT_EQ(fa.servers[i].any_address, fb.servers[i].any_address);
    EXPECT_EQ(fa.servers[i].port, fb.servers[i].port);
    EXPECT_EQ(fa.servers[i].allowed_comp_ids, fb.servers[i].allowed_comp_ids);
    EXPECT_EQ(fa.servers[i].tls, fb.servers[i].tls);
  }
  EXPECT_EQ(fa.allowed_comp_ids, fb.allowed_comp_ids);
  EXPECT_EQ(fa.masked_tags, fb.masked_tags);
  EXPECT_EQ(fa.max_connections, fb.max_connections);
  EXPECT_EQ(fa.max_sessions, fb.max_sessions);
  EXPECT_EQ(fa.max_pending_orders, fb.max_pending_orders);
  EXPECT_EQ(fa.max_message, fb.max_message);
  EXPECT_EQ(fa.order_ack_timeout, fb.order_ack_timeout);
  EXPECT_EQ(fa.heartbeat_grace, fb.heartbeat_grace);
  EXPECT_EQ(fa.logon_failures, fb.logon_failures);
  EXPECT_EQ(fa.logon_window, fb.logon_window);
  EXPECT_EQ(fa.order_rate_limit, fb.order_rate_limit);
  EXPECT_EQ(fa.cancel_ratio_limit, fb.cancel_ratio_limit);
  EXPECT_EQ(fa.cancel_min_orders, fb.cancel_min_orders);
  EXPECT_EQ(fa.cancel_window, fb.cancel_window);
  EXPECT_EQ(fa.seq_gap_alert_min, fb.seq_gap_alert_min);
  EXPECT_EQ(fa.resend_limit, fb.resend_limit);
  EXPECT_EQ(fa.resend_window, fb.resend_window);
  ASSERT_EQ(a.feeds.size(), b.feeds.size());
  for (std::size_t i = 0; i < a.feeds.size(); ++i) {
    EXPECT_EQ(a.feeds[i].name, b.feeds[i].name);
    EXPECT_EQ(a.feeds[i].group, b.feeds[i].group);
    EXPECT_EQ(a.feeds[i].port, b.feeds[i].port);
    EXPECT_EQ(a.feeds[i].seq_offset, b.feeds[i].seq_offset);
    EXPECT_EQ(a.feeds[i].seq_size, b.feeds[i].seq_size);
    EXPECT_EQ(a.feeds[i].big_endian, b.feeds[i].big_endian);
    EXPECT_EQ(a.feeds[i].count_offset, b.feeds[i].count_offset);
    EXPECT_EQ(a.feeds[i].count_size, b.feeds[i].count_size);
    EXPECT_EQ(a.feeds[i].silence, b.feeds[i].silence);
  }
}

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t x[4] = {a, b, c, d};
  return IpAddr::v4(x);
}

TEST(ConfigLoader, FixAndFeedsEveryKeySet) {
  const LoadResult r = load_string(R"(
fix:
  enabled: true
  auto-detect: false
  ports: [9876, 11310]
  servers:
    - {name: oms, address: 10.75.128.11, port: 11310, allowed-comp-ids: [B01, B02], tls: true}
    - {port: 21001}
  allowed-comp-ids: [OMSGW1]
  masked-tags: [1, 448]
  max-connections: 100
  max-sessions: 8
  max-pending-orders: 1000
  max-message: 8k
  order-ack-timeout: 5s
  heartbeat-grace: 500ms
  logon-failures: 3
  logon-window: 30s
  order-rate-limit: 50
  cancel-ratio-limit: 0.75
  cancel-min-orders: 20
  cancel-window: 2m
  seq-gap-alert-min: 3
  resend-limit: 4
  resend-window: 5s
feeds:
  - {name: sse, group: 239.237.246.1, port: 33001, seq-offset: 0, seq-size: 8, byte-order: big,
     count-offset: 8, count-size: 2, silence: 3s}
  - {name: szse, group: 239.1.1.2, port: 30011, seq-offset: 4, seq-size: 4, byte-order: little}
)", "good.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_strings(r));
  SensorConfig want;
  FixConfig& f = want.fix;
  f.auto_detect = false;
  f.ports = {9876, 11310};
  FixServerConfig s1;
  s1.name = "oms";
  s1.address = v4(10, 75, 128, 11);
  s1.port = 11310;
  s1.allowed_comp_ids = {"B01", "B02"};
  s1.tls = true;
  FixServerConfig s2;
  s2.any_address = true;
  s2.port = 21001;
  f.servers = {s1, s2};
  f.allowed_comp_ids = {"OMSGW1"};
  f.masked_tags = {1, 448};
  f.max_connections = 100;
  f.max_sessions = 8;
  f.max_pending_orders = 1000;
  f.max_message = 8192;
  f.order_ack_timeout = 5 * kNanosPerSec;
  f.heartbeat_grace = 500 * kNanosPerMs;
  f.logon_failures = 3;
  f.logon_window = 30 * kNanosPerSec;
  f.order_rate_limit = 50;
  f.cancel_ratio_limit = 0.75;
  f.cancel_min_orders = 20;
  f.cancel_window = 120 * kNanosPerSec;
  f.seq_gap_alert_min = 3;
  f.resend_limit = 4;
  f.resend_window = 5 * kNanosPerSec;
  FeedConfig a;
  a.name = "sse";
  a.group = v4(239, 237, 246, 1);
  a.port = 33001;
  a.count_offset = 8;
  a.silence = 3 * kNanosPerSec;
  FeedConfig b;
  b.name = "szse";
  b.group = v4(239, 1, 1, 2);
  b.port = 30011;
  b.seq_offset = 4;
  b.seq_size = 4;
  b.big_endian = false;
  want.feeds = {a, b};
  expect_same(r.config, want);
}

TEST(ConfigLoader, DefaultLoadsAndEqualsStructDefaults) {
  const LoadResult r = load_default();
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_strings(r));
  EXPECT_EQ(r.config.source, "<built-in default>");
  expect_same(r.config, SensorConfig{});
}

TEST(ConfigLoader, ShippedExampleEqualsDefault) {
  const LoadResult r = load_file(TS_SOURCE_DIR "/config/tradesentry.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_strings(r));
  EXPECT_EQ(r.config.source, TS_SOURCE_DIR "/config/tradesentry.yaml");
  expect_same(r.config, SensorConfig{});
}

TEST(ConfigLoader, EmptyDocumentIsAllDefaults) {
  const LoadResult r = load_string("# nothing\n", "empty.yaml");
  ASSERT_TRUE(r.ok());
  expect_same(r.config, SensorConfig{});
}

TEST(ConfigLoader, EveryKeySet) {
  const LoadResult r = load_string(R"(
workers: 12
ring-size: 65536
rule-files: [a.rules, /etc/b.rules]
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8,!10.66.0.0/16]"
    EXTERNAL_NET: "!$HOME_NET"
    FIX_GATEWAYS: 10.1.2.3
  port-groups:
    FIX_PORTS: "[9876,9880:9890]"
    HTTP_PORTS: 8080
classification-file: /etc/tradesentry/classification.config
threshold-file: /etc/tradesentry/threshold.config
rule-cache-dir: /var/cache/tradesentry
detect:
  ips-mode: true
capture:
  snaplen: 9216
  promiscuous: false
  buffer-size: 256M
  bpf: "tcp port 9876"
  pool-slots: 65536
  slot-size: 4k
  jumbo-slots: 0
  read-timeout: 250ms
decoder:
  checksum-validation: true
  max-tunnel-depth: 2
  vxlan-port: 8472
  geneve-port: 6082
defrag:
  memcap: 1g
  timeout: 2m
flow:
  memcap: 2GiB
  timeouts:
    tcp-new: 5
    tcp-established: 1h
    tcp-closed: 1500ms
    udp-new: 10s
    udp-established: 90s
    icmp: 3s
    other: 7s
stream:
  memcap: 32mb
  per-flow: 512k
  midstream: false
outputs:
  log-dir: /var/log/tradesentry
  flow-events: true
  stats-interval: 1m
  metrics-listen: "[::1]:9100"
  metrics-file: false
)",
                                   "good.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_strings(r));
  SensorConfig want;
  want.workers = 12;
  want.ring_size = 65536;
  want.rule_files = {"a.rules", "/etc/b.rules"};
  want.vars.address_groups = {{"HOME_NET", "[10.0.0.0/8,!10.66.0.0/16]"},
                              {"EXTERNAL_NET", "!$HOME_NET"},
                              {"FIX_GATEWAYS", "10.1.2.3"}};
  want.vars.port_groups = {{"FIX_PORTS", "[9876,9880:9890]"}, {"HTTP_PORTS", "8080"}};
  want.classification_file = "/etc/tradesentry/classification.config";
  want.threshold_file = "/etc/tradesentry/threshold.config";
  want.rule_cache_dir = "/var/cache/tradesentry";
  want.detect.ips_mode = true;
  want.capture.snaplen = 9216;
  want.capture.promiscuous = false;
  want.capture.buffer_size = 256 << 20;
  want.capture.bpf = "tcp port 9876";
  want.capture.pool_slots = 65536;
  want.capture.slot_bytes = 4096;
  want.capture.jumbo_slots = 0;
  want.capture.timeout_ms = 250;
  want.decode.validate_checksums = true;
  want.decode.max_tunnel_depth = 2;
  want.decode.vxlan_port = 8472;
  want.decode.geneve_port = 6082;
  want.defrag_memcap = std::size_t{1} << 30;
  want.defrag_timeout = 120 * kNanosPerSec;
  want.flow_memcap = std::size_t{2} << 30;
  want.flow_timeouts.tcp_new = 5 * kNanosPerSec;
  want.flow_timeouts.tcp_established = 3600 * kNanosPerSec;
  want.flow_timeouts.tcp_closed = 1500 * kNanosPerMs;
  want.flow_timeouts.udp_new = 10 * kNanosPerSec;
  want.flow_timeouts.udp_established = 90 * kNanosPerSec;
  want.flow_timeouts.icmp = 3 * kNanosPerSec;
  want.flow_timeouts.other = 7 * kNanosPerSec;
  want.stream_memcap = 32u << 20;
  want.stream_per_flow = 512u << 10;
  want.stream_midstream = false;
  want.outputs.log_dir = "/var/log/tradesentry";
  want.outputs.flow_events = true;
  want.outputs.stats_interval_s = 60;
  want.outputs.metrics_listen = "[::1]:9100";
  want.outputs.metrics_file = false;
  expect_same(r.config, want);
  EXPECT_EQ(r.config.source, "good.yaml");
}

TEST(ConfigLoader, EmptyMetricsListenDisablesEndpoint) {
  const LoadResult r = load_string("outputs:\n  metrics-listen: \"\"\n  stats-interval: 0\n", "x");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_strings(r));
  EXPECT_EQ(r.config.outputs.metrics_listen, "");
  EXPECT_EQ(r.config.outputs.stats_interval_s, 0);
}

struct BadCase {
  const char* name;
  const char* yaml;
  std::vector<std::string> errors;
};

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, ReportsExactErrors) {
  const BadCase& c = GetParam();
  const LoadResult r = load_string(c.yaml, "tradesentry.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(error_strings(r), c.errors);
}

const BadCase kBadCases[] = {
    {"BadSize", "flow:\n  memcap: lots\n",
     {R"(tradesentry.yaml:2:11: flow.memcap: expected a size like 128m, got "lots")"}},
    {"SizeUnknownSuffix", "capture:\n  buffer-size: 64t\n",
     {R"(tradesentry.yaml:2:16: capture.buffer-size: expected a size like 128m, got "64t")"}},
    {"SizeOutOfRange", "flow:\n  memcap: 512k\n",
     {R"(tradesentry.yaml:2:11: flow.memcap: expected a size from 1m to 1024g, got "512k")"}},
    {"SizeOverflow", "flow:\n  memcap: 99999999999999999999g\n",
     {R"(tradesentry.yaml:2:11: flow.memcap: expected a size like 128m, got "99999999999999999999g")"}},
    {"BadDuration", "defrag:\n  timeout: soon\n",
     {R"(tradesentry.yaml:2:12: defrag.timeout: expected a duration like 30s, got "soon")"}},
    {"DurationFraction", "flow:\n  timeouts:\n    icmp: 1.5s\n",
     {R"(tradesentry.yaml:3:11: flow.timeouts.icmp: expected a duration like 30s, got "1.5s")"}},
    {"DurationOutOfRange", "flow:\n  timeouts:\n    tcp-new: 0s\n",
     {R"(tradesentry.yaml:3:14: flow.timeouts.tcp-new: expected a duration from 1s to 24h, got "0s")"}},
    {"StatsIntervalNotWholeSeconds", "outputs:\n  stats-interval: 1500ms\n",
     {R"(tradesentry.yaml:2:19: outputs.stats-interval: expected a whole number of seconds, got "1500ms")"}},
    {"WorkersOutOfRange", "workers: 300\n",
     {R"(tradesentry.yaml:1:10: workers: expected an integer from 0 to 256, got "300")"}},
    {"WorkersNegative", "workers: -1\n",
     {R"(tradesentry.yaml:1:10: workers: expected an integer from 0 to 256, got "-1")"}},
    {"RingNotPowerOfTwo", "ring-size: 1000\n",
     {R"(tradesentry.yaml:1:12: ring-size: expected a power of two from 64 to 1048576, got "1000")"}},
    {"RingTooSmall", "ring-size: 32\n",
     {R"(tradesentry.yaml:1:12: ring-size: expected a power of two from 64 to 1048576, got "32")"}},
    {"SnaplenOutOfRange", "capture:\n  snaplen: 63\n",
     {R"(tradesentry.yaml:2:12: capture.snaplen: expected an integer from 64 to 262144, got "63")"}},
    {"SlotSizeOutOfRange", "capture:\n  slot-size: 64k\n",
     {R"(tradesentry.yaml:2:14: capture.slot-size: expected a size from 256 to 65535, got "64k")"}},
    {"WrongTypeBool", "capture:\n  promiscuous: maybe\n",
     {R"(tradesentry.yaml:2:16: capture.promiscuous: expected true or false, got "maybe")"}},
    {"WrongTypeList", "workers: [1, 2]\n",
     {R"(tradesentry.yaml:1:10: workers: expected an integer from 0 to 256, got a list)"}},
    {"SectionNotMapping", "capture: 5\n",
     {R"(tradesentry.yaml:1:10: capture: expected a mapping, got "5")"}},
    {"TopLevelNotMapping", "- workers\n",
     {R"(tradesentry.yaml:1:1: expected a mapping of settings at the top level, got a list)"}},
    {"MissingValue", "outputs:\n  log-dir:\n",
     {R"(tradesentry.yaml:2:3: outputs.log-dir: expected a non-empty string, got nothing)"}},
    {"EmptyLogDir", "outputs:\n  log-dir: \"\"\n",
     {R"(tradesentry.yaml:2:12: outputs.log-dir: expected a non-empty string, got "")"}},
    {"MetricsListenNoPort", "outputs:\n  metrics-listen: localhost\n",
     {R"(tradesentry.yaml:2:19: outputs.metrics-listen: expected HOST:PORT like 127.0.0.1:9888 (port 1-65535), or "", got "localhost")"}},
    {"MetricsListenBadPort", "outputs:\n  metrics-listen: \"0.0.0.0:70000\"\n",
     {R"(tradesentry.yaml:2:19: outputs.metrics-listen: expected HOST:PORT like 127.0.0.1:9888 (port 1-65535), or "", got "0.0.0.0:70000")"}},
    {"PerFlowAboveMemcap", "stream:\n  memcap: 1m\n  per-flow: 2m\n",
     {R"(tradesentry.yaml:3:13: stream.per-flow: expected a size no larger than stream.memcap, got "2m")"}},
    {"RuleFilesNotList", "rule-files: a.rules\n",
     {R"(tradesentry.yaml:1:13: rule-files: expected a list of rule file paths, got "a.rules")"}},
    {"VarsNotMapping", "vars: [HOME_NET]\n",
     {R"(tradesentry.yaml:1:7: vars: expected a mapping, got a list)"}},
    {"VarsUnknownGroup", "vars:\n  address-group:\n    HOME_NET: any\n",
     {R"(tradesentry.yaml:2:3: vars.address-group: unknown key, did you mean "address-groups"?)"}},
    {"VarsGroupNotMapping", "vars:\n  port-groups: 80\n",
     {R"(tradesentry.yaml:2:16: vars.port-groups: expected a mapping of variable names to values, got "80")"}},
    {"VarsNameWithDollar", "vars:\n  address-groups:\n    $HOME_NET: any\n",
     {R"(tradesentry.yaml:3:5: vars.address-groups.$HOME_NET: expected a variable name of letters, digits and '_' (without '$'))"}},
    {"VarsNameWithDash", "vars:\n  port-groups:\n    FIX-PORTS: 9876\n",
     {R"(tradesentry.yaml:3:5: vars.port-groups.FIX-PORTS: expected a variable name of letters, digits and '_' (without '$'))"}},
    {"VarsDuplicateName", "vars:\n  port-groups:\n    P: 1\n    P: 2\n",
     {R"(tradesentry.yaml:4:5: vars.port-groups.P: duplicate key)"}},
    {"VarsValueMissing", "vars:\n  address-groups:\n    HOME_NET:\n",
     {R"(tradesentry.yaml:3:5: vars.address-groups.HOME_NET: expected a value like "[10.0.0.0/8,!10.1.0.0/16]", got nothing)"}},
    {"VarsValueList", "vars:\n  port-groups:\n    P: [80, 443]\n",
     {R"(tradesentry.yaml:3:8: vars.port-groups.P: expected a value like "[80,8080:8090]", got a list)"}},
    {"ClassificationFileNotString", "classification-file: [a, b]\n",
     {R"(tradesentry.yaml:1:22: classification-file: expected a string, got a list)"}},
    {"IpsModeNotBool", "detect:\n  ips-mode: sometimes\n",
     {R"(tradesentry.yaml:2:13: detect.ips-mode: expected true or false, got "sometimes")"}},
    {"FixPortOutOfRange", "fix:\n  ports: [9876, 0]\n",
     {R"(tradesentry.yaml:2:17: fix.ports[1]: expected an integer from 1 to 65535, got "0")"}},
    {"FixServerWithoutPort", "fix:\n  servers:\n    - {address: 10.0.0.1}\n",
     {R"(tradesentry.yaml:3:7: fix.servers[0]: a server needs a port)"}},
    {"FixServerBadAddress", "fix:\n  servers:\n    - {address: 10.0.0.300, port: 1}\n",
     {R"(tradesentry.yaml:3:17: fix.servers[0].address: expected an IPv4 or IPv6 address like 10.1.2.3, got "10.0.0.300")"}},
    {"FixDuplicateCompId", "fix:\n  allowed-comp-ids: [A, B, A]\n",
     {R"(tradesentry.yaml:2:28: fix.allowed-comp-ids[2]: duplicate value "A")"}},
    {"FixBadRatio", "fix:\n  cancel-ratio-limit: -1\n",
     {R"(tradesentry.yaml:2:23: fix.cancel-ratio-limit: expected a ratio above 0 like 0.9, got "-1")"}},
    {"FixUnknownKeySuggestion", "fix:\n  order-rate-limt: 5\n",
     {R"(tradesentry.yaml:2:3: fix.order-rate-limt: unknown key, did you mean "order-rate-limit"?)"}},
    {"FeedMissingGroupAndName", "feeds:\n  - {port: 1}\n",
     {R"(tradesentry.yaml:2:5: feeds[0]: a feed needs a name)",
      R"(tradesentry.yaml:2:5: feeds[0]: a feed needs a group (its destination address))"}},
    {"FeedBadSeqSize", "feeds:\n  - {name: a, group: 239.1.1.1, port: 1, seq-size: 3}\n",
     {R"(tradesentry.yaml:2:52: feeds[0].seq-size: expected 2, 4 or 8, got "3")"}},
    {"FeedBadByteOrder", "feeds:\n  - {name: a, group: 239.1.1.1, port: 1, byte-order: middle}\n",
     {R"(tradesentry.yaml:2:54: feeds[0].byte-order: expected big or little, got "middle")"}},
    {"FeedDuplicateName",
     "feeds:\n  - {name: a, group: 239.1.1.1, port: 1}\n  - {name: a, group: 239.1.1.2, port: 1}\n",
     {R"(tradesentry.yaml:3:12: feeds[1].name: another feed already has the name "a")"}},
    {"FeedsNotList", "feeds: {name: a}\n",
     {R"(tradesentry.yaml:1:8: feeds: expected a list of feeds (name, group, port, seq-offset, seq-size, ...), got a mapping)"}},
    {"DetectUnknownKey", "detect:\n  ips: true\n",
     {R"(tradesentry.yaml:2:3: detect.ips: unknown key (expected one of: ips-mode, stream-state-memcap, stream-window, stream-window-memcap))"}},
    {"UnknownKeyWithSuggestion", "capture:\n  snaplenn: 100\n",
     {R"(tradesentry.yaml:2:3: capture.snaplenn: unknown key, did you mean "snaplen"?)"}},
    {"UnknownTopKeyWithSuggestion", "worker: 2\n",
     {R"(tradesentry.yaml:1:1: worker: unknown key, did you mean "workers"?)"}},
    {"UnknownKeyNoSuggestion", "defrag:\n  colour: blue\n",
     {R"(tradesentry.yaml:2:3: defrag.colour: unknown key (expected one of: memcap, timeout))"}},
    {"DuplicateKey", "workers: 1\nworkers: 2\n",
     {R"(tradesentry.yaml:2:1: workers: duplicate key)"}},
    {"SyntaxErrorIllegalMapValue", "workers: 1\ncapture:\n  snaplen: a: b\n",
     {R"(tradesentry.yaml:3:13: YAML syntax error: illegal map value)"}},
    {"SyntaxErrorUnclosedFlow", "workers: 1\nrule-files: [a.rules\n",
     {R"(tradesentry.yaml:3:1: YAML syntax error: end of sequence flow not found)"}},
    {"ManyErrorsTogether",
     "workers: 300\n"
     "capture:\n"
     "  snaplenn: 100\n"
     "  buffer-size: lots\n"
     "flow:\n"
     "  memcap: 64m\n"
     "  timeouts:\n"
     "    tcp-new: soon\n"
     "outputs:\n"
     "  log-dir: \"\"\n"
     "  metrics-file: yes please\n",
     {
         R"(tradesentry.yaml:1:10: workers: expected an integer from 0 to 256, got "300")",
         R"(tradesentry.yaml:3:3: capture.snaplenn: unknown key, did you mean "snaplen"?)",
         R"(tradesentry.yaml:4:16: capture.buffer-size: expected a size like 128m, got "lots")",
         R"(tradesentry.yaml:8:14: flow.timeouts.tcp-new: expected a duration like 30s, got "soon")",
         R"(tradesentry.yaml:10:12: outputs.log-dir: expected a non-empty string, got "")",
         R"(tradesentry.yaml:11:17: outputs.metrics-file: expected true or false, got "yes please")",
     }},
};

INSTANTIATE_TEST_SUITE_P(Table, BadConfig, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& i) {
                           return std::string(i.param.name);
                         });

TEST(ConfigLoader, MissingFileNamesTheFile) {
  const LoadResult r = load_file("/nonexistent/tradesentry.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(),
            "/nonexistent/tradesentry.yaml: cannot open: No such file or directory");
}

TEST(ConfigLoader, FileErrorsCarryTheFileName) {
  const std::string path = std::string(TS_BINARY_DIR) + "/loader_test_bad.yaml";
  {
    std::ofstream out(path);
    out << "workers: 4\nstream:\n  midstream: sometimes\n";
  }
  const LoadResult r = load_file(path);
  std::remove(path.c_str());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(),
            path + R"(:3:14: stream.midstream: expected true or false, got "sometimes")");
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_EQ(r.errors[0].column, 14);
}

TEST(ConfigError, StrWithoutPosition) {
  EXPECT_EQ((ConfigError{"a.yaml", 0, 0, "boom"}).str(), "a.yaml: boom");
  EXPECT_EQ((ConfigError{"a.yaml", 3, 0, "boom"}).str(), "a.yaml:3: boom");
  EXPECT_EQ((ConfigError{"a.yaml", 3, 7, "boom"}).str(), "a.yaml:3:7: boom");
}

}  // namespace
}  // namespace ts::config
