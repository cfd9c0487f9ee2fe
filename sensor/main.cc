// tradesentry: command line, configuration, signals, progress; then runs the Pipeline.
// Runs on the main thread only; the pipeline's threads never see argv or YAML.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "exporters/metrics.h"
#include "sensor/pipeline.h"
#include "signatures/rule_loader.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

bool make_dirs(const std::string& path) {
  std::string cur;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty() && mkdir(cur.c_str(), 0750) != 0 && errno != EEXIST) return false;
    }
    if (i < path.size()) cur += path[i];
  }
  return true;
}

std::string human(double v) {
  char b[32];
  if (v >= 1e9) std::snprintf(b, sizeof b, "%.2fG", v / 1e9);
  else if (v >= 1e6) std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(b, sizeof b, "%.1fk", v / 1e3);
  else std::snprintf(b, sizeof b, "%.0f", v);
  return b;
}

uint64_t find(const std::vector<std::pair<std::string, uint64_t>>& c, const char* name) {
  for (auto& [k, v] : c)
    if (k == name) return v;
  return 0;
}

void print_summary(const ts::Pipeline& p, double secs) {
  const auto c = p.stats_counters();
  const ts::Progress pr = p.progress();
  const uint64_t pkts = find(c, "decoder.pkts");
  const uint64_t bytes = find(c, "decoder.bytes");
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::fprintf(stderr,
               "\ntradesentry: %llu packets (%s bytes) in %.2f s: %s packets/s, %s bit/s\n"
               "  flows: %llu total, %llu evicted\n"
               "  drops: kernel %llu, ring %llu, pool %llu; invalid packets %llu\n"
               "  alerts: %llu (severity 1: %llu, 2: %llu, 3: %llu, 4: %llu)\n",
               u(pkts), human(static_cast<double>(bytes)).c_str(), secs,
               human(static_cast<double>(pkts) / std::max(secs, 1e-9)).c_str(),
               human(static_cast<double>(bytes) * 8 / std::max(secs, 1e-9)).c_str(),
               u(find(c, "flow.total")), u(find(c, "flow.evicted")),
               u(find(c, "capture.kernel_drops")), u(find(c, "capture.ring_drops")),
               u(find(c, "capture.pool_drops")), u(find(c, "decoder.invalid")), u(pr.alerts),
               u(pr.alerts_by_severity[0]), u(pr.alerts_by_severity[1]),
               u(pr.alerts_by_severity[2]), u(pr.alerts_by_severity[3]));
  for (const auto& t : p.top_signatures(5))
    std::fprintf(stderr, "    %8llu  [%u:%u] %s\n", u(t.count), t.gid, t.sid, t.msg.c_str());
}

// Prints what loading the rules found: errors always, skips and warnings unless quiet (-T
// lists everything). Returns true when the set is usable.
bool report_rules(const ts::sig::LoadedRules& lr, bool quiet, bool list_all) {
  for (const auto& d : lr.errors) std::fprintf(stderr, "error: %s\n", d.str().c_str());
  if (!lr.fatal.empty()) std::fprintf(stderr, "error: %s\n", lr.fatal.c_str());
  if (!quiet || list_all) {
    for (const auto& d : lr.skipped) std::fprintf(stderr, "warning: %s\n", d.str().c_str());
    for (const auto& d : lr.warnings) std::fprintf(stderr, "warning: %s\n", d.str().c_str());
  }
  return lr.ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tradesentry: network security monitoring for trading networks"};
  app.set_version_flag("--version", std::string("tradesentry ") + TS_VERSION);
  std::string config_path;
  std::vector<std::string> files, ifaces, rule_files;
  std::string log_dir, metrics_listen;
  bool test_only = false, quiet = false;
  int workers = -1;
  app.add_option("-c", config_path, "configuration file (YAML); default: built-in");
  app.add_option("-r", files, "read capture file(s), pcap or pcapng, in order; exit at end");
  app.add_option("-i", ifaces, "capture live on interface(s) until SIGINT/SIGTERM");
  app.add_option("-l", log_dir, "log directory (eve.json, metrics.prom)");
  app.add_option("-S", rule_files, "use only these rule files (repeatable)");
  app.add_flag("-T", test_only, "test the configuration and rules, then exit");
  app.add_option("--workers", workers, "worker threads (default: config, else cores - 1)")
      ->check(CLI::Range(1, 256));
  app.add_option("--metrics-listen", metrics_listen, "Prometheus endpoint HOST:PORT");
  app.add_flag("-q", quiet, "quiet: warnings and errors only");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  // Configuration: every error with file:line:col, exit 2.
  ts::config::LoadResult lr =
      config_path.empty() ? ts::config::load_default() : ts::config::load_file(config_path);
  if (!lr.ok()) {
    for (const auto& e : lr.errors) std::fprintf(stderr, "error: %s\n", e.str().c_str());
    std::fprintf(stderr, "tradesentry: %zu configuration error(s)\n", lr.errors.size());
    return kExitUsage;
  }
  ts::config::SensorConfig cfg = lr.config;
  if (!rule_files.empty()) cfg.rule_files = rule_files;
  if (!metrics_listen.empty()) cfg.outputs.metrics_listen = metrics_listen;
  if (!log_dir.empty()) cfg.outputs.log_dir = log_dir;

  // Rules: errors (with file:line:col) exit 2; unsupported keywords skip the rule with a
  // warning naming it.
  const auto rules_t0 = std::chrono::steady_clock::now();
  ts::sig::LoadedRules rules = ts::sig::load_and_compile(cfg);
  const double rules_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - rules_t0).count();
  const bool rules_ok = report_rules(rules, quiet, test_only);
  if (test_only) {
    std::printf("configuration: %s OK\n", cfg.source.c_str());
    if (rules_ok)
      std::printf("signatures: %zu IP-only, %zu exact, %zu prefiltered, %zu without a literal; "
                  "%zu groups, %zu database bytes, compiled in %.2f s%s\n",
                  rules.stats.ip_only, rules.stats.exact, rules.stats.prefiltered,
                  rules.stats.no_pattern, rules.stats.groups, rules.stats.database_bytes,
                  rules_secs, rules.stats.from_cache ? " (from cache)" : "");
    std::printf("%s\n", rules.summary_line().c_str());
    return rules_ok ? kExitOk : kExitUsage;
  }
  if (!rules_ok) {
    std::fprintf(stderr, "tradesentry: %s\n", rules.summary_line().c_str());
    return kExitUsage;
  }
  if (!quiet && isatty(STDERR_FILENO))
    std::fprintf(stderr, "tradesentry: %s (%.2f s)\n", rules.summary_line().c_str(), rules_secs);
  if (files.empty() == ifaces.empty()) {
    std::fprintf(stderr, "error: give either -r FILE... (offline) or -i IFACE... (live)\n%s",
                 app.help().c_str());
    return kExitUsage;
  }

  if (workers < 1) workers = cfg.workers;
  if (workers < 1) {
    const unsigned hc = std::thread::hardware_concurrency();
    workers = hc > 1 ? static_cast<int>(hc) - 1 : 1;
  }
  if (!make_dirs(cfg.outputs.log_dir)) {
    std::fprintf(stderr, "error: cannot create log directory %s: %s\n",
                 cfg.outputs.log_dir.c_str(), std::strerror(errno));
    return kExitRuntime;
  }

  // Signals are taken by this thread only (sigtimedwait); every other thread has them blocked.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  ts::PipelineOptions opts;
  opts.files = files;
  opts.interfaces = ifaces;
  opts.workers = workers;
  opts.log_dir = cfg.outputs.log_dir;
  opts.rules = rules.compiled;
  ts::Pipeline pipeline(cfg, opts);
  std::string err;
  if (!pipeline.open(&err)) {
    std::fprintf(stderr, "error: %s\n", err.c_str());
    return kExitRuntime;
  }

  ts::exporters::MetricsRegistry metrics;
  metrics.add_callback([&pipeline](ts::exporters::MetricsSink& s) { pipeline.collect_metrics(s); });
  if (pipeline.live() && !cfg.outputs.metrics_listen.empty()) {
    if (!metrics.start_endpoint(cfg.outputs.metrics_listen, &err)) {
      std::fprintf(stderr, "error: metrics endpoint %s: %s\n",
                   cfg.outputs.metrics_listen.c_str(), err.c_str());
      return kExitRuntime;
    }
  }

  const bool progress = !quiet && !pipeline.live() && isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  pipeline.start();
  if (!quiet && pipeline.live())
    std::fprintf(stderr, "tradesentry: capturing on %zu interface(s) with %d worker(s)\n",
                 ifaces.size(), workers);

  uint64_t last_pkts = 0;
  auto last_t = t0;
  while (!pipeline.finished()) {
    timespec to{0, 50'000'000};  // how soon the end of a short run is noticed
    const int sig = sigtimedwait(&sigs, nullptr, &to);
    pipeline.reclaim_rules();  // frees a replaced rule set once nothing refers to it
    if (sig == SIGINT || sig == SIGTERM) {
      pipeline.request_stop();
    } else if (sig == SIGHUP) {
      // Reload off the hot path: parse and compile here, then swap one pointer. Broken rules
      // keep the running set. The configuration file is re-read for its rule settings.
      ts::config::SensorConfig next = cfg;
      if (!config_path.empty()) {
        ts::config::LoadResult r = ts::config::load_file(config_path);
        if (!r.ok()) {
          for (const auto& e : r.errors) std::fprintf(stderr, "error: %s\n", e.str().c_str());
          std::fprintf(stderr, "tradesentry: reload refused: configuration errors; the running "
                               "rules stay in force\n");
          continue;
        }
        next = r.config;
        if (!rule_files.empty()) next.rule_files = rule_files;
      }
      ts::sig::LoadedRules nr = ts::sig::load_and_compile(next);
      if (!report_rules(nr, quiet, false)) {
        std::fprintf(stderr, "tradesentry: reload refused (%s); the running rules stay in force\n",
                     nr.summary_line().c_str());
        continue;
      }
      pipeline.set_rules(nr.compiled);
      if (!quiet) std::fprintf(stderr, "tradesentry: reloaded, %s\n", nr.summary_line().c_str());
    }
    if (progress) {
      const auto now = std::chrono::steady_clock::now();
      const ts::Progress pr = pipeline.progress();
      const double dt = std::chrono::duration<double>(now - last_t).count();
      const double pps = dt > 0 ? static_cast<double>(pr.packets - last_pkts) / dt : 0;
      last_pkts = pr.packets;
      last_t = now;
      const double share = pr.input_bytes_total
                               ? 100.0 * static_cast<double>(pr.input_bytes_read) /
                                     static_cast<double>(pr.input_bytes_total)
                               : 0;
      std::fprintf(stderr, "\r[%5.1f%%] %s packets, %s packets/s, %llu alerts   ", share,
                   human(static_cast<double>(pr.packets)).c_str(), human(pps).c_str(),
                   static_cast<unsigned long long>(pr.alerts));
    }
  }
  metrics.stop_endpoint();
  pipeline.finish();
  if (progress)
    print_summary(pipeline,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (const std::string e = pipeline.error(); !e.empty()) {
    std::fprintf(stderr, "error: %s (packets before it were processed and logged)\n", e.c_str());
    return kExitRuntime;
  }
  return kExitOk;
}
