// Fuzz target: the workbench's project file (factor sets and session), read and saved.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rope::fuzz::feedProject(bytes);
  return 0;
}
