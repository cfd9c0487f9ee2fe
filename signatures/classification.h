// classification.config: classtype short names -> description (EVE alert.category) and default
// priority (alert.severity). The shipped table (signatures/classification.config) is compiled
// in, so rules load with no files installed. Main thread, load time only.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signatures/rule.h"

namespace ts::sig {

struct Classification {
  std::string name;         // short name, as in classtype:<name>
  std::string description;  // EVE alert.category
  int priority = 3;
};

class ClassificationTable {
 public:
  // Adds the entries of a classification.config text. Lines that are not
  // "config classification: name,description,priority" go to `errors` (file:line:col); a name
  // given twice keeps the later entry and adds a warning.
  void parse(std::string_view text, const std::string& file, std::vector<Diagnostic>& errors,
             std::vector<Diagnostic>& warnings);

  const Classification* find(std::string_view name) const;
  std::size_t size() const noexcept { return entries_.size(); }

  // The compiled-in signatures/classification.config.
  static const ClassificationTable& shipped();

 private:
  std::unordered_map<std::string, Classification> entries_;
};

// The text of the shipped signatures/classification.config.
std::string_view shipped_classification_config();

}  // namespace ts::sig
