#include "signatures/db_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace ts::sig {
namespace {

constexpr char kMagic[8] = {'T', 'S', 'H', 'S', 'D', 'B', '0', '1'};
constexpr std::size_t kDigest = 32;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u64(const std::string& in, std::size_t* pos, std::size_t end, uint64_t* v) {
  if (*pos + 8 > end) return false;
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x |= static_cast<uint64_t>(static_cast<uint8_t>(in[*pos + static_cast<std::size_t>(i)]))
         << (8 * i);
  *pos += 8;
  *v = x;
  return true;
}

void digest(const void* data, std::size_t n, unsigned char out[kDigest]) {
  unsigned len = 0;
  EVP_Digest(data, n, out, &len, EVP_sha256(), nullptr);
}

}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx) EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::update(const void* data, std::size_t n) {
  if (impl_->ctx && n) EVP_DigestUpdate(impl_->ctx, data, n);
}
void Sha256::update_u64(uint64_t v) {
  std::string b;
  put_u64(b, v);
  update(b.data(), b.size());
}
void Sha256::update_str(std::string_view s) {
  update_u64(s.size());
  update(s.data(), s.size());
}
std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!impl_->ctx || EVP_DigestFinal_ex(impl_->ctx, md, &len) != 1) return {};
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

std::string db_cache_path(const std::string& dir, const std::string& key) {
  return (std::filesystem::path(dir) / ("rules-" + key + ".hsdb")).string();
}

bool db_cache_load(const std::string& path, DbCacheEntry* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  const std::string in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (in.size() < sizeof kMagic + kDigest || std::memcmp(in.data(), kMagic, sizeof kMagic) != 0)
    return false;
  const std::size_t end = in.size() - kDigest;
  unsigned char md[kDigest];
  digest(in.data(), end, md);
  if (std::memcmp(md, in.data() + end, kDigest) != 0) return false;
  std::size_t pos = sizeof kMagic;
  uint64_t n = 0;
  if (!get_u64(in, &pos, end, &n) || n > (1u << 20)) return false;
  DbCacheEntry e;
  e.databases.resize(static_cast<std::size_t>(n));
  for (auto& db : e.databases) {
    uint64_t len = 0;
    if (!get_u64(in, &pos, end, &len) || len > end - pos) return false;
    db.assign(in, pos, static_cast<std::size_t>(len));
    pos += static_cast<std::size_t>(len);
  }
  uint64_t nl = 0;
  if (!get_u64(in, &pos, end, &nl) || nl != end - pos) return false;
  e.levels.assign(in.begin() + static_cast<std::ptrdiff_t>(pos),
                  in.begin() + static_cast<std::ptrdiff_t>(end));
  *out = std::move(e);
  std::error_code ec;  // mark it used, so pruning keeps the sets that are loaded
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);
  return true;
}

bool db_cache_store(const std::string& path, const DbCacheEntry& e, std::string* error) {
  std::string buf(kMagic, sizeof kMagic);
  put_u64(buf, e.databases.size());
  for (const auto& db : e.databases) {
    put_u64(buf, db.size());
    buf += db;
  }
  put_u64(buf, e.levels.size());
  buf.append(reinterpret_cast<const char*>(e.levels.data()), e.levels.size());
  unsigned char md[kDigest];
  digest(buf.data(), buf.size(), md);
  buf.append(reinterpret_cast<const char*>(md), kDigest);

  std::error_code ec;
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  static std::atomic<unsigned> seq{0};
  const std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." +
                          std::to_string(seq.fetch_add(1, std::memory_order_relaxed));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t off = 0;
  while (off < buf.size()) {
    const ssize_t w = ::write(fd, buf.data() + off, buf.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      *error = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += static_cast<std::size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot install " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (p.has_parent_path()) db_cache_prune(p.parent_path().string(), kDbCacheKeep);
  return true;
}

std::size_t db_cache_prune(const std::string& dir, std::size_t keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  const auto stale_tmp = fs::file_time_type::clock::now() - std::chrono::hours(1);
  std::size_t removed = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("rules-", 0) != 0) continue;
    const auto t = e.last_write_time(ec);
    if (ec) continue;
    if (name.find(".hsdb.tmp.") != std::string::npos) {
      if (t < stale_tmp && fs::remove(e.path(), ec)) ++removed;
    } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".hsdb") == 0) {
      files.emplace_back(t, e.path());
    }
  }
  if (files.size() <= keep) return removed;
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });  // newest first
  for (std::size_t i = keep; i < files.size(); ++i)
    if (fs::remove(files[i].second, ec)) ++removed;
  return removed;
}

}  // namespace ts::sig
