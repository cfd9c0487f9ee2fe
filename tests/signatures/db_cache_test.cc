// The compiled-rule cache stays bounded: pruning keeps the most recently used files, and a
// load marks its file used.
#include "signatures/db_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/integration/test_support.h"

namespace ts::sig {
namespace {

namespace fs = std::filesystem;

TEST(DbCache, PruneKeepsTheMostRecentlyUsed) {
  const fs::path dir = test::make_temp_dir();
  const auto now = fs::file_time_type::clock::now();
  // 20 cache files, file i last used i minutes ago; an old temporary file; an unrelated file.
  for (int i = 0; i < 20; ++i) {
    const fs::path p = dir / ("rules-" + std::to_string(i) + ".hsdb");
    std::ofstream(p) << "x";
    fs::last_write_time(p, now - std::chrono::minutes(i));
  }
  const fs::path tmp = dir / "rules-x.hsdb.tmp.1.0";
  std::ofstream(tmp) << "x";
  fs::last_write_time(tmp, now - std::chrono::hours(2));
  std::ofstream(dir / "notes.txt") << "mine";

  EXPECT_EQ(db_cache_prune(dir.string(), 16), 5u);  // 4 oldest cache files + the stale tmp
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.insert(e.path().filename().string());
  std::set<std::string> want = {"notes.txt"};
  for (int i = 0; i < 16; ++i) want.insert("rules-" + std::to_string(i) + ".hsdb");
  EXPECT_EQ(left, want);

  // A store adds one and prunes back to kDbCacheKeep; a load marks its file newest.
  DbCacheEntry e;
  e.databases = {"db"};
  e.levels = {0};
  std::string err;
  const std::string oldest = (dir / "rules-15.hsdb").string();
  fs::remove(oldest);
  ASSERT_TRUE(db_cache_store(oldest, e, &err)) << err;
  fs::last_write_time(oldest, now - std::chrono::hours(5));
  DbCacheEntry got;
  ASSERT_TRUE(db_cache_load(oldest, &got));  // now the most recently used
  EXPECT_EQ(got.databases, e.databases);
  ASSERT_TRUE(db_cache_store((dir / "rules-new.hsdb").string(), e, &err)) << err;
  EXPECT_TRUE(fs::exists(oldest));
  EXPECT_TRUE(fs::exists(dir / "rules-new.hsdb"));
  std::size_t n = 0;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".hsdb") ++n;
  EXPECT_EQ(n, kDbCacheKeep);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ts::sig
