// Rule parser. One RuleParser per logical rule line: header, then the options in order. A
// problem inside a rule is thrown as RuleFault (syntax/semantic error) or RuleSkip (valid but
// unsupported) and caught at the rule boundary, so nothing escapes this file and loading always
// goes on with the next rule. After a skip, the remaining options are only scanned (for the
// sid and for syntax errors): their meaning may depend on the unsupported keyword (a sticky
// buffer changes what content modifiers refer to), so they are not interpreted.
#include "signatures/parser.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "sensor/packet.h"
#include "signatures/classification.h"
#include "signatures/source_lines.h"
#include "signatures/text_util.h"
#include "signatures/threshold_config.h"

namespace ts::sig {

namespace {

struct RuleFault {
  std::size_t offset;
  std::string message;
};
struct RuleSkip {
  std::size_t offset;
  std::string keyword;  // e.g. "http.uri", "pcre/U", "protocol http"
  std::string reason;   // e.g. "unsupported keyword 'http.uri'"
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s, std::size_t& off) {
  return trim_blanks(s, off, is_space);
}

// Splits at commas; each part trimmed, with its offset.
struct Part {
  std::string_view text;
  std::size_t offset;
};
std::vector<Part> split(std::string_view s, std::size_t base, char sep = ',') {
  std::vector<Part> out;
  std::size_t i = 0;
  for (;;) {
    const std::size_t j = s.find(sep, i);
    const std::size_t end = j == std::string_view::npos ? s.size() : j;
    std::size_t off = base + i;
    out.push_back({trim(s.substr(i, end - i), off), off});
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// Decimal, or hex with 0x. For keyword values that Suricata reads with its integer parser.
bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// Signed decimal (offsets, distances).
bool parse_i64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  if (s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// strtoull(base 0) as Suricata's byte_test value and bitmask use: 0x hex, leading 0 octal.
bool parse_c_integer(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

const std::unordered_set<std::string_view>& app_layer_protocols() {
  // Protocols Suricata accepts in a rule header that this engine does not inspect.
  static const std::unordered_set<std::string_view> kProtos = {"http",
                                                               "http1",
                                                               "http2",
                                                               "ftp",
                                                               "ftp-data",
                                                               "smtp",
                                                               "tls",
                                                               "ssl",
                                                               "ssh",
                                                               "imap",
                                                               "pop3",
                                                               "smb",
                                                               "dcerpc",
                                                               "dns",
                                                               "dnp3",
                                                               "modbus",
                                                               "enip",
                                                               "cip",
                                                               "nfs",
                                                               "ntp",
                                                               "tftp",
                                                               "ikev2",
                                                               "ike",
                                                               "krb5",
                                                               "dhcp",
                                                               "snmp",
                                                               "sip",
                                                               "rfb",
                                                               "mqtt",
                                                               "pgsql",
                                                               "telnet",
                                                               "rdp",
                                                               "quic",
                                                               "bittorrent-dht",
                                                               "websocket",
                                                               "ldap",
                                                               "doh2",
                                                               "mdns",
                                                               "llmnr",
                                                               "sctp",
                                                               "icmpv4",
                                                               "icmpv6",
                                                               "ipv4",
                                                               "ip4",
                                                               "ipv6",
                                                               "ip6",
                                                               "pkthdr",
                                                               "ether",
                                                               "arp",
                                                               "udp-pkt",
                                                               "tcp-stream-only",
                                                               "failed",
                                                               "nfs3",
                                                               "irc",
                                                               "jabber",
                                                               "msn",
                                                               "ssl/tls",
                                                               "rpc",
                                                               "ntlmssp"};
  return kProtos;
}

// IP protocol names for ip_proto (IANA keywords, as /etc/protocols spells them).
const std::unordered_map<std::string, uint8_t>& ip_protocol_names() {
  static const std::unordered_map<std::string, uint8_t> kNames = {
      {"hopopt", 0},     {"icmp", 1},
      {"igmp", 2},       {"ggp", 3},
      {"ipencap", 4},    {"ipv4", 4},
      {"st", 5},         {"tcp", 6},
      {"egp", 8},        {"igp", 9},
      {"pup", 12},       {"udp", 17},
      {"hmp", 20},       {"xns-idp", 22},
      {"rdp", 27},       {"iso-tp4", 29},
      {"dccp", 33},      {"xtp", 36},
      {"ddp", 37},       {"idpr-cmtp", 38},
      {"ipv6", 41},      {"ipv6-route", 43},
      {"ipv6-frag", 44}, {"idrp", 45},
      {"rsvp", 46},      {"gre", 47},
      {"esp", 50},       {"ah", 51},
      {"skip", 57},      {"ipv6-icmp", 58},
      {"icmpv6", 58},    {"ipv6-nonxt", 59},
      {"ipv6-opts", 60}, {"rspf", 73},
      {"vmtp", 81},      {"eigrp", 88},
      {"ospf", 89},      {"ospfigp", 89},
      {"ax.25", 93},     {"ipip", 94},
      {"etherip", 97},   {"encap", 98},
      {"pim", 103},      {"ipcomp", 108},
      {"vrrp", 112},     {"l2tp", 115},
      {"isis", 124},     {"sctp", 132},
      {"fc", 133},       {"mobility-header", 135},
      {"udplite", 136},  {"mpls-in-ip", 137},
      {"manet", 138},    {"hip", 139},
      {"shim6", 140},    {"wesp", 141},
      {"rohc", 142},     {"ethernet", 143}};
  return kNames;
}

// The sid of a rule that failed before its sid option was read (for the Diagnostic): the
// first "sid:<digits>" that starts an option. 0 if none.
uint32_t find_sid(std::string_view text) {
  for (std::size_t at = text.find("sid"); at != std::string_view::npos;
       at = text.find("sid", at + 3)) {
    std::size_t b = at;
    while (b > 0 && is_space(text[b - 1])) --b;
    if (b == 0 || (text[b - 1] != ';' && text[b - 1] != '(')) continue;
    std::size_t i = at + 3;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size() || text[i] != ':') continue;
    ++i;
    while (i < text.size() && is_space(text[i])) ++i;
    uint32_t sid = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), sid);
    if (ec == std::errc() && p != text.data() + i) return sid;
  }
  return 0;
}

struct Option {
  std::string_view key;
  std::size_t key_off = 0;
  std::string_view value;  // trimmed; empty when there is none
  std::size_t value_off = 0;
  bool has_value = false;
};

class Loader;

class RuleParser {
 public:
  RuleParser(Loader& loader, const LogicalLine& ll, const std::string& file)
      : loader_(loader), ll_(ll), text_(ll.text), file_(file) {}
  void run();

 private:
  using Handler = void (RuleParser::*)(const Option&);
  static const std::unordered_map<std::string_view, Handler>& handlers();

  [[noreturn]] void fail(std::size_t off, std::string msg) { throw RuleFault{off, std::move(msg)}; }
  [[noreturn]] void skip(std::size_t off, std::string keyword, std::string reason) {
    throw RuleSkip{off, std::move(keyword), std::move(reason)};
  }

  // Header.
  struct Token {
    std::string_view text;
    std::size_t offset;
  };
  Token header_token(std::size_t& p, const char* what);
  void parse_header(std::size_t& p);
  // Options.
  std::size_t scan_option(std::size_t i, std::size_t end, Option& o);
  void apply(const Option& o);

  // Value helpers.
  void no_value(const Option& o);
  std::string_view need_value(const Option& o);
  std::string_view quoted(const Option& o, bool allow_negation, bool& negated,
                          std::size_t& inner_off);
  uint32_t u32_value(const Option& o, uint32_t min);
  NumCmp num_cmp(std::string_view v, std::size_t off, const std::string& kw, uint64_t max);
  IntOrVar int_or_var(std::string_view v, std::size_t off, const std::string& kw, int64_t lo,
                      int64_t hi);
  int8_t var_index(std::string_view name) const;
  ContentOpt& last_content(const Option& o);
  void set_once(std::optional<NumCmp>& field, const Option& o, NumCmp v);
  // What byte_option has seen across one keyword's options, for the checks after the loop.
  struct ByteOptionsSeen {
    bool base_set = false;
    bool big = false;
    std::size_t base_off = 0;
  };
  template <class ByteOpt>
  bool byte_option(ByteOpt& b, const Part& part, std::string_view kw, bool bitmask_needs_break,
                   ByteOptionsSeen& seen);

  // Keywords.
  void kw_msg(const Option& o);
  void kw_sid(const Option& o);
  void kw_rev(const Option& o);
  void kw_gid(const Option& o);
  void kw_classtype(const Option& o);
  void kw_priority(const Option& o);
  void kw_reference(const Option& o);
  void kw_metadata(const Option& o);
  void kw_target(const Option& o);
  void kw_content(const Option& o);
  void kw_nocase(const Option& o);
  void kw_rawbytes(const Option& o);
  void kw_depth(const Option& o);
  void kw_offset(const Option& o);
  void kw_distance(const Option& o);
  void kw_within(const Option& o);
  void kw_startswith(const Option& o);
  void kw_endswith(const Option& o);
  void kw_fast_pattern(const Option& o);
  void kw_pcre(const Option& o);
  void kw_flow(const Option& o);
  void kw_flowbits(const Option& o);
  void kw_dsize(const Option& o);
  void kw_bsize(const Option& o);
  void kw_ttl(const Option& o);
  void kw_tos(const Option& o);
  void kw_window(const Option& o);
  void kw_seq(const Option& o);
  void kw_ack(const Option& o);
  void kw_id(const Option& o);
  void kw_ip_proto(const Option& o);
  void kw_itype(const Option& o);
  void kw_icode(const Option& o);
  void kw_icmp_id(const Option& o);
  void kw_icmp_seq(const Option& o);
  void kw_flags(const Option& o);
  void kw_fragbits(const Option& o);
  void kw_isdataat(const Option& o);
  void kw_byte_test(const Option& o);
  void kw_byte_jump(const Option& o);
  void kw_byte_extract(const Option& o);
  void kw_threshold(const Option& o);
  void kw_detection_filter(const Option& o);
  void kw_noalert(const Option& o);
  void kw_stream_size(const Option& o);
  void kw_tag(const Option& o);

  void finish(std::size_t close_paren);

  Loader& loader_;
  const LogicalLine& ll_;
  std::string_view text_;
  const std::string& file_;
  Rule r_;
  // Parse state.
  bool have_sid_ = false, have_rev_ = false, have_gid_ = false, have_msg_ = false,
       have_classtype_ = false, have_priority_ = false, have_flow_ = false;
  int last_content_ = -1;  // index into r_.payload
  bool fast_pattern_seen_ = false;
  std::vector<std::string> var_names_;  // byte_extract variables, by index
  std::optional<RuleSkip> skipped_;     // first unsupported thing, if any
  std::size_t sid_off_ = 0;
};

class Loader {
 public:
  explicit Loader(const LoadOptions& opts) : vars_(opts.vars) {
    classes_ = &ClassificationTable::shipped();
    if (!opts.classification_file.empty()) {
      std::string text, why;
      if (!read_text_file(opts.classification_file, text, &why)) {
        error_at(opts.classification_file, 0, 0, "cannot read classification file: " + why);
      } else {
        own_classes_.parse(text, opts.classification_file, set_.errors, set_.warnings);
        classes_ = &own_classes_;
      }
    }
    threshold_file_ = opts.threshold_file;
  }

  void load_text(std::string_view text, const std::string& file) {
    for_each_logical_line(text, [&](const LogicalLine& ll) { RuleParser(*this, ll, file).run(); });
  }

  void load_file(const std::string& path) {
    std::string text, why;
    if (!read_text_file(path, text, &why)) {
      error_at(path, 0, 0, "cannot read rule file: " + why);
      return;
    }
    load_text(text, path);
  }

  RuleSet finish() {
    if (!threshold_file_.empty()) {
      std::string text, why;
      if (!read_text_file(threshold_file_, text, &why)) {
        error_at(threshold_file_, 0, 0, "cannot read threshold file: " + why);
      } else {
        parse_threshold_config(text, threshold_file_, vars_, set_.thresholds, set_.errors);
      }
    }
    return std::move(set_);
  }

  void error_at(const std::string& file, int line, int col, std::string msg, uint32_t sid = 0) {
    Diagnostic d;
    d.file = file;
    d.line = line;
    d.column = col;
    d.sid = sid;
    d.message = std::move(msg);
    set_.errors.push_back(std::move(d));
  }

  RuleSet& set() { return set_; }
  VarTable& vars() { return vars_; }
  const ClassificationTable& classes() const { return *classes_; }

  uint16_t flowbit_id(std::string_view name) {
    auto it = flowbit_ids_.find(std::string(name));
    if (it != flowbit_ids_.end()) return it->second;
    const auto id = static_cast<uint16_t>(set_.flowbit_names.size());
    set_.flowbit_names.emplace_back(name);
    flowbit_ids_.emplace(std::string(name), id);
    return id;
  }
  std::size_t flowbit_count() const { return flowbit_ids_.size(); }

  // Where gid:sid was first loaded, or null (and records this one).
  const std::pair<std::string, int>* claim_sid(uint32_t gid, uint32_t sid, const std::string& file,
                                               int line) {
    const uint64_t key = (uint64_t{gid} << 32) | sid;
    auto [it, inserted] = sids_.try_emplace(key, file, line);
    return inserted ? nullptr : &it->second;
  }

 private:
  RuleSet set_;
  VarTable vars_;
  ClassificationTable own_classes_;
  const ClassificationTable* classes_ = nullptr;
  std::string threshold_file_;
  std::unordered_map<std::string, uint16_t> flowbit_ids_;
  std::unordered_map<uint64_t, std::pair<std::string, int>> sids_;
};

// ---------------------------------------------------------------------------------------------
// Header

RuleParser::Token RuleParser::header_token(std::size_t& p, const char* what) {
  while (p < text_.size() && is_space(text_[p])) ++p;
  if (p >= text_.size() || text_[p] == '(') fail(p, std::string("expected ") + what);
  const std::size_t start = p;
  int depth = 0;
  while (p < text_.size()) {
    const char c = text_[p];
    if (c == '[')
      ++depth;
    else if (c == ']')
      --depth;
    else if (depth <= 0 && (is_space(c) || c == '('))
      break;
    ++p;
  }
  if (depth > 0) fail(start, "unterminated list (missing ']')");
  return {text_.substr(start, p - start), start};
}

void RuleParser::parse_header(std::size_t& p) {
  const Token action = header_token(p, "an action");
  const Token proto = header_token(p, "a protocol");
  const Token src = header_token(p, "a source address");
  const Token sport = header_token(p, "a source port");
  const Token dir = header_token(p, "a direction ('->' or '<>')");
  const Token dst = header_token(p, "a destination address");
  const Token dport = header_token(p, "a destination port");
  while (p < text_.size() && is_space(text_[p])) ++p;
  if (p >= text_.size() || text_[p] != '(') fail(p, "expected '(' to open the rule options");

  const std::string a = lower(action.text);
  if (a == "alert")
    r_.action = Action::kAlert;
  else if (a == "pass")
    r_.action = Action::kPass;
  else if (a == "drop")
    r_.action = Action::kDrop;
  else if (a == "reject" || a == "rejectsrc" || a == "rejectdst" || a == "rejectboth")
    r_.action = Action::kReject;
  else
    fail(action.offset, "unknown action '" + std::string(action.text) +
                            "' (expected alert, pass, drop or reject)");

  std::optional<RuleSkip> proto_skip;
  const std::string pr = lower(proto.text);
  if (pr == "ip")
    r_.proto = Proto::kIp;
  else if (pr == "tcp")
    r_.proto = Proto::kTcp;
  else if (pr == "udp")
    r_.proto = Proto::kUdp;
  else if (pr == "icmp")
    r_.proto = Proto::kIcmp;
  else if (pr == "tcp-pkt") {  // Suricata: packet matches only, as flow:no_stream
    r_.proto = Proto::kTcp;
    r_.flow.no_stream = true;
  } else if (pr == "tcp-stream") {  // stream matches only, as flow:only_stream
    r_.proto = Proto::kTcp;
    r_.flow.only_stream = true;
  } else if (app_layer_protocols().count(pr)) {
    proto_skip = RuleSkip{proto.offset, "protocol " + pr,
                          "unsupported protocol '" + std::string(proto.text) + "'"};
  } else {
    fail(proto.offset, "unknown protocol '" + std::string(proto.text) + "'");
  }

  ExprError err;
  if (!loader_.vars().parse_address(src.text, r_.src, err))
    fail(src.offset + err.offset, err.message);
  if (!loader_.vars().parse_ports(sport.text, r_.sport, err))
    fail(sport.offset + err.offset, err.message);
  if (dir.text == "->")
    r_.bidirectional = false;
  else if (dir.text == "<>")
    r_.bidirectional = true;
  else
    fail(dir.offset, "expected '->' or '<>', got '" + std::string(dir.text) + "'");
  if (!loader_.vars().parse_address(dst.text, r_.dst, err))
    fail(dst.offset + err.offset, err.message);
  if (!loader_.vars().parse_ports(dport.text, r_.dport, err))
    fail(dport.offset + err.offset, err.message);
  if (proto_skip) skipped_ = std::move(proto_skip);
}

// ---------------------------------------------------------------------------------------------
// Options

// Reads one "key[:value];" starting at i (body ends at `end`, the closing paren). Returns the
// position after the ';'.
std::size_t RuleParser::scan_option(std::size_t i, std::size_t end, Option& o) {
  const std::size_t key_start = i;
  while (i < end && !is_space(text_[i]) && text_[i] != ':' && text_[i] != ';') ++i;
  o.key = text_.substr(key_start, i - key_start);
  o.key_off = key_start;
  if (o.key.empty()) fail(key_start, "expected an option keyword");
  while (i < end && is_space(text_[i])) ++i;
  if (i < end && text_[i] == ':') {
    ++i;
    while (i < end && is_space(text_[i])) ++i;
    const std::size_t vstart = i;
    std::size_t j = i;
    if (j < end && text_[j] == '!') {
      ++j;
      while (j < end && is_space(text_[j])) ++j;
    }
    std::size_t vend = 0;
    if (j < end && text_[j] == '"') {
      // A quoted value ends at the first unescaped '"' followed by ';' (or the end): a ';'
      // or a lone '"' inside the quotes is part of the value.
      std::size_t k = j + 1;
      std::size_t first_quote = std::string_view::npos;  // for the error message
      bool closed = false;
      while (k < end) {
        if (text_[k] == '\\') {
          k += 2;
          continue;
        }
        if (text_[k] == '"') {
          if (first_quote == std::string_view::npos) first_quote = k;
          std::size_t m = k + 1;
          while (m < end && is_space(text_[m])) ++m;
          if (m >= end || text_[m] == ';') {
            vend = k + 1;
            i = m;
            closed = true;
            break;
          }
        }
        ++k;
      }
      if (!closed) {
        if (first_quote == std::string_view::npos) {
          fail(j, "unterminated string in option '" + std::string(o.key) + "'");
        }
        std::size_t m = first_quote + 1;
        while (m < end && is_space(text_[m])) ++m;
        fail(m, "expected ';' after option '" + std::string(o.key) + "'");
      }
    } else {
      while (j < end && text_[j] != ';') {
        if (text_[j] == '\\') ++j;
        ++j;
      }
      if (j > end) j = end;
      vend = j;
      i = j;
    }
    std::size_t voff = vstart;
    o.value = trim(text_.substr(vstart, vend - vstart), voff);
    o.value_off = voff;
    o.has_value = true;
  } else if (i < end && text_[i] != ';') {
    fail(i, "expected ':' or ';' after '" + std::string(o.key) + "'");
  }
  if (i >= end || text_[i] != ';') {
    fail(i, "expected ';' after option '" + std::string(o.key) + "'");
  }
  return i + 1;
}

void RuleParser::run() {
  r_.file = file_;
  r_.line = ll_.first_line();
  try {
    std::size_t p = 0;
    parse_header(p);
    const std::size_t open = p;
    std::size_t close = text_.rfind(')');
    if (close == std::string_view::npos || close < open) {
      fail(text_.size(), "expected ')' to close the rule options");
    }
    for (std::size_t k = close + 1; k < text_.size(); ++k) {
      if (!is_space(text_[k])) fail(k, "unexpected text after the closing ')'");
    }
    std::size_t i = open + 1;
    for (;;) {
      while (i < close && is_space(text_[i])) ++i;
      if (i >= close) break;
      Option o;
      i = scan_option(i, close, o);
      if (!skipped_) {
        try {
          apply(o);
        } catch (RuleSkip& s) {
          skipped_ = std::move(s);
        }
      } else if (o.key == "sid" || o.key == "gid") {
        apply(o);  // for the skip message and the sid check
      }
    }
    finish(close);
  } catch (const RuleFault& f) {
    const auto [line, col] = ll_.locate(f.offset);
    loader_.error_at(file_, line, col, f.message, have_sid_ ? r_.sid : find_sid(text_));
  }
}

void RuleParser::apply(const Option& o) {
  const auto& h = handlers();
  auto it = h.find(o.key);
  if (it == h.end()) {
    const std::string k = lower(o.key);
    it = h.find(k);
    if (it == h.end()) skip(o.key_off, k, "unsupported keyword '" + k + "'");
  }
  (this->*(it->second))(o);
}

void RuleParser::finish(std::size_t close_paren) {
  if (!have_sid_) fail(close_paren, "rule has no sid");
  RuleSet& set = loader_.set();
  if (skipped_) {
    Diagnostic d = ll_.diagnostic(
        file_, skipped_->offset, "skipped sid " + std::to_string(r_.sid) + ": " + skipped_->reason);
    d.sid = r_.sid;
    d.keyword = skipped_->keyword;
    set.skipped.push_back(std::move(d));
    return;
  }
  if (!have_priority_) {
    if (have_classtype_)
      r_.priority = loader_.classes().find(r_.classtype)->priority;
    else
      r_.priority = 3;
  }
  if (const auto* first = loader_.claim_sid(r_.gid, r_.sid, file_, r_.line)) {
    fail(sid_off_, "duplicate sid " + std::to_string(r_.gid) + ":" + std::to_string(r_.sid) +
                       " (first loaded at " + first->first + ":" + std::to_string(first->second) +
                       ")");
  }
  r_.nvars = static_cast<uint8_t>(var_names_.size());
  r_.text = std::string(text_);
  set.rules.push_back(std::move(r_));
}

// ---------------------------------------------------------------------------------------------
// Value helpers

void RuleParser::no_value(const Option& o) {
  if (o.has_value) fail(o.value_off, "option '" + std::string(o.key) + "' takes no value");
}

std::string_view RuleParser::need_value(const Option& o) {
  if (!o.has_value || o.value.empty()) {
    fail(o.has_value ? o.value_off : o.key_off + o.key.size(),
         "option '" + std::string(o.key) + "' needs a value");
  }
  return o.value;
}

// The text between the quotes of a "..." value (optionally !"..."), escapes kept.
std::string_view RuleParser::quoted(const Option& o, bool allow_negation, bool& negated,
                                    std::size_t& inner_off) {
  std::string_view v = need_value(o);
  std::size_t off = o.value_off;
  negated = false;
  if (v[0] == '!') {
    if (!allow_negation) fail(off, "option '" + std::string(o.key) + "' can't be negated");
    negated = true;
    v.remove_prefix(1);
    ++off;
    v = trim(v, off);
  }
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
    fail(off, "expected a quoted string for '" + std::string(o.key) + "'");
  }
  inner_off = off + 1;
  return v.substr(1, v.size() - 2);
}

uint32_t RuleParser::u32_value(const Option& o, uint32_t min) {
  const std::string_view v = need_value(o);
  uint64_t n = 0;
  if (!parse_u64(v, n) || n < min || n > 0xffffffffu) {
    fail(o.value_off, "expected an integer from " + std::to_string(min) + " to 4294967295 for '" +
                          std::string(o.key) + "', got '" + std::string(v) + "'");
  }
  return static_cast<uint32_t>(n);
}

// Suricata's integer comparisons (rules/integer-keywords): n, =n, !n, !=n, <n, <=n, >n, >=n,
// and the exclusive ranges a-b and a<>b; 0x hex and kb/mb/gb units. The negated range !a-b
// and the bitmask forms have no NumCmp equivalent: the rule is skipped.
NumCmp RuleParser::num_cmp(std::string_view v, std::size_t off, const std::string& kw,
                           uint64_t max) {
  const std::string_view whole = trim(v, off);
  std::size_t p = 0;
  auto bad = [&](std::size_t at, const std::string& why) {
    fail(off + at,
         why.empty() ? "invalid value '" + std::string(whole) + "' for '" + kw + "'" : why);
  };
  if (whole.empty()) bad(0, "option '" + kw + "' needs a value");
  if (whole[0] == '&') {
    skip(off, kw, "unsupported bitmask comparison '" + std::string(whole) + "' in '" + kw + "'");
  }
  NumCmp c;
  std::string_view op;
  for (std::string_view candidate : {">=", "<=", "!=", ">", "<", "!", "="}) {
    if (whole.substr(0, candidate.size()) == candidate) {
      op = candidate;
      break;
    }
  }
  p = op.size();
  while (p < whole.size() && is_space(whole[p])) ++p;
  auto number = [&](std::size_t& q) -> uint64_t {
    const std::size_t start = q;
    if (q + 1 < whole.size() && whole[q] == '0' && (whole[q + 1] == 'x' || whole[q + 1] == 'X')) {
      q += 2;
      while (q < whole.size() && std::isxdigit(static_cast<unsigned char>(whole[q]))) ++q;
    } else {
      while (q < whole.size() && std::isdigit(static_cast<unsigned char>(whole[q]))) ++q;
    }
    uint64_t n = 0;
    if (!parse_u64(whole.substr(start, q - start), n)) bad(start, "");
    // Optional unit (case-insensitive): kb kib mb mib gb gib.
    std::size_t u = q;
    while (u < whole.size() && std::isalpha(static_cast<unsigned char>(whole[u]))) ++u;
    if (u > q) {
      const std::string unit = lower(whole.substr(q, u - q));
      uint64_t mult = 0;
      if (unit == "kb" || unit == "kib")
        mult = 1024;
      else if (unit == "mb" || unit == "mib")
        mult = 1024 * 1024;
      else if (unit == "gb" || unit == "gib")
        mult = 1024 * 1024 * 1024;
      else
        bad(q, "");
      if (n > std::numeric_limits<uint64_t>::max() / mult) bad(start, "");
      n *= mult;
      q = u;
    }
    if (n > max) {
      fail(off + start, "value '" + std::string(whole.substr(start, q - start)) + "' of '" + kw +
                            "' is out of range (0 to " + std::to_string(max) + ")");
    }
    return n;
  };
  const uint64_t a = number(p);
  std::size_t q = p;
  while (q < whole.size() && is_space(whole[q])) ++q;
  if (q < whole.size() && (whole[q] == '-' || whole.substr(q, 2) == "<>")) {
    if (!op.empty() && op != "!") bad(0, "");
    q += whole[q] == '-' ? 1 : 2;
    while (q < whole.size() && is_space(whole[q])) ++q;
    const std::size_t bstart = q;
    const uint64_t b = number(q);
    if (q != whole.size()) bad(q, "");
    if (op == "!") {
      skip(off, kw, "unsupported negated range '" + std::string(whole) + "' in '" + kw + "'");
    }
    if (b <= a || b - a < 2) {
      fail(off + bstart, "invalid range '" + std::string(whole) + "' for '" + kw +
                             "': no value lies strictly between the bounds");
    }
    c.op = NumCmp::Op::kRange;
    c.a = a;
    c.b = b;
    return c;
  }
  if (p != whole.size()) bad(p, "");
  c.a = a;
  if (op.empty() || op == "=")
    c.op = NumCmp::Op::kEq;
  else if (op == "!" || op == "!=")
    c.op = NumCmp::Op::kNe;
  else if (op == "<")
    c.op = NumCmp::Op::kLt;
  else if (op == "<=")
    c.op = NumCmp::Op::kLe;
  else if (op == ">")
    c.op = NumCmp::Op::kGt;
  else
    c.op = NumCmp::Op::kGe;
  // Comparisons that can never (or always) match are errors, as in Suricata.
  if ((c.op == NumCmp::Op::kLt && a == 0) || (c.op == NumCmp::Op::kGt && a == max)) {
    fail(off, "'" + std::string(whole) + "' in '" + kw + "' can never match");
  }
  if ((c.op == NumCmp::Op::kGe && a == 0) || (c.op == NumCmp::Op::kLe && a == max)) {
    fail(off, "'" + std::string(whole) + "' in '" + kw + "' always matches");
  }
  return c;
}

int8_t RuleParser::var_index(std::string_view name) const {
  for (std::size_t i = 0; i < var_names_.size(); ++i) {
    if (var_names_[i] == name) return static_cast<int8_t>(i);
  }
  return -1;
}

// A literal integer in [lo, hi], or the name of an earlier byte_extract variable.
IntOrVar RuleParser::int_or_var(std::string_view v, std::size_t off, const std::string& kw,
                                int64_t lo, int64_t hi) {
  if (v.empty()) fail(off, "option '" + kw + "' needs a value");
  IntOrVar out;
  if (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_') {
    const int8_t idx = var_index(v);
    if (idx < 0) {
      fail(off, "unknown byte_extract variable '" + std::string(v) + "' in '" + kw + "'");
    }
    out.var = idx;
    return out;
  }
  int64_t n = 0;
  if (!parse_i64(v, n) || n < lo || n > hi) {
    fail(off, "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                  " or a byte_extract variable for '" + kw + "', got '" + std::string(v) + "'");
  }
  out.value = n;
  return out;
}

ContentOpt& RuleParser::last_content(const Option& o) {
  if (last_content_ < 0) {
    fail(o.key_off, "content modifier '" + std::string(o.key) + "' without a preceding content");
  }
  return std::get<ContentOpt>(r_.payload[static_cast<std::size_t>(last_content_)]);
}

void RuleParser::set_once(std::optional<NumCmp>& field, const Option& o, NumCmp v) {
  if (field) {
    // Suricata ANDs repeated header comparisons; one NumCmp per keyword can't say that.
    skip(o.key_off, std::string(o.key),
         "unsupported repeated '" + std::string(o.key) + "' in one rule");
  }
  field = v;
}

// ---------------------------------------------------------------------------------------------
// Keywords: identity and metadata

void RuleParser::kw_msg(const Option& o) {
  if (have_msg_) fail(o.key_off, "duplicate 'msg'");
  have_msg_ = true;
  bool neg = false;
  std::size_t inner_off = 0;
  const std::string_view s = quoted(o, false, neg, inner_off);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == '"' || s[i + 1] == ';' || s[i + 1] == '\\' || s[i + 1] == ':')) {
      ++i;
    }
    out += s[i];
  }
  r_.msg = std::move(out);
}

void RuleParser::kw_sid(const Option& o) {
  if (have_sid_) fail(o.key_off, "duplicate 'sid'");
  r_.sid = u32_value(o, 1);
  sid_off_ = o.key_off;
  have_sid_ = true;
}

void RuleParser::kw_rev(const Option& o) {
  if (have_rev_) fail(o.key_off, "duplicate 'rev'");
  r_.rev = u32_value(o, 0);
  have_rev_ = true;
}

void RuleParser::kw_gid(const Option& o) {
  if (have_gid_) fail(o.key_off, "duplicate 'gid'");
  r_.gid = u32_value(o, 0);
  have_gid_ = true;
}

void RuleParser::kw_classtype(const Option& o) {
  if (have_classtype_) fail(o.key_off, "duplicate 'classtype'");
  const std::string_view v = need_value(o);
  const Classification* c = loader_.classes().find(v);
  if (!c) fail(o.value_off, "unknown classtype '" + std::string(v) + "'");
  r_.classtype = c->name;
  r_.category = c->description;
  have_classtype_ = true;
}

void RuleParser::kw_priority(const Option& o) {
  if (have_priority_) fail(o.key_off, "duplicate 'priority'");
  const std::string_view v = need_value(o);
  uint64_t n = 0;
  if (!parse_u64(v, n) || n < 1 || n > 255) {
    fail(o.value_off, "expected a priority from 1 to 255, got '" + std::string(v) + "'");
  }
  r_.priority = static_cast<int>(n);
  have_priority_ = true;
}

void RuleParser::kw_reference(const Option& o) {
  const std::string_view v = need_value(o);
  const std::size_t comma = v.find(',');
  if (comma == std::string_view::npos || comma == 0) {
    fail(o.value_off, "expected 'type,id' for 'reference', got '" + std::string(v) + "'");
  }
  r_.references.emplace_back(v);
}

void RuleParser::kw_metadata(const Option& o) {
  const std::string_view v = need_value(o);
  for (const Part& p : split(v, o.value_off)) {
    if (!p.text.empty()) r_.metadata.emplace_back(p.text);
  }
}

void RuleParser::kw_target(const Option& o) {
  const std::string_view v = need_value(o);
  if (v == "src_ip")
    r_.target = Rule::Target::kSrc;
  else if (v == "dest_ip")
    r_.target = Rule::Target::kDst;
  else
    fail(o.value_off, "expected 'src_ip' or 'dest_ip' for 'target', got '" + std::string(v) + "'");
}

// ---------------------------------------------------------------------------------------------
// Keywords: content and its modifiers

void RuleParser::kw_content(const Option& o) {
  ContentOpt c;
  std::size_t inner = 0;
  const std::string_view s = quoted(o, true, c.negated, inner);
  std::string out;
  out.reserve(s.size());
  bool hex = false;
  std::size_t hex_open = 0;
  int nibble = -1;  // pending high nibble in hex mode
  std::size_t nibble_at = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (hex) {
      if (ch == '|') {
        if (nibble >= 0) fail(inner + nibble_at, "odd number of hex digits in content");
        hex = false;
        continue;
      }
      if (ch == ' ' || ch == '\t') {
        if (nibble >= 0) fail(inner + nibble_at, "odd number of hex digits in content");
        continue;
      }
      int d = -1;
      if (ch >= '0' && ch <= '9')
        d = ch - '0';
      else if (ch >= 'a' && ch <= 'f')
        d = ch - 'a' + 10;
      else if (ch >= 'A' && ch <= 'F')
        d = ch - 'A' + 10;
      if (d < 0) fail(inner + i, std::string("invalid hex character '") + ch + "' in content");
      if (nibble < 0) {
        nibble = d;
        nibble_at = i;
      } else {
        out += static_cast<char>((nibble << 4) | d);
        nibble = -1;
      }
      continue;
    }
    if (ch == '|') {
      hex = true;
      hex_open = i;
      continue;
    }
    if (ch == '\\') {
      if (i + 1 >= s.size()) fail(inner + i, "content ends with a lone '\\'");
      const char e = s[i + 1];
      if (e != '"' && e != ';' && e != ':' && e != '\\') {
        fail(inner + i, std::string("invalid escape '\\") + e + "' in content");
      }
      out += e;
      ++i;
      continue;
    }
    out += ch;
  }
  if (hex) fail(inner + hex_open, "unterminated hex in content (missing '|')");
  if (out.empty()) fail(o.value_off, "empty content");
  c.pattern = std::move(out);
  r_.payload.emplace_back(std::move(c));
  last_content_ = static_cast<int>(r_.payload.size()) - 1;
}

void RuleParser::kw_nocase(const Option& o) {
  no_value(o);
  ContentOpt& c = last_content(o);
  if (c.nocase) fail(o.key_off, "duplicate 'nocase' for the same content");
  c.nocase = true;
}

void RuleParser::kw_rawbytes(const Option& o) {
  no_value(o);
  last_content(o).rawbytes = true;
}

namespace {
bool has_absolute(const ContentOpt& c) { return c.offset || c.depth; }
bool has_relative(const ContentOpt& c) { return c.distance || c.within; }
}  // namespace

void RuleParser::kw_depth(const Option& o) {
  ContentOpt& c = last_content(o);
  if (c.startswith) fail(o.key_off, "can't use 'depth' with 'startswith'");
  if (c.depth) fail(o.key_off, "duplicate 'depth' for the same content");
  if (has_relative(c))
    fail(o.key_off, "can't mix 'depth' with 'distance'/'within' on the same content");
  const IntOrVar v = int_or_var(need_value(o), o.value_off, "depth", 1, 65535);
  if (v.var < 0 && v.value < static_cast<int64_t>(c.pattern.size())) {
    fail(o.value_off, "depth " + std::to_string(v.value) + " is smaller than the content length " +
                          std::to_string(c.pattern.size()));
  }
  c.depth = v;
}

void RuleParser::kw_offset(const Option& o) {
  ContentOpt& c = last_content(o);
  if (c.startswith) fail(o.key_off, "can't use 'offset' with 'startswith'");
  if (c.offset) fail(o.key_off, "duplicate 'offset' for the same content");
  if (has_relative(c))
    fail(o.key_off, "can't mix 'offset' with 'distance'/'within' on the same content");
  c.offset = int_or_var(need_value(o), o.value_off, "offset", 0, 65535);
}

void RuleParser::kw_distance(const Option& o) {
  ContentOpt& c = last_content(o);
  if (c.startswith) fail(o.key_off, "can't use 'distance' with 'startswith'");
  if (c.distance) fail(o.key_off, "duplicate 'distance' for the same content");
  if (has_absolute(c))
    fail(o.key_off, "can't mix 'distance' with 'offset'/'depth' on the same content");
  c.distance = int_or_var(need_value(o), o.value_off, "distance", -1048576, 1048576);
  c.relative = true;
}

void RuleParser::kw_within(const Option& o) {
  ContentOpt& c = last_content(o);
  if (c.startswith) fail(o.key_off, "can't use 'within' with 'startswith'");
  if (c.within) fail(o.key_off, "duplicate 'within' for the same content");
  if (has_absolute(c))
    fail(o.key_off, "can't mix 'within' with 'offset'/'depth' on the same content");
  const IntOrVar v = int_or_var(need_value(o), o.value_off, "within", 1, 1048576);
  if (v.var < 0 && v.value < static_cast<int64_t>(c.pattern.size())) {
    fail(o.value_off, "within " + std::to_string(v.value) + " is smaller than the content length " +
                          std::to_string(c.pattern.size()));
  }
  c.within = v;
  c.relative = true;
}

void RuleParser::kw_startswith(const Option& o) {
  no_value(o);
  ContentOpt& c = last_content(o);
  if (c.startswith) fail(o.key_off, "duplicate 'startswith' for the same content");
  if (has_absolute(c) || has_relative(c)) {
    fail(o.key_off, "can't use 'startswith' with 'offset'/'depth'/'distance'/'within'");
  }
  c.startswith = true;
  c.depth = IntOrVar{static_cast<int64_t>(c.pattern.size()), -1};  // as Suricata: depth = length
}

void RuleParser::kw_endswith(const Option& o) {
  no_value(o);
  ContentOpt& c = last_content(o);
  if (c.endswith) fail(o.key_off, "duplicate 'endswith' for the same content");
  c.endswith = true;
}

void RuleParser::kw_fast_pattern(const Option& o) {
  ContentOpt& c = last_content(o);
  if (fast_pattern_seen_) fail(o.key_off, "fast_pattern set on more than one content");
  fast_pattern_seen_ = true;
  c.fast_pattern = true;
  if (!o.has_value) return;
  if (o.value == "only") {
    c.fast_pattern_only = true;
    return;
  }
  const auto parts = split(o.value, o.value_off);
  uint64_t off = 0, len = 0;
  if (parts.size() != 2 || !parse_u64(parts[0].text, off) || !parse_u64(parts[1].text, len) ||
      len == 0) {
    fail(o.value_off, "expected 'only' or 'offset,length' for 'fast_pattern', got '" +
                          std::string(o.value) + "'");
  }
  if (off + len > c.pattern.size()) {
    fail(o.value_off, "fast_pattern " + std::string(o.value) + " goes past the content length " +
                          std::to_string(c.pattern.size()));
  }
  c.fast_pattern_offset = static_cast<uint16_t>(off);
  c.fast_pattern_length = static_cast<uint16_t>(len);
}

// ---------------------------------------------------------------------------------------------
// Keywords: pcre

void RuleParser::kw_pcre(const Option& o) {
  PcreOpt p;
  std::string_view v = need_value(o);
  std::size_t off = o.value_off;
  if (v[0] == '!') {
    p.negated = true;
    v.remove_prefix(1);
    ++off;
    v = trim(v, off);
  }
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
    ++off;
  }
  if (v.empty() || v.front() != '/') {
    fail(off, "expected '/regex/flags' for 'pcre'");
  }
  const std::size_t last = v.rfind('/');
  if (last == 0) fail(off, "pcre has no closing '/'");
  p.regex = std::string(v.substr(1, last - 1));
  p.flags = std::string(v.substr(last + 1));
  // The flags that only set a PCRE2 compile option.
  struct OptionFlag {
    char flag;
    uint32_t option;
  };
  static constexpr OptionFlag kOptionFlags[] = {{'i', PCRE2_CASELESS},  {'s', PCRE2_DOTALL},
                                                {'m', PCRE2_MULTILINE}, {'x', PCRE2_EXTENDED},
                                                {'A', PCRE2_ANCHORED},  {'E', PCRE2_DOLLAR_ENDONLY},
                                                {'G', PCRE2_UNGREEDY}};
  // Suricata's HTTP-buffer flags: valid, but they name a buffer this engine does not inspect.
  static constexpr std::string_view kHttpFlags = "UIPHDMCSYKVWQ";
  for (std::size_t i = 0; i < p.flags.size(); ++i) {
    const char f = p.flags[i];
    const auto* opt = std::find_if(std::begin(kOptionFlags), std::end(kOptionFlags),
                                   [f](const OptionFlag& x) { return x.flag == f; });
    if (opt != std::end(kOptionFlags)) {
      p.pcre2_options |= opt->option;
    } else if (f == 'R') {
      p.relative = true;
    } else if (f == 'B' || f == 'O') {
      // raw bytes / match-limit override: no effect here
    } else if (kHttpFlags.find(f) != std::string_view::npos) {
      skip(off + last + 1 + i, std::string("pcre/") + f,
           std::string("unsupported pcre flag '") + f + "' (HTTP buffer)");
    } else {
      fail(off + last + 1 + i, std::string("unknown pcre flag '") + f + "'");
    }
  }
  // Compile once here so a bad expression is reported with its rule, file, line and column.
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.regex.data()), p.regex.size(),
                                   p.pcre2_options, &errcode, &erroff, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(errcode, buf, sizeof(buf));
    fail(off + 1 + erroff, "invalid pcre: " + std::string(reinterpret_cast<char*>(buf)));
  }
  pcre2_code_free(code);
  r_.payload.emplace_back(std::move(p));
}

// ---------------------------------------------------------------------------------------------
// Keywords: flow and flowbits

void RuleParser::kw_flow(const Option& o) {
  if (have_flow_) fail(o.key_off, "duplicate 'flow'");
  have_flow_ = true;
  FlowOpt& f = r_.flow;
  for (const Part& p : split(need_value(o), o.value_off)) {
    const std::string_view t = p.text;
    if (t == "to_server" || t == "from_client")
      f.to_server = true;
    else if (t == "to_client" || t == "from_server")
      f.to_client = true;
    else if (t == "established")
      f.established = true;
    else if (t == "not_established")
      f.not_established = true;
    else if (t == "stateless")
      f.stateless = true;
    else if (t == "only_stream")
      f.only_stream = true;
    else if (t == "no_stream")
      f.no_stream = true;
    else if (t == "no_frag" || t == "only_frag")
      skip(p.offset, "flow/" + std::string(t), "unsupported flow option '" + std::string(t) + "'");
    else
      fail(p.offset, "unknown flow option '" + std::string(t) + "'");
  }
  if (f.to_server && f.to_client) fail(o.value_off, "flow can't be both to_server and to_client");
  if (f.established && f.not_established) {
    fail(o.value_off, "flow can't be both established and not_established");
  }
  if (f.only_stream && f.no_stream)
    fail(o.value_off, "flow can't be both only_stream and no_stream");
}

void RuleParser::kw_flowbits(const Option& o) {
  const std::string_view v = need_value(o);
  const std::size_t comma = v.find(',');
  std::size_t op_off = o.value_off;
  const std::string_view op = trim(v.substr(0, comma), op_off);
  if (op.empty())
    fail(op_off, "expected a flowbits operation (set, isset, isnotset, unset, toggle, noalert)");
  FlowbitOp f;
  if (op == "noalert") {
    if (comma != std::string_view::npos)
      fail(o.value_off + comma, "flowbits:noalert takes no name");
    r_.noalert = true;
    return;
  }
  using Kind = FlowbitOp::Kind;
  if (!lookup_word<Kind>(op,
                         {{"set", Kind::kSet},
                          {"isset", Kind::kIsSet},
                          {"isnotset", Kind::kIsNotSet},
                          {"unset", Kind::kUnset},
                          {"toggle", Kind::kToggle}},
                         f.kind))
    skip(op_off, "flowbits/" + std::string(op),
         "unsupported flowbits operation '" + std::string(op) + "'");
  if (comma == std::string_view::npos)
    fail(o.value_off + v.size(), "flowbits '" + std::string(op) + "' needs a name");
  std::size_t names_off = o.value_off + comma + 1;
  const std::string_view names = trim(v.substr(comma + 1), names_off);
  const bool has_or = names.find('|') != std::string_view::npos;
  const bool has_and = names.find('&') != std::string_view::npos;
  if (has_or && has_and) fail(names_off, "flowbits can't mix '|' and '&'");
  if (has_or && f.kind != FlowbitOp::Kind::kIsSet && f.kind != FlowbitOp::Kind::kIsNotSet) {
    fail(names_off, "flowbits '" + std::string(op) + "' can't use '|' (only isset/isnotset)");
  }
  f.any_of = has_or;
  for (const Part& p : split(names, names_off, has_or ? '|' : '&')) {
    if (p.text.empty()) fail(p.offset, "empty flowbit name");
    for (char c : p.text) {
      if (is_space(c) || c == ',')
        fail(p.offset, "invalid flowbit name '" + std::string(p.text) + "'");
    }
    f.bits.push_back(loader_.flowbit_id(p.text));
  }
  r_.flowbits.push_back(std::move(f));
}

// ---------------------------------------------------------------------------------------------
// Keywords: header comparisons

void RuleParser::kw_dsize(const Option& o) {
  if (r_.dsize) fail(o.key_off, "duplicate 'dsize'");
  r_.dsize = num_cmp(need_value(o), o.value_off, "dsize", 65535);
}
void RuleParser::kw_bsize(const Option& o) {
  set_once(r_.bsize, o,
           num_cmp(need_value(o), o.value_off, "bsize", std::numeric_limits<uint64_t>::max()));
}
void RuleParser::kw_ttl(const Option& o) {
  set_once(r_.ttl, o, num_cmp(need_value(o), o.value_off, "ttl", 255));
}
void RuleParser::kw_tos(const Option& o) {
  const std::string_view v = need_value(o);
  const std::size_t x = v[0] == '!' ? 1 : 0;
  if (v.size() > x + 1 && (v[x] == 'x' || v[x] == 'X')) {
    // Suricata's tos also takes hex written as x10.
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(v.data() + x + 1, v.data() + v.size(), n, 16);
    if (ec != std::errc() || p != v.data() + v.size() || n > 255) {
      fail(o.value_off, "invalid value '" + std::string(v) + "' for 'tos'");
    }
    NumCmp c;
    c.op = x ? NumCmp::Op::kNe : NumCmp::Op::kEq;
    c.a = n;
    set_once(r_.tos, o, c);
    return;
  }
  set_once(r_.tos, o, num_cmp(v, o.value_off, "tos", 255));
}
void RuleParser::kw_window(const Option& o) {
  set_once(r_.window, o, num_cmp(need_value(o), o.value_off, "window", 65535));
}
void RuleParser::kw_seq(const Option& o) {
  set_once(r_.seq, o, num_cmp(need_value(o), o.value_off, "seq", 0xffffffffu));
}
void RuleParser::kw_ack(const Option& o) {
  set_once(r_.ack, o, num_cmp(need_value(o), o.value_off, "ack", 0xffffffffu));
}
void RuleParser::kw_id(const Option& o) {
  set_once(r_.ip_id, o, num_cmp(need_value(o), o.value_off, "id", 65535));
}
void RuleParser::kw_itype(const Option& o) {
  set_once(r_.itype, o, num_cmp(need_value(o), o.value_off, "itype", 255));
}
void RuleParser::kw_icode(const Option& o) {
  set_once(r_.icode, o, num_cmp(need_value(o), o.value_off, "icode", 255));
}
void RuleParser::kw_icmp_id(const Option& o) {
  bool neg = false;
  std::size_t off = o.value_off;
  std::string_view v = need_value(o);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = quoted(o, false, neg, off);
  set_once(r_.icmp_id, o, num_cmp(v, off, "icmp_id", 65535));
}
void RuleParser::kw_icmp_seq(const Option& o) {
  bool neg = false;
  std::size_t off = o.value_off;
  std::string_view v = need_value(o);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = quoted(o, false, neg, off);
  set_once(r_.icmp_seq, o, num_cmp(v, off, "icmp_seq", 65535));
}

void RuleParser::kw_ip_proto(const Option& o) {
  const std::string_view v = need_value(o);
  std::size_t p = 0;
  NumCmp c;
  c.op = NumCmp::Op::kEq;
  if (v[0] == '!')
    c.op = NumCmp::Op::kNe;
  else if (v[0] == '<')
    c.op = NumCmp::Op::kLt;
  else if (v[0] == '>')
    c.op = NumCmp::Op::kGt;
  else if (v[0] == '=')
    c.op = NumCmp::Op::kEq;
  if (c.op != NumCmp::Op::kEq || v[0] == '=') ++p;
  std::size_t off = o.value_off + p;
  const std::string_view name = trim(v.substr(p), off);
  uint64_t n = 0;
  if (parse_u64(name, n)) {
    if (n > 255) fail(off, "ip_proto " + std::string(name) + " is out of range (0 to 255)");
  } else {
    auto it = ip_protocol_names().find(lower(name));
    if (it == ip_protocol_names().end())
      fail(off, "unknown IP protocol '" + std::string(name) + "'");
    n = it->second;
  }
  if ((c.op == NumCmp::Op::kLt && n == 0) || (c.op == NumCmp::Op::kGt && n == 255)) {
    fail(o.value_off, "'" + std::string(v) + "' in 'ip_proto' can never match");
  }
  c.a = n;
  set_once(r_.ip_proto, o, c);
}

void RuleParser::kw_flags(const Option& o) {
  if (r_.flags) skip(o.key_off, "flags", "unsupported repeated 'flags' in one rule");
  const std::string_view v = need_value(o);
  TcpFlagsOpt f;
  const std::size_t comma = v.find(',');
  const std::string_view bits = v.substr(0, comma);
  auto letter = [](char c) -> int {
    switch (std::toupper(static_cast<unsigned char>(c))) {
      case 'F':
        return tcpflag::kFin;
      case 'S':
        return tcpflag::kSyn;
      case 'R':
        return tcpflag::kRst;
      case 'P':
        return tcpflag::kPsh;
      case 'A':
        return tcpflag::kAck;
      case 'U':
        return tcpflag::kUrg;
      case 'C':
      case '1':
        return tcpflag::kCwr;
      case 'E':
      case '2':
        return tcpflag::kEce;
      default:
        return -1;
    }
  };
  bool any = false, zero = false;
  for (std::size_t i = 0; i < bits.size(); ++i) {
    const char c = bits[i];
    if (is_space(c)) continue;
    if (c == '+' || c == '*' || c == '!') {
      if (f.modifier && f.modifier != c)
        fail(o.value_off + i, "flags can have only one of '+', '*', '!'");
      f.modifier = c;
      continue;
    }
    if (c == '0') {
      zero = true;
      any = true;
      continue;
    }
    const int b = letter(c);
    if (b < 0) fail(o.value_off + i, std::string("invalid TCP flag '") + c + "'");
    f.flags |= static_cast<uint8_t>(b);
    any = true;
  }
  if (!any) fail(o.value_off, "expected TCP flags (FSRPAUCE or 0) for 'flags'");
  if (zero && f.flags) fail(o.value_off, "flags '0' (no flags) can't be combined with other flags");
  if (zero && f.modifier) fail(o.value_off, "flags '0' (no flags) takes no modifier");
  if (comma != std::string_view::npos) {
    std::size_t moff = o.value_off + comma + 1;
    const std::string_view mask = trim(v.substr(comma + 1), moff);
    if (mask.empty()) fail(moff, "expected mask flags after ',' in 'flags'");
    for (std::size_t i = 0; i < mask.size(); ++i) {
      const int b = letter(mask[i]);
      if (b < 0) fail(moff + i, std::string("invalid TCP flag '") + mask[i] + "' in mask");
      f.mask |= static_cast<uint8_t>(b);
    }
  }
  r_.flags = f;
}

void RuleParser::kw_fragbits(const Option& o) {
  if (r_.fragbits) skip(o.key_off, "fragbits", "unsupported repeated 'fragbits' in one rule");
  const std::string_view v = need_value(o);
  FragbitsOpt f;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (is_space(c)) continue;
    if (c == '+' || c == '*' || c == '!') {
      if (f.modifier && f.modifier != c)
        fail(o.value_off + i, "fragbits can have only one of '+', '*', '!'");
      f.modifier = c;
    } else if (c == 'M')
      f.bits |= 1;
    else if (c == 'D')
      f.bits |= 2;
    else if (c == 'R')
      f.bits |= 4;
    else
      fail(o.value_off + i, std::string("invalid fragment bit '") + c + "' (expected M, D or R)");
  }
  if (!f.bits) fail(o.value_off, "expected fragment bits (M, D, R) for 'fragbits'");
  r_.fragbits = f;
}

void RuleParser::kw_stream_size(const Option& o) {
  if (r_.stream_size)
    skip(o.key_off, "stream_size", "unsupported repeated 'stream_size' in one rule");
  const auto parts = split(need_value(o), o.value_off);
  if (parts.size() != 3) {
    fail(o.value_off, "expected 'server|client|both|either,<op>,<number>' for 'stream_size'");
  }
  StreamSizeOpt s;
  const std::string_view side = parts[0].text;
  if (side == "server")
    s.side = StreamSizeOpt::Side::kServer;
  else if (side == "client")
    s.side = StreamSizeOpt::Side::kClient;
  else if (side == "both")
    s.side = StreamSizeOpt::Side::kBoth;
  else if (side == "either")
    s.side = StreamSizeOpt::Side::kEither;
  else
    fail(parts[0].offset,
         "expected server, client, both or either, got '" + std::string(side) + "'");
  const std::string_view op = parts[1].text;
  if (op != "<" && op != ">" && op != "=" && op != "!=" && op != "<=" && op != ">=") {
    fail(parts[1].offset,
         "expected one of < > = != <= >= in 'stream_size', got '" + std::string(op) + "'");
  }
  if (parts[2].text.empty() || !std::isdigit(static_cast<unsigned char>(parts[2].text[0]))) {
    fail(parts[2].offset,
         "expected a number in 'stream_size', got '" + std::string(parts[2].text) + "'");
  }
  const std::string expr = std::string(op) + std::string(parts[2].text);
  try {
    s.cmp = num_cmp(expr, parts[2].offset - op.size(), "stream_size", 0xffffffffu);
  } catch (RuleFault& f) {
    if (f.offset < parts[2].offset) f.offset = parts[2].offset;
    throw;
  }
  r_.stream_size = s;
}

// ---------------------------------------------------------------------------------------------
// Keywords: isdataat, byte_test, byte_jump, byte_extract

void RuleParser::kw_isdataat(const Option& o) {
  const auto parts = split(need_value(o), o.value_off);
  IsDataAtOpt d;
  std::string_view first = parts[0].text;
  std::size_t off = parts[0].offset;
  if (!first.empty() && first[0] == '!') {
    d.negated = true;
    first.remove_prefix(1);
    ++off;
    first = trim(first, off);
  }
  d.value = int_or_var(first, off, "isdataat", 0, 65535);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].text == "relative")
      d.relative = true;
    else if (parts[i].text == "rawbytes")
      continue;
    else
      fail(parts[i].offset, "unknown isdataat option '" + std::string(parts[i].text) + "'");
  }
  r_.payload.emplace_back(d);
}

// The options byte_test and byte_jump read alike: relative, string, dec/hex/oct, big, little,
// dce and bitmask. True if `part` is one of them (applied to `b`), false if the keyword must
// look at it itself. byte_test takes "bitmask" glued to its value, byte_jump only with a blank
// between (`bitmask_needs_break`), as before the two were merged.
template <class ByteOpt>
bool RuleParser::byte_option(ByteOpt& b, const Part& part, std::string_view kw,
                             bool bitmask_needs_break, ByteOptionsSeen& seen) {
  const std::string_view t = part.text;
  const std::string l = lower(t);
  if (t == "relative") {
    b.relative = true;
  } else if (l == "string") {
    b.string = true;
  } else if (l == "dec" || l == "hex" || l == "oct") {
    b.base = l == "dec" ? 10 : l == "hex" ? 16 : 8;
    seen.base_set = true;
    seen.base_off = part.offset;
  } else if (l == "big") {
    b.little_endian = false;
    seen.big = true;
  } else if (l == "little") {
    b.little_endian = true;
  } else if (l == "dce") {
    b.dce = true;
  } else if (l.rfind("bitmask", 0) == 0 &&
             (!bitmask_needs_break || l.size() == 7 || is_space(l[7]))) {
    std::size_t moff = part.offset + 7;
    const std::string_view m = trim(t.substr(7), moff);
    uint64_t mask = 0;
    if (!parse_c_integer(m, mask) || mask == 0 || mask > 0xffffffffu) {
      fail(moff, "invalid " + std::string(kw) + " bitmask '" + std::string(m) + "'");
    }
    b.bitmask = mask;
  } else {
    return false;
  }
  return true;
}

void RuleParser::kw_byte_test(const Option& o) {
  const auto parts = split(need_value(o), o.value_off);
  if (parts.size() < 4) {
    fail(o.value_off, "expected 'bytes,[!]op,value,offset[,options]' for 'byte_test'");
  }
  ByteTestOpt b;
  uint64_t n = 0;
  if (!parts[0].text.empty() && std::isalpha(static_cast<unsigned char>(parts[0].text[0]))) {
    skip(parts[0].offset, "byte_test", "unsupported byte_test with a variable byte count");
  }
  if (!parse_u64(parts[0].text, n) || n == 0) {
    fail(parts[0].offset,
         "expected a byte count for 'byte_test', got '" + std::string(parts[0].text) + "'");
  }
  std::string_view op = parts[1].text;
  std::size_t op_off = parts[1].offset;
  if (!op.empty() && op[0] == '!') {
    b.op_negated = true;
    op.remove_prefix(1);
    ++op_off;
    op = trim(op, op_off);
  }
  if (op == "=" || (op.empty() && b.op_negated))
    b.op = '=';
  else if (op == "<")
    b.op = '<';
  else if (op == ">")
    b.op = '>';
  else if (op == "<=")
    b.op = 'l';
  else if (op == ">=")
    b.op = 'g';
  else if (op == "&")
    b.op = '&';
  else if (op == "^")
    b.op = '^';
  else
    fail(parts[1].offset, "invalid byte_test operator '" + std::string(parts[1].text) + "'");
  // Test value: a number (0x hex, leading-0 octal, as strtoull) or a byte_extract variable.
  const Part& val = parts[2];
  if (!val.text.empty() &&
      (std::isalpha(static_cast<unsigned char>(val.text[0])) || val.text[0] == '_')) {
    b.value = int_or_var(val.text, val.offset, "byte_test", 0, 0);
  } else {
    uint64_t tv = 0;
    if (!parse_c_integer(val.text, tv)) {
      fail(val.offset, "expected a number or byte_extract variable as byte_test value, got '" +
                           std::string(val.text) + "'");
    }
    b.value.value = static_cast<int64_t>(tv);
  }
  b.offset = int_or_var(parts[3].text, parts[3].offset, "byte_test offset", INT32_MIN, INT32_MAX);
  ByteOptionsSeen seen;
  for (std::size_t i = 4; i < parts.size(); ++i) {
    if (!byte_option(b, parts[i], "byte_test", false, seen)) {
      fail(parts[i].offset, "unknown byte_test option '" + std::string(parts[i].text) + "'");
    }
  }
  if (b.string ? n > 23 : n > 8) {
    fail(parts[0].offset, b.string ? "byte_test can't read more than 23 bytes with 'string'"
                                   : "byte_test can't read more than 8 bytes without 'string'");
  }
  if (seen.base_set && !b.string) fail(seen.base_off, "byte_test base needs 'string'");
  if (b.dce && (b.string || seen.big || b.little_endian)) {
    fail(o.value_off, "byte_test 'dce' can't be combined with string, big or little");
  }
  b.nbytes = static_cast<uint8_t>(n);
  r_.payload.emplace_back(b);
}

void RuleParser::kw_byte_jump(const Option& o) {
  const auto parts = split(need_value(o), o.value_off);
  if (parts.size() < 2) fail(o.value_off, "expected 'bytes,offset[,options]' for 'byte_jump'");
  ByteJumpOpt b;
  uint64_t n = 0;
  const Part& nb = parts[0];
  if (!nb.text.empty() &&
      (std::isalpha(static_cast<unsigned char>(nb.text[0])) || nb.text[0] == '_')) {
    b.nbytes_var = int_or_var(nb.text, nb.offset, "byte_jump", 0, 0).var;
    b.nbytes = 0;
  } else if (!parse_u64(nb.text, n)) {
    fail(nb.offset, "expected a byte count for 'byte_jump', got '" + std::string(nb.text) + "'");
  }
  b.offset = int_or_var(parts[1].text, parts[1].offset, "byte_jump offset", -65535, 65535);
  ByteOptionsSeen seen;
  for (std::size_t i = 2; i < parts.size(); ++i) {
    if (byte_option(b, parts[i], "byte_jump", true, seen)) continue;
    const std::string_view t = parts[i].text;
    const std::string l = lower(t);
    auto arg = [&](std::size_t len, int64_t lo, int64_t hi) {
      std::size_t aoff = parts[i].offset + len;
      const std::string_view a = trim(t.substr(len), aoff);
      int64_t x = 0;
      if (a.empty() || !parse_i64(a, x) || x < lo || x > hi) {
        fail(aoff, "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       " after '" + std::string(t.substr(0, len)) + "', got '" + std::string(a) +
                       "'");
      }
      return x;
    };
    if (l == "align")
      b.align = true;
    else if (l == "from_beginning")
      b.from_beginning = true;
    else if (l == "from_end")
      b.from_end = true;
    else if (l.rfind("multiplier", 0) == 0 && (l.size() == 10 || is_space(l[10])))
      b.multiplier = arg(10, 1, 65535);
    else if (l.rfind("post_offset", 0) == 0 && (l.size() == 11 || is_space(l[11])))
      b.post_offset = arg(11, -65535, 65535);
    else {
      fail(parts[i].offset, "unknown byte_jump option '" + std::string(t) + "'");
    }
  }
  if (b.from_beginning && b.from_end)
    fail(o.value_off, "byte_jump can't use both from_beginning and from_end");
  if (b.nbytes_var < 0 && (b.string ? n > 23 : n > 8)) {
    fail(nb.offset, b.string ? "byte_jump can't read more than 23 bytes with 'string'"
                             : "byte_jump can't read more than 8 bytes without 'string'");
  }
  if (seen.base_set && !b.string) fail(seen.base_off, "byte_jump base needs 'string'");
  if (b.dce && (b.string || seen.big || b.little_endian || b.from_beginning || b.from_end ||
                seen.base_set)) {
    fail(o.value_off,
         "byte_jump 'dce' can't be combined with string, big, little, from_beginning or from_end");
  }
  if (b.nbytes_var < 0) b.nbytes = static_cast<uint8_t>(n);
  r_.payload.emplace_back(b);
}

void RuleParser::kw_byte_extract(const Option& o) {
  const auto parts = split(need_value(o), o.value_off);
  if (parts.size() < 3)
    fail(o.value_off, "expected 'bytes,offset,name[,options]' for 'byte_extract'");
  ByteExtractOpt b;
  uint64_t n = 0;
  if (!parse_u64(parts[0].text, n) || n == 0) {
    fail(parts[0].offset,
         "expected a byte count for 'byte_extract', got '" + std::string(parts[0].text) + "'");
  }
  int64_t off = 0;
  if (!parse_i64(parts[1].text, off) || off < -32768 || off > 32767) {
    fail(parts[1].offset, "expected an offset from -32768 to 32767 for 'byte_extract', got '" +
                              std::string(parts[1].text) + "'");
  }
  b.offset = off;
  const std::string_view name = parts[2].text;
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    fail(parts[2].offset,
         "expected a variable name for 'byte_extract', got '" + std::string(name) + "'");
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      fail(parts[2].offset, "invalid byte_extract variable name '" + std::string(name) + "'");
    }
  }
  bool endian = false, base_set = false, mult = false, align = false;
  for (std::size_t i = 3; i < parts.size(); ++i) {
    const std::string_view t = parts[i].text;
    const std::string l = lower(t);
    const std::size_t sp = l.find_first_of(" \t");
    const std::string word = l.substr(0, sp);
    std::size_t aoff = parts[i].offset + (sp == std::string::npos ? t.size() : sp);
    const std::string_view arg =
        sp == std::string::npos ? std::string_view() : trim(t.substr(sp), aoff);
    auto dup = [&](bool& seen) {
      if (seen) fail(parts[i].offset, "duplicate byte_extract option '" + word + "'");
      seen = true;
    };
    if (!arg.empty() && word != "multiplier" && word != "align") {
      fail(parts[i].offset, "unknown byte_extract option '" + std::string(t) + "'");
    }
    if (word == "relative") {
      if (b.relative) fail(parts[i].offset, "duplicate byte_extract option 'relative'");
      b.relative = true;
    } else if (word == "big" || word == "little" || word == "dce") {
      dup(endian);
      b.little_endian = word == "little";
      b.dce = word == "dce";
    } else if (word == "string") {
      if (b.string) fail(parts[i].offset, "duplicate byte_extract option 'string'");
      if (base_set) fail(parts[i].offset, "byte_extract base given before 'string'");
      b.string = true;
    } else if (word == "dec" || word == "hex" || word == "oct") {
      if (!b.string) fail(parts[i].offset, "byte_extract base needs 'string' first");
      dup(base_set);
      b.base = word == "dec" ? 10 : word == "hex" ? 16 : 8;
    } else if (word == "multiplier") {
      dup(mult);
      int64_t m = 0;
      if (!parse_i64(arg, m) || m < 1 || m > 65535) {
        fail(aoff, "expected a multiplier from 1 to 65535, got '" + std::string(arg) + "'");
      }
      b.multiplier = m;
    } else if (word == "align") {
      dup(align);
      if (arg != "2" && arg != "4")
        fail(aoff, "byte_extract align must be 2 or 4, got '" + std::string(arg) + "'");
      b.align = arg == "2" ? 2 : 4;
    } else if (word == "slice") {
      skip(parts[i].offset, "byte_extract/slice", "unsupported byte_extract option 'slice'");
    } else if (word == "bitmask") {
      skip(parts[i].offset, "byte_extract/bitmask", "unsupported byte_extract option 'bitmask'");
    } else {
      fail(parts[i].offset, "unknown byte_extract option '" + std::string(t) + "'");
    }
  }
  if (b.string && endian)
    fail(o.value_off, "byte_extract can't combine 'string' with an endianness");
  if (b.string ? n > 23 : n > 8) {
    fail(parts[0].offset, b.string ? "byte_extract can't read more than 23 bytes with 'string'"
                                   : "byte_extract can't read more than 8 bytes without 'string'");
  }
  if (var_index(name) >= 0) {
    fail(parts[2].offset, "byte_extract variable '" + std::string(name) + "' already defined");
  }
  if (var_names_.size() >= 127) fail(parts[2].offset, "too many byte_extract variables");
  b.nbytes = static_cast<uint8_t>(n);
  b.var = static_cast<int8_t>(var_names_.size());
  var_names_.emplace_back(name);
  r_.payload.emplace_back(b);
}

// ---------------------------------------------------------------------------------------------
// Keywords: thresholds, noalert, stream_size, tag

void RuleParser::kw_threshold(const Option& o) {
  if (r_.threshold) fail(o.key_off, "duplicate 'threshold'");
  ThresholdOpt t;
  ExprError err;
  if (!parse_threshold_keyword(need_value(o), false, t, err)) {
    fail(o.value_off + err.offset, "threshold: " + err.message);
  }
  r_.threshold = t;
}

void RuleParser::kw_detection_filter(const Option& o) {
  if (r_.detection_filter) fail(o.key_off, "duplicate 'detection_filter'");
  ThresholdOpt t;
  ExprError err;
  if (!parse_threshold_keyword(need_value(o), true, t, err)) {
    fail(o.value_off + err.offset, "detection_filter: " + err.message);
  }
  r_.detection_filter = t;
}

void RuleParser::kw_noalert(const Option& o) {
  no_value(o);
  r_.noalert = true;
}

void RuleParser::kw_tag(const Option& o) {
  need_value(o);  // accepted, no effect: we log no tagged packets
}

const std::unordered_map<std::string_view, RuleParser::Handler>& RuleParser::handlers() {
  static const std::unordered_map<std::string_view, Handler> kHandlers = {
      {"msg", &RuleParser::kw_msg},
      {"sid", &RuleParser::kw_sid},
      {"rev", &RuleParser::kw_rev},
      {"gid", &RuleParser::kw_gid},
      {"classtype", &RuleParser::kw_classtype},
      {"priority", &RuleParser::kw_priority},
      {"reference", &RuleParser::kw_reference},
      {"metadata", &RuleParser::kw_metadata},
      {"target", &RuleParser::kw_target},
      {"content", &RuleParser::kw_content},
      {"nocase", &RuleParser::kw_nocase},
      {"rawbytes", &RuleParser::kw_rawbytes},
      {"depth", &RuleParser::kw_depth},
      {"offset", &RuleParser::kw_offset},
      {"distance", &RuleParser::kw_distance},
      {"within", &RuleParser::kw_within},
      {"startswith", &RuleParser::kw_startswith},
      {"endswith", &RuleParser::kw_endswith},
      {"fast_pattern", &RuleParser::kw_fast_pattern},
      {"pcre", &RuleParser::kw_pcre},
      {"flow", &RuleParser::kw_flow},
      {"flowbits", &RuleParser::kw_flowbits},
      {"dsize", &RuleParser::kw_dsize},
      {"bsize", &RuleParser::kw_bsize},
      {"ttl", &RuleParser::kw_ttl},
      {"tos", &RuleParser::kw_tos},
      {"window", &RuleParser::kw_window},
      {"seq", &RuleParser::kw_seq},
      {"ack", &RuleParser::kw_ack},
      {"id", &RuleParser::kw_id},
      {"ip_proto", &RuleParser::kw_ip_proto},
      {"itype", &RuleParser::kw_itype},
      {"icode", &RuleParser::kw_icode},
      {"icmp_id", &RuleParser::kw_icmp_id},
      {"icmp_seq", &RuleParser::kw_icmp_seq},
      {"flags", &RuleParser::kw_flags},
      {"fragbits", &RuleParser::kw_fragbits},
      {"isdataat", &RuleParser::kw_isdataat},
      {"byte_test", &RuleParser::kw_byte_test},
      {"byte_jump", &RuleParser::kw_byte_jump},
      {"byte_extract", &RuleParser::kw_byte_extract},
      {"threshold", &RuleParser::kw_threshold},
      {"detection_filter", &RuleParser::kw_detection_filter},
      {"noalert", &RuleParser::kw_noalert},
      {"stream_size", &RuleParser::kw_stream_size},
      {"tag", &RuleParser::kw_tag},
  };
  return kHandlers;
}

}  // namespace

RuleSet load_rules(const std::vector<std::string>& files, const LoadOptions& opts) {
  Loader loader(opts);
  for (const std::string& f : files) loader.load_file(f);
  return loader.finish();
}

RuleSet parse_rules(std::string_view text, const std::string& source_name,
                    const LoadOptions& opts) {
  Loader loader(opts);
  loader.load_text(text, source_name);
  return loader.finish();
}

std::string summary_line(const RuleSet& set) {
  return "rules: " + std::to_string(set.loaded()) + " loaded, " +
         std::to_string(set.skipped.size()) + " skipped, " + std::to_string(set.errors.size()) +
         " errors";
}

}  // namespace ts::sig
