// JsonBuilder: appends one compact JSON value (an EVE line) to a std::string, no dependency.
// Runs on the output/main thread, off the hot path: it allocates as the string grows; reuse
// one builder (clear()) to keep its capacity.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sensor/types.h"

namespace ts::exporters {

// Appends `s` as a JSON string literal (with quotes) per RFC 8259: '"' and '\\' escaped;
// \b \f \n \r \t in their short form, other control characters (< 0x20) as \u00XX. Valid
// UTF-8 sequences are copied as they are. A byte that is not part of a valid UTF-8 sequence
// (payload snippets, FIX fields in Latin-1) is written as \u00XX of the byte value, i.e. as
// the Latin-1 code point: the output is always valid UTF-8 and no byte is lost silently.
void append_json_string(std::string& out, std::string_view s);

// Builds a JSON text left to right. Commas are inserted automatically; the caller is
// responsible for balancing begin/end (checked by assert in debug builds).
class JsonBuilder {
 public:
  JsonBuilder& begin_object() { return open('{'); }
  JsonBuilder& begin_object(std::string_view key) { return key_(key).begin_object(); }
  JsonBuilder& end_object() { return close('}'); }
  JsonBuilder& begin_array() { return open('['); }
  JsonBuilder& begin_array(std::string_view key) { return key_(key).begin_array(); }
  JsonBuilder& end_array() { return close(']'); }

  // Writes "key": ; the next value call supplies its value.
  JsonBuilder& key(std::string_view k) { return key_(k); }

  JsonBuilder& value(std::string_view s);
  JsonBuilder& value(const char* s) { return value(std::string_view(s)); }
  JsonBuilder& value(bool b);
  JsonBuilder& value(double d);  // shortest round-trip form; NaN and infinities as null
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonBuilder& value(T v) {
    if constexpr (std::is_signed_v<T>) return int_(static_cast<int64_t>(v));
    else return uint_(static_cast<uint64_t>(v));
  }
  JsonBuilder& null();
  // Appends already-formatted JSON as one value (e.g. a nested object built elsewhere).
  JsonBuilder& raw(std::string_view json);

  // key + value in one call.
  template <class T>
  JsonBuilder& field(std::string_view k, const T& v) {
    key_(k);
    return value(v);
  }

  void reserve(std::size_t n) { out_.reserve(n); }
  const std::string& str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }
  void clear() noexcept {
    out_.clear();
    need_comma_ = false;
    depth_ = 0;
  }
  int depth() const noexcept { return depth_; }

 private:
  JsonBuilder& open(char bracket);   // begin an object or array
  JsonBuilder& close(char bracket);  // end the innermost one
  JsonBuilder& key_(std::string_view k);
  template <class T>
  JsonBuilder& integer_(T v);  // decimal via to_chars; defined in json.cc
  JsonBuilder& int_(int64_t v);
  JsonBuilder& uint_(uint64_t v);
  void sep() {
    if (need_comma_) out_ += ',';
  }

  std::string out_;
  bool need_comma_ = false;  // a value was just completed at this level
  int depth_ = 0;
};

// Suricata's EVE timestamp in the process's local time zone:
// "2026-11-24T09:30:00.123456+0800" (microseconds; offset from tm_gmtoff).
// buf must hold kTimestampBufSize bytes; returns the length written (NUL-terminated).
inline constexpr std::size_t kTimestampBufSize = 48;
int format_timestamp(Nanos ts, char* buf);

}  // namespace ts::exporters
