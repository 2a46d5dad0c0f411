// Fuzz target: factor files through readFactorFiles. The first byte picks the format (0: a
// LongRoPE CSV, 1: an HF config, as in bad-inputs/ff_*), the rest is the file. Project files
// have their own target (fuzz_project).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    rope::fuzz::feedFactorCsv(bytes);
  } else {
    rope::fuzz::feedFactorConfig(bytes);
  }
  return 0;
}
