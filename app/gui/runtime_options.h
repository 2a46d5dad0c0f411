#pragma once
// The command-line options that make llama.cpp (llama-cli / llama-server) and vLLM
// (vllm serve) run a model with a factor set's RoPE, where the runtime has such options.
// Plain C++.

#include <optional>
#include <string>
#include <vector>

#include "rope/factor_set.h"
#include "rope/rope_params.h"

namespace rope {

struct RuntimeOptions {
  std::string llamaCpp;  // empty when llama.cpp cannot express the set on its command line
  std::string vllm;      // empty likewise
  std::vector<std::string> notes;  // why an option is missing, what is approximate
};

// method: the preset parameters of an unedited preset set; empty for edited or imported
// per-pair factors, which only LongRoPE can carry.
RuntimeOptions runtimeOptions(const RopeParams& model, const FactorSet& set,
                              const std::optional<RopeParams>& method);

}  // namespace rope
