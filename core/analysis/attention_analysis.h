#pragma once
// Attention analyses of one token sequence under one RoPE (the config's, a factor set, or
// explicit params): for chosen layers and heads, the causal softmax probabilities (as Hugging
// Face's eager attention computes them) are walked per head and per block of query rows, and
// summarised (attention_summary.h): entropy per query position, attention-sink mass, mass
// beyond the training window, mean attention per distance, the matrix pooled to a display
// grid, and the logit share per RoPE pair. Memory: the forward pass, one layer's q/k, one
// block of rows and O(T + grid^2) per analysed head; the full T x T only with keepFull.
//
// Shape of long work (STYLE.md): Result run(const Params&, const Progress&). Progress gets
// (blocks done, blocks total) after every block of rows, and after each layer the forward pass
// only passes through; returning false cancels, which takes effect then. run() and analyze() never throw: failures and cancellation are in the Result.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/attention_summary.h"
#include "model/transformer.h"
#include "rope/factor_set.h"
#include "rope/rope_params.h"

namespace rope::attention {

using Progress = std::function<bool(int64_t done, int64_t total)>;

struct Params {
  std::string modelDir = "demo";        // run() loads it ("demo": resolveModel)
  Transformer::Options engine;          // device, dtype, threads
  std::vector<int64_t> ids;             // the sequence, positions 0..T-1
  std::vector<int> layers;              // empty: every layer
  std::vector<int> heads;               // query heads; empty: every head
  // RoPE: a factor set, else explicit params, else the config's.
  std::optional<FactorSet> factorSet;
  std::optional<RopeParams> rope;
  int trainingWindow = 0;               // distance for "beyond the window"; 0: the model's
                                        // original window (original_max_position_embeddings,
                                        // else max_position_embeddings)
  int sinkTokens = 4;                   // the first keys counted as attention sink
  int grid = 512;                       // display grid side; 0: no grid
  Pooling pooling = Pooling::Max;
  Region region;                        // what the grid covers (default: everything)
  bool keepFull = false;                // keep every head's full T x T probabilities
  int pairShareRows = 64;               // query rows (evenly spaced) for the per-pair logit
                                        // shares; 0: skip them
  int64_t blockBytes = 32ll << 20;      // float32 scores per block of rows
};

enum class Status { Ok, Cancelled, Failed };

struct Result {
  bool valid = false;
  Status status = Status::Failed;
  std::string error;                    // why it failed
  double elapsedSeconds = 0;
  int64_t tokens = 0;
  int trainingWindow = 0;               // as resolved
  int numLayers = 0, numHeads = 0;      // the model's
  int ropePairs = 0;                    // rotaryDim / 2
  bool partialRotary = false;           // pairShare has one more entry: the non-rotary dims
  std::string ropeDescription;          // "longrope, attention factor 1.19" / "config (default)"
  std::vector<HeadSummary> heads;       // layer-major, in the order asked
};

// Loads the model, then analyze(). Never throws.
Result run(const Params& params, const Progress& progress = {});

// With a loaded model (params.modelDir and engine ignored). Installs the params' RoPE for the
// analysis and restores the model's previous RoPE afterwards. Never throws: bad layers, heads,
// ids or regions give a failed Result with the reason.
Result analyze(Transformer& model, const Params& params, const Progress& progress = {});

// The query rows pairLogitShares uses: `count` rows evenly spaced over [0, T), the last row
// included, ascending and unique.
std::vector<int64_t> pairShareRows(int64_t tokens, int count);

}  // namespace rope::attention
