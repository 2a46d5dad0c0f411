// Fuzz target: token files of every format. The first byte picks the format (0: .npy,
// 1: safetensors input_ids, 2: raw .bin and its dtype sidecar), the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      rope::fuzz::feedNpyTokens(bytes);
      break;
    case 1:
      rope::fuzz::feedSafetensorsTokens(bytes);
      break;
    default:
      rope::fuzz::feedBinTokens(bytes);
      break;
  }
  return 0;
}
