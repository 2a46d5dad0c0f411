#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "data/token_data.h"
#include "data/tokenizer.h"
#include "io/hf_config.h"
#include "io/json_util.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "rope/rope_math.h"
#include "train/kjv_corpus.h"
#include "train/train_data.h"
#include "train/trainer_model.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace fs = std::filesystem;
using json_util::Json;

namespace {

constexpr double kRmsEps = 1e-5;

// The training's CPU threads follow the engine's policy (applyCpuThreadPolicy: OpenBLAS's pool
// gets them, torch's intra-op pool one). Measured on the demo shape at T = 512, batch 4, 2 cores
// idle: 3500-3955 tokens/s against 1640-1650 with torch's pool at 2 threads (bench/RESULTS.md,
// "Fine-tuning step").
void applyTrainThreads(int threads, const std::string& device) {
  if (device == "cpu") {
    applyCpuThreadPolicy(threads);
  } else if (threads > 0) {
    torch::set_num_threads(threads);
  }
}

double learningRate(const TrainParams& p, int step) {
  if (step < p.warmupSteps) return p.learningRate * (step + 1) / p.warmupSteps;
  const double progress = double(step - p.warmupSteps) / std::max(1, p.steps - p.warmupSteps);
  const double minLr = p.learningRate * p.minLearningRateRatio;
  return minLr + 0.5 * (p.learningRate - minLr) * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

torch::Tensor batchTensor(const std::vector<std::vector<int64_t>>& rows, torch::Device device) {
  const int64_t b = static_cast<int64_t>(rows.size()), t = static_cast<int64_t>(rows[0].size());
  auto out = torch::empty({b, t}, torch::kInt64);
  for (int64_t i = 0; i < b; ++i) std::memcpy(out[i].data_ptr<int64_t>(), rows[i].data(), t * 8);
  return out.to(device);
}

// Writes the parameters (HF names) as a safetensors file in dtype.
void saveParameters(TinyLlama& model, const std::string& path, torch::ScalarType dtype) {
  std::vector<torch::Tensor> keep;
  std::vector<TensorBlob> blobs;
  for (const auto& p : model->named_parameters()) {
    auto t = p.value().detach().to(torch::kCPU, dtype).contiguous();
    keep.push_back(t);
    TensorBlob b;
    b.name = p.key();
    b.dtype = dtype == torch::kHalf ? DType::F16 : DType::F32;
    b.shape = t.sizes().vec();
    b.data = t.data_ptr();
    b.bytes = t.nbytes();
    blobs.push_back(b);
  }
  writeSafetensors(path, blobs, {{"format", "pt"}});
}

void loadParameters(TinyLlama& model, const std::string& path) {
  const SafetensorsFile file(path);
  torch::NoGradGuard noGrad;
  for (auto& p : model->named_parameters()) {
    const TensorView& v = file.tensor(p.key());
    if (v.shape != p.value().sizes().vec()) {
      throw InputError(path + ": tensor " + p.key() + " has shape " + shapeString(v.shape) +
                       ", the model needs " + shapeString(p.value().sizes().vec()));
    }
    const std::vector<float> values = v.toFloats();
    p.value().copy_(
        torch::from_blob(const_cast<float*>(values.data()), p.value().sizes(), torch::kFloat32));
  }
}

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
  j["seed"] = std::to_string(p.seed);
  if (!p.initDir.empty()) j["init"] = p.initDir;
  return j;
}

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

std::vector<std::vector<int64_t>> tokenize(const std::vector<std::string>& files,
                                           const std::string& tokenizer) {
  TokenSource src;
  src.paths = files;
  src.format = TokenFormat::Text;
  src.tokenizerPath = tokenizer;
  src.addBos = true;
  return loadTokens(src).documents;
}

// AdamW (betas 0.9, 0.95) with weight decay on the matrices only.
torch::optim::AdamW makeOptimizer(TinyLlama& model, const TrainParams& p) {
  std::vector<torch::Tensor> decay, noDecay;
  for (auto& prm : model->named_parameters()) {
    (prm.value().dim() >= 2 ? decay : noDecay).push_back(prm.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(
      decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(p.learningRate)
                                                              .betas({0.9, 0.95})
                                                              .weight_decay(p.weightDecay)));
  groups.emplace_back(
      noDecay,
      std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(p.learningRate).betas({0.9, 0.95}).weight_decay(0.0)));
  return torch::optim::AdamW(groups, torch::optim::AdamWOptions(p.learningRate).betas({0.9, 0.95}));
}

// cos and sin [context, head_dim] (float32 on device) of the RoPE a config holds, at the
// training context: what every forward pass of the run uses.
std::pair<torch::Tensor, torch::Tensor> ropeTables(const std::string& configText, int context,
                                                   torch::Device device) {
  const RopeParams rp = parseRopeParams(configText, "the exported config.json");
  const CosSinTable table = cosSinTable(rp, 0, context, PairLayout::RotateHalf, context);
  auto toTensor = [&](const std::vector<double>& v) {
    return torch::tensor(v, torch::kFloat64).view({context, rp.headDim}).to(device, torch::kFloat32);
  };
  return {toTensor(table.cos), toTensor(table.sin)};
}

// One optimizer step on batch [B, context + 1]: forward, mean token cross-entropy, backward,
// gradient clipping, AdamW. Returns the loss.
double trainStep(TinyLlama& model, torch::optim::AdamW& optimizer, const torch::Tensor& batch,
                 const torch::Tensor& cos, const torch::Tensor& sin, const TrainParams& p) {
  const auto x = batch.narrow(1, 0, p.context), y = batch.narrow(1, 1, p.context);
  const auto logits = model->forward(x, cos, sin);
  auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                   y.reshape({-1}));
  optimizer.zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model->parameters(), p.gradClip);
  optimizer.step();
  return loss.item<double>();
}

}  // namespace

namespace {

// The Hugging Face folder a fine-tuning run continues: what the trainer can build from it.
ModelConfig initModelConfig(const TrainParams& p) {
  const std::string dir = p.initDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("--init " + dir + " is not a folder");
  const ModelConfig mc = readModelConfig(dir);
  auto require = [&](bool ok, const std::string& msg) {
    if (!ok) throw InputError("--init " + dir + ": " + msg);
  };
  require(mc.architecture == "LlamaForCausalLM",
          "the trainer continues Llama models (LlamaForCausalLM); this one is " +
              (mc.architecture.empty() ? std::string("of no stated architecture") : mc.architecture));
  require(mc.tieWordEmbeddings, "the trainer continues models with tied input and output "
                                "embeddings (tie_word_embeddings); this one has an lm_head");
  require(!mc.attentionBias && !mc.mlpBias, "the trainer's Llama has no biases; this one has");
  require(mc.slidingWindow == 0, "the trainer's attention is fully causal; this one has a "
                                 "sliding window");
  require(mc.headDim * mc.numHeads == mc.hiddenSize,
          "head_dim x num_attention_heads must equal hidden_size for the trainer");
  require(mc.rope.partialRotaryFactor == 1.0, "the trainer rotates whole heads; this model has "
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

// The params with an --init model's shape in place of the shape options.
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

// The config.json the run exports, whose RoPE is also the one it trains with. notes gets what
// was chosen for the user.
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
    set.attentionFactor =
        std::sqrt(1.0 + std::log(double(set.targetLength) / window) / std::log(double(window)));
  }
  set.targetLength = p.context;
  return patchHfConfig(text, set, path, notes);
}

}  // namespace

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
  require(!p.outDir.empty(), "--out is required");
  std::error_code ec;
  require(!fs::exists(p.outDir, ec), "output folder " + p.outDir + " exists; choose another");
  const std::string work = p.outDir + ".partial";
  if (p.resume) {
    require(fs::exists(fs::path(work) / "state.json", ec),
            "nothing to resume: " + work + "/state.json does not exist");
  } else {
    require(!fs::exists(work, ec),
            "an interrupted run left " + work + "; pass --resume to continue it or remove it");
  }
  corpusFiles(p.corpusDir, "train");
  corpusFiles(p.corpusDir, "validation");
}

namespace {

TrainResult trainIn(const TrainParams& given, const TrainProgressFn& progress) {
  const TrainParams p = resolvedParams(given);
  TrainResult result;
  const auto started = std::chrono::steady_clock::now();
  const fs::path work = p.outDir + ".partial";
  fs::create_directories(work);
  applyTrainThreads(p.threads, p.device);
  const torch::Device device(p.device);
  auto report = [&](TrainProgress pr) { return !progress || progress(pr); };

  const std::string tokenizerPath = (work / "tokenizer.model").string();
  if (!p.initDir.empty() && !fs::exists(tokenizerPath)) {
    fs::copy_file(fs::path(p.initDir) / "tokenizer.model", tokenizerPath);
  }
  if (!fs::exists(tokenizerPath)) {
    trainTokenizer(corpusFiles(p.corpusDir, "train"), (work / "tokenizer").string(), p.vocab);
    TrainProgress trained;
    trained.steps = p.steps;
    trained.message = "tokenizer trained";
    report(trained);
  }
  const Tokenizer tokenizer(tokenizerPath);
  const int vocab = tokenizer.vocabSize();
  if (!p.initDir.empty() && vocab != p.vocab) {
    throw InputError("--init " + p.initDir + ": its tokenizer.model has " +
                     std::to_string(vocab) + " pieces, its config.json vocab_size " +
                     std::to_string(p.vocab));
  }
  // The exported config, whose RoPE the forward passes use.
  std::vector<std::string> notes;
  const std::string configText = exportConfig(p, vocab, &notes);
  for (const auto& note : notes) {
    TrainProgress noted;
    noted.steps = p.steps;
    noted.message = note;
    report(noted);
  }
  const WindowSampler trainData(tokenize(corpusFiles(p.corpusDir, "train"), tokenizerPath),
                                tokenizer, p.context, p.passkeyShare, p.passkeyNeedles);
  const WindowSampler validData(tokenize(corpusFiles(p.corpusDir, "validation"), tokenizerPath),
                                tokenizer, p.context, 0.0, p.passkeyNeedles);
  const auto validWindows = validData.fixedWindows(p.evalWindows);
  // Passkey snippets from validation text with fixed keys: does the model copy the key?
  // (None when the window is too short for the prompt.)
  std::vector<PasskeySnippet> validKeys;
  if (validData.passkeyFits()) {
    std::mt19937_64 keyRng(p.seed + 0x5EED);
    for (int i = 0; i < p.evalWindows; ++i) validKeys.push_back(validData.passkeySnippet(keyRng));
  }

  torch::manual_seed(p.seed);
  const double rmsEps =
      p.initDir.empty() ? kRmsEps : readModelConfig(p.initDir).rmsNormEps;
  TinyLlama model(vocab, p.hidden, p.layers, p.heads, p.kvHeads, p.intermediate, rmsEps);
  initialiseWeights(model, p.layers);
  if (!p.initDir.empty()) {
    loadParameters(model, (fs::path(p.initDir) / "model.safetensors").string());
  }
  model->to(device);

  torch::optim::AdamW optimizer = makeOptimizer(model, p);

  const auto [cosT, sinT] = ropeTables(configText, p.context, device);

  int start = 0;
  std::string log;
  const std::string statePath = (work / "state.json").string();
  if (p.resume) {
    const Json state = json_util::parseFile(statePath);
    if (state.at("params") != paramsJson(p) ||
        state.value("config", std::string()) != (p.initDir.empty() ? "" : configText)) {
      throw InputError(statePath + ": the interrupted run used other training parameters");
    }
    start = state.at("step").get<int>();
    log = state.at("log").get<std::string>();
    loadParameters(model, (work / "checkpoint.safetensors").string());
    torch::load(optimizer, (work / "optimizer.pt").string());
  }

  struct Validation {
    double loss = 0;             // nats per token on the validation windows
    double passkeyLoss = 0;      // nats per key token on the validation passkey snippets
    double passkeyAccuracy = 0;  // share of snippets whose every key token is the argmax
  };
  auto logitsOf = [&](const std::vector<std::vector<int64_t>>& rows) {
    const auto batch = batchTensor(rows, device);
    return std::make_pair(model->forward(batch.narrow(1, 0, p.context), cosT, sinT),
                          batch.narrow(1, 1, p.context));
  };
  auto validate = [&]() {
    torch::NoGradGuard noGrad;
    model->eval();
    Validation v;
    double sum = 0;
    int64_t count = 0;
    for (size_t i = 0; i < validWindows.size(); i += 16) {
      const auto [logits, y] = logitsOf(std::vector<std::vector<int64_t>>(
          validWindows.begin() + i, validWindows.begin() + std::min(validWindows.size(), i + 16)));
      sum += torch::nn::functional::cross_entropy(
                 logits.reshape({-1, vocab}), y.reshape({-1}),
                 torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                 .item<double>();
      count += y.numel();
    }
    v.loss = sum / std::max<int64_t>(1, count);
    double keySum = 0;
    int64_t keyTokens = 0, copied = 0;
    for (size_t i = 0; i < validKeys.size(); i += 16) {
      std::vector<std::vector<int64_t>> rows;
      for (size_t j = i; j < std::min(validKeys.size(), i + 16); ++j)
        rows.push_back(validKeys[j].ids);
      const auto [logits, y] = logitsOf(rows);
      const auto logp = torch::log_softmax(logits.to(torch::kFloat64), -1).cpu();
      const auto best = logits.argmax(-1).cpu();
      const auto target = y.cpu();
      for (size_t j = 0; j < rows.size(); ++j) {
        const PasskeySnippet& k = validKeys[i + j];
        bool all = true;
        for (int t = k.answerStart; t < k.answerStart + k.answerTokens; ++t) {
          // Row t - 1 predicts token t.
          const int64_t want = target[j][t - 1].item<int64_t>();
          keySum -= logp[j][t - 1][want].item<double>();
          all = all && best[j][t - 1].item<int64_t>() == want;
          ++keyTokens;
        }
        copied += all ? 1 : 0;
      }
    }
    v.passkeyLoss = keySum / std::max<int64_t>(1, keyTokens);
    v.passkeyAccuracy = double(copied) / std::max<size_t>(1, validKeys.size());
    model->train();
    return v;
  };

  auto loopStart = std::chrono::steady_clock::now();
  double lastValid = std::nan("");
  Validation last;
  for (int step = start; step < p.steps; ++step) {
    const double lr = learningRate(p, step);
    for (auto& g : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    }
    std::mt19937_64 rng(p.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(step));
    std::vector<std::vector<int64_t>> rows;
    for (int i = 0; i < p.batch; ++i) rows.push_back(trainData.sample(rng));
    const double loss = trainStep(model, optimizer, batchTensor(rows, device), cosT, sinT, p);

    TrainProgress pr;
    pr.step = step + 1;
    pr.steps = p.steps;
    pr.loss = loss;
    pr.learningRate = lr;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - loopStart).count();
    const int done = step + 1 - start;
    pr.tokensPerSecond = done * double(p.batch) * p.context / std::max(1e-9, elapsed);
    pr.etaSeconds = elapsed / done * (p.steps - step - 1);
    char line[160];
    std::snprintf(line, sizeof line, "step %d loss %.4f lr %.2e\n", pr.step, pr.loss, lr);
    log += line;
    const bool evalNow = pr.step % p.evalEvery == 0 || pr.step == p.steps;
    if (evalNow) {
      last = validate();
      lastValid = last.loss;
      pr.validationLoss = lastValid;
      std::snprintf(line, sizeof line, "step %d validation loss %.4f ppl %.3f", pr.step, lastValid,
                    std::exp(lastValid));
      log += line;
      if (!validKeys.empty()) {
        pr.passkeyLoss = last.passkeyLoss;
        pr.passkeyAccuracy = last.passkeyAccuracy;
        std::snprintf(line, sizeof line, " passkey key loss %.4f copied %.3f", last.passkeyLoss,
                      last.passkeyAccuracy);
        log += line;
      }
      std::snprintf(line, sizeof line, "\n");
      log += line;
      saveParameters(model, (work / "checkpoint.safetensors").string(), torch::kFloat32);
      torch::save(optimizer, (work / "optimizer.pt.tmp").string());
      fs::rename(work / "optimizer.pt.tmp", work / "optimizer.pt");
      Json state = Json::object();
      state["params"] = paramsJson(p);
      if (!p.initDir.empty()) state["config"] = configText;
      state["step"] = pr.step;
      state["log"] = log;
      writeFileAtomic(statePath, json_util::dump(state));
      pr.message = "checkpoint written";
    }
    if (!report(pr)) {
      result.cancelled = true;
      result.steps = evalNow ? pr.step : start;
      return result;
    }
  }

  // Export the Hugging Face folder, then make it appear at outDir in one rename.
  const fs::path exportDir = work / "export";
  fs::remove_all(exportDir);
  fs::create_directories(exportDir);
  writeFileAtomic((exportDir / "config.json").string(), configText);
  saveParameters(model, (exportDir / "model.safetensors").string(), torch::kHalf);
  fs::copy_file(tokenizerPath, exportDir / "tokenizer.model");
  Json info = Json::object();
  info["command"] = p.command;
  info["params"] = paramsJson(p);
  if (p.rope) {
    info["rope"] = p.rope->name.empty() ? p.rope->method : p.rope->name;
    info["rope_notes"] = notes;
  }
  info["validation_loss"] = lastValid;
  info["validation_perplexity"] = std::exp(lastValid);
  if (!validKeys.empty()) {
    info["validation_passkey_key_loss"] = last.passkeyLoss;
    info["validation_passkey_copied"] = last.passkeyAccuracy;
  }
  info["train_tokens_available"] = trainData.totalTokens();
  // This run's wall time up to the export (a resumed run counts from its resume).
  info["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  writeFileAtomic((exportDir / "training.json").string(), json_util::dump(info));
  writeFileAtomic((exportDir / "training_log.txt").string(), log);
  fs::rename(exportDir, p.outDir);
  fs::remove_all(work);

  result.valid = true;
  result.steps = p.steps;
  result.validationLoss = lastValid;
  result.validationPerplexity = std::exp(lastValid);
  result.modelDir = p.outDir;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace

TrainResult train(const TrainParams& p, const TrainProgressFn& progress) {
  validateTrainParams(p);
  const fs::path work = p.outDir + ".partial";
  try {
    return trainIn(p, progress);
  } catch (...) {
    // A run that fails before its first checkpoint leaves nothing behind.
    std::error_code ec;
    if (!p.resume && !fs::exists(work / "state.json", ec)) fs::remove_all(work, ec);
    throw;
  }
}

TrainBenchmark benchmarkTrainSteps(const TrainParams& p, int steps) {
  if (steps < 1) throw InputError("benchmark steps must be positive");
  applyTrainThreads(p.threads, p.device);
  const torch::Device device(p.device);
  torch::manual_seed(p.seed);
  TinyLlama model(p.vocab, p.hidden, p.layers, p.heads, p.kvHeads, p.intermediate, kRmsEps);
  initialiseWeights(model, p.layers);
  model->to(device);
  torch::optim::AdamW optimizer = makeOptimizer(model, p);
  const auto [cosT, sinT] = ropeTables(exportConfig(p, p.vocab, nullptr), p.context, device);
  auto batch = [&] { return torch::randint(p.vocab, {p.batch, p.context + 1}, torch::kInt64).to(device); };
  trainStep(model, optimizer, batch(), cosT, sinT, p);  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) trainStep(model, optimizer, batch(), cosT, sinT, p);
  TrainBenchmark b;
  b.secondsPerStep =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / steps;
  b.tokensPerSecond = double(p.batch) * p.context / b.secondsPerStep;
  return b;
}

}  // namespace rope
