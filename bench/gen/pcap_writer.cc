#include "bench/gen/pcap_writer.h"

#include <cstring>

namespace tsgen {
namespace {
constexpr size_t kBufferBytes = 8u << 20;

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
}  // namespace

PcapWriter::PcapWriter(const std::string& path) : buf_(kBufferBytes) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) return;
  uint8_t hdr[24];
  put32(hdr, 0xa1b2c3d4u);
  put16(hdr + 4, 2);
  put16(hdr + 6, 4);
  put32(hdr + 8, 0);
  put32(hdr + 12, 0);
  put32(hdr + 16, 65535);
  put32(hdr + 20, 1);  // LINKTYPE_ETHERNET
  std::memcpy(buf_.data(), hdr, sizeof hdr);
  used_ = sizeof hdr;
}

PcapWriter::~PcapWriter() { close(); }

void PcapWriter::flush() {
  if (!file_ || used_ == 0) return;
  if (std::fwrite(buf_.data(), 1, used_, file_) != used_) failed_ = true;
  used_ = 0;
}

void PcapWriter::write(uint64_t ts_us, const uint8_t* frame, uint32_t len) {
  if (used_ + 16 + len > buf_.size()) flush();
  uint8_t* p = buf_.data() + used_;
  put32(p, static_cast<uint32_t>(ts_us / 1000000));
  put32(p + 4, static_cast<uint32_t>(ts_us % 1000000));
  put32(p + 8, len);
  put32(p + 12, len);
  std::memcpy(p + 16, frame, len);
  used_ += 16 + len;
  ++packets_;
  frame_bytes_ += len;
}

bool PcapWriter::close() {
  if (!file_) return false;
  flush();
  if (std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
  return !failed_;
}

}  // namespace tsgen
