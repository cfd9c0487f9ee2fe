#include "sensor/types.h"

#include <arpa/inet.h>

#include <cstring>

namespace ts {

int format_ip(const IpAddr& a, char* buf, int buflen) noexcept {
  if (buflen <= 0) return 0;
  const char* r = nullptr;
  if (a.family == 4) r = inet_ntop(AF_INET, a.b.data(), buf, static_cast<socklen_t>(buflen));
  else if (a.family == 6) {
    // Suricata's EVE writes IPv6 in full, uncompressed form (eight 4-digit groups), and
    // SOC tooling matches on that text.
    if (buflen < 40) {
      buf[0] = '\0';
      return 0;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    char* o = buf;
    for (int i = 0; i < 16; ++i) {
      if (i > 0 && i % 2 == 0) *o++ = ':';
      *o++ = kHex[a.b[static_cast<std::size_t>(i)] >> 4];
      *o++ = kHex[a.b[static_cast<std::size_t>(i)] & 0xf];
    }
    *o = '\0';
    return 39;
  }
  if (!r) {
    buf[0] = '\0';
    return 0;
  }
  return static_cast<int>(std::strlen(buf));
}

}  // namespace ts
