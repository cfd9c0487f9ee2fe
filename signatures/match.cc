// PayloadProgram and match_header: Suricata's payload inspection (the recursion of
// DetectEngineContentInspection, re-implemented) and its header keywords.
//
// Inspection walks the payload options in rule order with one cursor (Suricata's
// buffer_offset): content, pcre, byte_jump and byte_extract move it, relative options start
// from it. A content or pcre that matched but whose following options failed is retried at
// its next occurrence only when a later option is relative to it (Suricata's *_NEXT flags);
// every evaluation counts against kInspectionRecursionLimit, so adversarial input costs a
// bounded amount of work. Recursion depth is the number of options (retries loop in place).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "signatures/match.h"

#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

namespace ts::sig {

namespace {

// ASCII case folding, as Suricata's nocase (u8_tolower).
struct FoldTable {
  std::array<uint8_t, 256> t{};
  constexpr FoldTable() {
    for (int i = 0; i < 256; ++i) {
      t[i] = static_cast<uint8_t>(i >= 'A' && i <= 'Z' ? i + ('a' - 'A') : i);
    }
  }
};
constexpr FoldTable kFold;

inline uint8_t fold(uint8_t c) noexcept { return kFold.t[c]; }

// Values of byte_extract variables are unsigned 64-bit; offsets are computed in int64 with
// this saturation so no arithmetic below can overflow.
constexpr int64_t kValueCap = int64_t{1} << 40;

inline int64_t sat(uint64_t v) noexcept {
  return v > static_cast<uint64_t>(kValueCap) ? kValueCap : static_cast<int64_t>(v);
}

struct Content {
  std::string pattern;  // folded when nocase
  bool nocase = false;
  bool negated = false;
  bool startswith = false;
  bool endswith = false;
  bool relative = false;  // distance or within given
  bool has_offset = false, has_depth = false, has_distance = false, has_within = false;
  IntOrVar offset, depth, distance, within;
  bool retry = false;  // a later option is relative to this one (Suricata WITHIN_NEXT)
  // Search: memchr for the rarest-looking byte of the pattern (never a letter when nocase),
  // then compare; a nocase pattern of letters only uses Horspool shifts on folded bytes,
  // capped at 255 (a shorter shift is still safe).
  uint32_t anchor = 0;
  bool use_memchr = true;
  std::vector<uint8_t> skip;
};

// How common a byte is in traffic, roughly (higher: more common). Picks search anchors.
constexpr int byte_rank(uint8_t c) noexcept {
  if (c == 0x00 || c == ' ' || c == 0xff) return 250;
  if (c >= 'a' && c <= 'z') {
    constexpr const char* kFrequent = "etaoinsrhldcu";
    for (const char* f = kFrequent; *f; ++f) {
      if (*f == c) return 240 - static_cast<int>(f - kFrequent);
    }
    return 200;
  }
  if (c >= 'A' && c <= 'Z') return 150;
  if (c >= '0' && c <= '9') return 160;
  if (c == '\r' || c == '\n' || c == '/' || c == '.' || c == '=' || c == ':') return 140;
  return 50;
}

struct Pcre {
  pcre2_code* code = nullptr;
  bool relative = false;
  bool negated = false;
  bool no_limit = false;  // O flag: Suricata's match limits off
  bool retry = false;     // a later option is relative to this one (PCRE_RELATIVE_NEXT)
};

using Step = std::variant<Content, Pcre, ByteTestOpt, ByteJumpOpt, ByteExtractOpt, IsDataAtOpt>;

}  // namespace

struct MatchScratch::Impl {
  std::array<uint64_t, kMaxByteVars> vars{};
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mctx = nullptr;          // Suricata's match limits
  pcre2_match_context* mctx_unlimited = nullptr;  // pcre with the O flag
  pcre2_jit_stack* jit_stack = nullptr;
  // Per match() call.
  const uint8_t* buf = nullptr;
  uint32_t len = 0;
  uint32_t cursor = 0;      // Suricata's det_ctx->buffer_offset
  uint32_t pcre_start = 0;  // Suricata's det_ctx->pcre_match_start_offset
  uint32_t calls = 0;
};

MatchScratch::MatchScratch() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.md = pcre2_match_data_create(32, nullptr);
  s.jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, nullptr);
  s.mctx = pcre2_match_context_create(nullptr);
  s.mctx_unlimited = pcre2_match_context_create(nullptr);
  if (s.mctx) {
    pcre2_set_match_limit(s.mctx, kPcreMatchLimit);
    pcre2_set_depth_limit(s.mctx, kPcreDepthLimit);
  }
  if (s.jit_stack) {
    if (s.mctx) pcre2_jit_stack_assign(s.mctx, nullptr, s.jit_stack);
    if (s.mctx_unlimited) pcre2_jit_stack_assign(s.mctx_unlimited, nullptr, s.jit_stack);
  }
}

MatchScratch::~MatchScratch() {
  Impl& s = *impl_;
  pcre2_match_context_free(s.mctx);
  pcre2_match_context_free(s.mctx_unlimited);
  pcre2_jit_stack_free(s.jit_stack);
  pcre2_match_data_free(s.md);
}

uint32_t MatchScratch::last_inspections() const noexcept { return impl_->calls; }

struct PayloadProgram::Impl {
  std::vector<Step> steps;
  std::optional<NumCmp> bsize;

  ~Impl() {
    for (Step& s : steps) {
      if (auto* p = std::get_if<Pcre>(&s)) pcre2_code_free(p->code);
    }
  }

  int inspect(std::size_t i, MatchScratch::Impl& s) const noexcept;
  int next(std::size_t i, MatchScratch::Impl& s) const noexcept {
    return i + 1 == steps.size() ? 1 : inspect(i + 1, s);
  }
  int content(std::size_t i, const Content& c, MatchScratch::Impl& s) const noexcept;
  int pcre(std::size_t i, const Pcre& p, MatchScratch::Impl& s) const noexcept;
};

namespace {

int64_t value_of(const IntOrVar& v, const MatchScratch::Impl& s) noexcept {
  if (v.var < 0) return std::clamp(v.value, -kValueCap, kValueCap);
  return sat(s.vars[static_cast<uint8_t>(v.var)]);
}

uint64_t uvalue_of(const IntOrVar& v, const MatchScratch::Impl& s) noexcept {
  if (v.var < 0) return static_cast<uint64_t>(v.value);
  return s.vars[static_cast<uint8_t>(v.var)];
}

bool equal_at(const Content& c, const uint8_t* p) noexcept;

// First occurrence of `pat` in [hay, hay+n), or null.
const uint8_t* find(const Content& c, const uint8_t* hay, std::size_t n) noexcept {
  const std::size_t m = c.pattern.size();
  const auto* pat = reinterpret_cast<const uint8_t*>(c.pattern.data());
  if (m > n) return nullptr;
  if (c.use_memchr) {
    const uint8_t a = pat[c.anchor];
    const uint8_t* p = hay + c.anchor;
    const uint8_t* const last = hay + (n - m) + c.anchor;  // the last possible anchor spot
    while (p <= last) {
      p = static_cast<const uint8_t*>(std::memchr(p, a, static_cast<std::size_t>(last - p) + 1));
      if (p == nullptr) return nullptr;
      if (equal_at(c, p - c.anchor)) return p - c.anchor;
      ++p;
    }
    return nullptr;
  }
  const uint8_t last = pat[m - 1];
  std::size_t i = 0;
  while (i + m <= n) {
    const uint8_t h = fold(hay[i + m - 1]);
    if (h == last) {
      std::size_t j = 0;
      while (j + 1 < m && fold(hay[i + j]) == pat[j]) ++j;
      if (j + 1 >= m) return hay + i;
    }
    i += c.skip[h];
  }
  return nullptr;
}

bool equal_at(const Content& c, const uint8_t* p) noexcept {
  const std::size_t m = c.pattern.size();
  const auto* pat = reinterpret_cast<const uint8_t*>(c.pattern.data());
  if (!c.nocase) return std::memcmp(p, pat, m) == 0;
  for (std::size_t j = 0; j < m; ++j) {
    if (fold(p[j]) != pat[j]) return false;
  }
  return true;
}

// Suricata's ByteExtractStringUint64: strtoull over `nbytes` characters (leading space, sign
// and a 0x prefix accepted, trailing garbage ignored); returns the characters consumed, <= 0
// when no number was read or it overflowed.
int extract_string(const uint8_t* p, int nbytes, int base, uint64_t* val) noexcept {
  if (nbytes <= 0 || nbytes > 23) return -1;
  char buf[24];
  std::memcpy(buf, p, static_cast<std::size_t>(nbytes));
  buf[nbytes] = '\0';
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(buf, &end, base);
  if (errno == ERANGE || end == buf) return -1;
  *val = v;
  return static_cast<int>(end - buf);
}

uint64_t extract_binary(const uint8_t* p, int nbytes, bool little) noexcept {
  uint64_t v = 0;
  for (int k = 0; k < nbytes; ++k) {
    const uint8_t b = little ? p[nbytes - 1 - k] : p[k];
    v = (v << 8) | b;
  }
  return v;
}

// Suricata applies a bitmask, then shifts right once per trailing zero of the mask.
uint64_t apply_bitmask(uint64_t v, uint64_t mask) noexcept {
  if (mask == 0) return v;
  v &= mask;
  const int shift = __builtin_ctzll(mask);
  if (v != 0 && shift > 0) v >>= shift;
  return v;
}

// byte_test and byte_extract read their field alike: o.nbytes at `off` (from the cursor when
// relative), as a string in o.base or a binary integer, then masked. Returns the bytes read,
// with where (`pos`) and the value (`v`); 0 when the field is outside the buffer or no number.
// (byte_jump reads differently: a variable byte count, and 0 bytes is a valid read.)
template <class Opt>
int read_field(const Opt& o, int64_t off, const MatchScratch::Impl& s, int64_t& pos,
               uint64_t& v) noexcept {
  const int64_t len = s.len;
  if (len == 0) return 0;
  int64_t rem;
  if (o.relative) {
    pos = int64_t{s.cursor} + off;
    rem = len - pos;
    if (rem <= 0) return 0;
  } else {
    pos = off;
    rem = len - off;
  }
  const int nbytes = o.nbytes;
  if (pos < 0 || nbytes > rem) return 0;
  int ext = 0;
  if (o.string) {
    ext = extract_string(s.buf + pos, nbytes, o.base, &v);
    if (ext <= 0) return 0;
  } else {
    if (nbytes < 1 || nbytes > 8) return 0;
    v = extract_binary(s.buf + pos, nbytes, o.little_endian);
    ext = nbytes;
  }
  v = apply_bitmask(v, o.bitmask);
  return ext;
}

bool byte_test(const ByteTestOpt& o, MatchScratch::Impl& s) noexcept {
  const int64_t off = value_of(o.offset, s);
  const uint64_t value = uvalue_of(o.value, s);
  int64_t pos = 0;
  uint64_t v = 0;
  if (read_field(o, off, s, pos, v) == 0) return false;
  bool m = false;
  bool neg = o.op_negated;
  switch (o.op) {
    case '=': m = v == value; break;
    case '!': m = v == value; neg = !neg; break;
    case '<': m = v < value; break;
    case '>': m = v > value; break;
    case 'l': m = v <= value; break;
    case 'g': m = v >= value; break;
    case '&': m = (v & value) != 0; break;
    case '^': m = (v ^ value) != 0; break;
    default: return false;
  }
  return m != neg;
}

bool byte_jump(const ByteJumpOpt& o, MatchScratch::Impl& s) noexcept {
  const int64_t len = s.len;
  if (len == 0) return false;
  int64_t nbytes = o.nbytes;
  if (o.nbytes_var >= 0) {
    nbytes = sat(s.vars[static_cast<uint8_t>(o.nbytes_var)]);
    if (nbytes > (o.string ? 23 : 8)) return false;
  }
  const int64_t off = value_of(o.offset, s);
  int64_t pos = off;
  int64_t rem = len - off;
  if (o.relative) {
    pos += s.cursor;
    rem -= s.cursor;
    if (nbytes != 0 && rem <= 0) return false;
  }
  if (pos < 0 || nbytes > rem) return false;
  uint64_t v = 0;
  int ext = 0;
  if (o.string) {
    ext = extract_string(s.buf + pos, static_cast<int>(nbytes), o.base, &v);
    if (ext <= 0) return false;
  } else {
    if (nbytes > 8) return false;
    v = extract_binary(s.buf + pos, static_cast<int>(nbytes), o.little_endian);
    ext = static_cast<int>(nbytes);
  }
  v = apply_bitmask(v, o.bitmask);
  v *= static_cast<uint64_t>(o.multiplier);
  if (o.align && v % 4 != 0) v += 4 - v % 4;
  v += static_cast<uint64_t>(o.post_offset);
  // Suricata does the jump as pointer arithmetic on the signed value.
  const __int128 jump = static_cast<int64_t>(v);
  __int128 target;
  if (o.from_beginning) {
    target = jump;
  } else if (o.from_end) {
    target = len + jump;
  } else {
    target = pos + jump + ext;
  }
  if (target < 0) {
    target = 0;  // before the buffer: Suricata resets to the buffer start
  } else if (target > len) {
    return false;
  }
  s.cursor = static_cast<uint32_t>(target);
  return true;
}

bool byte_extract(const ByteExtractOpt& o, MatchScratch::Impl& s) noexcept {
  const int64_t off = std::clamp(o.offset, -kValueCap, kValueCap);
  int64_t pos = 0;
  uint64_t v = 0;
  const int ext = read_field(o, off, s, pos, v);
  if (ext == 0) return false;
  v *= static_cast<uint64_t>(o.multiplier);
  if (o.align > 0 && v % static_cast<uint64_t>(o.align) != 0) {
    v += static_cast<uint64_t>(o.align) - v % static_cast<uint64_t>(o.align);
  }
  s.cursor = static_cast<uint32_t>(pos + ext);
  s.vars[static_cast<uint8_t>(o.var)] = v;
  return true;
}

// Suricata: absolute isdataat:N needs a byte at index N; relative needs N bytes after the
// cursor. A variable of 100,000,000 or more never has data.
bool isdataat(const IsDataAtOpt& o, const MatchScratch::Impl& s) noexcept {
  bool present;
  if (o.value.var >= 0 && s.vars[static_cast<uint8_t>(o.value.var)] >= 100'000'000) {
    present = false;
  } else {
    const int64_t at = value_of(o.value, s);
    if (o.relative) {
      present = int64_t{s.cursor} + at <= int64_t{s.len};
    } else {
      present = at < int64_t{s.len};
    }
  }
  return present != o.negated;
}

}  // namespace

int PayloadProgram::Impl::content(std::size_t i, const Content& c,
                                  MatchScratch::Impl& s) const noexcept {
  const int64_t len = s.len;
  const int64_t m = static_cast<int64_t>(c.pattern.size());
  const int64_t prev = s.cursor;  // end of the previous match: relative base
  int64_t retry_from = -1;        // one past the previous occurrence's start
  for (;;) {
    int64_t start = 0;
    int64_t end = len;
    if (c.startswith) {
      end = m;
    } else if (c.relative) {
      const int64_t dist = c.has_distance ? value_of(c.distance, s) : 0;
      start = prev + dist;
      if (start < 0) start = 0;
      if (c.has_within) end = std::min(end, prev + dist + value_of(c.within, s));
      if (c.has_depth) end = std::min(end, prev + value_of(c.depth, s));
      if (c.has_offset) start = std::max(start, value_of(c.offset, s));
    } else {
      if (c.has_offset) start = value_of(c.offset, s);
      if (c.has_depth) end = start + value_of(c.depth, s);
    }
    if (retry_from >= 0) start = retry_from;
    if (start < 0) start = 0;
    if (end > len) end = len;
    if (start > end || end <= 0) {
      // Nothing can match here; a negated content is satisfied.
      return c.negated ? next(i, s) : 0;
    }
    if (c.negated && c.endswith) {
      // Negated endswith: the pattern must not end the buffer within the window.
      const bool hit = end == len && end - start >= m && equal_at(c, s.buf + len - m);
      if (!hit) return next(i, s);
      return c.relative ? 0 : -1;
    }
    const uint8_t* found = nullptr;
    if (!(c.endswith && end < len)) {
      found = find(c, s.buf + start, static_cast<std::size_t>(end - start));
    }
    if (found == nullptr) {
      if (c.negated) return next(i, s);
      // An absolute content that is absent fails the rule whatever came before.
      return c.relative ? 0 : -1;
    }
    if (c.negated) return c.relative ? 0 : -1;
    const int64_t at = found - s.buf;
    const int64_t match_end = at + m;
    s.cursor = static_cast<uint32_t>(match_end);
    if (!c.endswith || match_end == len) {
      if (i + 1 == steps.size()) return 1;
      const int r = inspect(i + 1, s);
      if (r != 0) return r;
      // The rest failed: look for another occurrence only if the rest depends on this one.
      if (!c.retry) return -1;
    }
    retry_from = at + 1;
  }
}

int PayloadProgram::Impl::pcre(std::size_t i, const Pcre& p,
                               MatchScratch::Impl& s) const noexcept {
  const uint32_t prev_cursor = s.cursor;
  s.pcre_start = 0;
  for (;;) {
    const uint32_t base = p.relative ? s.cursor : 0;
    const PCRE2_SIZE sublen = s.len - base;
    PCRE2_SIZE start = 0;
    if (s.pcre_start != 0 && s.pcre_start > base) start = s.pcre_start - base;
    bool matched = false;
    if (start <= sublen && s.md != nullptr) {
      const int rc = pcre2_match(p.code, s.buf + base, sublen, start, 0, s.md,
                                 p.no_limit ? s.mctx_unlimited : s.mctx);
      if (rc >= 0) {
        matched = true;
        if (!p.negated) {
          const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(s.md);
          s.cursor = base + static_cast<uint32_t>(ov[1]);
          s.pcre_start = base + static_cast<uint32_t>(ov[0]) + 1;
        }
      } else if (rc != PCRE2_ERROR_NOMATCH) {
        return 0;  // a matching error (limit hit) is no match, negated or not
      }
    }
    if (matched == p.negated) return 0;
    if (!p.retry || p.negated) return next(i, s);
    const uint32_t prev_start = s.pcre_start;
    const int r = next(i, s);
    if (r != 0) return r;
    s.cursor = prev_cursor;
    s.pcre_start = prev_start;
  }
}

int PayloadProgram::Impl::inspect(std::size_t i, MatchScratch::Impl& s) const noexcept {
  if (++s.calls >= kInspectionRecursionLimit) {
    s.calls = kInspectionRecursionLimit;
    return -1;
  }
  const Step& step = steps[i];
  switch (step.index()) {
    case 0: return content(i, std::get<Content>(step), s);
    case 1: return pcre(i, std::get<Pcre>(step), s);
    case 2: return byte_test(std::get<ByteTestOpt>(step), s) ? next(i, s) : 0;
    case 3: return byte_jump(std::get<ByteJumpOpt>(step), s) ? next(i, s) : 0;
    case 4: return byte_extract(std::get<ByteExtractOpt>(step), s) ? next(i, s) : 0;
    case 5: return isdataat(std::get<IsDataAtOpt>(step), s) ? next(i, s) : 0;
  }
  return 0;
}

PayloadProgram::PayloadProgram() : impl_(std::make_unique<Impl>()) {}
PayloadProgram::~PayloadProgram() = default;

namespace {

bool is_relative(const PayloadOpt& o) {
  return std::visit(
      [](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ContentOpt>) {
          return !x.startswith && (x.distance.has_value() || x.within.has_value());
        } else {
          return x.relative;
        }
      },
      o);
}

bool check_var(const IntOrVar& v, const Rule& r) { return v.var < 0 || v.var < r.nvars; }
bool check_var(const std::optional<IntOrVar>& v, const Rule& r) {
  return !v || check_var(*v, r);
}

}  // namespace

std::unique_ptr<PayloadProgram> PayloadProgram::build(const Rule& r, std::string* error) {
  auto fail = [&](const std::string& msg) -> std::unique_ptr<PayloadProgram> {
    if (error) *error = msg;
    return nullptr;
  };
  std::unique_ptr<PayloadProgram> prog(new PayloadProgram());
  Impl& impl = *prog->impl_;
  impl.bsize = r.bsize;
  impl.steps.reserve(r.payload.size());
  for (const PayloadOpt& opt : r.payload) {
    if (const auto* co = std::get_if<ContentOpt>(&opt)) {
      if (co->pattern.empty()) return fail("content: empty pattern");
      if (!check_var(co->offset, r) || !check_var(co->depth, r) ||
          !check_var(co->distance, r) || !check_var(co->within, r)) {
        return fail("content: unknown byte_extract variable");
      }
      Content c;
      c.pattern = co->pattern;
      c.nocase = co->nocase;
      if (c.nocase) {
        for (char& ch : c.pattern) ch = static_cast<char>(fold(static_cast<uint8_t>(ch)));
      }
      int best = 1000;
      for (std::size_t j = 0; j < c.pattern.size(); ++j) {
        const auto b = static_cast<uint8_t>(c.pattern[j]);
        if (c.nocase && b >= 'a' && b <= 'z') continue;
        if (byte_rank(b) < best) {
          best = byte_rank(b);
          c.anchor = static_cast<uint32_t>(j);
        }
      }
      c.use_memchr = best < 1000;
      if (!c.use_memchr) {
        const std::size_t m = c.pattern.size();
        c.skip.assign(256, static_cast<uint8_t>(std::min<std::size_t>(m, 255)));
        for (std::size_t j = 0; j + 1 < m; ++j) {
          c.skip[static_cast<uint8_t>(c.pattern[j])] =
              static_cast<uint8_t>(std::min<std::size_t>(m - 1 - j, 255));
        }
      }
      c.negated = co->negated;
      c.startswith = co->startswith;
      c.endswith = co->endswith;
      c.has_offset = co->offset.has_value();
      c.has_depth = co->depth.has_value();
      c.has_distance = co->distance.has_value();
      c.has_within = co->within.has_value();
      if (c.has_offset) c.offset = *co->offset;
      if (c.has_depth) c.depth = *co->depth;
      if (c.has_distance) c.distance = *co->distance;
      if (c.has_within) c.within = *co->within;
      c.relative = !c.startswith && (c.has_distance || c.has_within);
      impl.steps.emplace_back(std::move(c));
    } else if (const auto* po = std::get_if<PcreOpt>(&opt)) {
      int err = 0;
      PCRE2_SIZE erroff = 0;
      pcre2_code* code =
          pcre2_compile(reinterpret_cast<PCRE2_SPTR>(po->regex.data()), po->regex.size(),
                        po->pcre2_options, &err, &erroff, nullptr);
      if (code == nullptr) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof(msg));
        return fail("pcre: " + std::string(reinterpret_cast<const char*>(msg)) +
                    " at offset " + std::to_string(erroff));
      }
      pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // interpreter if JIT is unavailable
      Pcre p;
      p.code = code;
      p.relative = po->relative;
      p.negated = po->negated;
      p.no_limit = po->flags.find('O') != std::string::npos;
      impl.steps.emplace_back(p);
    } else if (const auto* bt = std::get_if<ByteTestOpt>(&opt)) {
      if (!check_var(bt->value, r) || !check_var(bt->offset, r)) {
        return fail("byte_test: unknown byte_extract variable");
      }
      if (bt->string ? (bt->nbytes < 1 || bt->nbytes > 23) : (bt->nbytes < 1 || bt->nbytes > 8)) {
        return fail("byte_test: invalid number of bytes " + std::to_string(bt->nbytes));
      }
      impl.steps.emplace_back(*bt);
    } else if (const auto* bj = std::get_if<ByteJumpOpt>(&opt)) {
      if (!check_var(bj->offset, r) || (bj->nbytes_var >= 0 && bj->nbytes_var >= r.nvars)) {
        return fail("byte_jump: unknown byte_extract variable");
      }
      if (bj->nbytes_var < 0 && bj->nbytes > (bj->string ? 23 : 8)) {
        return fail("byte_jump: invalid number of bytes " + std::to_string(bj->nbytes));
      }
      impl.steps.emplace_back(*bj);
    } else if (const auto* be = std::get_if<ByteExtractOpt>(&opt)) {
      if (be->var < 0 || be->var >= r.nvars) {
        return fail("byte_extract: variable index out of range");
      }
      if (be->string ? (be->nbytes < 1 || be->nbytes > 23) : (be->nbytes < 1 || be->nbytes > 8)) {
        return fail("byte_extract: invalid number of bytes " + std::to_string(be->nbytes));
      }
      impl.steps.emplace_back(*be);
    } else if (const auto* id = std::get_if<IsDataAtOpt>(&opt)) {
      if (!check_var(id->value, r)) return fail("isdataat: unknown byte_extract variable");
      impl.steps.emplace_back(*id);
    }
  }

  // Retry flags, as Suricata's parser sets them: a relative content or pcre marks the last
  // content/pcre before it; a relative byte_* or isdataat marks the option right before it
  // if that is a content or pcre. A non-negated content with distance but no within marks a
  // previous content only with DISTANCE_NEXT, which does not allow retries (a later
  // occurrence could only shrink its window).
  const std::size_t n = r.payload.size();
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_relative(r.payload[j])) continue;
    const bool content_or_pcre = std::holds_alternative<ContentOpt>(r.payload[j]) ||
                                 std::holds_alternative<PcreOpt>(r.payload[j]);
    std::size_t anchor = n;
    if (content_or_pcre) {
      for (std::size_t k = j; k-- > 0;) {
        if (std::holds_alternative<ContentOpt>(r.payload[k]) ||
            std::holds_alternative<PcreOpt>(r.payload[k])) {
          anchor = k;
          break;
        }
      }
    } else if (j > 0) {
      anchor = j - 1;
    }
    if (anchor == n) continue;
    if (auto* c = std::get_if<Content>(&impl.steps[anchor])) {
      const auto* cj = std::get_if<ContentOpt>(&r.payload[j]);
      const bool distance_only = cj != nullptr && !cj->negated && !cj->within.has_value();
      if (!distance_only) c->retry = true;
    } else if (auto* p = std::get_if<Pcre>(&impl.steps[anchor])) {
      p->retry = true;
    }
  }
  return prog;
}

bool PayloadProgram::match(std::span<const uint8_t> buf, MatchScratch& scratch) const noexcept {
  MatchScratch::Impl& s = scratch.impl();
  s.calls = 0;
  if (impl_->bsize && !impl_->bsize->test(buf.size())) return false;
  if (impl_->steps.empty()) return true;
  if (buf.empty()) return false;
  s.buf = buf.data();
  s.len = static_cast<uint32_t>(buf.size());
  s.cursor = 0;
  s.pcre_start = 0;
  return impl_->inspect(0, s) == 1;
}

// ---- Header options.

namespace {

// Suricata's flags keyword (FlagsMatch): '0' (no flags) matches only a packet without flags
// (or, with '!', any packet with some); mask names bits to ignore.
bool tcp_flags_match(const TcpFlagsOpt& o, uint8_t pflags) noexcept {
  if (o.flags == 0 && pflags != 0) return o.modifier == '!';
  const uint8_t f = pflags & static_cast<uint8_t>(~o.mask);
  switch (o.modifier) {
    case '*': return (f & o.flags) != 0;
    case '+': return (f & o.flags) == o.flags;
    case '!': return (f & o.flags) != o.flags;
    default: return f == o.flags;
  }
}

// Suricata's FragBitsMatch: '+' wants all of these and at least one other.
bool fragbits_match(const FragbitsOpt& o, uint8_t pbits) noexcept {
  switch (o.modifier) {
    case '*': return (pbits & o.bits) != 0;
    case '+': return (pbits & o.bits) == o.bits && pbits != o.bits;
    case '!': return (pbits & o.bits) != o.bits;
    default: return pbits == o.bits;
  }
}

bool read_fragbits(const PacketView& p, uint8_t* bits) noexcept {
  if (p.ip_version != 4 || p.frame == nullptr || uint64_t{p.l3_offset} + 8 > p.caplen) {
    return false;
  }
  const uint8_t b = p.frame[p.l3_offset + 6];
  uint8_t v = 0;
  if (b & 0x20) v |= 1;  // MF
  if (b & 0x40) v |= 2;  // DF
  if (b & 0x80) v |= 4;  // reserved
  *bits = v;
  return true;
}

// ICMP id and sequence: echo, timestamp, information and address-mask messages on ICMPv4,
// echo on ICMPv6, as Suricata reads them (the header's bytes 4-5 and 6-7).
bool read_icmp_id_seq(const PacketView& p, uint16_t* id, uint16_t* seq) noexcept {
  if (p.frame == nullptr || uint64_t{p.l4_offset} + 8 > p.caplen) return false;
  if (p.l4 == L4::kIcmp) {
    switch (p.icmp_type) {
      case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18: break;
      default: return false;
    }
  } else if (p.l4 == L4::kIcmpv6) {
    if (p.icmp_type != 128 && p.icmp_type != 129) return false;
  } else {
    return false;
  }
  const uint8_t* h = p.frame + p.l4_offset;
  *id = static_cast<uint16_t>(h[4] << 8 | h[5]);
  *seq = static_cast<uint16_t>(h[6] << 8 | h[7]);
  return true;
}

}  // namespace

bool match_header(const Rule& r, const PacketView& p) noexcept {
  if (r.dsize && !r.dsize->test(p.payload_len)) return false;
  const bool ip = p.ip_version == 4 || p.ip_version == 6;
  if ((r.ttl || r.ip_proto) && !ip) return false;
  if (r.ttl && !r.ttl->test(p.ttl)) return false;
  if (r.ip_proto && !r.ip_proto->test(p.ip_proto)) return false;
  if (r.tos && (p.ip_version != 4 || !r.tos->test(p.tos))) return false;
  if (r.ip_id && (p.ip_version != 4 || !r.ip_id->test(p.ip_id))) return false;
  if (r.fragbits) {
    uint8_t bits = 0;
    if (!read_fragbits(p, &bits) || !fragbits_match(*r.fragbits, bits)) return false;
  }
  if (r.flags || r.seq || r.ack || r.window) {
    if (p.l4 != L4::kTcp) return false;
    if (r.flags && !tcp_flags_match(*r.flags, p.tcp.flags)) return false;
    if (r.seq && !r.seq->test(p.tcp.seq)) return false;
    if (r.ack && !r.ack->test(p.tcp.ack)) return false;
    if (r.window && !r.window->test(p.tcp.window)) return false;
  }
  if (r.itype || r.icode || r.icmp_id || r.icmp_seq) {
    if (p.l4 != L4::kIcmp && p.l4 != L4::kIcmpv6) return false;
    if (r.itype && !r.itype->test(p.icmp_type)) return false;
    if (r.icode && !r.icode->test(p.icmp_code)) return false;
    if (r.icmp_id || r.icmp_seq) {
      uint16_t id = 0, seq = 0;
      if (!read_icmp_id_seq(p, &id, &seq)) return false;
      if (r.icmp_id && !r.icmp_id->test(id)) return false;
      if (r.icmp_seq && !r.icmp_seq->test(seq)) return false;
    }
  }
  return true;
}

}  // namespace ts::sig
