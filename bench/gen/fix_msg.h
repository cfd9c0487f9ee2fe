// FIX / STEP tag=value message builder: header order 8, 9, 35, 49, 56, 34, 52 [, 347],
// correct BodyLength (9) and CheckSum (10). One builder per session, reused per message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tsgen {

// UTC "YYYYMMDD-HH:MM:SS.sss" for microseconds since the epoch.
void format_utc_ms(uint64_t ts_us, char out[21]);

class FixBuilder {
 public:
  // begin: "FIX.4.2", "FIX.4.4" or "STEP.1.0.0"; STEP adds 347=GBK to the header.
  void start(std::string_view begin, std::string_view msg_type, std::string_view sender,
             std::string_view target, uint64_t seq, uint64_t ts_us);
  void add(int tag, std::string_view v);
  void add(int tag, int64_t v);
  // Price with `decimals` digits from an integer in 10^-decimals units.
  void add_price(int tag, int64_t scaled, int decimals);
  void add_time(int tag, uint64_t ts_us);
  // Completes the message (9 and 10) and appends it to `out`.
  void finish(std::string& out);

 private:
  std::string_view begin_;
  std::string body_;
};

}  // namespace tsgen
