// Streaming classic-pcap writer (little-endian magic a1b2c3d4, microsecond timestamps,
// LINKTYPE_ETHERNET). Buffers writes in a large block so multi-GB outputs stay cheap.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace tsgen {

class PcapWriter {
 public:
  // Opens `path` and writes the global header; ok() reports failure.
  explicit PcapWriter(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  bool ok() const { return file_ != nullptr && !failed_; }
  // ts_us: microseconds since the Unix epoch.
  void write(uint64_t ts_us, const uint8_t* frame, uint32_t len);
  bool close();

  uint64_t packets() const { return packets_; }
  uint64_t frame_bytes() const { return frame_bytes_; }

 private:
  void flush();

  FILE* file_ = nullptr;
  bool failed_ = false;
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
  uint64_t packets_ = 0;
  uint64_t frame_bytes_ = 0;
};

}  // namespace tsgen
