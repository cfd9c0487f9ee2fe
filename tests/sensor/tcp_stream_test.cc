#include "sensor/tcp_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts {
namespace {

using test::ip4;
using test::make_tcp;
using test::test_hash;
namespace f = tcpflag;

constexpr Nanos kMs = kNanosPerMs;
constexpr Nanos kUs = kNanosPerUs;
constexpr uint8_t kA = f::kAck, kPA = f::kAck | f::kPsh;

// Appends delivered bytes per flow and direction; a gap shows as "<gap:N>".
class Recorder : public StreamConsumer {
 public:
  void on_stream_data(Flow& fl, Dir d, std::span<const uint8_t> b, Nanos) noexcept override {
    s[fl.id][idx(d)].append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void on_stream_gap(Flow& fl, Dir d, uint32_t len, Nanos) noexcept override {
    s[fl.id][idx(d)] += "<gap:" + std::to_string(len) + ">";
  }
  void on_stream_end(Flow& fl, Nanos) noexcept override { ended.push_back(fl.id); }
  std::map<uint64_t, std::array<std::string, 2>> s;
  std::vector<uint64_t> ended;
};

class EndSink : public FlowEndSink {
 public:
  void on_flow_end(Flow& fl, FlowEndReason, Nanos now) noexcept override {
    if (tracker) tracker->end(fl, now);
  }
  TcpTracker* tracker = nullptr;
};

TcpConfig tcp_cfg(std::size_t cap = 64) {
  TcpConfig c;
  c.flow_capacity = cap;
  c.reassembly_memcap = 1u << 20;
  c.reassembly_per_flow = 256u << 10;
  return c;
}

FlowTableConfig table_cfg(std::size_t cap = 64) {
  FlowTableConfig c;
  c.capacity = cap;
  return c;
}

// One worker's flow table and tracker, plus a client/server pair to send packets between.
class Tcp : public ::testing::Test {
 protected:
  void init(const TcpConfig& tc) {
    table = std::make_unique<FlowTable>(table_cfg(tc.flow_capacity), 0, 7, &sink);
    tracker = std::make_unique<TcpTracker>(tc, *table);
    sink.tracker = tracker.get();
    tracker->add_consumer(&rec);
  }
  void SetUp() override { init(tcp_cfg()); }

  // Client -> server (c2s) and server -> client packets of connection `port`.
  Flow* c2s(uint32_t seq, uint32_t ack, uint8_t flags, std::string_view data, Nanos ts,
            Port port = 40000, uint16_t win = 1000) {
    return send(make_tcp(kC, kS, port, 80, seq, ack, flags, data, ts, win));
  }
  Flow* s2c(uint32_t seq, uint32_t ack, uint8_t flags, std::string_view data, Nanos ts,
            Port port = 40000, uint16_t win = 1000) {
    return send(make_tcp(kS, kC, 80, port, seq, ack, flags, data, ts, win));
  }
  Flow* send(const PacketView& p) {
    auto r = table->lookup(p, test_hash(p));
    tracker->process(*r.flow, r.dir, p);
    return r.flow;
  }
  std::string& out(Flow* fl, Dir d) { return rec.s[fl->id][idx(d)]; }
  std::string up(Flow* fl) { return rec.s[fl->id][0]; }
  std::string down(Flow* fl) { return rec.s[fl->id][1]; }
  const TcpStats& st() { return tracker->stats(); }

  // Handshake with client ISN 999 and server ISN 4999: data starts at 1000 / 5000.
  Flow* handshake(Port port = 40000, Nanos t0 = 0) {
    c2s(999, 0, f::kSyn, "", t0, port);
    s2c(4999, 1000, f::kSyn | f::kAck, "", t0 + 100 * kUs, port);
    return c2s(1000, 5000, kA, "", t0 + 150 * kUs, port);
  }

  const IpAddr kC = ip4(192, 168, 1, 10), kS = ip4(192, 168, 1, 20);
  EndSink sink;
  Recorder rec;
  std::unique_ptr<FlowTable> table;
  std::unique_ptr<TcpTracker> tracker;
};

TEST_F(Tcp, InOrderBothDirectionsHandshakeAndFin) {
  Flow* fl = handshake();
  EXPECT_EQ(fl->state, FlowState::kEstablished);
  c2s(1000, 5000, kPA, "hello ", 1 * kMs);
  c2s(1006, 5000, kPA, "world", 2 * kMs);
  s2c(5000, 1011, kPA, "OK", 3 * kMs);
  c2s(1011, 5002, kA | f::kFin, "", 4 * kMs);
  EXPECT_EQ(fl->state, FlowState::kEstablished);
  s2c(5002, 1012, kA | f::kFin, "", 5 * kMs);
  EXPECT_EQ(fl->state, FlowState::kClosed);
  c2s(1012, 5003, kA, "", 6 * kMs);
  EXPECT_EQ(up(fl), "hello world");
  EXPECT_EQ(down(fl), "OK");
  EXPECT_EQ(st().sessions.get(), 1u);
  EXPECT_EQ(st().syn.get(), 1u);
  EXPECT_EQ(st().synack.get(), 1u);
  EXPECT_EQ(st().fin.get(), 2u);
  EXPECT_EQ(st().handshakes.get(), 1u);
  EXPECT_EQ(st().retransmissions.get(), 0u);
  EXPECT_EQ(st().out_of_order.get(), 0u);
  EXPECT_EQ(st().lost_segment.get(), 0u);
  EXPECT_EQ(st().gaps.get(), 0u);
  EXPECT_EQ(st().bytes_delivered.get(), 13u);
  EXPECT_EQ(st().reassembly_buffered.get(), 0u);
  EXPECT_FALSE(fl->midstream);
  const uint64_t id = fl->id;
  table->flush(FlowEndReason::kShutdown, 7 * kMs);
  EXPECT_EQ(rec.ended, std::vector<uint64_t>{id});
}

TEST_F(Tcp, HandshakeRttIsExact) {
  c2s(999, 0, f::kSyn, "", 1'000'000'000);
  Flow* fl = c2s(999, 0, f::kSyn, "", 2'000'000'000);  // SYN retransmitted after 1 s
  s2c(4999, 1000, f::kSyn | f::kAck, "", 2'000'123'456);
  EXPECT_EQ(tracker->handshake_rtt(*fl), 0);
  c2s(1000, 5000, kA, "", 2'000'200'000);
  const TcpHandshake h = tracker->handshake(*fl);
  EXPECT_EQ(h.syn_to_synack, 123'456);
  EXPECT_EQ(h.synack_to_ack, 76'544);
  EXPECT_EQ(h.rtt, 200'000);
  EXPECT_EQ(tracker->handshake_rtt(*fl), 200'000);
  EXPECT_EQ(st().syn.get(), 2u);
  EXPECT_EQ(st().retransmissions.get(), 1u);  // the SYN, like Wireshark
  EXPECT_EQ(st().handshakes.get(), 1u);
}

TEST_F(Tcp, ReorderedPairIsLostSegmentThenOutOfOrder) {
  Flow* fl = handshake();
  c2s(1005, 5000, kPA, "56789", 1 * kMs);
  EXPECT_EQ(up(fl), "");
  EXPECT_EQ(st().reassembly_bytes.get(), 5);
  c2s(1000, 5000, kPA, "01234", 1 * kMs + 50 * kUs);  // within the 150 us handshake RTT
  EXPECT_EQ(up(fl), "0123456789");
  EXPECT_EQ(st().lost_segment.get(), 1u);
  EXPECT_EQ(st().out_of_order.get(), 1u);
  EXPECT_EQ(st().retransmissions.get(), 0u);
  EXPECT_EQ(st().reassembly_buffered.get(), 1u);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
  EXPECT_EQ(st().gaps.get(), 0u);
}

TEST_F(Tcp, LateFillOfHoleIsARetransmission) {
  Flow* fl = handshake();
  c2s(1005, 5000, kPA, "56789", 1 * kMs);
  c2s(1000, 5000, kPA, "01234", 200 * kMs);  // far beyond the RTT: Wireshark says retransmission
  EXPECT_EQ(up(fl), "0123456789");
  EXPECT_EQ(st().lost_segment.get(), 1u);
  EXPECT_EQ(st().out_of_order.get(), 0u);
  EXPECT_EQ(st().retransmissions.get(), 1u);
}

TEST_F(Tcp, ThreeSegmentsInEveryOrder) {
  const std::string segs[3] = {"aaaa", "bbbbbb", "cc"};
  const uint32_t seqs[3] = {1000, 1004, 1010};
  std::vector<int> order{0, 1, 2};
  Port port = 1000;
  do {
    Flow* fl = handshake(port);
    Nanos t = 1 * kMs;
    for (int i : order) c2s(seqs[i], 5000, kPA, segs[i], t += kUs, port);
    EXPECT_EQ(up(fl), "aaaabbbbbbcc") << order[0] << order[1] << order[2];
    ++port;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(st().gaps.get(), 0u);
  EXPECT_EQ(st().retransmissions.get(), 0u);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
  // Wireshark: 012 none; 021 lost+ooo; 102 lost+ooo; 120 lost+ooo(1 from 0); 201 lost+2 ooo;
  // 210 lost+2 ooo.
  EXPECT_EQ(st().lost_segment.get(), 5u);
  EXPECT_EQ(st().out_of_order.get(), 7u);
}

TEST_F(Tcp, RandomSegmentationAndPermutationDeliversEachByteOnce) {
  std::mt19937 rng(12345);
  Port port = 2000;
  for (int iter = 0; iter < 300; ++iter) {
    const std::size_t len = 1 + rng() % 20000;
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>('a' + rng() % 26);
    // Random segmentation; every third iteration adds duplicate and overlapping copies.
    struct Seg {
      uint32_t off, len;
    };
    std::vector<Seg> segs;
    for (uint32_t off = 0; off < len;) {
      const uint32_t n = std::min<uint32_t>(1 + rng() % 1460, static_cast<uint32_t>(len) - off);
      segs.push_back({off, n});
      off += n;
    }
    if (iter % 3 == 0) {
      const std::size_t extra = segs.size() / 2 + 1;
      for (std::size_t k = 0; k < extra; ++k) {
        const uint32_t off = rng() % len;
        const uint32_t n = std::min<uint32_t>(1 + rng() % 3000, static_cast<uint32_t>(len) - off);
        segs.push_back({off, n});
      }
    }
    std::shuffle(segs.begin(), segs.end(), rng);
    const uint32_t isn = static_cast<uint32_t>(rng());  // includes wraparound cases
    c2s(isn, 0, f::kSyn, "", 0, port);
    s2c(7, isn + 1, f::kSyn | f::kAck, "", 1, port);
    Flow* fl = c2s(isn + 1, 8, kA, "", 2, port);
    Nanos t = 10;
    for (const Seg& s : segs)
      c2s(isn + 1 + s.off, 8, kPA, std::string_view(data).substr(s.off, s.len), t += 10, port);
    ASSERT_EQ(up(fl), data) << "iter " << iter << " drops " << st().reassembly_memcap_drops.get()
                            << " gaps " << st().gaps.get();
    table->flush(FlowEndReason::kShutdown, t);
    ++port;
  }
  EXPECT_EQ(st().gaps.get(), 0u);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
  EXPECT_EQ(st().reassembly_memcap_drops.get(), 0u);
}

TEST_F(Tcp, FullRetransmissionIsNotDeliveredTwice) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "abcde", 1 * kMs);
  c2s(1000, 5000, kPA, "abcde", 300 * kMs);
  c2s(1005, 5000, kPA, "f", 301 * kMs);
  EXPECT_EQ(up(fl), "abcdef");
  EXPECT_EQ(st().retransmissions.get(), 1u);
  EXPECT_EQ(st().out_of_order.get(), 0u);
  EXPECT_EQ(st().bytes_delivered.get(), 6u);
}

TEST_F(Tcp, PartialOverlapDeliversOnlyNewBytesFirstCopyWins) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "0123456789", 1 * kMs);
  c2s(1005, 5000, kPA, "XXXXXabcde", 300 * kMs);  // overlap rewritten: ignored
  EXPECT_EQ(up(fl), "0123456789abcde");
  EXPECT_EQ(st().retransmissions.get(), 1u);
  EXPECT_EQ(st().bytes_delivered.get(), 15u);
}

TEST_F(Tcp, OverlapWithBufferedDataKeepsTheBufferedCopy) {
  Flow* fl = handshake();
  c2s(1010, 5000, kPA, "KLMNOPQRST", 1 * kMs);    // buffered, hole [1000, 1010)
  c2s(1012, 5000, kPA, "xxxxxxxxUV", 2 * kMs);  // overlaps the buffer, extends it
  c2s(1000, 5000, kPA, "0123456789yyyyyyyyyyyyWXY", 3 * kMs);
  EXPECT_EQ(up(fl), "0123456789KLMNOPQRSTUVWXY");
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
  EXPECT_EQ(st().gaps.get(), 0u);
}

TEST_F(Tcp, SynAndFinRetransmittedWithSameData) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA | f::kFin, "bye", 1 * kMs);
  c2s(1000, 5000, kPA | f::kFin, "bye", 400 * kMs);
  EXPECT_EQ(up(fl), "bye");
  EXPECT_EQ(st().retransmissions.get(), 1u);
  EXPECT_EQ(st().fin.get(), 2u);
  EXPECT_EQ(st().data_after_fin.get(), 0u);
}

TEST_F(Tcp, DataOnSynIsDeliveredOnceWhenTheSynIsRetransmitted) {
  Flow* fl = c2s(999, 0, f::kSyn, "GET", 0);  // TCP Fast Open style: data on the SYN
  c2s(999, 0, f::kSyn, "GET", 1000 * kMs);
  s2c(4999, 1003, f::kSyn | f::kAck, "", 1001 * kMs);
  c2s(1003, 5000, kPA, " /", 1002 * kMs);
  EXPECT_EQ(up(fl), "GET /");
  EXPECT_EQ(st().retransmissions.get(), 1u);
  EXPECT_EQ(st().syn.get(), 2u);
}

TEST_F(Tcp, DataBeyondFinIsIgnoredAndCounted) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA | f::kFin, "ab", 1 * kMs);
  c2s(1003, 5000, kPA, "zz", 2 * kMs);   // after the FIN
  c2s(1001, 5000, kPA, "bcd", 3 * kMs);  // straddles it
  EXPECT_EQ(up(fl), "ab");
  EXPECT_EQ(st().data_after_fin.get(), 2u);
}

TEST_F(Tcp, RstClosesAndIsNotData) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "req", 1 * kMs);
  s2c(5000, 1003, f::kRst | f::kAck, "reset reason", 2 * kMs);
  EXPECT_EQ(fl->state, FlowState::kClosed);
  EXPECT_EQ(down(fl), "");
  EXPECT_EQ(st().rst.get(), 1u);
  EXPECT_EQ(st().zero_windows.get(), 0u);
}

TEST_F(Tcp, ZeroWindowCountsLikeWireshark) {
  handshake();
  s2c(5000, 1000, kA, "", 1 * kMs, 40000, 0);           // counted
  s2c(5000, 1000, kA | f::kRst, "", 2 * kMs, 40000, 0);  // RST: not
  c2s(2000, 0, f::kSyn, "", 3 * kMs, 40001, 0);          // SYN: not
  c2s(1000, 5000, kA | f::kFin, "", 4 * kMs, 40000, 0);  // FIN: not
  EXPECT_EQ(st().zero_windows.get(), 1u);
}

TEST_F(Tcp, KeepAliveAndPureAcksAreNotRetransmissions) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "abc", 1 * kMs);
  s2c(5000, 1003, kA, "", 2 * kMs);
  s2c(5000, 1003, kA, "", 3 * kMs);
  c2s(1002, 5000, kA, "c", 500 * kMs);  // keep-alive (seq = next - 1, one byte)
  c2s(1002, 5000, kA, "", 900 * kMs);   // keep-alive without data
  s2c(5000, 1003, kA, "", 901 * kMs);
  EXPECT_EQ(up(fl), "abc");
  EXPECT_EQ(st().retransmissions.get(), 0u);
  EXPECT_EQ(st().out_of_order.get(), 0u);
  EXPECT_EQ(st().lost_segment.get(), 0u);
}

TEST_F(Tcp, RealLossIsLostSegmentAndGapWhenAcked) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "0123456789", 1 * kMs);
  // [1010, 1020) lost before the mirror.
  c2s(1020, 5000, kPA, "KLMNOPQRST", 3 * kMs);
  EXPECT_EQ(up(fl), "0123456789");  // waits: may be reordering
  s2c(5000, 1030, kA, "", 4 * kMs);  // the receiver has everything: the hole is lost
  EXPECT_EQ(up(fl), "0123456789<gap:10>KLMNOPQRST");
  EXPECT_EQ(st().lost_segment.get(), 1u);
  EXPECT_EQ(st().out_of_order.get(), 0u);
  EXPECT_EQ(st().gaps.get(), 1u);
  EXPECT_EQ(st().gap_bytes.get(), 10u);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
}

TEST_F(Tcp, AckBeyondHoleWithNothingBufferedGapsWhenTheNextSegmentArrives) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "0123456789", 1 * kMs);
  s2c(5000, 1020, kA, "", 2 * kMs);  // acks [1010, 1020) which the sensor never saw
  EXPECT_EQ(up(fl), "0123456789");
  EXPECT_EQ(st().gaps.get(), 0u);
  c2s(1020, 5000, kPA, "KL", 3 * kMs);
  EXPECT_EQ(up(fl), "0123456789<gap:10>KL");
  EXPECT_EQ(st().reassembly_buffered.get(), 0u);  // delivered straight from the packet
  // A partial ACK into a hole does not give it up.
  c2s(1032, 5000, kPA, "WX", 4 * kMs);
  s2c(5000, 1030, kA, "", 5 * kMs);
  EXPECT_EQ(up(fl), "0123456789<gap:10>KL");
  s2c(5000, 1034, kA, "", 6 * kMs);
  EXPECT_EQ(up(fl), "0123456789<gap:10>KL<gap:10>WX");
  EXPECT_EQ(st().gap_bytes.get(), 20u);
}

TEST_F(Tcp, GapWhenPerFlowLimitIsReached) {
  TcpConfig c = tcp_cfg();
  c.reassembly_per_flow = 4096;  // two 2 KiB chunks
  init(c);
  Flow* fl = handshake();
  std::string expect;
  for (int i = 0; i < 5; ++i) {
    const std::string seg(1000, static_cast<char>('a' + i));
    c2s(1100 + 1000 * i, 5000, kPA, seg, (1 + i) * kMs);
    expect += seg;
  }
  // 4096 bytes of chunks hold [1100, 4196); the fifth segment does not fit: the hole
  // [1000, 1100) is given up, the buffer delivered, then the segment's rest.
  EXPECT_EQ(up(fl), "<gap:100>" + expect);
  EXPECT_EQ(st().reassembly_memcap_drops.get(), 1u);
  EXPECT_EQ(st().gaps.get(), 1u);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
  c2s(1000, 5000, kPA, std::string(100, 'z'), 10 * kMs);  // too late: dropped
  EXPECT_EQ(up(fl), "<gap:100>" + expect);
}

TEST_F(Tcp, GapWhenGlobalPoolIsExhausted) {
  TcpConfig c = tcp_cfg();
  c.reassembly_memcap = 4096;  // two chunks for the whole worker
  init(c);
  Flow* a = handshake(1);
  Flow* b = handshake(2);
  c2s(1010, 5000, kPA, std::string(4096, 'a'), 1 * kMs, 1);  // a holds the whole pool
  EXPECT_EQ(st().reassembly_bytes.get(), 4096);
  c2s(1010, 5000, kPA, "bbb", 2 * kMs, 2);  // b cannot buffer: gives up its hole at once
  EXPECT_EQ(up(b), "<gap:10>bbb");
  EXPECT_EQ(up(a), "");
  EXPECT_EQ(st().reassembly_memcap_drops.get(), 1u);
  c2s(1000, 5000, kPA, "0123456789", 3 * kMs, 1);
  EXPECT_EQ(up(a), "0123456789" + std::string(4096, 'a'));
}

TEST_F(Tcp, EndDeliversBufferedDataWithGaps) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "01", 1 * kMs);
  c2s(1005, 5000, kPA, "56", 2 * kMs);
  c2s(1010, 5000, kPA | f::kFin, "AB", 3 * kMs);  // FIN at 1012
  s2c(5010, 1000, kPA, "late", 4 * kMs);          // server data after a 10-byte hole
  const uint64_t id = fl->id;
  table->flush(FlowEndReason::kTimeout, 5 * kMs);
  EXPECT_EQ(rec.s[id][0], "01<gap:3>56<gap:3>AB");
  EXPECT_EQ(rec.s[id][1], "<gap:10>late");
  EXPECT_EQ(rec.ended, std::vector<uint64_t>{id});
  EXPECT_EQ(st().gaps.get(), 3u);
  EXPECT_EQ(st().gap_bytes.get(), 16u);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
}

TEST_F(Tcp, MissingDataBeforeFinIsAGapAtEnd) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "ab", 1 * kMs);
  c2s(1005, 5000, kA | f::kFin, "", 2 * kMs);  // [1002, 1005) never seen
  const uint64_t id = fl->id;
  table->flush(FlowEndReason::kShutdown, 3 * kMs);
  EXPECT_EQ(rec.s[id][0], "ab<gap:3>");
}

TEST_F(Tcp, MidstreamPickupBothDirections) {
  Flow* fl = c2s(70000, 9000, kPA, "abc", 1 * kMs);
  EXPECT_TRUE(fl->midstream);
  EXPECT_EQ(fl->state, FlowState::kNew);
  s2c(9000, 70003, kPA, "xyz", 2 * kMs);
  EXPECT_EQ(fl->state, FlowState::kEstablished);
  c2s(70003, 9003, kPA, "def", 3 * kMs);
  EXPECT_EQ(up(fl), "abcdef");
  EXPECT_EQ(down(fl), "xyz");
  EXPECT_EQ(st().midstream_pickups.get(), 1u);
  EXPECT_EQ(st().handshakes.get(), 0u);
  EXPECT_EQ(tracker->handshake_rtt(*fl), 0);
}

TEST_F(Tcp, MidstreamDisabledDeliversNothing) {
  TcpConfig c = tcp_cfg();
  c.midstream = false;
  init(c);
  Flow* fl = c2s(70000, 9000, kPA, "abc", 1 * kMs);
  s2c(9000, 70003, kPA, "xyz", 2 * kMs);
  EXPECT_FALSE(fl->midstream);
  EXPECT_EQ(up(fl), "");
  EXPECT_EQ(down(fl), "");
  EXPECT_EQ(st().midstream_pickups.get(), 0u);
  EXPECT_EQ(st().bytes_delivered.get(), 0u);
  // A proper handshake on another flow is still delivered.
  Flow* g = handshake(41000);
  c2s(1000, 5000, kPA, "ok", 3 * kMs, 41000);
  EXPECT_EQ(up(g), "ok");
}

TEST_F(Tcp, SynAckFirstStartsBothDirections) {
  Flow* fl = s2c(4999, 1000, f::kSyn | f::kAck, "", 0);
  c2s(1000, 5000, kPA, "hi", 1 * kMs);
  s2c(5000, 1002, kPA, "yo", 2 * kMs);
  EXPECT_EQ(up(fl), "hi");
  EXPECT_EQ(down(fl), "yo");
  EXPECT_FALSE(fl->midstream);
  EXPECT_EQ(st().handshakes.get(), 0u);
}

TEST_F(Tcp, SequenceWraparound) {
  const uint32_t isn = 0xFFFFFFF0u;
  c2s(isn, 0, f::kSyn, "", 0);
  s2c(77, isn + 1, f::kSyn | f::kAck, "", 10 * kUs);
  Flow* fl = c2s(isn + 1, 78, kA, "", 20 * kUs);
  // 15 bytes before 2^32, then across it, delivered out of order.
  c2s(isn + 1 + 20, 78, kPA, "UVWXYZ", 1 * kMs);        // seq 0x00000005
  c2s(isn + 1 + 10, 78, kPA, "KLMNOPQRST", 1 * kMs);    // 0xFFFFFFFB, crosses 0
  c2s(isn + 1, 78, kPA, "ABCDEFGHIJ", 1 * kMs + kUs);
  EXPECT_EQ(up(fl), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  s2c(78, isn + 1 + 40, kA, "", 2 * kMs);  // ACK beyond a hole after wrap
  c2s(isn + 1 + 40, 78, kPA, "!", 3 * kMs);
  EXPECT_EQ(up(fl), "ABCDEFGHIJKLMNOPQRSTUVWXYZ<gap:14>!");
  EXPECT_EQ(st().retransmissions.get(), 0u);
  EXPECT_EQ(st().lost_segment.get(), 2u);
  EXPECT_EQ(st().out_of_order.get(), 2u);
}

TEST_F(Tcp, SlotReuseStartsClean) {
  TcpConfig c = tcp_cfg(2);
  init(c);
  Flow* a = handshake(1);
  c2s(1005, 5000, kPA, "buffered", 1 * kMs, 1);
  const uint32_t slot = a->slot;
  const uint64_t a_id = a->id;
  handshake(2);
  Flow* x = handshake(3, 10 * kMs);  // evicts flow 1: end() delivers its buffer with a gap
  EXPECT_EQ(rec.s[a_id][0], "<gap:5>buffered");
  EXPECT_EQ(x->slot, slot);
  EXPECT_EQ(st().reassembly_bytes.get(), 0);
  c2s(1000, 5000, kPA, "fresh", 11 * kMs, 3);
  EXPECT_EQ(up(x), "fresh");
  EXPECT_EQ(tracker->handshake_rtt(*x), 150 * kUs);
  EXPECT_EQ(TcpTracker::bytes_per_flow() > 0, true);
}

TEST_F(Tcp, AckOfFinBeyondMissingDataIsAGap) {
  Flow* fl = handshake();
  c2s(1000, 5000, kPA, "ab", 1 * kMs);
  c2s(1005, 5000, kA | f::kFin, "", 2 * kMs);  // [1002, 1005) never seen
  EXPECT_EQ(up(fl), "ab");
  s2c(5000, 1006, kA | f::kFin, "", 3 * kMs);  // acks the FIN: the 3 bytes are lost
  EXPECT_EQ(up(fl), "ab<gap:3>");
  EXPECT_EQ(fl->state, FlowState::kClosed);
  EXPECT_EQ(st().gap_bytes.get(), 3u);
}

// Checks every delivered byte against the true stream by position (gaps advance the
// position), so nothing is delivered twice, out of place or corrupted.
class PositionChecker : public StreamConsumer {
 public:
  explicit PositionChecker(const std::string& truth) : truth_(truth) {}
  void on_stream_data(Flow&, Dir d, std::span<const uint8_t> b, Nanos) noexcept override {
    for (uint8_t c : b) {
      if (pos[idx(d)] >= truth_.size() || static_cast<uint8_t>(truth_[pos[idx(d)]]) != c)
        ++errors;
      ++pos[idx(d)];
    }
  }
  void on_stream_gap(Flow&, Dir d, uint32_t len, Nanos) noexcept override { pos[idx(d)] += len; }
  void on_stream_end(Flow&, Nanos) noexcept override { ++ends; }
  const std::string& truth_;
  std::size_t pos[2] = {0, 0};
  uint64_t errors = 0, ends = 0;
};

TEST(TcpStress, RandomSegmentsAcksLimitsAndFinsNeverMisdeliver) {
  std::mt19937 rng(777);
  constexpr uint32_t kLen = 64 * 1024;
  std::string truth(kLen, '\0');
  for (char& c : truth) c = static_cast<char>(rng());
  const IpAddr cli = ip4(1, 1, 1, 1), srv = ip4(2, 2, 2, 2);
  for (int iter = 0; iter < 200; ++iter) {
    EndSink sink;
    FlowTableConfig fc;
    fc.capacity = 4;
    FlowTable table(fc, 0, 1, &sink);
    TcpConfig tc;
    tc.flow_capacity = 4;
    tc.reassembly_memcap = (1 + rng() % 16) * 2048;
    tc.reassembly_per_flow = (1 + rng() % 8) * 2048;
    TcpTracker tracker(tc, table);
    sink.tracker = &tracker;
    PositionChecker chk(truth);
    tracker.add_consumer(&chk);
    auto send = [&](const PacketView& p) {
      auto r = table.lookup(p, test_hash(p));
      tracker.process(*r.flow, r.dir, p);
    };
    const uint32_t isn = static_cast<uint32_t>(rng()), sisn = static_cast<uint32_t>(rng());
    send(make_tcp(cli, srv, 1, 2, isn, 0, f::kSyn, "", 0));
    send(make_tcp(srv, cli, 2, 1, sisn, isn + 1, f::kSyn | f::kAck, "", 1));
    Nanos t = 2;
    uint32_t acked = 0;
    const int npkts = 50 + static_cast<int>(rng() % 400);
    for (int k = 0; k < npkts; ++k) {
      t += rng() % 5000;
      const uint32_t r = rng() % 10;
      if (r < 7) {  // client data: anywhere in the stream, any size, sometimes with FIN at end
        const uint32_t off = rng() % kLen;
        const uint32_t n = std::min<uint32_t>(1 + rng() % 3000, kLen - off);
        const uint8_t fl = (off + n == kLen && rng() % 2) ? kPA | f::kFin : kPA;
        send(make_tcp(cli, srv, 1, 2, isn + 1 + off, sisn + 1, fl,
                      std::string_view(truth).substr(off, n), t));
      } else if (r < 9) {  // server ACK, moving forward
        acked = std::min<uint32_t>(kLen, acked + rng() % 8000);
        send(make_tcp(srv, cli, 2, 1, sisn + 1, isn + 1 + acked, kA, "", t));
      } else {  // server data from the same truth, in order
        const uint32_t off = rng() % 100;
        send(make_tcp(srv, cli, 2, 1, sisn + 1 + off, isn + 1, kPA,
                      std::string_view(truth).substr(off, 10), t));
      }
    }
    table.flush(FlowEndReason::kShutdown, t + 1);
    ASSERT_EQ(chk.errors, 0u) << "iter " << iter;
    ASSERT_LE(chk.pos[0], kLen);
    ASSERT_EQ(chk.ends, 1u);
    ASSERT_EQ(tracker.stats().reassembly_bytes.get(), 0) << "iter " << iter;
    ASSERT_EQ(tracker.stats().bytes_delivered.get() + tracker.stats().gap_bytes.get(),
              chk.pos[0] + chk.pos[1]);
  }
}

// A counting consumer that does not allocate, for the allocation test.
class Counting : public StreamConsumer {
 public:
  void on_stream_data(Flow&, Dir, std::span<const uint8_t> b, Nanos) noexcept override {
    bytes += b.size();
  }
  void on_stream_gap(Flow&, Dir, uint32_t len, Nanos) noexcept override { gaps += len; }
  uint64_t bytes = 0, gaps = 0;
};

TEST(TcpAlloc, TrackingAfterWarmupDoesNotAllocate) {
  constexpr std::size_t kFlows = 1024;
  EndSink sink;
  FlowTableConfig fc;
  fc.capacity = kFlows;
  FlowTable table(fc, 0, 1, &sink);
  TcpConfig tc;
  tc.flow_capacity = kFlows;
  tc.reassembly_memcap = 4u << 20;
  TcpTracker tracker(tc, table);
  sink.tracker = &tracker;
  Counting cons;
  tracker.add_consumer(&cons);
  const std::string payload(1460, 'p');
  const IpAddr srv = ip4(10, 9, 9, 9);
  // Per flow: data in pairs swapped (reordering through the pool), 2x the flow capacity so
  // flows are evicted and slots reused.
  // 512 long flows whose segments go in swapped pairs (2, 1, 4, 3, ...: reordering through
  // the pool), and every 8th packet a SYN of a new short flow, so the table is full, evicts
  // and reuses slots.
  constexpr std::size_t kLong = 512;
  std::vector<uint32_t> step(kLong, 0);
  const uint64_t before = ts_test_allocations();
  Nanos t = 0;
  for (int n = 0; n < 1'000'000; ++n) {
    PacketView p;
    if (n % 8 == 7) {
      const uint32_t c = 0x0B000000u + static_cast<uint32_t>(n);
      const IpAddr cli = ip4(static_cast<uint8_t>(c >> 24), static_cast<uint8_t>(c >> 16),
                             static_cast<uint8_t>(c >> 8), static_cast<uint8_t>(c));
      p = make_tcp(cli, srv, 5555, 80, 77, 0, f::kSyn, "", t += 1000);
    } else {
      const std::size_t k = static_cast<std::size_t>(n) % kLong;
      const IpAddr cli = ip4(10, 0, static_cast<uint8_t>(k >> 8), static_cast<uint8_t>(k));
      const uint32_t i = step[k]++;
      const uint32_t seg = (i % 2 == 0) ? i + 1 : i - 1;
      p = make_tcp(cli, srv, 1234, 80, 1 + seg * 1460, 1, kPA, payload, t += 1000);
    }
    auto r = table.lookup(p, test_hash(p));
    tracker.process(*r.flow, r.dir, p);
    if (n % 4096 == 0) table.expire(t);
  }
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_GT(cons.bytes, 0u);
  EXPECT_GT(tracker.stats().reassembly_buffered.get(), 100'000u);
  EXPECT_GT(table.stats().evicted.get(), 100'000u);
}

}  // namespace
}  // namespace ts
