#include "detectors/builtin.h"

#include <algorithm>

namespace ts::detectors {
namespace {

// Categories are the descriptions of the trading classtypes in classification.config, so SIEM
// dashboards group built-in alerts with rules of the same class.
constexpr BuiltinSignature kSignatures[] = {
    {kGidFix, kFixBadChecksum, 1, 2, "TRADESENTRY FIX malformed message: CheckSum (10) wrong",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixBadBodyLength, 1, 2,
     "TRADESENTRY FIX malformed message: BodyLength (9) does not match the body",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixMissingHeaderTag, 1, 2,
     "TRADESENTRY FIX malformed message: required header tag missing",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixMissingRequiredTag, 1, 2,
     "TRADESENTRY FIX malformed message: required tag of the message type missing",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixBadSeqNum, 1, 2, "TRADESENTRY FIX malformed message: MsgSeqNum (34) not a number",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixGarbled, 1, 3, "TRADESENTRY FIX garbled bytes skipped to the next message",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixBeforeLogon, 1, 2, "TRADESENTRY FIX application message before Logon",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixLogonBruteForce, 1, 1, "TRADESENTRY FIX logon brute force: repeated failed Logons",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixUnauthorizedCompId, 1, 1,
     "TRADESENTRY FIX Logon from a SenderCompID not allowed on this server",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixCompIdChanged, 1, 1, "TRADESENTRY FIX CompID changed within a logged-on session",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixSeqGap, 1, 3, "TRADESENTRY FIX MsgSeqNum gap: messages missing",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixSeqTooLow, 1, 2, "TRADESENTRY FIX MsgSeqNum too low without PossDupFlag",
     "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixSeqDuplicate, 1, 2,
     "TRADESENTRY FIX duplicate MsgSeqNum without PossDupFlag", "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixResendStorm, 1, 2, "TRADESENTRY FIX ResendRequest storm",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixSeqResetBackwards, 1, 2,
     "TRADESENTRY FIX SequenceReset moves MsgSeqNum backwards", "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixHeartbeatLost, 1, 2,
     "TRADESENTRY FIX heartbeat lost: no message for HeartBtInt plus grace", "Trading Protocol Anomaly Detected"},
    {kGidFix, kFixOrderFlood, 1, 1, "TRADESENTRY FIX order flood: NewOrderSingle rate over limit",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixCancelRatio, 1, 2, "TRADESENTRY FIX cancel-to-order ratio over limit",
     "Trading Session Abuse Detected"},
    {kGidFix, kFixPlaintextPassword, 1, 3,
     "TRADESENTRY FIX Logon password (554) in plaintext on a port not configured as TLS",
     "Credentials Exposed in Cleartext"},
    {kGidFeed, kFeedGap, 1, 3, "TRADESENTRY market-data sequence gap: messages lost",
     "Market Data Feed Anomaly Detected"},
    {kGidFeed, kFeedSilence, 1, 2, "TRADESENTRY market-data feed silent longer than its limit",
     "Market Data Feed Anomaly Detected"},
};

}  // namespace

std::span<const BuiltinSignature> builtin_signatures() noexcept { return kSignatures; }

const BuiltinSignature* find_builtin(uint32_t gid, uint32_t sid) noexcept {
  for (const BuiltinSignature& s : kSignatures)
    if (s.gid == gid && s.sid == sid) return &s;
  return nullptr;
}

void set_builtin(sig::Alert& a, uint32_t gid, uint32_t sid) noexcept {
  a.gid = gid;
  a.sid = sid;
  const BuiltinSignature* b = find_builtin(gid, sid);
  a.rev = b ? b->rev : 1;
  a.severity = b ? b->severity : 3;
}

namespace {

sig::ThresholdOpt by_src(sig::ThresholdOpt::Type type, uint32_t count, uint32_t seconds) {
  sig::ThresholdOpt t;
  t.type = type;
  t.track = sig::ThresholdOpt::Track::kBySrc;
  t.count = count;
  t.seconds = seconds;
  return t;
}

}  // namespace

BuiltinRules::BuiltinRules(const config::SensorConfig& cfg) {
  rules_.reserve(std::size(kSignatures));
  for (const BuiltinSignature& s : kSignatures) {
    sig::Rule r;
    r.gid = s.gid;
    r.sid = s.sid;
    r.rev = s.rev;
    r.msg = s.msg;
    r.category = s.category;
    r.priority = s.severity;
    // One candidate per failed Logon; an alert once a source reaches the count in the
    // window, then at most one per window (Suricata's "threshold type both").
    if (s.gid == kGidFix && s.sid == kFixLogonBruteForce)
      r.threshold = by_src(sig::ThresholdOpt::Type::kBoth,
                           static_cast<uint32_t>(cfg.fix.logon_failures),
                           static_cast<uint32_t>(std::max<Nanos>(1, cfg.fix.logon_window / kNanosPerSec)));
    // A policy finding, not an attack: once per client per day is enough to act on.
    if (s.gid == kGidFix && s.sid == kFixPlaintextPassword)
      r.threshold = by_src(sig::ThresholdOpt::Type::kLimit, 1, 86400);
    rules_.push_back(std::move(r));
  }
}

const sig::Rule* BuiltinRules::find(uint32_t gid, uint32_t sid) const noexcept {
  const BuiltinSignature* s = find_builtin(gid, sid);
  return s ? &rules_[static_cast<std::size_t>(s - kSignatures)] : nullptr;
}

}  // namespace ts::detectors
