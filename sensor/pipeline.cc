#include "sensor/pipeline.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>

#include "detectors/builtin.h"
#include "detectors/feed_tracker.h"
#include "detectors/fix_inspector.h"
#include "exporters/eve_writer.h"
#include "exporters/metrics.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/defrag.h"
#include "sensor/flow_hash.h"
#include "sensor/flow_table.h"
#include "sensor/packet_pool.h"
#include "sensor/tcp_stream.h"
#include "signatures/engine.h"
#include "signatures/threshold.h"

namespace ts {
namespace {

using SlotRing = boost::lockfree::spsc_queue<uint32_t>;
using FlowRing = boost::lockfree::spsc_queue<exporters::FlowEvent>;
using AlertRing = boost::lockfree::spsc_queue<sig::Alert>;

constexpr int kBatch = 64;            // slots pushed/popped per ring operation
constexpr std::size_t kFlowRing = 4096;
constexpr std::size_t kAlertRing = 16384;
constexpr std::size_t kThresholdEntries = 1u << 16;

Nanos wall_now() noexcept {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<Nanos>(t.tv_sec) * kNanosPerSec + t.tv_nsec;
}

// Waiting without burning the other core: a few yields, then 50 us sleeps, and after
// 10 ms of nothing, 500 us sleeps (an idle live sensor should cost next to no CPU).
class Backoff {
 public:
  void wait() noexcept {
    ++n_;
    if (n_ < 16) {
      std::this_thread::yield();
      return;
    }
    timespec t{0, n_ < 216 ? 50'000 : 500'000};
    nanosleep(&t, nullptr);
  }
  void reset() noexcept { n_ = 0; }

 private:
  int n_ = 0;
};

const char* state_name(FlowState s) {
  switch (s) {
    case FlowState::kNew: return "new";
    case FlowState::kEstablished: return "established";
    case FlowState::kClosed: return "closed";
  }
  return "new";
}
const char* reason_name(FlowEndReason r) {
  switch (r) {
    case FlowEndReason::kTimeout: return "timeout";
    case FlowEndReason::kForced: return "forced";
    case FlowEndReason::kShutdown: return "shutdown";
  }
  return "timeout";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Worker: owns its flow table, TCP tracker and consumers; pops slots from every capture.
struct alignas(64) WorkerStats {
  Counter packets;
  Counter bytes;
  Counter flow_events_dropped;  // live: output ring full
  Counter heartbeat;            // loop iterations: liveness
  Counter alerts_dropped;       // live: alert ring full
};

struct Worker final : FlowEndSink, sig::AlertSink {
  Worker(int idx, const config::SensorConfig& cfg, std::size_t flow_capacity, int nworkers,
         bool live_mode, uint64_t id_seed)
      : index(idx),
        live(live_mode),
        flow_events(cfg.outputs.flow_events),
        flows(FlowTableConfig{flow_capacity, cfg.flow_timeouts}, static_cast<uint32_t>(idx),
              id_seed, this),
        tcp(TcpConfig{flow_capacity, cfg.stream_memcap / static_cast<std::size_t>(nworkers),
                      cfg.stream_per_flow, cfg.stream_midstream},
            flows),
        out(kFlowRing),
        alerts(kAlertRing) {}

  void on_alert(const sig::Alert& a) noexcept override {
    if (live) {
      if (!alerts.push(a)) stats.alerts_dropped.inc();
      return;
    }
    Backoff b;
    while (!alerts.push(a)) b.wait();  // offline: lossless
  }

  // Picks up a rule set published by Pipeline::set_rules (between packets).
  void poll_rules(const std::atomic<uint64_t>& gen,
                  const std::atomic<std::shared_ptr<const sig::CompiledRules>>& latest) noexcept {
    const uint64_t g = gen.load(std::memory_order_acquire);
    if (g == rules_gen.load(std::memory_order_relaxed) || !detector) return;
    detector->set_rules(latest.load(std::memory_order_acquire));
    rules_gen.store(g, std::memory_order_release);
  }

  void on_flow_end(Flow& f, FlowEndReason reason, Nanos when) noexcept override {
    if (f.key.ip_proto == 6) tcp.end(f, when);
    if (!flow_events) return;
    exporters::FlowEvent ev{};
    ev.flow_id = f.id;
    ev.start = f.start;
    ev.end = f.last;
    ev.src = f.key.client;
    ev.dst = f.key.server;
    ev.sport = f.key.client_port;
    ev.dport = f.key.server_port;
    ev.ip_proto = f.key.ip_proto;
    ev.vlan[0] = f.key.vlan[0];
    ev.vlan[1] = f.key.vlan[1];
    ev.vlan_count = f.key.vlan_count;
    ev.pkts_toserver = f.pkts[0];
    ev.pkts_toclient = f.pkts[1];
    ev.bytes_toserver = f.bytes[0];
    ev.bytes_toclient = f.bytes[1];
    ev.state = state_name(f.state);
    ev.reason = reason_name(reason);
    ev.alerted = false;
    ev.tcp_flags_ts = f.tcp_flags_seen[0];
    ev.tcp_flags_tc = f.tcp_flags_seen[1];
    if (live) {
      if (!out.push(ev)) stats.flow_events_dropped.inc();
      return;
    }
    Backoff b;
    while (!out.push(ev)) b.wait();  // offline: lossless
  }

  void process(PacketSlot& s) noexcept {
    const PacketView& p = s.view;
    stats.packets.inc();
    stats.bytes.inc(p.wirelen);
    if (p.ts > now) now = p.ts;
    if (p.ip_version != 0) {
      const FlowTable::Lookup lk = flows.lookup(p, s.hash);
      if (lk.flow && p.l4 == L4::kTcp) tcp.process(*lk.flow, lk.dir, p);
      if (detector) detector->inspect(lk.flow, lk.dir, p);
      if (feeds && p.l4 == L4::kUdp) feeds->on_udp(p, lk.flow ? lk.flow->id : 0);
    }
    if (now >= next_expire) tick();
  }

  // Once per second of packet time (and when idle live): timeouts and time-driven detections.
  void tick() noexcept {
    flows.expire(now);
    if (fix) fix->tick(now);
    if (feeds) feeds->tick(now);
    next_expire = now + kNanosPerSec;
  }

  int index;
  bool live;
  bool flow_events;
  FlowTable flows;
  TcpTracker tcp;
  FlowRing out;
  AlertRing alerts;
  std::unique_ptr<sig::Detector> detector;
  std::unique_ptr<detectors::FixInspector> fix;
  std::unique_ptr<detectors::FeedTracker> feeds;
  std::atomic<uint64_t> rules_gen{0};
  std::vector<std::unique_ptr<StreamConsumer>> consumers;
  Nanos now = 0;
  Nanos next_expire = 0;
  WorkerStats stats;
  std::atomic<bool> done{false};
  std::thread thread;
};

// ---------------------------------------------------------------------------------------
// Capture thread: reads one source, decodes, dispatches batches of slots to workers.
struct CaptureThread final : FrameHandler {
  CaptureThread(std::unique_ptr<CaptureSource> s, uint16_t iface_idx,
                const config::SensorConfig& cfg, int nworkers)
      : src(std::move(s)),
        iface(iface_idx),
        live(src->live()),
        pool(cfg.capture.pool_slots, cfg.capture.slot_bytes, cfg.capture.jumbo_slots,
             std::max<std::size_t>(static_cast<std::size_t>(cfg.capture.snaplen), 65536 + 256)),
        defrag(DefragConfig{cfg.defrag_memcap, cfg.defrag_timeout}),
        decoder(cfg.decode, &defrag),
        pending(static_cast<std::size_t>(nworkers)),
        pending_n(static_cast<std::size_t>(nworkers), 0) {
    for (int w = 0; w < nworkers; ++w) {
      to_worker.push_back(std::make_unique<SlotRing>(cfg.ring_size));
      // A return ring can hold every slot of the pool, so a worker never waits on it.
      from_worker.push_back(std::make_unique<SlotRing>(pool.size() + 1));
      pending[static_cast<std::size_t>(w)].resize(kBatch);
    }
  }

  void drain_returns() noexcept {
    uint32_t buf[kBatch];
    for (auto& r : from_worker) {
      std::size_t n;
      while ((n = r->pop(buf, kBatch)) > 0)
        for (std::size_t i = 0; i < n; ++i) pool.release(buf[i]);
    }
  }

  // Pushes worker w's pending batch. Offline waits for room; live drops what does not fit.
  void flush(std::size_t w) noexcept {
    uint32_t* b = pending[w].data();
    std::size_t n = pending_n[w];
    pending_n[w] = 0;
    Backoff bo;
    while (n > 0) {
      const std::size_t pushed = to_worker[w]->push(b, n);
      b += pushed;
      n -= pushed;
      if (n == 0) break;
      if (live) {
        stats.drop_ring.inc(n);
        for (std::size_t i = 0; i < n; ++i) pool.release(b[i]);
        break;
      }
      drain_returns();
      bo.wait();
    }
  }
  void flush_all() noexcept {
    for (std::size_t w = 0; w < pending.size(); ++w)
      if (pending_n[w]) flush(w);
  }

  // A free slot for `bytes`; offline waits (flushing so workers can return slots).
  uint32_t acquire(std::size_t bytes) noexcept {
    uint32_t idx = pool.acquire(bytes);
    if (idx != PacketPool::kNone || bytes > pool.max_frame()) return idx;
    drain_returns();
    idx = pool.acquire(bytes);
    if (idx != PacketPool::kNone || live) return idx;
    flush_all();
    Backoff bo;
    while ((idx = pool.acquire(bytes)) == PacketPool::kNone) {
      bo.wait();
      drain_returns();
    }
    return idx;
  }

  void dispatch(uint32_t idx) noexcept {
    PacketSlot& s = pool.slot(idx);
    s.hash = flow_hash(s.view);
    const std::size_t w =
        static_cast<std::size_t>((static_cast<uint64_t>(s.hash) * pending.size()) >> 32);
    pending[w][pending_n[w]++] = idx;
    if (pending_n[w] == kBatch) flush(w);
  }

  void on_frame(LinkType lt, Nanos ts, const uint8_t* data, uint32_t caplen,
                uint32_t wirelen, bool stable) noexcept override {
    stats.packets.inc();
    stats.bytes.inc(wirelen);
    // A stable frame (mapped capture file) is decoded in place: the slot carries only the view.
    const uint32_t idx = acquire(stable ? 0 : caplen);
    if (idx == PacketPool::kNone) {
      if (caplen > pool.max_frame()) stats.drop_oversize.inc();
      else stats.drop_pool.inc();
      return;
    }
    PacketSlot& s = pool.slot(idx);
    const uint8_t* frame = data;
    if (!stable) {
      std::memcpy(s.data, data, caplen);
      frame = s.data;
    }
    s.view.iface = iface;  // decode() resets the view except iface (defrag keys on it)
    const DecodeResult r = decoder.decode(lt, ts, frame, caplen, wirelen, s.view);
    s.view.pcap_cnt = stats.packets.get();
    switch (r) {
      case DecodeResult::kOk:
      case DecodeResult::kNotIp:
        dispatch(idx);
        return;
      case DecodeResult::kInvalid:
      case DecodeResult::kFragmentHeld:
        pool.release(idx);
        return;
      case DecodeResult::kReassembled:
        break;
    }
    // The view points into defragmenter storage: copy the datagram into a slot of its own.
    const PacketView v = s.view;
    pool.release(idx);
    const uint32_t j = acquire(v.caplen);
    if (j == PacketPool::kNone) {
      stats.drop_pool.inc();
      return;
    }
    PacketSlot& js = pool.slot(j);
    std::memcpy(js.data, v.frame, v.caplen);
    js.view = v;
    js.view.frame = js.data;
    js.view.payload = v.payload ? js.data + (v.payload - v.frame) : nullptr;
    dispatch(j);
  }

  void run(const std::atomic<bool>& stop) {
    Nanos last_stats = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      drain_returns();
      int got = 0;
      const CaptureSource::ReadStatus st = src->read(kBatch * 4, *this, &got);
      if (st == CaptureSource::ReadStatus::kError) {
        error = src->last_error();
        break;
      }
      if (st == CaptureSource::ReadStatus::kEnd) break;
      if (live || st == CaptureSource::ReadStatus::kIdle) flush_all();
      const Nanos now = wall_now();
      if (now - last_stats > 200 * kNanosPerMs) {
        src->update_stats(stats);
        last_stats = now;
      }
    }
    flush_all();
    src->update_stats(stats);
    done.store(true, std::memory_order_release);
  }

  std::unique_ptr<CaptureSource> src;
  uint16_t iface;
  bool live;
  PacketPool pool;
  Defragmenter defrag;
  Decoder decoder;
  CaptureStats stats;
  std::vector<std::unique_ptr<SlotRing>> to_worker;    // [worker]
  std::vector<std::unique_ptr<SlotRing>> from_worker;  // [worker]
  std::vector<std::vector<uint32_t>> pending;          // [worker][kBatch]
  std::vector<std::size_t> pending_n;
  std::string error;
  std::atomic<bool> done{false};
  std::thread thread;
};

// ---------------------------------------------------------------------------------------
struct Pipeline::Impl {
  config::SensorConfig cfg;
  PipelineOptions opts;
  std::vector<ConsumerFactory> factories;
  std::vector<std::unique_ptr<CaptureThread>> captures;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<exporters::EveWriter> eve;
  // Rule sets: every generation still referenced (main thread); the newest is published to
  // workers through `latest_rules` + `rules_gen`.
  struct RuleGen {
    std::shared_ptr<const sig::CompiledRules> rules;
    uint64_t gen = 0;
    uint64_t output_loops_at_switch = 0;  // output loop count once every worker switched
  };
  std::vector<RuleGen> rule_gens;
  std::atomic<std::shared_ptr<const sig::CompiledRules>> latest_rules;
  std::atomic<uint64_t> rules_gen{0};
  // Output thread state: thresholds and the alerts it logged (single writer).
  sig::ThresholdEngine thresholds{kThresholdEntries};
  const sig::CompiledRules* threshold_rules = nullptr;
  // Built-in detections as rules (message, category, configured thresholds).
  std::unique_ptr<detectors::BuiltinRules> builtin_rules;
  // The workers' FIX inspectors and feed trackers (fixed at open), for stats and metrics.
  std::vector<const detectors::FixInspector*> fix_inspectors;
  std::vector<const detectors::FeedTracker*> feed_trackers;
  std::array<Counter, 4> alerts_logged;  // by severity 1..4 (index = sev - 1)
  Counter alerts_suppressed;             // by threshold, suppress or rate_filter
  Counter output_loops;
  // Alerts logged per gid:sid (output thread; read by main after finish()).
  std::map<std::pair<uint32_t, uint32_t>, std::pair<std::string, uint64_t>> by_signature;
  std::atomic<bool> stop{false};
  std::atomic<bool> outputs_done{false};
  std::thread output_thread;
  Nanos started_wall = 0;
  bool live = false;
  bool finished_called = false;

  void worker_loop(Worker& w) {
    uint32_t buf[kBatch];
    Backoff bo;
    Nanos idle_since = 0;
    for (;;) {
      w.stats.heartbeat.inc();
      w.poll_rules(rules_gen, latest_rules);
      std::size_t total = 0;
      for (auto& c : captures) {
        SlotRing& in = *c->to_worker[static_cast<std::size_t>(w.index)];
        const std::size_t n = in.pop(buf, kBatch);
        if (n == 0) continue;
        for (std::size_t i = 0; i < n; ++i) w.process(c->pool.slot(buf[i]));
        c->from_worker[static_cast<std::size_t>(w.index)]->push(buf, n);
        total += n;
      }
      if (total > 0) {
        bo.reset();
        idle_since = 0;
        continue;
      }
      bool all_done = true;
      for (auto& c : captures)
        if (!c->done.load(std::memory_order_acquire) ||
            c->to_worker[static_cast<std::size_t>(w.index)]->read_available() > 0)
          all_done = false;
      if (all_done) break;
      if (live) {
        // Live and idle: wall-clock time moves flow timeouts on when traffic stops.
        const Nanos now = wall_now();
        if (idle_since == 0) idle_since = now;
        if (now - idle_since > 100 * kNanosPerMs && now > w.now) {
          w.now = now;
          if (w.now >= w.next_expire) w.tick();
          idle_since = now;
        }
      }
      bo.wait();
    }
    w.flows.flush(FlowEndReason::kShutdown, w.now);
    w.done.store(true, std::memory_order_release);
  }

  void output_loop() {
    Nanos last_stats = wall_now();
    const Nanos interval = static_cast<Nanos>(cfg.outputs.stats_interval_s) * kNanosPerSec;
    for (;;) {
      std::size_t n = 0;
      exporters::FlowEvent ev;
      for (auto& w : workers) {
        while (w->out.pop(ev)) {
          if (eve) eve->write_flow(ev);
          ++n;
        }
        n += drain_alerts(*w);
      }
      output_loops.inc();
      if (live && interval > 0 && wall_now() - last_stats >= interval) {
        write_stats();
        last_stats = wall_now();
      }
      if (n > 0) continue;
      bool all_done = true;
      for (auto& w : workers)
        if (!w->done.load(std::memory_order_acquire) || w->out.read_available() > 0 ||
            w->alerts.read_available() > 0)
          all_done = false;
      if (all_done) break;
      if (eve) eve->flush();
      timespec t{0, 1'000'000};
      nanosleep(&t, nullptr);
    }
    if (eve) eve->flush();
    outputs_done.store(true, std::memory_order_release);
  }

  std::vector<std::pair<std::string, uint64_t>> counters() const;

  // Output thread: thresholds, then the EVE alert event, for every alert a worker queued.
  std::size_t drain_alerts(Worker& w) {
    std::size_t n = 0;
    sig::Alert a;
    while (w.alerts.pop(a)) {
      ++n;
      const sig::Rule* r = nullptr;
      if (a.rules) {
        if (a.rules != threshold_rules) {
          thresholds.set_config(a.rules->ruleset().thresholds);
          threshold_rules = a.rules;
        }
        r = &a.rules->rule(a.rule);
      } else {
        // Built-in detectors: threshold.config (suppress, thresholds by gen_id) applies too.
        r = builtin_rules->find(a.gid, a.sid);
      }
      if (r && !thresholds.allow(*r, a)) {
        alerts_suppressed.inc();
        continue;
      }
      const int sev = std::clamp<int>(a.severity, 1, 4);
      alerts_logged[static_cast<std::size_t>(sev - 1)].inc();
      auto& bs = by_signature[{a.gid, a.sid}];
      if (bs.second++ == 0 && r) bs.first = r->msg;
      if (!eve) continue;
      exporters::AlertRecord rec;
      rec.ts = a.ts;
      rec.flow_id = a.flow_id;
      rec.pcap_cnt = a.pcap_cnt;
      rec.src = a.src;
      rec.dst = a.dst;
      rec.sport = a.sport;
      rec.dport = a.dport;
      rec.ip_proto = a.ip_proto;
      rec.icmp_type = a.icmp_type;
      rec.icmp_code = a.icmp_code;
      if (a.flow_id) rec.direction = a.to_server ? "to_server" : "to_client";
      rec.stream = a.stream ? 1 : 0;
      rec.blocked = a.blocked;
      rec.gid = a.gid;
      rec.sid = a.sid;
      rec.rev = a.rev;
      rec.severity = a.severity;
      if (r) {
        rec.signature = r->msg;
        rec.category = r->category;
      }
      if (a.app) {
        rec.app = a.app;
        rec.app_json = std::string_view(a.detail, strnlen(a.detail, sizeof a.detail));
      }
      eve->write_alert(rec);
    }
    return n;
  }

  // Totals over the threads that own each counter, read relaxed at call time. The stats
  // event, the metrics and the terminal summary all read through these.
  uint64_t capture_sum(const Counter CaptureStats::*f) const {
    uint64_t v = 0;
    for (auto& c : captures) v += (c->stats.*f).get();
    return v;
  }
  uint64_t decode_sum(const Counter DecodeStats::*f) const {
    uint64_t v = 0;
    for (auto& c : captures) v += (c->decoder.stats().*f).get();
    return v;
  }
  uint64_t decode_event_sum(std::size_t e) const {
    uint64_t v = 0;
    for (auto& c : captures) v += c->decoder.stats().events[e].get();
    return v;
  }
  uint64_t flow_sum(const Counter FlowStats::*f) const {
    uint64_t v = 0;
    for (auto& w : workers) v += (w->flows.stats().*f).get();
    return v;
  }
  uint64_t tcp_sum(const Counter TcpStats::*f) const {
    uint64_t v = 0;
    for (auto& w : workers) v += (w->tcp.stats().*f).get();
    return v;
  }
  uint64_t worker_sum(const Counter WorkerStats::*f) const {
    uint64_t v = 0;
    for (auto& w : workers) v += (w->stats.*f).get();
    return v;
  }
  uint64_t alerts(int severity) const {  // 1..4, as logged (after thresholds)
    return alerts_logged[static_cast<std::size_t>(severity - 1)].get();
  }
  uint64_t alerts_total() const { return alerts(1) + alerts(2) + alerts(3) + alerts(4); }
  // Gauges are summed signed: one worker's decrement may be read before another's increment.
  uint64_t flows_active() const {
    int64_t v = 0;
    for (auto& w : workers) v += w->flows.stats().active.get();
    return v < 0 ? 0 : static_cast<uint64_t>(v);
  }
  uint64_t reassembly_bytes() const {
    int64_t v = 0;
    for (auto& w : workers) v += w->tcp.stats().reassembly_bytes.get();
    return v < 0 ? 0 : static_cast<uint64_t>(v);
  }

  void write_stats() {
    if (!eve) return;
    const Nanos now = wall_now();
    eve->write_stats(now, counters(), static_cast<double>(now - started_wall) / 1e9);
    eve->flush();
  }
};

Pipeline::Pipeline(const config::SensorConfig& cfg, PipelineOptions opts)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = cfg;
  impl_->opts = std::move(opts);
  impl_->live = !impl_->opts.interfaces.empty();
  if (impl_->opts.workers < 1) impl_->opts.workers = 1;
}

Pipeline::~Pipeline() {
  if (!impl_->finished_called && (impl_->output_thread.joinable())) {
    request_stop();
    finish();
  }
}

void Pipeline::add_stream_consumer(ConsumerFactory f) { impl_->factories.push_back(std::move(f)); }

bool Pipeline::open(std::string* error) {
  Impl& m = *impl_;
  const int nw = m.opts.workers;
  if (m.live) {
    uint16_t i = 0;
    for (const std::string& ifc : m.opts.interfaces) {
      auto src = CaptureSource::open_live(ifc, m.cfg.capture, error);
      if (!src) return false;
      m.captures.push_back(std::make_unique<CaptureThread>(std::move(src), i++, m.cfg, nw));
    }
  } else {
    auto src = CaptureSource::open_files(m.opts.files, error);
    if (!src) return false;
    m.captures.push_back(std::make_unique<CaptureThread>(std::move(src), 0, m.cfg, nw));
  }
  const std::size_t per_flow = flow_table_bytes_per_flow() + TcpTracker::bytes_per_flow() +
                               (m.opts.rules ? sig::Detector::bytes_per_flow(m.opts.rules.get()) : 0) +
                               (m.cfg.fix.enabled ? detectors::FixInspector::bytes_per_flow() : 0);
  const std::size_t capacity =
      std::max<std::size_t>(1024, m.cfg.flow_memcap / static_cast<std::size_t>(nw) / per_flow);
  const uint64_t seed = static_cast<uint64_t>(wall_now());
  for (int w = 0; w < nw; ++w) {
    auto wk = std::make_unique<Worker>(w, m.cfg, capacity, nw, m.live, seed);
    if (m.opts.rules) {
      sig::DetectorConfig dc;
      dc.flow_capacity = capacity;
      dc.stream_state_memcap = m.cfg.detect.stream_state_memcap / static_cast<std::size_t>(nw);
      dc.stream_window = m.cfg.detect.stream_window;
      dc.stream_window_memcap = m.cfg.detect.stream_window_memcap / static_cast<std::size_t>(nw);
      wk->detector = std::make_unique<sig::Detector>(m.opts.rules, dc, wk.get());
      wk->tcp.add_consumer(wk->detector.get());
    }
    if (m.cfg.fix.enabled) {
      wk->fix = std::make_unique<detectors::FixInspector>(m.cfg.fix, capacity, nw, wk.get());
      wk->tcp.add_consumer(wk->fix.get());
      m.fix_inspectors.push_back(wk->fix.get());
    }
    if (!m.cfg.feeds.empty()) {
      wk->feeds = std::make_unique<detectors::FeedTracker>(m.cfg.feeds, wk.get());
      m.feed_trackers.push_back(wk->feeds.get());
    }
    for (auto& f : m.factories) {
      wk->consumers.push_back(f(w));
      wk->tcp.add_consumer(wk->consumers.back().get());
    }
    m.workers.push_back(std::move(wk));
  }
  m.builtin_rules = std::make_unique<detectors::BuiltinRules>(m.cfg);
  if (m.opts.rules) {
    // threshold.config applies to built-in detections from the first alert on.
    m.thresholds.set_config(m.opts.rules->ruleset().thresholds);
    m.threshold_rules = m.opts.rules.get();
    m.rule_gens.push_back(Impl::RuleGen{m.opts.rules, 0, 0});
    m.latest_rules.store(std::move(m.opts.rules));  // from here on rule_gens owns the sets
  }
  m.eve = std::make_unique<exporters::EveWriter>(m.opts.log_dir);
  if (!m.eve->open(error)) return false;
  return true;
}

void Pipeline::start() {
  Impl& m = *impl_;
  m.started_wall = wall_now();
  for (auto& w : m.workers) w->thread = std::thread([&m, wp = w.get()] { m.worker_loop(*wp); });
  m.output_thread = std::thread([&m] { m.output_loop(); });
  for (auto& c : m.captures) c->thread = std::thread([&m, cp = c.get()] { cp->run(m.stop); });
}

void Pipeline::set_rules(std::shared_ptr<const sig::CompiledRules> rules) {
  Impl& m = *impl_;
  reclaim_rules();
  const uint64_t gen = m.rules_gen.load(std::memory_order_relaxed) + 1;
  m.rule_gens.push_back(Impl::RuleGen{rules, gen, 0});
  m.latest_rules.store(std::move(rules), std::memory_order_release);
  m.rules_gen.store(gen, std::memory_order_release);
}

void Pipeline::reclaim_rules() {
  Impl& m = *impl_;
  // Free generations nothing can refer to any more: every worker moved past them and the
  // output thread has looped twice since (so it popped every alert queued before the switch).
  const uint64_t loops = m.output_loops.get();
  const uint64_t newest = m.rules_gen.load(std::memory_order_relaxed);
  if (workers_on_latest_rules() == static_cast<int>(m.workers.size())) {
    for (auto& g : m.rule_gens)
      if (g.gen < newest && g.output_loops_at_switch == 0) g.output_loops_at_switch = loops;
    std::erase_if(m.rule_gens, [&](const Impl::RuleGen& g) {
      return g.gen < newest && g.output_loops_at_switch != 0 &&
             (loops >= g.output_loops_at_switch + 2 || m.finished_called);
    });
  }
}

int Pipeline::workers_on_latest_rules() const noexcept {
  const uint64_t g = impl_->rules_gen.load(std::memory_order_acquire);
  int n = 0;
  for (auto& w : impl_->workers)
    if (w->rules_gen.load(std::memory_order_acquire) == g) ++n;
  return n;
}

void Pipeline::request_stop() noexcept { impl_->stop.store(true, std::memory_order_relaxed); }

bool Pipeline::finished() const noexcept {
  return impl_->outputs_done.load(std::memory_order_acquire);
}

void Pipeline::finish() {
  Impl& m = *impl_;
  if (m.finished_called) return;
  m.finished_called = true;
  for (auto& c : m.captures)
    if (c->thread.joinable()) c->thread.join();
  for (auto& w : m.workers)
    if (w->thread.joinable()) w->thread.join();
  if (m.output_thread.joinable()) m.output_thread.join();
  m.write_stats();
  if (!m.live && m.cfg.outputs.metrics_file) {
    exporters::MetricsRegistry reg;
    reg.add_callback([this](exporters::MetricsSink& s) { collect_metrics(s); });
    std::string err;
    if (!reg.write_file(m.opts.log_dir + "/metrics.prom", &err))
      std::fprintf(stderr, "warning: %s\n", err.c_str());
  }
}

std::string Pipeline::error() const {
  for (auto& c : impl_->captures)
    if (!c->error.empty()) return c->error;
  return {};
}

bool Pipeline::live() const noexcept { return impl_->live; }
int Pipeline::workers() const noexcept { return impl_->opts.workers; }

Progress Pipeline::progress() const noexcept {
  Progress p;
  for (auto& c : impl_->captures) {
    p.input_bytes_read += c->stats.input_bytes_read.get();
    p.input_bytes_total += c->src->input_total_bytes();
    p.packets += c->stats.packets.get();
  }
  for (int sev = 1; sev <= 4; ++sev) p.alerts_by_severity[sev - 1] = impl_->alerts(sev);
  p.alerts = impl_->alerts_total();
  return p;
}

std::vector<Pipeline::SignatureCount> Pipeline::top_signatures(std::size_t n) const {
  std::vector<SignatureCount> v;
  for (const auto& [k, val] : impl_->by_signature)
    v.push_back(SignatureCount{k.first, k.second, val.first, val.second});
  std::stable_sort(v.begin(), v.end(),
                   [](const SignatureCount& a, const SignatureCount& b) { return a.count > b.count; });
  if (v.size() > n) v.resize(n);
  return v;
}

std::vector<std::pair<std::string, uint64_t>> Pipeline::stats_counters() const {
  return impl_->counters();
}

void Pipeline::write_stats_event() { impl_->write_stats(); }

std::vector<std::pair<std::string, uint64_t>> Pipeline::Impl::counters() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(128);
  auto add = [&out](const char* name, uint64_t v) { out.emplace_back(name, v); };

  add("capture.kernel_packets", capture_sum(&CaptureStats::kernel_packets));
  add("capture.kernel_drops", capture_sum(&CaptureStats::kernel_drops));
  add("capture.kernel_ifdrops", capture_sum(&CaptureStats::kernel_ifdrops));
  add("capture.ring_drops", capture_sum(&CaptureStats::drop_ring));
  add("capture.pool_drops", capture_sum(&CaptureStats::drop_pool));
  add("capture.oversize_drops", capture_sum(&CaptureStats::drop_oversize));

#define TS_DEC(field) add("decoder." #field, decode_sum(&DecodeStats::field))
  TS_DEC(pkts); TS_DEC(bytes); TS_DEC(invalid); TS_DEC(ipv4); TS_DEC(ipv6);
  TS_DEC(ethernet); TS_DEC(raw); TS_DEC(sll); TS_DEC(tcp); TS_DEC(udp); TS_DEC(icmpv4);
  TS_DEC(icmpv6); TS_DEC(arp); TS_DEC(vlan); TS_DEC(vlan_qinq); TS_DEC(gre); TS_DEC(erspan);
  TS_DEC(vxlan); TS_DEC(mpls); TS_DEC(pppoe); TS_DEC(ppp); TS_DEC(ipv4_in_ipv6);
  TS_DEC(ipv6_in_ipv4); TS_DEC(other_ip);
#undef TS_DEC
  add("defrag.ipv4.fragments", decode_sum(&DecodeStats::ipv4_frag));
  add("defrag.ipv6.fragments", decode_sum(&DecodeStats::ipv6_frag));
  add("defrag.reassembled", decode_sum(&DecodeStats::frag_reassembled));
  for (std::size_t e = 0; e < kDecodeEventCount; ++e) {
    const uint64_t v = decode_event_sum(e);
    if (v == 0) continue;  // Suricata lists events that occurred
    out.emplace_back("decoder.event." + std::string(decode_event_name(static_cast<DecodeEvent>(e))), v);
  }

  add("flow.total", flow_sum(&FlowStats::created));
  add("flow.tcp", flow_sum(&FlowStats::tcp));
  add("flow.udp", flow_sum(&FlowStats::udp));
  add("flow.icmp", flow_sum(&FlowStats::icmp));
  add("flow.other", flow_sum(&FlowStats::other));
  add("flow.active", flows_active());
  add("flow.timeout", flow_sum(&FlowStats::timed_out));
  add("flow.evicted", flow_sum(&FlowStats::evicted));

#define TS_TCP(field, name) add("tcp." name, tcp_sum(&TcpStats::field))
  TS_TCP(sessions, "sessions"); TS_TCP(syn, "syn"); TS_TCP(synack, "synack");
  TS_TCP(rst, "rst"); TS_TCP(fin, "fin"); TS_TCP(handshakes, "handshakes");
  TS_TCP(midstream_pickups, "midstream_pickups"); TS_TCP(retransmissions, "retransmissions");
  TS_TCP(out_of_order, "out_of_order"); TS_TCP(lost_segment, "lost_segments");
  TS_TCP(gaps, "reassembly_gap");
  TS_TCP(gap_bytes, "reassembly_gap_bytes"); TS_TCP(zero_windows, "zero_windows");
  TS_TCP(reassembly_memcap_drops, "segment_memcap_drop");
  TS_TCP(bytes_delivered, "stream_bytes");
#undef TS_TCP
  add("output.flow_events_dropped", worker_sum(&WorkerStats::flow_events_dropped));
  add("detect.alert", alerts_total());
  add("detect.alerts_suppressed", alerts_suppressed.get());
  add("detect.alert_queue_overflow", worker_sum(&WorkerStats::alerts_dropped));
  {
    uint64_t inspected = 0, stream_bytes = 0, candidates = 0, matches = 0, memcap = 0;
    for (auto& w : workers) {
      if (!w->detector) continue;
      const sig::DetectorStats& d = w->detector->stats();
      inspected += d.packets_inspected.get();
      stream_bytes += d.stream_bytes_scanned.get();
      candidates += d.candidates.get();
      matches += d.matches.get();
      memcap += d.stream_state_memcap_drops.get();
    }
    add("detect.packets_inspected", inspected);
    add("detect.stream_bytes_scanned", stream_bytes);
    add("detect.candidates", candidates);
    add("detect.matches", matches);
    add("detect.stream_state_memcap_drops", memcap);
  }
  if (!fix_inspectors.empty()) detectors::FixInspector::add_stats(fix_inspectors, out);
  if (!feed_trackers.empty()) detectors::FeedTracker::add_stats(feed_trackers, cfg.feeds, out);
  return out;
}

}  // namespace ts

namespace ts {

void Pipeline::collect_metrics(exporters::MetricsSink& s) const {
  const Impl& m = *impl_;
  using L = exporters::MetricLabels;
  auto d = [](uint64_t v) { return static_cast<double>(v); };
  for (auto& c : m.captures) {
    const std::string& ifc = c->src->name();
    const CaptureStats& st = c->stats;
    s.counter("tradesentry_packets_total", "Frames captured, per interface", L{{"interface", ifc}},
              d(st.packets.get()));
    s.counter("tradesentry_bytes_total", "Bytes on the wire of frames captured, per interface",
              L{{"interface", ifc}}, d(st.bytes.get()));
    const std::pair<const char*, uint64_t> drops[] = {
        {"kernel", st.kernel_drops.get()}, {"interface", st.kernel_ifdrops.get()},
        {"ring", st.drop_ring.get()}, {"pool", st.drop_pool.get()},
        {"oversize", st.drop_oversize.get()}};
    for (auto& [stage, v] : drops)
      s.counter("tradesentry_dropped_packets_total",
                "Packets lost before inspection, per interface and pipeline stage",
                L{{"interface", ifc}, {"stage", stage}}, d(v));
    s.counter("tradesentry_capture_kernel_packets_total",
              "Packets the kernel passed to capture (pcap_stats; offline: frames read)",
              L{{"interface", ifc}}, d(st.kernel_packets.get()));
  }
  for (int sev = 1; sev <= 4; ++sev)
    s.counter("tradesentry_alerts_total", "Alerts raised, per severity (1 highest)",
              L{{"severity", std::to_string(sev)}}, d(m.alerts(sev)));

  s.counter("tradesentry_decoder_invalid_packets_total", "Frames dropped as malformed", L{},
            d(m.decode_sum(&DecodeStats::invalid)));
  for (std::size_t e = 0; e < kDecodeEventCount; ++e)
    s.counter("tradesentry_decoder_events_total", "Decoder anomalies, per reason",
              L{{"reason", std::string(decode_event_name(static_cast<DecodeEvent>(e)))}},
              d(m.decode_event_sum(e)));

  s.gauge("tradesentry_flows_active", "Flows tracked now", L{}, d(m.flows_active()));
  s.counter("tradesentry_flows_total", "Flows created", L{}, d(m.flow_sum(&FlowStats::created)));
  s.counter("tradesentry_flows_evicted_total", "Flows ended early because the flow table was full",
            L{}, d(m.flow_sum(&FlowStats::evicted)));
  s.counter("tradesentry_flows_timed_out_total", "Flows ended by their idle timeout", L{},
            d(m.flow_sum(&FlowStats::timed_out)));

  auto tcp = [&m, &d](const Counter TcpStats::*f) { return d(m.tcp_sum(f)); };
  s.counter("tradesentry_tcp_retransmitted_segments_total", "TCP segments retransmitted", L{},
            tcp(&TcpStats::retransmissions));
  s.counter("tradesentry_tcp_out_of_order_segments_total", "TCP segments arriving out of order",
            L{}, tcp(&TcpStats::out_of_order));
  s.counter("tradesentry_tcp_lost_segments_total",
            "TCP segments following a hole never captured (previous segment not captured)", L{},
            tcp(&TcpStats::lost_segment));
  s.counter("tradesentry_tcp_stream_gaps_total", "Holes in TCP streams delivered as gaps", L{},
            tcp(&TcpStats::gaps));
  s.counter("tradesentry_tcp_resets_total", "TCP segments with RST", L{}, tcp(&TcpStats::rst));
  s.counter("tradesentry_tcp_zero_windows_total", "TCP segments advertising a zero window", L{},
            tcp(&TcpStats::zero_windows));
  s.counter("tradesentry_tcp_handshakes_total", "Completed TCP three-way handshakes", L{},
            tcp(&TcpStats::handshakes));
  s.counter("tradesentry_tcp_reassembly_memcap_drops_total",
            "Out-of-order TCP segments not buffered because a reassembly cap was reached", L{},
            tcp(&TcpStats::reassembly_memcap_drops));
  s.gauge("tradesentry_tcp_reassembly_bytes", "Out-of-order TCP bytes buffered now", L{},
          d(m.reassembly_bytes()));
  for (auto& w : m.workers) {
    const L wl{{"worker", std::to_string(w->index)}};
    s.counter("tradesentry_worker_packets_total", "Packets inspected, per worker", wl,
              d(w->stats.packets.get()));
    s.counter("tradesentry_worker_loops_total",
              "Worker loop iterations (liveness: stops rising if a worker hangs)", wl,
              d(w->stats.heartbeat.get()));
  }
  s.counter("tradesentry_alerts_dropped_total",
            "Alerts lost because the worker-to-output ring was full (live)", L{},
            d(m.worker_sum(&WorkerStats::alerts_dropped)));
  s.counter("tradesentry_alerts_suppressed_total",
            "Rule matches not logged because of threshold, detection_filter, suppress or rate_filter",
            L{}, d(m.alerts_suppressed.get()));
  {
    uint64_t memcap = 0, scanned = 0;
    int64_t state = 0;
    for (auto& w : m.workers) {
      if (!w->detector) continue;
      const sig::DetectorStats& ds = w->detector->stats();
      memcap += ds.stream_state_memcap_drops.get();
      scanned += ds.stream_bytes_scanned.get();
      state += ds.stream_state_bytes.get();
    }
    s.counter("tradesentry_detect_stream_bytes_total",
              "TCP stream bytes scanned by the signature engine", L{}, d(scanned));
    s.gauge("tradesentry_detect_stream_state_bytes",
            "Hyperscan stream state held for TCP flow directions now", L{},
            d(state < 0 ? 0 : static_cast<uint64_t>(state)));
    s.counter("tradesentry_detect_stream_state_memcap_drops_total",
              "TCP flow directions not stream-scanned because the stream state cap was reached",
              L{}, d(memcap));
  }
  if (!m.fix_inspectors.empty())
    detectors::FixInspector::collect_metrics(m.fix_inspectors, m.cfg.fix.max_sessions, s);
  if (!m.feed_trackers.empty())
    detectors::FeedTracker::collect_metrics(m.feed_trackers, m.cfg.feeds, s);
  s.counter("tradesentry_flow_events_dropped_total",
            "EVE flow events lost because the output ring was full (live)", L{},
            d(m.worker_sum(&WorkerStats::flow_events_dropped)));
}

}  // namespace ts
