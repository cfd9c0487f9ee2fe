#include "tests/signatures/rule_dump.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <arpa/inet.h>

#include <cstdio>

#include "sensor/packet.h"

namespace ts::sig::testing {

namespace {

// Compressed IPv6 (inet_ntop), so expectations stay short; EVE's full form is not the point.
std::string ip(const IpAddr& a) {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.b.data(), buf, sizeof(buf))) return "?";
  return buf;
}

std::string iov(const IntOrVar& v) {
  return v.var >= 0 ? "$" + std::to_string(v.var) : std::to_string(v.value);
}

std::string escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '|' && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "|%02X|", c);
      out += buf;
    }
  }
  return out;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string dump(const AddressSet& s) {
  if (s.any) return "any";
  std::string out;
  for (const AddrRange& r : s.ranges) {
    if (!out.empty()) out += ",";
    out += r.lo == r.hi ? ip(r.lo) : ip(r.lo) + "-" + ip(r.hi);
  }
  return out;
}

std::string dump(const PortSet& s) {
  if (s.any) return "any";
  std::string out;
  for (const PortRange& r : s.ranges) {
    if (!out.empty()) out += ",";
    out += r.lo == r.hi ? std::to_string(r.lo) : std::to_string(r.lo) + ":" + std::to_string(r.hi);
  }
  return out;
}

std::string dump(const NumCmp& c) {
  switch (c.op) {
    case NumCmp::Op::kEq:
      return "=" + std::to_string(c.a);
    case NumCmp::Op::kNe:
      return "!=" + std::to_string(c.a);
    case NumCmp::Op::kLt:
      return "<" + std::to_string(c.a);
    case NumCmp::Op::kLe:
      return "<=" + std::to_string(c.a);
    case NumCmp::Op::kGt:
      return ">" + std::to_string(c.a);
    case NumCmp::Op::kGe:
      return ">=" + std::to_string(c.a);
    case NumCmp::Op::kRange:
      return std::to_string(c.a) + "<>" + std::to_string(c.b);
    case NumCmp::Op::kRangeIncl:
      return std::to_string(c.a) + "..=" + std::to_string(c.b);
  }
  return "?";
}

std::string dump(const ThresholdOpt& t) {
  static const char* kType[] = {"limit", "threshold", "both", "backoff", "detection_filter"};
  static const char* kTrack[] = {"by_src", "by_dst", "by_rule", "by_both", "by_flow"};
  std::string s = std::string(kType[static_cast<int>(t.type)]) + " " +
                  kTrack[static_cast<int>(t.track)] + " count=" + std::to_string(t.count);
  if (t.type == ThresholdOpt::Type::kBackoff) {
    s += " multiplier=" + std::to_string(t.multiplier);
  } else {
    s += " seconds=" + std::to_string(t.seconds);
  }
  if (t.unique_on == ThresholdOpt::Unique::kSrcPort) s += " unique_on=src_port";
  if (t.unique_on == ThresholdOpt::Unique::kDstPort) s += " unique_on=dst_port";
  return s;
}

std::string dump(const PayloadOpt& p) {
  if (const auto* c = std::get_if<ContentOpt>(&p)) {
    std::string s =
        std::string("content ") + (c->negated ? "!" : "") + "\"" + escaped(c->pattern) + "\"";
    if (c->nocase) s += " nocase";
    if (c->rawbytes) s += " rawbytes";
    if (c->offset) s += " offset=" + iov(*c->offset);
    if (c->depth) s += " depth=" + iov(*c->depth);
    if (c->distance) s += " distance=" + iov(*c->distance);
    if (c->within) s += " within=" + iov(*c->within);
    if (c->relative) s += " relative";
    if (c->startswith) s += " startswith";
    if (c->endswith) s += " endswith";
    if (c->fast_pattern) s += " fast_pattern";
    if (c->fast_pattern_only) s += " only";
    if (c->fast_pattern_length) {
      s += " chop=" + std::to_string(c->fast_pattern_offset) + "," +
           std::to_string(c->fast_pattern_length);
    }
    return s;
  }
  if (const auto* c = std::get_if<PcreOpt>(&p)) {
    std::string s =
        std::string("pcre ") + (c->negated ? "!" : "") + "/" + c->regex + "/" + c->flags;
    if (c->relative) s += " relative";
    const std::pair<uint32_t, const char*> kOpts[] = {
        {PCRE2_CASELESS, "caseless"},   {PCRE2_DOTALL, "dotall"},
        {PCRE2_MULTILINE, "multiline"}, {PCRE2_EXTENDED, "extended"},
        {PCRE2_ANCHORED, "anchored"},   {PCRE2_DOLLAR_ENDONLY, "dollar_endonly"},
        {PCRE2_UNGREEDY, "ungreedy"}};
    uint32_t left = c->pcre2_options;
    for (const auto& [bit, name] : kOpts) {
      if (left & bit) {
        s += std::string(" ") + name;
        left &= ~bit;
      }
    }
    if (left) s += " other=" + hex(left);
    return s;
  }
  auto common = [](std::string& s, bool relative, bool little, bool string, int base, bool dce,
                   uint64_t bitmask) {
    if (relative) s += " relative";
    if (little) s += " little";
    if (string) s += " string base=" + std::to_string(base);
    if (dce) s += " dce";
    if (bitmask) s += " bitmask=" + hex(bitmask);
  };
  if (const auto* b = std::get_if<ByteTestOpt>(&p)) {
    std::string op(1, b->op);
    if (b->op == 'l') op = "<=";
    if (b->op == 'g') op = ">=";
    std::string s = "byte_test " + std::to_string(b->nbytes) + " " + (b->op_negated ? "!" : "") +
                    op + " " + iov(b->value) + " at " + iov(b->offset);
    common(s, b->relative, b->little_endian, b->string, b->base, b->dce, b->bitmask);
    return s;
  }
  if (const auto* b = std::get_if<ByteJumpOpt>(&p)) {
    std::string s =
        "byte_jump " +
        (b->nbytes_var >= 0 ? "$" + std::to_string(b->nbytes_var) : std::to_string(b->nbytes)) +
        " at " + iov(b->offset);
    common(s, b->relative, b->little_endian, b->string, b->base, b->dce, b->bitmask);
    if (b->multiplier != 1) s += " multiplier=" + std::to_string(b->multiplier);
    if (b->align) s += " align";
    if (b->from_beginning) s += " from_beginning";
    if (b->from_end) s += " from_end";
    if (b->post_offset) s += " post_offset=" + std::to_string(b->post_offset);
    return s;
  }
  if (const auto* b = std::get_if<ByteExtractOpt>(&p)) {
    std::string s = "byte_extract " + std::to_string(b->nbytes) + " at " +
                    std::to_string(b->offset) + " -> $" + std::to_string(b->var);
    common(s, b->relative, b->little_endian, b->string, b->base, b->dce, b->bitmask);
    if (b->multiplier != 1) s += " multiplier=" + std::to_string(b->multiplier);
    if (b->align) s += " align=" + std::to_string(b->align);
    return s;
  }
  if (const auto* d = std::get_if<IsDataAtOpt>(&p)) {
    std::string s = std::string("isdataat ") + (d->negated ? "!" : "") + iov(d->value);
    if (d->relative) s += " relative";
    return s;
  }
  return "?";
}

std::vector<std::string> dump_options(const Rule& r, const RuleSet& set) {
  std::vector<std::string> out;
  for (const PayloadOpt& p : r.payload) out.push_back(dump(p));
  if (r.nvars) out.push_back("nvars " + std::to_string(r.nvars));
  const std::pair<const char*, const std::optional<NumCmp>*> kNums[] = {
      {"dsize", &r.dsize},      {"bsize", &r.bsize},     {"ttl", &r.ttl},
      {"tos", &r.tos},          {"window", &r.window},   {"seq", &r.seq},
      {"ack", &r.ack},          {"ip_id", &r.ip_id},     {"itype", &r.itype},
      {"icode", &r.icode},      {"icmp_id", &r.icmp_id}, {"icmp_seq", &r.icmp_seq},
      {"ip_proto", &r.ip_proto}};
  for (const auto& [name, v] : kNums) {
    if (*v) out.push_back(std::string(name) + dump(**v));
  }
  auto flags = [](uint8_t f) {
    static const std::pair<uint8_t, char> kBits[] = {
        {tcpflag::kFin, 'F'}, {tcpflag::kSyn, 'S'}, {tcpflag::kRst, 'R'}, {tcpflag::kPsh, 'P'},
        {tcpflag::kAck, 'A'}, {tcpflag::kUrg, 'U'}, {tcpflag::kCwr, 'C'}, {tcpflag::kEce, 'E'}};
    std::string s;
    for (const auto& [bit, c] : kBits) {
      if (f & bit) s += c;
    }
    return s.empty() ? std::string("0") : s;
  };
  if (r.flags) {
    std::string s = "flags ";
    if (r.flags->modifier) s += r.flags->modifier;
    s += flags(r.flags->flags);
    if (r.flags->mask) s += " mask " + flags(r.flags->mask);
    out.push_back(s);
  }
  if (r.fragbits) {
    std::string s = "fragbits ";
    if (r.fragbits->modifier) s += r.fragbits->modifier;
    if (r.fragbits->bits & 1) s += "M";
    if (r.fragbits->bits & 2) s += "D";
    if (r.fragbits->bits & 4) s += "R";
    out.push_back(s);
  }
  if (r.stream_size) {
    static const char* kSide[] = {"server", "client", "both", "either"};
    out.push_back(std::string("stream_size ") + kSide[static_cast<int>(r.stream_size->side)] + " " +
                  dump(r.stream_size->cmp));
  }
  const FlowOpt& f = r.flow;
  std::string flow;
  if (f.to_server) flow += " to_server";
  if (f.to_client) flow += " to_client";
  if (f.established) flow += " established";
  if (f.not_established) flow += " not_established";
  if (f.stateless) flow += " stateless";
  if (f.only_stream) flow += " only_stream";
  if (f.no_stream) flow += " no_stream";
  if (!flow.empty()) out.push_back("flow" + flow);
  for (const FlowbitOp& fb : r.flowbits) {
    static const char* kKind[] = {"set", "isset", "isnotset", "unset", "toggle", "noalert"};
    std::string s = std::string("flowbits ") + kKind[static_cast<int>(fb.kind)] + " ";
    for (std::size_t i = 0; i < fb.bits.size(); ++i) {
      if (i) s += fb.any_of ? "|" : "&";
      s += set.flowbit_names.at(fb.bits[i]);
    }
    out.push_back(s);
  }
  if (r.threshold) out.push_back("threshold " + dump(*r.threshold));
  if (r.detection_filter) out.push_back("detection_filter " + dump(*r.detection_filter));
  if (r.noalert) out.push_back("noalert");
  if (r.target == Rule::Target::kSrc) out.push_back("target src_ip");
  if (r.target == Rule::Target::kDst) out.push_back("target dest_ip");
  for (const std::string& m : r.metadata) out.push_back("metadata " + m);
  for (const std::string& ref : r.references) out.push_back("reference " + ref);
  return out;
}

}  // namespace ts::sig::testing
