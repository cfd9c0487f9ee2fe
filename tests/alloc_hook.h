// Counts every global operator new in the unit_tests binary (defined in alloc_hook.cc),
// so hot-path tests can assert that a warmed-up loop allocates nothing:
//   const uint64_t before = ts_test_allocations(); loop(); EXPECT_EQ(ts_test_allocations(), before);
// The counter is per thread, so gtest's own bookkeeping on other threads cannot interfere.
#pragma once

#include <cstdint>

uint64_t ts_test_allocations() noexcept;
// Allocations on every thread of the process (pipeline tests: capture, workers, output).
uint64_t ts_test_allocations_all_threads() noexcept;
