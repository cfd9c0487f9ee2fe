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

// Per-worker scratch for verification (PCRE2 match data, byte_extract variables).
class MatchScratch {
 public:
  MatchScratch();
  ~MatchScratch();
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
  struct Impl;
  Impl& impl() noexcept { return *impl_; }

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
  // `buf`. An empty payload list matches everything.
  bool match(std::span<const uint8_t> buf, MatchScratch& scratch) const noexcept;

  struct Impl;

 private:
  PayloadProgram();
  std::unique_ptr<Impl> impl_;
};

// Header options of `r` (dsize, ttl, tos, ip_id, ip_proto, flags, seq, ack, window, fragbits,
// itype, icode, icmp_id, icmp_seq) against the packet. Does not look at addresses, ports,
// flow, flowbits, stream_size or payload.
bool match_header(const Rule& r, const PacketView& p) noexcept;

}  // namespace ts::sig
