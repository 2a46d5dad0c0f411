#include "io/hf_config.h"

#include <cmath>
#include <filesystem>

#include "io/json_util.h"
#include "rope/rope_math.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace {

using json_util::Json;
namespace ju = json_util;

// The RoPE block and its spelling; null when the config has none (plain RoPE).
const Json* ropeBlock(const Json& cfg, const std::string& source, RopeSpelling& spelling) {
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) continue;
    if (!it->is_object()) {
      throw InputError(source + ": '" + key + "' must be an object, got " + ju::typeName(*it));
    }
    spelling = std::string(key) == "rope_parameters" ? RopeSpelling::RopeParameters
                                                     : RopeSpelling::RopeScaling;
    return &*it;
  }
  spelling =
      cfg.contains("rope_parameters") ? RopeSpelling::RopeParameters : RopeSpelling::RopeScaling;
  return nullptr;
}

// A key that may sit in the RoPE block (5.x) or at the top level (4.x).
std::optional<double> blockOrTopNumber(const Json& cfg, const Json* block, const std::string& key,
                                       const std::string& source) {
  if (block) {
    if (auto v = ju::optNumber(*block, key, source)) return v;
  }
  return ju::optNumber(cfg, key, source);
}

std::optional<int> blockOrTopInt(const Json& cfg, const Json* block, const std::string& key,
                                 const std::string& source) {
  if (block) {
    if (auto v = ju::optPositiveInt(*block, key, source)) return v;
  }
  return ju::optPositiveInt(cfg, key, source);
}

int headDimOf(const Json& cfg, const std::string& source) {
  if (auto hd = ju::optPositiveInt(cfg, "head_dim", source)) return *hd;
  const int hidden = ju::requirePositiveInt(cfg, "hidden_size", source);
  const int heads = ju::requirePositiveInt(cfg, "num_attention_heads", source);
  if (hidden % heads != 0) {
    throw InputError(source + ": hidden_size " + std::to_string(hidden) +
                     " is not divisible by num_attention_heads " + std::to_string(heads));
  }
  return hidden / heads;
}

RopeParams ropeFromJson(const Json& cfg, const std::string& source, RopeSpelling& spelling) {
  if (!cfg.is_object()) throw InputError(source + ": a config must be a JSON object");
  RopeParams p;
  const Json* block = ropeBlock(cfg, source, spelling);
  p.headDim = headDimOf(cfg, source);
  p.base = blockOrTopNumber(cfg, block, "rope_theta", source).value_or(10000.0);
  p.partialRotaryFactor =
      blockOrTopNumber(cfg, block, "partial_rotary_factor", source).value_or(1.0);
  p.maxPosition = ju::requirePositiveInt(cfg, "max_position_embeddings", source);
  p.originalMaxPosition =
      blockOrTopInt(cfg, block, "original_max_position_embeddings", source).value_or(0);

  if (block) {
    const Json& b = *block;
    // HF: rope_type wins over the legacy `type`.
    std::string type = ju::optString(b, "rope_type", source)
                           .value_or(ju::optString(b, "type", source).value_or("default"));
    const bool hasPairFactors = b.contains("long_factor") || b.contains("short_factor");
    if (type == "yarn" && hasPairFactors) {
      // Legacy Phi-3 "yarn": LongRoPE factors with the 0.1 ln(s) + 1 attention factor.
      type = "longrope";
      p.attentionPolicy = LongRopeAttention::Yarn;
    }
    if (type == "ntk") {
      throw InputError(source +
                       ": RoPE type 'ntk' is not a Hugging Face type (supported: default, "
                       "linear, dynamic, yarn, llama3, longrope, su)");
    }
    try {
      p.method = parseMethod(type);
    } catch (const InputError& e) {
      throw InputError(source + ": " + e.what());
    }
    p.factor = ju::optNumber(b, "factor", source);
    p.attentionFactor = ju::optNumber(b, "attention_factor", source);
    switch (p.method) {
      case RopeMethod::Yarn:
        p.betaFast = ju::optNumber(b, "beta_fast", source).value_or(32.0);
        p.betaSlow = ju::optNumber(b, "beta_slow", source).value_or(1.0);
        p.truncate = ju::optBool(b, "truncate", source).value_or(true);
        p.mscale = ju::optNumber(b, "mscale", source);
        p.mscaleAllDim = ju::optNumber(b, "mscale_all_dim", source);
        break;
      case RopeMethod::Llama3:
        p.lowFreqFactor = ju::requireNumber(b, "low_freq_factor", source);
        p.highFreqFactor = ju::requireNumber(b, "high_freq_factor", source);
        break;
      case RopeMethod::LongRope: {
        auto shortF = ju::optNumbers(b, "short_factor", source);
        auto longF = ju::optNumbers(b, "long_factor", source);
        if (!shortF) throw InputError(source + ": longrope needs 'short_factor'");
        if (!longF) throw InputError(source + ": longrope needs 'long_factor'");
        p.shortFactor = *shortF;
        p.longFactor = *longF;
        break;
      }
      default:
        break;
    }
    if ((p.method == RopeMethod::Linear || p.method == RopeMethod::Dynamic ||
         p.method == RopeMethod::Llama3) &&
        !p.factor) {
      throw InputError(source + ": " + type + " RoPE scaling needs 'factor'");
    }
  }
  try {
    validateParams(p);
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  }
  return p;
}

Json parseObject(const std::string& text, const std::string& source) {
  Json cfg = ju::parse(text, source);
  if (!cfg.is_object()) throw InputError(source + ": a config must be a JSON object");
  return cfg;
}

}  // namespace

std::string configPath(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return (std::filesystem::path(path) / "config.json").string();
  }
  return path;
}

RopeParams parseRopeParams(const std::string& text, const std::string& source) {
  RopeSpelling spelling;
  return ropeFromJson(parseObject(text, source), source, spelling);
}

RopeParams readRopeParams(const std::string& path) {
  const std::string file = configPath(path);
  return parseRopeParams(readFile(file), file);
}

ModelConfig parseModelConfig(const std::string& text, const std::string& source) {
  const Json cfg = parseObject(text, source);
  ModelConfig m;
  m.rope = ropeFromJson(cfg, source, m.spelling);
  auto arch = cfg.find("architectures");
  if (arch == cfg.end() || !arch->is_array() || arch->empty() || !(*arch)[0].is_string()) {
    throw InputError(source + ": 'architectures' must be a list with the model class name");
  }
  m.architecture = (*arch)[0].get<std::string>();
  m.modelType = ju::optString(cfg, "model_type", source).value_or("");
  m.vocabSize = ju::requirePositiveInt(cfg, "vocab_size", source);
  m.hiddenSize = ju::requirePositiveInt(cfg, "hidden_size", source);
  m.intermediateSize = ju::requirePositiveInt(cfg, "intermediate_size", source);
  m.numLayers = ju::requirePositiveInt(cfg, "num_hidden_layers", source);
  m.numHeads = ju::requirePositiveInt(cfg, "num_attention_heads", source);
  m.numKvHeads = ju::optPositiveInt(cfg, "num_key_value_heads", source).value_or(m.numHeads);
  m.headDim = m.rope.headDim;
  if (m.numHeads % m.numKvHeads != 0) {
    throw InputError(source + ": num_attention_heads " + std::to_string(m.numHeads) +
                     " is not a multiple of num_key_value_heads " + std::to_string(m.numKvHeads));
  }
  m.rmsNormEps = ju::optNumber(cfg, "rms_norm_eps", source).value_or(1e-6);
  if (m.rmsNormEps < 0) throw InputError(source + ": 'rms_norm_eps' must not be negative");
  m.tieWordEmbeddings = ju::optBool(cfg, "tie_word_embeddings", source).value_or(false);
  m.attentionBias = ju::optBool(cfg, "attention_bias", source).value_or(false);
  m.mlpBias = ju::optBool(cfg, "mlp_bias", source).value_or(false);
  m.maxPosition = m.rope.maxPosition;
  const bool useSliding = ju::optBool(cfg, "use_sliding_window", source).value_or(true);
  if (useSliding) m.slidingWindow = ju::optPositiveInt(cfg, "sliding_window", source).value_or(0);
  return m;
}

ModelConfig readModelConfig(const std::string& path) {
  const std::string file = configPath(path);
  return parseModelConfig(readFile(file), file);
}

std::string patchHfConfig(const std::string& configText, const FactorSet& set,
                          const std::string& source, std::vector<std::string>* warnings) {
  validateFactorSet(set, 0, false);
  Json cfg = configText.empty() ? Json::object() : parseObject(configText, source);
  RopeSpelling spelling = RopeSpelling::RopeScaling;
  const Json* oldBlock = ropeBlock(cfg, source, spelling);
  Json block = Json::object();
  const bool hadRopeType = oldBlock && oldBlock->contains("rope_type");
  const bool hadType = oldBlock && oldBlock->contains("type");

  // Check the set fits the config's RoPE where both are known.
  if (!configText.empty() && (cfg.contains("head_dim") || cfg.contains("hidden_size"))) {
    RopeSpelling unused;
    const RopeParams model = ropeFromJson(cfg, source, unused);
    const int pairs = rotaryDim(model) / 2;
    validateFactorSet(set, pairs, false);
    if (set.base > 0 && std::fabs(set.base - model.base) > 1e-9 * model.base) {
      throw InputError(source + ": the factor set was made for rope_theta " +
                       std::to_string(set.base) + ", the config has " + std::to_string(model.base));
    }
  }

  const int window =
      set.originalMaxPosition > 0
          ? set.originalMaxPosition
          : blockOrTopInt(cfg, oldBlock, "original_max_position_embeddings", source)
                .value_or(ju::optPositiveInt(cfg, "max_position_embeddings", source).value_or(0));
  const int target = set.targetLength > 0
                         ? set.targetLength
                         : ju::optPositiveInt(cfg, "max_position_embeddings", source).value_or(0);

  if (spelling == RopeSpelling::RopeParameters) {
    // 5.x: keep rope_theta and partial_rotary_factor from the old block.
    if (oldBlock) {
      for (const char* key : {"rope_theta", "partial_rotary_factor"}) {
        if (oldBlock->contains(key)) block[key] = (*oldBlock)[key];
      }
    }
    block["rope_type"] = "longrope";
    if (hadType || cfg.value("model_type", "") == "phi3") block["type"] = "longrope";
    if (window > 0) block["original_max_position_embeddings"] = window;
  } else {
    block[hadRopeType && !hadType ? "rope_type" : "type"] = "longrope";
    if (window > 0) cfg["original_max_position_embeddings"] = window;
  }
  if (!cfg.contains("rope_theta") && spelling == RopeSpelling::RopeScaling && set.base > 0) {
    cfg["rope_theta"] = set.base;
  }
  if (spelling == RopeSpelling::RopeParameters && !block.contains("rope_theta") && set.base > 0) {
    block["rope_theta"] = set.base;
  }
  block["short_factor"] = set.shortFactors.empty() ? set.factors : set.shortFactors;
  block["long_factor"] = set.factors;
  if (target > 0) cfg["max_position_embeddings"] = target;

  // HF derives sqrt(1 + ln(M/L)/ln(L)); write attention_factor only where the set differs.
  if (set.attentionFactor) {
    double derived = 1.0;
    if (window > 0 && target > window) {
      derived = std::sqrt(1.0 + std::log(static_cast<double>(target) / window) / std::log(window));
    }
    if (std::fabs(*set.attentionFactor - derived) > 1e-12 * derived) {
      block["attention_factor"] = *set.attentionFactor;
    }
  }
  cfg[spelling == RopeSpelling::RopeParameters ? "rope_parameters" : "rope_scaling"] = block;

  if (warnings) {
    if (set.nHat > 0) {
      warnings->push_back("n_hat = " + std::to_string(set.nHat) +
                          " cannot be expressed in a Hugging Face config and was not written");
    }
    if (!set.layerFactors.empty()) {
      warnings->push_back(
          "per-layer factors cannot be expressed in a Hugging Face config; "
          "only the shared factors were written");
    }
  }
  return ju::dump(cfg);
}

}  // namespace rope
