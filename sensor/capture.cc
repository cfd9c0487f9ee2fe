#include "sensor/capture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <sys/stat.h>

#include "config/config.h"

namespace ts {
namespace {

struct DispatchCtx {
  FrameHandler* handler;
  LinkType lt;
  bool nano;
};

void on_pcap_frame(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* ctx = reinterpret_cast<DispatchCtx*>(user);
  const Nanos sub = ctx->nano ? h->ts.tv_usec : static_cast<Nanos>(h->ts.tv_usec) * kNanosPerUs;
  const Nanos ts = static_cast<Nanos>(h->ts.tv_sec) * kNanosPerSec + sub;
  ctx->handler->on_frame(ctx->lt, ts, bytes, h->caplen, h->len, false);
}

uint32_t load32(const uint8_t* p, bool swapped) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}

}  // namespace


CaptureSource::~CaptureSource() {
  for (pcap_t* p : handles_)
    if (p) pcap_close(p);
  for (MappedFile& m : maps_)
    if (m.base) munmap(const_cast<uint8_t*>(m.base), m.size);
}

std::unique_ptr<CaptureSource> CaptureSource::open_files(const std::vector<std::string>& files,
                                                         std::string* error) {
  std::unique_ptr<CaptureSource> s(new CaptureSource());
  s->name_ = "pcap";
  s->nano_ = true;
  for (const std::string& f : files) {
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_t* p = pcap_open_offline_with_tstamp_precision(f.c_str(), PCAP_TSTAMP_PRECISION_NANO,
                                                        errbuf);
    if (!p) {
      *error = "cannot read capture file " + f + ": " + errbuf;
      return nullptr;
    }
    struct stat st {};
    if (stat(f.c_str(), &st) == 0) s->total_bytes_ += static_cast<uint64_t>(st.st_size);
    s->handles_.push_back(p);
    s->files_.push_back(f);
    MappedFile m;
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && st.st_size >= 24) {
      void* base = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (base != MAP_FAILED) {
        const auto* b = static_cast<const uint8_t*>(base);
        uint32_t magic;
        std::memcpy(&magic, b, 4);
        const bool classic = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 ||
                             magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        if (classic) {
          madvise(base, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
          m.base = b;
          m.size = static_cast<std::size_t>(st.st_size);
          m.swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
          m.nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        } else {
          munmap(base, static_cast<std::size_t>(st.st_size));
        }
      }
    }
    if (fd >= 0) ::close(fd);
    s->maps_.push_back(m);
  }
  return s;
}

std::unique_ptr<CaptureSource> CaptureSource::open_live(const std::string& iface,
                                                        const config::CaptureConfig& cfg,
                                                        std::string* error) {
  std::unique_ptr<CaptureSource> s(new CaptureSource());
  s->live_ = true;
  s->name_ = iface;
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p = pcap_create(iface.c_str(), errbuf);
  if (!p) {
    *error = "cannot capture on " + iface + ": " + errbuf;
    return nullptr;
  }
  s->handles_.push_back(p);
  pcap_set_snaplen(p, cfg.snaplen);
  pcap_set_promisc(p, cfg.promiscuous ? 1 : 0);
  pcap_set_buffer_size(p, cfg.buffer_size);
  pcap_set_timeout(p, cfg.timeout_ms);
  s->nano_ = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int rc = pcap_activate(p);
  if (rc < 0) {
    *error = "cannot capture on " + iface + ": " + pcap_statustostr(rc) + " (" +
             pcap_geterr(p) + ")";
    return nullptr;
  }
  // Non-blocking reads plus our own poll with a timeout: on Linux (TPACKET_V3) a blocking
  // read waits forever when no packet comes, which would hold up shutdown and stats.
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    *error = "cannot set non-blocking capture on " + iface + ": " + errbuf;
    return nullptr;
  }
  s->poll_ms_ = cfg.timeout_ms > 0 ? cfg.timeout_ms : 10;
  if (!cfg.bpf.empty()) {
    bpf_program prog{};
    if (pcap_compile(p, &prog, cfg.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      *error = "capture.bpf: invalid filter \"" + cfg.bpf + "\": " + pcap_geterr(p);
      return nullptr;
    }
    const int frc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (frc != 0) {
      *error = "cannot set BPF filter on " + iface + ": " + pcap_geterr(p);
      return nullptr;
    }
  }
  return s;
}

CaptureSource::ReadStatus CaptureSource::read(int max, FrameHandler& h, int* got) noexcept {
  *got = 0;
  while (current_ < handles_.size()) {
    pcap_t* p = handles_[current_];
    if (!live_ && maps_[current_].base) {
      MappedFile& m = maps_[current_];
      const ReadStatus st = read_mapped(m, static_cast<LinkType>(pcap_datalink(p)), max, h, got);
      if (st != ReadStatus::kEnd) return st;
      done_bytes_ += m.size;
      m.off = m.size;  // finished; the mapping is released by the destructor
      pcap_close(p);
      handles_[current_] = nullptr;
      ++current_;
      continue;
    }
    DispatchCtx ctx{&h, static_cast<LinkType>(pcap_datalink(p)), nano_};
    const int n = pcap_dispatch(p, max, on_pcap_frame, reinterpret_cast<u_char*>(&ctx));
    if (n > 0) {
      *got = n;
      return ReadStatus::kPackets;
    }
    if (n == PCAP_ERROR_BREAK) return ReadStatus::kEnd;
    if (n == PCAP_ERROR) {
      error_ = name_ + ": " + pcap_geterr(p);
      return ReadStatus::kError;
    }
    // n == 0: nothing waiting (live), or end of this file.
    if (live_) {
      pollfd pfd{pcap_get_selectable_fd(p), POLLIN, 0};
      if (pfd.fd >= 0) poll(&pfd, 1, poll_ms_);
      return ReadStatus::kIdle;
    }
    if (FILE* f = pcap_file(p)) {
      struct stat st {};
      if (fstat(fileno(f), &st) == 0) done_bytes_ += static_cast<uint64_t>(st.st_size);
    }
    pcap_close(p);
    handles_[current_] = nullptr;
    ++current_;
  }
  return ReadStatus::kEnd;
}

CaptureSource::ReadStatus CaptureSource::read_mapped(MappedFile& m, LinkType lt, int max,
                                                     FrameHandler& h, int* got) noexcept {
  int n = 0;
  while (n < max && m.off < m.size) {
    if (m.size - m.off < 16) {
      error_ = files_[current_] + ": truncated capture file (partial record header at byte " +
               std::to_string(m.off) + ")";
      return ReadStatus::kError;
    }
    const uint8_t* r = m.base + m.off;
    const uint32_t sec = load32(r, m.swapped), frac = load32(r + 4, m.swapped);
    const uint32_t caplen = load32(r + 8, m.swapped), len = load32(r + 12, m.swapped);
    if (caplen > 262144 || m.size - m.off - 16 < caplen) {
      error_ = files_[current_] + ": " +
               (caplen > 262144 ? "corrupt record (captured length " + std::to_string(caplen) + ")"
                                : std::string("truncated capture file (partial record)")) +
               " at byte " + std::to_string(m.off);
      return ReadStatus::kError;
    }
    const Nanos ts = static_cast<Nanos>(sec) * kNanosPerSec +
                     (m.nano ? static_cast<Nanos>(frac) : static_cast<Nanos>(frac) * kNanosPerUs);
    h.on_frame(lt, ts, r + 16, caplen, len, true);
    m.off += 16 + caplen;
    ++n;
  }
  *got = n;
  return n > 0 ? ReadStatus::kPackets : ReadStatus::kEnd;
}

void CaptureSource::update_stats(CaptureStats& s) noexcept {
  if (live_) {
    pcap_stat ps{};
    if (!handles_.empty() && handles_[0] && pcap_stats(handles_[0], &ps) == 0) {
      s.kernel_packets.set(ps.ps_recv);
      s.kernel_drops.set(ps.ps_drop);
      s.kernel_ifdrops.set(ps.ps_ifdrop);
    }
    return;
  }
  s.kernel_packets.set(s.packets.get());
  uint64_t pos = done_bytes_;
  if (current_ < handles_.size() && maps_[current_].base) {  // maps_ parallels handles_
    pos += maps_[current_].off;
  } else if (current_ < handles_.size() && handles_[current_]) {
    if (FILE* f = pcap_file(handles_[current_])) {
      const long off = ftell(f);
      if (off > 0) pos += static_cast<uint64_t>(off);
    }
  }
  s.input_bytes_read.set(pos);
}


}  // namespace ts
