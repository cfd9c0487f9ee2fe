// Counts global operator new calls in a benchmark binary, so each benchmark can report
// allocations per packet (expected: 0 on the hot path). Include from exactly one .cc per
// binary: it defines the replacement operators.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>

namespace ts::bench {
inline uint64_t g_allocs = 0;  // benchmarks are single-threaded
}  // namespace ts::bench

// GCC pairs the inlined delete with `new` and flags free() as mismatched; it is not: every
// replacement here allocates with malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  ++ts::bench::g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
