// Built-in detections: the signatures the sensor's own detectors raise (FIX/STEP inspector,
// market-data feeds, and later volumetric detectors and indicator thresholds), each with a
// fixed gid:sid like Snort's preprocessor rules, documented in detectors/README.md.
//
// Detectors raise a sig::Alert with rules == nullptr and gid/sid/rev/severity set; the output
// thread looks the signature up here for its message and category and runs it through the
// same ThresholdEngine as rules (threshold.config can suppress or threshold any of them).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "config/config.h"
#include "signatures/alert.h"
#include "signatures/rule.h"

namespace ts::detectors {

inline constexpr uint32_t kGidFix = 9001;   // FIX/STEP inspector
inline constexpr uint32_t kGidFeed = 9002;  // market-data feeds

// gid 9001
enum FixSid : uint32_t {
  kFixBadChecksum = 1,
  kFixBadBodyLength = 2,
  kFixMissingHeaderTag = 3,
  kFixMissingRequiredTag = 4,
  kFixBadSeqNum = 5,
  kFixGarbled = 6,
  kFixBeforeLogon = 10,
  kFixLogonBruteForce = 11,
  kFixUnauthorizedCompId = 12,
  kFixCompIdChanged = 13,
  kFixSeqGap = 20,
  kFixSeqTooLow = 21,
  kFixSeqDuplicate = 22,
  kFixResendStorm = 23,
  kFixSeqResetBackwards = 24,
  kFixHeartbeatLost = 30,
  kFixOrderFlood = 40,
  kFixCancelRatio = 41,
  kFixPlaintextPassword = 50,
};

// gid 9002
enum FeedSid : uint32_t {
  kFeedGap = 1,
  kFeedSilence = 2,
};

struct BuiltinSignature {
  uint32_t gid, sid, rev;
  uint8_t severity;  // 1 (highest) .. 4
  const char* msg;
  const char* category;
};

// Every built-in signature, ordered by gid then sid.
std::span<const BuiltinSignature> builtin_signatures() noexcept;
// Null if unknown.
const BuiltinSignature* find_builtin(uint32_t gid, uint32_t sid) noexcept;

// Names the alert as built-in signature gid:sid: sets gid, sid, and the table's rev and
// severity (rev 1, severity 3 for an id not in the table). Worker thread; no allocation.
void set_builtin(sig::Alert& a, uint32_t gid, uint32_t sid) noexcept;

// The built-in signatures as rules for the ThresholdEngine, with the thresholds the config
// gives them (e.g. logon brute force: type both, track by_src, fix.logon-failures in
// fix.logon-window). Built once at start (main thread), then read by the output thread.
class BuiltinRules {
 public:
  explicit BuiltinRules(const config::SensorConfig& cfg);
  // Null if unknown.
  const sig::Rule* find(uint32_t gid, uint32_t sid) const noexcept;

 private:
  std::vector<sig::Rule> rules_;  // in builtin_signatures() order
};

}  // namespace ts::detectors
