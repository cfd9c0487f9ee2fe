// libFuzzer target for the configuration loader: any bytes as a YAML file. Checks: no crash
// or sanitizer report; a failed load reports at least one error, each with the source name,
// a message, and a line/column that are either unknown (0) or 1-based.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const ts::config::LoadResult r = ts::config::load_string(yaml, "fuzz.yaml");
  for (const auto& e : r.errors) {
    if (e.file != "fuzz.yaml" || e.message.empty() || e.line < 0 || e.column < 0) std::abort();
    if (e.str().rfind("fuzz.yaml", 0) != 0) std::abort();
  }
  return 0;
}
