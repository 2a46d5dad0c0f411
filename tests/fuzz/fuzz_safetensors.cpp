// Fuzz target: a model.safetensors file: the header, then every tensor's values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rope::fuzz::feedSafetensors(bytes);
  return 0;
}
