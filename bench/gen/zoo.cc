#include "bench/gen/zoo.h"

namespace tsgen {
void run_zoo(const GenOptions&, PcapWriter&) {}
}  // namespace tsgen
