// The pipeline against tshark on the same files: decoder counters exactly equal tshark's
// frame counts, and TCP payload delivered per direction equals tshark's follow,tcp,raw
// byte for byte. Runs on the shared corpus (skipped when ../shared is absent) and on
// captures made by our own generator.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/integration/test_support.h"

namespace ts::test {
namespace {

std::vector<std::string> corpus_files() {
  std::vector<std::string> v;
  const std::string d = shared_dir();
  if (d.empty()) return v;
  for (const char* n : {"fix_normal", "step_normal", "md_feed", "background", "fix_attacks",
                        "web_attacks", "net_attacks", "link_anomalies", "mixed"})
    v.push_back(d + "/corpus/" + n + ".pcap");
  return v;
}

// Generated captures, made once per test binary run.
const std::vector<std::string>& generated_files() {
  static std::vector<std::string> files = [] {
    std::vector<std::string> v;
    const std::string dir = make_temp_dir();
    const std::string gen = std::string(TS_BINARY_DIR) + "/tsgen";
    const std::vector<std::pair<std::string, std::string>> specs = {
        {"mix_seed1.pcap", "--seed 1 --packets 20000"},
        {"mix_seed7.pcap", "--seed 7 --packets 30000 --ipv6-share 0.3"},
        {"zoo.pcap", "--seed 3 --profile zoo"}};
    for (auto& [name, args] : specs) {
      int st = 0;
      run_command(gen + " " + args + " --out " + dir + "/" + name + " 2>/dev/null", &st);
      if (st == 0) v.push_back(dir + "/" + name);
    }
    return v;
  }();
  return files;
}

void expect_counts_equal(const std::string& pcap, int workers) {
  SCOPED_TRACE(pcap + " workers=" + std::to_string(workers));
  const TsharkCounts t = tshark_counts(pcap);
  ASSERT_GT(t.pkts, 0u) << "tshark read nothing";
  const RunResult r = run_pipeline({pcap}, workers, false);
  ASSERT_EQ(r.counters.count("error"), 0u);
  EXPECT_EQ(r.counters.at("decoder.pkts"), t.pkts);
  EXPECT_EQ(r.counters.at("decoder.bytes"), t.bytes);
  EXPECT_EQ(r.counters.at("decoder.ipv4"), t.ipv4);
  EXPECT_EQ(r.counters.at("decoder.ipv6"), t.ipv6);
  EXPECT_EQ(r.counters.at("decoder.tcp"), t.tcp);
  EXPECT_EQ(r.counters.at("decoder.udp"), t.udp);
  EXPECT_EQ(r.counters.at("capture.kernel_packets"), t.pkts);
  EXPECT_EQ(r.counters.at("capture.kernel_drops"), 0u);
}

void expect_streams_equal(const std::string& pcap, int max_streams, bool require_data) {
  SCOPED_TRACE(pcap);
  const auto want = tshark_follow(pcap, max_streams);
  if (require_data) {
    ASSERT_FALSE(want.empty()) << "tshark followed no stream";
  }
  const RunResult r = run_pipeline({pcap}, 2, true);
  for (const auto& [key, w] : want) {
    SCOPED_TRACE(key);
    auto it = r.streams.find(key);
    ASSERT_NE(it, r.streams.end()) << "stream not delivered";
    EXPECT_EQ(it->second.gaps, 0u);
    EXPECT_EQ(it->second.to_server.size(), w.to_server.size());
    EXPECT_EQ(it->second.to_client.size(), w.to_client.size());
    EXPECT_TRUE(it->second.to_server == w.to_server) << "client->server bytes differ";
    EXPECT_TRUE(it->second.to_client == w.to_client) << "server->client bytes differ";
  }
}

class TsharkParity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("tshark")) GTEST_SKIP() << "tshark not installed (make deps installs it)";
  }
};

TEST_F(TsharkParity, CorpusDecoderCountersEqualTshark) {
  const auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "../shared/corpus absent: corpus parity not checked";
  for (const auto& f : files) expect_counts_equal(f, 2);
}

TEST_F(TsharkParity, GeneratedDecoderCountersEqualTshark) {
  ASSERT_EQ(generated_files().size(), 3u) << "tsgen failed";
  for (const auto& f : generated_files()) {
    expect_counts_equal(f, 1);
    expect_counts_equal(f, 2);
  }
}

TEST_F(TsharkParity, CorpusStreamsEqualTsharkFollow) {
  const auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "../shared/corpus absent: corpus parity not checked";
  for (const auto& f : files) expect_streams_equal(f, 40, false);
}

// The TCP analysis counters equal what Wireshark's expert info reports on the corpus
// (the labels' summary.expected_tcp_expert, checked there against tshark 4.0).
TEST(CorpusTcpAnalysis, CountersEqualWiresharkExpertInfo) {
  const auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "../shared/corpus absent: corpus TCP analysis not checked";
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    const std::string labels = f.substr(0, f.size() - 5) + ".labels.json";
    const std::string want = run_command(
        "/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))[\"summary\"]"
        "[\"expected_tcp_expert\"]; print(*[e.get(k,0) for k in (\"retransmission\","
        "\"out_of_order\",\"previous_segment_not_captured\",\"connection_reset\")])' " +
        labels);
    const RunResult r = run_pipeline({f}, 2, false);
    const std::string got = std::to_string(r.counters.at("tcp.retransmissions")) + " " +
                            std::to_string(r.counters.at("tcp.out_of_order")) + " " +
                            std::to_string(r.counters.at("tcp.lost_segments")) + " " +
                            std::to_string(r.counters.at("tcp.rst")) + "\n";
    EXPECT_EQ(got, want) << "retransmissions out_of_order lost_segments rst";
    EXPECT_EQ(r.counters.at("tcp.reassembly_gap"), 0u);
  }
}

TEST_F(TsharkParity, GeneratedStreamsEqualTsharkFollow) {
  ASSERT_FALSE(generated_files().empty());
  expect_streams_equal(generated_files()[0], 60, true);
}

}  // namespace
}  // namespace ts::test
