// FixFramer implementation: the field state machine described in fix_framer.h.
//
// Cost: only tag digits are looked at one byte at a time; a value is skipped with memchr for
// SOH and touched again only when it is kept (FixTag), numeric (the BodyLength, the first
// MsgSeqNum, the CheckSum) or masked. The byte sum for CheckSum and FixMessage::head are
// brought up to date lazily by sync(), over contiguous runs of the current buffer (a word-wise
// byte sum and one memcpy), at the points where they must be exact: "10=", a masked value, the
// end of the message and the end of the buffer. Lengths come from stream offsets, so nothing
// is counted per byte.
//
// Accounting: every byte fed ends up either in a delivered message (FixMessage::length) or in
// garbage (stats.garbage_bytes); after end() the two add up to offset().
//
// Resynchronisation: hunting matches "<SOH>8=", with the SOH implied at the start of the
// stream, after a gap and after a complete message (so expect_start true and false frame the
// same way: "8=" at the first byte starts a message, anything else is garbage up to the next
// "<SOH>8="). Inside a message a field "8=" is never valid (BeginString only comes first), so
// it is taken as the start of the next message: the message in progress becomes garbage (its
// sender cut it short) and framing restarts at that "8" without rescanning. Hence a valid
// message that follows an SOH is always recovered, whatever came before it.
//
// Masked values: a kept tag listed in cfg.masked_tags, and Password (554) always, keep only
// their presence (FixValue::present, len 0), so a masked value never leaves the framer; in
// the head their bytes are '*'.
#include "detectors/fix_framer.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <iterator>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ts::detectors {
namespace {

constexpr uint8_t kSohByte = static_cast<uint8_t>(kSoh);
constexpr std::size_t kHeadMax = sizeof(FixMessage::head);
constexpr uint32_t kPasswordTag = 554;
constexpr uint32_t kMaxTagDigits = 9;     // fits uint32_t; a longer "tag" is not a field
constexpr uint32_t kMaxValueDigits = 19;  // fits uint64_t; longer is not a valid number
constexpr uint64_t kNoOffset = std::numeric_limits<uint64_t>::max();

// FIX tag number of each FixTag, in enum order.
constexpr uint32_t kTagNumbers[] = {
    8,  9,   35,  49,  56, 34, 43, 97, 52, 10, 98,  108, 141, 553, 554, 112, 7,  16, 36, 123,
    45, 371, 372, 373, 58, 11, 41, 37, 17, 20, 150, 39,  55,  54,  38,  40,  44, 60, 1,
};
static_assert(std::size(kTagNumbers) == static_cast<std::size_t>(FixTag::kCount));
static_assert(static_cast<std::size_t>(FixTag::kCount) <= 64, "kept_mask_ is one uint64_t");

// Tag number -> FixTag, plus kSpecial for the tags the general path must see (BeginString
// restarts, BodyLength, MsgType, MsgSeqNum, CheckSum): one table read (555 bytes) per field
// instead of a switch.
constexpr uint32_t kMaxKeptTag = 554;
constexpr uint8_t kSpecial = 0x80;
struct TagTable {
  std::array<uint8_t, kMaxKeptTag + 1> t{};
  constexpr TagTable() {
    t.fill(static_cast<uint8_t>(FixTag::kCount));
    for (std::size_t i = 0; i < std::size(kTagNumbers); ++i) {
      t[kTagNumbers[i]] = static_cast<uint8_t>(i);
    }
    for (uint32_t tag : {8u, 9u, 10u, 34u, 35u}) t[tag] |= kSpecial;
  }
};
constexpr TagTable kTagTable;

inline uint8_t tag_info(uint32_t tag) noexcept {
  return tag <= kMaxKeptTag ? kTagTable.t[tag] : static_cast<uint8_t>(FixTag::kCount);
}
inline FixTag tag_index(uint32_t tag) noexcept {
  return static_cast<FixTag>(tag_info(tag) & ~kSpecial);
}

constexpr std::size_t idx(FixTag t) noexcept { return static_cast<std::size_t>(t); }
constexpr uint64_t bit(FixTag t) noexcept { return uint64_t{1} << idx(t); }

// Byte sum of [p, p + n) (mod 2^32; CheckSum needs it mod 256). SSE2: psadbw adds 16 bytes
// per instruction. Otherwise eight bytes at a time in four 16-bit lanes, folded every 128
// words (a word adds at most 2 * 255 to a lane, so 128 words cannot overflow one).
inline uint32_t byte_sum(const uint8_t* p, std::size_t n) noexcept {
  uint32_t sum = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    for (; n >= 16; n -= 16, p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
    }
    sum = static_cast<uint32_t>(_mm_cvtsi128_si32(acc)) +
          static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(acc, acc)));
  }
#endif
  constexpr uint64_t kLanes = 0x00FF00FF00FF00FFull;
  while (n >= 8) {
    const std::size_t words = std::min<std::size_t>(n / 8, 128);
    uint64_t acc = 0;
    for (std::size_t i = 0; i < words; ++i, p += 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);
      acc += (x & kLanes) + ((x >> 8) & kLanes);
    }
    n -= words * 8;
    sum += static_cast<uint32_t>((acc & 0xFFFF) + ((acc >> 16) & 0xFFFF) + ((acc >> 32) & 0xFFFF) +
                                 (acc >> 48));
  }
  for (; n > 0; --n) sum += *p++;
  return sum;
}

// The first SOH in [p, lim), or nullptr. Values are mostly short: a word at a time first
// (SWAR zero-byte test on x ^ 0x01..01; the lowest flagged byte is exact), memchr after that.
inline const uint8_t* find_soh(const uint8_t* p, const uint8_t* lim) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  for (int i = 0; i < 4 && lim - p >= 8; ++i, p += 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    x ^= kOnes;
    const uint64_t z = (x - kOnes) & ~x & kHigh;
    if (z != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return p + (std::countr_zero(z) >> 3);
      } else {
        return p + (std::countl_zero(z) >> 3);
      }
    }
  }
  return static_cast<const uint8_t*>(std::memchr(p, kSoh, static_cast<std::size_t>(lim - p)));
}

// memcpy of n <= kFixValueMax bytes without a library call: overlapping word copies.
inline void copy_short(char* d, const uint8_t* s, std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) std::memcpy(d + i, s + i, 8);
    std::memcpy(d + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(d, s, 4);
    std::memcpy(d + n - 4, s + n - 4, 4);
  } else if (n > 0) {
    d[0] = static_cast<char>(s[0]);
    d[n / 2] = static_cast<char>(s[n / 2]);
    d[n - 1] = static_cast<char>(s[n - 1]);
  }
}

}  // namespace

uint32_t fix_tag_number(FixTag t) noexcept { return t < FixTag::kCount ? kTagNumbers[idx(t)] : 0; }

FixTag fix_tag_from_number(uint32_t tag) noexcept { return tag_index(tag); }

FixFramer::FixFramer(const FixFramerConfig& cfg) noexcept : cfg_(cfg) {
  // FixMessage::length is 32 bits.
  cfg_.max_message = std::min<std::size_t>(cfg_.max_message, std::numeric_limits<uint32_t>::max());
  masked_bits_[kPasswordTag / 64] |= uint64_t{1} << (kPasswordTag % 64);
  for (uint32_t tag : cfg_.masked_tags) {
    if (tag < kMaskedBitsTags) {
      masked_bits_[tag / 64] |= uint64_t{1} << (tag % 64);
    } else {
      masked_high_ = true;
    }
  }
}

void FixFramer::reset() noexcept {
  // msg_ and kept_mask_ stay: the next message clears the values it finds set.
  stats_ = {};
  state_ = State::kHunt;
  num_ = Num::kNone;
  expect_start_ = true;
  in_message_ = false;
  after_gap_ = false;
  hunt_match_ = 1;
  keep_ = false;
  mask_ = false;
  offset_ = 0;
  garbage_ = 0;
  garbage_start_ = 0;
  prev_ts_ = 0;
}

void FixFramer::set_expect_start(bool at_start) noexcept {
  // Both modes imply an SOH before the first byte (see the file comment); the flag only
  // records what the caller expects.
  expect_start_ = at_start;
}

void FixFramer::feed(std::span<const uint8_t> bytes, Nanos ts, FixMessageHandler& h) noexcept {
  if (bytes.empty()) return;
  buf_ = bytes.data();
  end_ = buf_ + bytes.size();
  buf_off_ = offset_;
  const uint8_t* p = buf_;
  if (in_message_) {
    sync_from_ = p;
    set_limit(p);
  }
  while (p < end_) p = state_ == State::kHunt ? hunt(p, ts, h) : scan_message(p, ts, h);
  if (in_message_) sync(end_);  // the buffer goes away: sum and head must not point into it
  offset_ += bytes.size();
  prev_ts_ = ts;
}

void FixFramer::gap(uint64_t, Nanos ts, FixMessageHandler& h) noexcept {
  // The missing bytes were never seen: they are not part of offset() nor of garbage.
  if (in_message_) {
    drop_message(offset_);
    ++stats_.truncated;
  }
  report_garbage(ts, h);
  state_ = State::kHunt;
  hunt_match_ = 1;  // "8=" right after the gap starts a message
  after_gap_ = true;
}

void FixFramer::end(Nanos ts, FixMessageHandler& h) noexcept {
  if (in_message_) {
    drop_message(offset_);
    ++stats_.truncated;
  }
  report_garbage(ts, h);
  state_ = State::kHunt;
  hunt_match_ = 0;  // nothing more is expected; reset() starts a new stream
}

// Looks for "<SOH>8=" from p; every byte passed is garbage. Returns after the "=" once a
// message has started, or at the end of the buffer.
const uint8_t* FixFramer::hunt(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept {
  // Common case: the next message follows the previous one at once.
  if (hunt_match_ == 1 && end_ - p >= 2 && p[0] == '8' && p[1] == '=') {
    start_message(pos(p), ts, p + 2, ts, h);
    return p + 2;
  }
  while (p < end_) {
    if (hunt_match_ == 0) {
      const void* s = std::memchr(p, kSoh, static_cast<std::size_t>(end_ - p));
      const uint8_t* q = s ? static_cast<const uint8_t*>(s) + 1 : end_;
      count_garbage(pos(p), static_cast<uint64_t>(q - p));
      p = q;
      if (s) hunt_match_ = 1;
      continue;
    }
    const uint8_t c = *p;
    count_garbage(pos(p), 1);  // the "8=" that starts a message is taken back below
    ++p;
    if (hunt_match_ == 2 && c == '=') {
      garbage_ -= 2;
      start_message(hunt_pos_, hunt_ts_, p, ts, h);
      return p;
    }
    if (hunt_match_ == 1 && c == '8') {
      hunt_match_ = 2;
      hunt_pos_ = pos(p - 1);
      hunt_ts_ = ts;
    } else {
      hunt_match_ = c == kSohByte ? 1 : 0;
    }
  }
  return p;
}

// A message starts at stream offset `start` ("8=" just read; p is after the "="). Reports
// the garbage before it, clears what the previous message left in msg_.
void FixFramer::start_message(uint64_t start, Nanos first_ts, const uint8_t* p, Nanos ts,
                              FixMessageHandler& h) noexcept {
  if (garbage_ > 0 || after_gap_) {
    report_garbage(ts, h);
    ++stats_.resyncs;
    after_gap_ = false;
  }
  for (uint64_t m = kept_mask_; m != 0; m &= m - 1) {
    FixValue& v = msg_.values[static_cast<std::size_t>(std::countr_zero(m))];
    v.present = false;
    v.truncated = false;
    v.len = 0;
  }
  kept_mask_ = 0;
  msg_.first_ts = first_ts;
  msg_.last_ts = 0;
  msg_.stream_offset = start;
  msg_.length = 0;
  msg_.body_length_declared = 0;
  msg_.body_length_actual = 0;
  msg_.checksum_declared = 0;
  msg_.checksum_actual = 0;
  msg_.errors = kFixErrNone;
  msg_.seq_num = 0;
  msg_.fields = 0;
  msg_.head[0] = '8';
  msg_.head[1] = '=';
  msg_.head_len = 2;

  in_message_ = true;
  msg_start_ = start;
  field_start_ = start;
  body_start_ = kNoOffset;
  field_index_ = 0;
  header_bad_ = false;
  body_bad_ = false;
  sum_ = '8' + '=';
  sync_from_ = p;
  tag_ = 8;
  tag_digits_ = 1;
  num_ = Num::kNone;
  mask_ = false;
  set_limit(p);
  open_value(8, p);
  state_ = State::kValue;
}

// The hot loop: fields of the current message from p until the message completes (returns
// in kHunt), framing fails (garbage, returns in kHunt) or the buffer ends.
const uint8_t* FixFramer::scan_message(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept {
  for (;;) {
    const uint8_t* const lim = lim_;  // end of buffer, or where the message gets too long
    if (state_ == State::kTag) {
      if (tag_digits_ == 0 && field_index_ >= 3) p = plain_fields(p);
      // Locals, not members: the bytes read are uint8_t, which may alias *this.
      uint32_t tag = tag_;
      uint32_t digits = tag_digits_;
      uint32_t tsum = tag_sum_;
      for (;;) {
        if (p == lim) {
          tag_ = tag;
          tag_digits_ = static_cast<uint8_t>(digits);
          tag_sum_ = tsum;
          return p == end_ ? p : too_long(p, ts);
        }
        const uint8_t c = *p;
        const uint32_t d = static_cast<uint32_t>(c) - '0';
        if (d < 10 && digits < kMaxTagDigits) {
          tag = tag * 10 + d;
          tsum += c;
          ++digits;
          ++p;
          continue;
        }
        tag_ = tag;
        tag_digits_ = static_cast<uint8_t>(digits);
        tag_sum_ = tsum;
        if (c != '=' || digits == 0) return bad_field(p);
        ++p;
        break;
      }
      if (!begin_value(p, ts, h)) continue;  // "8=": a new message started here
      state_ = State::kValue;
    }
    const void* s = std::memchr(p, kSoh, static_cast<std::size_t>(lim - p));
    if (s == nullptr) {
      if (keep_ || num_ != Num::kNone) value_bytes(p, lim);
      p = lim;
      return p == end_ ? p : too_long(p, ts);
    }
    const uint8_t* soh = static_cast<const uint8_t*>(s);
    if (keep_ || num_ != Num::kNone) value_bytes(p, soh);
    p = soh + 1;
    if (num_ == Num::kCheckSum) {
      complete(soh, ts, h);
      return p;
    }
    end_field(soh);
  }
}

// Fast path: whole fields in [p, lim_) after the first three whose tag needs no check (not
// kSpecial), as long as they come. Returns at the start of the first field it leaves to the
// general path (special tag, not a field, or not complete in this buffer), which reads that
// field again from its first byte. Nothing but the kept value, the mask and the field count
// changes per field.
const uint8_t* FixFramer::plain_fields(const uint8_t* p) noexcept {
  const uint8_t* const lim = lim_;
  const uint64_t head_end = msg_start_ + kHeadMax;
  uint32_t index = field_index_;
  for (;;) {
    const uint8_t* q = p;
    uint32_t tag = 0;
    uint32_t d = 0;
    while (q != lim && (d = static_cast<uint32_t>(*q) - '0') < 10) {
      tag = tag * 10 + d;  // may wrap for over-long tags: rejected just below
      ++q;
    }
    if (q == lim || *q != '=' || q == p || q - p > static_cast<std::ptrdiff_t>(kMaxTagDigits)) {
      break;
    }
    const uint8_t info = tag_info(tag);
    if (info & kSpecial) break;
    const uint8_t* const v = q + 1;
    const uint8_t* const soh = find_soh(v, lim);
    if (soh == nullptr) break;
    const auto t = static_cast<FixTag>(info);
    const bool in_head = pos(v) < head_end;
    if (t != FixTag::kCount || in_head) {
      const bool is_masked = masked(tag);
      if (t != FixTag::kCount && !(kept_mask_ & bit(t))) {
        kept_mask_ |= bit(t);
        FixValue& fv = msg_.values[idx(t)];
        fv.present = true;
        if (!is_masked) {
          const std::size_t n = static_cast<std::size_t>(soh - v);
          const std::size_t k = std::min(n, kFixValueMax);
          copy_short(fv.data, v, k);
          fv.len = static_cast<uint8_t>(k);
          fv.truncated = n > k;
        }
      }
      if (is_masked && in_head) {
        sync(v);
        mask_ = true;
        sync(soh);
        mask_ = false;
      }
    }
    ++index;
    p = soh + 1;
  }
  field_index_ = index;
  field_start_ = pos(p);
  return p;
}

// Tag read and "=" consumed (p is after it). Returns false when the field is "8=" and a new
// message was started instead.
bool FixFramer::begin_value(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept {
  const uint32_t tag = tag_;
  if (tag == 8 && tag_digits_ == 1) {
    drop_message(field_start_);
    start_message(field_start_, ts_at(field_start_, ts), p, ts, h);
    return false;
  }
  if (field_index_ == 1) {
    if (tag == 9) {
      num_ = Num::kBodyLength;
    } else {
      header_bad_ = true;
    }
  } else if (field_index_ == 2 && tag != 35) {
    header_bad_ = true;
  }
  if (tag == 10) {
    sync(p);
    checksum_sum_ = sum_ - tag_sum_ - '=';  // everything before "10="
    num_ = Num::kCheckSum;
  } else if (tag == 34 && !(kept_mask_ & bit(FixTag::kMsgSeqNum))) {
    num_ = Num::kSeqNum;
  }
  if (num_ != Num::kNone) {
    value_num_ = 0;
    value_len_ = 0;
    value_numeric_ = true;
  }
  open_value(tag, p);
  return true;
}

// Where the value of `tag` (starting at p) goes: msg_.values when kept and first, '*' in the
// head when masked.
void FixFramer::open_value(uint32_t tag, const uint8_t* p) noexcept {
  keep_ = false;
  const FixTag t = tag_index(tag);
  const bool in_head = pos(p) - msg_start_ < kHeadMax;
  if (t == FixTag::kCount && !in_head) return;
  const bool is_masked = masked(tag);
  if (t != FixTag::kCount && !(kept_mask_ & bit(t))) {
    kept_mask_ |= bit(t);
    msg_.values[idx(t)].present = true;
    cur_ = t;
    keep_ = !is_masked;
  }
  if (is_masked && in_head) {
    sync(p);  // the head is raw up to the "="; '*' from here to the SOH
    mask_ = true;
  }
}

// Value bytes [p, q) (no SOH among them) of a kept or numeric value.
void FixFramer::value_bytes(const uint8_t* p, const uint8_t* q) noexcept {
  const std::size_t n = static_cast<std::size_t>(q - p);
  if (keep_) {
    FixValue& v = msg_.values[idx(cur_)];
    const std::size_t room = kFixValueMax - v.len;
    const std::size_t k = std::min(n, room);
    copy_short(v.data + v.len, p, k);
    v.len = static_cast<uint8_t>(v.len + k);
    if (n > room) v.truncated = true;
  }
  if (num_ != Num::kNone) {
    for (; p < q; ++p) {
      const uint32_t d = static_cast<uint32_t>(*p) - '0';
      if (d < 10 && value_len_ < kMaxValueDigits) {
        value_num_ = value_num_ * 10 + d;
      } else {
        value_numeric_ = false;
      }
      if (value_len_ <= kMaxValueDigits) ++value_len_;  // saturates: only 0 and 3 matter
    }
  }
}

// The SOH ending a field other than CheckSum.
void FixFramer::end_field(const uint8_t* soh) noexcept {
  switch (num_) {
    case Num::kBodyLength:
      body_start_ = pos(soh) + 1;
      if (value_numeric_ && value_len_ > 0 && value_num_ <= std::numeric_limits<uint32_t>::max()) {
        msg_.body_length_declared = static_cast<uint32_t>(value_num_);
      } else {
        body_bad_ = true;
      }
      break;
    case Num::kSeqNum:
      if (value_numeric_ && value_len_ > 0 && value_num_ > 0) {
        msg_.seq_num = value_num_;
      } else {
        msg_.errors |= kFixErrBadSeqNum;
      }
      break;
    default:
      break;
  }
  if (mask_) {
    sync(soh);
    mask_ = false;
  }
  num_ = Num::kNone;
  keep_ = false;
  ++field_index_;
  field_start_ = pos(soh) + 1;
  tag_ = 0;
  tag_digits_ = 0;
  tag_sum_ = 0;
  state_ = State::kTag;
}

// The SOH ending "10=...": validates and delivers the message.
void FixFramer::complete(const uint8_t* soh, Nanos ts, FixMessageHandler& h) noexcept {
  if (mask_) {
    sync(soh);
    mask_ = false;
  }
  sync(soh + 1);
  FixMessage& m = msg_;
  m.length = static_cast<uint32_t>(pos(soh) + 1 - msg_start_);
  m.last_ts = ts;
  m.fields = field_index_ + 1;
  m.checksum_actual = static_cast<uint8_t>(checksum_sum_);
  const bool checksum_valid = value_numeric_ && value_len_ == 3 && value_num_ <= 255;
  m.checksum_declared = checksum_valid ? static_cast<uint8_t>(value_num_) : 0;
  if (!checksum_valid || m.checksum_declared != m.checksum_actual) m.errors |= kFixErrBadChecksum;
  if (body_start_ != kNoOffset) {  // else 9 was not second: a header error
    m.body_length_actual = static_cast<uint32_t>(field_start_ - body_start_);
    if (body_bad_ || m.body_length_declared != m.body_length_actual) {
      m.errors |= kFixErrBadBodyLength;
    }
  }
  constexpr uint64_t kSession =
      bit(FixTag::kSenderCompID) | bit(FixTag::kTargetCompID) | bit(FixTag::kMsgSeqNum);
  if (header_bad_ || (kept_mask_ & kSession) != kSession) m.errors |= kFixErrMissingHeader;
  ++stats_.messages;
  if (m.errors != kFixErrNone) ++stats_.malformed;
  in_message_ = false;
  state_ = State::kHunt;
  hunt_match_ = 1;
  num_ = Num::kNone;
  keep_ = false;
  h.on_fix_message(m);
}

// The message reached max_message bytes at p without its CheckSum: all of it is garbage and
// hunting resumes at p (p itself not consumed). If the last byte was an SOH, or "<SOH>8" was
// just read, that is where the next "8=" may start.
const uint8_t* FixFramer::too_long(const uint8_t* p, Nanos ts) noexcept {
  uint8_t match = 0;
  if (state_ == State::kTag) {
    if (tag_digits_ == 0) {
      match = 1;
    } else if (tag_digits_ == 1 && tag_ == 8) {
      match = 2;
      hunt_pos_ = field_start_;
      hunt_ts_ = ts_at(field_start_, ts);
    }
  }
  drop_message(pos(p));
  hunt_match_ = match;
  return p;
}

// *p cannot continue a tag (not a digit, "=" after no digit, SOH without "="): the message so
// far and *p are garbage.
const uint8_t* FixFramer::bad_field(const uint8_t* p) noexcept {
  const uint8_t c = *p;
  drop_message(pos(p) + 1);
  hunt_match_ = c == kSohByte ? 1 : 0;
  return p + 1;
}

// The message in progress becomes garbage up to stream offset `garbage_end`.
void FixFramer::drop_message(uint64_t garbage_end) noexcept {
  count_garbage(msg_start_, garbage_end - msg_start_);
  in_message_ = false;
  state_ = State::kHunt;
  num_ = Num::kNone;
  keep_ = false;
  mask_ = false;
}

void FixFramer::count_garbage(uint64_t at, uint64_t n) noexcept {
  if (n == 0) return;
  if (garbage_ == 0) garbage_start_ = at;
  garbage_ += n;
}

void FixFramer::report_garbage(Nanos ts, FixMessageHandler& h) noexcept {
  if (garbage_ == 0) return;
  stats_.garbage_bytes += garbage_;
  h.on_fix_garbage(garbage_, garbage_start_, ts);
  garbage_ = 0;
}

// Brings the byte sum and the head up to p (from sync_from_, both in the current buffer).
void FixFramer::sync(const uint8_t* p) noexcept {
  const uint8_t* q = sync_from_;
  const std::size_t n = static_cast<std::size_t>(p - q);
  if (n == 0) return;
  if (msg_.head_len < kHeadMax) {
    const std::size_t k = std::min(n, kHeadMax - msg_.head_len);
    if (mask_) {
      std::memset(msg_.head + msg_.head_len, '*', k);
    } else {
      std::memcpy(msg_.head + msg_.head_len, q, k);
    }
    msg_.head_len = static_cast<uint8_t>(msg_.head_len + k);
  }
  sum_ += byte_sum(q, n);
  sync_from_ = p;
}

// lim_: the end of the buffer, or the byte at which the message would exceed max_message.
void FixFramer::set_limit(const uint8_t* p) noexcept {
  const uint64_t here = pos(p);
  const uint64_t max_end = msg_start_ + cfg_.max_message;
  const uint64_t room = max_end > here ? max_end - here : 0;
  lim_ = room < static_cast<uint64_t>(end_ - p) ? p + room : end_;
}

bool FixFramer::masked(uint32_t tag) const noexcept {
  if (tag < kMaskedBitsTags) return (masked_bits_[tag / 64] >> (tag % 64)) & 1;
  return masked_high_ &&
         std::find(cfg_.masked_tags.begin(), cfg_.masked_tags.end(), tag) != cfg_.masked_tags.end();
}

}  // namespace ts::detectors
