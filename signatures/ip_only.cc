#include "signatures/ip_only.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace ts::sig {
namespace {

bool addr_less(const IpAddr& a, const IpAddr& b) {
  if (a.family != b.family) return a.family < b.family;
  return a.b < b.b;
}

int width(const IpAddr& a) { return a.family == 6 ? 16 : 4; }

// a + 1 within its family; false when a is the family's last address.
bool next_addr(IpAddr* a) {
  for (int i = width(*a) - 1; i >= 0; --i) {
    uint8_t& byte = a->b[static_cast<std::size_t>(i)];
    if (byte != 0xff) {
      ++byte;
      return true;
    }
    byte = 0;
  }
  return false;
}

// Approximate number of addresses in a range (a double is enough to compare set sizes).
double range_size(const AddrRange& r) {
  const int w = width(r.lo);
  double lo = 0, hi = 0;
  for (int i = 0; i < w; ++i) {
    lo = lo * 256 + r.lo.b[static_cast<std::size_t>(i)];
    hi = hi * 256 + r.hi.b[static_cast<std::size_t>(i)];
  }
  return hi - lo + 1;
}

double set_size(const AddressSet& s) {
  if (s.any) return std::numeric_limits<double>::infinity();
  double n = 0;
  for (const AddrRange& r : s.ranges) n += range_size(r);
  return n;
}

}  // namespace

std::span<const uint32_t> IpOnlyIndex::Side::find(const IpAddr& a) const noexcept {
  auto it = std::upper_bound(starts.begin(), starts.end(), a, addr_less);
  if (it == starts.begin()) return {};
  const std::size_t i = static_cast<std::size_t>(it - starts.begin()) - 1;
  if (starts[i].family != a.family) return {};
  return {ids.data() + offs[i], ids.data() + offs[i + 1]};
}

void IpOnlyIndex::build_side(std::vector<Entry>& entries, Side* side) {
  // Sweep over range boundaries: +rule at lo, -rule just after hi.
  struct Event {
    IpAddr at;
    uint32_t id;
    bool add;
  };
  std::vector<Event> ev;
  ev.reserve(entries.size() * 2);
  for (const Entry& e : entries) {
    ev.push_back({e.r.lo, e.id, true});
    IpAddr end = e.r.hi;
    if (next_addr(&end)) ev.push_back({end, e.id, false});
  }
  std::sort(ev.begin(), ev.end(), [](const Event& x, const Event& y) {
    if (addr_less(x.at, y.at)) return true;
    if (addr_less(y.at, x.at)) return false;
    return x.id < y.id;
  });
  std::map<uint32_t, uint32_t> active;  // rule -> number of its ranges covering here
  side->offs.push_back(0);
  std::size_t i = 0;
  while (i < ev.size()) {
    const IpAddr at = ev[i].at;
    for (; i < ev.size() && !addr_less(at, ev[i].at); ++i) {
      if (ev[i].add) {
        ++active[ev[i].id];
      } else if (--active[ev[i].id] == 0) {
        active.erase(ev[i].id);
      }
    }
    side->starts.push_back(at);
    for (const auto& [id, n] : active) side->ids.push_back(id);
    side->offs.push_back(static_cast<uint32_t>(side->ids.size()));
  }
}

void IpOnlyIndex::build(const std::vector<Rule>& rules, const std::vector<uint32_t>& ids) {
  std::vector<Entry> src, dst;
  nrules_ = ids.size();
  for (uint32_t id : ids) {
    const Rule& r = rules[id];
    if (r.src.any && r.dst.any) {
      always_.push_back(id);
      continue;
    }
    const bool on_src = set_size(r.src) <= set_size(r.dst);
    const AddressSet& key = on_src ? r.src : r.dst;
    // Forward: the key side is the packet's side; reversed (<>): the other one.
    for (const AddrRange& a : key.ranges) {
      (on_src ? src : dst).push_back({a, id});
      if (r.bidirectional) (on_src ? dst : src).push_back({a, id});
    }
  }
  build_side(src, &src_);
  build_side(dst, &dst_);
}

std::size_t IpOnlyIndex::memory_bytes() const noexcept {
  auto side = [](const Side& s) {
    return s.starts.capacity() * sizeof(IpAddr) + s.offs.capacity() * sizeof(uint32_t) +
           s.ids.capacity() * sizeof(uint32_t);
  };
  return side(src_) + side(dst_) + always_.capacity() * sizeof(uint32_t);
}

}  // namespace ts::sig
