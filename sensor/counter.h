// Single-writer counters, read by other threads (stats, Prometheus scrape) without locks.
//
// The owning thread increments with a relaxed load and store: no lock prefix, no fence,
// a plain add on x86. Readers load relaxed and sum across threads at read time. Keep the
// counter blocks of different threads on different cache lines (alignas(64)).
#pragma once

#include <atomic>
#include <cstdint>

namespace ts {

class Counter {
 public:
  // Only the owning thread may call inc/set.
  void inc(uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};
static_assert(sizeof(Counter) == 8);

// A gauge with a single writer, same rules.
class Gauge {
 public:
  void set(int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  void add(int64_t n) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  int64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

}  // namespace ts
