// FixFramer: cuts one direction of a reassembled TCP stream into FIX/STEP messages
// (tag=value<SOH>, "8=...|9=len|35=...|...|10=sum|"), byte by byte, without buffering the
// message: fields of interest are copied into a FixMessage as they stream past, the
// checksum and body length are accumulated on the way. So a message split across any number
// of segments, or several messages in one segment, cost the same, and memory per direction
// is fixed (sizeof(FixFramer)).
//
// Validation: BeginString first (8=), BodyLength second (9=, numeric), MsgType third (35=);
// the message ends at the CheckSum field (10=NNN<SOH>). BodyLength is compared with the
// bytes actually between "9=...<SOH>" and "10=" (a wrong BodyLength is reported, framing
// still follows the fields); CheckSum with the byte sum mod 256 of everything before "10=".
// Anything that is not a field (a tag that is not a number, no '=', a message longer than
// max_message without "10=", a stream that does not start with "8=") is garbage: the framer
// skips to the next "8=" that starts a field (after SOH, or at the start of data after a
// gap) and counts the bytes it skipped.
//
// Worker thread only; no allocation, no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "sensor/types.h"

namespace ts::detectors {

inline constexpr char kSoh = '\x01';

// Tags whose values the framer keeps (first occurrence in a message; repeating groups keep
// their first entry). Values longer than kFixValueMax are cut (FixValue::truncated).
enum class FixTag : uint8_t {
  kBeginString,      // 8
  kBodyLength,       // 9
  kMsgType,          // 35
  kSenderCompID,     // 49
  kTargetCompID,     // 56
  kMsgSeqNum,        // 34
  kPossDupFlag,      // 43
  kPossResend,       // 97
  kSendingTime,      // 52
  kCheckSum,         // 10
  kEncryptMethod,    // 98
  kHeartBtInt,       // 108
  kResetSeqNumFlag,  // 141
  kUsername,         // 553
  kPassword,         // 554 (presence only: the value is never kept, see FixValue)
  kTestReqID,        // 112
  kBeginSeqNo,       // 7
  kEndSeqNo,         // 16
  kNewSeqNo,         // 36
  kGapFillFlag,      // 123
  kRefSeqNum,        // 45
  kRefTagID,         // 371
  kRefMsgType,       // 372
  kSessionRejectReason,  // 373
  kText,             // 58
  kClOrdID,          // 11
  kOrigClOrdID,      // 41
  kOrderID,          // 37
  kExecID,           // 17
  kExecTransType,    // 20
  kExecType,         // 150
  kOrdStatus,        // 39
  kSymbol,           // 55
  kSide,             // 54
  kOrderQty,         // 38
  kOrdType,          // 40
  kPrice,            // 44
  kTransactTime,     // 60
  kAccount,          // 1 (presence only when masked)
  kCount             // number of tags above
};

// The FIX tag number of each FixTag, and back (0 / kCount when not a kept tag).
uint32_t fix_tag_number(FixTag t) noexcept;
FixTag fix_tag_from_number(uint32_t tag) noexcept;

inline constexpr std::size_t kFixValueMax = 48;

struct FixValue {
  bool present = false;
  bool truncated = false;    // longer than kFixValueMax; `len` is what was kept
  uint8_t len = 0;
  char data[kFixValueMax];
  std::string_view view() const noexcept { return {data, present ? len : 0u}; }
};

// What went wrong with a message (several can apply; the framer reports all it saw).
enum FixError : uint32_t {
  kFixErrNone = 0,
  kFixErrBadChecksum = 1u << 0,     // 10= present, value not the byte sum (or not 3 digits)
  kFixErrBadBodyLength = 1u << 1,   // 9= not a number, or not the real body length
  kFixErrMissingHeader = 1u << 2,   // 8, 9 or 35 not in first three places, or 49/56/34 absent
  kFixErrBadSeqNum = 1u << 3,       // 34 present but not a positive integer
  kFixErrTruncated = 1u << 4,       // a gap or end of stream cut the message (never completed)
};

// One framed message: where it was, what it said. Filled by the framer; valid during the
// callback only.
struct FixMessage {
  Nanos first_ts = 0;          // packet time of the byte "8="
  Nanos last_ts = 0;           // packet time of the last byte (end of "10=NNN<SOH>")
  uint64_t stream_offset = 0;  // offset of "8=" in this direction's delivered bytes
  uint32_t length = 0;         // bytes from "8=" to the SOH after the checksum
  uint32_t body_length_declared = 0;
  uint32_t body_length_actual = 0;
  uint8_t checksum_declared = 0;
  uint8_t checksum_actual = 0;
  uint32_t errors = kFixErrNone;  // FixError bits
  uint64_t seq_num = 0;           // MsgSeqNum when numeric (errors lacks kFixErrBadSeqNum)
  uint32_t fields = 0;            // fields in the message, 8= and 10= included
  FixValue values[static_cast<std::size_t>(FixTag::kCount)];
  // The first bytes of the message as seen, SOH kept, values of masked tags replaced by
  // '*' (one per byte) and the Password value always: evidence safe to write to any output.
  char head[160];
  uint8_t head_len = 0;

  const FixValue& operator[](FixTag t) const noexcept {
    return values[static_cast<std::size_t>(t)];
  }
  bool has(FixTag t) const noexcept { return (*this)[t].present; }
  std::string_view get(FixTag t) const noexcept { return (*this)[t].view(); }
  std::string_view msg_type() const noexcept { return get(FixTag::kMsgType); }
  std::string_view begin_string() const noexcept { return get(FixTag::kBeginString); }
};

struct FixFramerConfig {
  std::size_t max_message = 64 * 1024;
  std::span<const uint32_t> masked_tags;  // values written as '*' in FixMessage::head
};

// Receives framing results. Called from inside FixFramer::feed / gap / end.
class FixMessageHandler {
 public:
  virtual ~FixMessageHandler() = default;
  // A complete message (errors may be set: bad checksum, body length, seq num, header).
  virtual void on_fix_message(const FixMessage& m) noexcept = 0;
  // `bytes` were skipped as garbage (not a field, or a message cut by a gap or too long);
  // `resync_ts` is the time of the packet where framing found "8=" again (or the gap).
  virtual void on_fix_garbage(uint64_t bytes, uint64_t stream_offset, Nanos ts) noexcept = 0;
};

struct FixFramerStats {
  uint64_t messages = 0;        // complete messages delivered (malformed included)
  uint64_t malformed = 0;       // of which with errors != 0
  uint64_t garbage_bytes = 0;   // skipped while resynchronising
  uint64_t resyncs = 0;         // times framing restarted on "8=" after garbage or a gap
  uint64_t truncated = 0;       // messages cut by a gap or the end of the stream
};

class FixFramer {
 public:
  // `cfg.masked_tags` must outlive the framer.
  explicit FixFramer(const FixFramerConfig& cfg) noexcept;

  // Back to the start-of-stream state (a new connection in a reused slot).
  void reset() noexcept;
  // True when the stream must start with "8=" at once (auto-detect); false when the framer
  // should first hunt for "8=" (midstream pickup on a known FIX port). Set before feed().
  void set_expect_start(bool at_start) noexcept;

  // In-order bytes of this direction. `ts` is the packet time.
  void feed(std::span<const uint8_t> bytes, Nanos ts, FixMessageHandler& h) noexcept;
  // `len` bytes were never seen: a message in progress is dropped (reported as garbage with
  // kFixErrTruncated counted), and framing hunts for the next "8=".
  void gap(uint64_t len, Nanos ts, FixMessageHandler& h) noexcept;
  // The stream ended: a message in progress is counted as truncated garbage.
  void end(Nanos ts, FixMessageHandler& h) noexcept;

  const FixFramerStats& stats() const noexcept { return stats_; }
  uint64_t offset() const noexcept { return offset_; }  // bytes of this direction seen

 private:
  // Implementation state: a field-level state machine (hunting for "<SOH>8=", tag digits,
  // value up to SOH) with a fast path for fields that lie whole in the buffer, the message
  // being filled, and the stream offsets from which body length and length are computed.
  // The byte sum and FixMessage::head are filled lazily from the current buffer (sync()).
  // sizeof(FixFramer) is about 2.6 KB, most of it the FixMessage. See fix_framer.cc.
  enum class State : uint8_t { kHunt, kTag, kValue };
  // Numeric value being read: BodyLength (second field), MsgSeqNum (first 34=), CheckSum.
  enum class Num : uint8_t { kNone, kBodyLength, kSeqNum, kCheckSum };

  const uint8_t* hunt(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept;
  const uint8_t* scan_message(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept;
  const uint8_t* whole_fields(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept;
  void start_message(uint64_t start, Nanos first_ts, const uint8_t* p, Nanos ts,
                     FixMessageHandler& h) noexcept;
  bool begin_value(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept;
  void open_value(uint32_t tag, const uint8_t* p) noexcept;
  void value_bytes(const uint8_t* p, const uint8_t* q) noexcept;
  void end_field(const uint8_t* soh) noexcept;
  void complete(const uint8_t* soh, Nanos ts, FixMessageHandler& h) noexcept;
  const uint8_t* too_long(const uint8_t* p, Nanos ts) noexcept;
  const uint8_t* bad_field(const uint8_t* p) noexcept;
  void drop_message(uint64_t garbage_end) noexcept;
  void count_garbage(uint64_t at, uint64_t n) noexcept;
  void report_garbage(Nanos ts, FixMessageHandler& h) noexcept;
  void sync(const uint8_t* p) noexcept;
  void set_limit(const uint8_t* p) noexcept;
  bool masked(uint32_t tag) const noexcept;
  bool masked_high(uint32_t tag) const noexcept;
  uint64_t pos(const uint8_t* p) const noexcept {
    return buf_off_ + static_cast<uint64_t>(p - buf_);
  }
  Nanos ts_at(uint64_t at, Nanos ts) const noexcept { return at >= buf_off_ ? ts : prev_ts_; }

  static constexpr uint32_t kMaskedBitsTags = 1024;

  FixFramerConfig cfg_;
  FixFramerStats stats_;
  // Masked tags below kMaskedBitsTags (554 included) as bits; masked_high_: some above.
  uint64_t masked_bits_[kMaskedBitsTags / 64] = {};
  bool masked_high_ = false;
  FixMessage msg_{};  // zeroed once: no indeterminate bytes are ever handed out
  State state_ = State::kHunt;
  Num num_ = Num::kNone;
  bool expect_start_ = true;
  bool in_message_ = false;
  bool after_gap_ = false;  // a gap since framing last started a message (resync count)
  uint8_t hunt_match_ = 1;  // bytes of "<SOH>8=" matched while hunting (1: after SOH or
                            // at the start of data, 2: and "8")
  bool keep_ = false;       // the value goes to msg_.values[cur_]
  bool mask_ = false;       // the value is masked in msg_.head
  bool value_numeric_ = true;
  bool header_bad_ = false;  // 9 not second or 35 not third
  bool body_bad_ = false;    // BodyLength not a number
  uint8_t tag_digits_ = 0;
  FixTag cur_ = FixTag::kCount;  // kept tag whose value is being read
  uint32_t tag_ = 0;             // tag being read
  uint32_t tag_sum_ = 0;         // byte sum of its digits
  uint32_t field_index_ = 0;     // fields completed in the current message
  uint32_t sum_ = 0;             // byte sum of the message up to sync_from_ (mod 2^32)
  uint32_t checksum_sum_ = 0;    // byte sum of everything before "10="
  uint32_t value_len_ = 0;       // bytes of the numeric value being read (saturating)
  uint64_t value_num_ = 0;       // numeric value being read
  uint64_t kept_mask_ = 0;       // bit i: msg_.values[i] set in this message
  uint64_t msg_start_ = 0;       // stream offset of the current message's "8="
  uint64_t field_start_ = 0;     // stream offset of the current field's first byte
  uint64_t body_start_ = 0;      // stream offset after "9=...<SOH>" (kNoOffset: none)
  uint64_t hunt_pos_ = 0;        // offset of the "8" matched while hunting
  Nanos hunt_ts_ = 0;            // and its packet time
  Nanos prev_ts_ = 0;            // packet time of the previous feed() call
  uint64_t offset_ = 0;          // stream offset of the next byte
  uint64_t garbage_ = 0;         // garbage bytes since the last report
  uint64_t garbage_start_ = 0;   // offset of the first of them
  // Valid during feed() only: the buffer, its stream offset, where the message's byte sum
  // and head were last brought up to date, and where the message exceeds max_message.
  const uint8_t* buf_ = nullptr;
  const uint8_t* end_ = nullptr;
  const uint8_t* sync_from_ = nullptr;
  const uint8_t* lim_ = nullptr;
  uint64_t buf_off_ = 0;
};

}  // namespace ts::detectors
