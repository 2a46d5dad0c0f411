// Fuzz target: model.safetensors.index.json, in a folder with one valid shard.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rope::fuzz::feedModelIndex(bytes);
  return 0;
}
