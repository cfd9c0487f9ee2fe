// Rule verification cost: PayloadProgram::match on a 600-byte HTTP-like payload for typical
// rule shapes (one content, a relative chain, a chain that must backtrack, pcre, byte_test),
// a rule that fails at its first content, and match_header. Reports allocations per call.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <benchmark/benchmark.h>
#include <pcre2.h>

#include <string>

#include "signatures/match.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::sig {
namespace {

const std::string& payload() {
  static const std::string p = [] {
    std::string s = "POST /api/v1/orders HTTP/1.1\r\nHost: gw.example.net\r\n";
    s += "User-Agent: trader/2.3\r\nContent-Type: application/x-fix\r\n";
    for (int i = 0; i < 12; ++i) s += "X-Pad-" + std::to_string(i) + ": aaaaaaaaaaaaaaaaaa\r\n";
    s += "\r\n8=FIX.4.4|9=176|35=D|49=CLIENT|56=BROKER|34=12|55=EURUSD|54=1|38=1000000|10=128|";
    return s;
  }();
  return p;
}

ContentOpt content(std::string pat, bool nocase = false) {
  ContentOpt c;
  c.pattern = std::move(pat);
  c.nocase = nocase;
  return c;
}
ContentOpt relative(std::string pat, int64_t distance, std::optional<int64_t> within) {
  ContentOpt c = content(std::move(pat));
  c.distance = IntOrVar{distance, -1};
  if (within) c.within = IntOrVar{*within, -1};
  c.relative = true;
  return c;
}

void run(benchmark::State& state, const Rule& r) {
  std::string err;
  auto prog = PayloadProgram::build(r, &err);
  if (!prog) {
    state.SkipWithError(err.c_str());
    return;
  }
  MatchScratch scratch;
  const auto& p = payload();
  const std::span<const uint8_t> buf(reinterpret_cast<const uint8_t*>(p.data()), p.size());
  benchmark::DoNotOptimize(prog->match(buf, scratch));
  const uint64_t a0 = ts_test_allocations();
  bool last = false;
  for (auto _ : state) {
    last = prog->match(buf, scratch);
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["matched"] = last;
  state.counters["inspections"] = scratch.last_inspections();
  state.counters["allocs_per_call"] =
      static_cast<double>(ts_test_allocations() - a0) / static_cast<double>(state.iterations());
}

Rule rule(std::vector<PayloadOpt> opts) {
  Rule r;
  r.payload = std::move(opts);
  return r;
}

void BM_MatchOneContent(benchmark::State& state) { run(state, rule({content("35=D|")})); }
BENCHMARK(BM_MatchOneContent);

void BM_MatchOneContentNocase(benchmark::State& state) {
  run(state, rule({content("content-type: application/x-fix", true)}));
}
BENCHMARK(BM_MatchOneContentNocase);

void BM_MatchFirstContentAbsent(benchmark::State& state) {
  run(state, rule({content("35=F|"), relative("55=", 0, std::nullopt)}));
}
BENCHMARK(BM_MatchFirstContentAbsent);

void BM_MatchRelativeChain(benchmark::State& state) {
  ContentOpt post = content("POST");
  post.depth = IntOrVar{4, -1};
  run(state, rule({post, relative("/api/", 1, 6), content("8=FIX.4."), relative("35=D|", 0, 40),
                   relative("55=EURUSD", 0, std::nullopt)}));
}
BENCHMARK(BM_MatchRelativeChain);

void BM_MatchBacktrackingChain(benchmark::State& state) {
  // "X-Pad-" occurs 12 times; only the relative "11:" after one of them matches.
  run(state, rule({content("X-Pad-"), relative("11:", 0, 3), relative("aaa", 1, 3)}));
}
BENCHMARK(BM_MatchBacktrackingChain);

void BM_MatchPcreRelative(benchmark::State& state) {
  PcreOpt pc;
  pc.regex = "^38=\\d{6,}\\|";
  pc.relative = true;
  pc.flags = "R";
  run(state, rule({content("|54=1|"), pc}));
}
BENCHMARK(BM_MatchPcreRelative);

void BM_MatchPcreUnanchored(benchmark::State& state) {
  PcreOpt pc;
  pc.regex = "35=[A-Z]\\|49=[A-Z]+\\|56=BROKER";
  pc.flags = "i";
  pc.pcre2_options = PCRE2_CASELESS;
  run(state, rule({pc}));
}
BENCHMARK(BM_MatchPcreUnanchored);

void BM_MatchByteTest(benchmark::State& state) {
  ByteTestOpt bt;
  bt.nbytes = 3;
  bt.op = '>';
  bt.value = IntOrVar{100, -1};
  bt.offset = IntOrVar{0, -1};
  bt.relative = true;
  bt.string = true;
  run(state, rule({content("|9="), bt}));
}
BENCHMARK(BM_MatchByteTest);

void BM_MatchHeader(benchmark::State& state) {
  Rule r;
  r.dsize = NumCmp{NumCmp::Op::kGt, 0, 0};
  r.flags = TcpFlagsOpt{tcpflag::kAck, '+', 0};
  r.window = NumCmp{NumCmp::Op::kNe, 0, 0};
  const PacketView p = test::make_tcp(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 40000, 80,
                                      1, 1, tcpflag::kAck | tcpflag::kPsh, payload(), 0);
  for (auto _ : state) benchmark::DoNotOptimize(match_header(r, p));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchHeader);

}  // namespace
}  // namespace ts::sig

BENCHMARK_MAIN();
