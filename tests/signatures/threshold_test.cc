// ThresholdEngine: every threshold type and track on packet time, windows expiring,
// threshold.config precedence, rate_filter, the eviction cap. The suricata-verify threshold
// tests are restated as match sequences with their expected alert counts.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "signatures/threshold.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::sig {
namespace {

using Type = ThresholdOpt::Type;
using Track = ThresholdOpt::Track;

ThresholdOpt opt(Type type, Track track, uint32_t count, uint32_t seconds,
                 uint32_t multiplier = 1) {
  ThresholdOpt t;
  t.type = type;
  t.track = track;
  t.count = count;
  t.seconds = seconds;
  t.multiplier = multiplier;
  return t;
}

Rule rule(uint32_t sid, std::optional<ThresholdOpt> threshold,
          std::optional<ThresholdOpt> detection_filter = std::nullopt) {
  Rule r;
  r.sid = sid;
  r.threshold = threshold;
  r.detection_filter = detection_filter;
  return r;
}

Alert alert(double seconds, uint8_t src = 1, uint8_t dst = 2, uint64_t flow = 7,
            Port sport = 1000, Port dport = 80) {
  Alert a;
  a.ts = static_cast<Nanos>(seconds * 1e9);
  a.src = test::ip4(10, 0, 0, src);
  a.dst = test::ip4(10, 0, 1, dst);
  a.flow_id = flow;
  a.sport = sport;
  a.dport = dport;
  a.ip_proto = 6;
  return a;
}

// Feeds n matches one second apart (or `step` apart) and counts the allowed ones.
int run(ThresholdEngine& e, const Rule& r, int n, double step = 1.0, double start = 0) {
  int allowed = 0;
  for (int k = 0; k < n; ++k) allowed += e.allow(r, alert(start + k * step));
  return allowed;
}

// Which matches (1-based) are allowed.
std::vector<int> which(ThresholdEngine& e, const Rule& r, int n, double step = 1.0) {
  std::vector<int> out;
  for (int k = 0; k < n; ++k) {
    if (e.allow(r, alert(k * step))) out.push_back(k + 1);
  }
  return out;
}

// ---- suricata-verify sequences (8 ICMP echo requests in one flow, one source).

TEST(ThresholdVerify, DetectionFilterRuleFlow) {
  // threshold/detection_filter-rule-flow: counts 1, 2, 4, 7, 8 -> 7, 6, 4, 1, 0 alerts.
  const uint32_t counts[] = {1, 2, 4, 7, 8};
  const int expected[] = {7, 6, 4, 1, 0};
  for (int i = 0; i < 5; ++i) {
    ThresholdEngine e;
    Rule r = rule(2, std::nullopt, opt(Type::kDetectionFilter, Track::kByFlow, counts[i], 3600));
    EXPECT_EQ(run(e, r, 8), expected[i]) << "count " << counts[i];
  }
}

TEST(ThresholdVerify, DetectionFilterRuleHostSrc) {
  const uint32_t counts[] = {1, 2, 4, 7, 8};
  const int expected[] = {7, 6, 4, 1, 0};
  for (int i = 0; i < 5; ++i) {
    ThresholdEngine e;
    Rule r = rule(2, std::nullopt, opt(Type::kDetectionFilter, Track::kBySrc, counts[i], 3600));
    EXPECT_EQ(run(e, r, 8), expected[i]) << "count " << counts[i];
  }
}

TEST(ThresholdVerify, ThresholdRuleFlow) {
  // threshold/threshold-rule-flow: limit 1 -> 1, limit 2 -> 2, both 3 -> 1.
  ThresholdEngine e;
  Rule none = rule(1, std::nullopt);
  Rule limit1 = rule(2, opt(Type::kLimit, Track::kByFlow, 1, 3600));
  Rule limit2 = rule(3, opt(Type::kLimit, Track::kByFlow, 2, 3600));
  Rule both3 = rule(4, opt(Type::kBoth, Track::kByFlow, 3, 3600));
  int n[4] = {0, 0, 0, 0};
  for (int k = 0; k < 8; ++k) {
    const Alert a = alert(k);
    n[0] += e.allow(none, a);
    n[1] += e.allow(limit1, a);
    n[2] += e.allow(limit2, a);
    n[3] += e.allow(both3, a);
  }
  EXPECT_EQ(n[0], 8);
  EXPECT_EQ(n[1], 1);
  EXPECT_EQ(n[2], 2);
  EXPECT_EQ(n[3], 1);
}

TEST(ThresholdVerify, BackoffSingleFlow) {
  // threshold/threshold-rule-flow-backoff-single-flow: 6676 matches in one flow.
  struct Case {
    uint32_t count, multiplier;
    int expected;
  } cases[] = {{1, 2, 13}, {3, 2, 12}, {5, 5, 5}};
  for (const Case& c : cases) {
    ThresholdEngine e;
    Rule r = rule(2, opt(Type::kBackoff, Track::kByFlow, c.count, 0, c.multiplier));
    EXPECT_EQ(run(e, r, 6676, 0.001), c.expected) << c.count << "x" << c.multiplier;
  }
}

TEST(ThresholdVerify, DetectionFilterUniqueOn) {
  // detection_filter-distinct-{dst,src}port[-no-dups].
  auto df = [](Track track, uint32_t count, ThresholdOpt::Unique u) {
    ThresholdOpt t = opt(Type::kDetectionFilter, track, count, 60);
    t.unique_on = u;
    return rule(100001, std::nullopt, t);
  };
  // Each case: alerts k = 0, 1, ... at second k with these (flow, sport, dport); how many pass.
  struct Case {
    Track track;
    uint32_t count;
    ThresholdOpt::Unique unique;
    uint8_t src, dst;
    std::vector<std::array<uint64_t, 3>> flow_sport_dport;
    int allowed;
  };
  const Case cases[] = {
      {Track::kByDst, 1, ThresholdOpt::Unique::kDstPort, 3, 1, {{1, 12345, 80}, {2, 12345, 81}}, 1},
      {Track::kByDst,
       3,
       ThresholdOpt::Unique::kDstPort,
       3,
       1,
       {{1, 12345, 80}, {1, 12345, 80}, {2, 12345, 81}},
       0},
      {Track::kBySrc, 1, ThresholdOpt::Unique::kSrcPort, 1, 2, {{1, 2000, 80}, {2, 2001, 80}}, 1},
      {Track::kBySrc,
       3,
       ThresholdOpt::Unique::kSrcPort,
       1,
       2,
       {{1, 2000, 80}, {1, 2000, 80}, {2, 2001, 80}},
       0},
  };
  for (const Case& c : cases) {
    ThresholdEngine e;
    Rule r = df(c.track, c.count, c.unique);
    int n = 0;
    for (std::size_t k = 0; k < c.flow_sport_dport.size(); ++k) {
      const auto& [flow, sport, dport] = c.flow_sport_dport[k];
      n += e.allow(r, alert(static_cast<double>(k), c.src, c.dst, flow, static_cast<Port>(sport),
                            static_cast<Port>(dport)));
    }
    EXPECT_EQ(n, c.allowed) << "case " << &c - cases;
  }
  {
    // Once past count distinct ports, every match alerts; repeats do not add ports.
    ThresholdEngine e;
    Rule r = df(Track::kByDst, 2, ThresholdOpt::Unique::kDstPort);
    std::vector<int> got;
    const Port ports[] = {80, 80, 81, 81, 82, 80, 83};
    for (int k = 0; k < 7; ++k) {
      if (e.allow(r, alert(k, 3, 1, 1, 1, ports[k]))) got.push_back(k + 1);
    }
    EXPECT_EQ(got, (std::vector<int>{5, 6, 7}));
  }
}

// ---- Each type.

TEST(Threshold, LimitPerWindow) {
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 2, 10));
  // Window [0, 10): 2 of 5; window from 10: 2 again.
  EXPECT_EQ(which(e, r, 15), (std::vector<int>{1, 2, 11, 12}));
}

TEST(Threshold, ThresholdEveryCountthMatch) {
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kThreshold, Track::kBySrc, 3, 100));
  EXPECT_EQ(which(e, r, 10), (std::vector<int>{3, 6, 9}));
  // count 1: every match.
  ThresholdEngine e1;
  Rule one = rule(1, opt(Type::kThreshold, Track::kBySrc, 1, 100));
  EXPECT_EQ(run(e1, one, 5), 5);
}

TEST(Threshold, ThresholdWindowExpiryRestartsTheCount) {
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kThreshold, Track::kBySrc, 3, 10));
  // Matches at 0, 5 (2 in window), 12 (new window: 1), 13, 14 (3rd: alert).
  const double ts[] = {0, 5, 12, 13, 14};
  std::vector<int> got;
  for (int k = 0; k < 5; ++k) {
    if (e.allow(r, alert(ts[k]))) got.push_back(k + 1);
  }
  EXPECT_EQ(got, (std::vector<int>{5}));
}

TEST(Threshold, BothOncePerWindowAfterCount) {
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kBoth, Track::kBySrc, 2, 10));
  // [0,10): alert at the 2nd; [10,20): at the 2nd of that window (match 12).
  EXPECT_EQ(which(e, r, 20), (std::vector<int>{2, 12}));
}

TEST(Threshold, BackoffSequence) {
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kBackoff, Track::kByFlow, 1, 0, 10));
  std::vector<int> got = which(e, r, 1000, 0.001);
  EXPECT_EQ(got, (std::vector<int>{1, 10, 100, 1000}));
  ThresholdEngine e2;
  Rule r2 = rule(1, opt(Type::kBackoff, Track::kByFlow, 5, 0, 5));
  EXPECT_EQ(which(e2, r2, 130, 0.001), (std::vector<int>{5, 25, 125}));
}

TEST(Threshold, DetectionFilterWindowExpires) {
  ThresholdEngine e;
  Rule r = rule(1, std::nullopt, opt(Type::kDetectionFilter, Track::kBySrc, 2, 10));
  // Every match after the 2nd in the window; at 10 the window restarts.
  EXPECT_EQ(which(e, r, 14), (std::vector<int>{3, 4, 5, 6, 7, 8, 9, 10, 13, 14}));
}

TEST(Threshold, WindowBoundaryIsExclusive) {
  // A match exactly `seconds` after the window start opens a new window.
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 10));
  EXPECT_TRUE(e.allow(r, alert(0)));
  EXPECT_FALSE(e.allow(r, alert(9.999999999)));
  EXPECT_TRUE(e.allow(r, alert(10)));
}

// ---- Tracks.

TEST(Threshold, Tracks) {
  auto a = [](uint8_t src, uint8_t dst, uint64_t flow) { return alert(0, src, dst, flow); };
  {
    ThresholdEngine e;
    Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 60));
    EXPECT_TRUE(e.allow(r, a(1, 1, 1)));
    EXPECT_FALSE(e.allow(r, a(1, 2, 2)));
    EXPECT_TRUE(e.allow(r, a(2, 1, 1)));
  }
  {
    ThresholdEngine e;
    Rule r = rule(1, opt(Type::kLimit, Track::kByDst, 1, 60));
    EXPECT_TRUE(e.allow(r, a(1, 1, 1)));
    EXPECT_FALSE(e.allow(r, a(2, 1, 2)));
    EXPECT_TRUE(e.allow(r, a(1, 2, 1)));
  }
  {
    ThresholdEngine e;
    Rule r = rule(1, opt(Type::kLimit, Track::kByRule, 1, 60));
    EXPECT_TRUE(e.allow(r, a(1, 1, 1)));
    EXPECT_FALSE(e.allow(r, a(2, 2, 2)));
    Rule other = rule(2, opt(Type::kLimit, Track::kByRule, 1, 60));
    EXPECT_TRUE(e.allow(other, a(2, 2, 2)));
  }
  {
    ThresholdEngine e;
    Rule r = rule(1, opt(Type::kLimit, Track::kByBoth, 1, 60));
    Alert fwd = alert(0, 1, 2);
    Alert rev = fwd;
    std::swap(rev.src, rev.dst);
    EXPECT_TRUE(e.allow(r, fwd));
    EXPECT_FALSE(e.allow(r, rev));  // both directions are one pair
    EXPECT_TRUE(e.allow(r, alert(0, 1, 3)));
  }
  {
    ThresholdEngine e;
    Rule r = rule(1, opt(Type::kLimit, Track::kByFlow, 1, 60));
    EXPECT_TRUE(e.allow(r, a(1, 1, 10)));
    EXPECT_FALSE(e.allow(r, a(2, 2, 10)));
    EXPECT_TRUE(e.allow(r, a(1, 1, 11)));
    EXPECT_FALSE(e.allow(r, a(1, 1, 0)));  // by_flow without a flow: no alert (Suricata)
  }
}

TEST(Threshold, RulesAndThresholdsCountSeparately) {
  ThresholdEngine e;
  // detection_filter and threshold on one rule keep separate counters.
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 60),
                opt(Type::kDetectionFilter, Track::kBySrc, 1, 60));
  EXPECT_FALSE(e.allow(r, alert(0)));  // detection_filter: 1st not past count
  EXPECT_TRUE(e.allow(r, alert(1)));   // past it; limit's first
  EXPECT_FALSE(e.allow(r, alert(2)));  // limit reached
  Rule other = rule(2, opt(Type::kLimit, Track::kBySrc, 1, 60));
  EXPECT_TRUE(e.allow(other, alert(3)));
}

TEST(Threshold, NonIpAlertsAreNotThresholded) {
  ThresholdEngine e;
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 60));
  Alert a;
  EXPECT_TRUE(e.allow(r, a));
  EXPECT_TRUE(e.allow(r, a));
}

// ---- threshold.config.

ThresholdConfigEntry cfg(ThresholdConfigEntry::Kind kind, uint32_t gid, uint32_t sid,
                         ThresholdOpt t = {}) {
  ThresholdConfigEntry c;
  c.kind = kind;
  c.gid = gid;
  c.sid = sid;
  c.opt = t;
  return c;
}

AddressSet net(IpAddr lo, IpAddr hi) {
  AddressSet s;
  s.any = false;
  s.ranges.push_back({lo, hi});
  return s;
}

TEST(ThresholdConfig, Suppress) {
  ThresholdEngine e;
  ThresholdConfigEntry all = cfg(ThresholdConfigEntry::Kind::kSuppress, 1, 5);
  ThresholdConfigEntry src = cfg(ThresholdConfigEntry::Kind::kSuppress, 1, 6);
  src.suppress_track = ThresholdConfigEntry::SuppressTrack::kBySrc;
  src.suppress_ip = net(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 1));
  ThresholdConfigEntry either = cfg(ThresholdConfigEntry::Kind::kSuppress, 0, 0);
  either.suppress_track = ThresholdConfigEntry::SuppressTrack::kByEither;
  either.suppress_ip = net(test::ip4(10, 0, 1, 9), test::ip4(10, 0, 1, 9));
  e.set_config({all, src, either});
  EXPECT_FALSE(e.allow(rule(5, std::nullopt), alert(0)));
  EXPECT_FALSE(e.allow(rule(6, std::nullopt), alert(0, 1)));
  EXPECT_TRUE(e.allow(rule(6, std::nullopt), alert(0, 2)));
  EXPECT_TRUE(e.allow(rule(7, std::nullopt), alert(0, 2, 2)));
  EXPECT_FALSE(e.allow(rule(7, std::nullopt), alert(0, 2, 9)));  // dst matches: by_either
  Rule gid2 = rule(5, std::nullopt);
  gid2.gid = 2;
  EXPECT_TRUE(e.allow(gid2, alert(0)));  // gid must match
  ThresholdConfigEntry dst = cfg(ThresholdConfigEntry::Kind::kSuppress, 1, 8);
  dst.suppress_track = ThresholdConfigEntry::SuppressTrack::kByDst;
  dst.suppress_ip = net(test::ip4(10, 0, 1, 2), test::ip4(10, 0, 1, 2));
  e.set_config({dst});
  EXPECT_FALSE(e.allow(rule(8, std::nullopt), alert(0, 1, 2)));
  EXPECT_TRUE(e.allow(rule(8, std::nullopt), alert(0, 2, 3)));
}

TEST(ThresholdConfig, SpecificEntryOverridesTheRuleKeyword) {
  ThresholdEngine e;
  e.set_config({cfg(ThresholdConfigEntry::Kind::kThreshold, 1, 1,
                    opt(Type::kLimit, Track::kBySrc, 3, 60))});
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 60));
  EXPECT_EQ(run(e, r, 10), 3);
  // event_filter is the same thing; the last entry for a sid wins.
  ThresholdEngine e2;
  e2.set_config({cfg(ThresholdConfigEntry::Kind::kEventFilter, 1, 1,
                     opt(Type::kLimit, Track::kBySrc, 3, 60)),
                 cfg(ThresholdConfigEntry::Kind::kEventFilter, 1, 1,
                     opt(Type::kLimit, Track::kBySrc, 5, 60))});
  EXPECT_EQ(run(e2, r, 10), 5);
}

TEST(ThresholdConfig, DetectionFilterStillApplies) {
  ThresholdEngine e;
  e.set_config({cfg(ThresholdConfigEntry::Kind::kThreshold, 1, 1,
                    opt(Type::kLimit, Track::kBySrc, 2, 60))});
  Rule r = rule(1, std::nullopt, opt(Type::kDetectionFilter, Track::kBySrc, 3, 60));
  // Matches 4.. pass the detection_filter; the limit lets 2 of them through.
  EXPECT_EQ(which(e, r, 10), (std::vector<int>{4, 5}));
}

TEST(ThresholdConfig, WildcardsOnlyForRulesWithoutTheirOwn) {
  ThresholdEngine e;
  e.set_config({cfg(ThresholdConfigEntry::Kind::kThreshold, 0, 0,
                    opt(Type::kLimit, Track::kBySrc, 1, 60)),
                cfg(ThresholdConfigEntry::Kind::kThreshold, 1, 0,
                    opt(Type::kLimit, Track::kBySrc, 4, 60))});
  // The first wildcard in file order applies to a rule without thresholds.
  EXPECT_EQ(run(e, rule(10, std::nullopt), 10), 1);
  // A rule's own threshold wins over wildcards.
  EXPECT_EQ(run(e, rule(11, opt(Type::kLimit, Track::kBySrc, 3, 60)), 10), 3);
  // So does its detection_filter (and the wildcard is not added on top).
  EXPECT_EQ(run(e, rule(12, std::nullopt, opt(Type::kDetectionFilter, Track::kBySrc, 8, 60)), 10),
            2);
}

TEST(ThresholdConfig, RateFilterChangesTheActionForTimeout) {
  ThresholdEngine e;
  ThresholdConfigEntry rf = cfg(ThresholdConfigEntry::Kind::kRateFilter, 1, 1,
                                opt(Type::kLimit, Track::kBySrc, 2, 60));
  rf.new_action = Action::kDrop;
  rf.timeout = 10;
  e.set_config({rf});
  Rule r = rule(1, std::nullopt);
  std::vector<int> filtered;
  int logged = 0;
  // Matches at 0..4 s: the 3rd exceeds count 2 -> drop from then on, until 10 s after.
  const double ts[] = {0, 1, 2, 3, 4, 12, 13, 14};
  for (int k = 0; k < 8; ++k) {
    ThresholdDecision d = e.decide(r, alert(ts[k]));
    logged += d.log;
    if (d.rate_filtered) {
      EXPECT_EQ(d.action, Action::kDrop);
      filtered.push_back(k + 1);
    } else {
      EXPECT_EQ(d.action, Action::kAlert);
    }
  }
  EXPECT_EQ(logged, 8);  // a rate_filter never hides the alert
  // 3..5 within the timeout (2 + 10 >= 12); at 13 it has run out: that match ends it, the
  // next one counts again in the old window (started at 0, 60 s).
  EXPECT_EQ(filtered, (std::vector<int>{3, 4, 5, 6, 8}));
}

// ---- Memory bound.

TEST(ThresholdCapacity, OldestLiveEntryIsEvictedAndCounted) {
  ThresholdEngine e(4);
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 60));
  for (uint8_t s = 1; s <= 4; ++s) EXPECT_TRUE(e.allow(r, alert(0, s)));
  EXPECT_EQ(e.size(), 4u);
  EXPECT_EQ(e.evictions(), 0u);
  EXPECT_FALSE(e.allow(r, alert(1, 1)));  // source 1 used again: now the newest
  EXPECT_TRUE(e.allow(r, alert(2, 5)));   // evicts source 2, the least recently used
  EXPECT_EQ(e.evictions(), 1u);
  EXPECT_EQ(e.size(), 4u);
  EXPECT_FALSE(e.allow(r, alert(3, 1)));  // still tracked
  EXPECT_TRUE(e.allow(r, alert(4, 2)));   // forgotten: alerts again (evicts source 3)
  EXPECT_EQ(e.evictions(), 2u);
}

TEST(ThresholdCapacity, ExpiredEntriesAreReusedWithoutCounting) {
  ThresholdEngine e(2);
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 10));
  EXPECT_TRUE(e.allow(r, alert(0, 1)));
  EXPECT_TRUE(e.allow(r, alert(0, 2)));
  EXPECT_TRUE(e.allow(r, alert(20, 3)));  // both windows are over
  EXPECT_TRUE(e.allow(r, alert(20, 4)));
  EXPECT_EQ(e.evictions(), 0u);
  EXPECT_TRUE(e.allow(r, alert(21, 5)));
  EXPECT_EQ(e.evictions(), 1u);
}

TEST(ThresholdCapacity, ManyKeysStayWithinTheCapAndLookupsStayCorrect) {
  // Churn through 50,000 sources in a 1,000-entry table; a recent source stays tracked.
  ThresholdEngine e(1000);
  Rule r = rule(1, opt(Type::kLimit, Track::kBySrc, 1, 3600));
  for (int k = 0; k < 50000; ++k) {
    Alert a = alert(k * 0.001);
    a.src = test::ip4(10, static_cast<uint8_t>(k >> 16), static_cast<uint8_t>(k >> 8),
                      static_cast<uint8_t>(k));
    ASSERT_TRUE(e.allow(r, a)) << k;
    if (k % 7 == 0 && k > 10) {
      Alert again = a;
      again.src = test::ip4(10, static_cast<uint8_t>((k - 5) >> 16),
                            static_cast<uint8_t>((k - 5) >> 8), static_cast<uint8_t>(k - 5));
      ASSERT_FALSE(e.allow(r, again)) << k;
    }
  }
  EXPECT_EQ(e.size(), 1000u);
  EXPECT_EQ(e.evictions(), 49000u);
}

TEST(ThresholdCapacity, AllowDoesNotAllocate) {
  ThresholdEngine e(256);
  Rule r = rule(1, opt(Type::kThreshold, Track::kBySrc, 3, 10),
                opt(Type::kDetectionFilter, Track::kByBoth, 1, 10));
  ThresholdConfigEntry rf = cfg(ThresholdConfigEntry::Kind::kRateFilter, 1, 1,
                                opt(Type::kLimit, Track::kByRule, 5, 60));
  e.set_config({rf});
  auto src = [](int k) { return static_cast<uint8_t>(k % 300 < 290 ? k % 3 : k); };
  // Warm-up fills the table (entries are made on first need).
  for (int k = 0; k < 1000; ++k) (void)e.allow(r, alert(k, static_cast<uint8_t>(k)));
  ASSERT_EQ(e.size(), e.capacity());
  const uint64_t before = ts_test_allocations();
  int allowed = 0;
  for (int k = 0; k < 10000; ++k) allowed += e.allow(r, alert(1000 + k, src(k)));
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_GT(allowed, 0);
}

}  // namespace
}  // namespace ts::sig
