#pragma once
// Trains the demo model: a small Llama-architecture language model with plain RoPE, at a short
// window, on the KJV corpus (train/kjv_corpus.h), with a share of passkey retrieval snippets
// that fit inside the window. AdamW with warm-up and a cosine schedule, periodic validation,
// checkpoints and resume, a fixed seed. The result is a Hugging Face folder (config.json,
// model.safetensors in float16, tokenizer.model) that the engine and transformers both load.
//
// Work happens in OUT.partial; OUT appears (by rename) only when training has finished, so an
// interrupted run never leaves a half-written model. Torch headers stay in trainer.cpp.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "rope/factor_set.h"

namespace rope {

struct TrainParams {
  std::string corpusDir;  // a prepared corpus: train/, validation/ (.txt documents)
  std::string outDir;     // must not exist
  int context = 128;      // the "pretrained" window, also max_position_embeddings
  int layers = 4;
  int hidden = 256;
  int heads = 4;  // head_dim = hidden / heads
  int kvHeads = 4;
  int intermediate = 688;
  int vocab = 4096;  // SentencePiece pieces
  double ropeBase = 10000.0;
  int steps = 3000;
  int batch = 32;  // windows of context + 1 tokens per step
  double learningRate = 2e-3;
  double minLearningRateRatio = 0.1;
  int warmupSteps = 100;
  double weightDecay = 0.1;
  double gradClip = 1.0;
  double passkeyShare = 0.25;  // share of windows that are passkey snippets
  double passkeyNeedles = 0;   // share of those that are needles in corpus text
  // Training snippets' keys: false, uniform in 1..50000 (the passkey test's draw: 80% have
  // five digits, 2% three); true, balanced by length: a digit count uniform in 1..5, then a key
  // uniform among those of that many digits, so that short keys are as common as long ones.
  // Validation snippets keep the test's draw.
  bool passkeyKeysByLength = false;
  std::uint64_t seed = 1;
  int evalEvery = 250;  // steps between validations (and checkpoints)
  int evalWindows = 64;
  int threads = 0;             // CPU threads; 0: all
  std::string device = "cpu";  // "cpu" or "cuda"
  bool resume = false;         // continue OUT.partial
  std::string command;         // the command line, recorded in the model folder

  // Fine-tuning. initDir: continue this Hugging Face folder instead of a new model: a Llama
  // model with tied embeddings, no biases and a tokenizer.model (what this trainer writes). Its
  // shape, RoPE base and tokenizer are taken from it (the shape fields above are ignored); the
  // optimizer starts fresh; the context must exceed its original window.
  std::string initDir;
  // With initDir: the factor set applied in every forward pass (its long factors at the
  // training context, its attention factor), written into the exported config as a LongRoPE
  // block (short and long factors, original_max_position_embeddings, max_position_embeddings =
  // context) that the engine and transformers read alike; training uses the RoPE read back from
  // that config. Short factors: the set's, else ones (the pretrained RoPE at its window). Sets
  // with n_hat or per-layer factors are refused (a config cannot hold them). Empty: the init
  // model's own RoPE and config.
  std::optional<FactorSet> rope;
  // With initDir: the share of each step's windows (rounded to whole rows of the batch) that
  // are replaced by windows at the model's original window L, context / L of them per row,
  // read with the RoPE the exported config gives at that length (a LongRoPE config's short
  // factors and its attention factor). Mixed-length fine-tuning, as Phi-3's LongRoPE models
  // were trained: the model keeps its short-context quality under the config it ships with.
  // Validation then also reports windows of L tokens. 0: every window at the context.
  double shortShare = 0;
};

struct TrainProgress {
  int step = 0;
  int steps = 0;
  double loss = 0;  // training loss of this step (nats/token)
  double learningRate = 0;
  double tokensPerSecond = 0;
  double etaSeconds = 0;
  std::optional<double> validationLoss;  // set on validation steps
  // Set on validation steps: nats per key token on passkey snippets of validation text, and
  // the share of them whose every key token is the model's top choice (greedy retrieval).
  std::optional<double> passkeyLoss;
  std::optional<double> passkeyAccuracy;
  // Set on validation steps when short windows are trained (TrainParams::shortShare): nats
  // per token on validation windows at the original window.
  std::optional<double> shortValidationLoss;
  std::string message;  // "tokenizer trained", "checkpoint written", ...
};
// Return false to stop; the last checkpoint stays in OUT.partial for --resume.
// The files of a run: it works in trainingWorkDir(OUT) (its checkpoint's state in
// kTrainingStateFile there, with the log so far) until it has finished; the exported OUT
// holds the whole log in kTrainingLogFile.
inline std::string trainingWorkDir(const std::string& outDir) { return outDir + ".partial"; }
inline constexpr const char* kTrainingStateFile = "state.json";
inline constexpr const char* kTrainingLogFile = "training_log.txt";
using TrainProgressFn = std::function<bool(const TrainProgress&)>;

struct TrainResult {
  bool valid = false;
  bool cancelled = false;
  std::string error;
  double seconds = 0;
  int steps = 0;
  double validationLoss = 0;
  double validationPerplexity = 0;
  std::string modelDir;
};

// For benchmarks: `steps` optimizer steps of the trainer's own step (forward, cross-entropy,
// backward, gradient clipping, AdamW) on a new model of params' shape with random windows of
// context + 1 tokens, batch per step, after one warm-up step, with the training's threads.
struct TrainBenchmark {
  double tokensPerSecond = 0;  // batch x context per step
  double secondsPerStep = 0;
};
TrainBenchmark benchmarkTrainSteps(const TrainParams& params, int steps);

// Throws InputError for bad params, an --init folder the trainer cannot continue, a factor set
// that does not fit it, or an output folder that exists (before any work).
void validateTrainParams(const TrainParams& params);
TrainResult train(const TrainParams& params, const TrainProgressFn& progress);

}  // namespace rope
