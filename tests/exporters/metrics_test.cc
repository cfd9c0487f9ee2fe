// MetricsRegistry: exact exposition text, atomic metrics.prom, and the HTTP endpoint.
#include "exporters/metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sensor/counter.h"

namespace ts::exporters {
namespace {

namespace fs = std::filesystem;

// Stand-ins for per-worker counter blocks: single writer, read at scrape time.
struct FakeWorker {
  Counter packets;
  Counter bytes;
  Counter kernel_drops;
};

void register_sample(MetricsRegistry& reg, const FakeWorker* w0, const FakeWorker* w1) {
  reg.add_callback([w0, w1](MetricsSink& s) {
    s.counter("tradesentry_packets_total", "Packets captured.", {{"interface", "eth1"}},
              static_cast<double>(w0->packets.get() + w1->packets.get()));
    s.counter("tradesentry_bytes_total", "Bytes captured.", {{"interface", "eth1"}},
              static_cast<double>(w0->bytes.get() + w1->bytes.get()));
    s.counter("tradesentry_dropped_packets_total", "Packets lost, by stage.",
              {{"interface", "eth1"}, {"stage", "kernel"}},
              static_cast<double>(w0->kernel_drops.get()));
    s.counter("tradesentry_dropped_packets_total", "Packets lost, by stage.",
              {{"interface", "eth1"}, {"stage", "ring"}}, 0);
  });
  reg.add_callback([](MetricsSink& s) {
    s.gauge("tradesentry_flows_active", "Flows in the flow tables.", {}, 42);
    s.counter("tradesentry_alerts_total", "Alerts raised, by severity.",
              {{"severity", "quote\" back\\ nl\n"}}, 1);
    s.histogram("tradesentry_handshake_rtt_seconds", "TCP handshake round-trip time.", {},
                {0.001, 0.01, 0.1}, {5, 3, 1}, 0.125, 10);
  });
}

TEST(MetricsRegistry, TextIsExact) {
  FakeWorker w0, w1;
  w0.packets.inc(1000);
  w1.packets.inc(234);
  w0.bytes.inc(64000);
  w1.bytes.inc(1);
  w0.kernel_drops.inc(7);
  MetricsRegistry reg;
  register_sample(reg, &w0, &w1);
  EXPECT_EQ(reg.text(),
            "# HELP tradesentry_packets_total Packets captured.\n"
            "# TYPE tradesentry_packets_total counter\n"
            "tradesentry_packets_total{interface=\"eth1\"} 1234\n"
            "# HELP tradesentry_bytes_total Bytes captured.\n"
            "# TYPE tradesentry_bytes_total counter\n"
            "tradesentry_bytes_total{interface=\"eth1\"} 64001\n"
            "# HELP tradesentry_dropped_packets_total Packets lost, by stage.\n"
            "# TYPE tradesentry_dropped_packets_total counter\n"
            "tradesentry_dropped_packets_total{interface=\"eth1\",stage=\"kernel\"} 7\n"
            "tradesentry_dropped_packets_total{interface=\"eth1\",stage=\"ring\"} 0\n"
            "# HELP tradesentry_flows_active Flows in the flow tables.\n"
            "# TYPE tradesentry_flows_active gauge\n"
            "tradesentry_flows_active 42\n"
            "# HELP tradesentry_alerts_total Alerts raised, by severity.\n"
            "# TYPE tradesentry_alerts_total counter\n"
            "tradesentry_alerts_total{severity=\"quote\\\" back\\\\ nl\\n\"} 1\n"
            "# HELP tradesentry_handshake_rtt_seconds TCP handshake round-trip time.\n"
            "# TYPE tradesentry_handshake_rtt_seconds histogram\n"
            "tradesentry_handshake_rtt_seconds_count 10\n"
            "tradesentry_handshake_rtt_seconds_sum 0.125\n"
            "tradesentry_handshake_rtt_seconds_bucket{le=\"0.001\"} 5\n"
            "tradesentry_handshake_rtt_seconds_bucket{le=\"0.01\"} 8\n"
            "tradesentry_handshake_rtt_seconds_bucket{le=\"0.1\"} 9\n"
            "tradesentry_handshake_rtt_seconds_bucket{le=\"+Inf\"} 10\n");
  // Scrapes see live values: no caching between scrapes.
  w1.packets.inc(6);
  EXPECT_NE(reg.text().find("tradesentry_packets_total{interface=\"eth1\"} 1240\n"),
            std::string::npos);
}

TEST(MetricsRegistry, CollectGroupsFamiliesAndRejectsTypeConflicts) {
  MetricsSink s;
  s.counter("a_total", "A.", {{"k", "1"}}, 1);
  s.gauge("b", "B.", {}, 2);
  s.counter("a_total", "ignored help", {{"k", "2"}}, 3);
  s.gauge("a_total", "wrong type", {}, 4);
  EXPECT_EQ(s.type_conflicts(), 1u);
  const auto fams = s.take();
  ASSERT_EQ(fams.size(), 2u);
  EXPECT_EQ(fams[0].name, "a_total");
  EXPECT_EQ(fams[0].help, "A.");
  EXPECT_EQ(fams[0].type, prometheus::MetricType::Counter);
  ASSERT_EQ(fams[0].metric.size(), 2u);
  EXPECT_EQ(fams[0].metric[1].counter.value, 3);
  EXPECT_EQ(fams[1].name, "b");
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(MetricsRegistry, WriteFileReplacesAtomically) {
  char tmpl[] = "/tmp/ts_metrics_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/metrics.prom";
  {
    std::ofstream(path) << "old content\n";
  }
  struct stat before {};
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  std::ifstream old_reader(path);  // a reader that opened the old file keeps seeing it

  FakeWorker w0, w1;
  MetricsRegistry reg;
  register_sample(reg, &w0, &w1);
  std::string err;
  ASSERT_TRUE(reg.write_file(path, &err)) << err;
  EXPECT_EQ(read_all(path), reg.text());
  struct stat after {};
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // replaced by rename, not rewritten in place
  std::string old_line;
  std::getline(old_reader, old_line);
  EXPECT_EQ(old_line, "old content");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);  // no temporary left behind

  EXPECT_FALSE(reg.write_file(dir + "/missing/metrics.prom", &err));
  EXPECT_EQ(err.rfind("cannot create " + dir + "/missing/metrics.prom.tmp.", 0), 0u) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
  fs::remove_all(dir);
}

// Minimal HTTP/1.0 GET; returns the whole response (status line, headers, body).
std::string http_get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return out;
}

TEST(MetricsRegistry, EndpointServesMetricsAndPortInUseFailsCleanly) {
  FakeWorker w0, w1;
  w0.packets.inc(5);
  MetricsRegistry reg;
  register_sample(reg, &w0, &w1);
  std::string err;
  ASSERT_TRUE(reg.start_endpoint("127.0.0.1:0", &err)) << err;
  const auto ports = reg.endpoint_ports();
  ASSERT_EQ(ports.size(), 1u);
  ASSERT_GT(ports[0], 0);

  const std::string resp = http_get(ports[0], "/metrics");
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp;
  EXPECT_NE(resp.find("\ntradesentry_packets_total{interface=\"eth1\"} 5\n"), std::string::npos)
      << resp;
  EXPECT_NE(resp.find("\ntradesentry_flows_active 42\n"), std::string::npos) << resp;
  EXPECT_NE(resp.find("# TYPE tradesentry_handshake_rtt_seconds histogram\n"), std::string::npos);

  MetricsRegistry other;
  const std::string addr = "127.0.0.1:" + std::to_string(ports[0]);
  EXPECT_FALSE(other.start_endpoint(addr, &err));
  EXPECT_EQ(err, "cannot serve metrics on " + addr + ": Address already in use");
  EXPECT_TRUE(other.endpoint_ports().empty());

  EXPECT_FALSE(other.start_endpoint("no-such-host.invalid:9888", &err));
  EXPECT_EQ(err.rfind("cannot serve metrics on no-such-host.invalid:9888: ", 0), 0u) << err;

  reg.stop_endpoint();
  EXPECT_TRUE(reg.endpoint_ports().empty());
  EXPECT_EQ(http_get(ports[0], "/metrics"), "");  // nothing listens any more
}

// Writes the sample exposition to $TS_METRICS_SAMPLE_OUT for promtool_test.sh
// (`promtool check metrics`); skipped when the variable is not set.
TEST(MetricsRegistry, WritesSampleForPromtool) {
  const char* out = std::getenv("TS_METRICS_SAMPLE_OUT");
  if (!out) GTEST_SKIP() << "TS_METRICS_SAMPLE_OUT not set";
  FakeWorker w0, w1;
  w0.packets.inc(3);
  MetricsRegistry reg;
  register_sample(reg, &w0, &w1);
  std::string err;
  ASSERT_TRUE(reg.write_file(out, &err)) << err;
}

}  // namespace
}  // namespace ts::exporters
