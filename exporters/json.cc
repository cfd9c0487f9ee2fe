#include "exporters/json.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace ts::exporters {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u00(std::string& out, unsigned char c) {
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 if it is not one.
// Rejects overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      // Copy the run of plain ASCII in one go.
      std::size_t j = i + 1;
      while (j < s.size()) {
        const unsigned char d = static_cast<unsigned char>(s[j]);
        if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          append_u00(out, c);
        } else if (const std::size_t n = utf8_sequence(s, i); n != 0) {
          out.append(s.data() + i, n);
          i += n;
          continue;
        } else {
          append_u00(out, c);  // not UTF-8: the byte as a Latin-1 code point
        }
    }
    ++i;
  }
  out += '"';
}

JsonBuilder& JsonBuilder::open(char bracket) {
  sep();
  out_ += bracket;
  need_comma_ = false;
  ++depth_;
  return *this;
}

JsonBuilder& JsonBuilder::close(char bracket) {
  assert(depth_ > 0);
  out_ += bracket;
  need_comma_ = true;
  --depth_;
  return *this;
}

JsonBuilder& JsonBuilder::key_(std::string_view k) {
  sep();
  append_json_string(out_, k);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

JsonBuilder& JsonBuilder::value(std::string_view s) {
  sep();
  append_json_string(out_, s);
  need_comma_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::value(bool b) {
  sep();
  out_ += b ? "true" : "false";
  need_comma_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::value(double d) {
  sep();
  if (!std::isfinite(d)) {
    out_ += "null";
  } else {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
    out_.append(buf, ec == std::errc() ? static_cast<std::size_t>(p - buf) : 0);
  }
  need_comma_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::null() {
  sep();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::raw(std::string_view json) {
  sep();
  out_ += json;
  need_comma_ = true;
  return *this;
}

template <class T>
JsonBuilder& JsonBuilder::integer_(T v) {
  sep();
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, static_cast<std::size_t>(p - buf));
  need_comma_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::int_(int64_t v) { return integer_(v); }
JsonBuilder& JsonBuilder::uint_(uint64_t v) { return integer_(v); }

int format_timestamp(Nanos ts, char* buf) {
  // Floor division so times before the epoch still get a non-negative fraction.
  Nanos secs = ts / kNanosPerSec;
  Nanos frac = ts % kNanosPerSec;
  if (frac < 0) {
    frac += kNanosPerSec;
    --secs;
  }
  const time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  if (!localtime_r(&t, &tm)) {
    buf[0] = '\0';
    return 0;
  }
  std::size_t n = std::strftime(buf, kTimestampBufSize, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  const char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  const int len = std::snprintf(buf + n, kTimestampBufSize - n, ".%06d%c%02ld%02ld",
                                static_cast<int>(frac / kNanosPerUs), sign, off / 3600,
                                (off % 3600) / 60);
  return static_cast<int>(n) + len;
}

}  // namespace ts::exporters
