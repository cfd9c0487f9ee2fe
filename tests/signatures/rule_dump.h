// Test helper: a canonical text form of parsed rules, so tests assert every field exactly
// with readable diffs ("content \"abc\" nocase depth=3"). Only non-default fields are shown.
#pragma once

#include <string>
#include <vector>

#include "signatures/rule.h"

namespace ts::sig::testing {

std::string dump(const AddressSet& s);
std::string dump(const PortSet& s);
std::string dump(const NumCmp& c);
std::string dump(const ThresholdOpt& t);
std::string dump(const PayloadOpt& p);
// The rule's options, one line each, in a fixed order: payload options in rule order, then
// header comparisons, flow, flowbits (with names), thresholds, noalert, target, metadata.
std::vector<std::string> dump_options(const Rule& r, const RuleSet& set);

}  // namespace ts::sig::testing
