#include "signatures/source_lines.h"

#include <algorithm>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ts::sig {

std::pair<int, int> LogicalLine::locate(std::size_t offset) const noexcept {
  if (pieces.empty()) return {0, 0};
  // The last piece starting at or before offset.
  auto it = std::upper_bound(pieces.begin(), pieces.end(), offset,
                             [](std::size_t off, const Piece& p) { return off < p.offset; });
  if (it != pieces.begin()) --it;
  return {it->line, it->column + static_cast<int>(offset - it->offset)};
}

Diagnostic LogicalLine::diagnostic(const std::string& file, std::size_t offset,
                                   std::string message) const {
  const auto [line, col] = locate(offset);
  Diagnostic d;
  d.file = file;
  d.line = line;
  d.column = col;
  d.message = std::move(message);
  return d;
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

void for_each_logical_line(std::string_view text,
                           const std::function<void(const LogicalLine&)>& fn) {
  LogicalLine cur;
  bool continuing = false;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;

    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
    std::size_t lead = 0;
    if (!continuing) {
      while (lead < line.size() && is_blank(line[lead])) ++lead;
      if (lead == line.size() || line[lead] == '#') continue;  // blank or comment
      cur.text.clear();
      cur.pieces.clear();
    }
    std::string_view body = line.substr(lead);
    const bool continues = !body.empty() && body.back() == '\\';
    if (continues) body.remove_suffix(1);
    cur.pieces.push_back({cur.text.size(), line_no, static_cast<int>(lead) + 1});
    cur.text.append(body);
    continuing = continues;
    if (!continuing) fn(cur);
  }
  if (continuing) fn(cur);  // file ended inside a continuation: parse what there is
}

bool read_text_file(const std::string& path, std::string& out, std::string* error) {
  // One read into a string sized from the file (a stringstream copies it several times over).
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    if (error) *error = std::strerror(errno);
    return false;
  }
  out.clear();
  char buf[1 << 16];
  struct stat st {};
  if (::fstat(::fileno(f), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      std::fclose(f);
      if (error) *error = std::strerror(EISDIR);
      return false;
    }
    if (st.st_size > 0) {
      out.resize(static_cast<std::size_t>(st.st_size));
      out.resize(std::fread(out.data(), 1, out.size(), f));
    }
  }
  for (;;) {  // the rest (or all of it when the size is unknown, e.g. a pipe)
    const std::size_t n = std::fread(buf, 1, sizeof(buf), f);
    out.append(buf, n);
    if (n < sizeof(buf)) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    if (error) *error = std::strerror(err);
    return false;
  }
  return true;
}

}  // namespace ts::sig
