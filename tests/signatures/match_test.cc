// PayloadProgram and match_header against Suricata's semantics: every payload keyword with
// positive and negative cases, relative chains that need backtracking, negation, byte_*
// edge cases, pcre flags, header keywords; several cases restate suricata-verify tests
// (named in the test) on their payloads.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <gtest/gtest.h>
#include <pcre2.h>

#include <string>
#include <string_view>
#include <vector>

#include "signatures/match.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::sig {
namespace {

// ---- Rule builders.

ContentOpt C(std::string pat) {
  ContentOpt c;
  c.pattern = std::move(pat);
  return c;
}
ContentOpt Cnocase(std::string pat) {
  ContentOpt c = C(std::move(pat));
  c.nocase = true;
  return c;
}
ContentOpt Cabs(std::string pat, std::optional<int64_t> offset, std::optional<int64_t> depth) {
  ContentOpt c = C(std::move(pat));
  if (offset) c.offset = IntOrVar{*offset, -1};
  if (depth) c.depth = IntOrVar{*depth, -1};
  return c;
}
ContentOpt Crel(std::string pat, std::optional<int64_t> distance, std::optional<int64_t> within) {
  ContentOpt c = C(std::move(pat));
  if (distance) c.distance = IntOrVar{*distance, -1};
  if (within) c.within = IntOrVar{*within, -1};
  c.relative = true;
  return c;
}
ContentOpt Not(ContentOpt c) {
  c.negated = true;
  return c;
}
IntOrVar var(int8_t v) { return IntOrVar{0, v}; }
IntOrVar lit(int64_t v) { return IntOrVar{v, -1}; }

uint32_t pcre_flags(std::string_view flags) {
  uint32_t o = 0;
  for (char f : flags) {
    switch (f) {
      case 'i': o |= PCRE2_CASELESS; break;
      case 's': o |= PCRE2_DOTALL; break;
      case 'm': o |= PCRE2_MULTILINE; break;
      case 'x': o |= PCRE2_EXTENDED; break;
      case 'A': o |= PCRE2_ANCHORED; break;
      case 'E': o |= PCRE2_DOLLAR_ENDONLY; break;
      case 'G': o |= PCRE2_UNGREEDY; break;
      default: break;
    }
  }
  return o;
}
PcreOpt P(std::string re, std::string flags = "", bool negated = false) {
  PcreOpt p;
  p.regex = std::move(re);
  p.flags = flags;
  p.relative = flags.find('R') != std::string::npos;
  p.negated = negated;
  p.pcre2_options = pcre_flags(flags);
  return p;
}

ByteTestOpt BT(uint8_t nbytes, char op, uint64_t value, int64_t offset) {
  ByteTestOpt b;
  b.nbytes = nbytes;
  b.op = op;
  b.value = lit(static_cast<int64_t>(value));
  b.offset = lit(offset);
  return b;
}
ByteJumpOpt BJ(uint8_t nbytes, int64_t offset) {
  ByteJumpOpt b;
  b.nbytes = nbytes;
  b.offset = lit(offset);
  return b;
}
ByteExtractOpt BE(uint8_t nbytes, int64_t offset, int8_t v) {
  ByteExtractOpt b;
  b.nbytes = nbytes;
  b.offset = offset;
  b.var = v;
  return b;
}
IsDataAtOpt ID(int64_t at, bool relative = false, bool negated = false) {
  IsDataAtOpt o;
  o.value = lit(at);
  o.relative = relative;
  o.negated = negated;
  return o;
}

Rule R(std::vector<PayloadOpt> opts, uint8_t nvars = 0) {
  Rule r;
  r.payload = std::move(opts);
  r.nvars = nvars;
  return r;
}

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Matcher {
 public:
  bool operator()(const Rule& r, std::string_view payload) {
    std::string err;
    auto prog = PayloadProgram::build(r, &err);
    EXPECT_NE(prog, nullptr) << err;
    if (!prog) return false;
    return prog->match(bytes(payload), scratch_);
  }
  MatchScratch scratch_;
};

class MatchPayload : public ::testing::Test {
 protected:
  bool m(const Rule& r, std::string_view payload) { return matcher_(r, payload); }
  bool m(std::vector<PayloadOpt> opts, std::string_view payload, uint8_t nvars = 0) {
    return matcher_(R(std::move(opts), nvars), payload);
  }
  Matcher matcher_;
};

// ---- content.

TEST_F(MatchPayload, EmptyPayloadListMatchesEverything) {
  EXPECT_TRUE(m(Rule{}, ""));
  EXPECT_TRUE(m(Rule{}, "abc"));
}

TEST_F(MatchPayload, NonEmptyListNeverMatchesEmptyBuffer) {
  EXPECT_FALSE(m({C("a")}, ""));
  EXPECT_FALSE(m({Not(C("a"))}, ""));
  EXPECT_FALSE(m({ID(0, false, true)}, ""));
}

TEST_F(MatchPayload, ContentPlain) {
  EXPECT_TRUE(m({C("world")}, "hello world"));
  EXPECT_FALSE(m({C("World")}, "hello world"));
  EXPECT_FALSE(m({C("worlds")}, "hello world"));
  EXPECT_TRUE(m({C(std::string("\x00\x01", 2))}, std::string("ab\x00\x01", 4)));
}

TEST_F(MatchPayload, ContentNocase) {
  EXPECT_TRUE(m({Cnocase("WoRlD")}, "hello world"));
  EXPECT_TRUE(m({Cnocase("world")}, "HELLO WORLD"));
  EXPECT_FALSE(m({Cnocase("worle")}, "HELLO WORLD"));
  // Folding is ASCII only: 0xC0 and 0xE0 differ.
  EXPECT_FALSE(m({Cnocase("\xC0")}, "\xE0"));
  // Horspool shifts on a repeated-prefix pattern.
  EXPECT_TRUE(m({Cnocase("abab")}, "xxABAABABx"));
  EXPECT_TRUE(m({Cnocase("a")}, "xxxA"));
  // Patterns longer than the 255-byte shift cap.
  std::string longpat(300, 'q');
  longpat += "END";
  const std::string hay = std::string(500, 'Q') + "end" + std::string(10, 'x');
  EXPECT_FALSE(m({Cnocase(longpat)}, std::string(500, 'Q')));
  EXPECT_TRUE(m({Cnocase(longpat)}, hay));
}

TEST_F(MatchPayload, OffsetAndDepthAreAbsoluteAndDepthCountsFromOffset) {
  // offset:3; depth:3 searches bytes 3..5.
  EXPECT_TRUE(m({Cabs("def", 3, 3)}, "abcdefgh"));
  EXPECT_FALSE(m({Cabs("efg", 3, 3)}, "abcdefgh"));
  EXPECT_TRUE(m({Cabs("efg", 3, 4)}, "abcdefgh"));
  EXPECT_FALSE(m({Cabs("abc", 1, std::nullopt)}, "abcdefgh"));
  EXPECT_TRUE(m({Cabs("abc", std::nullopt, 3)}, "abcdefgh"));
  EXPECT_FALSE(m({Cabs("bcd", std::nullopt, 3)}, "abcdefgh"));
  // Offset beyond the buffer: no match; negated: match.
  EXPECT_FALSE(m({Cabs("a", 100, std::nullopt)}, "abc"));
  EXPECT_TRUE(m({Not(Cabs("a", 100, std::nullopt))}, "abc"));
}

TEST_F(MatchPayload, StartsWithAndEndsWith) {
  ContentOpt s = C("GET");
  s.startswith = true;
  EXPECT_TRUE(m({s}, "GET / HTTP/1.1"));
  EXPECT_FALSE(m({s}, " GET / HTTP/1.1"));
  ContentOpt e = C("\r\n");
  e.endswith = true;
  EXPECT_TRUE(m({e}, "line\r\n"));
  EXPECT_TRUE(m({e}, "a\r\nline\r\n"));  // the occurrence that ends the buffer
  EXPECT_FALSE(m({e}, "line\r\nx"));
  ContentOpt both = C("abc");
  both.startswith = true;
  both.endswith = true;
  EXPECT_TRUE(m({both}, "abc"));
  EXPECT_FALSE(m({both}, "abcabc"));
  // Negated endswith: the pattern must not end the buffer.
  EXPECT_TRUE(m({Not(e)}, "line\r\nx"));
  EXPECT_FALSE(m({Not(e)}, "a\r\nb\r\n"));
}

TEST_F(MatchPayload, DistanceAndWithinAreRelativeToThePreviousMatchEnd) {
  EXPECT_TRUE(m({C("ab"), Crel("cd", 0, std::nullopt)}, "abcd"));
  EXPECT_FALSE(m({C("cd"), Crel("ab", 0, std::nullopt)}, "abcd"));
  EXPECT_TRUE(m({C("ab"), Crel("cd", 2, 2)}, "abxxcd"));
  EXPECT_FALSE(m({C("ab"), Crel("cd", 3, std::nullopt)}, "abxxcd"));
  EXPECT_FALSE(m({C("ab"), Crel("cd", std::nullopt, 3)}, "abxxcd"));
  EXPECT_TRUE(m({C("ab"), Crel("cd", std::nullopt, 4)}, "abxxcd"));
  // within counts from distance.
  EXPECT_TRUE(m({C("ab"), Crel("cd", 1, 3)}, "abxxcd"));
  EXPECT_FALSE(m({C("ab"), Crel("cd", 1, 2)}, "abxxcd"));
}

TEST_F(MatchPayload, NegativeDistance) {
  // content:"cd"; content:"bc"; distance:-3; within:2 -> "bc" overlapping "cd".
  EXPECT_TRUE(m({C("cd"), Crel("bc", -3, 2)}, "abcd"));
  EXPECT_FALSE(m({C("cd"), Crel("ab", -3, 2)}, "abcd"));
  // A negative distance reaching before the buffer start clamps the start to 0.
  EXPECT_TRUE(m({C("cd"), Crel("ab", -100, std::nullopt)}, "abcd"));
}

TEST_F(MatchPayload, RelativeFirstContentIsRelativeToBufferStart) {
  EXPECT_TRUE(m({Crel("ab", 0, 2)}, "abc"));
  EXPECT_FALSE(m({Crel("bc", 0, 2)}, "abc"));
}

TEST_F(MatchPayload, BacktrackingRetriesTheNextOccurrence) {
  // The first "a" is followed by "x", the second by "b".
  EXPECT_TRUE(m({C("a"), Crel("b", 0, 1)}, "axab"));
  EXPECT_TRUE(m({C("a"), Crel("b", 0, 1), Crel("c", 0, 1)}, "ab ab abc"));
  EXPECT_FALSE(m({C("a"), Crel("b", 0, 1), Crel("c", 0, 1)}, "ab ab abd"));
  // Overlapping occurrences: the retry starts one byte after the previous start.
  EXPECT_TRUE(m({C("aa"), Crel("b", 0, 1)}, "aaab"));
  // Three levels, the innermost forces retries of both outer ones.
  EXPECT_TRUE(m({C("x"), Crel("y", 0, 2), Crel("z", 0, 2)}, "xy xy.xyz"));
}

TEST_F(MatchPayload, AlertDistanceWithin1) {
  // suricata-verify alert-distance-within-1.
  Rule r = R({C("AllWorkAndNoPlayMakesWill"), Crel("DullBoy", 1, 7)});
  EXPECT_TRUE(m(r, "GET /AllWorkAndNoPlayMakesWillADullBoy HTTP/1.0"));
  EXPECT_FALSE(m(r, "GET /AllWorkAndNoPlayMakesWillAADullBoy HTTP/1.0"));
}

TEST_F(MatchPayload, NegatedContent) {
  EXPECT_TRUE(m({Not(C("evil"))}, "good"));
  EXPECT_FALSE(m({Not(C("evil"))}, "very evil"));
  EXPECT_TRUE(m({C("GET"), Not(C("admin"))}, "GET /index"));
  EXPECT_FALSE(m({C("GET"), Not(C("admin"))}, "GET /admin"));
  // Negated relative content is checked relative to the previous match.
  EXPECT_TRUE(m({C("user="), Not(Crel("root", 0, 4))}, "user=bob root"));
  EXPECT_FALSE(m({C("user="), Not(Crel("root", 0, 4))}, "user=root"));
  // ... and the previous content is retried when a negated relative one fails.
  EXPECT_TRUE(m({C("user="), Not(Crel("root", 0, 4))}, "user=root user=bob"));
  // A negated content does not move the cursor.
  EXPECT_TRUE(m({C("ab"), Not(Crel("x", 0, 1)), Crel("c", 0, 1)}, "abc"));
}

TEST_F(MatchPayload, NegatedAbsoluteContentTakesTheRetryFlag) {
  // Suricata flags the content written just before a relative one for retries. Here that is
  // the negated absolute !"zz", which moves no cursor, so "b" is relative to "a" but "a" is
  // never retried: the first "a" fails and Suricata gives up, although "ab" occurs later.
  EXPECT_FALSE(m({C("a"), Not(C("zz")), Crel("b", 0, 1)}, "ax ab"));
  EXPECT_TRUE(m({C("a"), Crel("b", 0, 1)}, "ax ab"));
  EXPECT_TRUE(m({C("a"), Not(C("zz")), Crel("b", 0, 1)}, "ab"));
}

TEST_F(MatchPayload, VariablesInContentModifiers) {
  // suricata-verify bug-7390: distance from a byte_extract variable behaves like a literal.
  const std::string payload =
      "GET /api HTTP/1.1\r\nAuthorization: eyJ.gGLVRqXFRbyc0QQRXWBop5f71ycy7uyGeg2KI81DPI4\r\n";
  ByteExtractOpt be = BE(1, 0, 0);
  be.string = true;
  be.relative = true;
  ContentOpt not8 = Not(Crel("8", std::nullopt, 1));
  not8.distance = var(0);
  ContentOpt i49 = Crel("I", std::nullopt, 1);
  i49.distance = var(0);
  EXPECT_TRUE(m({C("Authorization:"), Crel("5f71ycy", 0, std::nullopt), be, not8,
                 Crel("7", -1, 1), i49},
                payload, 1));
  ContentOpt not8lit = Not(Crel("8", 7, 1));
  EXPECT_TRUE(m({C("Authorization:"), Crel("5f71ycy", 0, std::nullopt), be, not8lit,
                 Crel("7", -1, 1), i49},
                payload, 1));
  // Offset and depth from variables: "3" read at 0 -> search "xyz" at offset 3.
  ByteExtractOpt b0 = BE(1, 0, 0);
  b0.string = true;
  ContentOpt c = C("xyz");
  c.offset = var(0);
  c.depth = lit(3);
  EXPECT_TRUE(m({b0, c}, "3abxyz", 1));
  EXPECT_FALSE(m({b0, c}, "4abxyz", 1));
  ContentOpt w = Crel("xyz", 0, std::nullopt);
  w.within = var(0);
  EXPECT_TRUE(m({b0, w}, "3xyz", 1));
  EXPECT_FALSE(m({b0, w}, "2xyz", 1));
}

// ---- isdataat.

TEST_F(MatchPayload, IsDataAt) {
  // suricata-verify issue-8031-01-isdataat on a 32-byte payload.
  const std::string p32 = "abcdefghijklmnopqrstuvwabcdefghi";
  ASSERT_EQ(p32.size(), 32u);
  EXPECT_TRUE(m({ID(31)}, p32));
  EXPECT_FALSE(m({ID(32)}, p32));
  EXPECT_TRUE(m({ID(31, true)}, p32));
  EXPECT_TRUE(m({ID(32, true)}, p32));
  EXPECT_FALSE(m({ID(33, true)}, p32));
  EXPECT_TRUE(m({Cabs("a", std::nullopt, 1), ID(31, true)}, p32));
  EXPECT_FALSE(m({Cabs("a", std::nullopt, 1), ID(32, true)}, p32));
  // Negation.
  EXPECT_FALSE(m({ID(31, false, true)}, p32));
  EXPECT_TRUE(m({ID(32, false, true)}, p32));
  // isdataat:!1,relative after a content is Suricata's endswith: retried to the last one.
  EXPECT_TRUE(m({C("ab"), ID(1, true, true)}, "ab ab"));
  EXPECT_FALSE(m({C("ab"), ID(1, true, true)}, "ab abc"));
}

TEST_F(MatchPayload, IsDataAtFromVariable) {
  ByteExtractOpt b = BE(1, 0, 0);
  IsDataAtOpt o;
  o.value = var(0);
  EXPECT_TRUE(m({b, o}, std::string("\x03xyz", 4), 1));
  EXPECT_FALSE(m({b, o}, std::string("\x04xyz", 4), 1));
}

// ---- byte_test.

TEST_F(MatchPayload, ByteTestBinary) {
  const std::string p("\x01\x02\x03\x04\x05", 5);
  EXPECT_TRUE(m({BT(1, '=', 1, 0)}, p));
  EXPECT_TRUE(m({BT(2, '=', 0x0102, 0)}, p));
  EXPECT_TRUE(m({BT(4, '=', 0x02030405, 1)}, p));
  EXPECT_TRUE(m({BT(3, '=', 0x030201, 0)}, p) == false);
  ByteTestOpt le = BT(3, '=', 0x030201, 0);
  le.little_endian = true;
  EXPECT_TRUE(m({le}, p));
  EXPECT_TRUE(m({BT(1, '<', 2, 0)}, p));
  EXPECT_FALSE(m({BT(1, '<', 1, 0)}, p));
  EXPECT_TRUE(m({BT(1, '>', 0, 0)}, p));
  EXPECT_TRUE(m({BT(1, 'l', 1, 0)}, p));
  EXPECT_TRUE(m({BT(1, 'g', 1, 0)}, p));
  EXPECT_FALSE(m({BT(1, 'g', 2, 0)}, p));
  EXPECT_TRUE(m({BT(1, '&', 3, 2)}, p));   // 3 & 3
  EXPECT_FALSE(m({BT(1, '&', 4, 2)}, p));  // 3 & 4
  EXPECT_TRUE(m({BT(1, '^', 2, 2)}, p));   // 3 ^ 2 != 0
  EXPECT_FALSE(m({BT(1, '^', 3, 2)}, p));
  ByteTestOpt ne = BT(1, '=', 1, 0);
  ne.op_negated = true;
  EXPECT_FALSE(m({ne}, p));
  EXPECT_TRUE(m({BT(1, '!', 2, 0)}, p));
  // 8-byte read.
  const std::string p8("\x00\x00\x00\x01\x00\x00\x00\x02", 8);
  EXPECT_TRUE(m({BT(8, '=', 0x0000000100000002ULL, 0)}, p8));
}

TEST_F(MatchPayload, ByteTestOutOfBufferFails) {
  const std::string p("\x01\x02", 2);
  EXPECT_FALSE(m({BT(4, '>', 0, 0)}, p));
  EXPECT_FALSE(m({BT(1, '>', 0, 2)}, p));
  EXPECT_FALSE(m({BT(1, '=', 65, 214748364)}, p));  // suricata-verify detect-bytetest-02 sid 3
  EXPECT_FALSE(m({BT(1, '>', 0, -1)}, p));
  ByteTestOpt rel = BT(1, '>', 0, 0);
  rel.relative = true;
  EXPECT_FALSE(m({C(std::string("\x02", 1)), rel}, p));
  EXPECT_TRUE(m({C(std::string("\x01", 1)), rel}, p));
}

TEST_F(MatchPayload, ByteTestString) {
  ByteTestOpt d = BT(3, '=', 123, 0);
  d.string = true;
  d.base = 10;
  EXPECT_TRUE(m({d}, "123abc"));
  EXPECT_FALSE(m({d}, "124abc"));
  EXPECT_TRUE(m({d}, "123"));
  EXPECT_TRUE(m(R({BT(2, '=', 12, 0)}), "12") == false);  // binary, not string
  ByteTestOpt partial = BT(3, '=', 12, 0);
  partial.string = true;
  EXPECT_TRUE(m({partial}, "12x"));   // strtoull stops at the first non-digit
  EXPECT_FALSE(m({partial}, "x12"));  // no number: no match
  ByteTestOpt h = BT(2, '=', 0xff, 0);
  h.string = true;
  h.base = 16;
  EXPECT_TRUE(m({h}, "ffxx"));
  EXPECT_TRUE(m({h}, "FF"));
  ByteTestOpt o = BT(3, '=', 8 * 8 + 7, 0);
  o.string = true;
  o.base = 8;
  EXPECT_TRUE(m({o}, "107"));
  // suricata-verify detect-bytetest-02 sid 1: pcre then a relative string test.
  ByteTestOpt rel = BT(1, '=', 1, 6);
  rel.relative = true;
  rel.string = true;
  EXPECT_TRUE(m({P("AllWorkAndNoPlayMakesWillADullBoy"), rel},
                "GET /AllWorkAndNoPlayMakesWillADullBoy HTTP/1.0"));
}

TEST_F(MatchPayload, ByteTestBitmaskShiftsByTrailingZeros) {
  // 0x3C & 0xF0 = 0x30, >> 4 = 3.
  ByteTestOpt b = BT(1, '=', 3, 0);
  b.bitmask = 0xF0;
  EXPECT_TRUE(m({b}, "\x3C"));
  EXPECT_FALSE(m({b}, "\x4C"));
  ByteTestOpt b2 = BT(2, '=', 0x1, 0);
  b2.bitmask = 0x0100;
  EXPECT_TRUE(m({b2}, std::string("\x01\x00", 2)));
}

TEST_F(MatchPayload, ByteTestValueAndOffsetFromVariables) {
  ByteExtractOpt b = BE(1, 0, 0);
  ByteTestOpt t = BT(1, '=', 0, 0);
  t.value = var(0);
  t.offset = lit(1);
  EXPECT_TRUE(m({b, t}, "\x05\x05", 1));
  EXPECT_FALSE(m({b, t}, "\x05\x06", 1));
  ByteTestOpt t2 = BT(1, '=', 'z', 0);
  t2.offset = var(0);
  EXPECT_TRUE(m({b, t2}, "\x02xz", 1));
}

// ---- byte_jump.

TEST_F(MatchPayload, ByteJumpMovesTheCursor) {
  // Read 1 byte at 0 (=2), jump 2 past it: cursor 3, then "c" at 3.
  EXPECT_TRUE(m({BJ(1, 0), Crel("c", 0, 1)}, "\x02" "abc"));
  EXPECT_FALSE(m({BJ(1, 0), Crel("b", 0, 1)}, "\x02" "abc"));
  // Jump to exactly the end is allowed, beyond fails.
  EXPECT_TRUE(m({BJ(1, 0)}, "\x03" "abc"));
  EXPECT_FALSE(m({BJ(1, 0)}, "\x04" "abc"));
  // Relative with an offset.
  ByteJumpOpt rel = BJ(2, 1);
  rel.relative = true;
  EXPECT_TRUE(m({C("L"), rel, Crel("X", 0, 1)}, std::string("L.\x00\x01.X", 6)));
}

TEST_F(MatchPayload, ByteJumpModifiers) {
  ByteJumpOpt mult = BJ(1, 0);
  mult.multiplier = 2;
  EXPECT_TRUE(m({mult, Crel("z", 0, 1)}, "\x02" "abcdz"));
  ByteJumpOpt align = BJ(1, 0);
  align.align = true;  // 1 -> 4
  EXPECT_TRUE(m({align, Crel("z", 0, 1)}, "\x01" "abcdz"));
  ByteJumpOpt post = BJ(1, 0);
  post.post_offset = -2;
  EXPECT_TRUE(m({post, Crel("b", 0, 1)}, "\x03" "abcd"));
  ByteJumpOpt begin = BJ(1, 2);
  begin.from_beginning = true;  // value 1 from the buffer start
  EXPECT_TRUE(m({begin, Crel("a", 0, 1)}, std::string("\x00" "a\x01" "cd", 5)));
  ByteJumpOpt end = BJ(1, 0);
  end.from_end = true;
  end.post_offset = -3;  // value 0, from the end, back 3
  EXPECT_TRUE(m({end, Crel("xyz", 0, 3)}, std::string("\x00" "abxyz", 6)));
  ByteJumpOpt le = BJ(2, 0);
  le.little_endian = true;  // 0x0001 little = 1
  EXPECT_TRUE(m({le, Crel("q", 0, 1)}, std::string("\x01\x00" "xq", 4)));
  ByteJumpOpt str = BJ(2, 0);
  str.string = true;  // "10" -> jump 10 past the 2 digits
  EXPECT_TRUE(m({str, Crel("!", 0, 1)}, "100123456789!"));
}

TEST_F(MatchPayload, ByteJumpBeforeBufferStartResetsToStart) {
  // suricata-verify detect-bytejump-05 / bug-4623: nbytes 0 with post_offset.
  const std::string p =
      std::string("NSLO\x0a\x95\x00\x20\xb0\x00\x00\x00", 12) + "payload-tail" +
      std::string("\x7c\xe0\x3a\x01\xe8\xed\x0f\x54", 8);
  ByteJumpOpt back8 = BJ(0, 0);
  back8.relative = true;
  back8.post_offset = -8;
  EXPECT_TRUE(m({C(std::string("\x0a\x95\x00\x20", 4)), back8, P("NSLO", "R")}, p));
  ByteJumpOpt back10 = back8;
  back10.post_offset = -10;
  EXPECT_TRUE(m({C(std::string("\x0a\x95\x00\x20", 4)), back10, P("NSLO", "R")}, p));
  EXPECT_TRUE(m({C(std::string("\x0a\x95\x00\x20", 4)), back10}, p));
  ByteJumpOpt back7 = BJ(0, 0);
  back7.relative = true;
  back7.post_offset = -7;
  EXPECT_TRUE(m({C(std::string("\x3a\x01\xe8\xed\x0f", 5)), back7,
                 P("^\\x7c\\xe0\\x3a\\x01\\xe8\\xed\\x0f\\x54", "R")},
                p));
  EXPECT_FALSE(m({C(std::string("\x3a\x01\xe8\xed\x0f", 5)), back7,
                  P("^\\xe0\\x3a", "R")},
                 p));
}

TEST_F(MatchPayload, ByteJumpNbytesFromVariable) {
  // suricata-verify detect-bytejump-02: byte_extract then byte_jump:var,0,relative.
  ByteExtractOpt be = BE(1, 4, 0);
  be.relative = true;
  ByteJumpOpt bj = BJ(0, 0);
  bj.nbytes_var = 0;
  bj.relative = true;
  // "\0\0\0" then 4 skipped bytes, nbytes=1 at the 5th; jump reads 1 byte (=2) -> 2 further.
  const std::string p("\x00\x00\x00....\x01\x02xyZ", 13);
  EXPECT_TRUE(m({C(std::string("\x00\x00\x00", 3)), be, bj, Crel("Z", 0, 1)}, p, 1));
  EXPECT_TRUE(m({C(std::string("\x00\x00\x00", 3)), be, bj, ID(1, true)}, p, 1));
  // A variable asking for more than 8 binary bytes fails.
  const std::string q("\x00\x00\x00....\x09\x02xyZ", 13);
  EXPECT_FALSE(m({C(std::string("\x00\x00\x00", 3)), be, bj}, q, 1));
}

TEST_F(MatchPayload, ByteJumpOutOfBufferFails) {
  EXPECT_FALSE(m({BJ(4, 0)}, "abc"));
  EXPECT_FALSE(m({BJ(1, 5)}, "abc"));
  ByteJumpOpt rel = BJ(1, 0);
  rel.relative = true;
  EXPECT_FALSE(m({C("c"), rel}, "abc"));
}

// ---- byte_extract.

TEST_F(MatchPayload, ByteExtract) {
  ByteExtractOpt b = BE(2, 0, 0);
  ContentOpt c = C("Z");
  c.offset = var(0);
  c.depth = lit(1);
  EXPECT_TRUE(m({b, c}, std::string("\x00\x04..Z", 5), 1));
  EXPECT_FALSE(m({b, c}, std::string("\x00\x03..Z", 5), 1));
  ByteExtractOpt le = BE(2, 0, 0);
  le.little_endian = true;
  EXPECT_TRUE(m({le, c}, std::string("\x04\x00..Z", 5), 1));
  ByteExtractOpt mult = BE(1, 0, 0);
  mult.multiplier = 2;
  EXPECT_TRUE(m({mult, c}, std::string("\x02..Z", 4), 1) == false);
  EXPECT_TRUE(m({mult, c}, std::string("\x02...Z", 5), 1));
  ByteExtractOpt al = BE(1, 0, 0);
  al.align = 4;  // 1 -> 4
  EXPECT_TRUE(m({al, c}, std::string("\x01...Z", 5), 1));
  ByteExtractOpt s = BE(2, 0, 0);
  s.string = true;
  s.base = 16;
  ContentOpt c2 = C("Z");
  c2.offset = var(0);
  EXPECT_TRUE(m({s, c2}, "10..............Z", 1));
  // byte_extract moves the cursor past the bytes read.
  EXPECT_TRUE(m({BE(1, 1, 0), Crel("x", 0, 1)}, "a\x01x", 1));
  EXPECT_FALSE(m({BE(1, 5, 0)}, "abc", 1));
  ByteExtractOpt rel = BE(1, 1, 0);
  rel.relative = true;
  EXPECT_FALSE(m({C("c"), rel}, "abc", 1));
}

TEST_F(MatchPayload, ByteExtractInvalidVariableIsABuildError) {
  std::string err;
  EXPECT_EQ(PayloadProgram::build(R({BE(1, 0, 2)}, 1), &err), nullptr);
  EXPECT_NE(err.find("byte_extract"), std::string::npos) << err;
  ContentOpt c = C("a");
  c.offset = var(3);
  EXPECT_EQ(PayloadProgram::build(R({c}, 1), &err), nullptr);
}

// ---- pcre.

TEST_F(MatchPayload, PcreBasicAndFlags) {
  EXPECT_TRUE(m({P("ab+c")}, "xxabbbc"));
  EXPECT_FALSE(m({P("ab+c")}, "xxac"));
  EXPECT_FALSE(m({P("ABC")}, "abc"));
  EXPECT_TRUE(m({P("ABC", "i")}, "abc"));
  EXPECT_FALSE(m({P("a.c")}, "a\nc"));
  EXPECT_TRUE(m({P("a.c", "s")}, "a\nc"));
  EXPECT_FALSE(m({P("^b")}, "a\nb"));
  EXPECT_TRUE(m({P("^b", "m")}, "a\nb"));
  EXPECT_TRUE(m({P("a b c", "x")}, "abc"));
  EXPECT_FALSE(m({P("b", "A")}, "ab"));
  EXPECT_TRUE(m({P("a", "A")}, "ab"));
  EXPECT_TRUE(m({P("b$")}, "ab\n"));
  EXPECT_FALSE(m({P("b$", "E")}, "ab\n"));
  // Ungreedy: the relative content after the pcre sees the shorter match.
  EXPECT_TRUE(m({P("a.+b", "G"), Crel("Xb", 0, 2)}, "a1bXb"));
  EXPECT_TRUE(m({P("\\x00\\xff")}, std::string("z\x00\xff", 3)));
}

TEST_F(MatchPayload, PcreNegatedAndRelative) {
  EXPECT_TRUE(m({P("evil", "", true)}, "good"));
  EXPECT_FALSE(m({P("evil", "", true)}, "evil"));
  // Relative: the subject starts at the cursor, so ^ anchors there.
  EXPECT_TRUE(m({C("key="), P("^\\d+", "R")}, "key=123"));
  EXPECT_FALSE(m({C("key="), P("^\\d+", "R")}, "key=x123"));
  EXPECT_FALSE(m({C("b"), P("a", "R")}, "ab"));
  // A content relative to a pcre starts at the pcre match end.
  EXPECT_TRUE(m({P("\\d+"), Crel("x", 0, 1)}, "12x"));
  EXPECT_FALSE(m({P("\\d+"), Crel("y", 0, 1)}, "12xy"));
  // The pcre is retried at its next match when a relative option after it fails.
  EXPECT_TRUE(m({P("a\\d"), Crel("!", 0, 1)}, "a1 a2!"));
  EXPECT_TRUE(m({C("k"), P("^=", "R")}, "kx k="));  // content retried for the pcre
}

TEST_F(MatchPayload, PcreCompileErrorIsABuildError) {
  std::string err;
  EXPECT_EQ(PayloadProgram::build(R({P("(abc")}), &err), nullptr);
  EXPECT_EQ(err.rfind("pcre: ", 0), 0u) << err;
  EXPECT_NE(err.find("at offset 4"), std::string::npos) << err;
}

TEST_F(MatchPayload, PcreCatastrophicPatternHitsTheMatchLimit) {
  // (a+)+$ on a long run of a's and no anchor: the match limit stops it (no match), O lifts
  // the limit (still no match here, but it runs to completion).
  const std::string p = std::string(30, 'a') + "b";
  EXPECT_FALSE(m({P("(a+)+$")}, p));
  EXPECT_TRUE(m({P("(a+)+b")}, p));
}

// ---- bsize.

TEST_F(MatchPayload, Bsize) {
  Rule r = R({C("a")});
  r.bsize = NumCmp{NumCmp::Op::kLt, 5, 0};
  EXPECT_TRUE(m(r, "abcd"));
  EXPECT_FALSE(m(r, "abcde"));
  Rule only;
  only.bsize = NumCmp{NumCmp::Op::kEq, 0, 0};
  EXPECT_TRUE(m(only, ""));
  EXPECT_FALSE(m(only, "a"));
}

// ---- limits and allocation.

TEST_F(MatchPayload, AdversarialChainIsBoundedByTheRecursionLimit) {
  // Every "a" starts a chain that fails only at the end: without the cap this is cubic.
  const std::string p(4000, 'a');
  Rule r = R({C("a"), Crel("a", 0, std::nullopt), Not(Crel("a", 0, std::nullopt)),
              Crel("b", 0, 1)});
  std::string err;
  auto prog = PayloadProgram::build(r, &err);
  ASSERT_NE(prog, nullptr) << err;
  MatchScratch s;
  EXPECT_FALSE(prog->match(bytes(p), s));
  EXPECT_LE(s.last_inspections(), kInspectionRecursionLimit);
}

TEST_F(MatchPayload, MatchDoesNotAllocate) {
  ByteExtractOpt be = BE(1, 0, 0);
  Rule r = R({be, C("GET"), Crel("x", 0, 3), P("HTTP/\\d\\.\\d", "R"), Not(C("zzz")),
              BT(1, '>', 0, 1), ID(3, true)},
             1);
  std::string err;
  auto prog = PayloadProgram::build(r, &err);
  ASSERT_NE(prog, nullptr) << err;
  MatchScratch s;
  const std::string payload = "\x01GET /x HTTP/1.1 and more";
  ASSERT_TRUE(prog->match(bytes(payload), s));  // warm up (JIT stack, lazy state)
  const uint64_t before = ts_test_allocations();
  bool all = true;
  for (int k = 0; k < 1000; ++k) all = prog->match(bytes(payload), s) && all;
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_TRUE(all);
}

// ---- Header options.

PacketView tcp(uint8_t flags, std::string_view payload = "") {
  return test::make_tcp(test::ip4(10, 0, 0, 1), test::ip4(10, 0, 0, 2), 1234, 80, 100, 200,
                        flags, payload, 0);
}

TEST(MatchHeader, NoOptionsMatchesAnything) {
  Rule r;
  EXPECT_TRUE(match_header(r, tcp(0)));
}

TEST(MatchHeader, Dsize) {
  // suricata-verify test-dsize-values operators.
  Rule r;
  r.dsize = NumCmp{NumCmp::Op::kEq, 10, 0};
  EXPECT_TRUE(match_header(r, tcp(0, "0123456789")));
  EXPECT_FALSE(match_header(r, tcp(0, "012345678")));
  r.dsize = NumCmp{NumCmp::Op::kRange, 8, 20};
  EXPECT_FALSE(match_header(r, tcp(0, "01234567")));
  EXPECT_TRUE(match_header(r, tcp(0, "012345678")));
  r.dsize = NumCmp{NumCmp::Op::kNe, 9, 0};
  EXPECT_FALSE(match_header(r, tcp(0, "012345678")));
}

TEST(MatchHeader, IpFields) {
  PacketView p = tcp(0);
  p.ttl = 64;
  p.tos = 0x10;
  p.ip_id = 4242;
  Rule r;
  r.ttl = NumCmp{NumCmp::Op::kEq, 64, 0};
  r.tos = NumCmp{NumCmp::Op::kEq, 0x10, 0};
  r.ip_id = NumCmp{NumCmp::Op::kEq, 4242, 0};
  r.ip_proto = NumCmp{NumCmp::Op::kEq, 6, 0};
  EXPECT_TRUE(match_header(r, p));
  p.ttl = 0;
  EXPECT_FALSE(match_header(r, p));
  p.ttl = 64;
  p.ip_proto = 17;
  EXPECT_FALSE(match_header(r, p));
  // tos and id are IPv4 only.
  Rule tos;
  tos.tos = NumCmp{NumCmp::Op::kEq, 0, 0};
  PacketView v6 = test::make_tcp(IpAddr{{}, 6}, IpAddr{{}, 6}, 1, 2, 0, 0, 0, "", 0);
  EXPECT_FALSE(match_header(tos, v6));
  Rule ttl;
  ttl.ttl = NumCmp{NumCmp::Op::kEq, 0, 0};
  EXPECT_TRUE(match_header(ttl, v6));
}

TEST(MatchHeader, TcpFlags) {
  using namespace tcpflag;
  Rule r;
  r.flags = TcpFlagsOpt{kSyn, 0, 0};
  EXPECT_TRUE(match_header(r, tcp(kSyn)));
  EXPECT_FALSE(match_header(r, tcp(kSyn | kAck)));
  EXPECT_FALSE(match_header(r, tcp(kSyn | kEce | kCwr)));
  // flags:S,CE ignores ECE and CWR.
  r.flags = TcpFlagsOpt{kSyn, 0, static_cast<uint8_t>(kEce | kCwr)};
  EXPECT_TRUE(match_header(r, tcp(kSyn | kEce | kCwr)));
  EXPECT_FALSE(match_header(r, tcp(kSyn | kAck)));
  // +: all of these and any others.
  r.flags = TcpFlagsOpt{kSyn, '+', 0};
  EXPECT_TRUE(match_header(r, tcp(kSyn | kAck)));
  EXPECT_FALSE(match_header(r, tcp(kAck)));
  // *: any of these.
  r.flags = TcpFlagsOpt{static_cast<uint8_t>(kSyn | kFin), '*', 0};
  EXPECT_TRUE(match_header(r, tcp(kFin | kAck)));
  EXPECT_FALSE(match_header(r, tcp(kAck)));
  // !: not all of these.
  r.flags = TcpFlagsOpt{kRst, '!', 0};
  EXPECT_TRUE(match_header(r, tcp(kAck)));
  EXPECT_FALSE(match_header(r, tcp(kRst | kAck)));
  // 0: no flags at all.
  r.flags = TcpFlagsOpt{0, 0, 0};
  EXPECT_TRUE(match_header(r, tcp(0)));
  EXPECT_FALSE(match_header(r, tcp(kAck)));
  // TCP options on a UDP packet fail.
  r.flags = TcpFlagsOpt{kSyn, '!', 0};
  PacketView u = test::make_udp(test::ip4(1, 1, 1, 1), test::ip4(2, 2, 2, 2), 1, 2, "x", 0);
  EXPECT_FALSE(match_header(r, u));
}

TEST(MatchHeader, SeqAckWindow) {
  PacketView p = tcp(tcpflag::kAck);
  p.tcp.seq = 1000;
  p.tcp.ack = 3308437468u;
  p.tcp.window = 512;
  Rule r;
  r.seq = NumCmp{NumCmp::Op::kEq, 1000, 0};
  r.ack = NumCmp{NumCmp::Op::kEq, 3308437468u, 0};
  r.window = NumCmp{NumCmp::Op::kEq, 512, 0};
  EXPECT_TRUE(match_header(r, p));
  p.tcp.window = 513;
  EXPECT_FALSE(match_header(r, p));
  Rule w;
  w.window = NumCmp{NumCmp::Op::kNe, 0, 0};
  PacketView u = test::make_udp(test::ip4(1, 1, 1, 1), test::ip4(2, 2, 2, 2), 1, 2, "x", 0);
  EXPECT_FALSE(match_header(w, u));
}

// An Ethernet + IPv4 frame whose flags/fragment field is `frag_field`.
// A packet whose view points into its own bytes (Ethernet, IPv4 at 14, L4 at 34), for the
// header keywords that read the raw frame.
struct Frame {
  std::vector<uint8_t> bytes;
  PacketView view;
};
Frame frame_of(std::vector<uint8_t> bytes, PacketView view) {
  Frame f{std::move(bytes), view};
  f.view.frame = f.bytes.data();
  f.view.caplen = static_cast<uint32_t>(f.bytes.size());
  f.view.l3_offset = 14;
  f.view.l4_offset = 34;
  return f;  // moving the vector keeps its buffer, so view.frame stays valid
}

Frame ipv4_frame(uint16_t frag_field) {
  std::vector<uint8_t> bytes(14 + 20 + 8, 0);
  uint8_t* ip = bytes.data() + 14;
  ip[0] = 0x45;
  ip[6] = static_cast<uint8_t>(frag_field >> 8);
  ip[7] = static_cast<uint8_t>(frag_field);
  return frame_of(std::move(bytes),
                  test::make_udp(test::ip4(1, 1, 1, 1), test::ip4(2, 2, 2, 2), 1, 2, "", 0));
}

TEST(MatchHeader, Fragbits) {
  Rule r;
  r.fragbits = FragbitsOpt{2, 0};  // D exactly
  EXPECT_TRUE(match_header(r, ipv4_frame(0x4000).view));
  EXPECT_FALSE(match_header(r, ipv4_frame(0x6000).view));
  r.fragbits = FragbitsOpt{1, '*'};  // any of M
  EXPECT_TRUE(match_header(r, ipv4_frame(0x2000).view));
  EXPECT_FALSE(match_header(r, ipv4_frame(0x4000).view));
  r.fragbits = FragbitsOpt{2, '+'};  // D and at least one other
  EXPECT_TRUE(match_header(r, ipv4_frame(0x6000).view));
  EXPECT_FALSE(match_header(r, ipv4_frame(0x4000).view));
  r.fragbits = FragbitsOpt{2, '!'};  // not D
  EXPECT_TRUE(match_header(r, ipv4_frame(0x2000).view));
  EXPECT_FALSE(match_header(r, ipv4_frame(0x4000).view));
  r.fragbits = FragbitsOpt{4, 0};  // reserved bit
  EXPECT_TRUE(match_header(r, ipv4_frame(0x8000).view));
  // The fragment offset bits do not count.
  r.fragbits = FragbitsOpt{1, 0};
  EXPECT_TRUE(match_header(r, ipv4_frame(0x2010).view));
  // No frame: cannot tell, no match.
  EXPECT_FALSE(match_header(r, tcp(0)));
}

Frame icmp_frame(uint8_t type, uint8_t code, uint16_t id, uint16_t seq, bool v6 = false) {
  std::vector<uint8_t> bytes(14 + 20 + 8 + 4, 0);
  uint8_t* h = bytes.data() + 34;
  h[0] = type;
  h[1] = code;
  h[4] = static_cast<uint8_t>(id >> 8);
  h[5] = static_cast<uint8_t>(id);
  h[6] = static_cast<uint8_t>(seq >> 8);
  h[7] = static_cast<uint8_t>(seq);
  PacketView view = test::make_icmp(test::ip4(1, 1, 1, 1), test::ip4(2, 2, 2, 2), 0);
  if (v6) {
    view.l4 = L4::kIcmpv6;
    view.ip_proto = 58;
  }
  view.icmp_type = type;
  view.icmp_code = code;
  return frame_of(std::move(bytes), view);
}

TEST(MatchHeader, IcmpTypeCodeIdSeq) {
  Rule r;
  r.itype = NumCmp{NumCmp::Op::kEq, 8, 0};
  r.icode = NumCmp{NumCmp::Op::kEq, 0, 0};
  EXPECT_TRUE(match_header(r, icmp_frame(8, 0, 1, 1).view));
  EXPECT_FALSE(match_header(r, icmp_frame(0, 0, 1, 1).view));
  EXPECT_FALSE(match_header(r, tcp(0)));
  Rule seq;  // suricata-verify detect-icmp-seq
  seq.icmp_seq = NumCmp{NumCmp::Op::kEq, 2216, 0};
  EXPECT_TRUE(match_header(seq, icmp_frame(8, 0, 7, 2216).view));
  EXPECT_TRUE(match_header(seq, icmp_frame(0, 0, 7, 2216).view));
  EXPECT_FALSE(match_header(seq, icmp_frame(8, 0, 7, 5000).view));
  Rule id;  // suricata-verify detect-icmp-id-02
  id.icmp_id = NumCmp{NumCmp::Op::kEq, 0, 0};
  EXPECT_TRUE(match_header(id, icmp_frame(8, 0, 0, 9).view));
  // Messages without an id field (destination unreachable, time exceeded) never match.
  EXPECT_FALSE(match_header(id, icmp_frame(3, 1, 0, 0).view));
  EXPECT_FALSE(match_header(id, icmp_frame(11, 0, 0, 0).view));
  // Timestamp requests carry one on ICMPv4.
  EXPECT_TRUE(match_header(id, icmp_frame(13, 0, 0, 0).view));
  // ICMPv6 echo request/reply only.
  EXPECT_TRUE(match_header(id, icmp_frame(128, 0, 0, 0, true).view));
  EXPECT_FALSE(match_header(id, icmp_frame(1, 0, 0, 0, true).view));
  // No frame: no match.
  EXPECT_FALSE(match_header(id, test::make_icmp(test::ip4(1, 1, 1, 1), test::ip4(2, 2, 2, 2), 0)));
}

TEST(MatchHeader, DoesNotAllocate) {
  Rule r;
  r.dsize = NumCmp{NumCmp::Op::kGt, 0, 0};
  r.flags = TcpFlagsOpt{tcpflag::kAck, '+', 0};
  r.ttl = NumCmp{NumCmp::Op::kLt, 255, 0};
  PacketView p = tcp(tcpflag::kAck, "x");
  const uint64_t before = ts_test_allocations();
  bool all = true;
  for (int k = 0; k < 1000; ++k) all = match_header(r, p) && all;
  EXPECT_EQ(ts_test_allocations(), before);
  EXPECT_TRUE(all);
}

}  // namespace
}  // namespace ts::sig
