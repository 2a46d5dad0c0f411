#pragma once
// What a supported architecture expects of a checkpoint: the tensors (names and shapes), which
// projections are fused, which carry biases, and the attention window of each layer. Torch-free,
// so the checks run (and are tested) without the engine.

#include <cstdint>
#include <string>
#include <vector>

#include "io/hf_config.h"
#include "model/checkpoint.h"

namespace rope {

// The architectures the engine runs, as config.json's architectures[0] spells them.
const std::vector<std::string>& supportedArchitectures();

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
};

struct ModelSpec {
  ModelConfig config;
  bool fusedQkv = false;     // Phi-3: self_attn.qkv_proj = [q; k; v]
  bool fusedGateUp = false;  // Phi-3: mlp.gate_up_proj = [gate; up]
  bool qkvBias = false;      // Qwen2 always; Llama with attention_bias
  bool oBias = false;        // Llama with attention_bias
  bool mlpBias = false;      // Llama with mlp_bias
  // Per layer: 0 = full causal attention, else a key is seen only if query - key < window.
  std::vector<int> slidingWindow;
  std::vector<WeightSpec> weights;  // every tensor the engine reads
};

// Reads folder/config.json and derives the spec. Throws InputError naming the file and key for
// a bad config, or listing supportedArchitectures() for any other architecture.
ModelSpec modelSpec(const std::string& folder);
// Same from config text (source names it in messages).
ModelSpec parseModelSpec(const std::string& configText, const std::string& source);

// Throws InputError for the first missing, mis-shaped or unexpected tensor:
// "tensor model.layers.3.mlp.up_proj.weight: shape [128, 64], expected [256, 64]".
// Tensors the engine does not need but HF checkpoints carry (rotary_emb.inv_freq, a tied
// lm_head) are accepted.
void checkWeights(const ModelSpec& spec, const Checkpoint& checkpoint);

}  // namespace rope
