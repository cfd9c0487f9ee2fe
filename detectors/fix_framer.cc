// FixFramer implementation: the field state machine described in fix_framer.h.
//
// Two paths over the same state. whole_fields() takes the fields that lie entirely in the
// current buffer (nearly all of them): tag digits in one word (parse_tag8), the SOH with a
// 16-byte compare (find_soh), the value touched again only when it is kept (FixTag), numeric
// (BodyLength, the first MsgSeqNum, CheckSum) or masked. The general path in scan_message()
// reads a field byte by byte, state in members, so a field may stop at any byte at the end of
// a buffer and go on in the next; it also handles what the fast path leaves to it (not a
// field, a "8=" restart, the max_message limit). Both apply the same checks: the tests that
// cut a stream at every byte compare the two.
//
// The byte sum for CheckSum and FixMessage::head are brought up to date lazily by sync(), over
// contiguous runs of the current buffer (psadbw and one memcpy), at the points where they must
// be exact: "10=", a masked value, the end of the message and the end of the buffer. Lengths
// come from stream offsets, so nothing is counted per byte.
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

// Tag number -> FixTag, plus kSpecial for the tags with checks of their own (BeginString
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

// Byte sum of [p, p + n) (mod 2^32; CheckSum needs it mod 256); the bytes from `lo` up to
// p + n are readable. SSE2: psadbw adds 16 bytes per instruction, and the last n % 16 bytes
// are the top of the 16 ending at p + n, the others masked off. Otherwise eight bytes at a
// time in four 16-bit lanes, folded every 128 words (a word adds at most 2 * 255 to a lane,
// so 128 words cannot overflow one).
inline uint32_t byte_sum(const uint8_t* p, std::size_t n, const uint8_t* lo) noexcept {
  uint32_t sum = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  for (; n >= 16; n -= 16, p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
  }
  if (n > 0 && p + n - lo >= 16) {
    const __m128i index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m128i keep = _mm_cmpgt_epi8(index, _mm_set1_epi8(static_cast<char>(15 - n)));
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(v, keep), zero));
    n = 0;
  }
  sum = static_cast<uint32_t>(_mm_cvtsi128_si32(acc)) +
        static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(acc, acc)));
#else
  (void)lo;
#endif
  constexpr uint64_t kLanes = 0x00FF00FF00FF00FFull;
  while (n >= 8) {
    const std::size_t words = std::min<std::size_t>(n / 8, 128);
    uint64_t lanes = 0;
    for (std::size_t i = 0; i < words; ++i, p += 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);
      lanes += (x & kLanes) + ((x >> 8) & kLanes);
    }
    n -= words * 8;
    sum += static_cast<uint32_t>((lanes & 0xFFFF) + ((lanes >> 16) & 0xFFFF) +
                                 ((lanes >> 32) & 0xFFFF) + (lanes >> 48));
  }
  for (; n > 0; --n) sum += *p++;
  return sum;
}

// The first SOH in [p, lim), or nullptr. Values are mostly short, so the first 64 bytes are
// searched inline, 16 bytes per compare (SSE2; most values end in the first block, so the
// loop's exit is well predicted), or 8 with a SWAR zero-byte test on x ^ 0x01..01 (the
// lowest flagged byte is exact); memchr after that and for the last bytes of a buffer.
inline const uint8_t* find_soh(const uint8_t* p, const uint8_t* lim) noexcept {
#if defined(__SSE2__)
  const __m128i soh = _mm_set1_epi8(kSoh);
  for (int i = 0; i < 4 && lim - p >= 16; ++i, p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, soh)));
    if (m != 0) return p + std::countr_zero(m);
  }
#else
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
#endif
  return static_cast<const uint8_t*>(std::memchr(p, kSoh, static_cast<std::size_t>(lim - p)));
}

// The first n (1 to 7) bytes of the little-endian word x as a tag: false unless all digits.
// No branch per digit: SWAR check, then the usual 8-digit multiply-and-fold with the digits
// right-aligned.
inline bool tag_digits(uint64_t x, unsigned n, uint32_t& tag) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  constexpr uint64_t kZeros = kOnes * '0';
  const uint64_t m = (uint64_t{1} << (8 * n)) - 1;
  // Digits: every byte of y = x - '0' is 0..9, i.e. neither y nor y + 0x76 has its top bit
  // set. A borrow or carry between bytes only comes out of a byte that fails the test itself.
  const uint64_t y = x - kZeros;
  if (((y + kOnes * 0x76) | y) & kHigh & m) return false;
  uint64_t v = (y & m) << (8 * (8 - n));  // leading zero digits
  v = v * 10 + (v >> 8);                  // pairs of digits
  v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
      32;
  tag = static_cast<uint32_t>(v);
  return true;
}

// A tag of 1 to 7 digits and its "=" in the 8 bytes at p (all readable): returns the "=" and
// sets `tag`; nullptr when the word holds anything else (the caller reads byte by byte).
inline const uint8_t* parse_tag8(const uint8_t* p, uint32_t& tag) noexcept {
  if constexpr (std::endian::native != std::endian::little) return nullptr;
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t x;
  std::memcpy(&x, p, 8);
  const uint64_t e = x ^ (kOnes * '=');
  const uint64_t z = (e - kOnes) & ~e & kHigh;
  if (z == 0) return nullptr;
  const unsigned n = static_cast<unsigned>(std::countr_zero(z)) >> 3;  // bytes before "="
  if (n == 0 || !tag_digits(x, n, tag)) return nullptr;
  return p + n;
}

#if defined(__SSE2__)
// A whole short field from the 16 bytes at p (all readable), with one load: a tag of 1 to 7
// digits and its "=" (returned, `tag` set; nullptr when the block does not start so) and the
// SOH ending the value when it is in the block (`soh`, else left nullptr).
inline const uint8_t* scan_field16(const uint8_t* p, uint32_t& tag, const uint8_t*& soh) noexcept {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const auto eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('='))));
  const auto so = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8(kSoh))));
  const auto n = static_cast<unsigned>(std::countr_zero(eq | 0x100u));  // first "=", or 8
  if (n == 0 || n == 8) return nullptr;
  if (!tag_digits(static_cast<uint64_t>(_mm_cvtsi128_si64(b)), n, tag)) return nullptr;
  const unsigned rest = so >> (n + 1);
  if (rest != 0) soh = p + n + 1 + std::countr_zero(rest);
  return p + n;
}
#endif

// [p, q) as a decimal number of 1 to kMaxValueDigits digits; false (out unchanged or partial)
// when empty, longer, or not all digits.
inline bool parse_number(const uint8_t* p, const uint8_t* q, uint64_t& out) noexcept {
  if (p == q || q - p > static_cast<std::ptrdiff_t>(kMaxValueDigits)) return false;
  uint64_t v = 0;
  for (; p < q; ++p) {
    const uint32_t d = static_cast<uint32_t>(*p) - '0';
    if (d >= 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
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

// A kept value's first k <= kFixValueMax bytes into d (kFixValueMax bytes). Short values
// (the usual case) in one 16-byte load and store when 16 bytes can be read at s, with the
// bytes past k zeroed: no branch on the length, and nothing that follows the value in the
// stream (a Password, say) lands in d.
inline void copy_value(char* d, const uint8_t* s, std::size_t k,
                       const uint8_t* readable_end) noexcept {
  static_assert(kFixValueMax >= 16);
#if defined(__SSE2__)
  if (k <= 16 && readable_end - s >= 16) {
    const __m128i index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8(static_cast<char>(k)), index);
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_and_si128(v, keep));
    return;
  }
#else
  (void)readable_end;
#endif
  copy_short(d, s, k);
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

inline bool FixFramer::masked(uint32_t tag) const noexcept {
  if (tag < kMaskedBitsTags) return (masked_bits_[tag / 64] >> (tag % 64)) & 1;
  return masked_high_ && masked_high(tag);
}

bool FixFramer::masked_high(uint32_t tag) const noexcept {
  return std::find(cfg_.masked_tags.begin(), cfg_.masked_tags.end(), tag) != cfg_.masked_tags.end();
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
      if (tag_digits_ == 0) {
        p = whole_fields(p, ts, h);
        if (state_ == State::kHunt) return p;  // delivered
      }
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
    const uint8_t* const soh = find_soh(p, lim);
    if (soh == nullptr) {
      if (keep_ || num_ != Num::kNone) value_bytes(p, lim);
      p = lim;
      return p == end_ ? p : too_long(p, ts);
    }
    if (keep_ || num_ != Num::kNone) value_bytes(p, soh);
    p = soh + 1;
    if (num_ == Num::kCheckSum) {
      complete(soh, ts, h);
      return p;
    }
    end_field(soh);
  }
}

// Fast path: whole fields (tag, value and SOH inside [p, lim_)), one after the other, with
// the same checks as the general path, up to and including the CheckSum (then the message is
// delivered and the state is kHunt). Returns at the first field it leaves to the general path
// (not complete in this buffer, not a field, or "8=" restarting), which reads that field
// again from its first byte: nothing was changed for it.
const uint8_t* FixFramer::whole_fields(const uint8_t* p, Nanos ts, FixMessageHandler& h) noexcept {
  const uint8_t* const lim = lim_;
  const uint64_t head_end = msg_start_ + kHeadMax;
  uint32_t index = field_index_;
  for (;;) {
    const uint8_t* q = nullptr;
    const uint8_t* soh = nullptr;
    uint32_t tag = 0;
#if defined(__SSE2__)
    if (lim - p >= 16) {
      q = scan_field16(p, tag, soh);
    } else if (lim - p >= 8) {
      q = parse_tag8(p, tag);
    }
#else
    if (lim - p >= 8) q = parse_tag8(p, tag);
#endif
    if (q == nullptr) {
      q = p;
      uint32_t d = 0;
      while (q != lim && (d = static_cast<uint32_t>(*q) - '0') < 10) {
        tag = tag * 10 + d;  // may wrap for over-long tags: rejected just below
        ++q;
      }
      if (q == lim || *q != '=' || q == p || q - p > static_cast<std::ptrdiff_t>(kMaxTagDigits)) {
        break;
      }
    }
    const uint8_t* const v = q + 1;
    if (soh == nullptr) soh = find_soh(v, lim);
    if (soh == nullptr) break;
    const uint8_t info = tag_info(tag);
    bool checksum = false;
    if ((info & kSpecial) || index < 3) {
      if (tag == 8 && q - p == 1) break;
      if (index == 1) {
        if (tag == 9) {
          uint64_t n = 0;
          body_start_ = pos(soh) + 1;
          if (parse_number(v, soh, n) && n <= std::numeric_limits<uint32_t>::max()) {
            msg_.body_length_declared = static_cast<uint32_t>(n);
          } else {
            body_bad_ = true;
          }
        } else {
          header_bad_ = true;
        }
      } else if (index == 2 && tag != 35) {
        header_bad_ = true;
      }
      if (tag == 34 && !(kept_mask_ & bit(FixTag::kMsgSeqNum))) {
        uint64_t n = 0;
        if (parse_number(v, soh, n) && n > 0) {
          msg_.seq_num = n;
        } else {
          msg_.errors |= kFixErrBadSeqNum;
        }
      } else if (tag == 10) {
        sync(p);  // the byte sum now covers everything before "10="
        checksum_sum_ = sum_;
        checksum = true;
      }
    }
    const auto t = static_cast<FixTag>(info & ~kSpecial);
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
          copy_value(fv.data, v, k, end_);
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
    if (checksum) {
      field_index_ = index;
      field_start_ = pos(p);
      value_numeric_ = parse_number(v, soh, value_num_);
      value_len_ = static_cast<uint32_t>(std::min<std::ptrdiff_t>(soh - v, kMaxValueDigits + 1));
      complete(soh, ts, h);
      return soh + 1;
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
  sum_ += byte_sum(q, n, buf_);
  sync_from_ = p;
}

// lim_: the end of the buffer, or the byte at which the message would exceed max_message.
void FixFramer::set_limit(const uint8_t* p) noexcept {
  const uint64_t here = pos(p);
  const uint64_t max_end = msg_start_ + cfg_.max_message;
  const uint64_t room = max_end > here ? max_end - here : 0;
  lim_ = room < static_cast<uint64_t>(end_ - p) ? p + room : end_;
}

}  // namespace ts::detectors
