#include "sensor/counter.h"

#include <gtest/gtest.h>

#include <thread>

namespace ts {
namespace {

TEST(Counter, SingleWriterIncrementsAreSeenByReader) {
  Counter c;
  std::thread writer([&] {
    for (int i = 0; i < 100000; ++i) c.inc();
  });
  writer.join();
  EXPECT_EQ(c.get(), 100000u);
  c.inc(5);
  EXPECT_EQ(c.get(), 100005u);
}

TEST(Gauge, AddAndSet) {
  Gauge g;
  g.add(3);
  g.add(-5);
  EXPECT_EQ(g.get(), -2);
  g.set(7);
  EXPECT_EQ(g.get(), 7);
}

}  // namespace
}  // namespace ts
