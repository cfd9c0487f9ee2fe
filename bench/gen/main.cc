// tsgen: deterministic trading-network traffic generator writing classic pcap.
//   tsgen --seed N --out FILE.pcap [--packets N | --bytes N] [--profile mix|fix|zoo]
//         [--start-ts EPOCH_SECONDS] [--ipv6-share 0.1]
//   tsgen --seed N --profile attacks --out-dir DIR [--start-ts EPOCH_SECONDS]
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench/gen/attacks.h"
#include "bench/gen/mix.h"
#include "bench/gen/pcap_writer.h"
#include "bench/gen/zoo.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: tsgen --seed N --out FILE.pcap [--packets N | --bytes N]\n"
               "             [--profile mix|fix|zoo] [--start-ts EPOCH_SECONDS] [--ipv6-share F]\n"
               "       tsgen --seed N --profile attacks --out-dir DIR [--start-ts EPOCH_SECONDS]\n");
}

bool parse_u64(const char* s, uint64_t& v) {
  char* end = nullptr;
  errno = 0;
  unsigned long long x = std::strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-') return false;
  v = x;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  tsgen::GenOptions opt;
  opt.start_us = 1725240600ull * 1000000;  // 2024-09-02 01:30:00 UTC, 09:30 in Shanghai
  std::string out, out_dir, profile = "mix";
  bool have_seed = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "tsgen: %s needs a value\n", a.c_str());
      usage();
      return 2;
    }
    const char* v = argv[++i];
    uint64_t n = 0;
    bool ok = true;
    if (a == "--seed") {
      ok = parse_u64(v, opt.seed);
      have_seed = ok;
    } else if (a == "--out") {
      out = v;
    } else if (a == "--out-dir") {
      out_dir = v;
    } else if (a == "--packets") {
      ok = parse_u64(v, opt.max_packets) && opt.max_packets > 0;
    } else if (a == "--bytes") {
      ok = parse_u64(v, opt.max_bytes) && opt.max_bytes > 0;
    } else if (a == "--profile") {
      profile = v;
      ok = profile == "mix" || profile == "fix" || profile == "zoo" || profile == "attacks";
    } else if (a == "--start-ts") {
      ok = parse_u64(v, n) && n < 4000000000ull;
      opt.start_us = n * 1000000;
    } else if (a == "--ipv6-share") {
      char* end = nullptr;
      opt.ipv6_share = std::strtod(v, &end);
      ok = end != v && !*end && opt.ipv6_share >= 0.0 && opt.ipv6_share <= 1.0;
    } else {
      std::fprintf(stderr, "tsgen: unknown option %s\n", a.c_str());
      usage();
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "tsgen: bad value for %s: %s\n", a.c_str(), v);
      return 2;
    }
  }
  if (profile == "attacks") {
    // One capture per shipped rule and outcome, so a directory rather than a file.
    if (!have_seed || out_dir.empty() || !out.empty() || opt.max_packets || opt.max_bytes) {
      std::fprintf(stderr, "tsgen: --profile attacks takes --seed and --out-dir, not --out, "
                           "--packets or --bytes\n");
      return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) {
      std::fprintf(stderr, "tsgen: cannot create %s: %s\n", out_dir.c_str(), ec.message().c_str());
      return 1;
    }
    uint64_t packets = 0, bytes = 0;
    int files = 0;
    if (!tsgen::run_attacks(opt, out_dir, &packets, &bytes, &files)) return 1;
    std::fprintf(stderr, "tsgen: wrote %d captures, %llu packets, %llu bytes (sum of frame lengths) to %s\n",
                 files, static_cast<unsigned long long>(packets),
                 static_cast<unsigned long long>(bytes), out_dir.c_str());
    return 0;
  }
  if (!have_seed || out.empty() || !out_dir.empty()) {
    usage();
    return 2;
  }
  if (opt.max_packets && opt.max_bytes) {
    std::fprintf(stderr, "tsgen: give --packets or --bytes, not both\n");
    return 2;
  }
  if ((profile == "mix" || profile == "fix") && !opt.max_packets && !opt.max_bytes)
    opt.max_packets = 100000;

  tsgen::PcapWriter w(out);
  if (!w.ok()) {
    std::fprintf(stderr, "tsgen: cannot open %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  if (profile == "zoo") {
    tsgen::run_zoo(opt, w);
  } else if (profile == "fix") {
    tsgen::run_fix(opt, w);
  } else {
    tsgen::run_mix(opt, w);
  }
  uint64_t packets = w.packets(), bytes = w.frame_bytes();
  if (!w.close()) {
    std::fprintf(stderr, "tsgen: write to %s failed\n", out.c_str());
    return 1;
  }
  std::fprintf(stderr, "tsgen: wrote %llu packets, %llu bytes (sum of frame lengths) to %s\n",
               static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
               out.c_str());
  return 0;
}
