// The "attacks" profile: for every shipped rule (signatures/rules/*.rules) one small capture
// with the attack it catches (positive) and one with look-alike benign traffic (near miss),
// each flow a complete TCP connection (handshake, request, reply, FIN) or UDP exchange.
// Some attack payloads are split across two TCP segments inside the matched pattern so that
// stream matching is exercised. tests/signatures/shipped_rules_test.sh holds the exact alerts
// each capture must produce.
#pragma once

#include <string>

#include "bench/gen/mix.h"

namespace tsgen {

// Writes DIR/<sid>.pos.pcap and DIR/<sid>.neg.pcap for every case; `dir` must exist. Captures
// are laid out on one timeline in file-name order (each in its own 300 s slot from
// opt.start_us), so they can also be replayed together in `ls` order. Returns false (with a
// message on stderr) if a file cannot be written; adds to *packets and *bytes what it wrote.
bool run_attacks(const GenOptions& opt, const std::string& dir, uint64_t* packets,
                 uint64_t* bytes, int* files);

}  // namespace tsgen
