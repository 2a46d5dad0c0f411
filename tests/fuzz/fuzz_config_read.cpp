// Fuzz target: config.json as the engine and the RoPE math read it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rope::fuzz::feedConfig(bytes);
  return 0;
}
