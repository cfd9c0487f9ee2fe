// EveWriter: exact stats and flow events, append mode, and write-error accounting.
#include "exporters/eve_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ts::exporters {
namespace {

namespace fs = std::filesystem;

constexpr Nanos kT0 = 1795483800 * kNanosPerSec;  // 2026-11-24T09:30:00+0800

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EveWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) old_tz_ = tz;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    char tmpl[] = "/tmp/ts_eve_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    fs::remove_all(dir_);
    if (had_tz_) setenv("TZ", old_tz_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  // Writes one event through a fresh writer and returns the file's content.
  template <class Fn>
  std::string one_event(Fn&& fn) {
    EveWriter w(dir_);
    std::string err;
    EXPECT_TRUE(w.open(&err)) << err;
    fn(w);
    w.close();
    EXPECT_EQ(w.write_errors(), 0u);
    std::string s = read_all(dir_ + "/eve.json");
    fs::remove(dir_ + "/eve.json");
    return s;
  }

  std::string dir_;
  bool had_tz_ = false;
  std::string old_tz_;
};

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t p[4] = {a, b, c, d};
  return IpAddr::v4(p);
}

TEST_F(EveWriterTest, StatsEventNestsDottedCounters) {
  const std::string line = one_event([](EveWriter& w) {
    w.write_stats(kT0 + 123456789,
                  {{"decoder.pkts", 100},
                   {"decoder.bytes", 6400},
                   {"flow.total", 3},
                   {"decoder.ipv4", 90},
                   {"capture.kernel_packets", 100},
                   {"capture.kernel_drops", 0},
                   {"tcp.retransmissions", 2},
                   {"detect.alert", 1},
                   {"app.fix.sessions.active", 4},
                   {"app.fix.messages", 77},
                   {"app.md.gaps", 5}},
                  12.9);
  });
  EXPECT_EQ(line,
            R"({"timestamp":"2026-11-24T09:30:00.123456+0800","event_type":"stats","stats":{)"
            R"("uptime":12,"decoder":{"pkts":100,"bytes":6400,"ipv4":90},"flow":{"total":3},)"
            R"("capture":{"kernel_packets":100,"kernel_drops":0},"tcp":{"retransmissions":2},)"
            R"("detect":{"alert":1},"app":{"fix":{"sessions":{"active":4},"messages":77},)"
            R"("md":{"gaps":5}}}})"
            "\n");
}

TEST_F(EveWriterTest, TcpFlowEvent) {
  FlowEvent f;
  f.flow_id = 1234;
  f.start = kT0 - 41 * kNanosPerSec - 500 * kNanosPerMs;  // 09:29:18.5
  f.end = kT0 + 123456000;
  f.src = v4(10, 1, 2, 3);
  f.dst = v4(10, 9, 9, 9);
  f.sport = 51000;
  f.dport = 9876;
  f.ip_proto = 6;
  f.vlan[0] = 100;
  f.vlan_count = 1;
  f.pkts_toserver = 10;
  f.pkts_toclient = 8;
  f.bytes_toserver = 1500;
  f.bytes_toclient = 900;
  f.state = "closed";
  f.reason = "timeout";
  f.tcp_flags_ts = 0x1b;  // SYN FIN PSH ACK
  f.tcp_flags_tc = 0x1a;  // SYN PSH ACK
  const std::string line = one_event([&](EveWriter& w) { w.write_flow(f); });
  EXPECT_EQ(line,
            R"({"timestamp":"2026-11-24T09:30:00.123456+0800","flow_id":1234,)"
            R"("event_type":"flow","vlan":[100],"src_ip":"10.1.2.3","src_port":51000,)"
            R"("dest_ip":"10.9.9.9","dest_port":9876,"proto":"TCP","flow":{)"
            R"("pkts_toserver":10,"pkts_toclient":8,"bytes_toserver":1500,)"
            R"("bytes_toclient":900,"start":"2026-11-24T09:29:18.500000+0800",)"
            R"("end":"2026-11-24T09:30:00.123456+0800","age":42,"state":"closed",)"
            R"("reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b",)"
            R"("tcp_flags_ts":"1b","tcp_flags_tc":"1a","syn":true,"fin":true,"psh":true,)"
            R"("ack":true}})"
            "\n");
}

TEST_F(EveWriterTest, UdpIpv6FlowWithTwoVlansHasNoTcpObject) {
  FlowEvent f;
  f.flow_id = 7;
  f.start = kT0;
  f.end = kT0 + 2 * kNanosPerSec;
  const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t b[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb};
  f.src = IpAddr::v6(a);
  f.dst = IpAddr::v6(b);
  f.sport = 5353;
  f.dport = 5353;
  f.ip_proto = 17;
  f.vlan[0] = 10;
  f.vlan[1] = 20;
  f.vlan_count = 2;
  f.pkts_toserver = 1;
  f.bytes_toserver = 120;
  f.state = "new";
  f.reason = "shutdown";
  f.alerted = true;
  const std::string line = one_event([&](EveWriter& w) { w.write_flow(f); });
  EXPECT_EQ(line,
            R"({"timestamp":"2026-11-24T09:30:02.000000+0800","flow_id":7,)"
            R"("event_type":"flow","vlan":[10,20],"src_ip":"2001:0db8:0000:0000:0000:0000:0000:0001","src_port":5353,)"
            R"("dest_ip":"ff02:0000:0000:0000:0000:0000:0000:00fb","dest_port":5353,"proto":"UDP","flow":{)"
            R"("pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":120,"bytes_toclient":0,)"
            R"("start":"2026-11-24T09:30:00.000000+0800","end":"2026-11-24T09:30:02.000000+0800",)"
            R"("age":2,"state":"new","reason":"shutdown","alerted":true}})"
            "\n");
}

TEST_F(EveWriterTest, IcmpFlowHasNoPorts) {
  FlowEvent f;
  f.flow_id = 9;
  f.start = f.end = kT0;
  f.src = v4(192, 168, 0, 1);
  f.dst = v4(192, 168, 0, 2);
  f.ip_proto = 1;
  f.reason = "forced";
  const std::string line = one_event([&](EveWriter& w) { w.write_flow(f); });
  EXPECT_EQ(line,
            R"({"timestamp":"2026-11-24T09:30:00.000000+0800","flow_id":9,)"
            R"("event_type":"flow","src_ip":"192.168.0.1","dest_ip":"192.168.0.2",)"
            R"("proto":"ICMP","flow":{"pkts_toserver":0,"pkts_toclient":0,)"
            R"("bytes_toserver":0,"bytes_toclient":0,"start":"2026-11-24T09:30:00.000000+0800",)"
            R"("end":"2026-11-24T09:30:00.000000+0800","age":0,"state":"new",)"
            R"("reason":"forced","alerted":false}})"
            "\n");
}

TEST(ProtoName, NamesAndNumbers) {
  EXPECT_EQ(proto_name(6), "TCP");
  EXPECT_EQ(proto_name(17), "UDP");
  EXPECT_EQ(proto_name(1), "ICMP");
  EXPECT_EQ(proto_name(58), "IPv6-ICMP");
  EXPECT_EQ(proto_name(132), "SCTP");
  EXPECT_EQ(proto_name(47), "GRE");
  EXPECT_EQ(proto_name(4), "004");
  EXPECT_EQ(proto_name(253), "253");
}

TEST_F(EveWriterTest, AppendsToExistingFileAndBuffersUntilFlush) {
  const std::string path = dir_ + "/eve.json";
  {
    std::ofstream(path) << "{\"old\":1}\n";
  }
  EveWriter w(dir_);
  std::string err;
  ASSERT_TRUE(w.open(&err)) << err;
  EXPECT_EQ(w.path(), path);
  w.write_line(R"({"a":1})");
  w.write_line(R"({"b":2})");
  EXPECT_EQ(read_all(path), "{\"old\":1}\n");  // buffered, not written yet
  EXPECT_GT(w.pending_bytes(), 0u);
  EXPECT_TRUE(w.flush());
  EXPECT_EQ(w.pending_bytes(), 0u);
  EXPECT_EQ(read_all(path), "{\"old\":1}\n{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(w.lines(), 2u);
  w.close();
  w.close();  // idempotent
  EXPECT_EQ(w.write_errors(), 0u);
}

TEST_F(EveWriterTest, OpenFailureIsAClearMessage) {
  EveWriter w(dir_ + "/no/such/dir");
  std::string err;
  EXPECT_FALSE(w.open(&err));
  EXPECT_EQ(err, "cannot open " + dir_ + "/no/such/dir/eve.json: No such file or directory");
}

TEST_F(EveWriterTest, DiskFullIsCountedNotThrown) {
  EveWriter w(EveWriter::File{"/dev/full"});
  std::string err;
  ASSERT_TRUE(w.open(&err)) << err;
  w.write_line(R"({"a":1})");
  EXPECT_FALSE(w.flush());
  EXPECT_EQ(w.write_errors(), 1u);
  EXPECT_EQ(w.last_errno(), ENOSPC);
  EXPECT_EQ(w.pending_bytes(), 8u);  // kept for the retry
  EXPECT_FALSE(w.flush());
  EXPECT_EQ(w.write_errors(), 2u);
  w.close();
  EXPECT_EQ(w.write_errors(), 3u);  // the flush in close(); fsync on a device is not counted
}

// A partial write (file size limit reached mid-buffer) keeps exactly the unwritten tail;
// the next flush, once space is back, completes the file byte for byte.
TEST_F(EveWriterTest, RetriesTheUnwrittenTailOnNextFlush) {
  const std::string path = dir_ + "/eve.json";
  EveWriter w(dir_);
  std::string err;
  ASSERT_TRUE(w.open(&err)) << err;
  const std::string line = R"({"payload":")" + std::string(300, 'x') + R"("})";
  w.write_line(line);

  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const bool first = w.flush();
  const uint64_t errors = w.write_errors();
  const int err_no = w.last_errno();
  const std::size_t pending = w.pending_bytes();
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_FALSE(first);
  EXPECT_EQ(errors, 1u);
  EXPECT_EQ(err_no, EFBIG);
  EXPECT_EQ(pending, line.size() + 1 - 100);
  EXPECT_TRUE(w.flush());
  w.close();
  EXPECT_EQ(read_all(path), line + "\n");
}

}  // namespace
}  // namespace ts::exporters
