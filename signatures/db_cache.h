// On-disk cache of compiled Hyperscan databases. Main thread, at load and reload only.
//
// One file per compiled rule set, named by the SHA-256 of everything that determines the
// databases: each database's mode and expressions (pattern, flags, id, offsets), the Hyperscan
// version and the target platform. The file ends with a SHA-256 of its content, so a torn or
// corrupted file is detected and ignored (then rewritten); files are written to a temporary
// name and renamed into place, so readers never see a partial file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ts::sig {

// Incremental SHA-256 (OpenSSL libcrypto).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  void update_u64(uint64_t v);
  void update_str(std::string_view s);  // length-prefixed, so concatenations stay distinct
  std::string hex();                    // finishes; call once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct DbCacheEntry {
  std::vector<std::string> databases;  // hs_serialize_database bytes; "" where none
  std::vector<uint8_t> levels;         // per rule: pattern ladder position finally used
};

std::string db_cache_path(const std::string& dir, const std::string& key);
// False if the file is missing, truncated or fails its checksum.
bool db_cache_load(const std::string& path, DbCacheEntry* out);
// Writes atomically (temporary file, fsync, rename); creates `path`'s folder if needed, then
// prunes the folder to the kDbCacheKeep most recently used cache files.
bool db_cache_store(const std::string& path, const DbCacheEntry& e, std::string* error);

// The cache is bounded: one file per distinct rule set would otherwise pile up with every
// edit of the rules. A load marks its file used (mtime), so the sets in use stay.
inline constexpr std::size_t kDbCacheKeep = 16;
// Removes all but the `keep` most recently modified rules-*.hsdb files of `dir` (and
// temporary files of interrupted writes older than an hour). Returns how many it removed.
std::size_t db_cache_prune(const std::string& dir, std::size_t keep);

}  // namespace ts::sig
