// FeedTracker: sequence gaps, duplicates, late packets, heartbeats, other layouts, malformed
// packets, silence, lookup, metrics (exact samples), no allocation on the hot path, and the
// shared corpus's md_feed.pcap (its three labelled gaps, exactly) when ../shared is present.
#include "detectors/feed_tracker.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "detectors/builtin.h"
#include "exporters/metrics.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::detectors {
namespace {

using test::ip4;
using test::make_udp;

constexpr Nanos kT0 = 1717509928 * kNanosPerSec;  // 2024-06-04T14:05:28Z
constexpr Nanos kMs = kNanosPerMs;

class Sink final : public sig::AlertSink {
 public:
  void on_alert(const sig::Alert& a) noexcept override { alerts.push_back(a); }
  std::vector<sig::Alert> alerts;
};

// The corpus layout: 8-byte BE seq, 2-byte BE count, count x {uint16 length; body}.
std::string md_payload(uint64_t seq, uint16_t count) {
  std::string s;
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(seq >> (8 * i)));
  s.push_back(static_cast<char>(count >> 8));
  s.push_back(static_cast<char>(count));
  for (uint16_t i = 0; i < count; ++i) s += std::string("\x00\x01T", 3);
  return s;
}

config::FeedConfig corpus_feed(const char* name, IpAddr group, Port port) {
  config::FeedConfig f;
  f.name = name;
  f.group = group;
  f.port = port;
  f.seq_offset = 0;
  f.seq_size = 8;
  f.big_endian = true;
  f.count_offset = 8;
  f.count_size = 2;
  f.silence = 5 * kNanosPerSec;
  return f;
}

const IpAddr kPub = ip4(10, 75, 31, 5);
const IpAddr kGroupA = ip4(239, 237, 246, 1);
const IpAddr kGroupB = ip4(239, 237, 246, 2);
constexpr Port kPubPort = 40001, kPortA = 33001, kPortB = 30011;

class FeedTrackerTest : public ::testing::Test {
 protected:
  FeedTrackerTest()
      : feeds_{corpus_feed("chan-a", kGroupA, kPortA), corpus_feed("chan-b", kGroupB, kPortB)},
        t_(feeds_, &sink_) {}

  // One packet on chan-a (or `dst`/`dport`), frame number `cnt`.
  void send(uint64_t seq, uint16_t count, Nanos ts, uint64_t cnt = 0, IpAddr dst = kGroupA,
            Port dport = kPortA) {
    const std::string pl = md_payload(seq, count);
    PacketView p = make_udp(kPub, dst, kPubPort, dport, pl, ts);
    p.pcap_cnt = cnt;
    t_.on_udp(p, /*flow_id=*/77);
  }
  const FeedStats& a() const { return t_.stats(0); }

  std::vector<config::FeedConfig> feeds_;
  Sink sink_;
  FeedTracker t_;
};

TEST_F(FeedTrackerTest, InOrderRunRaisesNothing) {
  uint64_t seq = 1000;
  for (int i = 0; i < 10; ++i) {
    const uint16_t n = static_cast<uint16_t>(1 + i % 3);
    send(seq, n, kT0 + i * kMs, i + 1);
    seq += n;
  }
  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_EQ(a().packets.get(), 10u);
  EXPECT_EQ(a().messages.get(), 19u);  // 1+2+3+1+2+3+1+2+3+1
  EXPECT_EQ(a().bytes.get(), 10u * 10 + 19u * 3);
  EXPECT_EQ(a().gaps.get(), 0u);
  EXPECT_EQ(a().lost_messages.get(), 0u);
  EXPECT_EQ(a().duplicates.get(), 0u);
  EXPECT_EQ(a().out_of_order.get(), 0u);
  EXPECT_EQ(a().malformed.get(), 0u);
  EXPECT_EQ(a().last_seq.get(), 1018);
  EXPECT_EQ(a().last_packet_ns.get(), kT0 + 9 * kMs);
  EXPECT_EQ(t_.stats(1).packets.get(), 0u);
}

TEST_F(FeedTrackerTest, GapOfFourMessagesAlertsWithDetail) {
  send(1610140, 3, kT0, 10);                  // expects 1610143 next
  send(1610147, 2, kT0 + 975384 * 1000, 11);  // 1610143..1610146 missing
  ASSERT_EQ(sink_.alerts.size(), 1u);
  const sig::Alert& al = sink_.alerts[0];
  EXPECT_EQ(al.gid, kGidFeed);
  EXPECT_EQ(al.sid, static_cast<uint32_t>(kFeedGap));
  EXPECT_EQ(al.rev, 1u);
  EXPECT_EQ(al.severity, find_builtin(kGidFeed, kFeedGap)->severity);
  EXPECT_EQ(al.severity, 3);
  EXPECT_EQ(al.rules, nullptr);
  EXPECT_EQ(al.ts, kT0 + 975384 * 1000);
  EXPECT_EQ(al.flow_id, 77u);
  EXPECT_EQ(al.pcap_cnt, 11u);
  EXPECT_EQ(al.src, kPub);
  EXPECT_EQ(al.dst, kGroupA);
  EXPECT_EQ(al.sport, kPubPort);
  EXPECT_EQ(al.dport, kPortA);
  EXPECT_EQ(al.ip_proto, 17);
  EXPECT_STREQ(al.app, "feed");
  EXPECT_STREQ(al.detail,
               R"({"feed":"chan-a","expected_seq":1610143,"received_seq":1610147,"lost":4})");
  EXPECT_EQ(a().gaps.get(), 1u);
  EXPECT_EQ(a().lost_messages.get(), 4u);
  EXPECT_EQ(a().last_seq.get(), 1610148);
  // Numbering continues from the packet after the gap: no second alert.
  send(1610149, 1, kT0 + kNanosPerSec, 12);
  EXPECT_EQ(sink_.alerts.size(), 1u);
}

TEST_F(FeedTrackerTest, DuplicatePacketIsCountedNotAlerted) {
  send(100, 2, kT0);
  send(102, 2, kT0 + kMs);
  send(100, 2, kT0 + 2 * kMs);  // seen before
  send(102, 1, kT0 + 3 * kMs);  // part of a packet seen before
  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_EQ(a().duplicates.get(), 2u);
  EXPECT_EQ(a().out_of_order.get(), 0u);
  EXPECT_EQ(a().packets.get(), 4u);
  EXPECT_EQ(a().last_seq.get(), 103);
  send(104, 1, kT0 + 4 * kMs);  // still expected there
  EXPECT_TRUE(sink_.alerts.empty());
}

TEST_F(FeedTrackerTest, LatePacketsFillTheGap) {
  send(100, 2, kT0);
  send(106, 1, kT0 + kMs);  // gap 102..105
  ASSERT_EQ(sink_.alerts.size(), 1u);
  EXPECT_EQ(a().lost_messages.get(), 4u);
  send(102, 2, kT0 + 2 * kMs);  // late: fills 102, 103
  EXPECT_EQ(a().out_of_order.get(), 1u);
  EXPECT_EQ(a().lost_messages.get(), 2u);
  EXPECT_EQ(a().recovered.get(), 2u);
  send(102, 2, kT0 + 3 * kMs);  // now a duplicate
  EXPECT_EQ(a().duplicates.get(), 1u);
  send(105, 1, kT0 + 4 * kMs);  // fills 105
  send(104, 1, kT0 + 5 * kMs);  // fills 104: nothing lost any more
  EXPECT_EQ(a().out_of_order.get(), 3u);
  EXPECT_EQ(a().lost_messages.get(), 0u);
  EXPECT_EQ(a().recovered.get(), 4u);
  EXPECT_EQ(a().gaps.get(), 1u);
  EXPECT_EQ(a().last_seq.get(), 106);  // late packets do not move expected
  send(107, 1, kT0 + 6 * kMs);
  EXPECT_EQ(sink_.alerts.size(), 1u);  // the gap's alert stands; no new one
}

TEST_F(FeedTrackerTest, LatePacketInTheMiddleOfAGapSplitsIt) {
  send(100, 1, kT0);
  send(110, 1, kT0 + kMs);      // gap 101..109 (9)
  send(104, 2, kT0 + 2 * kMs);  // fills 104, 105
  send(101, 3, kT0 + 3 * kMs);  // fills 101..103
  send(106, 4, kT0 + 4 * kMs);  // fills 106..109
  EXPECT_EQ(a().out_of_order.get(), 3u);
  EXPECT_EQ(a().lost_messages.get(), 0u);
  EXPECT_EQ(a().recovered.get(), 9u);
  send(104, 2, kT0 + 5 * kMs);
  EXPECT_EQ(a().duplicates.get(), 1u);
}

TEST_F(FeedTrackerTest, HeartbeatsCarryTheNextExpectedSeq) {
  send(500, 0, kT0);            // heartbeat first: expects 500
  send(500, 2, kT0 + kMs);      // data at 500
  send(502, 0, kT0 + 2 * kMs);  // heartbeat at expected: nothing moves
  send(502, 0, kT0 + 3 * kMs);
  send(502, 1, kT0 + 4 * kMs);
  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_EQ(a().messages.get(), 3u);
  EXPECT_EQ(a().last_seq.get(), 502);
  send(506, 0, kT0 + 5 * kMs, 9);  // heartbeat ahead: 503..505 were lost
  ASSERT_EQ(sink_.alerts.size(), 1u);
  EXPECT_STREQ(sink_.alerts[0].detail,
               R"({"feed":"chan-a","expected_seq":503,"received_seq":506,"lost":3})");
  EXPECT_EQ(sink_.alerts[0].pcap_cnt, 9u);
  EXPECT_EQ(a().last_seq.get(), 505);
  send(506, 1, kT0 + 6 * kMs);  // the data the heartbeat announced: in order
  send(504, 0, kT0 + 7 * kMs);  // a stale heartbeat: late, not a duplicate
  EXPECT_EQ(sink_.alerts.size(), 1u);
  EXPECT_EQ(a().gaps.get(), 1u);
  EXPECT_EQ(a().lost_messages.get(), 3u);
  EXPECT_EQ(a().out_of_order.get(), 1u);
  EXPECT_EQ(a().duplicates.get(), 0u);
}

TEST_F(FeedTrackerTest, ResetRebaselinesWithoutAGap) {
  send(50'000, 5, kT0);
  send(1, 3, kT0 + kMs);  // back to 1 from far ahead: publisher restarted
  EXPECT_EQ(a().resets.get(), 1u);
  EXPECT_EQ(a().last_seq.get(), 3);
  send(4, 1, kT0 + 2 * kMs);          // in order after the restart
  send(2'000'000, 1, kT0 + 3 * kMs);  // a jump of more than a million: also a restart
  EXPECT_EQ(a().resets.get(), 2u);
  send(2'000'001, 1, kT0 + 4 * kMs);
  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_EQ(a().gaps.get(), 0u);
  EXPECT_EQ(a().duplicates.get(), 0u);
  EXPECT_EQ(a().out_of_order.get(), 0u);
  EXPECT_EQ(a().last_seq.get(), 2'000'001);
  send(1'500'000, 1, kT0 + 5 * kMs);  // far back but not to 0/1: a late packet
  EXPECT_EQ(a().resets.get(), 2u);
  EXPECT_EQ(a().out_of_order.get(), 1u);  // before the baseline: never seen
}

// The remembered gaps are bounded (64 per feed): a late packet for a forgotten gap counts as
// a duplicate and its messages stay lost; recent gaps still fill, and splitting one at
// capacity forgets the oldest.
TEST_F(FeedTrackerTest, GapMemoryIsBounded) {
  send(0, 1, kT0);
  for (uint64_t i = 0; i < 70; ++i) send(2 + 2 * i, 1, kT0);  // gaps at 1, 3, 5, ..., 139
  EXPECT_EQ(a().gaps.get(), 70u);
  EXPECT_EQ(a().lost_messages.get(), 70u);
  send(1, 1, kT0);   // gap 1 was forgotten (70 > 64)
  send(11, 1, kT0);  // gap 11 (the 6th) was forgotten too
  EXPECT_EQ(a().duplicates.get(), 2u);
  send(13, 1, kT0);   // the 7th is the oldest remembered
  send(139, 1, kT0);  // the newest
  EXPECT_EQ(a().out_of_order.get(), 2u);
  EXPECT_EQ(a().lost_messages.get(), 68u);
  // 62 remembered now (15..137 odd); three wide gaps take it past 64.
  send(145, 1, kT0);  // 141..144: 63 remembered
  send(150, 1, kT0);  // 146..149: 64
  send(155, 1, kT0);  // 151..154: the oldest (15) goes
  send(15, 1, kT0);
  EXPECT_EQ(a().duplicates.get(), 3u);
  send(147, 1, kT0);  // splits 146..149 at capacity: 17 goes
  send(17, 1, kT0);
  EXPECT_EQ(a().duplicates.get(), 4u);
  send(146, 1, kT0);
  send(148, 2, kT0);
  send(19, 1, kT0);  // still remembered
  EXPECT_EQ(a().gaps.get(), 73u);
  EXPECT_EQ(a().out_of_order.get(), 6u);  // 13, 139, 147, 146, 148, 19
  EXPECT_EQ(a().recovered.get(), 7u);
  EXPECT_EQ(a().lost_messages.get(), 70u + 3 * 4u - 7u);  // net
}

// Splitting the oldest remembered gap at capacity forgets its older part.
TEST_F(FeedTrackerTest, SplittingTheOldestGapAtCapacity) {
  send(0, 1, kT0);
  for (uint64_t i = 0; i < 64; ++i) send(4 + 4 * i, 1, kT0);  // gaps 1..3, 5..7, ...
  send(2, 1, kT0);  // splits 1..3: 1 is forgotten, 3 stays
  send(1, 1, kT0);
  EXPECT_EQ(a().duplicates.get(), 1u);
  send(3, 1, kT0);
  send(5, 3, kT0);
  EXPECT_EQ(a().out_of_order.get(), 3u);
  EXPECT_EQ(a().recovered.get(), 5u);
  EXPECT_EQ(a().lost_messages.get(), 64u * 3 - 5);
}

// Against a reference that remembers every message seen: random reordering within a small
// window, drops, duplicates and heartbeats, so fewer than 64 gaps are ever open at once.
TEST(FeedTracker, MatchesASetBasedReference) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    struct Pkt {
      uint64_t seq;
      uint16_t n;
    };
    std::vector<Pkt> sent;
    uint64_t seq = 10'000 + seed;
    for (int i = 0; i < 2000; ++i) {
      const uint16_t n = static_cast<uint16_t>(rng() % 8 == 0 ? 0 : 1 + rng() % 4);
      sent.push_back({seq, n});
      seq += n;
    }
    std::vector<Pkt> wire;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      if (i > 0 && rng() % 20 == 0) continue;  // lost (never the first)
      wire.push_back(sent[i]);
      if (rng() % 25 == 0) wire.push_back(sent[i - rng() % std::min<std::size_t>(i + 1, 6)]);
    }
    for (std::size_t i = 1; i + 1 < wire.size(); ++i)  // local reordering
      if (rng() % 10 == 0)
        std::swap(wire[i], wire[i + 1 + rng() % std::min<std::size_t>(3, wire.size() - i - 1)]);

    const std::vector<config::FeedConfig> feeds{corpus_feed("r", kGroupA, kPortA)};
    Sink sink;
    FeedTracker t(feeds, &sink);
    std::set<uint64_t> seen;
    bool started = false;
    uint64_t expected = 0, base = 0, gaps = 0, lost = 0, dups = 0, ooo = 0;
    for (const Pkt& p : wire) {
      const std::string pl = md_payload(p.seq, p.n);
      t.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, pl, kT0), 1);
      const uint64_t e = p.seq + p.n;
      if (!started || p.seq >= expected) {
        if (started && p.seq > expected) {
          ++gaps;
          lost += p.seq - expected;
        }
        started = true;
        if (seen.empty()) base = p.seq;
        expected = e;
      } else {
        uint64_t filled = 0;
        for (uint64_t m = std::max(p.seq, base); m < std::min(e, expected); ++m)
          filled += seen.count(m) == 0;
        lost -= filled;
        if (p.n > 0 && filled == 0 && p.seq >= base && e <= expected) {
          ++dups;
        } else {
          ++ooo;
          expected = std::max(expected, e);
          base = std::min(base, p.seq);
        }
      }
      for (uint64_t m = p.seq; m < e; ++m) seen.insert(m);
      if (seen.empty() && !started) base = p.seq;
    }
    const FeedStats& st = t.stats(0);
    EXPECT_EQ(st.gaps.get(), gaps) << seed;
    EXPECT_EQ(sink.alerts.size(), gaps) << seed;
    EXPECT_EQ(st.lost_messages.get(), lost) << seed;
    EXPECT_EQ(st.duplicates.get(), dups) << seed;
    EXPECT_EQ(st.out_of_order.get(), ooo) << seed;
    EXPECT_EQ(st.resets.get(), 0u) << seed;
    EXPECT_EQ(st.last_seq.get(), static_cast<int64_t>(expected - 1)) << seed;
    EXPECT_GT(dups, 0u) << seed;
    EXPECT_GT(ooo, 0u) << seed;
  }
}

TEST(FeedTracker, LittleEndianFourByteSeqWithoutCount) {
  config::FeedConfig f = corpus_feed("le4", ip4(239, 1, 1, 1), 5000);
  f.seq_offset = 2;
  f.seq_size = 4;
  f.big_endian = false;
  f.count_offset = -1;
  Sink sink;
  FeedTracker t({f}, &sink);
  auto send = [&](uint32_t seq, Nanos ts) {
    std::string pl = "xx";
    for (int i = 0; i < 4; ++i) pl.push_back(static_cast<char>(seq >> (8 * i)));
    pl += "body";
    t.on_udp(make_udp(kPub, f.group, 1234, f.port, pl, ts), 5);
  };
  send(0xFFFFFFFEu, kT0);
  send(0xFFFFFFFFu, kT0 + 1);
  send(0, kT0 + 2);  // wraps: in order
  send(1, kT0 + 3);
  EXPECT_TRUE(sink.alerts.empty());
  EXPECT_EQ(t.stats(0).resets.get(), 0u);
  EXPECT_EQ(t.stats(0).messages.get(), 4u);
  EXPECT_EQ(t.stats(0).last_seq.get(), 1);
  send(4, kT0 + 4);  // 2 and 3 missing
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_STREQ(sink.alerts[0].detail,
               R"({"feed":"le4","expected_seq":2,"received_seq":4,"lost":2})");
  send(0xFFFFFFFFu, kT0 + 5);  // seen before the wrap
  EXPECT_EQ(t.stats(0).duplicates.get(), 1u);
  send(3, kT0 + 6);
  EXPECT_EQ(t.stats(0).out_of_order.get(), 1u);
  EXPECT_EQ(t.stats(0).lost_messages.get(), 1u);
}

TEST(FeedTracker, TwoByteSeqWithOneByteCountWraps) {
  config::FeedConfig f = corpus_feed("be2", ip4(239, 1, 1, 2), 5001);
  f.seq_size = 2;
  f.count_offset = 2;
  f.count_size = 1;
  Sink sink;
  FeedTracker t({f}, &sink);
  auto send = [&](uint16_t seq, uint8_t count) {
    std::string pl;
    pl.push_back(static_cast<char>(seq >> 8));
    pl.push_back(static_cast<char>(seq));
    pl.push_back(static_cast<char>(count));
    t.on_udp(make_udp(kPub, f.group, 1234, f.port, pl, kT0), 5);
  };
  send(65530, 4);
  send(65534, 3);  // 65534, 65535, 0
  send(1, 2);
  EXPECT_TRUE(sink.alerts.empty());
  send(5, 1);
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_STREQ(sink.alerts[0].detail,
               R"({"feed":"be2","expected_seq":3,"received_seq":5,"lost":2})");
  EXPECT_EQ(t.stats(0).last_seq.get(), 5);
}

TEST_F(FeedTrackerTest, ShortPacketsAreMalformed) {
  send(100, 1, kT0);
  const std::string short_seq = md_payload(101, 1).substr(0, 7);    // not even the seq
  const std::string short_count = md_payload(101, 1).substr(0, 9);  // seq but half the count
  t_.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, short_seq, kT0 + kMs), 77);
  t_.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, short_count, kT0 + 2 * kMs), 77);
  t_.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, "", kT0 + 3 * kMs), 77);
  EXPECT_EQ(a().malformed.get(), 3u);
  EXPECT_EQ(a().packets.get(), 4u);
  EXPECT_EQ(a().messages.get(), 1u);
  EXPECT_EQ(a().last_packet_ns.get(), kT0 + 3 * kMs);  // the feed was heard
  send(101, 1, kT0 + 4 * kMs);                         // sequence state untouched
  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_EQ(a().gaps.get(), 0u);
}

TEST_F(FeedTrackerTest, SilenceAlertsOnceAndRearms) {
  t_.tick(kT0 + 60 * kNanosPerSec);  // never heard: nothing
  send(100, 1, kT0, 3);
  t_.tick(kT0 + 5 * kNanosPerSec);  // exactly the limit: not yet
  EXPECT_TRUE(sink_.alerts.empty());
  t_.tick(kT0 + 5 * kNanosPerSec + 250 * kMs);
  ASSERT_EQ(sink_.alerts.size(), 1u);
  const sig::Alert& al = sink_.alerts[0];
  EXPECT_EQ(al.gid, kGidFeed);
  EXPECT_EQ(al.sid, static_cast<uint32_t>(kFeedSilence));
  EXPECT_EQ(al.rev, 1u);
  EXPECT_EQ(al.severity, 2);
  EXPECT_EQ(al.ts, kT0 + 5 * kNanosPerSec + 250 * kMs);
  EXPECT_EQ(al.flow_id, 77u);
  EXPECT_EQ(al.pcap_cnt, 0u);  // not raised by a packet
  EXPECT_EQ(al.src, kPub);
  EXPECT_EQ(al.dst, kGroupA);
  EXPECT_EQ(al.sport, kPubPort);
  EXPECT_EQ(al.dport, kPortA);
  EXPECT_EQ(al.ip_proto, 17);
  EXPECT_STREQ(al.app, "feed");
  EXPECT_STREQ(al.detail, R"({"feed":"chan-a","silent_seconds":5.250,"limit_seconds":5.000})");
  EXPECT_EQ(a().silences.get(), 1u);
  t_.tick(kT0 + 30 * kNanosPerSec);  // still silent: once only
  EXPECT_EQ(sink_.alerts.size(), 1u);
  send(101, 1, kT0 + 31 * kNanosPerSec);  // heard again: re-armed
  t_.tick(kT0 + 35 * kNanosPerSec);
  EXPECT_EQ(sink_.alerts.size(), 1u);
  t_.tick(kT0 + 37 * kNanosPerSec);
  ASSERT_EQ(sink_.alerts.size(), 2u);
  EXPECT_STREQ(sink_.alerts[1].detail,
               R"({"feed":"chan-a","silent_seconds":6.000,"limit_seconds":5.000})");
  EXPECT_EQ(a().silences.get(), 2u);
  EXPECT_EQ(t_.stats(1).silences.get(), 0u);  // chan-b was never heard
}

TEST(FeedTracker, SilenceZeroIsOff) {
  config::FeedConfig f = corpus_feed("quiet", kGroupA, kPortA);
  f.silence = 0;
  Sink sink;
  FeedTracker t({f}, &sink);
  const std::string pl = md_payload(1, 1);
  t.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, pl, kT0), 1);
  t.tick(kT0 + 3600 * kNanosPerSec);
  EXPECT_TRUE(sink.alerts.empty());
}

TEST_F(FeedTrackerTest, SilenceOfOneFeedWhileAnotherIsBusy) {
  send(100, 1, kT0);
  for (int i = 1; i <= 10; ++i) {  // chan-b keeps talking, chan-a stops
    send(1000 + i, 1, kT0 + i * kNanosPerSec, 0, kGroupB, kPortB);
    t_.tick(kT0 + i * kNanosPerSec);
  }
  ASSERT_EQ(sink_.alerts.size(), 1u);
  EXPECT_EQ(sink_.alerts[0].ts, kT0 + 6 * kNanosPerSec);
  EXPECT_EQ(sink_.alerts[0].dst, kGroupA);
  EXPECT_EQ(t_.stats(0).silences.get(), 1u);
  EXPECT_EQ(t_.stats(1).silences.get(), 0u);
}

TEST_F(FeedTrackerTest, NonFeedUdpIsIgnored) {
  const std::string pl = md_payload(1, 1);
  t_.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortB, pl, kT0), 1);  // feed group, other port
  t_.on_udp(make_udp(kPub, kGroupB, kPubPort, kPortA, pl, kT0), 1);  // other group, feed port
  t_.on_udp(make_udp(kPub, ip4(10, 0, 0, 1), kPubPort, kPortA, pl, kT0), 1);
  t_.on_udp(make_udp(kGroupA, kPub, kPortA, kPubPort, pl, kT0), 1);     // feed as the source
  PacketView tcp = make_udp(kPub, kGroupA, kPubPort, kPortA, pl, kT0);  // TCP to the feed
  tcp.l4 = L4::kTcp;
  tcp.ip_proto = 6;
  t_.on_udp(tcp, 1);
  for (std::size_t i = 0; i < t_.feeds(); ++i) {
    EXPECT_EQ(t_.stats(i).packets.get(), 0u);
    EXPECT_EQ(t_.stats(i).last_packet_ns.get(), 0);
  }
  t_.tick(kT0 + 3600 * kNanosPerSec);
  EXPECT_TRUE(sink_.alerts.empty());
}

TEST(FeedTracker, ManyFeedsEachFindTheirOwn) {
  // 60 feeds: 30 groups x 2 ports, including IPv6 groups, so probes collide.
  std::vector<config::FeedConfig> feeds;
  for (int g = 0; g < 30; ++g) {
    IpAddr group = ip4(239, 0, 0, static_cast<uint8_t>(g));
    if (g % 3 == 0) {
      uint8_t v6[16] = {0xff, 0x05};
      v6[15] = static_cast<uint8_t>(g);
      group = IpAddr::v6(v6);
    }
    for (Port port : {Port{30000}, Port{30001}})
      feeds.push_back(corpus_feed(("f" + std::to_string(feeds.size())).c_str(), group, port));
  }
  Sink sink;
  FeedTracker t(feeds, &sink);
  ASSERT_EQ(t.feeds(), 60u);
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    for (std::size_t k = 0; k <= i % 4; ++k) {
      const std::string pl = md_payload(10 + k, 1);
      t.on_udp(make_udp(kPub, feeds[i].group, kPubPort, feeds[i].port, pl, kT0), 1);
    }
  }
  for (std::size_t i = 0; i < feeds.size(); ++i)
    EXPECT_EQ(t.stats(i).packets.get(), i % 4 + 1) << feeds[i].name;
  EXPECT_TRUE(sink.alerts.empty());
}

TEST(FeedTracker, MetricsAreSummedOverWorkersExactly) {
  const std::vector<config::FeedConfig> feeds{corpus_feed("chan-a", kGroupA, kPortA),
                                              corpus_feed("chan-b", kGroupB, kPortB)};
  Sink sink;
  FeedTracker w0(feeds, &sink), w1(feeds, &sink);
  auto send = [](FeedTracker& t, IpAddr g, Port port, uint64_t seq, uint16_t n, Nanos ts) {
    const std::string pl = md_payload(seq, n);
    t.on_udp(make_udp(kPub, g, kPubPort, port, pl, ts), 1);
  };
  // Worker 0: chan-a with a gap of 4, a late packet filling 2 of them, a duplicate.
  send(w0, kGroupA, kPortA, 100, 2, kT0);
  send(w0, kGroupA, kPortA, 106, 1, kT0 + 500 * kMs);
  send(w0, kGroupA, kPortA, 102, 2, kT0 + 600 * kMs);
  send(w0, kGroupA, kPortA, 106, 1, kT0 + 700 * kMs);
  const std::string bad = "\x01\x02";
  w0.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, bad, kT0 + 750 * kMs), 1);
  // Worker 1: a stray chan-a packet (another publisher), chan-b in order; then both silent.
  send(w1, kGroupA, kPortA, 7, 1, kT0 + 250 * kMs);
  send(w1, kGroupB, kPortB, 9000, 3, kT0 + 2 * kNanosPerSec);
  send(w1, kGroupB, kPortB, 9003, 3, kT0 + 3 * kNanosPerSec);
  w1.tick(kT0 + 10 * kNanosPerSec);

  exporters::MetricsRegistry reg;
  reg.add_callback([&](exporters::MetricsSink& s) {
    const FeedTracker* ts[] = {&w0, &w1};
    FeedTracker::collect_metrics(ts, feeds, s);
  });
  auto family = [](const char* name, const char* type, const char* help, const char* a,
                   const char* b) {
    return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + "{feed=\"chan-a\"} " + a + "\n" + name + "{feed=\"chan-b\"} " + b + "\n";
  };
  const std::string want =
      family("tradesentry_feed_packets_total", "counter", "Market-data packets received, per feed",
             "6", "2") +
      family("tradesentry_feed_bytes_total", "counter",
             "UDP payload bytes of market-data packets, per feed", "73", "38") +
      family("tradesentry_feed_messages_total", "counter",
             "Market-data messages received (sum of packet message counts), per feed", "7", "6") +
      family("tradesentry_feed_gaps_total", "counter",
             "Times a feed's sequence number jumped ahead, per feed", "1", "0") +
      family("tradesentry_feed_lost_messages_total", "counter",
             "Messages skipped by sequence gaps, per feed (including those a late packet filled "
             "later, see tradesentry_feed_recovered_messages_total)",
             "4", "0") +
      family("tradesentry_feed_recovered_messages_total", "counter",
             "Messages of earlier sequence gaps that arrived late, per feed", "2", "0") +
      family("tradesentry_feed_duplicates_total", "counter",
             "Market-data packets whose messages were all seen before, per feed", "1", "0") +
      family("tradesentry_feed_out_of_order_total", "counter",
             "Market-data packets behind the expected sequence that were not duplicates, per "
             "feed",
             "1", "0") +
      family("tradesentry_feed_malformed_packets_total", "counter",
             "Market-data packets too short for the sequence or count field, per feed", "1", "0") +
      family("tradesentry_feed_silences_total", "counter",
             "Times a feed fell silent longer than its limit, per feed", "1", "1") +
      family("tradesentry_feed_resets_total", "counter",
             "Times a feed's sequence numbering restarted (rebaselined without a gap), per feed",
             "0", "0") +
      family("tradesentry_feed_last_packet_timestamp_seconds", "gauge",
             "Packet time of the feed's last packet (Unix seconds; 0: never), per feed",
             "1717509928.75", "1717509931") +
      family("tradesentry_feed_last_sequence", "gauge",
             "Highest sequence number received (next expected - 1), per feed", "106", "9005");
  EXPECT_EQ(reg.text(), want);
  EXPECT_EQ(w0.stats(0).lost_messages.get(), 2u);  // net: 4 skipped, 2 arrived late
}

// Counts only: the allocation test must not allocate in the sink either.
class CountingSink final : public sig::AlertSink {
 public:
  void on_alert(const sig::Alert&) noexcept override { ++n; }
  uint64_t n = 0;
};

TEST(FeedTracker, HotPathDoesNotAllocate) {
  std::vector<config::FeedConfig> feeds{corpus_feed("chan-a", kGroupA, kPortA),
                                        corpus_feed("chan-b", kGroupB, kPortB)};
  CountingSink sink;
  FeedTracker t(feeds, &sink);
  std::vector<std::string> payloads;
  for (uint64_t s = 0; s < 400; s += 2) payloads.push_back(md_payload(1000 + s, s % 10 ? 2 : 0));
  const std::string other = md_payload(1, 1);
  const uint64_t before = ts_test_allocations();
  Nanos ts = kT0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      ts += 30 * kMs;
      if (i % 7 == 3) continue;  // gaps
      t.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, payloads[i], ts), 1);
      if (i % 11 == 5) t.on_udp(make_udp(kPub, kGroupA, kPubPort, kPortA, payloads[i - 2], ts), 1);
      t.on_udp(make_udp(kPub, ip4(10, 0, 0, 9), kPubPort, 53, other, ts), 2);  // not a feed
      t.tick(ts);
    }
    ts += 10 * kNanosPerSec;  // silence; the next round replays older numbers
    t.tick(ts);
  }
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_GT(sink.n, 0u);
  EXPECT_GT(t.stats(0).gaps.get(), 0u);
  EXPECT_GT(t.stats(0).silences.get(), 0u);
}

// ---- the shared corpus ----

std::string corpus_dir() {
  std::vector<std::string> dirs;
  if (const char* e = std::getenv("TS_SHARED_DIR")) dirs.push_back(std::string(e) + "/corpus");
  dirs.push_back(std::string(TS_SOURCE_DIR) + "/../shared/corpus");
  for (const std::string& d : dirs) {
    struct stat st {};
    if (stat((d + "/md_feed.pcap").c_str(), &st) == 0) return d;
  }
  return {};
}

class Replay final : public FrameHandler {
 public:
  explicit Replay(FeedTracker& t) : t_(t), dec_(DecodeConfig{}, nullptr) {}
  void on_frame(LinkType lt, Nanos ts, const uint8_t* data, uint32_t caplen, uint32_t wirelen,
                bool) noexcept override {
    PacketView v;
    const DecodeResult r = dec_.decode(lt, ts, data, caplen, wirelen, v);
    v.pcap_cnt = ++frames;
    if (r != DecodeResult::kOk) return;
    t_.on_udp(v, 1);
    t_.tick(ts);
  }
  uint64_t frames = 0;

 private:
  FeedTracker& t_;
  Decoder dec_;
};

TEST(FeedTracker, CorpusMdFeedHasExactlyTheLabelledGaps) {
  const std::string dir = corpus_dir();
  if (dir.empty())
    GTEST_SKIP() << "md_feed.pcap not found: set TS_SHARED_DIR or put the shared tree at "
                 << TS_SOURCE_DIR << "/../shared";
  const std::vector<config::FeedConfig> feeds{corpus_feed("md1", kGroupA, kPortA),
                                              corpus_feed("md2", kGroupB, kPortB)};
  Sink sink;
  FeedTracker t(feeds, &sink);
  std::string err;
  auto src = CaptureSource::open_files({dir + "/md_feed.pcap"}, &err);
  ASSERT_NE(src, nullptr) << err;
  Replay h(t);
  for (int got = 0; src->read(256, h, &got) == CaptureSource::ReadStatus::kPackets;) {
  }
  EXPECT_EQ(h.frames, 4516u);
  // md_feed.labels.json: md_seq_gap-001, -003, -002 in time order.
  struct Want {
    IpAddr src, dst;
    Port dport;
    Nanos ts_us;
    const char* detail;
  };
  const Want want[] = {
      {ip4(10, 75, 31, 5), kGroupA, kPortA, 1717509928975384,
       R"({"feed":"md1","expected_seq":1610143,"received_seq":1610147,"lost":4})"},
      {ip4(10, 75, 31, 6), kGroupB, kPortB, 1717509940967330,
       R"({"feed":"md2","expected_seq":2305459,"received_seq":2305468,"lost":9})"},
      {ip4(10, 75, 31, 5), kGroupA, kPortA, 1717509950039088,
       R"({"feed":"md1","expected_seq":1613343,"received_seq":1613349,"lost":6})"},
  };
  ASSERT_EQ(sink.alerts.size(), std::size(want));
  for (std::size_t i = 0; i < std::size(want); ++i) {
    const sig::Alert& a = sink.alerts[i];
    EXPECT_EQ(a.sid, static_cast<uint32_t>(kFeedGap)) << i;
    EXPECT_EQ(a.src, want[i].src) << i;
    EXPECT_EQ(a.dst, want[i].dst) << i;
    EXPECT_EQ(a.dport, want[i].dport) << i;
    EXPECT_EQ(a.ts / 1000, want[i].ts_us) << i;
    EXPECT_STREQ(a.detail, want[i].detail) << i;
  }
  for (std::size_t f = 0; f < 2; ++f) {
    EXPECT_EQ(t.stats(f).duplicates.get(), 0u);
    EXPECT_EQ(t.stats(f).out_of_order.get(), 0u);
    EXPECT_EQ(t.stats(f).malformed.get(), 0u);
    EXPECT_EQ(t.stats(f).resets.get(), 0u);
  }
  EXPECT_EQ(t.stats(0).packets.get() + t.stats(1).packets.get(), 4516u);
  EXPECT_EQ(t.stats(0).gaps.get(), 2u);
  EXPECT_EQ(t.stats(0).lost_messages.get(), 10u);
  EXPECT_EQ(t.stats(1).gaps.get(), 1u);
  EXPECT_EQ(t.stats(1).lost_messages.get(), 9u);
}

}  // namespace
}  // namespace ts::detectors
