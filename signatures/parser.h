// The Suricata/Snort rule language: rule files in, a RuleSet out (signatures/rule.h).
//
//   rule files --load_rules()--> RuleSet{rules, skipped, errors, thresholds} --> compile()
//
// Every problem is collected, never thrown: a rule with a syntax error goes to
// RuleSet::errors (file:line:col and what was expected) and is not loaded; a valid rule using a
// keyword or protocol this engine does not implement goes to RuleSet::skipped naming the
// keyword; loading always continues with the next rule. Main thread, at start-up, -T and
// SIGHUP; never on a worker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "signatures/rule.h"
#include "signatures/vars.h"

namespace ts::sig {

struct LoadOptions {
  RuleVars vars;                    // names not given get Suricata's defaults
  std::string classification_file;  // empty: the shipped signatures/classification.config
  std::string threshold_file;       // empty: none
};

// Loads the files in order into one set (flowbit ids and the gid:sid check span all of
// them). A file that cannot be read is an error Diagnostic with line 0.
RuleSet load_rules(const std::vector<std::string>& files, const LoadOptions& opts);

// The same for rules given as text (tests, -T of a snippet); source_name is the file name
// used in diagnostics.
RuleSet parse_rules(std::string_view text, const std::string& source_name, const LoadOptions& opts);

// The -T summary line: "rules: N loaded, M skipped, E errors".
std::string summary_line(const RuleSet& set);

}  // namespace ts::sig
