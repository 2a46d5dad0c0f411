#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <tuple>

#include "data/token_data.h"
#include "data/tokenizer.h"
#include "io/hf_config.h"
#include "io/json_util.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "rope/rope_math.h"
#include "train/kjv_corpus.h"
#include "train/train_config.h"
#include "train/train_data.h"
#include "train/trainer_model.h"
#include "util/error.h"
#include "util/files.h"
#include "util/heap_policy.h"

namespace rope {
namespace fs = std::filesystem;
using json_util::Json;
using namespace train_config;

namespace {

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

// Windows of one length [B, T + 1] and the RoPE tables [T, head_dim] they are read with.
struct WindowBatch {
  torch::Tensor tokens;
  torch::Tensor cos, sin;
};

// One optimizer step on the batches: forward, token cross-entropy averaged over every
// predicted token of all of them, backward, gradient clipping, AdamW. Returns the loss.
double trainStep(TinyLlama& model, torch::optim::AdamW& optimizer,
                 const std::vector<WindowBatch>& batches, const TrainParams& p) {
  int64_t total = 0;
  for (const auto& b : batches) total += b.tokens.size(0) * (b.tokens.size(1) - 1);
  torch::Tensor loss;
  for (const auto& b : batches) {
    const int64_t t = b.tokens.size(1) - 1;
    const auto x = b.tokens.narrow(1, 0, t), y = b.tokens.narrow(1, 1, t);
    const auto logits = model->forward(x, b.cos, b.sin);
    // Each batch's mean weighted by its share of the tokens (exactly the mean for one batch).
    const auto part = torch::nn::functional::cross_entropy(
                          logits.reshape({-1, logits.size(-1)}), y.reshape({-1})) *
                      (double(y.numel()) / total);
    loss = loss.defined() ? loss + part : part;
  }
  optimizer.zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model->parameters(), p.gradClip);
  optimizer.step();
  return loss.item<double>();
}

TrainResult trainIn(const TrainParams& given, const TrainProgressFn& progress) {
  const TrainParams p = resolvedParams(given);
  TrainResult result;
  const auto started = std::chrono::steady_clock::now();
  const fs::path work = trainingWorkDir(p.outDir);
  fs::create_directories(work);
  applyTrainThreads(p.threads, p.device);
  const RetainedHeap heap;  // every step's large blocks reused, not refaulted
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
  const auto trainDocs = tokenize(corpusFiles(p.corpusDir, "train"), tokenizerPath);
  const auto validDocs = tokenize(corpusFiles(p.corpusDir, "validation"), tokenizerPath);
  const WindowSampler trainData(trainDocs, tokenizer, p.context, p.passkeyShare, p.passkeyNeedles,
                                p.passkeyKeysByLength);
  const WindowSampler validData(validDocs, tokenizer, p.context, 0.0, p.passkeyNeedles);
  const auto validWindows = validData.fixedWindows(p.evalWindows);
  // Mixed-length fine-tuning: windows at the original window, read with the short RoPE.
  const int window =
      p.shortShare > 0 ? originalWindow(parseRopeParams(configText, "the exported config.json")) : 0;
  const int shortRows = shortRowsPerStep(p);
  const int shortPerRow = window > 0 ? std::max(1, p.context / window) : 0;
  std::optional<WindowSampler> shortTrain;
  std::vector<std::vector<int64_t>> shortValidWindows;
  if (window > 0) {
    shortTrain.emplace(trainDocs, tokenizer, window, p.passkeyShare, p.passkeyNeedles,
                       p.passkeyKeysByLength);
    const WindowSampler shortValid(validDocs, tokenizer, window, 0.0, p.passkeyNeedles);
    shortValidWindows = shortValid.fixedWindows(p.evalWindows);
  }
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
  torch::Tensor cosShort, sinShort;
  if (window > 0) std::tie(cosShort, sinShort) = ropeTables(configText, window, device);

  int start = 0;
  std::string log;
  const std::string statePath = (work / kTrainingStateFile).string();
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
    double shortLoss = 0;        // nats per token on validation windows at the window
  };
  // Logits and targets of windows of one length (the context's tables unless given).
  auto logitsOf = [&](const std::vector<std::vector<int64_t>>& rows,
                      const torch::Tensor& cos, const torch::Tensor& sin) {
    const auto batch = batchTensor(rows, device);
    const int64_t t = batch.size(1) - 1;
    return std::make_pair(model->forward(batch.narrow(1, 0, t), cos, sin), batch.narrow(1, 1, t));
  };
  // Nats per token on windows of one length.
  auto meanLoss = [&](const std::vector<std::vector<int64_t>>& windows, const torch::Tensor& cos,
                      const torch::Tensor& sin) {
    double sum = 0;
    int64_t count = 0;
    for (size_t i = 0; i < windows.size(); i += 16) {
      const auto [logits, y] = logitsOf(
          std::vector<std::vector<int64_t>>(windows.begin() + i,
                                            windows.begin() + std::min(windows.size(), i + 16)),
          cos, sin);
      sum += torch::nn::functional::cross_entropy(
                 logits.reshape({-1, vocab}), y.reshape({-1}),
                 torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                 .item<double>();
      count += y.numel();
    }
    return sum / std::max<int64_t>(1, count);
  };
  auto validate = [&]() {
    torch::NoGradGuard noGrad;
    model->eval();
    Validation v;
    v.loss = meanLoss(validWindows, cosT, sinT);
    if (window > 0) v.shortLoss = meanLoss(shortValidWindows, cosShort, sinShort);
    double keySum = 0;
    int64_t keyTokens = 0, copied = 0;
    for (size_t i = 0; i < validKeys.size(); i += 16) {
      std::vector<std::vector<int64_t>> rows;
      for (size_t j = i; j < std::min(validKeys.size(), i + 16); ++j)
        rows.push_back(validKeys[j].ids);
      const auto [logits, y] = logitsOf(rows, cosT, sinT);
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
    std::vector<std::vector<int64_t>> rows, shortWindows;
    for (int i = 0; i < p.batch - shortRows; ++i) rows.push_back(trainData.sample(rng));
    for (int i = 0; i < shortRows * shortPerRow; ++i) {
      shortWindows.push_back(shortTrain->sample(rng));
    }
    std::vector<WindowBatch> batches = {{batchTensor(rows, device), cosT, sinT}};
    if (!shortWindows.empty())
      batches.push_back({batchTensor(shortWindows, device), cosShort, sinShort});
    const double loss = trainStep(model, optimizer, batches, p);

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
      if (window > 0) {
        pr.shortValidationLoss = last.shortLoss;
        std::snprintf(line, sizeof line, " at %d tokens: loss %.4f ppl %.3f", window,
                      last.shortLoss, std::exp(last.shortLoss));
        log += line;
      }
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
  if (window > 0) {
    info["short_window"] = window;
    info["validation_short_perplexity"] = std::exp(last.shortLoss);
  }
  if (!validKeys.empty()) {
    info["validation_passkey_key_loss"] = last.passkeyLoss;
    info["validation_passkey_copied"] = last.passkeyAccuracy;
  }
  info["train_tokens_available"] = trainData.totalTokens();
  // This run's wall time up to the export (a resumed run counts from its resume).
  info["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  writeFileAtomic((exportDir / "training.json").string(), json_util::dump(info));
  writeFileAtomic((exportDir / kTrainingLogFile).string(), log);
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
  const fs::path work = trainingWorkDir(p.outDir);
  try {
    return trainIn(p, progress);
  } catch (...) {
    // A run that fails before its first checkpoint leaves nothing behind.
    std::error_code ec;
    if (!p.resume && !fs::exists(work / kTrainingStateFile, ec)) fs::remove_all(work, ec);
    throw;
  }
}

TrainBenchmark benchmarkTrainSteps(const TrainParams& p, int steps) {
  if (steps < 1) throw InputError("benchmark steps must be positive");
  applyTrainThreads(p.threads, p.device);
  const RetainedHeap heap;  // as the trainer's loop
  const torch::Device device(p.device);
  torch::manual_seed(p.seed);
  TinyLlama model(p.vocab, p.hidden, p.layers, p.heads, p.kvHeads, p.intermediate, kRmsEps);
  initialiseWeights(model, p.layers);
  model->to(device);
  torch::optim::AdamW optimizer = makeOptimizer(model, p);
  const auto [cosT, sinT] = ropeTables(exportConfig(p, p.vocab, nullptr), p.context, device);
  auto batch = [&] { return torch::randint(p.vocab, {p.batch, p.context + 1}, torch::kInt64).to(device); };
  trainStep(model, optimizer, {{batch(), cosT, sinT}}, p);  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) trainStep(model, optimizer, {{batch(), cosT, sinT}}, p);
  TrainBenchmark b;
  b.secondsPerStep =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / steps;
  b.tokensPerSecond = double(p.batch) * p.context / b.secondsPerStep;
  return b;
}

}  // namespace rope
