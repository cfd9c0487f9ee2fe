#include "signatures/engine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sensor/flow_table.h"
#include "sensor/tcp_stream.h"
#include "tests/alloc_hook.h"
#include "tests/sensor/packet_builder.h"

namespace ts::sig {
namespace {

using test::ip4;

// ---- hand-built rules ----
ContentOpt content(std::string s) {
  ContentOpt c;
  c.pattern = std::move(s);
  return c;
}

Rule rule(uint32_t sid, Proto proto, std::vector<PayloadOpt> payload = {}) {
  Rule r;
  r.sid = sid;
  r.rev = 1;
  r.proto = proto;
  r.payload = std::move(payload);
  return r;
}

[[maybe_unused]] PortSet ports(uint16_t lo, uint16_t hi) {
  PortSet s;
  s.any = false;
  s.ranges.push_back({lo, hi});
  return s;
}

[[maybe_unused]] AddressSet addr(const IpAddr& a) {
  AddressSet s;
  s.any = false;
  s.ranges.push_back({a, a});
  return s;
}

class Sink : public AlertSink {
 public:
  void on_alert(const Alert& a) noexcept override { alerts.push_back(a); }
  std::vector<uint32_t> sids() const {
    std::vector<uint32_t> v;
    for (const Alert& a : alerts) v.push_back(a.sid);
    return v;
  }
  std::vector<Alert> alerts;
};

std::shared_ptr<const CompiledRules> compile(std::vector<Rule> rules,
                                             CompileOptions opts = {},
                                             std::vector<std::string> flowbits = {}) {
  RuleSet set;
  set.rules = std::move(rules);
  set.flowbit_names = std::move(flowbits);
  std::string err;
  auto cr = CompiledRules::compile(std::move(set), opts, &err);
  EXPECT_TRUE(cr) << err;
  return cr;
}

TEST(EngineSmoke, UdpContent) {
  auto cr = compile({rule(1, Proto::kUdp, {content("abc")}), rule(2, Proto::kTcp, {content("abc")})});
  ASSERT_TRUE(cr);
  Sink sink;
  Detector det(cr, DetectorConfig{16, 1 << 20, true}, &sink);
  const std::string pl = "xxabcxx";
  det.inspect(nullptr, Dir::kToServer,
              test::make_udp(ip4(1, 2, 3, 4), ip4(5, 6, 7, 8), 1000, 53, pl, 1));
  EXPECT_EQ(sink.sids(), std::vector<uint32_t>{1});
  EXPECT_EQ(cr->path(0), CompiledRules::Path::kExact);
}

}  // namespace
}  // namespace ts::sig
