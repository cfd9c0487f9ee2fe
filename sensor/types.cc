#include "sensor/types.h"

#include <arpa/inet.h>

namespace ts {

int format_ip(const IpAddr& a, char* buf, int buflen) noexcept {
  if (buflen <= 0) return 0;
  const char* r = nullptr;
  if (a.family == 4) r = inet_ntop(AF_INET, a.b.data(), buf, static_cast<socklen_t>(buflen));
  else if (a.family == 6) r = inet_ntop(AF_INET6, a.b.data(), buf, static_cast<socklen_t>(buflen));
  if (!r) {
    buf[0] = '\0';
    return 0;
  }
  return static_cast<int>(std::strlen(buf));
}

}  // namespace ts
