// libFuzzer target for the decoder and defragmenter: the first input byte picks the link
// type and options, the rest is the frame. Consecutive inputs share one Defragmenter, so
// fragments from different inputs meet; packet time advances to exercise timeouts.
// Checks: no crash or sanitizer report, the view stays inside the frame (or the
// reassembled datagram), and an invalid frame counts exactly one invalid.
#include <cstdint>
#include <cstdlib>

#include "sensor/decode.h"
#include "sensor/defrag.h"
#include "sensor/flow_hash.h"

namespace {

constexpr ts::LinkType kLinkTypes[] = {
    ts::LinkType::kEthernet, ts::LinkType::kRaw,  ts::LinkType::kLinuxSll,
    ts::LinkType::kLinuxSll2, ts::LinkType::kIpv4, ts::LinkType::kIpv6,
    static_cast<ts::LinkType>(12), static_cast<ts::LinkType>(14)};

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ts::Defragmenter defrag(ts::DefragConfig{1u << 20, 5 * ts::kNanosPerSec});
  static ts::Nanos now = 0;
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  ts::DecodeConfig cfg;
  cfg.validate_checksums = sel & 0x08;  // bits 0-2: link type; bit 6: snapped; bit 7: no defrag
  cfg.max_tunnel_depth = static_cast<uint8_t>((sel >> 4) & 0x3);  // bits 4-5
  ts::Decoder dec(cfg, (sel & 0x80) ? nullptr : &defrag);
  const uint8_t* frame = data + 1;
  const uint32_t caplen = static_cast<uint32_t>(size - 1);
  // Sometimes pretend the frame was cut by the snap length.
  const uint32_t wirelen = (sel & 0x40) ? caplen + 100 : caplen;
  now += ts::kNanosPerSec / 2;
  ts::PacketView v;
  const auto r = dec.decode(kLinkTypes[sel & 7], now, frame, caplen, wirelen, v);
  const auto& st = dec.stats();
  check(st.pkts.get() == 1);
  check(st.invalid.get() == (r == ts::DecodeResult::kInvalid ? 1u : 0u));
  if (r != ts::DecodeResult::kInvalid) {
    const uint8_t* lo = v.frame;
    const uint8_t* hi = v.frame + v.caplen;
    if (v.payload) check(v.payload >= lo && v.payload + v.payload_len <= hi);
    if (v.ip_version) check(v.l3_offset < v.caplen);
    check(v.vlan_count <= 2);
    check(v.tunnel_depth <= cfg.max_tunnel_depth);
    if (r == ts::DecodeResult::kReassembled) check(v.reassembled);
    volatile uint32_t h = ts::flow_hash(v);
    (void)h;
  }
  return 0;
}
