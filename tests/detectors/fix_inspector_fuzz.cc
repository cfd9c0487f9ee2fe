// libFuzzer target for the FIX/STEP inspector (and the framer under it): the input is a
// script of operations on four flows of one inspector with small tables (16 connections,
// 16 pending orders, 2 session names, so pool exhaustion, eviction and "other" folding are
// reached). Each operation is a header byte, op = bits 0-2, flow = bits 3-4, then for data
// a length byte and that many bytes:
//   0/1 data to server / to client, 2 gap, 3 end of flow (its slot is reused by a new flow,
//   midstream when bit 5), 4 tick, 5-7 data to server split in two deliveries.
// Packet time advances 1-256 ms per operation (bits 5-7 of the header scale it).
// Checks: no crash or sanitizer report; every alert is gid 9001 with valid JSON framing;
// counters stay consistent (malformed <= messages, untracked <= connections).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "detectors/builtin.h"
#include "detectors/fix_inspector.h"
#include "exporters/metrics.h"
#include "sensor/flow.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

class CheckSink : public ts::sig::AlertSink {
 public:
  void on_alert(const ts::sig::Alert& a) noexcept override {
    check(a.gid == ts::detectors::kGidFix);
    check(ts::detectors::find_builtin(a.gid, a.sid) != nullptr);
    const std::size_t n = strnlen(a.detail, sizeof a.detail);
    check(n < sizeof a.detail && n >= 2 && a.detail[0] == '{' && a.detail[n - 1] == '}');
  }
};

ts::config::FixConfig fuzz_config() {
  ts::config::FixConfig c;
  c.ports = {11310};
  c.allowed_comp_ids = {"CLI1"};
  c.max_connections = 16;
  c.max_sessions = 2;
  c.max_pending_orders = 16;
  c.max_message = 512;
  c.order_rate_limit = 5;
  c.resend_limit = 2;
  c.cancel_min_orders = 2;
  c.heartbeat_grace = 0;
  c.order_ack_timeout = ts::kNanosPerSec;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static CheckSink sink;
  static ts::detectors::FixInspector insp(fuzz_config(), 8, 1, &sink);
  static ts::Flow flows[4];
  static uint64_t next_id = 1;
  static ts::Nanos now = 1'700'000'000 * ts::kNanosPerSec;
  static bool init = false;
  if (!init) {
    for (uint32_t i = 0; i < 4; ++i) {
      flows[i].slot = i;
      flows[i].id = next_id++;
      flows[i].key.client_port = static_cast<ts::Port>(40000 + i);
      flows[i].key.server_port = i == 3 ? 9999 : 11310;  // one flow on auto-detect only
      flows[i].key.ip_proto = 6;
    }
    init = true;
  }
  std::size_t i = 0;
  while (i < size) {
    const uint8_t h = data[i++];
    ts::Flow& f = flows[(h >> 3) & 3];
    now += ts::kNanosPerMs * (1 + (h >> 5) * 32);
    const int op = h & 7;
    if (op == 2) {
      insp.on_stream_gap(f, (h & 0x20) ? ts::Dir::kToClient : ts::Dir::kToServer, 1 + (h >> 6),
                         now);
    } else if (op == 3) {
      insp.on_stream_end(f, now);
      f.id = next_id++;
      f.midstream = h & 0x20;
    } else if (op == 4) {
      insp.tick(now);
    } else {
      if (i >= size) break;
      std::size_t n = data[i++];
      n = n < size - i ? n : size - i;
      const ts::Dir d = op == 1 ? ts::Dir::kToClient : ts::Dir::kToServer;
      if (op >= 5 && n > 1) {
        insp.on_stream_data(f, d, {data + i, n / 2}, now);
        insp.on_stream_data(f, d, {data + i + n / 2, n - n / 2}, now + 1000);
      } else {
        insp.on_stream_data(f, d, {data + i, n}, now);
      }
      i += n;
    }
  }
  const ts::detectors::FixInspectorStats& s = insp.stats();
  check(s.connections_untracked.get() <= s.connections.get());
  check(s.malformed.get() <= s.messages.get());
  // Scrape occasionally (it allocates; not a hot-path concern here).
  if ((now / ts::kNanosPerMs) % 97 == 0) {
    const ts::detectors::FixInspector* one[] = {&insp};
    ts::exporters::MetricsSink ms;
    ts::detectors::FixInspector::collect_metrics(one, 2, ms);
    check(ms.type_conflicts() == 0);
  }
  return 0;
}
