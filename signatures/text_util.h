// Small text helpers shared by the rule parser and the config-file parsers (classification,
// threshold). Main thread, load time only; nothing here is on the packet path.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace ts::sig {

// Trims the characters `is_blank` accepts from both ends; `off` moves with the left edge, so
// it stays the offset of the first kept character. The blank set is the caller's: the rule
// parser also counts '\r' and '\n', the config files only space and tab.
template <class IsBlank>
std::string_view trim_blanks(std::string_view s, std::size_t& off, IsBlank is_blank) {
  while (!s.empty() && is_blank(s.front())) {
    s.remove_prefix(1);
    ++off;
  }
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Looks `word` up in a table of exact spellings; false (and `out` untouched) if it is none of
// them. For keyword values that name one of a fixed set (threshold types, tracks, actions).
template <class T>
bool lookup_word(std::string_view word, std::initializer_list<std::pair<std::string_view, T>> table,
                 T& out) {
  for (const auto& [name, value] : table) {
    if (word == name) {
      out = value;
      return true;
    }
  }
  return false;
}

}  // namespace ts::sig
