// Signature engine: per-packet Detector::inspect cost with many rules (the ET Open ruleset
// when ../shared/rules/et-open is present, else a synthetic set), the TCP stream path through
// FlowTable + TcpTracker + Detector, and raw hs_scan throughput of one block database built
// from the same rules over the same payloads. Before the benchmarks it prints the ET figures:
// rule load time, full compile time, cached compile time (the cached restart), database bytes.
// Reports allocations per packet (tests/alloc_hook.cc).
#include <benchmark/benchmark.h>
#include <hs/hs.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "sensor/flow_hash.h"
#include "sensor/flow_table.h"
#include "sensor/tcp_stream.h"
#include "signatures/engine.h"
#include "signatures/hs_compile.h"
#include "signatures/parser.h"
#include "tests/alloc_hook.h"
#include "bench/flow_segments.h"
#include "tests/sensor/packet_builder.h"

namespace ts::sig {
namespace {

using Clock = std::chrono::steady_clock;
double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

std::string et_dir() {
  const char* e = std::getenv("TS_ET_RULES");
  return e ? e : "../shared/rules/et-open";
}

std::vector<std::string> et_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(et_dir(), ec))
    if (e.path().extension() == ".rules") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Synthetic stand-in when ET is absent: 5000 rules, literal chains over printable text.
RuleSet synthetic_rules() {
  std::mt19937 rng(7);
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    for (int k = 0; k < 6 + static_cast<int>(rng() % 8); ++k)
      w.push_back(static_cast<char>('a' + rng() % 26));
    text += "alert " + std::string(i % 2 ? "tcp" : "udp") + " any any -> any any (msg:\"s" +
            std::to_string(i) + "\"; content:\"" + w + "\"; sid:" + std::to_string(i + 1) + ";)\n";
  }
  return parse_rules(text, "synthetic.rules", LoadOptions{});
}

struct Engine {
  std::shared_ptr<const CompiledRules> rules;
  RuleSet source;  // a copy, for the raw scan database
  std::string name;
};

Engine& engine() {
  static Engine e = [] {
    Engine x;
    const auto files = et_files();
    if (!files.empty()) {
      x.source = load_rules(files, LoadOptions{});
      x.name = "et-open";
    } else {
      x.source = synthetic_rules();
      x.name = "synthetic";
    }
    std::string err;
    const std::string cache =
        (std::filesystem::temp_directory_path() / "ts_detect_bench_cache").string();
    x.rules = CompiledRules::compile(x.source, CompileOptions{cache, false}, &err);
    if (!x.rules) std::fprintf(stderr, "compile failed: %s\n", err.c_str());
    return x;
  }();
  return e;
}

// ET figures, printed once before the benchmarks.
void print_et_figures() {
  const auto files = et_files();
  if (files.empty()) {
    std::printf("ET figures: %s absent, skipped\n", et_dir().c_str());
    return;
  }
  const std::string cache =
      (std::filesystem::temp_directory_path() / "ts_detect_bench_et_cache").string();
  std::filesystem::remove_all(cache);
  auto t = Clock::now();
  RuleSet set = load_rules(files, LoadOptions{});
  const double load_s = secs(t);
  std::printf("ET: %zu files, %zu rules loaded, %zu skipped, %zu errors, load %.2f s\n",
              files.size(), set.rules.size(), set.skipped.size(), set.errors.size(), load_s);
  std::string err;
  CompileStats st;
  t = Clock::now();
  auto cr = CompiledRules::compile(set, CompileOptions{cache, false}, &err, &st);
  const double full_s = secs(t);
  if (!cr) {
    std::printf("ET compile failed: %s\n", err.c_str());
    return;
  }
  std::size_t header = 0;
  for (uint32_t i = 0; i < cr->size(); ++i) header += cr->path(i) == CompiledRules::Path::kHeader;
  std::printf(
      "ET compile (no cache): %.2f s; rules %zu: ip_only %zu, header-only %zu, exact %zu, "
      "prefiltered %zu, no_pattern %zu; groups %zu; databases %zu bytes; dropped at compile "
      "%zu\n",
      full_s, st.rules, st.ip_only, header, st.exact, st.prefiltered, st.no_pattern, st.groups,
      st.database_bytes, cr->ruleset().errors.size() - set.errors.size());
  // Cached restart: load the rule files and compile again with the cache in place.
  t = Clock::now();
  RuleSet set2 = load_rules(files, LoadOptions{});
  const double load2_s = secs(t);
  CompileStats st2;
  auto cr2 = CompiledRules::compile(std::move(set2), CompileOptions{cache, false}, &err, &st2);
  const double restart_s = secs(t);
  std::printf("ET cached restart: %.2f s (load %.2f s + compile %.2f s, from_cache=%d)\n",
              restart_s, load2_s, st2.compile_seconds, st2.from_cache ? 1 : 0);
  std::filesystem::remove_all(cache);
}

// Payloads: HTTP-ish requests, binary, text; every packet meets real rule groups.
std::vector<std::string> payloads() {
  std::mt19937 rng(11);
  std::vector<std::string> v;
  const char* reqs[] = {
      "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (Windows "
      "NT 10.0; Win64; x64)\r\nAccept: */*\r\nCookie: session=abcdef0123456789\r\n\r\n",
      "POST /api/v1/orders HTTP/1.1\r\nHost: broker.example\r\nContent-Type: "
      "application/json\r\nContent-Length: 120\r\n\r\n{\"symbol\":\"ABC\",\"qty\":100}",
      "8=FIX.4.2\x01"
      "9=178\x01"
      "35=D\x01"
      "49=SENDER\x01"
      "56=TARGET\x01"
      "34=12\x01"
      "52=20240101-12:00:00\x01"
      "11=ORD1\x01"
      "55=MSFT\x01"
      "54=1\x01"
      "38=100\x01"
      "40=2\x01"
      "44=10.5\x01"
      "10=123\x01"};
  for (const char* r : reqs) {
    std::string s = r;
    while (s.size() < 512) s += s;
    v.push_back(s.substr(0, 512));
  }
  std::string bin(512, '\0');
  for (char& c : bin) c = static_cast<char>(rng());
  v.push_back(bin);
  return v;
}

class CountSink : public AlertSink {
 public:
  void on_alert(const Alert&) noexcept override { ++n; }
  uint64_t n = 0;
};

// Detector::inspect on UDP and on TCP packets scanned one by one (no reassembly), no flow.
void BM_InspectPacket(benchmark::State& state) {
  Engine& e = engine();
  if (!e.rules) {
    state.SkipWithError("no rules");
    return;
  }
  const bool tcp = state.range(0) == 1;
  CountSink sink;
  Detector det(e.rules, DetectorConfig{0, 0, false}, &sink);
  const auto pls = payloads();
  std::vector<PacketView> pkts;
  for (std::size_t i = 0; i < pls.size(); ++i) {
    const IpAddr s = test::ip4(10, 1, 1, static_cast<uint8_t>(i)), d = test::ip4(192, 168, 0, 1);
    pkts.push_back(tcp ? test::make_tcp(s, d, 40000, i % 2 ? 80 : 8080, 1, 1,
                                        tcpflag::kAck | tcpflag::kPsh, pls[i], 0)
                       : test::make_udp(s, d, 40000, i % 2 ? 53 : 5000, pls[i], 0));
  }
  std::size_t i = 0;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    det.inspect(nullptr, Dir::kToServer, pkts[i]);
    if (++i == pkts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 512);
  state.counters["allocs_per_pkt"] =
      static_cast<double>(ts_test_allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["alerts_per_pkt"] =
      static_cast<double>(sink.n) / static_cast<double>(state.iterations());
  state.SetLabel(e.name + (tcp ? " tcp" : " udp"));
}
BENCHMARK(BM_InspectPacket)->Arg(0)->Arg(1);

// The TCP stream path: FlowTable lookup + TcpTracker + streaming scan + inspect, 1460-byte
// in-order segments over many flows.
void BM_InspectTcpStream(benchmark::State& state) {
  Engine& e = engine();
  if (!e.rules) {
    state.SkipWithError("no rules");
    return;
  }
  const uint32_t flows = static_cast<uint32_t>(state.range(0));
  FlowTableConfig fc;
  fc.capacity = flows;
  FlowTable table(fc, 0, 1, nullptr);
  TcpConfig tc;
  tc.flow_capacity = flows;
  TcpTracker tracker(tc, table);
  CountSink sink;
  Detector det(e.rules, DetectorConfig{flows, 256u << 20, true}, &sink);
  tracker.add_consumer(&det);
  const auto pls = payloads();
  std::string seg;
  while (seg.size() < 1460) seg += pls[seg.size() / 512 % pls.size()];
  seg.resize(1460);
  auto [pkts, hashes] = bench::make_flow_segments(flows, 80, seg);
  std::vector<uint32_t> step(flows, 0);
  uint32_t f = 0;
  Nanos t = 0;
  const uint64_t a0 = ts_test_allocations();
  for (auto _ : state) {
    PacketView& p = pkts[f];
    p.tcp.seq = 1 + step[f]++ * 1460;
    p.ts = t += 100;
    auto r = table.lookup(p, hashes[f]);
    tracker.process(*r.flow, r.dir, p);
    det.inspect(r.flow, r.dir, p);
    if (++f == flows) f = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1460);
  state.counters["allocs_per_pkt"] =
      static_cast<double>(ts_test_allocations() - a0) / static_cast<double>(state.iterations());
  state.counters["stream_state_MB"] =
      static_cast<double>(det.stats().stream_state_bytes.get()) / 1e6;
  state.SetLabel(e.name);
}
BENCHMARK(BM_InspectTcpStream)->Arg(1000)->Arg(10000);

// Raw hs_scan: one block database of every rule's expression (as the engine would choose it),
// over the same payloads; the floor under BM_InspectPacket.
void BM_HsScanRaw(benchmark::State& state) {
  Engine& e = engine();
  std::vector<HsExpr> ex;
  for (uint32_t i = 0; i < e.rules->size(); ++i) {
    const Rule& r = e.rules->rule(i);
    const PatternLadder l = pattern_ladder(r);
    if (l.rung[0] == PatternKind::kNone) continue;
    HsExpr x = make_expression(r, l.rung[0], false, i);
    if (hs_expression_ok(x, HS_MODE_BLOCK)) ex.push_back(std::move(x));
  }
  int bad = -1;
  std::string err;
  HsDatabase db = hs_compile_exprs(ex, HS_MODE_BLOCK, &bad, &err);
  while (!db && bad >= 0) {
    ex.erase(ex.begin() + bad);
    db = hs_compile_exprs(ex, HS_MODE_BLOCK, &bad, &err);
  }
  if (!db) {
    state.SkipWithError(err.c_str());
    return;
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db.get(), &scratch) != HS_SUCCESS) {
    state.SkipWithError("scratch");
    return;
  }
  const auto pls = payloads();
  uint64_t hits = 0;
  auto cb = [](unsigned, unsigned long long, unsigned long long, unsigned, void* c) -> int {
    ++*static_cast<uint64_t*>(c);
    return 0;
  };
  std::size_t i = 0;
  for (auto _ : state) {
    if (hs_scan(db.get(), pls[i].data(), static_cast<unsigned>(pls[i].size()), 0, scratch, cb,
                &hits) != HS_SUCCESS)
      state.SkipWithError("hs_scan");
    if (++i == pls.size()) i = 0;
  }
  hs_free_scratch(scratch);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 512);
  state.counters["expressions"] = static_cast<double>(ex.size());
  state.counters["hits_per_pkt"] =
      static_cast<double>(hits) / static_cast<double>(state.iterations());
  state.SetLabel(e.name);
}
BENCHMARK(BM_HsScanRaw);

}  // namespace
}  // namespace ts::sig

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!std::getenv("TS_SKIP_ET_FIGURES")) ts::sig::print_et_figures();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
