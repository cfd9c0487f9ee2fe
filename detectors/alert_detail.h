// AlertDetail: writes the JSON object a built-in detector attaches to its alert
// (sig::Alert::detail) into the alert's fixed buffer: no allocation, always valid JSON.
// A member that does not fit is left out whole; text is escaped (control bytes as \u00XX,
// SOH shown as '|', bytes >= 0x80 as \u00XX so the line stays valid UTF-8).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "signatures/alert.h"

namespace ts::detectors {

class AlertDetail {
 public:
  AlertDetail(sig::Alert& a, const char* app) noexcept : buf_(a.detail), cap_(sizeof a.detail) {
    a.app = app;
    buf_[0] = '{';
    buf_[1] = '}';
    buf_[2] = '\0';
    len_ = 1;  // position of the closing brace
  }

  AlertDetail& add(std::string_view key, std::string_view text) noexcept {
    char tmp[sizeof(sig::Alert::detail)];
    std::size_t n = 0;
    auto put = [&](char c) {
      if (n < sizeof tmp) tmp[n++] = c;
    };
    put('"');
    for (char c : key) put(c);
    put('"');
    put(':');
    put('"');
    for (char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == 0x01) {
        put('|');
      } else if (c == '"' || c == '\\') {
        put('\\');
        put(static_cast<char>(c));
      } else if (c < 0x20 || c >= 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        put('\\'); put('u'); put('0'); put('0');
        put(kHex[c >> 4]);
        put(kHex[c & 15]);
      } else {
        put(static_cast<char>(c));
      }
    }
    put('"');
    if (n >= sizeof tmp) return *this;
    return member(tmp, n);
  }

  AlertDetail& add(std::string_view key, int64_t v) noexcept {
    char tmp[96];
    std::size_t n = 0;
    if (key.size() > 64) return *this;
    tmp[n++] = '"';
    std::memcpy(tmp + n, key.data(), key.size());
    n += key.size();
    tmp[n++] = '"';
    tmp[n++] = ':';
    auto r = std::to_chars(tmp + n, tmp + sizeof tmp, v);
    n = static_cast<std::size_t>(r.ptr - tmp);
    return member(tmp, n);
  }

  // Fixed-point with `decimals` digits after the point (ratios, seconds).
  AlertDetail& add_fixed(std::string_view key, double v, int decimals) noexcept {
    char tmp[96];
    std::size_t n = 0;
    if (key.size() > 48) return *this;
    tmp[n++] = '"';
    std::memcpy(tmp + n, key.data(), key.size());
    n += key.size();
    tmp[n++] = '"';
    tmp[n++] = ':';
    auto r = std::to_chars(tmp + n, tmp + sizeof tmp, v, std::chars_format::fixed, decimals);
    if (r.ec != std::errc()) return *this;
    n = static_cast<std::size_t>(r.ptr - tmp);
    return member(tmp, n);
  }

 private:
  AlertDetail& member(const char* m, std::size_t n) noexcept {
    const bool comma = len_ > 1;
    // Room for ",member}\0".
    if (len_ + (comma ? 1 : 0) + n + 2 > cap_) return *this;
    if (comma) buf_[len_++] = ',';
    std::memcpy(buf_ + len_, m, n);
    len_ += n;
    buf_[len_] = '}';
    buf_[len_ + 1] = '\0';
    return *this;
  }

  char* buf_;
  std::size_t cap_;
  std::size_t len_;
};

}  // namespace ts::detectors
