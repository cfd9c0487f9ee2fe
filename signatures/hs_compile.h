// Hyperscan expressions for rules, and database compilation. Main thread, off the hot path.
//
// A payload rule is offered to Hyperscan as one of these, best first (its "ladder"):
//   kExact   one expression for the whole content chain (offset/depth/distance/within/nocase,
//            no negation, no pcre/byte_*/isdataat): a Hyperscan match decides the rule;
//   kLiteral the fast-pattern content as a literal: a prefilter, PayloadProgram verifies;
//   kPcre    the rule's pcre in HS_FLAG_PREFILTER mode (rules without a usable content);
//   kNone    nothing Hyperscan can screen for: the rule is verified whenever it could apply.
// An expression Hyperscan refuses demotes the rule to the next rung, never drops it.
#pragma once

#include <hs/hs.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "signatures/rule.h"

namespace ts::sig {

enum class PatternKind : uint8_t { kExact = 0, kLiteral = 1, kPcre = 2, kNone = 3 };

// One expression as hs_compile_ext_multi takes it. `id` is the rule's index in its set.
struct HsExpr {
  std::string pattern;
  unsigned flags = 0;
  unsigned id = 0;
  unsigned long long min_offset = 0;  // used when has_min_offset
  unsigned long long max_offset = 0;  // used when has_max_offset
  bool has_min_offset = false;
  bool has_max_offset = false;
};

// Pattern kinds `r` supports, best first, always ending with kNone (at most 4 entries).
struct PatternLadder {
  PatternKind rung[4] = {PatternKind::kNone, PatternKind::kNone, PatternKind::kNone,
                         PatternKind::kNone};
  uint8_t size = 1;
};
PatternLadder pattern_ladder(const Rule& r);

// The content Suricata would pick as fast pattern: the one marked fast_pattern (if not
// negated), else the longest non-negated content (the first of equal length). -1: none.
int fast_pattern_index(const Rule& r);

// The expression of kind `k` (not kNone) for `r`. Block-mode expressions carry
// HS_FLAG_SINGLEMATCH (one report per rule per packet); stream-mode ones do not, so a rule
// can match again later in the stream.
HsExpr make_expression(const Rule& r, PatternKind k, bool stream, uint32_t id);

// For kExact: the latest stream offset at which a match may end (offset + depth of the first
// content), or UINT64_MAX when unbounded. Used to keep depth exact after a stream restarts.
uint64_t exact_max_end(const Rule& r);

struct HsDatabaseDeleter {
  void operator()(hs_database_t* d) const noexcept { hs_free_database(d); }
};
using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;

// Parse-level check (hs_expression_ext_info): false if Hyperscan will refuse `e`. Hyperscan
// may still refuse an expression this accepts; hs_compile_exprs reports which one.
bool hs_expression_ok(const HsExpr& e, unsigned mode);

// Compiles `exprs` into one database of `mode` (HS_MODE_BLOCK or HS_MODE_STREAM). On failure
// returns null, *bad_expr = index of the refused expression (-1 if no single one is to blame)
// and *error = Hyperscan's message.
HsDatabase hs_compile_exprs(const std::vector<HsExpr>& exprs, unsigned mode, int* bad_expr,
                            std::string* error);

}  // namespace ts::sig
