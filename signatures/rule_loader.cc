#include "signatures/rule_loader.h"

#include "signatures/parser.h"
#include "signatures/shipped_rules.h"

namespace ts::sig {

std::string LoadedRules::summary_line() const {
  return "rules: " + std::to_string(loaded) + " loaded, " + std::to_string(skipped.size()) +
         " skipped, " + std::to_string(errors.size()) + " errors";
}

LoadedRules load_and_compile(const config::SensorConfig& cfg) {
  LoadOptions lo;
  lo.vars.address_groups = cfg.vars.address_groups;
  lo.vars.port_groups = cfg.vars.port_groups;
  lo.classification_file = cfg.classification_file;
  lo.threshold_file = cfg.threshold_file;

  RuleSet set;
  if (!cfg.rule_files.empty()) {
    set = load_rules(cfg.rule_files, lo);
  } else {
    // The shipped rules, parsed as one text so flowbit names and duplicate sids span files.
    std::string text;
    for (const ShippedRuleFile* f = kShippedRules; f->name; ++f) {
      text += f->text;
      text += '\n';
    }
    set = parse_rules(text, "<shipped rules>", lo);
  }

  LoadedRules out;
  out.skipped = set.skipped;
  out.warnings = set.warnings;
  if (!set.errors.empty()) {
    out.errors = set.errors;
    out.loaded = set.rules.size();
    return out;
  }
  CompileOptions co;
  co.cache_dir = cfg.rule_cache_dir;
  co.ips_mode = cfg.detect.ips_mode;
  std::string fatal;
  auto compiled = CompiledRules::compile(std::move(set), co, &fatal, &out.stats);
  if (!compiled) {
    out.fatal = fatal.empty() ? "rule compilation failed" : fatal;
    return out;
  }
  // Rules the compiler refused (a PCRE2 or Hyperscan error) are errors like syntax errors.
  out.errors = compiled->ruleset().errors;
  out.loaded = compiled->size();
  if (!out.errors.empty()) return out;
  out.compiled = std::move(compiled);
  return out;
}

}  // namespace ts::sig
