#include "sensor/capture.h"

#include <poll.h>
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
  ctx->handler->on_frame(ctx->lt, ts, bytes, h->caplen, h->len);
}

}  // namespace

CaptureSource::~CaptureSource() {
  for (pcap_t* p : handles_)
    if (p) pcap_close(p);
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
    DispatchCtx ctx{&h, static_cast<LinkType>(pcap_datalink(p)), nano_};
    const int n = pcap_dispatch(p, max, on_pcap_frame, reinterpret_cast<u_char*>(&ctx));
    if (n > 0) {
      *got = n;
      return ReadStatus::kPackets;
    }
    if (n == PCAP_ERROR_BREAK) return live_ ? ReadStatus::kEnd : ReadStatus::kEnd;
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
  if (current_ < handles_.size() && handles_[current_]) {
    if (FILE* f = pcap_file(handles_[current_])) {
      const long off = ftell(f);
      if (off > 0) pos += static_cast<uint64_t>(off);
    }
  }
  s.input_bytes_read.set(pos);
}


}  // namespace ts
