#include "sensor/packet_pool.h"

#include <gtest/gtest.h>

#include <boost/lockfree/spsc_queue.hpp>
#include <set>
#include <thread>
#include <vector>

namespace ts {
namespace {

TEST(PacketPool, HandsOutEverySlotOnceThenNone) {
  PacketPool pool(4, 2048, 2, 70000);
  EXPECT_EQ(pool.size(), 6u);
  std::set<uint32_t> seen;
  for (int i = 0; i < 4; ++i) {
    const uint32_t s = pool.acquire(1500);
    ASSERT_NE(s, PacketPool::kNone);
    EXPECT_EQ(pool.slot(s).capacity, 2048u);
    seen.insert(s);
  }
  // Normal slots exhausted: a small frame falls back to a jumbo slot.
  const uint32_t j = pool.acquire(100);
  ASSERT_NE(j, PacketPool::kNone);
  EXPECT_EQ(pool.slot(j).capacity, 70000u);
  const uint32_t j2 = pool.acquire(65000);
  ASSERT_NE(j2, PacketPool::kNone);
  EXPECT_EQ(pool.acquire(10), PacketPool::kNone);
  EXPECT_EQ(pool.free_count(), 0u);
  seen.insert(j);
  seen.insert(j2);
  EXPECT_EQ(seen.size(), 6u);
  pool.release(j);
  pool.release(*seen.begin());
  EXPECT_EQ(pool.free_count(), 2u);
}

TEST(PacketPool, LargeFrameNeedsJumboAndOversizeIsRefused) {
  PacketPool pool(8, 2048, 1, 70000);
  const uint32_t a = pool.acquire(9000);
  ASSERT_NE(a, PacketPool::kNone);
  EXPECT_EQ(pool.slot(a).capacity, 70000u);
  EXPECT_EQ(pool.acquire(9000), PacketPool::kNone);  // only one jumbo slot
  EXPECT_EQ(pool.acquire(80000), PacketPool::kNone);
  EXPECT_EQ(pool.max_frame(), 70000u);
}

TEST(PacketPool, SlotMemoryDoesNotOverlap) {
  PacketPool pool(16, 256, 2, 1024);
  for (uint32_t i = 0; i + 1 < pool.size(); ++i)
    EXPECT_LE(pool.slot(i).data + pool.slot(i).capacity, pool.slot(i + 1).data);
  EXPECT_EQ(pool.memory_bytes(), 16u * 256 + 2 * 1024);
}

// The rings as the pipeline uses them: batched push/pop of slot indexes between two threads,
// bounded, order preserved, nothing lost or duplicated.
TEST(SlotRing, BatchedTransferAcrossThreadsKeepsOrder) {
  boost::lockfree::spsc_queue<uint32_t> ring(256);
  constexpr uint32_t kTotal = 1'000'000;
  std::vector<uint32_t> got;
  got.reserve(kTotal);
  std::thread consumer([&] {
    uint32_t buf[64];
    while (got.size() < kTotal) {
      const std::size_t n = ring.pop(buf, 64);
      got.insert(got.end(), buf, buf + n);
    }
  });
  uint32_t next = 0, batch[64];
  while (next < kTotal) {
    uint32_t n = 0;
    while (n < 64 && next + n < kTotal) {
      batch[n] = next + n;
      ++n;
    }
    std::size_t off = 0;
    while (off < n) off += ring.push(batch + off, n - off);  // backpressure
    next += n;
  }
  consumer.join();
  ASSERT_EQ(got.size(), kTotal);
  for (uint32_t i = 0; i < kTotal; ++i) ASSERT_EQ(got[i], i);
}

TEST(SlotRing, FullRingRefusesAndCountsNothingSilently) {
  boost::lockfree::spsc_queue<uint32_t> ring(8);
  uint32_t batch[16];
  for (uint32_t i = 0; i < 16; ++i) batch[i] = i;
  const std::size_t pushed = ring.push(batch, 16);
  EXPECT_LT(pushed, 16u);  // bounded: the caller sees exactly how many did not fit
  EXPECT_EQ(ring.read_available(), pushed);
}

}  // namespace
}  // namespace ts
