// Fuzz target: config.json patched with a factor set (convert --to hf-config, exports).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rope::fuzz::feedConfigPatch(bytes);
  return 0;
}
