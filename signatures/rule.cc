#include "signatures/rule.h"

#include <algorithm>

namespace ts::sig {

bool AddressSet::contains(const IpAddr& a) const noexcept {
  if (any) return true;
  // Ranges are sorted by (family, lo) and disjoint: the candidate is the last range whose lo
  // is <= a within a's family.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), a,
                             [](const IpAddr& v, const AddrRange& r) {
                               if (v.family != r.lo.family) return v.family < r.lo.family;
                               return v.b < r.lo.b;
                             });
  if (it == ranges.begin()) return false;
  --it;
  return it->lo.family == a.family && !(it->hi.b < a.b);
}

bool PortSet::contains(Port p) const noexcept {
  if (any) return true;
  auto it = std::upper_bound(ranges.begin(), ranges.end(), p,
                             [](Port v, const PortRange& r) { return v < r.lo; });
  if (it == ranges.begin()) return false;
  --it;
  return p <= it->hi;
}

bool NumCmp::test(uint64_t x) const noexcept {
  switch (op) {
    case Op::kEq: return x == a;
    case Op::kNe: return x != a;
    case Op::kLt: return x < a;
    case Op::kLe: return x <= a;
    case Op::kGt: return x > a;
    case Op::kGe: return x >= a;
    case Op::kRange: return x > a && x < b;
    case Op::kRangeIncl: return x >= a && x <= b;
  }
  return false;
}

std::string Diagnostic::str() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  if (line > 0 && column > 0) s += ":" + std::to_string(column);
  s += ": ";
  s += message;
  return s;
}

}  // namespace ts::sig
