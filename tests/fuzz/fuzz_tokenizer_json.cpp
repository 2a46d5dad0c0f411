// Fuzz target: a Hugging Face tokenizer.json, loaded and used on a few texts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  rope::fuzz::feedTokenizerJson(bytes);
  return 0;
}
