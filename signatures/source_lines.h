// Logical lines of a rules-style text file (rules, threshold.config, classification.config):
// a trailing backslash continues a line, blank lines and '#' comments are dropped. Each logical
// line keeps a map back to physical line:column, so every diagnostic can point at the exact
// character even inside a continued rule. Main thread, load time only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signatures/rule.h"

namespace ts::sig {

struct LogicalLine {
  std::string text;  // physical pieces joined, continuation backslashes removed
  // Where each physical piece starts in `text`: its 1-based line and the 1-based column of the
  // piece's first character in that line.
  struct Piece {
    std::size_t offset = 0;
    int line = 0;
    int column = 1;
  };
  std::vector<Piece> pieces;

  int first_line() const noexcept { return pieces.empty() ? 0 : pieces.front().line; }
  // (line, column) of the character at `offset` in `text`; offsets past the end point just
  // after the last character.
  std::pair<int, int> locate(std::size_t offset) const noexcept;
  // A diagnostic in `file` pointing at the character at `offset` (as `locate`).
  Diagnostic diagnostic(const std::string& file, std::size_t offset, std::string message) const;
};

// Calls `fn` once per logical line, in order. Leading whitespace of a first physical line is
// skipped (its column is kept), trailing whitespace and '\r' are dropped. A line whose first
// non-blank character is '#' is a comment, except inside a continuation.
void for_each_logical_line(std::string_view text,
                           const std::function<void(const LogicalLine&)>& fn);

// Reads a whole file. False (and errno's message in *error) if it cannot be read.
bool read_text_file(const std::string& path, std::string& out, std::string* error);

}  // namespace ts::sig
