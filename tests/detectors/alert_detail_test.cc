// AlertDetail: the JSON object built-in detectors attach to alerts is always valid JSON,
// escaped, and never overflows the alert's fixed buffer. Built-in signature table: unique ids,
// severities in range, thresholds from the config.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "detectors/alert_detail.h"
#include "detectors/builtin.h"
#include "exporters/eve_writer.h"

namespace ts::detectors {
namespace {

TEST(AlertDetail, WritesMembersInOrder) {
  sig::Alert a;
  AlertDetail(a, "fix")
      .add("session", "BROKER1->EXCH")
      .add("expected_seq", int64_t{5})
      .add("received_seq", int64_t{55})
      .add_fixed("ratio", 0.9375, 3);
  EXPECT_STREQ(a.app, "fix");
  EXPECT_STREQ(a.detail,
               R"({"session":"BROKER1->EXCH","expected_seq":5,"received_seq":55,"ratio":0.938})");
}

TEST(AlertDetail, EmptyIsAnEmptyObject) {
  sig::Alert a;
  AlertDetail d(a, "feed");
  EXPECT_STREQ(a.detail, "{}");
}

TEST(AlertDetail, EscapesQuotesControlBytesAndShowsSohAsBar) {
  sig::Alert a;
  AlertDetail(a, "fix").add("excerpt", std::string_view("8=FIX.4.4\x01" "58=say \"hi\"\\\n\xe4\x01", 25));
  EXPECT_STREQ(a.detail, R"({"excerpt":"8=FIX.4.4|58=say \"hi\"\\\u000a\u00e4|"})");
}

TEST(AlertDetail, MemberThatDoesNotFitIsLeftOutWhole) {
  sig::Alert a;
  AlertDetail d(a, "fix");
  d.add("a", std::string(200, 'x'));
  const std::string after_first = a.detail;
  d.add("b", std::string(200, 'y'));  // does not fit: left out
  d.add("n", int64_t{7});            // still fits
  EXPECT_EQ(std::string(a.detail), after_first.substr(0, after_first.size() - 1) + R"(,"n":7})");
  EXPECT_LT(std::string(a.detail).size(), sizeof a.detail);
  sig::Alert b;
  AlertDetail(b, "fix").add("huge", std::string(1000, 'z'));  // larger than the buffer itself
  EXPECT_STREQ(b.detail, "{}");
}

TEST(AlertDetail, EveWritesItAsATopLevelObject) {
  char dir[] = "/tmp/ts_detail_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/eve.json";
  {
    exporters::EveWriter w(exporters::EveWriter::File{path});
    std::string err;
    ASSERT_TRUE(w.open(&err)) << err;
    sig::Alert a;
    AlertDetail(a, "feed").add("feed", "sse").add("lost", int64_t{4});
    exporters::AlertRecord r;
    r.ts = 1;
    r.gid = kGidFeed;
    r.sid = kFeedGap;
    r.app = a.app;
    r.app_json = a.detail;
    w.write_alert(r);
    w.close();
  }
  FILE* f = std::fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char line[1024] = {};
  ASSERT_NE(std::fgets(line, sizeof line, f), nullptr);
  std::fclose(f);
  std::remove(path.c_str());
  rmdir(dir);
  EXPECT_NE(std::string(line).find(R"("severity":3},"feed":{"feed":"sse","lost":4})"),
            std::string::npos)
      << line;
}

TEST(BuiltinSignatures, UniqueIdsAndSaneFields) {
  std::set<std::pair<uint32_t, uint32_t>> ids;
  for (const BuiltinSignature& s : builtin_signatures()) {
    EXPECT_TRUE(ids.insert({s.gid, s.sid}).second) << s.gid << ":" << s.sid;
    EXPECT_GE(s.severity, 1);
    EXPECT_LE(s.severity, 4);
    EXPECT_EQ(std::string(s.msg).rfind("TRADESENTRY ", 0), 0u) << s.msg;
    EXPECT_NE(std::string(s.category), "");
    EXPECT_EQ(find_builtin(s.gid, s.sid), &s);
  }
  EXPECT_EQ(find_builtin(kGidFix, 9999), nullptr);
  EXPECT_EQ(find_builtin(1, kFixBadChecksum), nullptr);
}

TEST(BuiltinRules, LogonBruteForceThresholdComesFromConfig) {
  config::SensorConfig cfg;
  cfg.fix.logon_failures = 7;
  cfg.fix.logon_window = 90 * kNanosPerSec;
  const BuiltinRules rules(cfg);
  const sig::Rule* r = rules.find(kGidFix, kFixLogonBruteForce);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->threshold.has_value());
  EXPECT_EQ(r->threshold->type, sig::ThresholdOpt::Type::kBoth);
  EXPECT_EQ(r->threshold->track, sig::ThresholdOpt::Track::kBySrc);
  EXPECT_EQ(r->threshold->count, 7u);
  EXPECT_EQ(r->threshold->seconds, 90u);
  const sig::Rule* pw = rules.find(kGidFix, kFixPlaintextPassword);
  ASSERT_NE(pw, nullptr);
  ASSERT_TRUE(pw->threshold.has_value());
  EXPECT_EQ(pw->threshold->type, sig::ThresholdOpt::Type::kLimit);
  EXPECT_EQ(pw->threshold->count, 1u);
  EXPECT_EQ(pw->threshold->seconds, 86400u);
  const sig::Rule* gap = rules.find(kGidFeed, kFeedGap);
  ASSERT_NE(gap, nullptr);
  EXPECT_FALSE(gap->threshold.has_value());
  EXPECT_EQ(gap->priority, 3);
  EXPECT_EQ(gap->category, "Market Data Feed Anomaly Detected");
}

}  // namespace
}  // namespace ts::detectors
