// Counts every global operator new in the unit_tests binary (defined in alloc_hook_test.cc),
// so hot-path tests can assert that a warmed-up loop allocates nothing:
//   const uint64_t before = ts_test_allocations(); loop(); EXPECT_EQ(ts_test_allocations(), before);
// The counter is per thread, so gtest's own bookkeeping on other threads cannot interfere.
#pragma once

#include <cstdint>

uint64_t ts_test_allocations() noexcept;
