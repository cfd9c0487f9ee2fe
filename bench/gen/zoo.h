// The "zoo" profile: a small, fixed decoder-coverage capture with one short exchange per
// encapsulation (VLAN, QinQ, MPLS, PPPoE, GRE, ERSPAN II/III, VXLAN, IP-in-IP, fragments,
// IPv4 options, IPv6 extension headers, ARP, ICMP/ICMPv6, TCP options).
#pragma once

#include "bench/gen/mix.h"
#include "bench/gen/pcap_writer.h"

namespace tsgen {

void run_zoo(const GenOptions& opt, PcapWriter& w);

}  // namespace tsgen
