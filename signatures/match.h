// Rule verification: decides whether one rule matches one packet or one stream chunk, after
// the Hyperscan prefilter (or the IP-only index) named it a candidate. Exact Suricata
// semantics for the payload options (content chains with relative modifiers and the
// backtracking Suricata does, pcre, byte_test/jump/extract, isdataat, bsize/dsize) and the
// header options. Built per rule at compile time (PCRE2 code compiled once); matching never
// allocates: per-worker scratch is made once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sensor/packet.h"
#include "signatures/rule.h"

namespace ts::sig {

// Suricata's detect.inspection-recursion-limit default: a rule's payload inspection of one
// buffer gives up (no match) after this many option evaluations, retries included. Bounds the
// cost of adversarial payloads against content chains that backtrack.
inline constexpr uint32_t kInspectionRecursionLimit = 3000;

// PCRE2 limits Suricata applies to every pcre without the O flag (pcre.match-limit and
// pcre.match-limit-recursion defaults).
inline constexpr uint32_t kPcreMatchLimit = 3500;
inline constexpr uint32_t kPcreDepthLimit = 1500;

// byte_extract variable slots in a scratch (every index a Rule::nvars can name).
inline constexpr std::size_t kMaxByteVars = 256;

// Per-worker scratch for verification (PCRE2 match data and JIT stack, byte_extract
// variables, the inspection cursor). Made once per worker thread; never shared.
class MatchScratch {
 public:
  MatchScratch();
  ~MatchScratch();
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
  struct Impl;
  Impl& impl() noexcept { return *impl_; }

  // Option evaluations of the last PayloadProgram::match() on this scratch (retries
  // included); equal to kInspectionRecursionLimit when that match gave up at the limit.
  uint32_t last_inspections() const noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

// The payload part of one rule, prepared for matching: lower-cased patterns for nocase,
// compiled PCRE2 code. Immutable after build; shared by every worker.
class PayloadProgram {
 public:
  // False with a message naming the option if something cannot be prepared (e.g. a PCRE2
  // compile error): the rule is then reported as an error and not loaded.
  static std::unique_ptr<PayloadProgram> build(const Rule& r, std::string* error);
  ~PayloadProgram();

  // True if every payload option (in order, with relative offsets and backtracking) matches
  // `buf`. An empty payload list matches everything. Like Suricata, a non-empty payload list
  // never matches an empty buffer (bsize alone is checked on any buffer).
  bool match(std::span<const uint8_t> buf, MatchScratch& scratch) const noexcept;

  struct Impl;

 private:
  PayloadProgram();
  std::unique_ptr<Impl> impl_;
};

// Header options of `r` (dsize, ttl, tos, ip_id, ip_proto, flags, seq, ack, window, fragbits,
// itype, icode, icmp_id, icmp_seq) against the packet. Does not look at addresses, ports,
// flow, flowbits, stream_size or payload. fragbits, icmp_id and icmp_seq read the headers
// from p.frame at p.l3_offset / p.l4_offset (no frame: they do not match).
bool match_header(const Rule& r, const PacketView& p) noexcept;

}  // namespace ts::sig
