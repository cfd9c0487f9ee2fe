// ThresholdEngine: decides which rule matches become logged alerts, with Suricata's
// threshold, detection_filter, suppress and rate_filter semantics, on packet time.
// Runs on the output thread only (single-threaded, no locks). Memory is bounded: at most
// max_entries tracking entries (made on first need, then reused); when all are in use the
// least recently used one is evicted, and counted if its window was still open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "signatures/alert.h"
#include "signatures/rule.h"

namespace ts::sig {

// What happens to one alert.
struct ThresholdDecision {
  bool log = true;             // false: suppressed or thresholded away
  bool rate_filtered = false;  // a rate_filter is active: `action` replaces the rule's
  Action action = Action::kAlert;
};

class ThresholdEngine {
 public:
  explicit ThresholdEngine(std::size_t max_entries = 65536);
  ~ThresholdEngine();
  ThresholdEngine(const ThresholdEngine&) = delete;
  ThresholdEngine& operator=(const ThresholdEngine&) = delete;

  // Rules and threshold.config entries of the current rule set (call again after a reload).
  // Tracking state of unchanged rules carries over.
  void set_config(const std::vector<ThresholdConfigEntry>& entries);

  // Whether this alert of rule r is logged. Applies, in Suricata's order: suppress entries,
  // the rule's detection_filter, threshold/event_filter from threshold.config for the gid:sid
  // (which override the rule's own threshold keyword), else the rule's threshold keyword, then
  // rate_filter. Alerts without an IP header are never thresholded (as in Suricata).
  bool allow(const Rule& r, const Alert& a) noexcept { return decide(r, a).log; }

  // allow() with the rate_filter outcome.
  ThresholdDecision decide(const Rule& r, const Alert& a) noexcept;

  // Live entries evicted because the table was full.
  uint64_t evictions() const noexcept { return evictions_; }
  // Tracking entries in use.
  std::size_t size() const noexcept { return used_; }
  std::size_t capacity() const noexcept;

  struct Key;
  struct Entry;

 private:
  // Which threshold of a rule an entry counts for: one rule can have several.
  enum class Slot : uint8_t { kDetectionFilter, kThreshold, kRateFilter };

  bool apply(const Rule& r, const Alert& a, const ThresholdOpt& t, Slot slot) noexcept;
  bool rate_filter(const Rule& r, const Alert& a, const ThresholdConfigEntry& e,
                   std::size_t nth) noexcept;
  Entry* lookup(const Key& k) noexcept;
  Entry* insert(const Key& k, Nanos now) noexcept;
  void erase_index(std::size_t pos) noexcept;
  void touch(Entry* e) noexcept;
  bool expired(const Entry& e, Nanos now) const noexcept;

  std::vector<Entry> entries_;  // reserved for max_entries_ at construction, never shrinks
  std::vector<uint32_t> index_;  // open addressing (linear probing): entry number + 1, 0 empty
  std::size_t used_ = 0;
  uint32_t lru_head_ = 0, lru_tail_ = 0;  // most and least recently used (entry number + 1)
  std::size_t max_entries_;
  uint64_t evictions_ = 0;

  // threshold.config, by (gid << 32 | sid); 0 stands for "any".
  struct ForRule {
    std::vector<ThresholdConfigEntry> suppress;
    std::vector<ThresholdConfigEntry> rate;
    bool has_threshold = false;
    ThresholdConfigEntry threshold;  // gid:sid given: the last entry; a wildcard: the first
    std::size_t threshold_seq = 0;   // its position in threshold.config
  };
  std::unordered_map<uint64_t, ForRule> config_;
  const ForRule* config_for(uint32_t gid, uint32_t sid) const noexcept;
};

}  // namespace ts::sig
