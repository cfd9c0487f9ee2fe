// IP-only index: rules that look at nothing but addresses and ports (the ET IP-list rules:
// compromised, ciarmy, botcc, 3coresec, tor ...) found with one interval lookup per address
// instead of one evaluation per rule. Built once per compiled rule set, then read-only and
// shared by every worker; lookups never allocate.
//
// Each rule is indexed under the side (source or destination) whose address set is the
// smaller, so `[1.2.3.4,...] any -> $HOME_NET any` is found by the packet's source and the
// wide $HOME_NET side is checked afterwards by the caller. `<>` rules are indexed on both
// sides. Rules with `any` on both sides are returned for every lookup. A lookup names
// candidates only: the caller checks the full header (both sides, ports, protocol).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sensor/types.h"
#include "signatures/rule.h"

namespace ts::sig {

class IpOnlyIndex {
 public:
  // Indexes rules[i] for every i in `ids`.
  void build(const std::vector<Rule>& rules, const std::vector<uint32_t>& ids);

  // Calls f(rule index) for every candidate for a packet src -> dst. A rule can be named
  // more than once (bidirectional rules); the caller dedupes.
  template <class F>
  void lookup(const IpAddr& src, const IpAddr& dst, F&& f) const {
    for (uint32_t id : always_) f(id);
    for (uint32_t id : src_.find(src)) f(id);
    for (uint32_t id : dst_.find(dst)) f(id);
  }

  std::size_t rules() const noexcept { return nrules_; }
  std::size_t intervals() const noexcept { return src_.starts.size() + dst_.starts.size(); }
  std::size_t memory_bytes() const noexcept;

 private:
  // Disjoint elementary intervals [starts[i], starts[i+1]) of one address side, each with the
  // rules whose set covers it: ids[offs[i] .. offs[i+1]). Sorted by (family, address).
  struct Side {
    std::vector<IpAddr> starts;
    std::vector<uint32_t> offs;
    std::vector<uint32_t> ids;
    std::span<const uint32_t> find(const IpAddr& a) const noexcept;
  };
  struct Entry {
    AddrRange r;
    uint32_t id;
  };
  static void build_side(std::vector<Entry>& entries, Side* side);

  Side src_, dst_;
  std::vector<uint32_t> always_;
  std::size_t nrules_ = 0;
};

}  // namespace ts::sig
