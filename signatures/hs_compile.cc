#include "signatures/hs_compile.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <variant>

namespace ts::sig {
namespace {

// Largest bounded gap between two contents of an exact chain. Longer gaps make streaming
// state large (Hyperscan tracks every start inside the window); such rules use the literal.
constexpr int64_t kMaxExactGap = 1024;
// Largest anchored prefix (offset + depth of the first content of a chain).
constexpr int64_t kMaxExactPrefix = 65535;

void append_byte(std::string& out, uint8_t b) {
  if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) {
    out.push_back(static_cast<char>(b));
    return;
  }
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02x", b);
  out += buf;
}

void append_literal(std::string& out, const std::string& s) {
  for (char c : s) append_byte(out, static_cast<uint8_t>(c));
}

// Any byte, lo to hi times (hi -1: unbounded); nothing for {0,0}.
void append_repeat(std::string& out, int64_t lo, int64_t hi) {
  if (hi == 0) return;
  if (hi < 0) {
    out += lo == 0 ? ".*" : ".{" + std::to_string(lo) + ",}";
  } else if (lo == hi) {
    out += ".{" + std::to_string(lo) + "}";
  } else {
    out += ".{" + std::to_string(lo) + "," + std::to_string(hi) + "}";
  }
}

bool is_literal(const std::optional<IntOrVar>& v) { return !v || v->var < 0; }

// First content's absolute window, Suricata semantics: the match starts at >= offset and
// ends at <= offset + depth. startswith is depth = length, offset 0.
struct Window {
  int64_t offset = 0;
  int64_t depth = -1;  // -1: none
};
Window window_of(const ContentOpt& c) {
  Window w;
  if (c.offset) w.offset = c.offset->value;
  if (c.depth) w.depth = c.depth->value;
  if (c.startswith) {
    w.offset = 0;
    w.depth = static_cast<int64_t>(c.pattern.size());
  }
  return w;
}

// One content of an exact chain and the gap allowed before it (from the previous content's
// end to this one's start).
struct ChainLink {
  const ContentOpt* c = nullptr;
  int64_t gap_lo = 0;
  int64_t gap_hi = -1;  // -1: unbounded
};

// The rule's content chain if it is expressible exactly, else false.
bool exact_chain(const Rule& r, std::vector<ChainLink>* chain, Window* first) {
  if (r.payload.empty() || r.bsize) return false;
  chain->clear();
  for (const PayloadOpt& o : r.payload) {
    const ContentOpt* c = std::get_if<ContentOpt>(&o);
    if (!c || c->negated || c->endswith || c->pattern.empty()) return false;
    if (!is_literal(c->offset) || !is_literal(c->depth) || !is_literal(c->distance) ||
        !is_literal(c->within))
      return false;
    const int64_t len = static_cast<int64_t>(c->pattern.size());
    ChainLink l;
    l.c = c;
    if (chain->empty()) {
      if (c->relative || c->distance || c->within) return false;
      *first = window_of(*c);
      if (first->offset < 0) return false;
      if (first->depth >= 0 && first->depth < len) return false;  // never matches: verify
    } else {
      // A later content must be relative to the previous one (else its order is free).
      if (!(c->distance || c->within) || c->offset || c->depth || c->startswith) return false;
      const int64_t d = c->distance ? c->distance->value : 0;
      if (d < 0) return false;  // overlapping the previous match: not a plain gap
      l.gap_lo = d;
      if (c->within) {
        // Suricata: within counts from the previous end plus distance.
        const int64_t w = c->within->value;
        if (w < len) return false;
        l.gap_hi = d + w - len;
        if (l.gap_hi > kMaxExactGap) return false;
      }
    }
    chain->push_back(l);
  }
  if (chain->size() > 1 && first->depth >= 0 &&
      first->depth - static_cast<int64_t>(chain->front().c->pattern.size()) + first->offset >
          kMaxExactPrefix)
    return false;
  if (chain->size() > 1 && first->offset > kMaxExactPrefix) return false;
  return true;
}

int pcre_prefilter_index(const Rule& r) {
  for (std::size_t i = 0; i < r.payload.size(); ++i) {
    const PcreOpt* p = std::get_if<PcreOpt>(&r.payload[i]);
    if (p && !p->negated && !p->regex.empty()) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

int fast_pattern_index(const Rule& r) {
  int best = -1;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < r.payload.size(); ++i) {
    const ContentOpt* c = std::get_if<ContentOpt>(&r.payload[i]);
    if (!c || c->negated || c->pattern.empty()) continue;
    if (c->fast_pattern || c->fast_pattern_only) return static_cast<int>(i);
    if (c->pattern.size() > best_len) {
      best = static_cast<int>(i);
      best_len = c->pattern.size();
    }
  }
  return best;
}

PatternLadder pattern_ladder(const Rule& r) {
  PatternLadder l;
  l.size = 0;
  std::vector<ChainLink> chain;
  Window w;
  if (exact_chain(r, &chain, &w)) l.rung[l.size++] = PatternKind::kExact;
  if (fast_pattern_index(r) >= 0) l.rung[l.size++] = PatternKind::kLiteral;
  else if (pcre_prefilter_index(r) >= 0) l.rung[l.size++] = PatternKind::kPcre;
  l.rung[l.size++] = PatternKind::kNone;
  return l;
}

uint64_t exact_max_end(const Rule& r) {
  std::vector<ChainLink> chain;
  Window w;
  if (!exact_chain(r, &chain, &w) || w.depth < 0) return std::numeric_limits<uint64_t>::max();
  // Later contents may extend past the first content's window; only a lone content's end is
  // bounded by depth.
  if (chain.size() != 1) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(w.offset + w.depth);
}

HsExpr make_expression(const Rule& r, PatternKind k, bool stream, uint32_t id) {
  HsExpr e;
  e.id = id;
  e.flags = HS_FLAG_DOTALL | (stream ? 0u : HS_FLAG_SINGLEMATCH);
  switch (k) {
    case PatternKind::kExact: {
      std::vector<ChainLink> chain;
      Window w;
      if (!exact_chain(r, &chain, &w)) break;
      bool all_nocase = true;
      for (const ChainLink& l : chain) all_nocase = all_nocase && l.c->nocase;
      if (all_nocase) e.flags |= HS_FLAG_CASELESS;
      const int64_t len0 = static_cast<int64_t>(chain.front().c->pattern.size());
      if (chain.size() == 1) {
        append_literal(e.pattern, chain.front().c->pattern);
        if (w.offset > 0) {
          e.has_min_offset = true;
          e.min_offset = static_cast<unsigned long long>(w.offset + len0);
        }
        if (w.depth >= 0) {
          e.has_max_offset = true;
          e.max_offset = static_cast<unsigned long long>(w.offset + w.depth);
        }
        return e;
      }
      if (w.depth >= 0) {
        e.pattern += "^";
        append_repeat(e.pattern, w.offset, w.offset + w.depth - len0);
      } else if (w.offset > 0) {
        e.pattern += "^";
        append_repeat(e.pattern, w.offset, -1);
      }
      for (std::size_t i = 0; i < chain.size(); ++i) {
        const ChainLink& l = chain[i];
        if (i > 0) append_repeat(e.pattern, l.gap_lo, l.gap_hi);
        const bool group = l.c->nocase && !all_nocase;
        if (group) e.pattern += "(?i:";
        append_literal(e.pattern, l.c->pattern);
        if (group) e.pattern += ")";
      }
      return e;
    }
    case PatternKind::kLiteral: {
      const int i = fast_pattern_index(r);
      if (i < 0) break;
      const ContentOpt& c = std::get<ContentOpt>(r.payload[static_cast<std::size_t>(i)]);
      append_literal(e.pattern, c.pattern);
      if (c.nocase) e.flags |= HS_FLAG_CASELESS;
      // An absolute content's own window holds whatever else the rule says.
      if (!c.relative && !c.distance && !c.within && is_literal(c.offset) &&
          is_literal(c.depth)) {
        const Window w = window_of(c);
        const int64_t len = static_cast<int64_t>(c.pattern.size());
        if (w.offset > 0) {
          e.has_min_offset = true;
          e.min_offset = static_cast<unsigned long long>(w.offset + len);
        }
        if (w.depth >= len && w.offset >= 0) {
          e.has_max_offset = true;
          e.max_offset = static_cast<unsigned long long>(w.offset + w.depth);
        }
      }
      return e;
    }
    case PatternKind::kPcre: {
      const int i = pcre_prefilter_index(r);
      if (i < 0) break;
      const PcreOpt& p = std::get<PcreOpt>(r.payload[static_cast<std::size_t>(i)]);
      e.flags = HS_FLAG_PREFILTER | (stream ? 0u : HS_FLAG_SINGLEMATCH);
      for (char f : p.flags) {
        if (f == 'i') e.flags |= HS_FLAG_CASELESS;
        if (f == 's') e.flags |= HS_FLAG_DOTALL;
        if (f == 'm') e.flags |= HS_FLAG_MULTILINE;
        if (f == 'x') e.pattern = "(?x)";
      }
      e.pattern += p.regex;
      return e;
    }
    case PatternKind::kNone:
      break;
  }
  e.pattern.clear();
  return e;
}

namespace {
hs_expr_ext_t ext_of(const HsExpr& e) {
  hs_expr_ext_t x{};
  if (e.has_min_offset) {
    x.flags |= HS_EXT_FLAG_MIN_OFFSET;
    x.min_offset = e.min_offset;
  }
  if (e.has_max_offset) {
    x.flags |= HS_EXT_FLAG_MAX_OFFSET;
    x.max_offset = e.max_offset;
  }
  return x;
}
}  // namespace

bool hs_expression_ok(const HsExpr& e, unsigned mode) {
  if (e.pattern.empty()) return false;
  const hs_expr_ext_t x = ext_of(e);
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  const hs_error_t rc = hs_expression_ext_info(e.pattern.c_str(), e.flags, &x, &info, &err);
  if (err) hs_free_compile_error(err);
  if (rc != HS_SUCCESS) return false;
  bool ok = true;
  // A pattern that can match empty input, or only at end of data, is no prefilter.
  if (info->min_width == 0) ok = false;
  if ((mode & HS_MODE_STREAM) && info->matches_only_at_eod) ok = false;
  std::free(info);
  return ok;
}

HsDatabase hs_compile_exprs(const std::vector<HsExpr>& exprs, unsigned mode, int* bad_expr,
                            std::string* error) {
  *bad_expr = -1;
  std::vector<const char*> pats;
  std::vector<unsigned> flags, ids;
  std::vector<hs_expr_ext_t> exts;
  std::vector<const hs_expr_ext_t*> ext_ptrs;
  pats.reserve(exprs.size());
  exts.reserve(exprs.size());
  for (const HsExpr& e : exprs) {
    pats.push_back(e.pattern.c_str());
    flags.push_back(e.flags);
    ids.push_back(e.id);
    exts.push_back(ext_of(e));
  }
  for (const hs_expr_ext_t& x : exts) ext_ptrs.push_back(&x);
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  const hs_error_t rc =
      hs_compile_ext_multi(pats.data(), flags.data(), ids.data(), ext_ptrs.data(),
                           static_cast<unsigned>(exprs.size()), mode, nullptr, &db, &err);
  if (rc != HS_SUCCESS) {
    if (err) {
      *bad_expr = err->expression;
      *error = err->message ? err->message : "unknown Hyperscan error";
      hs_free_compile_error(err);
    } else {
      *error = "Hyperscan compile failed (" + std::to_string(rc) + ")";
    }
    return nullptr;
  }
  return HsDatabase(db);
}

}  // namespace ts::sig
