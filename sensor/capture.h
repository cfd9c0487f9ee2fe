// CaptureSource: one libpcap input, either a list of capture files read in order (pcap or
// pcapng, lossless) or one live interface. Read by exactly one capture thread.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sensor/counter.h"
#include "sensor/packet.h"

namespace ts {

namespace config { struct CaptureConfig; }

// Counters of one capture source; written by its capture thread only.
struct alignas(64) CaptureStats {
  Counter packets;          // frames read
  Counter bytes;            // wire bytes of frames read
  Counter kernel_packets;   // live: pcap_stats ps_recv; offline: frames read from the files
  Counter kernel_drops;     // live: pcap_stats ps_drop
  Counter kernel_ifdrops;   // live: pcap_stats ps_ifdrop
  Counter drop_ring;        // live: worker ring full
  Counter drop_pool;        // live: no free packet slot
  Counter drop_oversize;    // frame larger than the largest slot (snaplen misconfigured)
  Counter input_bytes_read; // offline: bytes of input files consumed (progress)
};

// Receives frames from CaptureSource::read. Called on the capture thread.
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  // `stable`: data stays valid and unchanged until the CaptureSource is destroyed (mapped
  // capture files), so it need not be copied; otherwise it is valid only during the call.
  virtual void on_frame(LinkType lt, Nanos ts, const uint8_t* data, uint32_t caplen,
                        uint32_t wirelen, bool stable) noexcept = 0;
};

class CaptureSource {
 public:
  ~CaptureSource();
  CaptureSource(const CaptureSource&) = delete;
  CaptureSource& operator=(const CaptureSource&) = delete;

  // Opens every file now so a missing or unreadable one is reported before capture starts.
  static std::unique_ptr<CaptureSource> open_files(const std::vector<std::string>& files,
                                                   std::string* error);
  static std::unique_ptr<CaptureSource> open_live(const std::string& iface,
                                                  const config::CaptureConfig& cfg,
                                                  std::string* error);

  enum class ReadStatus { kPackets, kIdle, kEnd, kError };
  // Reads up to `max` frames, handing each to `h`. kIdle: live, nothing came within the
  // read timeout (capture.read-timeout), so the caller can flush, refresh stats and stop.
  ReadStatus read(int max, FrameHandler& h, int* got) noexcept;

  // Refreshes the kernel counters (live) or the progress counters (offline).
  void update_stats(CaptureStats& s) noexcept;

  bool live() const noexcept { return live_; }
  const std::string& name() const noexcept { return name_; }
  uint64_t input_total_bytes() const noexcept { return total_bytes_; }
  const std::string& last_error() const noexcept { return error_; }

 private:
  CaptureSource() = default;
  bool live_ = false;
  std::string name_;
  // Classic pcap files are read from a read-only mapping (records parsed here, frames handed
  // out in place: no per-record fread, no copy); mappings stay until destruction because
  // workers may still hold views into them. pcapng and live go through libpcap.
  struct MappedFile {
    const uint8_t* base = nullptr;
    std::size_t size = 0;
    std::size_t off = 24;  // past the file header
    bool swapped = false;
    bool nano = false;
  };
  ReadStatus read_mapped(MappedFile& m, LinkType lt, int max, FrameHandler& h, int* got) noexcept;

  std::vector<pcap_t*> handles_;
  std::vector<MappedFile> maps_;  // parallel to handles_ (offline); base null: use libpcap
  std::vector<std::string> files_;
  std::size_t current_ = 0;
  bool nano_ = false;
  int poll_ms_ = 10;  // live: longest wait in read() before returning kIdle
  uint64_t total_bytes_ = 0;
  uint64_t done_bytes_ = 0;  // bytes of files already finished
  std::string error_;
};

}  // namespace ts
