// Rule: one parsed Suricata/Snort signature, after variable expansion, with every option in
// the form the compiler and the matcher use. Built off the hot path by the parser; immutable
// once a RuleSet is compiled. Nothing here allocates at match time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sensor/types.h"

namespace ts::sig {

enum class Action : uint8_t { kAlert, kPass, kDrop, kReject };
enum class Proto : uint8_t { kIp, kTcp, kUdp, kIcmp };

// An address set after variables and negation are resolved: sorted, merged, inclusive ranges.
// IPv4 ranges use IpAddr's layout (first 4 bytes, family 4); a range never mixes families.
struct AddrRange {
  IpAddr lo;
  IpAddr hi;
};
struct AddressSet {
  bool any = true;                // "any" (every ranges below ignored)
  std::vector<AddrRange> ranges;  // when !any: sorted by (family, lo), non-overlapping
  bool contains(const IpAddr& a) const noexcept;
};

struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 65535;
};
struct PortSet {
  bool any = true;
  std::vector<PortRange> ranges;  // when !any: sorted, merged
  bool contains(Port p) const noexcept;
};

// A numeric comparison as dsize, ttl, window, itype, bsize, stream_size ... write it.
struct NumCmp {
  enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kRange /* lo < x < hi */,
                            kRangeIncl /* lo <= x <= hi */ };
  Op op = Op::kEq;
  uint64_t a = 0;  // the value, or lo of a range
  uint64_t b = 0;  // hi of a range
  bool test(uint64_t x) const noexcept;
};

// A value that is a literal or the result of an earlier byte_extract (by its index).
struct IntOrVar {
  int64_t value = 0;
  int8_t var = -1;  // >= 0: byte_extract variable index
};

// ---- Payload options, kept in rule order: relative modifiers refer to the previous one.
struct ContentOpt {
  std::string pattern;  // decoded bytes (|hex| resolved, escapes removed)
  bool negated = false;
  bool nocase = false;
  bool fast_pattern = false;       // chosen by the rule (fast_pattern keyword)
  bool fast_pattern_only = false;  // legacy fast_pattern:only
  // fast_pattern:offset,length: only pattern[offset, offset+length) goes to the prefilter.
  // length 0: the whole pattern.
  uint16_t fast_pattern_offset = 0;
  uint16_t fast_pattern_length = 0;
  bool startswith = false;         // == depth len, offset 0
  bool endswith = false;           // the match must end at the end of the buffer
  bool rawbytes = false;           // accepted, no effect (we inspect raw payload)
  bool relative = false;           // distance or within given
  std::optional<IntOrVar> offset, depth, distance, within;
};

struct PcreOpt {
  std::string regex;     // the expression between the slashes
  std::string flags;     // raw flag letters as written (i s m x A E G R B O)
  bool negated = false;
  bool relative = false;  // R
  // PCRE2 compile options derived from the flags (i, s, m, x, A, E, G).
  uint32_t pcre2_options = 0;
};

struct ByteTestOpt {
  uint8_t nbytes = 1;          // 1..10 (string) or 1,2,3,4,8 (binary)
  char op = '=';               // < > = ! & ^  ('l' <=, 'g' >=)
  bool op_negated = false;     // "!=" style: negate the result
  IntOrVar value;
  IntOrVar offset;
  bool relative = false;
  bool little_endian = false;  // default big
  bool string = false;
  int base = 10;               // string: 8, 10 or 16
  bool dce = false;
  uint64_t bitmask = 0;        // 0: none
};

struct ByteJumpOpt {
  uint8_t nbytes = 1;  // 0 allowed with from_beginning/from_end/post_offset forms
  int8_t nbytes_var = -1;  // >= 0: the byte count is a byte_extract variable
  IntOrVar offset;
  bool relative = false;
  int64_t multiplier = 1;
  bool little_endian = false;
  bool string = false;
  int base = 10;
  bool align = false;
  bool from_beginning = false;
  bool from_end = false;
  int64_t post_offset = 0;
  bool dce = false;
  uint64_t bitmask = 0;
};

struct ByteExtractOpt {
  uint8_t nbytes = 1;
  int64_t offset = 0;
  int8_t var = 0;  // index of the variable it sets
  bool relative = false;
  int64_t multiplier = 1;
  bool little_endian = false;
  bool string = false;
  int base = 10;
  int align = 0;  // 0, 2 or 4
  bool dce = false;
  uint64_t bitmask = 0;
};

struct IsDataAtOpt {
  IntOrVar value;
  bool relative = false;
  bool negated = false;
};

using PayloadOpt = std::variant<ContentOpt, PcreOpt, ByteTestOpt, ByteJumpOpt, ByteExtractOpt,
                                IsDataAtOpt>;

// ---- Non-payload options.
struct FlowOpt {
  bool to_server = false;  // to_server or from_client
  bool to_client = false;  // to_client or from_server
  bool established = false;
  bool not_established = false;
  bool stateless = false;
  bool only_stream = false;
  bool no_stream = false;
};

struct FlowbitOp {
  enum class Kind : uint8_t { kSet, kIsSet, kIsNotSet, kUnset, kToggle, kNoAlert };
  Kind kind = Kind::kSet;
  std::vector<uint16_t> bits;  // ids in RuleSet::flowbit_names
  bool any_of = false;         // "a|b" (isset/isnotset: any); default all ("a&b" or single)
};

struct TcpFlagsOpt {
  uint8_t flags = 0;  // FSRPAUEC bits as in the TCP header (tcpflag::)
  char modifier = 0;  // 0 exact, '+' all of these and any others, '*' any of, '!' none of
  uint8_t mask = 0;   // bits to ignore (",12" / ",CE")
};

struct FragbitsOpt {
  uint8_t bits = 0;   // 1 M (more fragments), 2 D (don't fragment), 4 R (reserved)
  char modifier = 0;  // 0 exact, '+', '*', '!'
};

struct StreamSizeOpt {
  enum class Side : uint8_t { kServer, kClient, kBoth, kEither };
  Side side = Side::kBoth;
  NumCmp cmp;
};

struct ThresholdOpt {
  enum class Type : uint8_t { kLimit, kThreshold, kBoth, kBackoff, kDetectionFilter };
  enum class Track : uint8_t { kBySrc, kByDst, kByRule, kByBoth, kByFlow };
  enum class Unique : uint8_t { kNone, kSrcPort, kDstPort };
  Type type = Type::kLimit;
  Track track = Track::kBySrc;
  Unique unique_on = Unique::kNone;  // detection_filter unique_on
  uint32_t count = 1;
  uint32_t seconds = 60;
  uint32_t multiplier = 1;  // backoff
};

struct Rule {
  // Header.
  Action action = Action::kAlert;
  Proto proto = Proto::kIp;
  AddressSet src, dst;
  PortSet sport, dport;
  bool bidirectional = false;  // "<>"

  // Identity and metadata.
  uint32_t gid = 1;
  uint32_t sid = 0;
  uint32_t rev = 0;
  std::string msg;
  std::string classtype;
  std::string category;   // classtype's description from classification.config, "" if none
  // EVE alert.severity as Suricata logs it: the priority keyword, else the classtype's, else 3.
  // 1 is highest; metrics and the summary count anything above 4 as 4.
  int priority = 3;
  std::vector<std::string> references;
  std::vector<std::string> metadata;
  enum class Target : uint8_t { kNone, kSrc, kDst } target = Target::kNone;

  // Payload and header options.
  std::vector<PayloadOpt> payload;
  uint8_t nvars = 0;  // byte_extract variables used
  std::optional<NumCmp> dsize, bsize, ttl, tos, window, seq, ack, ip_id, itype, icode, icmp_id,
      icmp_seq;
  std::optional<NumCmp> ip_proto;  // kEq / kNe / kLt / kGt on the protocol number
  std::optional<TcpFlagsOpt> flags;
  std::optional<FragbitsOpt> fragbits;
  std::optional<StreamSizeOpt> stream_size;
  FlowOpt flow;
  std::vector<FlowbitOp> flowbits;
  bool noalert = false;  // noalert keyword or flowbits:noalert
  std::optional<ThresholdOpt> threshold;         // threshold keyword (or threshold.config)
  std::optional<ThresholdOpt> detection_filter;  // detection_filter keyword

  // Where it came from.
  std::string file;
  int line = 0;
  std::string text;  // the rule as written (for -T and diagnostics)

  bool has_payload() const noexcept { return !payload.empty() || dsize || bsize; }
};

// A problem found while loading rules or their config files.
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;     // 0 if not meaningful
  uint32_t sid = 0;   // 0 if unknown
  std::string keyword;  // skipped rules: the unsupported keyword
  std::string message;
  std::string str() const;  // "file:line:col: message" (column omitted when 0)
};

// threshold.config entries (applied by the threshold engine, off the rules themselves).
struct ThresholdConfigEntry {
  enum class Kind : uint8_t { kThreshold, kEventFilter, kSuppress, kRateFilter };
  Kind kind = Kind::kThreshold;
  uint32_t gid = 0;  // 0 = any
  uint32_t sid = 0;  // 0 = any
  ThresholdOpt opt;  // threshold / event_filter / rate_filter parameters
  // suppress: track by_src/by_dst/by_either with an address set; empty = suppress everywhere.
  enum class SuppressTrack : uint8_t { kNone, kBySrc, kByDst, kByEither } suppress_track =
      SuppressTrack::kNone;
  AddressSet suppress_ip;
  // rate_filter: new_action and timeout (seconds) once the rate is exceeded.
  Action new_action = Action::kAlert;
  uint32_t timeout = 0;
  std::string file;
  int line = 0;
};

struct RuleSet {
  std::vector<Rule> rules;                  // loaded, in file order
  std::vector<std::string> flowbit_names;   // id -> name
  std::vector<ThresholdConfigEntry> thresholds;
  std::vector<Diagnostic> skipped;          // rules skipped (unsupported keyword): warnings
  std::vector<Diagnostic> errors;           // syntax/semantic errors (rule not loaded)
  std::vector<Diagnostic> warnings;         // loaded, but worth saying (e.g. duplicate sid)
  std::size_t loaded() const noexcept { return rules.size(); }
};

}  // namespace ts::sig
