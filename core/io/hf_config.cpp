#include "io/hf_config.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "io/json_util.h"
#include "rope/rope_math.h"
#include "util/error.h"
#include "util/files.h"
#include "util/warnings.h"

namespace rope {
namespace {

using json_util::Json;
namespace ju = json_util;

const char* spellingKey(RopeSpelling spelling) {
  return spelling == RopeSpelling::RopeParameters ? "rope_parameters" : "rope_scaling";
}

// The RoPE block of one spelling; null when the config has none (or null).
const Json* blockOf(const Json& cfg, RopeSpelling spelling, const std::string& source) {
  const char* key = spellingKey(spelling);
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return nullptr;
  if (!it->is_object()) {
    throw InputError(source + ": '" + key + "' must be an object, got " + ju::typeName(*it));
  }
  return &*it;
}

// The RoPE block transformers reads and its spelling; null when the config has none (plain
// RoPE). transformers 5.x takes `rope_parameters = rope_scaling or rope_parameters` and 4.x
// reads only rope_scaling, so rope_scaling wins where both exist.
const Json* ropeBlock(const Json& cfg, const std::string& source, RopeSpelling& spelling) {
  for (RopeSpelling s : {RopeSpelling::RopeScaling, RopeSpelling::RopeParameters}) {
    if (const Json* b = blockOf(cfg, s, source)) {
      spelling = s;
      return b;
    }
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

// Keys by which other architectures size their rotary part in ways the project does not
// implement: computing with head_dim instead would be silently wrong.
constexpr const char* kForeignRotaryKeys[] = {"rotary_dim",   "rotary_pct", "rotary_emb_fraction",
                                              "rotary_ndims", "rope_dim",   "qk_rope_dim",
                                              "rope_head_dim"};

// The head dim that RoPE rotates (before partial_rotary_factor).
int headDimOf(const Json& cfg, const std::string& source) {
  for (const char* key : kForeignRotaryKeys) {
    if (cfg.contains(key) && !cfg[key].is_null()) {
      throw InputError(source + ": '" + key +
                       "' sets the rotary dimension in a way this project does not read "
                       "(it reads head_dim, hidden_size / num_attention_heads, "
                       "partial_rotary_factor and DeepSeek's qk_rope_head_dim)");
    }
  }
  // DeepSeek-V2/V3 (multi-head latent attention) rotate only the qk_rope_head_dim part.
  if (auto rope = ju::optPositiveInt(cfg, "qk_rope_head_dim", source)) return *rope;
  if (cfg.contains("qk_nope_head_dim")) {
    throw InputError(source +
                     ": 'qk_nope_head_dim' without 'qk_rope_head_dim': the rotary "
                     "dimension of this latent-attention config is unknown");
  }
  if (auto hd = ju::optPositiveInt(cfg, "head_dim", source)) return *hd;
  const int hidden = ju::requirePositiveInt(cfg, "hidden_size", source);
  const int heads = ju::requirePositiveInt(cfg, "num_attention_heads", source);
  if (hidden % heads != 0) {
    throw InputError(source + ": hidden_size " + std::to_string(hidden) +
                     " is not divisible by num_attention_heads " + std::to_string(heads));
  }
  return hidden / heads;
}

// The RoPE of cfg read through block (null: plain RoPE).
RopeParams ropeParamsOf(const Json& cfg, const Json* block, const std::string& source) {
  RopeParams p;
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

std::string number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string numbers(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : ", ") + number(x);
  return "[" + out + "]";
}

// The first way a and b differ as RoPE, "factor 8 (rope_scaling) vs 32 (rope_parameters)";
// empty when they compute the same.
std::string ropeDifference(const RopeParams& a, const RopeParams& b) {
  auto say = [](const std::string& key, const std::string& x, const std::string& y) {
    return key + " " + x + " (rope_scaling) vs " + y + " (rope_parameters)";
  };
  auto opt = [](const std::optional<double>& v) { return v ? number(*v) : std::string("unset"); };
  if (a.method != b.method) return say("rope_type", methodName(a.method), methodName(b.method));
  if (a.base != b.base) return say("rope_theta", number(a.base), number(b.base));
  if (a.factor != b.factor) return say("factor", opt(a.factor), opt(b.factor));
  if (a.partialRotaryFactor != b.partialRotaryFactor) {
    return say("partial_rotary_factor", number(a.partialRotaryFactor),
               number(b.partialRotaryFactor));
  }
  if (a.originalMaxPosition != b.originalMaxPosition) {
    return say("original_max_position_embeddings", std::to_string(a.originalMaxPosition),
               std::to_string(b.originalMaxPosition));
  }
  if (a.attentionFactor != b.attentionFactor) {
    return say("attention_factor", opt(a.attentionFactor), opt(b.attentionFactor));
  }
  if (a.shortFactor != b.shortFactor) {
    return say("short_factor", numbers(a.shortFactor), numbers(b.shortFactor));
  }
  if (a.longFactor != b.longFactor) {
    return say("long_factor", numbers(a.longFactor), numbers(b.longFactor));
  }
  if (a.lowFreqFactor != b.lowFreqFactor || a.highFreqFactor != b.highFreqFactor) {
    return say("low/high_freq_factor", number(a.lowFreqFactor) + "/" + number(a.highFreqFactor),
               number(b.lowFreqFactor) + "/" + number(b.highFreqFactor));
  }
  if (a.betaFast != b.betaFast || a.betaSlow != b.betaSlow || a.truncate != b.truncate ||
      a.mscale != b.mscale || a.mscaleAllDim != b.mscaleAllDim ||
      a.attentionPolicy != b.attentionPolicy) {
    return "the YaRN parameters (beta_fast, beta_slow, truncate, mscale) differ";
  }
  return {};
}

// The RoPE transformers reads from cfg; warns once when the config also holds a
// rope_parameters block that means something else.
RopeParams ropeFromJson(const Json& cfg, const std::string& source, RopeSpelling& spelling) {
  if (!cfg.is_object()) throw InputError(source + ": a config must be a JSON object");
  const Json* block = ropeBlock(cfg, source, spelling);
  RopeParams p = ropeParamsOf(cfg, block, source);
  const Json* other = spelling == RopeSpelling::RopeScaling && block
                          ? blockOf(cfg, RopeSpelling::RopeParameters, source)
                          : nullptr;
  if (other) {
    std::string difference;
    try {
      difference = ropeDifference(p, ropeParamsOf(cfg, other, source));
    } catch (const InputError& e) {
      difference = std::string("rope_parameters alone is not valid: ") + e.what();
    }
    if (!difference.empty()) {
      warnOnce(source + ": rope_scaling and rope_parameters disagree (" + difference +
               "); rope_scaling is used, as transformers does");
    }
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

std::string modelNameOf(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string file = configPath(path);
  const auto j = parseObject(readFile(file), file);
  if (auto it = j.find("_name_or_path"); it != j.end() && it->is_string()) {
    std::string name = it->get<std::string>();
    while (!name.empty() && (name.back() == '/' || name.back() == '\\')) name.pop_back();
    const size_t slash = name.find_last_of("/\\");
    if (slash != std::string::npos) name = name.substr(slash + 1);
    if (!name.empty()) return name;
  }
  fs::path folder = fs::absolute(fs::path(file)).parent_path();
  // models--ORG--NAME/snapshots/HASH/config.json: the folder names a commit, not the model.
  if (folder.parent_path().filename() == "snapshots") {
    const std::string repo = folder.parent_path().parent_path().filename().string();
    const size_t dashes = repo.rfind("--");
    if (repo.rfind("models--", 0) == 0 && dashes != std::string::npos)
      return repo.substr(dashes + 2);
  }
  const std::string name = folder.filename().string();
  return name.empty() ? fs::path(file).stem().string() : name;
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

namespace {

// The type name a patched block gets: longrope, or the April Phi-3 spelling `su` where the
// block had it (unless the caller modernises).
std::string longRopeTypeName(const Json* oldBlock, bool modernise) {
  if (!modernise && oldBlock) {
    for (const char* key : {"rope_type", "type"}) {
      auto it = oldBlock->find(key);
      if (it != oldBlock->end() && it->is_string() && it->get<std::string>() == "su") return "su";
    }
  }
  return "longrope";
}

// Throws unless text, read the way transformers reads it and through each spelling alone,
// gives the RoPE that was meant to be written.
void checkReadBack(const std::string& text, const RopeParams& want, const std::string& source) {
  const Json cfg = parseObject(text, source);
  std::vector<std::pair<std::string, RopeParams>> reads;
  RopeSpelling spelling;
  reads.emplace_back("the config", ropeFromJson(cfg, source, spelling));
  for (RopeSpelling s : {RopeSpelling::RopeScaling, RopeSpelling::RopeParameters}) {
    if (const Json* block = blockOf(cfg, s, source)) {
      reads.emplace_back(spellingKey(s), ropeParamsOf(cfg, block, source));
    }
  }
  for (const auto& [what, got] : reads) {
    const bool same = got.method == RopeMethod::LongRope && got.longFactor == want.longFactor &&
                      got.shortFactor == want.shortFactor && got.base == want.base &&
                      got.maxPosition == want.maxPosition &&
                      got.originalMaxPosition == want.originalMaxPosition &&
                      std::fabs(attentionFactor(got, 0) - attentionFactor(want, 0)) <=
                          1e-12 * attentionFactor(want, 0);
    if (!same) {
      throw std::logic_error(source + ": the patched config would not read back as written (" +
                             what + "); nothing was written");
    }
  }
}

}  // namespace

std::string patchHfConfig(const std::string& configText, const FactorSet& set,
                          const std::string& source, std::vector<std::string>* warnings,
                          bool modernise) {
  validateFactorSet(set, 0, false);
  Json cfg = configText.empty() ? Json::object() : parseObject(configText, source);

  // The RoPE the config has now (where it says enough), which the set must fit.
  std::optional<RopeParams> model;
  if (!configText.empty() && (cfg.contains("head_dim") || cfg.contains("hidden_size") ||
                              cfg.contains("qk_rope_head_dim"))) {
    RopeSpelling unused;
    model = ropeFromJson(cfg, source, unused);
    validateFactorSet(set, rotaryDim(*model) / 2, false);
    if (set.base > 0 && std::fabs(set.base - model->base) > 1e-9 * model->base) {
      throw InputError(source + ": the factor set was made for rope_theta " +
                       std::to_string(set.base) + ", the config has " +
                       std::to_string(model->base));
    }
  }

  // Every spelling the config holds is rewritten, so that transformers 4.x and 5.x read the
  // same RoPE; a config with neither gets the one it is written for.
  std::vector<RopeSpelling> spellings;
  for (RopeSpelling s : {RopeSpelling::RopeScaling, RopeSpelling::RopeParameters}) {
    if (blockOf(cfg, s, source)) spellings.push_back(s);
  }
  if (spellings.empty()) {
    spellings.push_back(cfg.contains("rope_parameters") ? RopeSpelling::RopeParameters
                                                        : RopeSpelling::RopeScaling);
  }
  RopeSpelling winner;
  const Json* winnerBlock = ropeBlock(cfg, source, winner);

  const int window =
      set.originalMaxPosition > 0
          ? set.originalMaxPosition
          : blockOrTopInt(cfg, winnerBlock, "original_max_position_embeddings", source)
                .value_or(ju::optPositiveInt(cfg, "max_position_embeddings", source).value_or(0));
  const int target = set.targetLength > 0
                         ? set.targetLength
                         : ju::optPositiveInt(cfg, "max_position_embeddings", source).value_or(0);
  const double base = set.base > 0 ? set.base : model ? model->base : 0.0;

  // Short factors: the set's; else the config's own (a LongRoPE CSV has long factors only);
  // else the long factors, said in a warning.
  std::vector<double> shortFactors = set.shortFactors;
  if (shortFactors.empty() && model && model->method == RopeMethod::LongRope &&
      model->shortFactor.size() == set.factors.size()) {
    shortFactors = model->shortFactor;
    if (warnings) warnings->push_back("short_factor kept from " + source);
  }
  if (shortFactors.empty()) {
    shortFactors = set.factors;
    if (warnings) {
      warnings->push_back(
          "the set has no short factors and the config none to keep: "
          "short_factor is written equal to long_factor");
    }
  }

  // HF derives sqrt(1 + ln(M/L)/ln(L)); write attention_factor only where the set differs.
  std::optional<double> attention;
  if (set.attentionFactor) {
    const double derived =
        window > 1 ? longRopeAttention(static_cast<double>(target) / window, window) : 1.0;
    if (std::fabs(*set.attentionFactor - derived) > 1e-12 * derived) {
      attention = *set.attentionFactor;
    }
  }

  const bool phi3 = ju::optString(cfg, "model_type", source).value_or("") == "phi3";
  for (RopeSpelling s : spellings) {
    const Json* oldBlock = blockOf(cfg, s, source);
    const std::string type = longRopeTypeName(oldBlock, modernise);
    const bool hadRopeType = oldBlock && oldBlock->contains("rope_type");
    const bool hadType = oldBlock && oldBlock->contains("type");
    Json block = Json::object();
    if (s == RopeSpelling::RopeParameters) {
      // 5.x: the block holds rope_theta, partial_rotary_factor and the window.
      if (oldBlock && oldBlock->contains("partial_rotary_factor")) {
        block["partial_rotary_factor"] = (*oldBlock)["partial_rotary_factor"];
      }
      if (base > 0) block["rope_theta"] = base;
      block["rope_type"] = type;
      if (hadType || phi3) block["type"] = type;
      if (window > 0) block["original_max_position_embeddings"] = window;
    } else {
      // 4.x: `type` (or `rope_type`) in the block, rope_theta and the window at the top.
      if (hadRopeType) block["rope_type"] = type;
      if (hadType || !hadRopeType) block["type"] = type;
      for (const char* key :
           {"rope_theta", "original_max_position_embeddings", "partial_rotary_factor"}) {
        if (oldBlock && oldBlock->contains(key)) block[key] = (*oldBlock)[key];
      }
      if (base > 0 && block.contains("rope_theta")) block["rope_theta"] = base;
      if (window > 0 && block.contains("original_max_position_embeddings")) {
        block["original_max_position_embeddings"] = window;
      }
    }
    block["short_factor"] = shortFactors;
    block["long_factor"] = set.factors;
    if (attention) block["attention_factor"] = *attention;
    cfg[spellingKey(s)] = block;
  }
  // The top level: read by 4.x, and by 5.x where the block lacks a key.
  const bool writesScaling = spellings.front() == RopeSpelling::RopeScaling;
  if (base > 0 && (writesScaling || cfg.contains("rope_theta"))) cfg["rope_theta"] = base;
  if (window > 0 && (writesScaling || cfg.contains("original_max_position_embeddings"))) {
    cfg["original_max_position_embeddings"] = window;
  }
  if (target > 0) cfg["max_position_embeddings"] = target;

  if (warnings) {
    if (spellings.size() == 2) {
      warnings->push_back(
          "the config has both rope_scaling and rope_parameters: both were "
          "rewritten with the same RoPE");
    }
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

  const std::string text = ju::dump(cfg);
  if (cfg.contains("head_dim") || cfg.contains("hidden_size") || cfg.contains("qk_rope_head_dim")) {
    RopeParams want = model.value_or(RopeParams{});
    want.method = RopeMethod::LongRope;
    want.longFactor = set.factors;
    want.shortFactor = shortFactors;
    want.base = base > 0 ? base : want.base;
    want.maxPosition = target > 0 ? target : want.maxPosition;
    want.originalMaxPosition = window;
    want.attentionFactor = attention;
    want.attentionPolicy = LongRopeAttention::Su;
    checkReadBack(text, want, source);
  }
  return text;
}

}  // namespace rope
