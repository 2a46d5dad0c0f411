#include "model/model_spec.h"

#include <algorithm>
#include <limits>
#include <set>

#include "io/json_util.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace {

using json_util::Json;
namespace ju = json_util;

// Far above any released model (Llama 3.1 405B has 126 layers), low enough that the per-layer
// tables of a corrupt config (2^31 - 1 layers) are not gigabytes.
constexpr int kMaxLayers = 4096;

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// HF: layer_types when given; Qwen2 slides only with use_sliding_window and from layer
// max_window_layers on; Mistral and Phi-3 slide in every layer when sliding_window is set.
// The keys go through json_util: a wrong type (null, "x", 1e300) is an InputError, never a
// json exception or a float cast out of range.
std::vector<int> slidingWindows(const Json& cfg, const ModelConfig& m, const std::string& source) {
  std::vector<int> w(m.numLayers, 0);
  const bool slides = m.architecture != "LlamaForCausalLM";
  constexpr long long kIntMax = std::numeric_limits<int>::max();
  // A window beyond any context is full attention; the cap leaves room for position sums.
  const int window = static_cast<int>(
      std::min(ju::optIntIn(cfg, "sliding_window", source, 1, kIntMax).value_or(0), 1LL << 30));
  if (!slides || window == 0) return w;
  if (auto lt = cfg.find("layer_types"); lt != cfg.end() && lt->is_array()) {
    if (lt->size() != static_cast<size_t>(m.numLayers)) {
      throw InputError(source + ": 'layer_types' has " + std::to_string(lt->size()) +
                       " entries, num_hidden_layers is " + std::to_string(m.numLayers));
    }
    for (int l = 0; l < m.numLayers; ++l) {
      if ((*lt)[l] == "sliding_attention") w[l] = window;
    }
    return w;
  }
  if (m.architecture == "Qwen2ForCausalLM") {
    const bool use = ju::optBool(cfg, "use_sliding_window", source).value_or(false);
    const long long from = ju::optIntIn(cfg, "max_window_layers", source, 0, kIntMax).value_or(28);
    for (int l = 0; l < m.numLayers; ++l) w[l] = (use && l >= from) ? window : 0;
    return w;
  }
  const bool use = ju::optBool(cfg, "use_sliding_window", source).value_or(true);
  for (int l = 0; l < m.numLayers; ++l) w[l] = use ? window : 0;
  return w;
}

}  // namespace

const std::vector<std::string>& supportedArchitectures() {
  static const std::vector<std::string> all = {"LlamaForCausalLM", "MistralForCausalLM",
                                               "Qwen2ForCausalLM", "Phi3ForCausalLM"};
  return all;
}

ModelSpec parseModelSpec(const std::string& text, const std::string& source) {
  ModelSpec s;
  s.config = parseModelConfig(text, source);
  const ModelConfig& m = s.config;
  const auto& archs = supportedArchitectures();
  if (std::find(archs.begin(), archs.end(), m.architecture) == archs.end()) {
    std::string list;
    for (const auto& a : archs) list += (list.empty() ? "" : ", ") + a;
    throw InputError(source + ": architecture '" + m.architecture +
                     "' is not supported (supported: " + list + ")");
  }
  if (m.numLayers > kMaxLayers) {
    throw InputError(source + ": 'num_hidden_layers' is " + std::to_string(m.numLayers) +
                     "; at most " + std::to_string(kMaxLayers) + " layers are supported");
  }
  const Json cfg = ju::parse(text, source);  // parseModelConfig validated it
  s.fusedQkv = s.fusedGateUp = m.architecture == "Phi3ForCausalLM";
  s.qkvBias = m.architecture == "Qwen2ForCausalLM" ||
              (m.architecture == "LlamaForCausalLM" && m.attentionBias);
  s.oBias = m.architecture == "LlamaForCausalLM" && m.attentionBias;
  s.mlpBias = m.architecture == "LlamaForCausalLM" && m.mlpBias;
  s.slidingWindow = slidingWindows(cfg, m, source);

  const int64_t h = m.hiddenSize, hd = m.headDim, nq = int64_t{m.numHeads} * hd,
                nkv = int64_t{m.numKvHeads} * hd, inter = m.intermediateSize, v = m.vocabSize;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    s.weights.push_back({name, std::move(shape)});
  };
  add("model.embed_tokens.weight", {v, h});
  for (int l = 0; l < m.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {h});
    add(p + "post_attention_layernorm.weight", {h});
    if (s.fusedQkv) {
      add(p + "self_attn.qkv_proj.weight", {nq + 2 * nkv, h});
    } else {
      add(p + "self_attn.q_proj.weight", {nq, h});
      add(p + "self_attn.k_proj.weight", {nkv, h});
      add(p + "self_attn.v_proj.weight", {nkv, h});
    }
    if (s.qkvBias) {
      add(p + "self_attn.q_proj.bias", {nq});
      add(p + "self_attn.k_proj.bias", {nkv});
      add(p + "self_attn.v_proj.bias", {nkv});
    }
    add(p + "self_attn.o_proj.weight", {h, nq});
    if (s.oBias) add(p + "self_attn.o_proj.bias", {h});
    if (s.fusedGateUp) {
      add(p + "mlp.gate_up_proj.weight", {2 * inter, h});
    } else {
      add(p + "mlp.gate_proj.weight", {inter, h});
      add(p + "mlp.up_proj.weight", {inter, h});
    }
    add(p + "mlp.down_proj.weight", {h, inter});
    if (s.mlpBias) {
      add(p + "mlp.gate_proj.bias", {inter});
      add(p + "mlp.up_proj.bias", {inter});
      add(p + "mlp.down_proj.bias", {h});
    }
  }
  add("model.norm.weight", {h});
  if (!m.tieWordEmbeddings) add("lm_head.weight", {v, h});
  return s;
}

ModelSpec modelSpec(const std::string& folder) {
  const std::string file = configPath(folder);
  return parseModelSpec(readFile(file), file);
}

void checkWeights(const ModelSpec& spec, const Checkpoint& ckpt) {
  std::set<std::string> expected;
  for (const auto& w : spec.weights) {
    expected.insert(w.name);
    const TensorView* t = ckpt.find(w.name);
    if (!t) {
      throw InputError("tensor " + w.name + " (shape " + shapeString(w.shape) +
                       ") is missing from the checkpoint");
    }
    if (t->shape != w.shape) {
      throw InputError("tensor " + w.name + ": shape " + shapeString(t->shape) + ", expected " +
                       shapeString(w.shape));
    }
    if (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16) {
      throw InputError("tensor " + w.name + ": dtype " + dtypeName(t->dtype) +
                       " is not supported (F32, F16, BF16)");
    }
  }
  for (const auto& [name, t] : ckpt.tensors()) {
    if (expected.count(name) || endsWith(name, "rotary_emb.inv_freq")) continue;
    if (name == "lm_head.weight" && spec.config.tieWordEmbeddings) continue;
    throw InputError("tensor " + name + " (shape " + shapeString(t->shape) + ") is not part of a " +
                     spec.config.architecture + " with this config");
  }
}

}  // namespace rope
