#include "signatures/classification.h"

#include <charconv>

#include "signatures/classification_config.h"
#include "signatures/source_lines.h"
#include "signatures/text_util.h"

namespace ts::sig {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s, std::size_t& off) {
  return trim_blanks(s, off, is_space);
}

}  // namespace

std::string_view shipped_classification_config() { return kShippedClassificationConfig; }

void ClassificationTable::parse(std::string_view text, const std::string& file,
                                std::vector<Diagnostic>& errors,
                                std::vector<Diagnostic>& warnings) {
  for_each_logical_line(text, [&](const LogicalLine& ll) {
    const std::string_view s = ll.text;
    auto diag = [&](std::vector<Diagnostic>& to, std::size_t off, std::string msg) {
      to.push_back(ll.diagnostic(file, off, std::move(msg)));
    };
    constexpr std::string_view kPrefix = "config classification:";
    if (s.substr(0, kPrefix.size()) != kPrefix) {
      diag(errors, 0, "expected 'config classification: name,description,priority'");
      return;
    }
    std::size_t body = kPrefix.size();
    while (body < s.size() && is_space(s[body])) ++body;
    const std::size_t c1 = s.find(',', body);
    const std::size_t c2 = s.rfind(',');
    if (c1 == std::string_view::npos || c2 == c1) {
      diag(errors, body, "expected 'name,description,priority' after 'config classification:'");
      return;
    }
    std::size_t name_off = body, desc_off = c1 + 1, prio_off = c2 + 1;
    const std::string_view name = trim(s.substr(body, c1 - body), name_off);
    const std::string_view desc = trim(s.substr(c1 + 1, c2 - c1 - 1), desc_off);
    const std::string_view prio = trim(s.substr(c2 + 1), prio_off);
    if (name.empty()) {
      diag(errors, name_off, "expected a classtype name");
      return;
    }
    for (char c : name) {
      if (is_space(c)) {
        diag(errors, name_off, "classtype name '" + std::string(name) + "' contains a space");
        return;
      }
    }
    int p = 0;
    auto [ptr, ec] = std::from_chars(prio.data(), prio.data() + prio.size(), p);
    if (prio.empty() || ec != std::errc() || ptr != prio.data() + prio.size() || p < 1 || p > 255) {
      diag(errors, prio_off, "expected a priority from 1 to 255, got '" + std::string(prio) + "'");
      return;
    }
    Classification c{std::string(name), std::string(desc), p};
    auto [it, inserted] = entries_.try_emplace(c.name, c);
    if (!inserted) {
      diag(warnings, name_off, "classtype '" + c.name + "' defined again; the later one is used");
      it->second = std::move(c);
    }
  });
}

const Classification* ClassificationTable::find(std::string_view name) const {
  auto it = entries_.find(std::string(name));
  return it == entries_.end() ? nullptr : &it->second;
}

const ClassificationTable& ClassificationTable::shipped() {
  static const ClassificationTable kTable = [] {
    ClassificationTable t;
    std::vector<Diagnostic> errors, warnings;
    t.parse(shipped_classification_config(), "<shipped classification.config>", errors, warnings);
    return t;  // errors are impossible here: ClassificationTest.ShippedParsesCleanly
  }();
  return kTable;
}

}  // namespace ts::sig
