#include "tests/integration/test_support.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

namespace ts::test {

std::string run_command(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  char buf[65536];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

bool have_program(const char* name) {
  int st = 0;
  run_command(std::string("command -v ") + name + " >/dev/null 2>&1", &st);
  return st == 0;
}

std::string shared_dir() {
  const std::string d = std::string(TS_SOURCE_DIR) + "/../shared";
  struct stat st {};
  return stat((d + "/corpus").c_str(), &st) == 0 ? d : std::string();
}

std::string make_temp_dir() {
  char tmpl[] = "/tmp/tradesentry-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? std::string(d) : std::string("/tmp");
}

std::string endpoint(const IpAddr& a, Port p) {
  char buf[64];
  // tshark prints IPv6 compressed; EVE's format_ip writes it in full.
  if (a.family == 6) inet_ntop(AF_INET6, a.b.data(), buf, sizeof buf);
  else format_ip(a, buf, sizeof buf);
  if (a.family == 6) return "[" + std::string(buf) + "]:" + std::to_string(p);
  return std::string(buf) + ":" + std::to_string(p);
}

namespace {
std::string key_of(const Flow& f) {
  return endpoint(f.key.client, f.key.client_port) + " " +
         endpoint(f.key.server, f.key.server_port);
}
}  // namespace

void RecordingConsumer::on_stream_data(Flow& f, Dir d, std::span<const uint8_t> b,
                                       Nanos) noexcept {
  StreamRecord& r = streams[key_of(f)];
  (d == Dir::kToServer ? r.to_server : r.to_client)
      .append(reinterpret_cast<const char*>(b.data()), b.size());
}

void RecordingConsumer::on_stream_gap(Flow& f, Dir, uint32_t, Nanos) noexcept {
  streams[key_of(f)].gaps++;
}

RunResult run_pipeline(const std::vector<std::string>& files, int workers,
                       bool record_streams, const std::string& log_dir,
                       std::shared_ptr<const sig::CompiledRules> rules) {
  config::LoadResult lr = config::load_default();
  config::SensorConfig cfg = lr.config;
  cfg.outputs.metrics_file = false;
  PipelineOptions opts;
  opts.files = files;
  opts.workers = workers;
  opts.log_dir = log_dir.empty() ? make_temp_dir() : log_dir;
  opts.rules = std::move(rules);
  Pipeline p(cfg, opts);
  std::vector<RecordingConsumer*> recs;
  if (record_streams) {
    p.add_stream_consumer([&recs](int) {
      auto c = std::make_unique<RecordingConsumer>();
      recs.push_back(c.get());
      return c;
    });
  }
  std::string err;
  RunResult r;
  if (!p.open(&err)) {
    r.counters["error"] = 1;
    return r;
  }
  p.start();
  while (!p.finished()) usleep(2000);
  p.finish();
  for (auto& [k, v] : p.stats_counters()) r.counters[k] = v;
  for (RecordingConsumer* c : recs)
    for (auto& [k, v] : c->streams) r.streams[k] = v;
  return r;
}

TsharkCounts tshark_counts(const std::string& pcap) {
  TsharkCounts c;
  const std::string out =
      run_command("tshark -n -r '" + pcap + "' -T fields -e frame.len -e frame.protocols 2>/dev/null");
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    c.pkts++;
    c.bytes += std::stoull(line.substr(0, tab));
    // Count each protocol once per frame, as a display filter `-Y ip` would.
    bool v4 = false, v6 = false, tcp = false, udp = false;
    std::istringstream ps(line.substr(tab + 1));
    std::string proto;
    while (std::getline(ps, proto, ':')) {
      v4 |= proto == "ip";
      v6 |= proto == "ipv6";
      tcp |= proto == "tcp";
      udp |= proto == "udp";
    }
    c.ipv4 += v4;
    c.ipv6 += v6;
    c.tcp += tcp;
    c.udp += udp;
  }
  return c;
}

namespace {
std::string unhex(const std::string& h) {
  std::string out;
  out.reserve(h.size() / 2);
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}
}  // namespace

std::map<std::string, StreamRecord> tshark_follow(const std::string& pcap, int max_streams) {
  std::string cmd = "tshark -n -r '" + pcap + "' -o tcp.reassemble_out_of_order:TRUE -q";
  for (int i = 0; i < max_streams; ++i) cmd += " -z follow,tcp,raw," + std::to_string(i);
  const std::string out = run_command(cmd + " 2>/dev/null");
  std::map<std::string, StreamRecord> res;
  std::istringstream in(out);
  std::string line, node0, node1;
  StreamRecord cur;
  bool in_stream = false;
  auto finish = [&] {
    if (in_stream && !node0.empty() && (!cur.to_server.empty() || !cur.to_client.empty()))
      res[node0 + " " + node1] = cur;
    cur = StreamRecord{};
    node0.clear();
    node1.clear();
    in_stream = false;
  };
  while (std::getline(in, line)) {
    if (line.rfind("=====", 0) == 0) {
      finish();
      continue;
    }
    if (line.rfind("Follow:", 0) == 0 || line.rfind("Filter:", 0) == 0) {
      in_stream = true;
      continue;
    }
    if (line.rfind("Node 0: ", 0) == 0) { node0 = line.substr(8); continue; }
    if (line.rfind("Node 1: ", 0) == 0) { node1 = line.substr(8); continue; }
    if (!in_stream || line.empty()) continue;
    if (line[0] == '\t') cur.to_client += unhex(line.substr(1));
    else cur.to_server += unhex(line);
  }
  finish();
  return res;
}

}  // namespace ts::test
