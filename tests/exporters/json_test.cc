// JsonBuilder, string escaping and EVE timestamps.
#include "exporters/json.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <limits>
#include <string>

namespace ts::exporters {
namespace {

struct EscapeCase {
  std::string in;
  std::string out;
};

TEST(JsonString, EscapingTable) {
  const EscapeCase cases[] = {
      {"", R"("")"},
      {"plain ascii 123", R"("plain ascii 123")"},
      {"quote\"back\\slash/", R"("quote\"back\\slash/")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("nul\0x", 5), R"("nul\u0000x")"},
      {"\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\""},             // DEL is not a control char
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},                      // valid 2-byte UTF-8 kept
      {"\xe4\xb8\xad\xe6\x96\x87", "\"\xe4\xb8\xad\xe6\x96\x87\""},  // valid 3-byte kept
      {"\xf0\x9f\x93\x88", "\"\xf0\x9f\x93\x88\""},            // valid 4-byte kept
      {"caf\xe9", R"("caf\u00e9")"},                           // Latin-1 byte escaped
      {"\xff\xfe", R"("\u00ff\u00fe")"},                       // never valid in UTF-8
      {"\xc3", R"("\u00c3")"},                                 // truncated sequence
      {"\xc0\xaf", R"("\u00c0\u00af")"},                       // overlong '/'
      {"\xed\xa0\x80", R"("\u00ed\u00a0\u0080")"},             // UTF-16 surrogate
      {"\xf4\x90\x80\x80", R"("\u00f4\u0090\u0080\u0080")"},   // above U+10FFFF
      {"\xe4\xb8x", R"("\u00e4\u00b8x")"},                     // broken 3-byte sequence
  };
  for (const EscapeCase& c : cases) {
    std::string out;
    append_json_string(out, c.in);
    EXPECT_EQ(out, c.out) << "input: " << ::testing::PrintToString(c.in);
  }
}

TEST(JsonBuilder, NestingAndCommas) {
  JsonBuilder j;
  j.begin_object()
      .field("s", "x")
      .field("i", -42)
      .field("u", std::numeric_limits<uint64_t>::max())
      .field("b", true)
      .field("f", false)
      .field("d", 0.25)
      .field("whole", 3.0)
      .field("nan", std::numeric_limits<double>::quiet_NaN());
  j.key("n").null();
  j.begin_array("a").value(1).value("two").begin_object().end_object().begin_array().end_array();
  j.end_array();
  j.begin_object("o").begin_object("p").field("k\"ey", uint8_t{7}).end_object().end_object();
  j.key("raw").raw(R"({"x":1})");
  j.end_object();
  EXPECT_EQ(j.depth(), 0);
  EXPECT_EQ(j.str(),
            R"({"s":"x","i":-42,"u":18446744073709551615,"b":true,"f":false,"d":0.25,)"
            R"("whole":3,"nan":null,"n":null,"a":[1,"two",{},[]],"o":{"p":{"k\"ey":7}},)"
            R"("raw":{"x":1}})");
  j.clear();
  j.begin_array().value(int64_t{std::numeric_limits<int64_t>::min()}).end_array();
  EXPECT_EQ(j.str(), "[-9223372036854775808]");
}

class Timestamp : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) old_tz_ = tz;
  }
  void TearDown() override {
    if (had_tz_) setenv("TZ", old_tz_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  static std::string fmt(Nanos ts) {
    char buf[kTimestampBufSize];
    const int n = format_timestamp(ts, buf);
    EXPECT_EQ(static_cast<std::size_t>(n), std::string(buf).size());
    return std::string(buf, static_cast<std::size_t>(n));
  }
  bool had_tz_ = false;
  std::string old_tz_;
};

TEST_F(Timestamp, ShanghaiMicroseconds) {
  setenv("TZ", "Asia/Shanghai", 1);
  tzset();
  // 2026-11-24T01:30:00.123456789Z
  EXPECT_EQ(fmt(1795483800 * kNanosPerSec + 123456789), "2026-11-24T09:30:00.123456+0800");
  EXPECT_EQ(fmt(1795483800 * kNanosPerSec), "2026-11-24T09:30:00.000000+0800");
  EXPECT_EQ(fmt(0), "1970-01-01T08:00:00.000000+0800");
}

TEST_F(Timestamp, NegativeAndHalfHourOffsets) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(fmt(-1), "1969-12-31T23:59:59.999999+0000");
  setenv("TZ", "America/New_York", 1);
  tzset();
  EXPECT_EQ(fmt(1795483800 * kNanosPerSec + 5000), "2026-11-23T20:30:00.000005-0500");
  setenv("TZ", "Asia/Kolkata", 1);
  tzset();
  EXPECT_EQ(fmt(1795483800 * kNanosPerSec), "2026-11-24T07:00:00.000000+0530");
}

}  // namespace
}  // namespace ts::exporters
