// libFuzzer target for the rule parser: any bytes as a rules file. Checks: no crash or
// sanitizer report; every diagnostic names the source and has a message and a 1-based
// line:column inside the input; every loaded rule has a sid and sorted, disjoint address and
// port ranges; the summary line counts what is there.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "signatures/parser.h"

namespace {

void check_diag(const ts::sig::Diagnostic& d, int lines) {
  if (d.file != "fuzz.rules" || d.message.empty()) std::abort();
  if (d.line < 1 || d.line > lines || d.column < 1) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  int lines = 1;
  for (char c : text) lines += c == '\n';
  const ts::sig::RuleSet set = ts::sig::parse_rules(text, "fuzz.rules", {});
  for (const auto& d : set.errors) check_diag(d, lines);
  for (const auto& d : set.skipped) {
    check_diag(d, lines);
    if (d.keyword.empty() || d.sid == 0) std::abort();
  }
  for (const auto& r : set.rules) {
    if (r.sid == 0 || r.line < 1 || r.line > lines) std::abort();
    for (const auto* a : {&r.src, &r.dst}) {
      for (std::size_t i = 0; i < a->ranges.size(); ++i) {
        const auto& x = a->ranges[i];
        if (x.lo.family != x.hi.family || x.hi.b < x.lo.b) std::abort();
        if (i) {  // sorted by (family, lo), disjoint
          const auto& prev = a->ranges[i - 1].hi;
          if (prev.family > x.lo.family) std::abort();
          if (prev.family == x.lo.family && !(prev.b < x.lo.b)) std::abort();
        }
      }
    }
    for (const auto* p : {&r.sport, &r.dport}) {
      for (std::size_t i = 0; i < p->ranges.size(); ++i) {
        if (p->ranges[i].hi < p->ranges[i].lo) std::abort();
        if (i && p->ranges[i - 1].hi >= p->ranges[i].lo) std::abort();
      }
    }
  }
  const std::string want = "rules: " + std::to_string(set.rules.size()) + " loaded, " +
                           std::to_string(set.skipped.size()) + " skipped, " +
                           std::to_string(set.errors.size()) + " errors";
  if (ts::sig::summary_line(set) != want) std::abort();
  return 0;
}
