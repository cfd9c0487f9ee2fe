#include "bench/gen/fix_msg.h"

#include <charconv>
#include <cstdio>

namespace tsgen {
namespace {

constexpr char kSoh = '\x01';

// Days since 1970-01-01 to civil date (H. Hinnant's algorithm).
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

void put_digits(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

void append_int(std::string& s, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

}  // namespace

void format_utc_ms(uint64_t ts_us, char out[21]) {
  uint64_t secs = ts_us / 1000000;
  unsigned ms = static_cast<unsigned>(ts_us % 1000000 / 1000);
  int64_t days = static_cast<int64_t>(secs / 86400);
  unsigned sod = static_cast<unsigned>(secs % 86400);
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  put_digits(out, static_cast<unsigned>(y), 4);
  put_digits(out + 4, m, 2);
  put_digits(out + 6, d, 2);
  out[8] = '-';
  put_digits(out + 9, sod / 3600, 2);
  out[11] = ':';
  put_digits(out + 12, sod / 60 % 60, 2);
  out[14] = ':';
  put_digits(out + 15, sod % 60, 2);
  out[17] = '.';
  put_digits(out + 18, ms, 3);
  out[21 - 1] = '\0';
}

void FixBuilder::start(std::string_view begin, std::string_view msg_type,
                       std::string_view sender, std::string_view target, uint64_t seq,
                       uint64_t ts_us) {
  begin_ = begin;
  body_.clear();
  add(35, msg_type);
  add(49, sender);
  add(56, target);
  add(34, static_cast<int64_t>(seq));
  add_time(52, ts_us);
  if (begin.starts_with("STEP")) add(347, "GBK");
}

void FixBuilder::add(int tag, std::string_view v) {
  append_int(body_, tag);
  body_.push_back('=');
  body_.append(v);
  body_.push_back(kSoh);
}

void FixBuilder::add(int tag, int64_t v) {
  append_int(body_, tag);
  body_.push_back('=');
  append_int(body_, v);
  body_.push_back(kSoh);
}

void FixBuilder::add_price(int tag, int64_t scaled, int decimals) {
  int64_t div = 1;
  for (int i = 0; i < decimals; ++i) div *= 10;
  append_int(body_, tag);
  body_.push_back('=');
  append_int(body_, scaled / div);
  if (decimals > 0) {
    body_.push_back('.');
    char frac[20];
    put_digits(frac, static_cast<unsigned>(scaled % div), decimals);
    body_.append(frac, static_cast<size_t>(decimals));
  }
  body_.push_back(kSoh);
}

void FixBuilder::add_time(int tag, uint64_t ts_us) {
  char t[21];
  format_utc_ms(ts_us, t);
  append_int(body_, tag);
  body_.push_back('=');
  body_.append(t, 21 - 1);
  body_.push_back(kSoh);
}

void FixBuilder::finish(std::string& out) {
  size_t start = out.size();
  out.append("8=");
  out.append(begin_);
  out.push_back(kSoh);
  out.append("9=");
  append_int(out, static_cast<int64_t>(body_.size()));
  out.push_back(kSoh);
  out.append(body_);
  unsigned sum = 0;
  for (size_t i = start; i < out.size(); ++i) sum += static_cast<unsigned char>(out[i]);
  char ck[8];
  std::snprintf(ck, sizeof ck, "10=%03u", sum % 256);
  out.append(ck);
  out.push_back(kSoh);
}

}  // namespace tsgen
