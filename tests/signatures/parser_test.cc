// Rule parser: every supported keyword parsed into exact fields (good table), every bad rule
// with its exact diagnostic (tests/signatures/bad_rules.txt), skipped keywords, variables,
// addresses and ports, continuation lines, classification, and the ET Open ruleset.
#include "signatures/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "signatures/classification.h"
#include "tests/signatures/rule_dump.h"

namespace ts::sig {
namespace {

using testing::dump;
using testing::dump_options;

std::vector<std::string> strs(const std::vector<Diagnostic>& ds) {
  std::vector<std::string> out;
  for (const Diagnostic& d : ds) out.push_back(d.str());
  return out;
}

RuleSet parse(const std::string& text, const LoadOptions& opts = {}) {
  return parse_rules(text, "test.rules", opts);
}

// The rule of a one-rule snippet that must load cleanly.
const Rule& only_rule(const RuleSet& set) {
  EXPECT_EQ(strs(set.errors), std::vector<std::string>{});
  EXPECT_EQ(strs(set.skipped), std::vector<std::string>{});
  EXPECT_EQ(set.rules.size(), 1u);
  static const Rule kEmpty;
  return set.rules.empty() ? kEmpty : set.rules.front();
}

IpAddr v4(const char* s) {
  unsigned a, b, c, d;
  EXPECT_EQ(std::sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
  const uint8_t bytes[4] = {static_cast<uint8_t>(a), static_cast<uint8_t>(b),
                            static_cast<uint8_t>(c), static_cast<uint8_t>(d)};
  return IpAddr::v4(bytes);
}

IpAddr v6_last(uint8_t last, uint8_t first = 0x20) {
  uint8_t b[16] = {};
  b[0] = first;
  b[1] = 0x01;
  b[2] = 0x0d;
  b[3] = 0xb8;
  b[15] = last;
  return IpAddr::v6(b);
}

// ---- Good options: each snippet goes into "alert tcp any any -> any any (<opts> sid:1;)".

struct GoodCase {
  const char* options;
  std::vector<std::string> want;
};

void PrintTo(const GoodCase& c, std::ostream* os) { *os << c.options; }

class ParserGoodOptions : public ::testing::TestWithParam<GoodCase> {};

TEST_P(ParserGoodOptions, ParsesExactly) {
  const GoodCase& c = GetParam();
  const RuleSet set = parse(std::string("alert tcp any any -> any any (") + c.options + " sid:1;)");
  const Rule& r = only_rule(set);
  EXPECT_EQ(dump_options(r, set), c.want) << c.options;
}

const GoodCase kGood[] = {
    // content
    {R"(content:"abc";)", {R"(content "abc")"}},
    {R"(content:"a|42 43|d";)", {R"(content "aBCd")"}},
    {R"(content:"|0d0A|";)", {R"(content "|0D||0A|")"}},
    {R"(content:"|00 01|a|ff|";)", {R"(content "|00||01|a|FF|")"}},
    {R"(content:"a\"b\;c\\d\:e";)", {R"(content "a|22|b;c|5C|d:e")"}},
    {R"(content:"a;b";)", {R"(content "a;b")"}},
    {R"(content:"say "hi" now";)", {R"(content "say |22|hi|22| now")"}},
    {R"(content:!"abc";)", {R"(content !"abc")"}},
    {R"(content: ! "abc" ;)", {R"(content !"abc")"}},
    {R"(content:"abcd"; nocase; offset:2; depth:10;)",
     {R"(content "abcd" nocase offset=2 depth=10)"}},
    {R"(content:"a"; content:"bc"; distance:0; within:5;)",
     {R"(content "a")", R"(content "bc" distance=0 within=5 relative)"}},
    {R"(content:"a"; content:"b"; distance:-3;)",
     {R"(content "a")", R"(content "b" distance=-3 relative)"}},
    {R"(content:"GET "; startswith;)", {R"(content "GET " depth=4 startswith)"}},
    {R"(content:".exe"; endswith; nocase;)", {R"(content ".exe" nocase endswith)"}},
    {R"(content:"abc"; fast_pattern;)", {R"(content "abc" fast_pattern)"}},
    {R"(content:"abc"; fast_pattern:only;)", {R"(content "abc" fast_pattern only)"}},
    {R"(content:"abcdef"; fast_pattern:1,3;)", {R"(content "abcdef" fast_pattern chop=1,3)"}},
    {R"(content:"abc"; rawbytes;)", {R"(content "abc" rawbytes)"}},
    {R"(content:"a"; pcre:"/x/"; nocase;)", {R"(content "a" nocase)", "pcre /x/"}},
    {R"(CONTENT:"a"; NoCase;)", {R"(content "a" nocase)"}},
    // pcre
    {R"(pcre:"/a;b\/c/ismxAEGRBO";)",
     {"pcre /a;b\\/c/ismxAEGRBO relative caseless dotall multiline extended anchored "
      "dollar_endonly ungreedy"}},
    {R"(pcre:!"/^x\x22y/R";)", {"pcre !/^x\\x22y/R relative"}},
    {R"(pcre:"/a\"b/";)", {R"(pcre /a\"b/)"}},
    // byte_test
    {"byte_test:4,>,1000,20,relative;", {"byte_test 4 > 1000 at 20 relative"}},
    {"byte_test:2,!=,0x10,-2,relative,little;", {"byte_test 2 != 16 at -2 relative little"}},
    {"byte_test:1,!,5,0;", {"byte_test 1 != 5 at 0"}},
    {"byte_test:1, !<, 5, 0;", {"byte_test 1 !< 5 at 0"}},
    {"byte_test:3,<=,010,0,string,oct;", {"byte_test 3 <= 8 at 0 string base=8"}},
    {"byte_test:10,>=,1,0,string;", {"byte_test 10 >= 1 at 0 string base=10"}},
    {"byte_test:4,&,0xff,0,bitmask 0xff00;", {"byte_test 4 & 255 at 0 bitmask=0xff00"}},
    {"byte_test:2,^,3,0,dce;", {"byte_test 2 ^ 3 at 0 dce"}},
    {"byte_test:2,^,3,0,big;", {"byte_test 2 ^ 3 at 0"}},
    {"byte_test:1,=,65,214748364;", {"byte_test 1 = 65 at 214748364"}},
    // byte_jump
    {"byte_jump:4,12,relative,little,multiplier 2,align,post_offset -4;",
     {"byte_jump 4 at 12 relative little multiplier=2 align post_offset=-4"}},
    {"byte_jump:0,0,relative,post_offset -7;", {"byte_jump 0 at 0 relative post_offset=-7"}},
    {"byte_jump:2,0,string,hex,from_beginning;",
     {"byte_jump 2 at 0 string base=16 from_beginning"}},
    {"byte_jump:4,0,from_end,bitmask 0x0f;", {"byte_jump 4 at 0 bitmask=0xf from_end"}},
    {"byte_jump:4,0,dce;", {"byte_jump 4 at 0 dce"}},
    // byte_extract and variables
    {R"(content:"x"; byte_extract:1,0,option_len,string,relative; content:"y"; distance:option_len; within:1;)",
     {R"(content "x")", "byte_extract 1 at 0 -> $0 relative string base=10",
      R"(content "y" distance=$0 within=1 relative)", "nvars 1"}},
    {"byte_extract:4,-2,v,little,multiplier 4,align 4;",
     {"byte_extract 4 at -2 -> $0 little multiplier=4 align=4", "nvars 1"}},
    {"byte_extract:2,0,a; byte_extract:2,2,b,dce; byte_test:2,=,a,b; byte_jump:b,a; isdataat:a;",
     {"byte_extract 2 at 0 -> $0", "byte_extract 2 at 2 -> $1 dce", "byte_test 2 = $0 at $1",
      "byte_jump $1 at $0", "isdataat $0", "nvars 2"}},
    {"byte_extract:3,0,n,string,hex; content:\"z\"; offset:n; depth:n;",
     {"byte_extract 3 at 0 -> $0 string base=16", R"(content "z" offset=$0 depth=$0)", "nvars 1"}},
    // isdataat
    {"isdataat:!1,relative;", {"isdataat !1 relative"}},
    {"isdataat:10,rawbytes;", {"isdataat 10"}},
    // flow
    {"flow:to_server,established;", {"flow to_server established"}},
    {"flow: from_client, established;", {"flow to_server established"}},
    {"flow:from_server,not_established,no_stream;", {"flow to_client not_established no_stream"}},
    {"flow:stateless;", {"flow stateless"}},
    {"flow:to_client,only_stream;", {"flow to_client only_stream"}},
    // flowbits
    {"flowbits:set,a; flowbits:isset,b|c; flowbits:isnotset,c&a; flowbits:unset,d; "
     "flowbits:toggle, e.f ;",
     {"flowbits set a", "flowbits isset b|c", "flowbits isnotset c&a", "flowbits unset d",
      "flowbits toggle e.f"}},
    {"flowbits:set, smtp.helo.found; flowbits: noalert;",
     {"flowbits set smtp.helo.found", "noalert"}},
    // numeric header keywords
    {"dsize:>10;", {"dsize>10"}},
    {"dsize:<=10;", {"dsize<=10"}},
    {"dsize:!9;", {"dsize!=9"}},
    {"dsize:!=9;", {"dsize!=9"}},
    {"dsize:=5;", {"dsize=5"}},
    {"dsize:>=10;", {"dsize>=10"}},
    {"dsize:8<>20;", {"dsize8<>20"}},
    {"dsize:8-20;", {"dsize8<>20"}},
    {"dsize: 8 <> 20 ;", {"dsize8<>20"}},
    {"dsize:0x10;", {"dsize=16"}},
    {"bsize:1kb;", {"bsize=1024"}},
    {"ttl:<3;", {"ttl<3"}},
    {"ttl:0;", {"ttl=0"}},
    {"tos:!8;", {"tos!=8"}},
    {"tos:x10;", {"tos=16"}},
    {"tos:!x1f;", {"tos!=31"}},
    {"tos:0x10;", {"tos=16"}},
    {"window:!55808;", {"window!=55808"}},
    {"window:55808;", {"window=55808"}},
    {"seq:0;", {"seq=0"}},
    {"ack:3308437468;", {"ack=3308437468"}},
    {"id:1;", {"ip_id=1"}},
    {"itype:8;", {"itype=8"}},
    {"itype:>10;", {"itype>10"}},
    {"itype:3<>5;", {"itype3<>5"}},
    {"icode:0; itype:3;", {"itype=3", "icode=0"}},
    {"icmp_id:0;", {"icmp_id=0"}},
    {R"(icmp_seq:"5000";)", {"icmp_seq=5000"}},
    {"ip_proto:6;", {"ip_proto=6"}},
    {"ip_proto:!tcp;", {"ip_proto!=6"}},
    {"ip_proto:<17;", {"ip_proto<17"}},
    {"ip_proto:>PIM;", {"ip_proto>103"}},
    {"ip_proto:ipv6-icmp;", {"ip_proto=58"}},
    // flags and fragbits
    {"flags:S;", {"flags S"}},
    {"flags:SA;", {"flags SA"}},
    {"flags: S,CE;", {"flags S mask CE"}},
    {"flags:S,12;", {"flags S mask CE"}},
    {"flags:+A;", {"flags +A"}},
    {"flags:A+;", {"flags +A"}},
    {"flags:*SF;", {"flags *FS"}},
    {"flags:!R;", {"flags !R"}},
    {"flags:0;", {"flags 0"}},
    {"flags:FSRPAUCE;", {"flags FSRPAUCE"}},
    {"flags:12;", {"flags CE"}},
    {"fragbits:M;", {"fragbits M"}},
    {"fragbits:+D;", {"fragbits +D"}},
    {"fragbits:!R;", {"fragbits !R"}},
    {"fragbits:*MD;", {"fragbits *MD"}},
    // stream_size
    {"stream_size:server,<,1111;", {"stream_size server <1111"}},
    {"stream_size:client,=,1;", {"stream_size client =1"}},
    {"stream_size:either,>=,5;", {"stream_size either >=5"}},
    {"stream_size:both,!=,7;", {"stream_size both !=7"}},
    // thresholds
    {"threshold:type limit, track by_src, count 1, seconds 60;",
     {"threshold limit by_src count=1 seconds=60"}},
    {"threshold: type both, track by_flow, count 3, seconds 3600;",
     {"threshold both by_flow count=3 seconds=3600"}},
    {"threshold:type backoff, track by_flow, count 5, multiplier 5;",
     {"threshold backoff by_flow count=5 multiplier=5"}},
    {"threshold:seconds 30, count 10, track by_dst, type threshold;",
     {"threshold threshold by_dst count=10 seconds=30"}},
    {"threshold:type limit,track by_rule,count 1,seconds 1;",
     {"threshold limit by_rule count=1 seconds=1"}},
    {"threshold:type limit, track by_both, count 2, seconds 5;",
     {"threshold limit by_both count=2 seconds=5"}},
    {"detection_filter:track by_src, count 8, seconds 3600;",
     {"detection_filter detection_filter by_src count=8 seconds=3600"}},
    {"detection_filter: track by_dst, count 3, seconds 60, unique_on dst_port;",
     {"detection_filter detection_filter by_dst count=3 seconds=60 unique_on=dst_port"}},
    {"detection_filter:track by_flow, count 1, seconds 60, unique_on src_port;",
     {"detection_filter detection_filter by_flow count=1 seconds=60 unique_on=src_port"}},
    // the rest
    {"noalert;", {"noalert"}},
    {"tag:session,10,packets;", {}},
    {"target:src_ip;", {"target src_ip"}},
    {"target:dest_ip;", {"target dest_ip"}},
    {"metadata:created_at 2010_07_30, updated_at 2019_09_27; metadata: former_category INFO;",
     {"metadata created_at 2010_07_30", "metadata updated_at 2019_09_27",
      "metadata former_category INFO"}},
    {"reference:url,doc.emergingthreats.net/2001609; reference:cve,2003-0567;",
     {"reference url,doc.emergingthreats.net/2001609", "reference cve,2003-0567"}},
};

INSTANTIATE_TEST_SUITE_P(Table, ParserGoodOptions, ::testing::ValuesIn(kGood));

// ---- Identity, classification and header.

TEST(ParserIdentity, MsgSidRevGidClasstypePriority) {
  const RuleSet set =
      parse(R"x(drop udp any any -> any any (msg:"a \"quoted\"\; msg\\ with: (parens)"; )x"
            R"x(gid:3; sid:2000001; rev:7; classtype:trojan-activity; reference:url,x;))x");
  const Rule& r = only_rule(set);
  EXPECT_EQ(r.msg, R"x(a "quoted"; msg\ with: (parens))x");
  EXPECT_EQ(r.gid, 3u);
  EXPECT_EQ(r.sid, 2000001u);
  EXPECT_EQ(r.rev, 7u);
  EXPECT_EQ(r.classtype, "trojan-activity");
  EXPECT_EQ(r.category, "A Network Trojan was detected");
  EXPECT_EQ(r.priority, 1);
  EXPECT_EQ(r.action, Action::kDrop);
  EXPECT_EQ(r.proto, Proto::kUdp);
  EXPECT_EQ(r.file, "test.rules");
  EXPECT_EQ(r.line, 1);
}

TEST(ParserIdentity, PriorityKeywordOverridesClasstype) {
  const Rule r1 =
      only_rule(parse("alert ip any any -> any any (classtype:misc-activity; "
                      "priority:1; sid:1;)"));
  EXPECT_EQ(r1.priority, 1);
  EXPECT_EQ(r1.category, "Misc activity");
  const Rule r2 =
      only_rule(parse("alert ip any any -> any any (priority:2; "
                      "classtype:misc-activity; sid:1;)"));
  EXPECT_EQ(r2.priority, 2);
  const Rule r3 = only_rule(parse("alert ip any any -> any any (sid:1;)"));
  EXPECT_EQ(r3.priority, 3);
  EXPECT_EQ(r3.category, "");
  EXPECT_EQ(r3.gid, 1u);
  EXPECT_EQ(r3.rev, 0u);
}

TEST(ParserHeader, ActionsAndProtocols) {
  struct Case {
    const char* header;
    Action action;
    Proto proto;
    bool bidirectional;
    const char* flow;
  };
  const Case cases[] = {
      {"alert ip any any -> any any", Action::kAlert, Proto::kIp, false, ""},
      {"pass tcp any any <> any any", Action::kPass, Proto::kTcp, true, ""},
      {"drop udp any any -> any any", Action::kDrop, Proto::kUdp, false, ""},
      {"reject icmp any any -> any any", Action::kReject, Proto::kIcmp, false, ""},
      {"rejectsrc tcp any any -> any any", Action::kReject, Proto::kTcp, false, ""},
      {"rejectdst tcp any any -> any any", Action::kReject, Proto::kTcp, false, ""},
      {"rejectboth tcp any any -> any any", Action::kReject, Proto::kTcp, false, ""},
      {"alert tcp-pkt any any -> any any", Action::kAlert, Proto::kTcp, false, "flow no_stream"},
      {"alert tcp-stream any any -> any any", Action::kAlert, Proto::kTcp, false,
       "flow only_stream"},
      {"ALERT TCP any any -> any any", Action::kAlert, Proto::kTcp, false, ""},
  };
  for (const Case& c : cases) {
    const RuleSet set = parse(std::string(c.header) + " (sid:1;)");
    const Rule& r = only_rule(set);
    EXPECT_EQ(r.action, c.action) << c.header;
    EXPECT_EQ(r.proto, c.proto) << c.header;
    EXPECT_EQ(r.bidirectional, c.bidirectional) << c.header;
    const auto opts = dump_options(r, set);
    EXPECT_EQ(opts.empty() ? "" : opts[0], c.flow) << c.header;
  }
}

TEST(ParserHeader, AddressListsWithSpacesAndRuleText) {
  const std::string text =
      "alert tcp [10.0.0.1, 10.0.0.2] [80, 443] -> $HOME_NET any (msg:\"x\"; sid:9;)";
  const RuleSet set = parse(text);
  const Rule& r = only_rule(set);
  EXPECT_EQ(dump(r.src), "10.0.0.1-10.0.0.2");
  EXPECT_EQ(dump(r.sport), "80,443");
  EXPECT_EQ(dump(r.dst),
            "10.0.0.0-10.255.255.255,172.16.0.0-172.31.255.255,"
            "192.168.0.0-192.168.255.255");
  EXPECT_EQ(dump(r.dport), "any");
  EXPECT_EQ(r.text, text);
}

// ---- Addresses, ports and variables.

struct ExprCase {
  const char* expr;
  const char* want;
};

TEST(VarsAddresses, ResolveToSortedMergedRanges) {
  const ExprCase cases[] = {
      {"any", "any"},
      {"1.2.3.4", "1.2.3.4"},
      {"10.0.0.0/8", "10.0.0.0-10.255.255.255"},
      {"10.1.2.3/8", "10.0.0.0-10.255.255.255"},
      {"1.2.3.0/255.255.255.0", "1.2.3.0-1.2.3.255"},
      {"1.2.3.4-1.2.3.10", "1.2.3.4-1.2.3.10"},
      {"1.2.3.4/32", "1.2.3.4"},
      {"[1.1.1.1,1.1.1.2,1.1.1.3]", "1.1.1.1-1.1.1.3"},
      {"[1.1.1.5,1.1.1.1]", "1.1.1.1,1.1.1.5"},
      {"[10.0.0.0/8,!10.1.0.0/16]", "10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255"},
      {"[10.0.0.0/8,[!10.1.0.0/16,!10.3.0.0/16]]", "any"},
      {"[1.0.0.0/8,[2.0.0.0/8,![2.1.0.0/16]]]", "1.0.0.0-2.0.255.255,2.2.0.0-2.255.255.255"},
      {"![1.0.0.0/8,2.0.0.0/8]",
       "0.0.0.0-0.255.255.255,3.0.0.0-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"!1.2.3.4",
       "0.0.0.0-1.2.3.3,1.2.3.5-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"[!1.2.3.4]",
       "0.0.0.0-1.2.3.3,1.2.3.5-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"!!1.2.3.4", "1.2.3.4"},
      {"2001:db8::/32", "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"[2001:db8::1, 10.0.0.1]", "10.0.0.1,2001:db8::1"},
      {"2001:db8::1-2001:db8::5", "2001:db8::1-2001:db8::5"},
      {"[0.0.0.0/0,::/0]", "any"},
      {"[any,!10.0.0.0/8]",
       "0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"$HOME_NET",
       "10.0.0.0-10.255.255.255,172.16.0.0-172.31.255.255,192.168.0.0-192.168.255.255"},
      {"[$HOME_NET,!192.168.1.0/24]",
       "10.0.0.0-10.255.255.255,172.16.0.0-172.31.255.255,192.168.0.0-192.168.0.255,"
       "192.168.2.0-192.168.255.255"},
      {"$EXTERNAL_NET",
       "0.0.0.0-9.255.255.255,11.0.0.0-172.15.255.255,172.32.0.0-192.167.255.255,"
       "192.169.0.0-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"$AIM_SERVERS",
       "0.0.0.0-9.255.255.255,11.0.0.0-172.15.255.255,172.32.0.0-192.167.255.255,"
       "192.169.0.0-255.255.255.255,::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"!$EXTERNAL_NET",
       "10.0.0.0-10.255.255.255,172.16.0.0-172.31.255.255,192.168.0.0-192.168.255.255"},
  };
  VarTable vars{RuleVars{}};
  for (const ExprCase& c : cases) {
    AddressSet s;
    ExprError e;
    ASSERT_TRUE(vars.parse_address(c.expr, s, e)) << c.expr << ": " << e.message;
    EXPECT_EQ(dump(s), c.want) << c.expr;
  }
}

TEST(VarsAddresses, ContainsAfterNegation) {
  VarTable vars{RuleVars{}};
  AddressSet s;
  ExprError e;
  ASSERT_TRUE(vars.parse_address("[10.0.0.0/8,!10.1.0.0/16,2001:db8::/32]", s, e));
  EXPECT_TRUE(s.contains(v4("10.0.0.1")));
  EXPECT_TRUE(s.contains(v4("10.255.255.255")));
  EXPECT_FALSE(s.contains(v4("10.1.2.3")));
  EXPECT_FALSE(s.contains(v4("11.0.0.0")));
  EXPECT_TRUE(s.contains(v6_last(1)));
  EXPECT_FALSE(s.contains(v6_last(1, 0x30)));
  ASSERT_TRUE(vars.parse_address("$EXTERNAL_NET", s, e));
  EXPECT_FALSE(s.contains(v4("192.168.1.1")));
  EXPECT_TRUE(s.contains(v4("8.8.8.8")));
  EXPECT_TRUE(s.contains(v6_last(1)));
}

TEST(VarsPorts, ResolveToSortedMergedRanges) {
  const ExprCase cases[] = {
      {"any", "any"},
      {"80", "80"},
      {"1:1024", "1:1024"},
      {":1024", "0:1024"},
      {"1024:", "1024:65535"},
      {"[443,80]", "80,443"},
      {"[80,81,82]", "80:82"},
      {"!80", "0:79,81:65535"},
      {"![80,443]", "0:79,81:442,444:65535"},
      {"[1:100,!50]", "1:49,51:100"},
      {"[1:100, [!50, !60]]", "any"},
      {"0:65535", "any"},
      {"$HTTP_PORTS", "80"},
      {"$SHELLCODE_PORTS", "0:79,81:65535"},
      {"$FILE_DATA_PORTS", "80,110,143"},
      {"[$HTTP_PORTS,8080]", "80,8080"},
      {"$ORACLE_PORTS", "1521"},
      {"$GENEVE_PORTS", "6081"},
  };
  VarTable vars{RuleVars{}};
  for (const ExprCase& c : cases) {
    PortSet s;
    ExprError e;
    ASSERT_TRUE(vars.parse_ports(c.expr, s, e)) << c.expr << ": " << e.message;
    EXPECT_EQ(dump(s), c.want) << c.expr;
  }
  PortSet s;
  ExprError e;
  ASSERT_TRUE(vars.parse_ports("[1:100,!50]", s, e));
  EXPECT_TRUE(s.contains(1));
  EXPECT_TRUE(s.contains(100));
  EXPECT_FALSE(s.contains(50));
  EXPECT_FALSE(s.contains(0));
  EXPECT_FALSE(s.contains(101));
}

TEST(VarsConfig, ConfigOverridesDefaultsAndVarsReferToVars) {
  RuleVars rv;
  rv.address_groups = {{"HOME_NET", "[10.1.0.0/16]"}, {"TRADING_NET", "[$HOME_NET,10.9.0.0/24]"}};
  rv.port_groups = {{"FIX_PORTS", "[9876,9880:9890]"}, {"HTTP_PORTS", "[80,8080]"}};
  VarTable vars(rv);
  AddressSet a;
  PortSet p;
  ExprError e;
  ASSERT_TRUE(vars.parse_address("$TRADING_NET", a, e)) << e.message;
  EXPECT_EQ(dump(a), "10.1.0.0-10.1.255.255,10.9.0.0-10.9.0.255");
  ASSERT_TRUE(vars.parse_address("$EXTERNAL_NET", a, e)) << e.message;
  EXPECT_EQ(dump(a),
            "0.0.0.0-10.0.255.255,10.2.0.0-255.255.255.255,"
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  ASSERT_TRUE(vars.parse_ports("$FILE_DATA_PORTS", p, e)) << e.message;
  EXPECT_EQ(dump(p), "80,110,143,8080");
  ASSERT_TRUE(vars.parse_ports("$FIX_PORTS", p, e)) << e.message;
  EXPECT_EQ(dump(p), "9876,9880:9890");
}

struct BadExpr {
  const char* expr;
  std::size_t offset;
  const char* message;
};

TEST(VarsErrors, ExactMessagesAndOffsets) {
  RuleVars rv;
  rv.address_groups = {
      {"A_NET", "$B_NET"},        {"B_NET", "[10.0.0.0/8,$A_NET]"}, {"BROKEN_NET", "[10.0.0.0/8"},
      {"SELF_NET", "!$SELF_NET"}, {"USES_BROKEN", "[$BROKEN_NET]"}, {"USES_UNKNOWN", "$NOPE_NET"}};
  rv.port_groups = {{"BAD_PORTS", "80:70"}};
  VarTable vars(rv);
  const BadExpr addr[] = {
      {"$FOO_NET", 0, "unknown variable '$FOO_NET'"},
      {"[1.2.3.4, $FOO_NET]", 10, "unknown variable '$FOO_NET'"},
      {"$HTTP_PORTS", 0, "'$HTTP_PORTS' is a port variable, not an address variable"},
      {"$A_NET", 0, "variable '$A_NET' refers to itself ($A_NET -> $B_NET -> $A_NET)"},
      {"$SELF_NET", 0, "variable '$SELF_NET' refers to itself ($SELF_NET -> $SELF_NET)"},
      {"$BROKEN_NET", 0,
       "variable '$BROKEN_NET' (\"[10.0.0.0/8\"): unterminated list (missing ']')"},
      {"[1.1.1.1,$USES_BROKEN]", 9,
       "variable '$BROKEN_NET' (\"[10.0.0.0/8\"): unterminated list (missing ']')"},
      {"$USES_UNKNOWN", 0,
       "variable '$USES_UNKNOWN' (\"$NOPE_NET\"): unknown variable '$NOPE_NET'"},
      {"1.2.3.256", 0, "invalid address '1.2.3.256'"},
      {"1.2.3", 0, "invalid address '1.2.3'"},
      {"1.2.3.4/33", 0, "invalid CIDR prefix in '1.2.3.4/33'"},
      {"1.2.3.4/255.0.255.0", 0, "invalid netmask in '1.2.3.4/255.0.255.0'"},
      {"2001:db8::/129", 0, "invalid CIDR prefix in '2001:db8::/129'"},
      {"2001:zz8::1", 0, "invalid address '2001:zz8::1'"},
      {"1.2.3.9-1.2.3.1", 0, "invalid address range '1.2.3.9-1.2.3.1'"},
      {"1.2.3.4-2001:db8::1", 0, "invalid address range '1.2.3.4-2001:db8::1'"},
      {"[1.2.3.4", 0, "unterminated list (missing ']')"},
      {"[]", 1, "empty list"},
      {"[1.2.3.4 5.6.7.8]", 9, "expected ',' or ']' in list"},
      {"[1.2.3.4,]", 9, "expected an address"},
      {"1.2.3.4]", 7, "unexpected ']' after address"},
      {"!any", 0, "address '!any' matches nothing"},
      {"[10.0.0.0/8,!10.0.0.0/7]", 0, "address '[10.0.0.0/8,!10.0.0.0/7]' matches nothing"},
      {"$", 0, "expected a variable name after '$'"},
      {"", 0, "expected an address expression"},
  };
  for (const BadExpr& c : addr) {
    AddressSet s;
    ExprError e;
    EXPECT_FALSE(vars.parse_address(c.expr, s, e)) << c.expr;
    EXPECT_EQ(e.message, c.message) << c.expr;
    EXPECT_EQ(e.offset, c.offset) << c.expr;
  }
  const BadExpr ports[] = {
      {"80:70", 0, "invalid port range '80:70'"},
      {"[1,80:70]", 3, "invalid port range '80:70'"},
      {"65536", 0, "invalid port '65536'"},
      {"http", 0, "invalid port 'http'"},
      {":", 0, "invalid port range ':'"},
      {"!any", 0, "port '!any' matches nothing"},
      {"$HOME_NET", 0, "'$HOME_NET' is an address variable, not a port variable"},
      {"$BAD_PORTS", 0, "variable '$BAD_PORTS' (\"80:70\"): invalid port range '80:70'"},
  };
  for (const BadExpr& c : ports) {
    PortSet s;
    ExprError e;
    EXPECT_FALSE(vars.parse_ports(c.expr, s, e)) << c.expr;
    EXPECT_EQ(e.message, c.message) << c.expr;
    EXPECT_EQ(e.offset, c.offset) << c.expr;
  }
}

TEST(VarsErrors, RuleNamesTheVariableAtItsColumn) {
  LoadOptions opts;
  opts.vars.address_groups = {{"HOME_NET", "[10.0.0.0/8"}};
  const RuleSet set = parse(
      "alert tcp $HOME_NET any -> any any (sid:1;)\n"
      "alert tcp any any -> $FOO_NET any (sid:2;)\n"
      "alert tcp any $HTTP_PORTS -> $EXTERNAL_NET [1:2,$NOPE] (sid:3;)\n",
      opts);
  EXPECT_EQ(strs(set.errors),
            (std::vector<std::string>{
                "test.rules:1:11: variable '$HOME_NET' (\"[10.0.0.0/8\"): unterminated list "
                "(missing ']')",
                "test.rules:2:22: unknown variable '$FOO_NET'",
                "test.rules:3:30: variable '$HOME_NET' (\"[10.0.0.0/8\"): unterminated list "
                "(missing ']')",
            }));
  EXPECT_EQ(set.errors[1].sid, 2u);
}

// ---- Lines: comments, blank lines, continuation.

TEST(ParserLines, CommentsBlankLinesAndContinuations) {
  const std::string text =
      "# a comment\n"
      "\n"
      "#alert tcp any any -> any any (msg:\"disabled\"; sid:1;)\n"
      "   # indented comment\n"
      "alert tcp any any -> any any (msg:\"one\"; \\\n"
      "    content:\"abc\"; \\\n"
      "    sid:2;)\r\n"
      "  alert udp any any -> any any (msg:\"indented\"; sid:3;)   \n"
      "alert tcp any any -> any any (msg:\"last\"; \\\n"
      "  content:\"x\"; sid:4;)";
  const RuleSet set = parse(text);
  ASSERT_EQ(strs(set.errors), std::vector<std::string>{});
  ASSERT_EQ(set.rules.size(), 3u);
  EXPECT_EQ(set.rules[0].sid, 2u);
  EXPECT_EQ(set.rules[0].line, 5);
  EXPECT_EQ(set.rules[0].text,
            "alert tcp any any -> any any (msg:\"one\";     content:\"abc\";     sid:2;)");
  EXPECT_EQ(dump(set.rules[0].payload[0]), "content \"abc\"");
  EXPECT_EQ(set.rules[1].sid, 3u);
  EXPECT_EQ(set.rules[1].line, 8);
  EXPECT_EQ(set.rules[2].sid, 4u);
  EXPECT_EQ(set.rules[2].line, 9);
}

TEST(ParserLines, ErrorInContinuationPointsAtThePhysicalLine) {
  const RuleSet set = parse(
      "alert tcp any any -> any any (msg:\"one\"; \\\n"
      "    content:\"abc\"; depth:2; \\\n"
      "    sid:2;)\n");
  EXPECT_EQ(strs(set.errors), std::vector<std::string>{
                                  "test.rules:2:26: depth 2 is smaller than the content length 3"});
  EXPECT_EQ(set.errors[0].sid, 2u);
  EXPECT_EQ(set.errors[0].line, 2);
  EXPECT_EQ(set.errors[0].column, 26);
}

// ---- Bad rules: tests/signatures/bad_rules.txt, each rule preceded by the exact diagnostic
// it must produce ("# expect: bad_rules.txt:LINE:COL: message").

TEST(ParserBadRules, EveryRuleGivesItsExactError) {
  const std::string path = TS_SOURCE_DIR "/tests/signatures/bad_rules.txt";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::string> want;
  std::istringstream lines(text);
  std::string line;
  int rules = 0;
  bool continued = false;
  while (std::getline(lines, line)) {
    const std::string tag = "# expect: ";
    if (line.rfind(tag, 0) == 0) want.push_back(line.substr(tag.size()));
    if (!continued && !line.empty() && line[0] != '#') ++rules;
    continued = !line.empty() && line.back() == '\\';
  }
  ASSERT_GT(want.size(), 50u);
  EXPECT_EQ(static_cast<std::size_t>(rules), want.size()) << "one expectation per rule";
  const RuleSet set = parse_rules(text, "bad_rules.txt", LoadOptions{});
  EXPECT_EQ(set.loaded(), 0u);
  EXPECT_EQ(strs(set.skipped), std::vector<std::string>{});
  const std::vector<std::string> got = strs(set.errors);
  for (std::size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    EXPECT_EQ(i < got.size() ? got[i] : "(none)", i < want.size() ? want[i] : "(none)")
        << "error #" << i;
  }
}

// ---- Skipped: valid Suricata the engine does not implement.

struct SkipCase {
  const char* rule;
  const char* keyword;
  const char* diag;
};

TEST(ParserSkipped, NamesTheKeywordAndKeepsGoing) {
  const SkipCase cases[] = {
      {R"(alert http any any -> any any (msg:"x"; content:"a"; http.uri; sid:10;))",
       "protocol http", "test.rules:1:7: skipped sid 10: unsupported protocol 'http'"},
      {R"(alert dns any any -> any any (dns.query; content:"x"; sid:11;))", "protocol dns",
       "test.rules:1:7: skipped sid 11: unsupported protocol 'dns'"},
      {R"(alert tcp any any -> any any (msg:"x"; http.uri; content:"a"; sid:12;))", "http.uri",
       "test.rules:1:40: skipped sid 12: unsupported keyword 'http.uri'"},
      {R"(alert tcp any any -> any any (file_data; content:"x"; depth:99999999; sid:13;))",
       "file_data", "test.rules:1:31: skipped sid 13: unsupported keyword 'file_data'"},
      {R"(alert tcp any any -> any any (content:"x"; http_uri; sid:14;))", "http_uri",
       "test.rules:1:44: skipped sid 14: unsupported keyword 'http_uri'"},
      {R"(alert tcp any any -> any any (pcre:"/x/Ui"; sid:15;))", "pcre/U",
       "test.rules:1:40: skipped sid 15: unsupported pcre flag 'U' (HTTP buffer)"},
      {R"(alert tcp any any -> any any (pcre:"/x/iH"; sid:16;))", "pcre/H",
       "test.rules:1:41: skipped sid 16: unsupported pcre flag 'H' (HTTP buffer)"},
      {R"(alert tcp any any -> any any (flow:established,no_frag; sid:17;))", "flow/no_frag",
       "test.rules:1:48: skipped sid 17: unsupported flow option 'no_frag'"},
      {R"(alert tcp any any -> any any (flowbits:setx,a; sid:18;))", "flowbits/setx",
       "test.rules:1:40: skipped sid 18: unsupported flowbits operation 'setx'"},
      {R"(alert tcp any any -> any any (dsize:!1-5; sid:19;))", "dsize",
       "test.rules:1:37: skipped sid 19: unsupported negated range '!1-5' in 'dsize'"},
      {R"(alert tcp any any -> any any (dsize:&0xc0=0x80; sid:20;))", "dsize",
       "test.rules:1:37: skipped sid 20: unsupported bitmask comparison '&0xc0=0x80' in 'dsize'"},
      {R"(alert tcp any any -> any any (ttl:2; ttl:<5; sid:21;))", "ttl",
       "test.rules:1:38: skipped sid 21: unsupported repeated 'ttl' in one rule"},
      {R"(alert tcp any any -> any any (stream_size:client,=,1; stream_size:server,=,10; sid:22;))",
       "stream_size",
       "test.rules:1:55: skipped sid 22: unsupported repeated 'stream_size' in one rule"},
      {R"(alert tcp any any -> any any (byte_extract:1,0,n; byte_test:n,=,1,0; sid:23;))",
       "byte_test",
       "test.rules:1:61: skipped sid 23: unsupported byte_test with a variable byte count"},
      {R"(alert tcp any any -> any any (byte_extract:1,0,n,slice; sid:24;))", "byte_extract/slice",
       "test.rules:1:50: skipped sid 24: unsupported byte_extract option 'slice'"},
      {R"(alert tcp any any -> any any (lua:script.lua; sid:25;))", "lua",
       "test.rules:1:31: skipped sid 25: unsupported keyword 'lua'"},
      {R"(alert tcp any any -> any any (sid:26; xbits:set,a,track ip_src; content:"a"; depth:0;))",
       "xbits", "test.rules:1:39: skipped sid 26: unsupported keyword 'xbits'"},
      {R"(alert tcp any any -> any any (base64_decode; sid:27;))", "base64_decode",
       "test.rules:1:31: skipped sid 27: unsupported keyword 'base64_decode'"},
      {R"(alert tcp any any -> any any (app-layer-event:http.x; sid:28;))", "app-layer-event",
       "test.rules:1:31: skipped sid 28: unsupported keyword 'app-layer-event'"},
      {R"(alert icmpv6 any any -> any any (sid:29;))", "protocol icmpv6",
       "test.rules:1:7: skipped sid 29: unsupported protocol 'icmpv6'"},
  };
  for (const SkipCase& c : cases) {
    const RuleSet set = parse(c.rule);
    EXPECT_EQ(strs(set.errors), std::vector<std::string>{}) << c.rule;
    EXPECT_EQ(set.loaded(), 0u) << c.rule;
    ASSERT_EQ(set.skipped.size(), 1u) << c.rule;
    EXPECT_EQ(set.skipped[0].keyword, c.keyword) << c.rule;
    EXPECT_EQ(set.skipped[0].str(), c.diag) << c.rule;
    EXPECT_NE(set.skipped[0].sid, 0u);
  }
}

TEST(ParserSkipped, SyntaxErrorsStillWinAfterASkip) {
  const RuleSet set = parse(
      "alert tcp any any -> any any (http.uri; content:\"a\" sid:1;)\n"
      "alert http any any -> any any (content:\"a\";)\n");
  EXPECT_EQ(strs(set.errors), (std::vector<std::string>{
                                  "test.rules:1:53: expected ';' after option 'content'",
                                  "test.rules:2:44: rule has no sid",
                              }));
  EXPECT_TRUE(set.skipped.empty());
}

TEST(ParserSkipped, LoadingContinuesAroundSkipsAndErrors) {
  const RuleSet set = parse(
      "alert tcp any any -> any any (sid:1;)\n"
      "alert http any any -> any any (sid:2;)\n"
      "alert tcp any any -> any any (sid:3; bogus\n"
      "alert tcp any any -> any any (sid:4;)\n");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].sid, 1u);
  EXPECT_EQ(set.rules[1].sid, 4u);
  EXPECT_EQ(summary_line(set), "rules: 2 loaded, 1 skipped, 1 errors");
}

// ---- Rule sets: duplicate sids, flowbit ids across rules, files.

TEST(ParserRuleSet, DuplicateGidSidIsAnErrorOnTheLaterRule) {
  const RuleSet set = parse(
      "alert tcp any any -> any any (sid:5;)\n"
      "alert tcp any any -> any any (gid:2; sid:5;)\n"
      "alert udp any any -> any any (msg:\"again\"; sid:5;)\n");
  EXPECT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(strs(set.errors),
            std::vector<std::string>{
                "test.rules:3:44: duplicate sid 1:5 (first loaded at test.rules:1)"});
}

TEST(ParserRuleSet, FlowbitIdsAreSharedAcrossRules) {
  const RuleSet set = parse(
      "alert tcp any any -> any any (flowbits:set,login; flowbits:noalert; sid:1;)\n"
      "alert tcp any any -> any any (flowbits:isset,login; flowbits:unset,other; sid:2;)\n"
      "alert tcp any any -> any any (flowbits:isset,other|login; sid:3;)\n");
  ASSERT_EQ(set.rules.size(), 3u);
  EXPECT_EQ(set.flowbit_names, (std::vector<std::string>{"login", "other"}));
  EXPECT_EQ(set.rules[1].flowbits[0].bits, std::vector<uint16_t>{0});
  EXPECT_EQ(set.rules[1].flowbits[1].bits, std::vector<uint16_t>{1});
  EXPECT_EQ(set.rules[2].flowbits[0].bits, (std::vector<uint16_t>{1, 0}));
  EXPECT_TRUE(set.rules[2].flowbits[0].any_of);
  EXPECT_TRUE(set.rules[0].noalert);
}

TEST(ParserRuleSet, LoadRulesReadsFilesInOrderAndReportsUnreadableOnes) {
  const std::string dir = std::string(TS_BINARY_DIR) + "/parser_test_files";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/a.rules") << "alert tcp any any -> any any (flowbits:set,x; sid:1;)\n";
    std::ofstream(dir + "/b.rules") << "alert tcp any any -> any any (flowbits:isset,x; sid:1;)\n"
                                       "alert tcp any any -> any any (flowbits:isset,y; sid:2;)\n";
  }
  const RuleSet set = load_rules({dir + "/a.rules", dir + "/missing.rules", dir + "/b.rules"}, {});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(strs(set.errors),
            (std::vector<std::string>{
                dir + "/missing.rules: cannot read rule file: No such file or directory",
                dir + "/b.rules:1:49: duplicate sid 1:1 (first loaded at " + dir + "/a.rules:1)",
            }));
  EXPECT_EQ(set.errors[0].line, 0);
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[1].file, dir + "/b.rules");
  EXPECT_EQ(set.rules[1].line, 2);
  EXPECT_EQ(set.flowbit_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(summary_line(set), "rules: 2 loaded, 0 skipped, 2 errors");
}

// ---- Classification.

TEST(Classification, ShippedTableParsesCleanlyAndHasTheStandardNames) {
  ClassificationTable t;
  std::vector<Diagnostic> errors, warnings;
  t.parse(shipped_classification_config(), "classification.config", errors, warnings);
  EXPECT_EQ(strs(errors), std::vector<std::string>{});
  EXPECT_EQ(strs(warnings), std::vector<std::string>{});
  EXPECT_EQ(t.size(), ClassificationTable::shipped().size());
  struct Want {
    const char* name;
    const char* description;
    int priority;
  };
  const Want wants[] = {
      {"attempted-recon", "Attempted Information Leak", 2},
      {"attempted-admin", "Attempted Administrator Privilege Gain", 1},
      {"trojan-activity", "A Network Trojan was detected", 1},
      {"web-application-attack", "Web Application Attack", 1},
      {"policy-violation", "Potential Corporate Privacy Violation", 1},
      {"misc-activity", "Misc activity", 3},
      {"bad-unknown", "Potentially Bad Traffic", 2},
      {"not-suspicious", "Not Suspicious Traffic", 3},
      {"unknown", "Unknown Traffic", 3},
      {"tcp-connection", "A TCP connection was detected", 4},
      {"trading-protocol-anomaly", "Trading Protocol Anomaly Detected", 2},
      {"trading-session-abuse", "Trading Session Abuse Detected", 1},
      {"credential-exposure", "Credentials Exposed in Cleartext", 1},
  };
  for (const Want& w : wants) {
    const Classification* c = t.find(w.name);
    ASSERT_NE(c, nullptr) << w.name;
    EXPECT_EQ(c->description, w.description);
    EXPECT_EQ(c->priority, w.priority);
  }
}

TEST(Classification, CustomFileReplacesTheShippedOne) {
  const std::string path = std::string(TS_BINARY_DIR) + "/parser_test_classification.config";
  {
    std::ofstream out(path);
    out << "# ours\n"
           "config classification: fix-anomaly,FIX Session Anomaly, 2\n"
           "config classification: fix-anomaly,FIX Session Anomaly Again,4\n"
           "config classification: broken\n"
           "config classification: x,y,high\n"
           "classification: a,b,1\n";
  }
  LoadOptions opts;
  opts.classification_file = path;
  const RuleSet set = parse(
      "alert tcp any any -> any any (classtype:fix-anomaly; sid:1;)\n"
      "alert tcp any any -> any any (classtype:trojan-activity; sid:2;)\n",
      opts);
  std::remove(path.c_str());
  EXPECT_EQ(strs(set.errors),
            (std::vector<std::string>{
                path + ":4:24: expected 'name,description,priority' after 'config classification:'",
                path + ":5:28: expected a priority from 1 to 255, got 'high'",
                path + ":6:1: expected 'config classification: name,description,priority'",
                "test.rules:2:41: unknown classtype 'trojan-activity'",
            }));
  EXPECT_EQ(strs(set.warnings),
            std::vector<std::string>{
                path + ":3:24: classtype 'fix-anomaly' defined again; the later one is used"});
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].category, "FIX Session Anomaly Again");
  EXPECT_EQ(set.rules[0].priority, 4);
}

TEST(Classification, UnreadableFileIsAnErrorAndTheShippedTableStillServes) {
  LoadOptions opts;
  opts.classification_file = "/nonexistent/classification.config";
  const RuleSet set =
      parse("alert tcp any any -> any any (classtype:trojan-activity; sid:2;)", opts);
  EXPECT_EQ(strs(set.errors),
            std::vector<std::string>{"/nonexistent/classification.config: cannot read "
                                     "classification file: No such file or directory"});
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].priority, 1);
}

// ---- The Emerging Threats Open ruleset (shared/rules/et-open), if present.

TEST(ParserEtOpen, LoadsWithoutErrors) {
  const std::string dir = TS_SOURCE_DIR "/../shared/rules/et-open";
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "ET Open ruleset not found at " << dir
                 << " (the shared folder beside the repository); nothing to check";
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".rules") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 40u);
  const RuleSet set = load_rules(files, LoadOptions{});
  std::vector<std::string> first_errors = strs(set.errors);
  if (first_errors.size() > 20) first_errors.resize(20);
  EXPECT_EQ(first_errors, std::vector<std::string>{});
  // About 3.5k active ET rules use only ip/tcp/udp/icmp and the supported keywords.
  EXPECT_GT(set.loaded(), 3400u);
  EXPECT_GT(set.skipped.size(), 20000u);
  std::map<std::string, std::size_t> by_keyword;
  for (const Diagnostic& d : set.skipped) ++by_keyword[d.keyword];
  EXPECT_GT(by_keyword["protocol http"], 10000u);
  // Nothing the engine supports is skipped.
  for (const char* supported :
       {"content", "pcre", "flow", "flowbits", "byte_test", "byte_jump", "isdataat", "dsize",
        "threshold", "classtype", "metadata", "reference", "fast_pattern", "startswith"}) {
    EXPECT_EQ(by_keyword.count(supported), 0u) << supported;
  }
}

}  // namespace
}  // namespace ts::sig
