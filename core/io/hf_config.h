#pragma once
// Hugging Face config.json: the model shape and its RoPE, in both spellings:
// transformers 4.x (`rope_scaling` with `type` or `rope_type`, top-level `rope_theta`,
// `partial_rotary_factor`, `original_max_position_embeddings`; Phi-3's legacy `su`/`yarn`)
// and transformers 5.x (`rope_parameters` holding those keys). Where a config holds both,
// rope_scaling is what transformers reads (5.x: rope_parameters = rope_scaling or
// rope_parameters), so it wins here too, with a warning when the two disagree. The rotary
// dimension comes from head_dim (or hidden_size / num_attention_heads) or DeepSeek's
// qk_rope_head_dim; a config sizing it by another key is refused.

#include <string>
#include <vector>

#include "rope/factor_set.h"
#include "rope/rope_params.h"

namespace rope {

enum class RopeSpelling { RopeScaling, RopeParameters };

struct ModelConfig {
  std::string architecture;  // architectures[0], e.g. "LlamaForCausalLM"
  std::string modelType;     // model_type
  int vocabSize = 0;
  int hiddenSize = 0;
  int intermediateSize = 0;
  int numLayers = 0;
  int numHeads = 0;
  int numKvHeads = 0;
  int headDim = 0;
  double rmsNormEps = 1e-6;
  bool tieWordEmbeddings = false;
  bool attentionBias = false;  // q/k/v (and o for Llama's attention_bias) biases
  bool mlpBias = false;
  int slidingWindow = 0;       // 0: full attention
  int maxPosition = 0;
  RopeParams rope;
  RopeSpelling spelling = RopeSpelling::RopeScaling;
};

// The RoPE of a config (only the keys RoPE needs: head_dim or hidden_size and
// num_attention_heads, rope keys). path: a config.json or a folder holding one.
RopeParams readRopeParams(const std::string& path);
// Everything the engine needs. Throws InputError naming the file and key.
ModelConfig readModelConfig(const std::string& path);
// Same from text (source names it in messages).
RopeParams parseRopeParams(const std::string& text, const std::string& source);
ModelConfig parseModelConfig(const std::string& text, const std::string& source);

// config.json inside a folder, or the path itself.
std::string configPath(const std::string& path);

// The model's name for a config (a folder or config.json): the last part of the config's
// "_name_or_path" ("meta-llama/Llama-2-7b-hf" -> "Llama-2-7b-hf"), else the folder holding
// it, where a Hugging Face cache snapshot (models--ORG--NAME/snapshots/HASH) gives NAME.
// Throws InputError when the file cannot be read.
std::string modelNameOf(const std::string& path);

// Returns configText with only the RoPE keys replaced by the set as a LongRoPE block, in every
// spelling the config holds (rope_scaling and rope_parameters alike, so that transformers 4.x
// and 5.x read one RoPE); every other key is kept. Short factors come from the set, else from
// the config's own LongRoPE block, else equal the long factors (with a warning). An April
// Phi-3 `su` type keeps its name unless modernise. The result is read back and checked before
// it is returned. An empty configText gives a new minimal config with rope_scaling.
// warnings receives what an HF config cannot express (n_hat, per-layer factors) and what was
// chosen for the user.
std::string patchHfConfig(const std::string& configText, const FactorSet& set,
                          const std::string& source, std::vector<std::string>* warnings,
                          bool modernise = false);

}  // namespace rope
