// FixFramer: framing and validation of FIX/STEP messages in a byte stream cut anywhere,
// garbage and gap handling, head masking, kept values. Test text writes SOH as '|'.
#include "detectors/fix_framer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/alloc_hook.h"

namespace ts::detectors {
namespace {

// '|' -> SOH.
std::string soh(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c == '|') c = kSoh;
  }
  return r;
}

// SOH -> '|', for readable failure output.
std::string bars(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c == kSoh) c = '|';
  }
  return r;
}

unsigned byte_sum(std::string_view s) {
  unsigned sum = 0;
  for (unsigned char c : s) sum += c;
  return sum;
}

std::string three_digits(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "%03u", v);
  return b;
}

// "8=<begin>|9=<len>|<body>10=<sum>|" with the corpus's rules: BodyLength counts `body`
// (from after "9=...|" up to and including the SOH before "10="), CheckSum is the byte sum
// of everything before "10=" mod 256 in three digits. `body` uses '|' and ends with '|'.
// body_length / checksum replace the computed values when given.
std::string make_fix(std::string_view begin, std::string_view body,
                     std::optional<std::string> body_length = {},
                     std::optional<std::string> checksum = {}) {
  const std::string b = soh(body);
  std::string m = "8=" + std::string(begin) + kSoh +
                  "9=" + body_length.value_or(std::to_string(b.size())) + kSoh + b;
  m += "10=" + checksum.value_or(three_digits(byte_sum(m) % 256)) + kSoh;
  return m;
}

// Standard header after BodyLength, in the corpus's order: 35, 49, 56, 34, 52.
std::string header(std::string_view type, std::string_view seq = "1",
                   std::string_view sender = "CLIENT1", std::string_view target = "BROKER1") {
  return "35=" + std::string(type) + "|49=" + std::string(sender) + "|56=" + std::string(target) +
         "|34=" + std::string(seq) + "|52=20261124-01:30:00.123|";
}

std::string logon44(std::string_view seq = "1") {
  return make_fix("FIX.4.4", header("A", seq) + "98=0|108=30|141=Y|553=trader01|554=Secr3tPw|");
}

std::string order44(std::string_view seq = "2", std::string_view account = "ACC0042") {
  return make_fix("FIX.4.4", header("D", seq) + "11=ORD-000001|1=" + std::string(account) +
                                 "|55=600519|54=1|38=100|40=2|44=1700.50|"
                                 "60=20261124-01:30:00.120|");
}

struct Garbage {
  uint64_t bytes;
  uint64_t offset;
  Nanos ts;
};

class Recorder : public FixMessageHandler {
 public:
  void on_fix_message(const FixMessage& m) noexcept override { msgs.push_back(m); }
  void on_fix_garbage(uint64_t bytes, uint64_t offset, Nanos ts) noexcept override {
    garbage.push_back({bytes, offset, ts});
  }
  uint64_t garbage_total() const {
    uint64_t n = 0;
    for (const Garbage& g : garbage) n += g.bytes;
    return n;
  }
  std::vector<FixMessage> msgs;
  std::vector<Garbage> garbage;
};

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A framer with its recorder; cfg's masked_tags must outlive it.
struct Framing {
  explicit Framing(const FixFramerConfig& cfg = {}, bool expect_start = true) : f(cfg) {
    f.set_expect_start(expect_start);
  }
  // Each piece is fed from its own heap block of exactly its size, so AddressSanitizer
  // reports any read past the segment (the framer reads words and 16-byte blocks).
  void feed(std::string_view s, Nanos ts) {
    const std::vector<uint8_t> exact(s.begin(), s.end());
    f.feed(exact, ts, rec);
  }
  // Feeds `s` cut at the given offsets (ascending); piece i gets ts = ts0 + i.
  void feed_cut(std::string_view s, const std::vector<std::size_t>& cuts, Nanos ts0) {
    std::size_t at = 0;
    Nanos ts = ts0;
    for (std::size_t c : cuts) {
      feed(s.substr(at, c - at), ts++);
      at = c;
    }
    feed(s.substr(at), ts);
  }
  void end(Nanos ts) { f.end(ts, rec); }
  const FixFramerStats& st() const { return f.stats(); }
  FixFramer f;
  Recorder rec;
};

// Everything a framed message carries except its packet times.
void expect_same_message(const FixMessage& a, const FixMessage& b, const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(a.stream_offset, b.stream_offset);
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.body_length_declared, b.body_length_declared);
  EXPECT_EQ(a.body_length_actual, b.body_length_actual);
  EXPECT_EQ(a.checksum_declared, b.checksum_declared);
  EXPECT_EQ(a.checksum_actual, b.checksum_actual);
  EXPECT_EQ(a.errors, b.errors);
  EXPECT_EQ(a.seq_num, b.seq_num);
  EXPECT_EQ(a.fields, b.fields);
  for (std::size_t i = 0; i < static_cast<std::size_t>(FixTag::kCount); ++i) {
    const FixValue& va = a.values[i];
    const FixValue& vb = b.values[i];
    EXPECT_EQ(va.present, vb.present) << "tag " << fix_tag_number(static_cast<FixTag>(i));
    EXPECT_EQ(va.truncated, vb.truncated) << "tag " << fix_tag_number(static_cast<FixTag>(i));
    EXPECT_EQ(va.view(), vb.view()) << "tag " << fix_tag_number(static_cast<FixTag>(i));
  }
  EXPECT_EQ(bars(std::string_view(a.head, a.head_len)), bars(std::string_view(b.head, b.head_len)));
}

std::string head_of(const FixMessage& m) { return bars(std::string_view(m.head, m.head_len)); }

// Every fed byte is in a delivered message or in garbage (after end()), and the garbage
// callbacks add up to the counter.
void expect_accounted(const Framing& r) {
  uint64_t in_messages = 0;
  for (const FixMessage& m : r.rec.msgs) in_messages += m.length;
  EXPECT_EQ(in_messages + r.st().garbage_bytes, r.f.offset());
  EXPECT_EQ(r.rec.garbage_total(), r.st().garbage_bytes);
  EXPECT_EQ(r.st().messages, r.rec.msgs.size());
}

TEST(FixFramer, TagNumbersRoundTrip) {
  std::vector<uint32_t> seen;
  for (std::size_t i = 0; i < static_cast<std::size_t>(FixTag::kCount); ++i) {
    const auto t = static_cast<FixTag>(i);
    const uint32_t n = fix_tag_number(t);
    EXPECT_NE(n, 0u);
    EXPECT_EQ(fix_tag_from_number(n), t) << n;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), n), 0) << n;
    seen.push_back(n);
  }
  EXPECT_EQ(fix_tag_number(FixTag::kBeginString), 8u);
  EXPECT_EQ(fix_tag_number(FixTag::kMsgSeqNum), 34u);
  EXPECT_EQ(fix_tag_number(FixTag::kSessionRejectReason), 373u);
  EXPECT_EQ(fix_tag_number(FixTag::kPassword), 554u);
  EXPECT_EQ(fix_tag_number(FixTag::kAccount), 1u);
  EXPECT_EQ(fix_tag_number(FixTag::kCount), 0u);
  for (uint32_t n : {0u, 2u, 3u, 100u, 347u, 448u, 555u, 1128u, 4294967295u}) {
    EXPECT_EQ(fix_tag_from_number(n), FixTag::kCount) << n;
  }
}

// A published FIX 4.2 Logon whose BodyLength (65) and CheckSum (062) were not computed here.
TEST(FixFramer, KnownLogonVector) {
  const std::string s =
      soh("8=FIX.4.2|9=65|35=A|49=SERVER|56=CLIENT|34=177|52=20090107-18:15:16|98=0|108=30|"
          "10=062|");
  Framing r;
  r.feed(s, 1000);
  ASSERT_EQ(r.rec.msgs.size(), 1u);
  const FixMessage& m = r.rec.msgs[0];
  EXPECT_EQ(m.errors, kFixErrNone);
  EXPECT_EQ(m.body_length_declared, 65u);
  EXPECT_EQ(m.body_length_actual, 65u);
  EXPECT_EQ(m.checksum_declared, 62);
  EXPECT_EQ(m.checksum_actual, 62);
  EXPECT_EQ(m.seq_num, 177u);
  EXPECT_EQ(m.fields, 10u);
  EXPECT_EQ(m.length, s.size());
  EXPECT_EQ(m.begin_string(), "FIX.4.2");
  EXPECT_EQ(m.msg_type(), "A");
  EXPECT_EQ(m.get(FixTag::kCheckSum), "062");
}

TEST(FixFramer, SingleMessage) {
  const std::string s = logon44("1");
  Framing r;
  r.feed(s, 1000);
  ASSERT_EQ(r.rec.msgs.size(), 1u);
  const FixMessage& m = r.rec.msgs[0];
  EXPECT_EQ(m.errors, kFixErrNone);
  EXPECT_EQ(m.stream_offset, 0u);
  EXPECT_EQ(m.length, s.size());
  EXPECT_EQ(m.first_ts, 1000);
  EXPECT_EQ(m.last_ts, 1000);
  // 8 9 35 49 56 34 52 98 108 141 553 554 10
  EXPECT_EQ(m.fields, 13u);
  const std::size_t body_start = s.find(kSoh, s.find(kSoh) + 1) + 1;
  const std::size_t trailer = s.rfind(soh("|10=")) + 1;
  EXPECT_EQ(m.body_length_declared, trailer - body_start);
  EXPECT_EQ(m.body_length_actual, trailer - body_start);
  EXPECT_EQ(m.checksum_actual, byte_sum(s.substr(0, trailer)) % 256);
  EXPECT_EQ(m.checksum_declared, m.checksum_actual);
  EXPECT_EQ(m.seq_num, 1u);
  EXPECT_EQ(m.begin_string(), "FIX.4.4");
  EXPECT_EQ(m.get(FixTag::kBodyLength), std::to_string(trailer - body_start));
  EXPECT_EQ(m.msg_type(), "A");
  EXPECT_EQ(m.get(FixTag::kSenderCompID), "CLIENT1");
  EXPECT_EQ(m.get(FixTag::kTargetCompID), "BROKER1");
  EXPECT_EQ(m.get(FixTag::kMsgSeqNum), "1");
  EXPECT_EQ(m.get(FixTag::kSendingTime), "20261124-01:30:00.123");
  EXPECT_EQ(m.get(FixTag::kEncryptMethod), "0");
  EXPECT_EQ(m.get(FixTag::kHeartBtInt), "30");
  EXPECT_EQ(m.get(FixTag::kResetSeqNumFlag), "Y");
  EXPECT_EQ(m.get(FixTag::kUsername), "trader01");
  EXPECT_TRUE(m.has(FixTag::kPassword));  // presence only
  EXPECT_EQ(m[FixTag::kPassword].len, 0u);
  EXPECT_EQ(m.get(FixTag::kCheckSum), three_digits(m.checksum_actual));
  EXPECT_FALSE(m.has(FixTag::kClOrdID));
  EXPECT_FALSE(m.has(FixTag::kAccount));
  EXPECT_FALSE(m.has(FixTag::kPossDupFlag));
  // The whole message fits the head; only the password is starred.
  ASSERT_LT(s.size(), sizeof m.head);
  std::string expected = bars(s);
  expected.replace(expected.find("Secr3tPw"), 8, "********");
  EXPECT_EQ(head_of(m), expected);
  EXPECT_EQ(r.f.offset(), s.size());
  EXPECT_EQ(r.st().messages, 1u);
  EXPECT_EQ(r.st().malformed, 0u);
  EXPECT_EQ(r.st().garbage_bytes, 0u);
  EXPECT_EQ(r.st().resyncs, 0u);
  EXPECT_TRUE(r.rec.garbage.empty());
  r.end(2000);
  EXPECT_TRUE(r.rec.garbage.empty());
  EXPECT_EQ(r.st().truncated, 0u);
}

TEST(FixFramer, SeveralMessagesInOneChunk) {
  const std::string a = logon44("1"), b = order44("2"), c = make_fix("FIX.4.4", header("0", "3"));
  Framing r;
  r.feed(a + b + c, 7);
  ASSERT_EQ(r.rec.msgs.size(), 3u);
  const uint64_t offsets[] = {0, a.size(), a.size() + b.size()};
  const uint32_t lengths[] = {static_cast<uint32_t>(a.size()), static_cast<uint32_t>(b.size()),
                              static_cast<uint32_t>(c.size())};
  const char* types[] = {"A", "D", "0"};
  for (std::size_t i = 0; i < 3; ++i) {
    const FixMessage& m = r.rec.msgs[i];
    EXPECT_EQ(m.errors, kFixErrNone) << i;
    EXPECT_EQ(m.stream_offset, offsets[i]) << i;
    EXPECT_EQ(m.length, lengths[i]) << i;
    EXPECT_EQ(m.msg_type(), types[i]) << i;
    EXPECT_EQ(m.seq_num, i + 1) << i;
  }
  // Values of one message do not leak into the next.
  EXPECT_TRUE(r.rec.msgs[0].has(FixTag::kUsername));
  EXPECT_FALSE(r.rec.msgs[1].has(FixTag::kUsername));
  EXPECT_EQ(r.rec.msgs[1].get(FixTag::kSymbol), "600519");
  EXPECT_FALSE(r.rec.msgs[2].has(FixTag::kSymbol));
  EXPECT_EQ(head_of(r.rec.msgs[2]), bars(c));
  EXPECT_EQ(r.st().messages, 3u);
  EXPECT_EQ(r.st().garbage_bytes, 0u);
}

// Two messages (password and masked account included) cut at every pair of positions, in
// three pieces with their own packet times: the same messages as unsplit, field by field, and
// first_ts / last_ts from the pieces holding the "8" and the last SOH.
TEST(FixFramer, EverySplitPointOfTwoMessages) {
  const uint32_t masked[] = {1};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  const std::string a = logon44("1"), b = order44("2");
  const std::string s = a + b;
  Framing whole(cfg);
  whole.feed(s, 0);
  ASSERT_EQ(whole.rec.msgs.size(), 2u);
  ASSERT_EQ(whole.rec.msgs[0].errors, kFixErrNone);
  ASSERT_EQ(whole.rec.msgs[1].errors, kFixErrNone);
  const uint64_t starts[] = {0, a.size()};
  const uint64_t lasts[] = {a.size() - 1, s.size() - 1};
  auto piece_ts = [](uint64_t at, std::size_t i, std::size_t j) -> Nanos {
    return at < i ? 100 : at < j ? 101 : 102;
  };
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      Framing r(cfg);
      r.feed_cut(s, {i, j}, 100);
      const std::string where = "cuts " + std::to_string(i) + "," + std::to_string(j);
      ASSERT_EQ(r.rec.msgs.size(), 2u) << where;
      for (std::size_t k = 0; k < 2; ++k) {
        expect_same_message(r.rec.msgs[k], whole.rec.msgs[k], where);
        // Empty pieces are not fed: a byte at the cut belongs to the next non-empty piece.
        EXPECT_EQ(r.rec.msgs[k].first_ts, piece_ts(starts[k], i, j)) << where;
        EXPECT_EQ(r.rec.msgs[k].last_ts, piece_ts(lasts[k], i, j)) << where;
      }
      EXPECT_TRUE(r.rec.garbage.empty()) << where;
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(FixFramer, RandomMultiCutsMatchUnsplit) {
  const uint32_t masked[] = {1};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  std::string s;
  for (int i = 1; i <= 6; ++i)
    s += (i % 2 ? logon44(std::to_string(i)) : order44(std::to_string(i)));
  s += make_fix("FIX.4.4", header("8", "7") +
                               "37=OID1|17=EX1|150=0|39=0|55=600519|54=1|"
                               "58=" +
                               std::string(120, 't') + "|");
  Framing whole(cfg);
  whole.feed(s, 0);
  ASSERT_EQ(whole.rec.msgs.size(), 7u);
  std::mt19937 rng(20261124);
  for (int iter = 0; iter < 500; ++iter) {
    std::vector<std::size_t> cuts;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) cuts.push_back(rng() % (s.size() + 1));
    if (iter == 0) {  // one byte at a time
      cuts.clear();
      for (std::size_t k = 1; k < s.size(); ++k) cuts.push_back(k);
    }
    std::sort(cuts.begin(), cuts.end());
    Framing r(cfg);
    r.feed_cut(s, cuts, 0);
    ASSERT_EQ(r.rec.msgs.size(), whole.rec.msgs.size()) << "iteration " << iter;
    for (std::size_t k = 0; k < r.rec.msgs.size(); ++k) {
      expect_same_message(r.rec.msgs[k], whole.rec.msgs[k], "iteration " + std::to_string(iter));
    }
    EXPECT_TRUE(r.rec.garbage.empty());
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(FixFramer, BadChecksum) {
  const std::string good = order44();
  const unsigned sum = byte_sum(good.substr(0, good.rfind(soh("|10=")) + 1)) % 256;
  const std::string bad = make_fix("FIX.4.4",
                                   header("D", "2") +
                                       "11=ORD-000001|1=ACC0042|"
                                       "55=600519|54=1|38=100|40=2|44=1700.50|"
                                       "60=20261124-01:30:00.120|",
                                   {}, three_digits((sum + 1) % 256));
  Framing r;
  r.feed(bad + good, 5);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[0].errors, kFixErrBadChecksum);
  EXPECT_EQ(r.rec.msgs[0].checksum_actual, sum);
  EXPECT_EQ(r.rec.msgs[0].checksum_declared, (sum + 1) % 256);
  EXPECT_EQ(r.rec.msgs[0].length, bad.size());
  EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone);
  EXPECT_EQ(r.st().messages, 2u);
  EXPECT_EQ(r.st().malformed, 1u);
}

TEST(FixFramer, ChecksumNotThreeDigits) {
  // A text value chosen so the true checksum is below 100 (then "%u" is one or two digits).
  std::string body;
  unsigned sum = 0;
  for (std::size_t n = 1; n < 20; ++n) {
    body = header("0", "9") + "58=" + std::string(n, 'a') + "|";
    const std::string m = make_fix("FIX.4.4", body);
    sum = byte_sum(m.substr(0, m.rfind(soh("|10=")) + 1)) % 256;
    if (sum < 100) break;
  }
  ASSERT_LT(sum, 100u);
  const std::string ok = make_fix("FIX.4.4", body);
  for (const std::string& v :
       {std::to_string(sum), "0" + three_digits(sum), std::string(), three_digits(sum) + " ",
        "+" + std::to_string(sum), std::string("0x1")}) {
    Framing r;
    r.feed(make_fix("FIX.4.4", body, {}, v) + ok, 1);
    ASSERT_EQ(r.rec.msgs.size(), 2u) << v;
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrBadChecksum) << v;
    EXPECT_EQ(r.rec.msgs[0].checksum_actual, sum) << v;
    EXPECT_EQ(r.rec.msgs[0].get(FixTag::kCheckSum), v);
    EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone) << v;
  }
  {  // three digits but above 255
    Framing r;
    r.feed(make_fix("FIX.4.4", body, {}, "300"), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrBadChecksum);
  }
}

// The corpus's malformed BodyLength: 17 bytes short. Framing follows the fields to 10=, so
// the message is delivered whole (flagged) and the next one is intact.
TEST(FixFramer, BodyLengthShortIsFramedAndFlagged) {
  const std::string body = header("D", "2") + "11=ORD-000001|55=600519|54=1|38=100|40=2|";
  const std::size_t real = soh(body).size();
  for (int delta : {-17, +5}) {
    const std::string bad =
        make_fix("FIX.4.4", body, std::to_string(static_cast<int>(real) + delta));
    const std::string next = order44("3");
    Framing r;
    r.feed(bad + next, 1);
    ASSERT_EQ(r.rec.msgs.size(), 2u) << delta;
    const FixMessage& m = r.rec.msgs[0];
    EXPECT_EQ(m.errors, kFixErrBadBodyLength) << delta;  // checksum recomputed by make_fix
    EXPECT_EQ(m.body_length_declared, real + delta);
    EXPECT_EQ(m.body_length_actual, real);
    EXPECT_EQ(m.length, bad.size());
    EXPECT_EQ(m.get(FixTag::kClOrdID), "ORD-000001");
    EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone);
    EXPECT_EQ(r.rec.msgs[1].stream_offset, bad.size());
    EXPECT_TRUE(r.rec.garbage.empty());
  }
}

TEST(FixFramer, NonNumericBodyLength) {
  const std::string body = header("0", "4");
  for (const std::string v : {"4x", "", "-5", "x", "99999999999999999999999"}) {
    Framing r;
    r.feed(make_fix("FIX.4.4", body, v), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << v;
    const FixMessage& m = r.rec.msgs[0];
    EXPECT_EQ(m.errors, kFixErrBadBodyLength) << v;
    EXPECT_EQ(m.body_length_declared, 0u) << v;
    EXPECT_EQ(m.body_length_actual, soh(body).size()) << v;
    EXPECT_EQ(m.get(FixTag::kBodyLength), v);
  }
  {  // not a number even when the body is empty (actual 0)
    Framing r;
    r.feed(make_fix("FIX.4.4", "", "x"), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrBadBodyLength | kFixErrMissingHeader);
    EXPECT_EQ(r.rec.msgs[0].body_length_actual, 0u);
  }
}

TEST(FixFramer, BadMsgSeqNum) {
  for (const std::string v : {"1x2", "0", "-5", "", "+3", "12345678901234567890"}) {
    Framing r;
    r.feed(make_fix("FIX.4.4", header("D", v) + "55=600519|"), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << v;
    const FixMessage& m = r.rec.msgs[0];
    EXPECT_EQ(m.errors, kFixErrBadSeqNum) << v;  // present, so not a missing header
    EXPECT_EQ(m.seq_num, 0u) << v;
    EXPECT_TRUE(m.has(FixTag::kMsgSeqNum)) << v;
    EXPECT_EQ(m.get(FixTag::kMsgSeqNum), v);
  }
  {  // leading zeros are a number; a later 34= does not count
    Framing r;
    r.feed(make_fix("FIX.4.4", header("D", "0042") + "34=x|"), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
    EXPECT_EQ(r.rec.msgs[0].seq_num, 42u);
  }
  {  // the largest 19-digit value still fits
    Framing r;
    r.feed(make_fix("FIX.4.4", header("D", "9999999999999999999")), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
    EXPECT_EQ(r.rec.msgs[0].seq_num, 9999999999999999999u);
  }
}

TEST(FixFramer, MissingOrMisplacedHeader) {
  struct Case {
    const char* name;
    std::string body;
    uint32_t errors;
  };
  const std::string t = "|52=20261124-01:30:00.123|";
  const Case cases[] = {
      {"no 49", "35=D|56=BROKER1|34=2" + t, kFixErrMissingHeader},
      {"no 56", "35=D|49=CLIENT1|34=2" + t, kFixErrMissingHeader},
      {"no 34", "35=D|49=CLIENT1|56=BROKER1" + t, kFixErrMissingHeader},
      {"35 not third", "49=CLIENT1|35=D|56=BROKER1|34=2" + t, kFixErrMissingHeader},
      {"no 35", "49=CLIENT1|56=BROKER1|34=2" + t, kFixErrMissingHeader},
      {"49 late", "35=D|56=BROKER1|34=2|55=X|49=CLIENT1" + t, kFixErrNone},
  };
  for (const Case& c : cases) {
    Framing r;
    r.feed(make_fix("FIX.4.4", c.body), 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << c.name;
    EXPECT_EQ(r.rec.msgs[0].errors, c.errors) << c.name;
  }
  {  // BodyLength not second: a header error, and no body length to check
    Framing r;
    const std::string m = soh("8=FIX.4.4|35=D|9=5|49=C|56=S|34=1|10=000|");
    r.feed(m, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrMissingHeader | kFixErrBadChecksum);
    EXPECT_EQ(r.rec.msgs[0].body_length_actual, 0u);
    EXPECT_EQ(r.rec.msgs[0].length, m.size());
  }
  {  // CheckSum as second field ends the message
    Framing r;
    const std::string m = soh("8=FIX.4.4|10=000|");
    r.feed(m, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrMissingHeader | kFixErrBadChecksum);
    EXPECT_EQ(r.rec.msgs[0].fields, 2u);
    EXPECT_EQ(r.rec.msgs[0].length, m.size());
  }
}

// Hunting (midstream pickup): everything before the first "8=" that follows an SOH is
// garbage, reported once when framing finds "8=", with the packet time of that find.
TEST(FixFramer, GarbageBeforeMessageWhileHunting) {
  const std::string junk = soh("3=000001|55=600519|998=FIX.4.4|x8=FIX|");
  const std::string m = order44();
  Framing r({}, /*expect_start=*/false);
  r.feed(junk, 10);
  EXPECT_TRUE(r.rec.garbage.empty());  // reported when framing resumes
  r.feed(m.substr(0, 1), 11);          // the "8"
  r.feed(m.substr(1), 12);
  ASSERT_EQ(r.rec.msgs.size(), 1u);
  EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
  EXPECT_EQ(r.rec.msgs[0].stream_offset, junk.size());
  EXPECT_EQ(r.rec.msgs[0].first_ts, 11);
  EXPECT_EQ(r.rec.msgs[0].last_ts, 12);
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, junk.size());
  EXPECT_EQ(r.rec.garbage[0].offset, 0u);
  EXPECT_EQ(r.rec.garbage[0].ts, 12);  // "8=" completed in the third packet
  EXPECT_EQ(r.st().garbage_bytes, junk.size());
  EXPECT_EQ(r.st().resyncs, 1u);
  r.end(20);
  expect_accounted(r);
}

// Auto-detect mode: a stream that does not start with "8=" is garbage up to "<SOH>8=", or to
// the end of the stream.
TEST(FixFramer, StreamNotStartingWithBeginString) {
  {
    const std::string http = "GET / HTTP/1.1\r\nHost: portal\r\n\r\n";
    Framing r;
    r.feed(http, 1);
    r.feed(http, 2);
    EXPECT_TRUE(r.rec.garbage.empty());
    r.end(3);
    ASSERT_EQ(r.rec.garbage.size(), 1u);
    EXPECT_EQ(r.rec.garbage[0].bytes, 2 * http.size());
    EXPECT_EQ(r.rec.garbage[0].offset, 0u);
    EXPECT_EQ(r.rec.garbage[0].ts, 3);
    EXPECT_TRUE(r.rec.msgs.empty());
    EXPECT_EQ(r.st().resyncs, 0u);
    EXPECT_EQ(r.st().truncated, 0u);
  }
  {
    const std::string junk = soh(" 8=FIX.4.4|");  // "8=" not at the start, not after SOH
    const std::string m = logon44();
    Framing r;
    r.feed(junk + m, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].stream_offset, junk.size());
    ASSERT_EQ(r.rec.garbage.size(), 1u);
    EXPECT_EQ(r.rec.garbage[0].bytes, junk.size());
    EXPECT_EQ(r.st().resyncs, 1u);
  }
}

TEST(FixFramer, GarbageBetweenMessages) {
  const std::string a = logon44("1"), b = order44("2"), junk = soh("garbage|\x02\xff|");
  Framing r;
  r.feed(a + junk + b, 1);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
  EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone);
  EXPECT_EQ(r.rec.msgs[1].stream_offset, a.size() + junk.size());
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, junk.size());
  EXPECT_EQ(r.rec.garbage[0].offset, a.size());
  EXPECT_EQ(r.st().resyncs, 1u);
  r.end(2);
  expect_accounted(r);
}

// Garbage that does not end with SOH hides the next "8=": that message is skipped too, and
// framing resumes at the one after it.
TEST(FixFramer, GarbageWithoutSohHidesTheNextMessage) {
  const std::string a = logon44("1"), b = order44("2"), c = order44("3");
  Framing r;
  r.feed(a + "xyz" + b + c, 1);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[1].seq_num, 3u);
  EXPECT_EQ(r.rec.msgs[1].stream_offset, a.size() + 3 + b.size());
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, 3 + b.size());
}

// Not a field: the message so far and the rest up to the next "<SOH>8=" are garbage.
TEST(FixFramer, NotAFieldIsGarbage) {
  const std::string next = order44("9");
  for (const char* bad : {"3a=x|", "=x|", "123|", "|", "12345678901=x|", "55=1|5 4=1|"}) {
    const std::string broken = make_fix("FIX.4.4", header("D", "2") + "11=A|" + bad + "55=600519|");
    Framing r;
    r.feed(broken + next, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << bad;
    EXPECT_EQ(r.rec.msgs[0].seq_num, 9u) << bad;
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone) << bad;
    ASSERT_EQ(r.rec.garbage.size(), 1u) << bad;
    EXPECT_EQ(r.rec.garbage[0].bytes, broken.size()) << bad;
    EXPECT_EQ(r.rec.garbage[0].offset, 0u) << bad;
    EXPECT_EQ(r.st().resyncs, 1u) << bad;
    EXPECT_EQ(r.st().messages, 1u) << bad;
    EXPECT_EQ(r.st().truncated, 0u) << bad;
  }
  {  // the SOH ending a field without "=" may precede the next message's "8="
    const std::string broken = soh("8=FIX.4.4|9=20|35=D|49=CLIENT1|123|");
    Framing r;
    r.feed(broken + next, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].stream_offset, broken.size());
    EXPECT_EQ(r.rec.garbage_total(), broken.size());
  }
}

// Binary junk (no SOH in it) then SOH: one garbage report of exactly its size.
TEST(FixFramer, BinaryJunk) {
  std::mt19937 rng(7);
  std::string junk(1000, '\0');
  for (char& c : junk) {
    c = static_cast<char>(rng() & 0xff);
    if (c == kSoh) c = '\x02';
  }
  junk += kSoh;
  const std::string m = logon44();
  Framing r;
  r.feed(junk.substr(0, 333), 1);
  r.feed(junk.substr(333) + m, 2);
  ASSERT_EQ(r.rec.msgs.size(), 1u);
  EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, junk.size());
  EXPECT_EQ(r.rec.garbage[0].ts, 2);
  EXPECT_EQ(r.st().garbage_bytes, junk.size());
}

// A gap cuts a message: it is dropped (truncated, its bytes reported as garbage at the gap)
// and the next message after the gap is framed.
TEST(FixFramer, GapMidMessageThenGoodMessage) {
  const std::string a = logon44("1"), b = order44("2"), c = order44("3");
  const std::size_t half = b.size() / 2;
  Framing r;
  r.feed(a + b.substr(0, half), 1);
  r.f.gap(500, 2, r.rec);
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, half);
  EXPECT_EQ(r.rec.garbage[0].offset, a.size());
  EXPECT_EQ(r.rec.garbage[0].ts, 2);
  EXPECT_EQ(r.st().truncated, 1u);
  r.feed(c, 3);  // "8=" right after the gap starts a message
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone);
  EXPECT_EQ(r.rec.msgs[1].seq_num, 3u);
  EXPECT_EQ(r.rec.msgs[1].stream_offset, a.size() + half);  // offsets count bytes seen
  EXPECT_EQ(r.rec.msgs[1].first_ts, 3);
  EXPECT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.st().resyncs, 1u);
  EXPECT_EQ(r.st().messages, 2u);
  r.end(4);
  expect_accounted(r);
}

TEST(FixFramer, GapWhileHuntingAndTailAfterGap) {
  const std::string a = logon44("1"), b = order44("2");
  Framing r;
  r.feed(a, 1);
  r.f.gap(10, 2, r.rec);  // between messages: nothing dropped
  EXPECT_TRUE(r.rec.garbage.empty());
  EXPECT_EQ(r.st().truncated, 0u);
  // After the gap: the tail of a message whose start was lost, then a message.
  const std::string tail = soh("38=100|40=2|10=123|");
  r.feed(tail + b, 3);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone);
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, tail.size());
  EXPECT_EQ(r.rec.garbage[0].offset, a.size());
  EXPECT_EQ(r.rec.garbage[0].ts, 3);
  EXPECT_EQ(r.st().resyncs, 1u);
  EXPECT_EQ(r.st().truncated, 0u);
}

TEST(FixFramer, TooLongMessage) {
  const std::string big =
      make_fix("FIX.4.4", header("D", "2") + "58=" + std::string(150, 'x') + "|");
  const std::string small = make_fix("FIX.4.4", header("0", "3"));
  FixFramerConfig cfg;
  {  // exactly max_message bytes: accepted; one less: garbage
    cfg.max_message = big.size();
    Framing r(cfg);
    r.feed(big, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
  }
  cfg.max_message = big.size() - 1;
  for (std::size_t cut : {std::size_t{0}, std::size_t{37}, big.size() - 1, big.size()}) {
    Framing r(cfg);
    r.feed_cut(big + small, {cut}, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << cut;
    EXPECT_EQ(r.rec.msgs[0].seq_num, 3u) << cut;
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone) << cut;
    EXPECT_EQ(r.rec.msgs[0].stream_offset, big.size()) << cut;
    ASSERT_EQ(r.rec.garbage.size(), 1u) << cut;
    EXPECT_EQ(r.rec.garbage[0].bytes, big.size()) << cut;
    EXPECT_EQ(r.rec.garbage[0].offset, 0u) << cut;
    EXPECT_EQ(r.st().resyncs, 1u) << cut;
  }
  {  // a value without SOH running past the limit, then a valid message after SOH
    cfg.max_message = 100;
    const std::string runaway = soh("8=FIX.4.4|9=5|35=0|58=") + std::string(300, 'y') + kSoh;
    Framing r(cfg);
    r.feed(runaway + small, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].stream_offset, runaway.size());
    EXPECT_EQ(r.rec.garbage_total(), runaway.size());
    r.end(2);
    expect_accounted(r);
  }
}

// The limit falls on the "8" or the "=" of the next message's "8=": it still starts there.
TEST(FixFramer, TooLongLimitOnNextBeginString) {
  // No CheckSum: cut short. Longer than `next`, so the limit lets `next` through.
  const std::string head = soh("8=FIX.4.4|9=5|35=0|58=" + std::string(300, 'a') + "|");
  const std::string next = order44("5");
  ASSERT_LT(next.size(), head.size());
  for (std::size_t extra : {0u, 1u, 2u}) {
    FixFramerConfig cfg;
    cfg.max_message = head.size() + extra;
    Framing r(cfg);
    r.feed(head + next, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << extra;
    EXPECT_EQ(r.rec.msgs[0].stream_offset, head.size()) << extra;
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone) << extra;
    EXPECT_EQ(r.rec.garbage_total(), head.size()) << extra;
  }
}

// A message cut short by its sender (no CheckSum) and followed by the next message: the "8="
// field restarts framing; the cut message is garbage.
TEST(FixFramer, MessageCutByNextBeginString) {
  const std::string cut = soh("8=FIX.4.4|9=120|35=D|49=CLIENT1|56=BROKER1|34=2|55=600");
  const std::string next = order44("3");
  for (std::size_t split = 0; split <= cut.size() + 3; ++split) {
    Framing r;
    r.feed_cut(cut + kSoh + next, {split}, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << split;
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone) << split;
    EXPECT_EQ(r.rec.msgs[0].stream_offset, cut.size() + 1) << split;
    EXPECT_EQ(r.rec.msgs[0].first_ts, split <= cut.size() + 1 ? 2 : 1) << split;
    ASSERT_EQ(r.rec.garbage.size(), 1u) << split;
    EXPECT_EQ(r.rec.garbage[0].bytes, cut.size() + 1) << split;
    EXPECT_EQ(r.st().resyncs, 1u) << split;
  }
}

TEST(FixFramer, TruncatedAtEnd) {
  const std::string a = logon44("1"), b = order44("2");
  const std::size_t part = 40;
  Framing r;
  r.feed(a + b.substr(0, part), 1);
  EXPECT_TRUE(r.rec.garbage.empty());
  r.end(9);
  ASSERT_EQ(r.rec.msgs.size(), 1u);
  EXPECT_EQ(r.st().truncated, 1u);
  ASSERT_EQ(r.rec.garbage.size(), 1u);
  EXPECT_EQ(r.rec.garbage[0].bytes, part);
  EXPECT_EQ(r.rec.garbage[0].offset, a.size());
  EXPECT_EQ(r.rec.garbage[0].ts, 9);
  EXPECT_EQ(r.st().garbage_bytes, part);
  expect_accounted(r);
}

// Masked values (Account when configured, Password always) are '*' in the head, one per byte,
// wherever the segments are cut; their values are not kept.
TEST(FixFramer, MaskingInHeadAcrossSplits) {
  const std::string m = make_fix(
      "STEP.1.0.0", header("A", "1") + "347=GBK|98=0|108=30|553=u1|554=pw123456|1=ACC9988776|");
  ASSERT_LT(m.size(), 160u);
  std::string expected = bars(m);
  expected.replace(expected.find("=pw123456") + 1, 8, "********");
  expected.replace(expected.find("|1=ACC9988776") + 3, 10, "**********");
  const uint32_t masked[] = {1};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  for (std::size_t i = 0; i <= m.size(); ++i) {
    for (std::size_t j = i; j <= m.size(); j += 7) {
      Framing r(cfg);
      r.feed_cut(m, {i, j}, 1);
      ASSERT_EQ(r.rec.msgs.size(), 1u);
      const FixMessage& msg = r.rec.msgs[0];
      ASSERT_EQ(head_of(msg), expected) << i << "," << j;
      EXPECT_TRUE(msg.has(FixTag::kPassword));
      EXPECT_EQ(msg[FixTag::kPassword].len, 0u);
      EXPECT_TRUE(msg.has(FixTag::kAccount));
      EXPECT_EQ(msg[FixTag::kAccount].len, 0u);
      EXPECT_EQ(msg.get(FixTag::kUsername), "u1");
      EXPECT_EQ(msg.errors, kFixErrNone);
    }
  }
  {  // without masked_tags the account is kept and shown; the password is still masked
    Framing r;
    r.feed(m, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].get(FixTag::kAccount), "ACC9988776");
    std::string shown = bars(m);
    shown.replace(shown.find("=pw123456") + 1, 8, "********");
    EXPECT_EQ(head_of(r.rec.msgs[0]), shown);
  }
}

// No byte of a masked value is anywhere in the FixMessage handed to the handler (not in the
// head past head_len, not in a kept value's buffer past its len), whatever the segments.
TEST(FixFramer, MaskedValuesNeverReachTheMessage) {
  const uint32_t masked[] = {1};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  const std::string secret = "Zq9SecretXy";
  std::string s;
  for (int i = 0; i < 4; ++i) {
    s += make_fix("FIX.4.4", header("A", std::to_string(i + 1)) + "553=u|554=" + secret +
                                 "|58=t|1=" + secret + "|11=" + std::string(i * 20, 'k') +
                                 "|554=" + secret + "|");
  }
  for (std::size_t cut = 0; cut <= s.size(); cut += 3) {
    Framing r(cfg);
    r.feed_cut(s, {cut}, 1);
    ASSERT_EQ(r.rec.msgs.size(), 4u);
    for (const FixMessage& m : r.rec.msgs) {
      const std::string_view raw(reinterpret_cast<const char*>(&m), sizeof m);
      ASSERT_EQ(raw.find(secret.substr(0, 4)), std::string_view::npos) << cut;
      EXPECT_EQ(m.errors, kFixErrNone);
    }
  }
}

// The head holds the first 160 bytes; a masked value across that boundary is starred up to it,
// one past it is not in the head at all; an unlisted tag (not kept) can be masked too.
TEST(FixFramer, HeadLimitAndMaskedUnkeptTag) {
  const uint32_t masked[] = {1, 9999};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  std::string body = header("D", "2") + "9999=hidden|58=";
  const std::size_t pad = 160 - (soh("8=FIX.4.4|9=123|") + soh(body)).size() - 5;
  body += std::string(pad, 'p') + "|1=ACCOUNTNUMBER|55=600519|";
  const std::string m = make_fix("FIX.4.4", body);
  std::string expected = bars(m).substr(0, 160);
  expected.replace(expected.find("hidden"), 6, "******");
  const std::size_t acc = expected.find("|1=") + 3;
  ASSERT_LT(acc, 160u);
  expected.replace(acc, 160 - acc, std::string(160 - acc, '*'));
  for (std::size_t cut = 0; cut <= m.size(); ++cut) {
    Framing r(cfg);
    r.feed_cut(m, {cut}, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    EXPECT_EQ(r.rec.msgs[0].head_len, 160u);
    ASSERT_EQ(head_of(r.rec.msgs[0]), expected) << cut;
    EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
  }
}

TEST(FixFramer, ValueTruncation) {
  const std::string text(100, 't');
  std::string t48(kFixValueMax, 'u');
  const std::string m =
      make_fix("FIX.4.4", header("3", "5") + "45=4|58=" + text + "|11=" + t48 + "|58=second|");
  for (std::size_t cut :
       {std::size_t{0}, m.find("ttt") + 30, m.find("ttt") + 48, m.find("uuu") + 48}) {
    Framing r;
    r.feed_cut(m, {cut}, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u);
    const FixMessage& msg = r.rec.msgs[0];
    EXPECT_TRUE(msg[FixTag::kText].truncated) << cut;
    EXPECT_EQ(msg.get(FixTag::kText), text.substr(0, kFixValueMax)) << cut;  // first 58 only
    EXPECT_FALSE(msg[FixTag::kClOrdID].truncated) << cut;                    // exactly kFixValueMax
    EXPECT_EQ(msg.get(FixTag::kClOrdID), t48) << cut;
    EXPECT_EQ(msg.get(FixTag::kRefSeqNum), "4");
    EXPECT_EQ(msg.errors, kFixErrNone);
  }
}

// Tags of every length the framer accepts (1 to 9 digits) and the first it rejects; kept
// values around the lengths where copying changes method (16, 48), each at the very end of
// a segment too.
TEST(FixFramer, TagAndValueLengths) {
  const std::string m =
      make_fix("FIX.4.4", header("j", "3") +
                              "7=1|16=22|123=3|1234=4|12345=5|123456=6|1234567=7|"
                              "12345678=8|123456789=9|"
                              "58=" +
                              std::string(16, 'a') + "|11=" + std::string(17, 'b') +
                              "|41=" + std::string(47, 'c') + "|37=" + std::string(49, 'd') +
                              "|55=" + std::string(15, 'e') + "|");
  Framing whole;
  whole.feed(m, 1);
  ASSERT_EQ(whole.rec.msgs.size(), 1u);
  const FixMessage& w = whole.rec.msgs[0];
  EXPECT_EQ(w.errors, kFixErrNone);
  EXPECT_EQ(w.fields, 7u + 9u + 5u + 1u);
  EXPECT_EQ(w.get(FixTag::kBeginSeqNo), "1");
  EXPECT_EQ(w.get(FixTag::kEndSeqNo), "22");
  EXPECT_EQ(w.get(FixTag::kText), std::string(16, 'a'));
  EXPECT_EQ(w.get(FixTag::kClOrdID), std::string(17, 'b'));
  EXPECT_EQ(w.get(FixTag::kOrigClOrdID), std::string(47, 'c'));
  EXPECT_FALSE(w[FixTag::kOrigClOrdID].truncated);
  EXPECT_EQ(w.get(FixTag::kOrderID), std::string(48, 'd'));
  EXPECT_TRUE(w[FixTag::kOrderID].truncated);
  EXPECT_EQ(w.get(FixTag::kSymbol), std::string(15, 'e'));
  for (std::size_t cut = 0; cut <= m.size(); ++cut) {
    Framing r;
    r.feed_cut(m, {cut}, 1);
    ASSERT_EQ(r.rec.msgs.size(), 1u) << cut;
    expect_same_message(r.rec.msgs[0], w, "cut " + std::to_string(cut));
    if (::testing::Test::HasFailure()) return;
  }
  {  // ten digits is not a tag
    Framing r;
    const std::string bad = make_fix("FIX.4.4", header("j", "3") + "1234567890=x|");
    r.feed(bad, 1);
    EXPECT_TRUE(r.rec.msgs.empty());
    r.end(2);
    EXPECT_EQ(r.st().garbage_bytes, bad.size());
  }
}

TEST(FixFramer, StepAndFixtBeginStrings) {
  const std::string step = make_fix(
      "STEP.1.0.0", header("D", "7", "BRK01", "XSHG") +
                        "347=GBK|11=S0001|1=A123456789|55=600519|207=XSHG|54=1|38=200|40=2|"
                        "44=1700.00|522=1|544=1|60=20261124-01:30:00.120|");
  const std::string fixt = make_fix("FIXT.1.1", header("A", "1") + "98=0|108=30|1137=9|");
  Framing r;
  r.feed(step + fixt, 1);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[0].errors, kFixErrNone);
  EXPECT_EQ(r.rec.msgs[0].begin_string(), "STEP.1.0.0");
  EXPECT_EQ(r.rec.msgs[0].get(FixTag::kSenderCompID), "BRK01");
  EXPECT_EQ(r.rec.msgs[0].get(FixTag::kAccount), "A123456789");
  EXPECT_EQ(r.rec.msgs[0].seq_num, 7u);
  EXPECT_EQ(r.rec.msgs[1].errors, kFixErrNone);
  EXPECT_EQ(r.rec.msgs[1].begin_string(), "FIXT.1.1");
  EXPECT_EQ(r.rec.msgs[1].msg_type(), "A");
  EXPECT_EQ(r.rec.msgs[1].fields, 11u);
}

// Repeating groups: a kept tag inside a group keeps its first entry; every field counts.
TEST(FixFramer, RepeatingGroupsKeepFirstOccurrence) {
  const std::string snapshot = make_fix("FIX.4.4", header("W", "12", "EXCH", "CLIENT1") +
                                                       "262=MDREQ1|55=IF2409|268=3|"
                                                       "269=0|270=3521.2|271=10|37=OID-A|58=first|"
                                                       "269=1|270=3521.4|271=12|37=OID-B|58=second|"
                                                       "269=2|270=3521.3|271=1|37=OID-C|58=third|");
  const std::string exec =
      make_fix("FIX.4.4", header("8", "13", "BROKER1", "CLIENT1") +
                              "37=OID-9|11=ORD-000001|17=EX-1|150=F|39=1|55=600519|54=1|38=100|"
                              "453=2|448=PARTY1|447=D|452=1|448=PARTY2|447=D|452=3|"
                              "32=40|31=1700.50|151=60|14=40|6=1700.50|60=20261124-01:30:00.121|");
  Framing r;
  r.feed(snapshot + exec, 1);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  const FixMessage& w = r.rec.msgs[0];
  EXPECT_EQ(w.errors, kFixErrNone);
  EXPECT_EQ(w.msg_type(), "W");
  EXPECT_EQ(w.get(FixTag::kOrderID), "OID-A");
  EXPECT_EQ(w.get(FixTag::kText), "first");
  EXPECT_EQ(w.get(FixTag::kSymbol), "IF2409");
  EXPECT_EQ(w.fields, 7u + 3u + 15u + 1u);  // 8 9 35 49 56 34 52, 262 55 268, 3x5, 10
  const FixMessage& e = r.rec.msgs[1];
  EXPECT_EQ(e.errors, kFixErrNone);
  EXPECT_EQ(e.get(FixTag::kExecType), "F");
  EXPECT_EQ(e.get(FixTag::kOrdStatus), "1");
  EXPECT_EQ(e.get(FixTag::kOrderID), "OID-9");
  EXPECT_EQ(e.get(FixTag::kTransactTime), "20261124-01:30:00.121");
  EXPECT_EQ(e.fields, 7u + 8u + 7u + 6u + 1u);
}

TEST(FixFramer, ResetStartsANewStream) {
  Framing r;
  r.feed(soh("junk|"), 1);
  r.feed(logon44(), 2);
  ASSERT_EQ(r.st().messages, 1u);
  r.f.reset();
  EXPECT_EQ(r.f.offset(), 0u);
  EXPECT_EQ(r.st().messages, 0u);
  EXPECT_EQ(r.st().garbage_bytes, 0u);
  EXPECT_EQ(r.st().resyncs, 0u);
  r.feed(order44(), 3);
  ASSERT_EQ(r.rec.msgs.size(), 2u);
  EXPECT_EQ(r.rec.msgs[1].stream_offset, 0u);
  EXPECT_FALSE(r.rec.msgs[1].has(FixTag::kUsername));  // nothing left from the last stream
  EXPECT_EQ(r.st().messages, 1u);
}

TEST(FixFramer, FeedDoesNotAllocate) {
  const uint32_t masked[] = {1};
  FixFramerConfig cfg;
  cfg.masked_tags = masked;
  std::string s;
  for (int i = 0; i < 20; ++i) s += logon44() + soh("junk|") + order44();
  Framing r(cfg);
  r.rec.msgs.reserve(100);
  r.rec.garbage.reserve(100);
  const uint64_t before = ts_test_allocations();
  for (std::size_t at = 0; at < s.size(); at += 37) {
    r.f.feed(bytes_of(std::string_view(s).substr(at, 37)), 1, r.rec);
  }
  r.f.gap(5, 2, r.rec);
  r.end(3);
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_EQ(r.rec.msgs.size(), 40u);
}

// Property: random bytes (FIX-looking and binary) interleaved with valid messages, cut into
// random segments. Every valid message that follows an SOH (or starts the stream) is delivered
// intact at its offset, every byte is accounted for, and nothing crashes.
TEST(FixFramerProperty, ValidMessagesSurviveRandomGarbage) {
  std::mt19937 rng(424242);
  const char alphabet[] = {'8', '=', '1', '0', '9', '3', '5', '\x01', 'A', 'x', '\xff', '\0'};
  auto junk = [&](std::size_t n) {
    std::string j(n, '\0');
    for (char& c : j) c = (rng() % 4 == 0) ? static_cast<char>(rng()) : alphabet[rng() % 12];
    return j;
  };
  // Message-shaped junk: a start that goes wrong somewhere.
  auto broken_message = [&] {
    std::string m = order44(std::to_string(rng() % 1000));
    m.resize(rng() % m.size());
    if (rng() % 2) m += junk(rng() % 20);
    return m;
  };
  const uint32_t masked[] = {1};
  for (int iter = 0; iter < 300; ++iter) {
    FixFramerConfig cfg;
    cfg.masked_tags = masked;
    cfg.max_message = (iter % 3 == 0) ? 400 : 64 * 1024;
    std::string s;
    std::vector<std::pair<uint64_t, std::string>> valid;  // offset, message
    const int parts = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < parts; ++k) {
      switch (rng() % 4) {
        case 0:
          s += junk(rng() % 300);
          break;
        case 1:
          s += broken_message();
          break;
        default:
          break;
      }
      if (!s.empty() && s.back() != kSoh) s += kSoh;
      const std::string m =
          (rng() % 2) ? order44(std::to_string(k + 1)) : logon44(std::to_string(k + 1));
      valid.emplace_back(s.size(), m);
      s += m;
    }
    if (rng() % 2) s += junk(rng() % 100);
    std::vector<std::size_t> cuts;
    for (int k = static_cast<int>(rng() % 20); k > 0; --k) cuts.push_back(rng() % (s.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    Framing r(cfg, /*expect_start=*/rng() % 2 == 0);
    r.feed_cut(s, cuts, 0);
    r.end(1000);
    SCOPED_TRACE("iteration " + std::to_string(iter) + ": " + bars(s));
    for (const auto& [offset, m] : valid) {
      const FixMessage* found = nullptr;
      for (const FixMessage& d : r.rec.msgs) {
        if (d.stream_offset == offset) found = &d;
      }
      ASSERT_NE(found, nullptr) << "message at " << offset;
      EXPECT_EQ(found->length, m.size());
      EXPECT_EQ(found->errors, kFixErrNone);
      Framing alone(cfg);
      alone.feed(m, 0);
      ASSERT_EQ(alone.rec.msgs.size(), 1u);
      FixMessage expected = alone.rec.msgs[0];
      expected.stream_offset = offset;
      expect_same_message(*found, expected, "message at " + std::to_string(offset));
    }
    expect_accounted(r);
    if (::testing::Test::HasFailure()) return;
  }
}

// Pure random input with gaps and small limits: never crashes, and still accounts for every
// byte.
TEST(FixFramerProperty, RandomBytesAndGaps) {
  std::mt19937 rng(99);
  const char alphabet[] = {'8', '=', '1', '0', '9', '3', '4', '5', '\x01', 'A', '\xff'};
  for (int iter = 0; iter < 2000; ++iter) {
    FixFramerConfig cfg;
    cfg.max_message = 1 + rng() % 200;
    Framing r(cfg, rng() % 2 == 0);
    for (int seg = static_cast<int>(rng() % 10); seg >= 0; --seg) {
      std::string b(rng() % 120, '\0');
      for (char& c : b) c = (rng() % 3 == 0) ? static_cast<char>(rng()) : alphabet[rng() % 11];
      if (rng() % 3 == 0) b += soh("8=FIX.4.4|9=5|35=0|10=");
      r.feed(b, seg);
      if (rng() % 5 == 0) r.f.gap(1 + rng() % 50, seg, r.rec);
    }
    r.end(99);
    expect_accounted(r);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace ts::detectors
