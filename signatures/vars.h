// Address and port expressions of the rule language ("[10.0.0.0/8,!10.1.0.0/16]", "!$HOME_NET",
// "[80,8000:8100]") and the variables they refer to. Expressions resolve into the sorted,
// merged AddressSet/PortSet of signatures/rule.h; negation is a complement over both address
// families (Suricata's semantics: "!1.2.3.4" also matches every IPv6 address). Resolved
// variables and whole expressions are cached, so the 50k "$HOME_NET" of a large ruleset cost
// one resolution. Main thread, load time only.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "signatures/rule.h"

namespace ts::sig {

template <class Traits>
class ExprParser;
struct AddrTraits;
struct PortTraits;

// From the YAML config; names without '$'; values as Suricata writes them.
struct RuleVars {
  std::vector<std::pair<std::string, std::string>> address_groups, port_groups;
};

// Suricata's default variables (suricata.yaml), used for every name the config does not give.
const std::vector<std::pair<std::string, std::string>>& default_address_groups();
const std::vector<std::pair<std::string, std::string>>& default_port_groups();

// Why an expression did not parse: byte offset into the expression text, and the message.
struct ExprError {
  std::size_t offset = 0;
  std::string message;
};

class VarTable {
 public:
  explicit VarTable(const RuleVars& vars);

  // False with *err set if the expression is malformed, names an unknown variable, or matches
  // nothing (e.g. "!any").
  bool parse_address(std::string_view text, AddressSet& out, ExprError& err);
  bool parse_ports(std::string_view text, PortSet& out, ExprError& err);

  bool has_address_var(std::string_view name) const;
  bool has_port_var(std::string_view name) const;

  // Resolves every variable once; a problem with each bad one goes to `out` as
  // "variable '$NAME' ...". For reporting config mistakes once, up front.
  void check_all(std::vector<std::string>& out);

  // Internal: a resolved set (v4 and v6 intervals, or ports), see vars.cc.
  struct IpSet;
  struct PortRanges;

 private:
  template <class Set>
  struct Var {
    std::string value;
    enum class State : unsigned char { kNew, kResolving, kDone, kFailed } state = State::kNew;
    std::string error;  // kFailed: why
    std::shared_ptr<const Set> set;
  };
  template <class Traits>
  friend class ExprParser;
  friend struct AddrTraits;
  friend struct PortTraits;

  std::map<std::string, Var<IpSet>, std::less<>> addr_vars_;
  std::map<std::string, Var<PortRanges>, std::less<>> port_vars_;
  std::vector<std::string> resolving_;  // names being resolved, for cycle messages
  struct CachedAddr {
    bool ok;
    AddressSet set;
    ExprError err;
  };
  struct CachedPorts {
    bool ok;
    PortSet set;
    ExprError err;
  };
  std::unordered_map<std::string, CachedAddr> addr_cache_;
  std::unordered_map<std::string, CachedPorts> port_cache_;
};

}  // namespace ts::sig
