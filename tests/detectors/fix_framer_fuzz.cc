// libFuzzer target for FixFramer: byte 0 picks the options (expect_start, a small
// max_message, masked Account, gaps), byte 1 seeds the segment cuts, the rest is the stream.
// The stream is framed twice, whole and cut into 1-64 byte segments (each its own heap block,
// so ASan sees any read past a segment). Checks: no crash or sanitizer report; every byte is
// in a delivered message or in garbage; without gaps both runs deliver the same messages
// (offsets, lengths, errors, fields, checksums, seq nums, heads): the fast whole-field path
// and the byte-by-byte path agree.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "detectors/fix_framer.h"

namespace {

using ts::detectors::FixFramer;
using ts::detectors::FixFramerConfig;
using ts::detectors::FixMessage;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Seen {
  uint64_t offset;
  uint32_t length, errors, fields, body_declared, body_actual;
  uint8_t checksum_declared, checksum_actual, head_len;
  uint64_t seq;
  char head[160];
};

class Recorder : public ts::detectors::FixMessageHandler {
 public:
  void on_fix_message(const FixMessage& m) noexcept override {
    check(m.head_len == (m.length < 160 ? m.length : 160));
    Seen s{m.stream_offset,
           m.length,
           m.errors,
           m.fields,
           m.body_length_declared,
           m.body_length_actual,
           m.checksum_declared,
           m.checksum_actual,
           m.head_len,
           m.seq_num,
           {}};
    std::memcpy(s.head, m.head, m.head_len);
    msgs.push_back(s);
    bytes += m.length;
  }
  void on_fix_garbage(uint64_t n, uint64_t, ts::Nanos) noexcept override { garbage += n; }
  std::vector<Seen> msgs;
  uint64_t bytes = 0, garbage = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t opt = data[0];
  uint32_t seed = data[1] | 1u;
  const uint8_t* s = data + 2;
  const size_t n = size - 2;
  static const uint32_t kMasked[] = {1};
  FixFramerConfig cfg;
  if (opt & 1) cfg.max_message = 40 + (opt >> 4) * 16;
  if (opt & 2) cfg.masked_tags = kMasked;
  const bool gaps = opt & 4;
  const bool expect_start = opt & 8;

  FixFramer whole(cfg), cut(cfg);
  whole.set_expect_start(expect_start);
  cut.set_expect_start(expect_start);
  Recorder rw, rc;
  whole.feed({s, n}, 1, rw);
  whole.end(2, rw);
  for (size_t at = 0, k = 0; at < n; ++k) {
    seed = seed * 1103515245u + 12345u;
    const size_t len = std::min<size_t>(n - at, 1 + (seed >> 16) % 64);
    const std::vector<uint8_t> piece(s + at, s + at + len);
    cut.feed(piece, static_cast<ts::Nanos>(k), rc);
    at += len;
    if (gaps && (seed >> 8) % 7 == 0) cut.gap(1 + (seed >> 24), static_cast<ts::Nanos>(k), rc);
  }
  cut.end(3, rc);

  for (const auto* r : {&rw, &rc}) {
    const FixFramer& f = r == &rw ? whole : cut;
    check(f.offset() == n);
    check(r->bytes + f.stats().garbage_bytes == n);
    check(r->garbage == f.stats().garbage_bytes);
    check(f.stats().messages == r->msgs.size());
  }
  if (!gaps) {
    check(rw.msgs.size() == rc.msgs.size());
    for (size_t i = 0; i < rw.msgs.size(); ++i) {
      const Seen& a = rw.msgs[i];
      const Seen& b = rc.msgs[i];
      check(a.offset == b.offset && a.length == b.length && a.errors == b.errors &&
            a.fields == b.fields && a.body_declared == b.body_declared &&
            a.body_actual == b.body_actual && a.checksum_declared == b.checksum_declared &&
            a.checksum_actual == b.checksum_actual && a.seq == b.seq && a.head_len == b.head_len &&
            std::memcmp(a.head, b.head, a.head_len) == 0);
    }
    check(whole.stats().garbage_bytes == cut.stats().garbage_bytes);
    check(whole.stats().resyncs == cut.stats().resyncs);
  }
  return 0;
}
