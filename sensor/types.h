// Domain value types shared by every stage: time, addresses, directions.
// Header-only, trivially copyable, no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace ts {

// Packet time: nanoseconds since the Unix epoch. Every window, timeout and rate runs on it.
using Nanos = int64_t;
inline constexpr Nanos kNanosPerSec = 1'000'000'000;
inline constexpr Nanos kNanosPerMs = 1'000'000;
inline constexpr Nanos kNanosPerUs = 1'000;

using Port = uint16_t;

// Direction of a packet within its flow: the side that opened the flow is the client.
enum class Dir : uint8_t { kToServer = 0, kToClient = 1 };
inline constexpr Dir opposite(Dir d) noexcept {
  return d == Dir::kToServer ? Dir::kToClient : Dir::kToServer;
}
inline constexpr int idx(Dir d) noexcept { return static_cast<int>(d); }

// An IPv4 or IPv6 address. IPv4 lives in the first 4 bytes, the rest zero, so comparisons
// and hashing treat both families alike.
struct IpAddr {
  std::array<uint8_t, 16> b{};
  uint8_t family = 0;  // 0 none, 4, 6

  static IpAddr v4(const uint8_t* p) noexcept {
    IpAddr a;
    std::memcpy(a.b.data(), p, 4);
    a.family = 4;
    return a;
  }
  static IpAddr v6(const uint8_t* p) noexcept {
    IpAddr a;
    std::memcpy(a.b.data(), p, 16);
    a.family = 6;
    return a;
  }
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

// Formats an address as text ("10.1.2.3", "2001:db8::1") into buf; returns its length.
// Off the hot path (outputs only).
int format_ip(const IpAddr& a, char* buf, int buflen) noexcept;

}  // namespace ts
