// Deterministic random numbers for the traffic generator.
// Only raw 64-bit mt19937_64 draws are used (their sequence is fixed by the C++ standard);
// uniform and exponential variates are derived here so output never depends on the
// standard library's distribution implementations.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace tsgen {

class Rng {
 public:
  explicit Rng(uint64_t seed) : eng_(seed) {}

  uint64_t next() { return eng_(); }
  // Uniform in [0, n); n > 0. Multiply-shift (Lemire) without rejection: the bias is
  // below 2^-40 for the small n used here, and the mapping is fixed.
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // Uniform in [lo, hi] inclusive.
  int64_t range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log1p(-unit()); }
  void fill(uint8_t* p, size_t n) {
    while (n >= 8) {
      uint64_t v = next();
      for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
      p += 8;
      n -= 8;
    }
    if (n) {
      uint64_t v = next();
      for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
    }
  }

 private:
  std::mt19937_64 eng_;
};

}  // namespace tsgen
