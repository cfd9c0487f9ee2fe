#include "sensor/decode.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "tests/sensor/frame_builder.h"

namespace ts {
namespace {

using namespace ts::testing;
using Events = std::map<std::string, uint64_t>;

const A4 kA{10, 0, 0, 1}, kB{10, 0, 0, 2}, kC{192, 168, 1, 1}, kD{192, 168, 1, 2};

Events events_of(const DecodeStats& s) {
  Events e;
  for (std::size_t i = 0; i < kDecodeEventCount; ++i)
    if (s.events[i].get()) e[std::string(decode_event_name(static_cast<DecodeEvent>(i)))] =
        s.events[i].get();
  return e;
}

class DecodeTest : public ::testing::Test {
 protected:
  DecodeResult run(LinkType lt, const Bytes& f, uint32_t caplen = UINT32_MAX,
                   uint32_t wirelen = UINT32_MAX) {
    const uint32_t cl = caplen == UINT32_MAX ? static_cast<uint32_t>(f.size()) : caplen;
    const uint32_t wl = wirelen == UINT32_MAX ? cl : wirelen;
    return dec.decode(lt, 1000, f.data(), cl, wl, v);
  }
  DecodeResult run(const Bytes& f) { return run(LinkType::kEthernet, f); }
  Events events() const { return events_of(dec.stats()); }
  const DecodeStats& st() const { return dec.stats(); }

  DecodeConfig cfg;
  Decoder dec{cfg, nullptr};
  PacketView v;
};

Bytes tcp_options_full() {
  return Bytes{2, 4, 0x05, 0xb4,               // MSS 1460
               1, 3, 3, 7,                     // NOP, window scale 7
               4, 2,                           // SACK permitted
               8, 10, 0, 0, 0, 1, 0, 0, 0, 2,  // timestamps 1, 2
               5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};  // 2 SACK blocks
}

Bytes eth_ipv4_tcp(const Bytes& payload = text("hello")) {
  TcpOpts o;
  o.seq = 0xdeadbeef;
  o.ack = 42;
  o.flags = 0x12;
  o.options = tcp_options_full();
  return eth(0x0800, ipv4(kA, kB, 6, tcp(40000, 443, payload, o)));
}

TEST_F(DecodeTest, EthernetIpv4TcpFieldsExact) {
  const Bytes f = eth_ipv4_tcp();
  ASSERT_EQ(run(f), DecodeResult::kOk);
  EXPECT_EQ(v.frame, f.data());
  EXPECT_EQ(v.caplen, f.size());
  EXPECT_EQ(v.ts, 1000);
  EXPECT_EQ(v.ip_version, 4);
  EXPECT_EQ(v.src, IpAddr::v4(kA.data()));
  EXPECT_EQ(v.dst, IpAddr::v4(kB.data()));
  EXPECT_EQ(v.ip_proto, 6);
  EXPECT_EQ(v.ttl, 64);
  EXPECT_EQ(v.ip_id, 0x1234);
  EXPECT_EQ(v.l3_offset, 14u);
  EXPECT_EQ(v.l4_offset, 34u);
  EXPECT_EQ(v.l4, L4::kTcp);
  EXPECT_EQ(v.sport, 40000);
  EXPECT_EQ(v.dport, 443);
  EXPECT_EQ(v.tcp.seq, 0xdeadbeefu);
  EXPECT_EQ(v.tcp.ack, 42u);
  EXPECT_EQ(v.tcp.flags, tcpflag::kSyn | tcpflag::kAck);
  EXPECT_EQ(v.tcp.window, 8192);
  EXPECT_EQ(v.tcp.data_offset, 20 + 40);  // 38 option bytes + EOL padding
  EXPECT_TRUE(v.tcp.has_mss);
  EXPECT_EQ(v.tcp.mss, 1460);
  EXPECT_TRUE(v.tcp.has_wscale);
  EXPECT_EQ(v.tcp.wscale, 7);
  EXPECT_TRUE(v.tcp.sack_permitted);
  EXPECT_TRUE(v.tcp.has_timestamp);
  EXPECT_EQ(v.tcp.ts_val, 1u);
  EXPECT_EQ(v.tcp.ts_ecr, 2u);
  EXPECT_EQ(v.tcp.sack_blocks, 2);
  EXPECT_EQ(v.payload, f.data() + 14 + 20 + 60);
  EXPECT_EQ(v.payload_len, 5u);
  EXPECT_EQ(v.vlan_count, 0);
  EXPECT_EQ(v.tunnel_depth, 0);
  EXPECT_EQ(st().pkts.get(), 1u);
  EXPECT_EQ(st().bytes.get(), f.size());
  EXPECT_EQ(st().ethernet.get(), 1u);
  EXPECT_EQ(st().ipv4.get(), 1u);
  EXPECT_EQ(st().tcp.get(), 1u);
  EXPECT_EQ(st().invalid.get(), 0u);
  EXPECT_EQ(events(), Events{});
}

TEST_F(DecodeTest, IfaceIsKeptOtherFieldsReset) {
  v.iface = 3;
  v.is_arp = true;
  v.tunnel_depth = 9;
  ASSERT_EQ(run(eth_ipv4_tcp()), DecodeResult::kOk);
  EXPECT_EQ(v.iface, 3);
  EXPECT_FALSE(v.is_arp);
  EXPECT_EQ(v.tunnel_depth, 0);
}

TEST_F(DecodeTest, EthernetPaddingIsNotPayload) {
  const Bytes f = pad_to(eth(0x0800, ipv4(kA, kB, 17, udp(53, 5353, text("ab")))), 60);
  ASSERT_EQ(f.size(), 60u);
  ASSERT_EQ(run(f), DecodeResult::kOk);
  EXPECT_EQ(v.l4, L4::kUdp);
  EXPECT_EQ(v.payload_len, 2u);
  EXPECT_EQ(v.payload, f.data() + 42);
  // TCP too: padding after a bare ACK.
  const Bytes g = pad_to(eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {}))), 60);
  ASSERT_EQ(run(g), DecodeResult::kOk);
  EXPECT_EQ(v.payload_len, 0u);
}

TEST_F(DecodeTest, VlanAndQinq) {
  struct Case {
    std::vector<uint16_t> tags;
    uint16_t tpid;
    uint8_t count;
    uint16_t v0, v1;
  };
  const Case cases[] = {
      {{100}, 0x8100, 1, 100, 0},
      {{100, 200}, 0x8100, 2, 100, 200},
      {{0x2064, 0xf0c8}, 0x9100, 2, 100, 200},  // PCP bits masked off
  };
  for (const auto& c : cases) {
    ASSERT_EQ(run(eth(0x86dd, ipv6(v6addr(1), v6addr(2), 17, udp(1000, 2000, text("x"))),
                      c.tags, c.tpid)),
              DecodeResult::kOk);
    EXPECT_EQ(v.vlan_count, c.count);
    EXPECT_EQ(v.vlan[0], c.v0);
    EXPECT_EQ(v.vlan[1], c.v1);
    EXPECT_EQ(v.l4, L4::kUdp);
    EXPECT_EQ(v.sport, 1000);
  }
  EXPECT_EQ(st().vlan.get(), 3u);
  EXPECT_EQ(st().vlan_qinq.get(), 2u);
  EXPECT_EQ(st().ipv6.get(), 3u);
  EXPECT_EQ(st().udp.get(), 3u);
  EXPECT_EQ(events(), Events{});
}

TEST_F(DecodeTest, ThreeVlanTagsCountedButDecoded) {
  ASSERT_EQ(run(eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {})), {10, 20, 30})), DecodeResult::kOk);
  EXPECT_EQ(v.vlan_count, 2);
  EXPECT_EQ(v.vlan[0], 10);
  EXPECT_EQ(v.vlan[1], 20);
  EXPECT_EQ(v.l4, L4::kTcp);
  EXPECT_EQ(events(), (Events{{"vlan_too_deep", 1}}));
  EXPECT_EQ(st().invalid.get(), 0u);
}

TEST_F(DecodeTest, Arp) {
  ASSERT_EQ(run(pad_to(eth(0x0806, arp(kA, kB)), 60)), DecodeResult::kNotIp);
  EXPECT_TRUE(v.is_arp);
  EXPECT_EQ(v.src, IpAddr::v4(kA.data()));
  EXPECT_EQ(v.dst, IpAddr::v4(kB.data()));
  EXPECT_EQ(v.ip_version, 0);
  EXPECT_EQ(st().arp.get(), 1u);
  Bytes shortarp = eth(0x0806, arp(kA, kB));
  shortarp.resize(14 + 20);
  EXPECT_EQ(run(shortarp), DecodeResult::kInvalid);
  EXPECT_EQ(events(), (Events{{"arp_truncated", 1}}));
}

TEST_F(DecodeTest, Ipv6ExtensionHeaders) {
  const Bytes f = eth(0x86dd, ipv6(v6addr(1), v6addr(2), 6, tcp(5000, 80, text("GET")),
                                   {ext_opts(0), ext_opts(43, 24), ext_opts(60, 16)}, 33));
  ASSERT_EQ(run(f), DecodeResult::kOk);
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.ip_proto, 6);
  EXPECT_EQ(v.ttl, 33);
  EXPECT_EQ(v.src, IpAddr::v6(v6addr(1).data()));
  EXPECT_EQ(v.l3_offset, 14u);
  EXPECT_EQ(v.l4_offset, 14u + 40 + 8 + 24 + 16);
  EXPECT_EQ(v.sport, 5000);
  EXPECT_EQ(v.payload_len, 3u);
  // ESP stops the walk: the rest is opaque.
  ASSERT_EQ(run(eth(0x86dd, ipv6(v6addr(1), v6addr(2), 50, pattern(32), {ext_opts(60)}))),
            DecodeResult::kOk);
  EXPECT_EQ(v.ip_proto, 50);
  EXPECT_EQ(v.l4, L4::kOther);
  EXPECT_EQ(v.payload_len, 32u);
  // An extension header running past the payload.
  Bytes bad = eth(0x86dd, ipv6(v6addr(1), v6addr(2), 6, {}, {ext_opts(0)}));
  bad[14 + 40 + 1] = 5;  // claims 48 bytes
  EXPECT_EQ(run(bad), DecodeResult::kInvalid);
  EXPECT_EQ(events(), (Events{{"ipv6_bad_ext_header", 1}}));
}

TEST_F(DecodeTest, LinkTypes) {
  const Bytes ip4 = ipv4(kA, kB, 17, udp(1, 2, text("abc")));
  const Bytes ip6 = ipv6(v6addr(1), v6addr(2), 17, udp(1, 2, text("abc")));
  Bytes sll{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  Bytes sll2{0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  struct Case {
    uint16_t lt;
    Bytes frame;
    uint8_t version;
    uint32_t l3;
  };
  const Case cases[] = {
      {113, cat({sll, ip4}), 4, 16}, {276, cat({sll2, ip6}), 6, 20}, {101, ip4, 4, 0},
      {101, ip6, 6, 0},              {12, ip4, 4, 0},               {14, ip6, 6, 0},
      {228, ip4, 4, 0},              {229, ip6, 6, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.lt);
    ASSERT_EQ(run(static_cast<LinkType>(c.lt), c.frame), DecodeResult::kOk);
    EXPECT_EQ(v.ip_version, c.version);
    EXPECT_EQ(v.l3_offset, c.l3);
    EXPECT_EQ(v.payload_len, 3u);
  }
  EXPECT_EQ(st().sll.get(), 2u);
  EXPECT_EQ(st().raw.get(), 6u);
  EXPECT_EQ(run(static_cast<LinkType>(229), ip4), DecodeResult::kInvalid);
  EXPECT_EQ(run(static_cast<LinkType>(105), ip4), DecodeResult::kNotIp);
  EXPECT_EQ(events(), (Events{{"ipv6_bad_version", 1}, {"unknown_linktype", 1}}));
}

TEST_F(DecodeTest, IcmpAndIcmpv6) {
  ASSERT_EQ(run(eth(0x0800, ipv4(kA, kB, 1, icmp(8, 0, pattern(16))))), DecodeResult::kOk);
  EXPECT_EQ(v.l4, L4::kIcmp);
  EXPECT_EQ(v.icmp_type, 8);
  EXPECT_EQ(v.payload_len, 16u);
  ASSERT_EQ(run(eth(0x86dd, ipv6(v6addr(1), v6addr(2), 58, icmp(135, 0, pattern(20))))),
            DecodeResult::kOk);
  EXPECT_EQ(v.l4, L4::kIcmpv6);
  EXPECT_EQ(v.icmp_type, 135);
  EXPECT_EQ(st().icmpv4.get(), 1u);
  EXPECT_EQ(st().icmpv6.get(), 1u);
}

TEST_F(DecodeTest, TcpBadOptionsCountedPacketStillValid) {
  TcpOpts o;
  o.options = Bytes{2, 4, 0x05, 0xb4, 3, 5, 7, 1};  // MSS fine, then wscale with length 5
  ASSERT_EQ(run(eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, text("z"), o)))), DecodeResult::kOk);
  EXPECT_TRUE(v.tcp.has_mss);
  EXPECT_FALSE(v.tcp.has_wscale);
  EXPECT_EQ(v.payload_len, 1u);
  EXPECT_EQ(events(), (Events{{"tcp_bad_options", 1}}));
  EXPECT_EQ(st().invalid.get(), 0u);
}

// ---- Encapsulations -------------------------------------------------------------------

struct TunnelCase {
  const char* name;
  Bytes frame;
  uint8_t depth;
  uint8_t version;
  L4 l4;
  uint16_t sport, dport;
  uint8_t vlan_count;
  uint16_t vlan0;
};

std::vector<TunnelCase> tunnel_cases() {
  const Bytes inner4 = ipv4(kC, kD, 6, tcp(1111, 2222, text("inner")));
  const Bytes inner6 = ipv6(v6addr(7), v6addr(8), 17, udp(3333, 4444, text("inner")));
  const Bytes inner_eth = eth(0x0800, inner4, {77});
  std::vector<TunnelCase> c;
  c.push_back({"gre_ipv4", eth(0x0800, ipv4(kA, kB, 47, gre(0x0800, inner4))), 1, 4,
               L4::kTcp, 1111, 2222, 0, 0});
  c.push_back({"gre_ckey_seq_ipv6", eth(0x0800, ipv4(kA, kB, 47, gre(0x86dd, inner6, true, true,
                                                                     true)), {12}),
               1, 6, L4::kUdp, 3333, 4444, 1, 12});
  c.push_back({"gre_teb", eth(0x0800, ipv4(kA, kB, 47, gre(0x6558, inner_eth)), {12}), 1, 4,
               L4::kTcp, 1111, 2222, 1, 77});
  c.push_back({"erspan1", eth(0x0800, ipv4(kA, kB, 47, gre(0x88be, inner_eth))), 1, 4, L4::kTcp,
               1111, 2222, 1, 77});
  c.push_back({"erspan2", eth(0x0800, ipv4(kA, kB, 47, gre(0x88be, erspan2(inner_eth), false,
                                                           false, true))),
               1, 4, L4::kTcp, 1111, 2222, 1, 77});
  c.push_back({"erspan3", eth(0x0800, ipv4(kA, kB, 47, gre(0x22eb, erspan3(inner_eth), false,
                                                           false, true))),
               1, 4, L4::kTcp, 1111, 2222, 1, 77});
  c.push_back({"erspan3_platform", eth(0x0800, ipv4(kA, kB, 47, gre(0x22eb, erspan3(inner_eth,
                                                                                    true)))),
               1, 4, L4::kTcp, 1111, 2222, 1, 77});
  c.push_back({"gre_mpls", eth(0x0800, ipv4(kA, kB, 47, gre(0x8847, mpls({16, 17}, inner6)))),
               2, 6, L4::kUdp, 3333, 4444, 0, 0});
  c.push_back({"vxlan", eth(0x0800, ipv4(kA, kB, 17, udp(50000, 4789, vxlan(99, inner_eth)))),
               1, 4, L4::kTcp, 1111, 2222, 1, 77});
  c.push_back({"vxlan_v6", eth(0x86dd, ipv6(v6addr(1), v6addr(2), 17,
                                            udp(50000, 4789, vxlan(99, eth(0x86dd, inner6)))),
                               {5}),
               1, 6, L4::kUdp, 3333, 4444, 0, 0});
  c.push_back({"mpls_ipv4", eth(0x8847, mpls({100, 200, 300}, inner4), {9}), 1, 4, L4::kTcp,
               1111, 2222, 1, 9});
  c.push_back({"mpls_pw_eth", eth(0x8847, mpls({100}, cat({Bytes{0, 0, 0, 0}, inner_eth}))), 1,
               4, L4::kTcp, 1111, 2222, 1, 77});
  c.push_back({"pppoe_ipv4", eth(0x8864, pppoe(0x0021, inner4)), 1, 4, L4::kTcp, 1111, 2222, 0,
               0});
  // NSH MD type 1 (6 words: base, service path, 4 context words), then IPv4; and MD type 2
  // with no context (2 words), then Ethernet.
  const Bytes nsh1{0x00, 0x06, 0x01, 0x01, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
                   0, 0, 0, 0, 0, 0, 0, 0};
  const Bytes nsh2{0x00, 0x02, 0x02, 0x03, 0, 0, 2, 0xfe};
  c.push_back({"nsh_md1_ipv4", eth(0x894f, cat({nsh1, inner4})), 1, 4, L4::kTcp, 1111, 2222, 0,
               0});
  c.push_back({"nsh_md2_eth", eth(0x894f, cat({nsh2, inner_eth})), 1, 4, L4::kTcp, 1111, 2222, 1,
               77});
  c.push_back({"pppoe_ipv6", eth(0x8864, pppoe(0x0057, inner6), {3}), 1, 6, L4::kUdp, 3333, 4444,
               1, 3});
  Bytes pptp{0x30, 0x01, 0x88, 0x0b, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 5};  // key+seq, v1
  c.push_back({"gre_v1_ppp", eth(0x0800, ipv4(kA, kB, 47, cat({pptp, Bytes{0xff, 0x03, 0x00,
                                                                           0x21},
                                                               inner4}))),
               1, 4, L4::kTcp, 1111, 2222, 0, 0});
  c.push_back({"ipip", eth(0x0800, ipv4(kA, kB, 4, inner4)), 1, 4, L4::kTcp, 1111, 2222, 0, 0});
  c.push_back({"6in4", eth(0x0800, ipv4(kA, kB, 41, inner6)), 1, 6, L4::kUdp, 3333, 4444, 0, 0});
  c.push_back({"4in6", eth(0x86dd, ipv6(v6addr(1), v6addr(2), 4, inner4)), 1, 4, L4::kTcp, 1111,
               2222, 0, 0});
  c.push_back({"vxlan_in_gre", eth(0x0800, ipv4(kA, kB, 47, gre(0x0800, ipv4(kA, kB, 17,
                                                                            udp(1, 4789,
                                                                                vxlan(1, inner_eth)))))),
               2, 4, L4::kTcp, 1111, 2222, 1, 77});
  return c;
}

TEST_F(DecodeTest, TunnelsArePeeledToTheInnermostTuple) {
  for (const auto& c : tunnel_cases()) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(run(c.frame), DecodeResult::kOk);
    EXPECT_EQ(v.tunnel_depth, c.depth);
    EXPECT_EQ(v.ip_version, c.version);
    EXPECT_EQ(v.l4, c.l4);
    EXPECT_EQ(v.sport, c.sport);
    EXPECT_EQ(v.dport, c.dport);
    EXPECT_EQ(v.vlan_count, c.vlan_count);
    EXPECT_EQ(v.vlan[0], c.vlan0);
    EXPECT_EQ(v.payload_len, 5u);
    ASSERT_NE(v.payload, nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(v.payload), 5), "inner");
    if (c.version == 4) {
      EXPECT_EQ(v.src, IpAddr::v4(kC.data()));
    }
    EXPECT_EQ(v.frame + v.l3_offset, v.frame + v.l3_offset);
    EXPECT_EQ(v.frame[v.l3_offset] >> 4, c.version);
  }
  EXPECT_EQ(events(), Events{});
  EXPECT_EQ(st().invalid.get(), 0u);
}

TEST_F(DecodeTest, ProtocolCountersCountFramesOnce) {
  // IPv4-in-GRE-in-IPv4 carrying TCP: ipv4 +1, gre +1, tcp +1 (like tshark -Y frame counts).
  const Bytes f = eth(0x0800, ipv4(kA, kB, 47, gre(0x0800, ipv4(kC, kD, 6, tcp(1, 2, {})))));
  ASSERT_EQ(run(f), DecodeResult::kOk);
  EXPECT_EQ(st().ipv4.get(), 1u);
  EXPECT_EQ(st().gre.get(), 1u);
  EXPECT_EQ(st().tcp.get(), 1u);
  EXPECT_EQ(st().ethernet.get(), 1u);
  EXPECT_EQ(st().pkts.get(), 1u);
  // VXLAN: ethernet once, udp once, tcp once.
  for (const auto& c : tunnel_cases())
    if (std::string(c.name) == "vxlan") {
      ASSERT_EQ(run(c.frame), DecodeResult::kOk);
    }
  EXPECT_EQ(st().ethernet.get(), 2u);
  EXPECT_EQ(st().udp.get(), 1u);
  EXPECT_EQ(st().vxlan.get(), 1u);
  EXPECT_EQ(st().tcp.get(), 2u);
  EXPECT_EQ(st().ipv4.get(), 2u);
}

TEST_F(DecodeTest, TunnelDepthBounded) {
  cfg.max_tunnel_depth = 1;
  Decoder d(cfg, nullptr);
  const Bytes f = eth(0x0800, ipv4(kA, kB, 47, gre(0x0800, ipv4(kC, kD, 47, gre(0x0800,
      ipv4(kA, kD, 6, tcp(1, 2, {})))))));
  ASSERT_EQ(d.decode(LinkType::kEthernet, 0, f.data(), f.size(), f.size(), v), DecodeResult::kOk);
  EXPECT_EQ(v.tunnel_depth, 1);
  EXPECT_EQ(v.src, IpAddr::v4(kC.data()));
  EXPECT_EQ(v.ip_proto, 47);
  EXPECT_EQ(v.l4, L4::kOther);
  EXPECT_EQ(events_of(d.stats()), (Events{{"tunnel_too_deep", 1}}));
  EXPECT_EQ(d.stats().invalid.get(), 0u);
}

TEST_F(DecodeTest, NonIpAndUnsupported) {
  EXPECT_EQ(run(pad_to(eth(0x88cc, pattern(20)), 60)), DecodeResult::kNotIp);     // LLDP
  EXPECT_EQ(run(eth(0x8864, pppoe(0xc021, pattern(10)))), DecodeResult::kNotIp);  // LCP
  EXPECT_EQ(run(eth(0x8847, mpls({5}, Bytes{0x9f, 1, 2, 3}))), DecodeResult::kInvalid);
  EXPECT_EQ(run(eth(0x894f, Bytes{0x00, 0x02, 0x02, 0x09, 0, 0, 1, 0xff, 1, 2})),
            DecodeResult::kNotIp);  // NSH carrying an unknown protocol
  EXPECT_EQ(run(eth(0x894f, Bytes{0x00, 0x06, 0x01, 0x01, 0, 0, 1, 0xff})),
            DecodeResult::kInvalid);  // MD type 1 says 24 bytes, 8 captured
  EXPECT_EQ(events(), (Events{{"unknown_ethertype", 1},
                              {"ppp_unsupported_proto", 1},
                              {"mpls_bad_payload", 1},
                              {"nsh_unknown_payload", 1},
                              {"nsh_truncated", 1}}));
  EXPECT_EQ(st().invalid.get(), 2u);
}

// ---- Malformed input ------------------------------------------------------------------

struct BadCase {
  const char* name;
  Bytes frame;
  const char* event;
};

std::vector<BadCase> bad_cases() {
  std::vector<BadCase> c;
  Bytes f;
  f = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {})));
  f[14] = 0x55;
  c.push_back({"ipv4 version", f, "ipv4_bad_version"});
  f = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {})));
  f[14] = 0x44;
  c.push_back({"ipv4 ihl", f, "ipv4_bad_header_len"});
  f = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {})));
  set16(f, 16, 19);
  c.push_back({"ipv4 total < ihl", f, "ipv4_bad_total_len"});
  f = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {})));
  set16(f, 16, 200);
  c.push_back({"ipv4 total > frame", f, "ipv4_truncated"});
  Ip4Opts badopt;
  badopt.options = Bytes{7, 9, 4, 0};  // record route claiming 9 bytes in a 4-byte area
  c.push_back({"ipv4 options", eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, {}), badopt)),
               "ipv4_bad_options"});
  f = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, text("abc"))));
  f[14 + 20 + 12] = 0x40;
  c.push_back({"tcp doff < 20", f, "tcp_bad_header_len"});
  f = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, text("abc"))));
  f[14 + 20 + 12] = 0xf0;
  c.push_back({"tcp doff > segment", f, "tcp_bad_header_len"});
  f = eth(0x0800, ipv4(kA, kB, 17, udp(1, 2, text("abc"))));
  set16(f, 14 + 20 + 4, 7);
  c.push_back({"udp len < 8", f, "udp_bad_len"});
  f = eth(0x0800, ipv4(kA, kB, 17, udp(1, 2, text("abc"))));
  set16(f, 14 + 20 + 4, 12);
  c.push_back({"udp len > ip", f, "udp_bad_len"});
  f = eth(0x86dd, ipv6(v6addr(1), v6addr(2), 6, tcp(1, 2, {})));
  f[14] = 0x40;
  c.push_back({"ipv6 version", f, "ipv6_bad_version"});
  f = eth(0x86dd, ipv6(v6addr(1), v6addr(2), 6, tcp(1, 2, {})));
  set16(f, 18, 0);
  c.push_back({"ipv6 plen 0", f, "ipv6_bad_payload_len"});
  f = eth(0x0800, ipv4(kA, kB, 47, gre(0x0800, ipv4(kC, kD, 6, tcp(1, 2, {})))));
  f[14 + 20 + 1] = 0x03;
  c.push_back({"gre version", f, "gre_bad_version"});
  c.push_back({"erspan version", eth(0x0800, ipv4(kA, kB, 47, gre(0x88be, erspan3(eth(0x0800,
                                      ipv4(kC, kD, 6, tcp(1, 2, {})))), false, false, true))),
               "erspan_bad_version"});
  c.push_back({"vxlan short", eth(0x0800, ipv4(kA, kB, 17, udp(1, 4789, Bytes{8, 0, 0}))),
               "vxlan_truncated"});
  return c;
}

TEST_F(DecodeTest, MalformedFramesHaveExactlyOneReason) {
  for (const auto& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    Decoder d(cfg, nullptr);
    ASSERT_EQ(d.decode(LinkType::kEthernet, 0, c.frame.data(), c.frame.size(), c.frame.size(), v),
              DecodeResult::kInvalid);
    EXPECT_EQ(d.stats().invalid.get(), 1u);
    EXPECT_EQ(events_of(d.stats()), (Events{{c.event, 1}}));
  }
}

// Every prefix of a valid frame decodes without reading past it; the reason is exact.
TEST_F(DecodeTest, EveryTruncationPointOfEthIpv4Tcp) {
  const Bytes f = eth_ipv4_tcp(text("0123456789"));  // 14 + 20 + 60 + 10 = 104 bytes
  ASSERT_EQ(f.size(), 104u);
  for (uint32_t len = 0; len < f.size(); ++len) {
    SCOPED_TRACE(len);
    // Heap copy of exactly `len` bytes so ASan catches any read past the end.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[len ? len : 1]);
    std::memcpy(buf.get(), f.data(), len);
    {  // Not snapped: the IP length promises more than the frame holds.
      Decoder d(cfg, nullptr);
      ASSERT_EQ(d.decode(LinkType::kEthernet, 0, buf.get(), len, len, v), DecodeResult::kInvalid);
      const char* want = len < 14 ? "eth_truncated" : "ipv4_truncated";
      EXPECT_EQ(events_of(d.stats()), (Events{{want, 1}}));
    }
    {  // Snapped at len: headers must be whole, payload may be cut.
      Decoder d(cfg, nullptr);
      const auto r = d.decode(LinkType::kEthernet, 0, buf.get(), len, 104, v);
      const char* want = len < 14 ? "eth_truncated"
                         : len < 34 ? "ipv4_truncated"
                         : len < 54 ? "tcp_truncated"
                         : len < 94 ? "tcp_truncated"
                                    : nullptr;
      if (want) {
        ASSERT_EQ(r, DecodeResult::kInvalid);
        EXPECT_EQ(events_of(d.stats()), (Events{{want, 1}}));
      } else {
        ASSERT_EQ(r, DecodeResult::kOk);
        EXPECT_EQ(v.payload_len, len - 94);
        EXPECT_EQ(v.sport, 40000);
      }
    }
  }
}

// All sample frames, all prefixes, snapped or not: never crashes; invalid frames carry
// exactly one reason; valid ones never point outside the frame.
TEST_F(DecodeTest, EveryTruncationPointOfEveryTunnel) {
  std::vector<Bytes> frames;
  for (const auto& c : tunnel_cases()) frames.push_back(c.frame);
  frames.push_back(eth(0x86dd, ipv6(v6addr(1), v6addr(2), 6, tcp(5000, 80, text("GET")),
                                    {ext_opts(0), ext_opts(60, 16)})));
  frames.push_back(eth(0x0806, arp(kA, kB)));
  for (const auto& f : frames) {
    for (uint32_t len = 0; len <= f.size(); ++len) {
      for (bool snapped : {false, true}) {
        SCOPED_TRACE(::testing::Message() << "frame " << (&f - frames.data()) << " len " << len
                                        << " snapped " << snapped);
        std::unique_ptr<uint8_t[]> buf(new uint8_t[len ? len : 1]);
        std::memcpy(buf.get(), f.data(), len);
        Decoder d(cfg, nullptr);
        const uint32_t wire = snapped ? static_cast<uint32_t>(f.size()) : len;
        const auto r = d.decode(LinkType::kEthernet, 0, buf.get(), len, wire, v);
        uint64_t nev = 0;
        for (const auto& e : d.stats().events) nev += e.get();
        if (r == DecodeResult::kInvalid) {
          EXPECT_EQ(nev, 1u);
          EXPECT_EQ(d.stats().invalid.get(), 1u);
        } else {
          EXPECT_EQ(d.stats().invalid.get(), 0u);
          if (len == f.size()) {
            EXPECT_EQ(nev, 0u);
          }
          if (v.payload) {
            EXPECT_LE(v.payload + v.payload_len, buf.get() + len);
          }
        }
        if (len == f.size()) {
          EXPECT_NE(r, DecodeResult::kInvalid);
        }
      }
    }
  }
}

// ---- Checksums ------------------------------------------------------------------------

struct CsumCase {
  const char* name;
  Bytes frame;
  std::size_t corrupt_at;  // a byte covered by the checksum
  const char* event;
};

TEST_F(DecodeTest, ChecksumsValidatedOnlyWhenEnabled) {
  const std::vector<CsumCase> cases = {
      {"ipv4 header", eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, text("x")))), 14 + 8,
       "ipv4_bad_checksum"},
      {"tcp v4", eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, text("xyz")))), 14 + 20 + 20 + 1,
       "tcp_bad_checksum"},
      {"udp v4", eth(0x0800, ipv4(kA, kB, 17, udp(1, 2, text("xyz")))), 14 + 28, "udp_bad_checksum"},
      {"udp v6", eth(0x86dd, ipv6(v6addr(1), v6addr(2), 17, udp(1, 2, text("xyz")))), 14 + 48,
       "udp_bad_checksum"},
      {"tcp v6", eth(0x86dd, ipv6(v6addr(1), v6addr(2), 6, tcp(1, 2, text("xyzw")))), 14 + 60 + 3,
       "tcp_bad_checksum"},
      {"icmp", eth(0x0800, ipv4(kA, kB, 1, icmp(8, 0, text("ping")))), 14 + 20 + 9,
       "icmp_bad_checksum"},
      {"icmpv6", eth(0x86dd, ipv6(v6addr(1), v6addr(2), 58, icmp(128, 0, text("ping")))),
       14 + 40 + 9, "icmp_bad_checksum"},
      {"inner tcp in gre", eth(0x0800, ipv4(kA, kB, 47, gre(0x0800, ipv4(kC, kD, 6,
                                                                     tcp(1, 2, text("q")))))),
       14 + 20 + 4 + 20 + 20, "tcp_bad_checksum"},
  };
  DecodeConfig on;
  on.validate_checksums = true;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Decoder off_dec(cfg, nullptr), on_dec(on, nullptr);
    // Good checksums pass either way.
    EXPECT_EQ(on_dec.decode(LinkType::kEthernet, 0, c.frame.data(), c.frame.size(),
                            c.frame.size(), v),
              DecodeResult::kOk);
    Bytes bad = c.frame;
    bad[c.corrupt_at] ^= 0x5a;
    EXPECT_EQ(off_dec.decode(LinkType::kEthernet, 0, bad.data(), bad.size(), bad.size(), v),
              DecodeResult::kOk);
    EXPECT_EQ(on_dec.decode(LinkType::kEthernet, 0, bad.data(), bad.size(), bad.size(), v),
              DecodeResult::kInvalid);
    EXPECT_EQ(events_of(on_dec.stats()), (Events{{c.event, 1}}));
    EXPECT_EQ(on_dec.stats().invalid.get(), 1u);
  }
  // UDP over IPv4 with checksum 0: "no checksum", fine.
  Ip4Opts nofill;
  nofill.fill_l4 = false;
  Bytes z = eth(0x0800, ipv4(kA, kB, 17, udp(1, 2, text("xyz")), nofill));
  Decoder d(on, nullptr);
  EXPECT_EQ(d.decode(LinkType::kEthernet, 0, z.data(), z.size(), z.size(), v), DecodeResult::kOk);
}

TEST(DecodeEventName, AllNamed) {
  EXPECT_EQ(decode_event_name(DecodeEvent::kEthTruncated), "eth_truncated");
  EXPECT_EQ(decode_event_name(DecodeEvent::kFragBadLen), "frag_bad_len");
  EXPECT_EQ(decode_event_name(DecodeEvent::kCount), "unknown");
  for (std::size_t i = 0; i < kDecodeEventCount; ++i)
    EXPECT_FALSE(decode_event_name(static_cast<DecodeEvent>(i)).empty());
}

}  // namespace
}  // namespace ts
