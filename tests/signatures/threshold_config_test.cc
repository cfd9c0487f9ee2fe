// threshold.config: good lines give exact entries, bad lines exact file:line:col errors; the
// file is read through LoadOptions::threshold_file into RuleSet::thresholds.
#include "signatures/threshold_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "signatures/parser.h"
#include "tests/signatures/rule_dump.h"

namespace ts::sig {
namespace {

std::string dump_entry(const ThresholdConfigEntry& e) {
  static const char* kKind[] = {"threshold", "event_filter", "suppress", "rate_filter"};
  std::string s = std::string(kKind[static_cast<int>(e.kind)]) + " " + std::to_string(e.gid) + ":" +
                  std::to_string(e.sid);
  switch (e.kind) {
    case ThresholdConfigEntry::Kind::kThreshold:
    case ThresholdConfigEntry::Kind::kEventFilter:
      s += " " + testing::dump(e.opt);
      break;
    case ThresholdConfigEntry::Kind::kSuppress: {
      static const char* kTrack[] = {"", " by_src", " by_dst", " by_either"};
      s += kTrack[static_cast<int>(e.suppress_track)];
      if (e.suppress_track != ThresholdConfigEntry::SuppressTrack::kNone) {
        s += " ip " + testing::dump(e.suppress_ip);
      }
      break;
    }
    case ThresholdConfigEntry::Kind::kRateFilter: {
      static const char* kTrack[] = {"by_src", "by_dst", "by_rule", "by_both", "by_flow"};
      static const char* kAction[] = {"alert", "pass", "drop", "reject"};
      s += std::string(" ") + kTrack[static_cast<int>(e.opt.track)] +
           " count=" + std::to_string(e.opt.count) + " seconds=" + std::to_string(e.opt.seconds) +
           " new_action=" + kAction[static_cast<int>(e.new_action)] +
           " timeout=" + std::to_string(e.timeout);
      break;
    }
  }
  return s + " @" + std::to_string(e.line);
}

struct Parsed {
  std::vector<std::string> entries;
  std::vector<std::string> errors;
};

Parsed parse(const std::string& text) {
  VarTable vars{RuleVars{}};
  std::vector<ThresholdConfigEntry> out;
  std::vector<Diagnostic> errors;
  parse_threshold_config(text, "threshold.config", vars, out, errors);
  Parsed p;
  for (const auto& e : out) p.entries.push_back(dump_entry(e));
  for (const auto& d : errors) p.errors.push_back(d.str());
  return p;
}

TEST(ThresholdConfig, GoodLinesGiveExactEntries) {
  const Parsed p = parse(
      "# threshold.config\n"
      "\n"
      "threshold gen_id 1, sig_id 2000001, type limit, track by_src, count 1, seconds 60\n"
      "event_filter gen_id 0, sig_id 0, type both, track by_dst, count 5, seconds 30\n"
      "threshold gen_id 1, sig_id 5, \\\n"
      "    type threshold, track by_rule, count 10, seconds 60\n"
      "threshold sig_id 6, gen_id 1, seconds 9, count 2, track by_both, type limit\n"
      "suppress gen_id 1, sig_id 2002087\n"
      "suppress gen_id 1, sig_id 2002087, track by_src, ip 217.110.97.128/25\n"
      "suppress gen_id 1, sig_id 2003614, track by_dst, ip [10.0.0.0/8, 192.168.1.1]\n"
      "suppress gen_id 1, sig_id 2003614, track by_either, ip $HOME_NET\n"
      "suppress gen_id 0, sig_id 0, track by_src, ip !10.0.0.0/8\n"
      "rate_filter gen_id 1, sig_id 1000, track by_rule, count 100, seconds 60, "
      "new_action drop, timeout 30\n"
      "rate_filter gen_id 1, sig_id 1001, track by_both, count 1, seconds 1, "
      "new_action reject, timeout 0\n");
  EXPECT_EQ(p.errors, std::vector<std::string>{});
  EXPECT_EQ(p.entries,
            (std::vector<std::string>{
                "threshold 1:2000001 limit by_src count=1 seconds=60 @3",
                "event_filter 0:0 both by_dst count=5 seconds=30 @4",
                "threshold 1:5 threshold by_rule count=10 seconds=60 @5",
                "threshold 1:6 limit by_both count=2 seconds=9 @7",
                "suppress 1:2002087 @8",
                "suppress 1:2002087 by_src ip 217.110.97.128-217.110.97.255 @9",
                "suppress 1:2003614 by_dst ip 10.0.0.0-10.255.255.255,192.168.1.1 @10",
                "suppress 1:2003614 by_either ip 10.0.0.0-10.255.255.255,"
                "172.16.0.0-172.31.255.255,192.168.0.0-192.168.255.255 @11",
                "suppress 0:0 by_src ip 0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255,"
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff @12",
                "rate_filter 1:1000 by_rule count=100 seconds=60 new_action=drop timeout=30 @13",
                "rate_filter 1:1001 by_both count=1 seconds=1 new_action=reject timeout=0 @14",
            }));
}

struct BadLine {
  const char* line;
  const char* error;
};

TEST(ThresholdConfig, BadLinesGiveExactErrors) {
  const BadLine cases[] = {
      {"limit gen_id 1, sig_id 1",
       "threshold.config:1:1: expected threshold, event_filter, suppress or rate_filter, got "
       "'limit'"},
      {"threshold gen_id 1, sig_id 1, type limit, track by_src, count 1",
       "threshold.config:1:64: threshold: missing 'seconds'"},
      {"threshold sig_id 1, type limit, track by_src, count 1, seconds 5",
       "threshold.config:1:65: threshold: missing 'gen_id'"},
      {"threshold gen_id x, sig_id 1, type limit, track by_src, count 1, seconds 5",
       "threshold.config:1:18: threshold: expected an integer from 0 to 4294967295 for "
       "'gen_id', got 'x'"},
      {"threshold gen_id 1, sig_id 1, type often, track by_src, count 1, seconds 5",
       "threshold.config:1:36: threshold: expected type limit, threshold, both or backoff, got "
       "'often'"},
      {"event_filter gen_id 1, sig_id 1, type limit, track by_src, count 0, seconds 5",
       "threshold.config:1:66: event_filter: expected an integer from 1 to 4294967295 for "
       "'count', got '0'"},
      {"threshold gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 5, ip 1.2.3.4",
       "threshold.config:1:77: threshold: unknown parameter 'ip'"},
      {"threshold gen_id 1, gen_id 2, sig_id 1, type limit, track by_src, count 1, seconds 5",
       "threshold.config:1:21: threshold: duplicate parameter 'gen_id'"},
      {"threshold gen_id 1,, sig_id 1",
       "threshold.config:1:20: threshold: expected 'name value' between commas"},
      {"suppress gen_id 1, sig_id 1, track by_src",
       "threshold.config:1:42: suppress: suppress with 'track' needs 'ip'"},
      {"suppress gen_id 1, sig_id 1, ip 1.2.3.4",
       "threshold.config:1:30: suppress: suppress with 'ip' needs 'track'"},
      {"suppress gen_id 1, sig_id 1, track by_rule, ip 1.2.3.4",
       "threshold.config:1:36: suppress: expected track by_src, by_dst or by_either, got "
       "'by_rule'"},
      {"suppress gen_id 1, sig_id 1, track by_src, ip 1.2.3.999",
       "threshold.config:1:47: suppress: invalid address '1.2.3.999'"},
      {"suppress gen_id 1, sig_id 1, track by_src, ip [1.2.3.4, $NOPE]",
       "threshold.config:1:57: suppress: unknown variable '$NOPE'"},
      {"suppress gen_id 1, sig_id 1, type limit",
       "threshold.config:1:30: suppress: unknown parameter 'type'"},
      {"rate_filter gen_id 1, sig_id 1, track by_src, count 1, seconds 1, new_action log, "
       "timeout 5",
       "threshold.config:1:78: rate_filter: expected new_action alert, drop, pass or reject, "
       "got 'log'"},
      {"rate_filter gen_id 1, sig_id 1, track by_flow, count 1, seconds 1, new_action drop, "
       "timeout 5",
       "threshold.config:1:39: rate_filter: expected track by_src, by_dst, by_rule or by_both, "
       "got 'by_flow'"},
      {"rate_filter gen_id 1, sig_id 1, track by_src, count 1, seconds 1, new_action drop",
       "threshold.config:1:82: rate_filter: missing 'timeout'"},
  };
  for (const BadLine& c : cases) {
    const Parsed p = parse(c.line);
    EXPECT_EQ(p.entries, std::vector<std::string>{}) << c.line;
    EXPECT_EQ(p.errors, std::vector<std::string>{c.error}) << c.line;
  }
}

TEST(ThresholdConfig, ErrorsInAContinuedLinePointAtThePhysicalLine) {
  const Parsed p = parse(
      "threshold gen_id 1, sig_id 1, \\\n"
      "  type limit, track by_src, \\\n"
      "  count many, seconds 5\n"
      "suppress gen_id 1, sig_id 2\n");
  EXPECT_EQ(p.errors, std::vector<std::string>{
                          "threshold.config:3:9: threshold: expected an integer from 1 to "
                          "4294967295 for 'count', got 'many'"});
  EXPECT_EQ(p.entries, std::vector<std::string>{"suppress 1:2 @4"});
}

TEST(ThresholdConfig, LoadedThroughLoadOptionsWithConfigVars) {
  const std::string path = std::string(TS_BINARY_DIR) + "/threshold_config_test.config";
  {
    std::ofstream out(path);
    out << "suppress gen_id 1, sig_id 7, track by_dst, ip $TRADING_NET\n"
           "threshold gen_id 1, sig_id 7, type both, track by_src, count 3, seconds 10\n"
           "threshold gen_id 1, sig_id 8, type limit\n";
  }
  LoadOptions opts;
  opts.vars.address_groups = {{"TRADING_NET", "10.9.0.0/16"}};
  opts.threshold_file = path;
  const RuleSet set = parse_rules("alert tcp any any -> any any (sid:7;)", "t.rules", opts);
  std::remove(path.c_str());
  ASSERT_EQ(set.thresholds.size(), 2u);
  EXPECT_EQ(dump_entry(set.thresholds[0]), "suppress 1:7 by_dst ip 10.9.0.0-10.9.255.255 @1");
  EXPECT_EQ(set.thresholds[0].file, path);
  EXPECT_EQ(dump_entry(set.thresholds[1]), "threshold 1:7 both by_src count=3 seconds=10 @2");
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].str(), path + ":3:41: threshold: missing 'track'");
  EXPECT_EQ(summary_line(set), "rules: 1 loaded, 0 skipped, 1 errors");
}

TEST(ThresholdConfig, UnreadableFileIsAnError) {
  LoadOptions opts;
  opts.threshold_file = "/nonexistent/threshold.config";
  const RuleSet set = parse_rules("", "t.rules", opts);
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].str(),
            "/nonexistent/threshold.config: cannot read threshold file: No such file or "
            "directory");
}

}  // namespace
}  // namespace ts::sig
