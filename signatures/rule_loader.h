// Rule loading for start-up, -T and SIGHUP: reads the configured rule files (or the shipped
// rules when the configuration names none), parses them with the configured variables,
// classification and threshold files, and compiles them. Main thread only, never the hot path.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "signatures/engine.h"
#include "signatures/rule.h"

namespace ts::sig {

struct LoadedRules {
  std::shared_ptr<const CompiledRules> compiled;  // null when there were errors
  // Diagnostics only (the rules themselves moved into `compiled`).
  std::vector<Diagnostic> errors, skipped, warnings;
  std::size_t loaded = 0;
  CompileStats stats;
  std::string fatal;  // a compile failure that is not about one rule
  bool ok() const noexcept { return compiled != nullptr; }
  std::string summary_line() const;  // "rules: N loaded, M skipped, E errors"
};

LoadedRules load_and_compile(const config::SensorConfig& cfg);

}  // namespace ts::sig
