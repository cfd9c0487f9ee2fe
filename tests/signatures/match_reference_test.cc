// PayloadProgram against a naive reference on random content-only rules and payloads.
//
// The reference knows nothing of Suricata's inspection order, cursor or retry flags: it
// enumerates every occurrence of every content inside its window (offset/depth absolute,
// distance/within from the end of the previous non-negated match, startswith, endswith,
// nocase) and succeeds if some choice satisfies the whole chain, negated contents being
// absent from their windows. Suricata's pruning (no retry before a distance-only content, an
// absent absolute content ends the inspection) must never change the answer. Fixed seed,
// small alphabet so that occurrences, overlaps and near misses are common.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "signatures/match.h"

namespace ts::sig {
namespace {

uint8_t fold(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

bool occurs_at(const ContentOpt& c, const std::string& buf, int64_t p) {
  for (std::size_t j = 0; j < c.pattern.size(); ++j) {
    uint8_t a = static_cast<uint8_t>(buf[static_cast<std::size_t>(p) + j]);
    uint8_t b = static_cast<uint8_t>(c.pattern[j]);
    if (c.nocase) {
      a = fold(a);
      b = fold(b);
    }
    if (a != b) return false;
  }
  return true;
}

// Every start position where content i may match, given the previous match end.
std::vector<int64_t> candidates(const ContentOpt& c, const std::string& buf, int64_t prev) {
  const int64_t len = static_cast<int64_t>(buf.size());
  const int64_t m = static_cast<int64_t>(c.pattern.size());
  int64_t lo = 0, hi = len;  // the match must lie in [lo, hi)
  if (c.startswith) {
    hi = m;
  } else if (c.distance || c.within) {
    const int64_t d = c.distance ? c.distance->value : 0;
    lo = std::max<int64_t>(0, prev + d);
    if (c.within) hi = std::min(hi, prev + d + c.within->value);
  } else {
    if (c.offset) lo = c.offset->value;
    if (c.depth) hi = std::min(hi, lo + c.depth->value);
  }
  std::vector<int64_t> out;
  for (int64_t p = lo; p + m <= hi; ++p) {
    if (c.endswith && p + m != len) continue;
    if (occurs_at(c, buf, p)) out.push_back(p);
  }
  return out;
}

bool reference(const std::vector<ContentOpt>& cs, std::size_t i, const std::string& buf,
               int64_t prev) {
  if (i == cs.size()) return true;
  const ContentOpt& c = cs[i];
  const std::vector<int64_t> at = candidates(c, buf, prev);
  if (c.negated) return at.empty() && reference(cs, i + 1, buf, prev);
  for (int64_t p : at) {
    if (reference(cs, i + 1, buf, p + static_cast<int64_t>(c.pattern.size()))) return true;
  }
  return false;
}

bool reference(const std::vector<ContentOpt>& cs, const std::string& buf) {
  if (buf.empty()) return cs.empty();
  return reference(cs, 0, buf, 0);
}

// Random rules only in forms Suricata's parser accepts: the first content is absolute,
// relative and absolute modifiers are not mixed on one content, within and depth are at
// least the pattern length, startswith stands alone.
class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return uniform(0, 99) < percent; }

  std::string text(int lo, int hi, bool upper) {
    // '.' makes some nocase patterns searchable by memchr on a non-letter.
    static const char kLower[] = "abca.";
    static const char kMixed[] = "abcAB.";
    std::string s(static_cast<std::size_t>(uniform(lo, hi)), ' ');
    for (char& ch : s) ch = upper ? kMixed[uniform(0, 5)] : kLower[uniform(0, 4)];
    return s;
  }

  std::vector<ContentOpt> rule() {
    std::vector<ContentOpt> cs(static_cast<std::size_t>(uniform(1, 5)));
    for (std::size_t i = 0; i < cs.size(); ++i) {
      ContentOpt& c = cs[i];
      c.pattern = text(1, 3, false);
      const int64_t m = static_cast<int64_t>(c.pattern.size());
      c.nocase = chance(30);
      c.negated = chance(20);
      const int kind = i == 0 ? uniform(0, 2) : uniform(0, 5);
      if (kind == 1) {
        c.startswith = true;
      } else if (kind == 2) {
        if (chance(60)) c.offset = IntOrVar{uniform(0, 8), -1};
        if (chance(60)) c.depth = IntOrVar{m + uniform(0, 8), -1};
      } else if (kind >= 3) {
        c.relative = true;
        const bool d = chance(70), w = chance(60);
        if (d || !w) c.distance = IntOrVar{uniform(-6, 6), -1};
        if (w) c.within = IntOrVar{m + uniform(0, 6), -1};
      }
      if (!c.startswith && chance(12)) c.endswith = true;
    }
    return hides_anchor(cs) ? rule() : cs;
  }

  // Suricata's parser gives the retry flag of a relative content to the content written
  // just before it. When that one is a negated absolute content, which moves no cursor, the
  // content the relative one really follows gets no flag and is not retried: Suricata then
  // answers no match where a full search finds one. Such rules are left out here;
  // MatchPayload.NegatedAbsoluteContentTakesTheRetryFlag pins Suricata's answer.
  static bool hides_anchor(const std::vector<ContentOpt>& cs) {
    for (std::size_t i = 1; i + 1 < cs.size(); ++i) {
      const bool absolute_negated = cs[i].negated && !cs[i].distance && !cs[i].within;
      const bool next_relative = !cs[i + 1].startswith && (cs[i + 1].distance || cs[i + 1].within);
      if (absolute_negated && next_relative) return true;
    }
    return false;
  }

 private:
  std::mt19937 rng_;
};

std::string describe(const std::vector<ContentOpt>& cs) {
  std::ostringstream o;
  for (const ContentOpt& c : cs) {
    o << "content:" << (c.negated ? "!" : "") << '"' << c.pattern << "\";";
    if (c.nocase) o << " nocase;";
    if (c.startswith) o << " startswith;";
    if (c.endswith) o << " endswith;";
    if (c.offset) o << " offset:" << c.offset->value << ";";
    if (c.depth) o << " depth:" << c.depth->value << ";";
    if (c.distance) o << " distance:" << c.distance->value << ";";
    if (c.within) o << " within:" << c.within->value << ";";
    o << ' ';
  }
  return o.str();
}

TEST(MatchReference, RandomContentRulesAgreeWithNaiveSearch) {
  Gen gen(20240611);
  MatchScratch scratch;
  int compared = 0, matched = 0, at_limit = 0, mismatches = 0;
  constexpr int kRules = 10000;
  constexpr int kPayloadsPerRule = 12;
  for (int r = 0; r < kRules; ++r) {
    Rule rule;
    const std::vector<ContentOpt> cs = gen.rule();
    for (const ContentOpt& c : cs) rule.payload.emplace_back(c);
    std::string err;
    auto prog = PayloadProgram::build(rule, &err);
    ASSERT_NE(prog, nullptr) << err;
    for (int k = 0; k < kPayloadsPerRule; ++k) {
      const std::string buf = gen.text(0, gen.chance(80) ? 40 : 120, gen.chance(50));
      const bool got = prog->match(
          {reinterpret_cast<const uint8_t*>(buf.data()), buf.size()}, scratch);
      if (scratch.last_inspections() >= kInspectionRecursionLimit) {
        ++at_limit;  // Suricata gives up here too; the reference would not
        continue;
      }
      const bool want = reference(cs, buf);
      ++compared;
      matched += want;
      if (got != want && ++mismatches <= 10) {
        ADD_FAILURE() << describe(cs) << "on \"" << buf << "\": PayloadProgram " << got
                      << ", reference " << want;
      }
    }
  }
  RecordProperty("compared", compared);
  RecordProperty("matched", matched);
  RecordProperty("at_limit", at_limit);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(compared, kRules * kPayloadsPerRule * 99 / 100);
  // The generator must exercise both outcomes in earnest.
  EXPECT_GT(matched, compared / 10);
  EXPECT_LT(matched, compared * 9 / 10);
}

}  // namespace
}  // namespace ts::sig

namespace ts::sig {
namespace {

// Random mixes of every payload keyword with hostile parameters (negative and huge offsets,
// zero and oversized byte counts, variables) on random binary buffers allocated to their
// exact size: nothing may read outside the buffer (run under the asan preset to check) and
// every call stays within the inspection limit.
TEST(MatchReference, RandomKeywordMixesStayInBounds) {
  std::mt19937 rng(7);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  MatchScratch scratch;
  int built = 0, matched = 0;
  for (int r = 0; r < 3000; ++r) {
    Rule rule;
    rule.nvars = 2;
    const int n = uni(1, 6);
    for (int k = 0; k < n; ++k) {
      const bool rel = uni(0, 1) == 1;
      auto iv = [&]() {
        IntOrVar v{uni(-20, 70), -1};
        if (uni(0, 5) == 0) v = IntOrVar{0, static_cast<int8_t>(uni(0, 1))};
        if (uni(0, 20) == 0) v.value = int64_t{1} << uni(20, 62);
        return v;
      };
      switch (uni(0, 5)) {
        case 0: {
          ContentOpt c;
          c.pattern = std::string(static_cast<std::size_t>(uni(1, 3)), static_cast<char>(uni(0, 3)));
          c.negated = uni(0, 3) == 0;
          c.nocase = uni(0, 1) == 1;
          c.endswith = uni(0, 5) == 0;
          if (rel) {
            c.distance = iv();
            if (uni(0, 1)) c.within = IntOrVar{uni(3, 20), -1};
          } else {
            if (uni(0, 1)) c.offset = iv();
            if (uni(0, 1)) c.depth = IntOrVar{uni(3, 20), -1};
          }
          rule.payload.emplace_back(c);
          break;
        }
        case 1: {
          PcreOpt p;
          p.regex = uni(0, 1) ? "\\x01.{0,4}\\x02" : "^(\\x00|\\x03)+";
          p.relative = rel;
          p.negated = uni(0, 3) == 0;
          rule.payload.emplace_back(p);
          break;
        }
        case 2: {
          ByteTestOpt b;
          b.string = uni(0, 3) == 0;
          b.nbytes = static_cast<uint8_t>(b.string ? uni(1, 10) : (uni(0, 1) ? uni(1, 4) : 8));
          b.op = "<>=!&^lg"[uni(0, 7)];
          b.value = iv();
          b.offset = iv();
          b.relative = rel;
          b.little_endian = uni(0, 1);
          b.base = uni(0, 1) ? 16 : 10;
          if (uni(0, 3) == 0) b.bitmask = static_cast<uint64_t>(uni(1, 0xffff));
          rule.payload.emplace_back(b);
          break;
        }
        case 3: {
          ByteJumpOpt b;
          b.string = uni(0, 3) == 0;
          b.nbytes = static_cast<uint8_t>(uni(0, b.string ? 10 : 8));
          if (uni(0, 4) == 0) b.nbytes_var = static_cast<int8_t>(uni(0, 1));
          if (b.string && b.nbytes == 0) b.nbytes = 1;
          b.offset = iv();
          b.relative = rel;
          b.multiplier = uni(0, 3) == 0 ? uni(1, 1000) : 1;
          b.align = uni(0, 3) == 0;
          b.from_beginning = uni(0, 5) == 0;
          b.from_end = !b.from_beginning && uni(0, 5) == 0;
          b.post_offset = uni(0, 2) == 0 ? uni(-100, 100) : 0;
          b.little_endian = uni(0, 1);
          if (uni(0, 5) == 0) b.bitmask = static_cast<uint64_t>(uni(1, 0xffff));
          rule.payload.emplace_back(b);
          break;
        }
        case 4: {
          ByteExtractOpt b;
          b.string = uni(0, 3) == 0;
          b.nbytes = static_cast<uint8_t>(uni(1, b.string ? 10 : 8));
          b.offset = uni(-20, 70);
          b.var = static_cast<int8_t>(uni(0, 1));
          b.relative = rel;
          b.multiplier = uni(0, 3) == 0 ? uni(1, 1000) : 1;
          b.align = uni(0, 3) == 0 ? (uni(0, 1) ? 2 : 4) : 0;
          b.little_endian = uni(0, 1);
          rule.payload.emplace_back(b);
          break;
        }
        default: {
          IsDataAtOpt o;
          o.value = iv();
          o.relative = rel;
          o.negated = uni(0, 1);
          rule.payload.emplace_back(o);
          break;
        }
      }
    }
    std::string err;
    auto prog = PayloadProgram::build(rule, &err);
    if (!prog) continue;  // e.g. a byte count out of range for its form
    ++built;
    for (int k = 0; k < 10; ++k) {
      std::vector<uint8_t> buf(static_cast<std::size_t>(uni(0, 64)));
      for (uint8_t& b : buf) b = static_cast<uint8_t>(uni(0, 1) ? uni(0, 3) : uni(0, 255));
      matched += prog->match(buf, scratch);
      ASSERT_LE(scratch.last_inspections(), kInspectionRecursionLimit);
    }
  }
  RecordProperty("built", built);
  RecordProperty("matched", matched);
  EXPECT_GT(built, 2500);
  EXPECT_GT(matched, 100);
}

}  // namespace
}  // namespace ts::sig
