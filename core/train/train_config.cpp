#include "train/train_config.h"

#include <cmath>
#include <filesystem>

#include "io/hf_config.h"
#include "rope/factor_set.h"
#include "rope/rope_math.h"
#include "train/kjv_corpus.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace fs = std::filesystem;
using json_util::Json;

namespace train_config {
namespace {

// A new model's config.json.
Json hfConfig(const TrainParams& p, int vocab) {
  Json j = Json::object();
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["vocab_size"] = vocab;
  j["hidden_size"] = p.hidden;
  j["intermediate_size"] = p.intermediate;
  j["num_hidden_layers"] = p.layers;
  j["num_attention_heads"] = p.heads;
  j["num_key_value_heads"] = p.kvHeads;
  j["head_dim"] = p.hidden / p.heads;
  j["hidden_act"] = "silu";
  j["max_position_embeddings"] = p.context;
  j["rms_norm_eps"] = kRmsEps;
  j["rope_theta"] = p.ropeBase;
  j["rope_scaling"] = nullptr;
  j["tie_word_embeddings"] = true;
  j["attention_bias"] = false;
  j["mlp_bias"] = false;
  j["bos_token_id"] = 1;
  j["eos_token_id"] = 2;
  j["initializer_range"] = 0.02;
  j["torch_dtype"] = "float16";
  j["use_cache"] = true;
  return j;
}

}  // namespace

Json paramsJson(const TrainParams& p) {
  Json j = Json::object();
  j["context"] = p.context;
  j["layers"] = p.layers;
  j["hidden"] = p.hidden;
  j["heads"] = p.heads;
  j["kv_heads"] = p.kvHeads;
  j["intermediate"] = p.intermediate;
  j["vocab"] = p.vocab;
  j["rope_base"] = p.ropeBase;
  j["steps"] = p.steps;
  j["batch"] = p.batch;
  j["learning_rate"] = p.learningRate;
  j["min_learning_rate_ratio"] = p.minLearningRateRatio;
  j["warmup_steps"] = p.warmupSteps;
  j["weight_decay"] = p.weightDecay;
  j["grad_clip"] = p.gradClip;
  j["passkey_share"] = p.passkeyShare;
  if (p.passkeyNeedles > 0) j["passkey_needles"] = p.passkeyNeedles;
  if (p.passkeyKeysByLength) j["passkey_keys"] = "by-length";
  if (p.shortShare > 0) j["short_share"] = p.shortShare;
  j["seed"] = std::to_string(p.seed);
  if (!p.initDir.empty()) j["init"] = p.initDir;
  return j;
}

ModelConfig initModelConfig(const TrainParams& p) {
  const std::string dir = p.initDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("--init " + dir + " is not a folder");
  const ModelConfig mc = readModelConfig(dir);
  auto require = [&](bool ok, const std::string& msg) {
    if (!ok) throw InputError("--init " + dir + ": " + msg);
  };
  require(
      mc.architecture == "LlamaForCausalLM",
      "the trainer continues Llama models (LlamaForCausalLM); this one is " +
          (mc.architecture.empty() ? std::string("of no stated architecture") : mc.architecture));
  require(mc.tieWordEmbeddings,
          "the trainer continues models with tied input and output "
          "embeddings (tie_word_embeddings); this one has an lm_head");
  require(!mc.attentionBias && !mc.mlpBias, "the trainer's Llama has no biases; this one has");
  require(mc.slidingWindow == 0,
          "the trainer's attention is fully causal; this one has a "
          "sliding window");
  require(mc.headDim * mc.numHeads == mc.hiddenSize,
          "head_dim x num_attention_heads must equal hidden_size for the trainer");
  require(mc.rope.partialRotaryFactor == 1.0,
          "the trainer rotates whole heads; this model has "
          "partial_rotary_factor " +
              std::to_string(mc.rope.partialRotaryFactor));
  require(fs::exists(fs::path(dir) / "tokenizer.model", ec),
          "no tokenizer.model (the trainer reads its corpus with the model's SentencePiece "
          "tokenizer)");
  require(fs::exists(fs::path(dir) / "model.safetensors", ec),
          "no model.safetensors (one safetensors file, as the trainer writes)");
  const int window = originalWindow(mc.rope);
  if (p.context <= window) {
    throw InputError("the fine-tuning context (" + std::to_string(p.context) +
                     ") must be longer than the model's original window (" +
                     std::to_string(window) + ")");
  }
  return mc;
}

TrainParams resolvedParams(const TrainParams& p) {
  if (p.initDir.empty()) return p;
  const ModelConfig mc = initModelConfig(p);
  TrainParams q = p;
  q.layers = mc.numLayers;
  q.hidden = mc.hiddenSize;
  q.heads = mc.numHeads;
  q.kvHeads = mc.numKvHeads;
  q.intermediate = mc.intermediateSize;
  q.vocab = mc.vocabSize;
  q.ropeBase = mc.rope.base;
  return q;
}

std::string exportConfig(const TrainParams& p, int vocab, std::vector<std::string>* notes) {
  if (p.initDir.empty()) return json_util::dump(hfConfig(p, vocab));
  const std::string path = configPath(p.initDir);
  const std::string text = readFile(path);
  if (!p.rope) return text;
  const ModelConfig mc = readModelConfig(path);
  const int window = originalWindow(mc.rope);
  FactorSet set = *p.rope;
  const std::string what = set.name.empty() ? "the factor set" : "factor set '" + set.name + "'";
  validateFactorSet(set, rotaryDim(mc.rope) / 2, false);
  if (set.nHat > 0) {
    throw InputError(what + " has n_hat = " + std::to_string(set.nHat) +
                     ", which a Hugging Face config cannot hold; fine-tune with a set searched "
                     "without n_hat (rope-cli search --no-n-hat)");
  }
  if (!set.layerFactors.empty()) {
    throw InputError(what + " has per-layer factors, which a Hugging Face config cannot hold");
  }
  if (set.originalMaxPosition > 0 && set.originalMaxPosition != window) {
    throw InputError(what + " was made for an original window of " +
                     std::to_string(set.originalMaxPosition) + " tokens; the model's is " +
                     std::to_string(window));
  }
  set.originalMaxPosition = window;
  if (set.shortFactors.empty()) {
    set.shortFactors.assign(set.factors.size(), 1.0);
    if (notes) notes->push_back("short factors: ones (the pretrained RoPE at its window)");
  }
  // A derived attention factor follows the length the set was made for, not the context.
  if (!set.attentionFactor && set.targetLength > window) {
    set.attentionFactor = longRopeAttention(double(set.targetLength) / window, window);
  }
  set.targetLength = p.context;
  return patchHfConfig(text, set, path, notes);
}

int shortRowsPerStep(const TrainParams& p) {
  return static_cast<int>(std::lround(p.batch * p.shortShare));
}

}  // namespace train_config

using namespace train_config;

void validateTrainParams(const TrainParams& p) {
  auto require = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
  require(!p.rope || !p.initDir.empty(),
          "--rope needs --init: a factor set rescales a pretrained model's RoPE");
  if (!p.initDir.empty()) {
    const TrainParams q = resolvedParams(p);
    exportConfig(q, q.vocab, nullptr);
  }
  require(p.context >= 8, "--context must be at least 8");
  require(p.layers >= 1 && p.hidden >= 8 && p.heads >= 1 && p.kvHeads >= 1,
          "--layers, --hidden and --heads must be positive");
  require(p.hidden % p.heads == 0, "--hidden must be a multiple of --heads");
  require((p.hidden / p.heads) % 2 == 0, "head_dim (hidden / heads) must be even for RoPE");
  require(p.heads % p.kvHeads == 0, "--heads must be a multiple of --kv-heads");
  require(p.intermediate >= 1, "--intermediate must be positive");
  require(p.vocab >= 64 && p.vocab <= 65536, "--vocab must be between 64 and 65536");
  require(p.steps >= 1 && p.batch >= 1, "--steps and --batch must be positive");
  require(p.learningRate > 0 && std::isfinite(p.learningRate), "--lr must be positive");
  require(p.passkeyShare >= 0 && p.passkeyShare <= 1, "--passkey-share must be in [0, 1]");
  require(p.passkeyNeedles >= 0 && p.passkeyNeedles <= 1, "--passkey-needles must be in [0, 1]");
  require(p.evalEvery >= 1 && p.evalWindows >= 1, "--eval-every must be positive");
  require(p.shortShare >= 0 && p.shortShare < 1, "--short-share must be in [0, 1)");
  require(p.shortShare == 0 || !p.initDir.empty(),
          "--short-share needs --init: short windows are read at a pretrained model's window");
  const int shortRows = shortRowsPerStep(p);
  require(p.shortShare == 0 || (shortRows >= 1 && shortRows < p.batch),
          "--short-share " + json_util::dump(Json(p.shortShare)) + " of a batch of " +
              std::to_string(p.batch) + " rounds to " + std::to_string(shortRows) +
              " rows; it must leave at least one row of short and one of long windows");
  require(!p.outDir.empty(), "--out is required");
  std::error_code ec;
  require(!fs::exists(p.outDir, ec), "output folder " + p.outDir + " exists; choose another");
  const std::string work = trainingWorkDir(p.outDir);
  if (p.resume) {
    require(fs::exists(fs::path(work) / kTrainingStateFile, ec),
            "nothing to resume: " + work + "/" + kTrainingStateFile + " does not exist");
  } else {
    require(!fs::exists(work, ec),
            "an interrupted run left " + work + "; pass --resume to continue it or remove it");
  }
  corpusFiles(p.corpusDir, "train");
  corpusFiles(p.corpusDir, "validation");
}

}  // namespace rope
