#include "signatures/vars.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

namespace ts::sig {

using u128 = unsigned __int128;

const std::vector<std::pair<std::string, std::string>>& default_address_groups() {
  // suricata.yaml's defaults (the conformance README lists the same).
  static const std::vector<std::pair<std::string, std::string>> kVars = {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
  };
  return kVars;
}

const std::vector<std::pair<std::string, std::string>>& default_port_groups() {
  static const std::vector<std::pair<std::string, std::string>> kVars = {
      {"HTTP_PORTS", "80"},
      {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"},
      {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},
      {"MODBUS_PORTS", "502"},
      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"FTP_PORTS", "21"},
      {"GENEVE_PORTS", "6081"},
      {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
  };
  return kVars;
}

// ---- Interval sets: sorted, merged, inclusive [lo, hi].

template <class T>
using Intervals = std::vector<std::pair<T, T>>;

template <class T>
void normalize(Intervals<T>& v) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  std::size_t out = 0;
  for (std::size_t i = 1; i < v.size(); ++i) {
    auto& last = v[out];
    // Overlapping or adjacent (hi + 1 == lo); hi == max absorbs everything after it.
    if (last.second == std::numeric_limits<T>::max() || v[i].first <= last.second + 1) {
      last.second = std::max(last.second, v[i].second);
    } else {
      v[++out] = v[i];
    }
  }
  v.resize(out + 1);
}

template <class T>
Intervals<T> complement(const Intervals<T>& v, T max) {
  Intervals<T> out;
  T next = 0;
  bool done = false;
  for (const auto& [lo, hi] : v) {
    if (lo > next) out.push_back({next, static_cast<T>(lo - 1)});
    if (hi >= max) {
      done = true;
      break;
    }
    next = hi + 1;
  }
  if (!done) out.push_back({next, max});
  return out;
}

template <class T>
Intervals<T> intersect(const Intervals<T>& a, const Intervals<T>& b) {
  Intervals<T> out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const T lo = std::max(a[i].first, b[j].first);
    const T hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].second < b[j].second)
      ++i;
    else
      ++j;
  }
  return out;
}

template <class T>
void unite(Intervals<T>& a, const Intervals<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  normalize(a);
}

template <class T>
Intervals<T> subtract(const Intervals<T>& a, const Intervals<T>& b, T max) {
  return intersect(a, complement(b, max));
}

struct VarTable::IpSet {
  Intervals<uint32_t> v4;
  Intervals<u128> v6;
};
struct VarTable::PortRanges {
  Intervals<uint32_t> r;
};

namespace {

constexpr u128 kV6Max = ~u128{0};
constexpr uint32_t kV4Max = 0xffffffffu;
constexpr uint32_t kPortMax = 65535;

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool parse_u32(std::string_view s, uint32_t max, uint32_t& out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v > max) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

bool parse_v4(std::string_view s, uint32_t& out) {
  uint32_t v = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    uint32_t octet = 0;
    if (j == i || j - i > 3 || !parse_u32(s.substr(i, j - i), 255, octet)) return false;
    v = (v << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (j >= s.size() || s[j] != '.') return false;
      i = j + 1;
    } else {
      i = j;
    }
  }
  if (i != s.size()) return false;
  out = v;
  return true;
}

bool parse_v6(std::string_view s, u128& out) {
  if (s.size() >= INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  uint8_t b[16];
  if (inet_pton(AF_INET6, buf, b) != 1) return false;
  u128 v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  out = v;
  return true;
}

IpAddr v4_addr(uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return IpAddr::v4(b);
}

IpAddr v6_addr(u128 v) {
  uint8_t b[16];
  for (int i = 15; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return IpAddr::v6(b);
}

}  // namespace

// How addresses and ports differ; the list/negation/variable grammar is shared (ExprParser).
struct AddrTraits {
  using Set = VarTable::IpSet;
  static constexpr const char* kWhat = "address";
  static constexpr const char* kAWhat = "an address";
  static constexpr const char* kAOther = "a port";
  static auto& vars(VarTable& t) { return t.addr_vars_; }
  static auto& other_vars(VarTable& t) { return t.port_vars_; }
  static Set universe() { return Set{{{0, kV4Max}}, {{0, kV6Max}}}; }
  static bool empty(const Set& s) { return s.v4.empty() && s.v6.empty(); }
  static void unite(Set& a, const Set& b) {
    ts::sig::unite(a.v4, b.v4);
    ts::sig::unite(a.v6, b.v6);
  }
  static Set subtract(const Set& a, const Set& b) {
    return Set{ts::sig::subtract(a.v4, b.v4, kV4Max), ts::sig::subtract(a.v6, b.v6, kV6Max)};
  }
  // One address, CIDR or range; *msg on failure.
  static bool atom(std::string_view tok, Set& out, std::string& msg) {
    const auto dash = tok.find('-');
    if (dash != std::string_view::npos) {
      const std::string_view a = tok.substr(0, dash), b = tok.substr(dash + 1);
      uint32_t a4 = 0, b4 = 0;
      u128 a6 = 0, b6 = 0;
      if (parse_v4(a, a4) && parse_v4(b, b4)) {
        if (a4 > b4) {
          msg = "invalid address range '" + std::string(tok) + "'";
          return false;
        }
        out.v4.push_back({a4, b4});
        return true;
      }
      if (parse_v6(a, a6) && parse_v6(b, b6)) {
        if (a6 > b6) {
          msg = "invalid address range '" + std::string(tok) + "'";
          return false;
        }
        out.v6.push_back({a6, b6});
        return true;
      }
      msg = "invalid address range '" + std::string(tok) + "'";
      return false;
    }
    const auto slash = tok.find('/');
    const std::string_view addr = tok.substr(0, slash);
    const bool v6 = addr.find(':') != std::string_view::npos;
    uint32_t prefix = v6 ? 128 : 32;
    if (slash != std::string_view::npos) {
      const std::string_view p = tok.substr(slash + 1);
      uint32_t mask4 = 0;
      if (!v6 && p.find('.') != std::string_view::npos && parse_v4(p, mask4)) {
        // Dotted netmask: must be contiguous ones.
        const uint32_t inv = ~mask4;
        if ((inv & (inv + 1)) != 0) {
          msg = "invalid netmask in '" + std::string(tok) + "'";
          return false;
        }
        prefix = 32 - static_cast<uint32_t>(__builtin_popcount(inv));
      } else if (!parse_u32(p, v6 ? 128 : 32, prefix)) {
        msg = "invalid CIDR prefix in '" + std::string(tok) + "'";
        return false;
      }
    }
    if (v6) {
      u128 a = 0;
      if (!parse_v6(addr, a)) {
        msg = "invalid address '" + std::string(tok) + "'";
        return false;
      }
      const u128 host = prefix == 0 ? kV6Max : prefix == 128 ? 0 : (u128{1} << (128 - prefix)) - 1;
      out.v6.push_back({a & ~host, (a & ~host) | host});
    } else {
      uint32_t a = 0;
      if (!parse_v4(addr, a)) {
        msg = "invalid address '" + std::string(tok) + "'";
        return false;
      }
      const uint32_t host = prefix == 0 ? kV4Max : prefix == 32 ? 0 : (1u << (32 - prefix)) - 1;
      out.v4.push_back({a & ~host, (a & ~host) | host});
    }
    return true;
  }
};

struct PortTraits {
  using Set = VarTable::PortRanges;
  static constexpr const char* kWhat = "port";
  static constexpr const char* kAWhat = "a port";
  static constexpr const char* kAOther = "an address";
  static auto& vars(VarTable& t) { return t.port_vars_; }
  static auto& other_vars(VarTable& t) { return t.addr_vars_; }
  static Set universe() { return Set{{{0, kPortMax}}}; }
  static bool empty(const Set& s) { return s.r.empty(); }
  static void unite(Set& a, const Set& b) { ts::sig::unite(a.r, b.r); }
  static Set subtract(const Set& a, const Set& b) {
    return Set{ts::sig::subtract(a.r, b.r, kPortMax)};
  }
  static bool atom(std::string_view tok, Set& out, std::string& msg) {
    const auto colon = tok.find(':');
    uint32_t lo = 0, hi = kPortMax;
    if (colon == std::string_view::npos) {
      if (!parse_u32(tok, kPortMax, lo)) {
        msg = "invalid port '" + std::string(tok) + "'";
        return false;
      }
      hi = lo;
    } else {
      const std::string_view a = tok.substr(0, colon), b = tok.substr(colon + 1);
      if ((a.empty() && b.empty()) || (!a.empty() && !parse_u32(a, kPortMax, lo)) ||
          (!b.empty() && !parse_u32(b, kPortMax, hi)) || lo > hi) {
        msg = "invalid port range '" + std::string(tok) + "'";
        return false;
      }
    }
    out.r.push_back({lo, hi});
    return true;
  }
};

// The grammar shared by addresses and ports:
//   expr := '!' expr | '[' expr (',' expr)* ']' | '$' NAME | 'any' | atom
// A list is the union of its positive items minus the union of its negated ones (the whole
// space when it has only negated items).
template <class Traits>
class ExprParser {
 public:
  using Set = typename Traits::Set;
  ExprParser(VarTable& table, std::string_view text) : table_(table), s_(text) {}

  bool parse(Set& out, ExprError& err) {
    skip_ws();
    if (pos_ == s_.size())
      return fail(0, std::string("expected ") + Traits::kAWhat + " expression", err);
    if (!expr(out)) return fail_out(err);
    skip_ws();
    if (pos_ != s_.size()) {
      return fail(pos_, "unexpected '" + std::string(1, s_[pos_]) + "' after " + what(), err);
    }
    if (Traits::empty(out))
      return fail(0, std::string(what()) + " '" + std::string(s_) + "' matches nothing", err);
    return true;
  }

 private:
  static const char* what() { return Traits::kWhat; }

  bool fail(std::size_t off, std::string msg, ExprError& err) {
    err.offset = off;
    err.message = std::move(msg);
    return false;
  }
  bool fail_out(ExprError& err) {
    err = err_;
    return false;
  }
  bool error(std::size_t off, std::string msg) {
    err_.offset = off;
    err_.message = std::move(msg);
    return false;
  }
  void skip_ws() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }

  bool expr(Set& out) {
    skip_ws();
    if (pos_ >= s_.size()) return error(pos_, std::string("expected ") + Traits::kAWhat);
    const char c = s_[pos_];
    if (c == '!') {
      ++pos_;
      Set inner;
      if (!expr(inner)) return false;
      out = Traits::subtract(Traits::universe(), inner);
      return true;
    }
    if (c == '[') return list(out);
    if (c == '$') return variable(out);
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ']' && s_[pos_] != '[' &&
           !is_space(s_[pos_])) {
      ++pos_;
    }
    const std::string_view tok = s_.substr(start, pos_ - start);
    if (tok.empty()) return error(start, std::string("expected ") + Traits::kAWhat);
    if (tok == "any") {
      out = Traits::universe();
      return true;
    }
    std::string msg;
    if (!Traits::atom(tok, out, msg)) return error(start, std::move(msg));
    return true;
  }

  bool list(Set& out) {
    const std::size_t open = pos_;
    ++pos_;  // '['
    Set pos_items, neg_items;
    bool any_pos = false;
    bool first = true;
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size()) return error(open, "unterminated list (missing ']')");
      if (s_[pos_] == ']') {
        if (first) return error(pos_, "empty list");
        ++pos_;
        break;
      }
      if (!first) {
        if (s_[pos_] != ',') return error(pos_, "expected ',' or ']' in list");
        ++pos_;
        skip_ws();
      }
      first = false;
      bool negated = false;
      if (pos_ < s_.size() && s_[pos_] == '!') {
        negated = true;
        ++pos_;
      }
      Set item;
      if (!expr(item)) return false;
      if (negated) {
        Traits::unite(neg_items, item);
      } else {
        any_pos = true;
        Traits::unite(pos_items, item);
      }
    }
    out = Traits::subtract(any_pos ? pos_items : Traits::universe(), neg_items);
    return true;
  }

  bool variable(Set& out) {
    const std::size_t start = pos_;
    ++pos_;  // '$'
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
    }
    const std::string_view name = s_.substr(start + 1, pos_ - start - 1);
    if (name.empty()) return error(start, "expected a variable name after '$'");
    auto& vars = Traits::vars(table_);
    auto it = vars.find(name);
    if (it == vars.end()) {
      if (Traits::other_vars(table_).count(name)) {
        return error(start, "'$" + std::string(name) + "' is " + Traits::kAOther +
                                " variable, not " + Traits::kAWhat + " variable");
      }
      return error(start, "unknown variable '$" + std::string(name) + "'");
    }
    auto& var = it->second;
    using State = typename std::remove_reference_t<decltype(var)>::State;
    switch (var.state) {
      case State::kDone:
        out = *var.set;
        return true;
      case State::kFailed:
        return error(start, var.error);
      case State::kResolving: {
        std::string chain;
        bool in = false;
        for (const std::string& n : table_.resolving_) {
          if (n == name) in = true;
          if (in) chain += "$" + n + " -> ";
        }
        chain += "$" + std::string(name);
        return error(start,
                     "variable '$" + std::string(name) + "' refers to itself (" + chain + ")");
      }
      case State::kNew:
        break;
    }
    var.state = State::kResolving;
    table_.resolving_.push_back(std::string(name));
    ExprParser inner(table_, var.value);
    Set set;
    ExprError e;
    const bool ok = inner.parse(set, e);
    table_.resolving_.pop_back();
    if (!ok) {
      // A nested variable's problem is already phrased about that variable; say it as is.
      var.error =
          e.message.rfind("variable '$", 0) == 0
              ? e.message
              : "variable '$" + std::string(name) + "' (\"" + var.value + "\"): " + e.message;
      if (var.state == State::kResolving) var.state = State::kFailed;
      return error(start, var.error);
    }
    var.state = State::kDone;
    var.set = std::make_shared<const Set>(set);
    out = std::move(set);
    return true;
  }

  VarTable& table_;
  std::string_view s_;
  std::size_t pos_ = 0;
  ExprError err_;
};

VarTable::VarTable(const RuleVars& vars) {
  for (const auto& [name, value] : default_address_groups()) addr_vars_[name].value = value;
  for (const auto& [name, value] : default_port_groups()) port_vars_[name].value = value;
  for (const auto& [name, value] : vars.address_groups) {
    auto& v = addr_vars_[name];
    v.value = value;
  }
  for (const auto& [name, value] : vars.port_groups) {
    auto& v = port_vars_[name];
    v.value = value;
  }
}

bool VarTable::has_address_var(std::string_view name) const {
  return addr_vars_.find(name) != addr_vars_.end();
}
bool VarTable::has_port_var(std::string_view name) const {
  return port_vars_.find(name) != port_vars_.end();
}

bool VarTable::parse_address(std::string_view text, AddressSet& out, ExprError& err) {
  std::string key(text);
  auto it = addr_cache_.find(key);
  if (it == addr_cache_.end()) {
    CachedAddr c{false, {}, {}};
    IpSet set;
    c.ok = ExprParser<AddrTraits>(*this, text).parse(set, c.err);
    if (c.ok) {
      if (set.v4.size() == 1 && set.v4[0] == std::pair<uint32_t, uint32_t>{0, kV4Max} &&
          set.v6.size() == 1 && set.v6[0] == std::pair<u128, u128>{0, kV6Max}) {
        c.set.any = true;
      } else {
        c.set.any = false;
        c.set.ranges.reserve(set.v4.size() + set.v6.size());
        for (const auto& [lo, hi] : set.v4) c.set.ranges.push_back({v4_addr(lo), v4_addr(hi)});
        for (const auto& [lo, hi] : set.v6) c.set.ranges.push_back({v6_addr(lo), v6_addr(hi)});
      }
    }
    it = addr_cache_.emplace(std::move(key), std::move(c)).first;
  }
  if (!it->second.ok) {
    err = it->second.err;
    return false;
  }
  out = it->second.set;
  return true;
}

bool VarTable::parse_ports(std::string_view text, PortSet& out, ExprError& err) {
  std::string key(text);
  auto it = port_cache_.find(key);
  if (it == port_cache_.end()) {
    CachedPorts c{false, {}, {}};
    PortRanges set;
    c.ok = ExprParser<PortTraits>(*this, text).parse(set, c.err);
    if (c.ok) {
      if (set.r.size() == 1 && set.r[0] == std::pair<uint32_t, uint32_t>{0, kPortMax}) {
        c.set.any = true;
      } else {
        c.set.any = false;
        for (const auto& [lo, hi] : set.r) {
          c.set.ranges.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)});
        }
      }
    }
    it = port_cache_.emplace(std::move(key), std::move(c)).first;
  }
  if (!it->second.ok) {
    err = it->second.err;
    return false;
  }
  out = it->second.set;
  return true;
}

void VarTable::check_all(std::vector<std::string>& out) {
  // A broken variable also breaks those that refer to it, with the same message: say it once.
  auto add = [&out](const std::string& m) {
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  };
  std::vector<std::string> names;
  for (const auto& kv : addr_vars_) names.push_back(kv.first);
  for (const std::string& name : names) {
    AddressSet s;
    ExprError e;
    if (!parse_address("$" + name, s, e)) add(e.message);
  }
  names.clear();
  for (const auto& kv : port_vars_) names.push_back(kv.first);
  for (const std::string& name : names) {
    PortSet s;
    ExprError e;
    if (!parse_ports("$" + name, s, e)) add(e.message);
  }
}

}  // namespace ts::sig
