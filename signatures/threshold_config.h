// threshold.config (Suricata's syntax) and the "name value, name value" parameter lists it
// shares with the threshold and detection_filter rule keywords:
//
//   threshold    gen_id G, sig_id S, type limit|threshold|both, track T, count C, seconds N
//   event_filter (the same parameters)
//   suppress     gen_id G, sig_id S[, track by_src|by_dst|by_either, ip <addr|list|$VAR>]
//   rate_filter  gen_id G, sig_id S, track T, count C, seconds N, new_action A, timeout N
//
// gen_id 0 / sig_id 0 mean every generator / every signature. Main thread, load time only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "signatures/rule.h"
#include "signatures/vars.h"

namespace ts::sig {

// Parses a threshold.config text: entries go to `out`, problems (file:line:col) to `errors`.
void parse_threshold_config(std::string_view text, const std::string& file, VarTable& vars,
                            std::vector<ThresholdConfigEntry>& out,
                            std::vector<Diagnostic>& errors);

// One "name value" of a comma-separated parameter list; offsets are into the list's text.
struct ThresholdParam {
  std::string_view name, value;
  std::size_t name_offset = 0, value_offset = 0;
};

// Splits "type limit, track by_src, ip [1.2.3.4,5.6.7.8]" at commas outside brackets. False
// (with *err) on an empty item.
bool split_threshold_params(std::string_view text, std::vector<ThresholdParam>& out,
                            ExprError& err);

// The threshold / detection_filter rule keywords' value. `detection_filter` selects that
// keyword's parameters (track, count, seconds, unique_on; type is kDetectionFilter).
bool parse_threshold_keyword(std::string_view text, bool detection_filter, ThresholdOpt& out,
                             ExprError& err);

}  // namespace ts::sig
