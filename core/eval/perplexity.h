#pragma once
// Long-context perplexity. For each requested length L: take the first `samples` documents
// holding at least L tokens (file order, deterministic), and
//  - stride 0: truncate each to its first L tokens, one forward pass, score tokens 1..L-1;
//  - stride S > 0: slide windows of L tokens with step S over the whole document (HF's
//    "perplexity of fixed-length models" recipe): each window scores only the tokens the
//    previous window did not, so every token after the first is scored once, with up to L-1
//    tokens of context.
// NLL is averaged over all scored tokens of that length (token-weighted), PPL = exp(NLL).
// Every result carries its methodology so numbers stay comparable.
//
// Shape of long work (STYLE.md): Result run(const Params&, const Progress&). Progress is
// called after every forward pass with (passes done, passes total); returning false cancels,
// which takes effect then (at the latest after the current forward pass). run() never throws:
// failures and cancellation are reported in the Result.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/token_data.h"
#include "model/transformer.h"
#include "rope/factor_set.h"
#include "rope/rope_params.h"
#include "util/distribute.h"

namespace rope::perplexity {

using Progress = std::function<bool(int done, int total)>;

struct Params {
  std::string modelDir;                 // HF folder; run() loads it
  Transformer::Options engine;          // device, dtype, threads
  TokenSource data;
  std::vector<int> lengths = {4096};
  int samples = 4;                      // documents per length
  int stride = 0;                       // 0: truncate; > 0: sliding windows
  // Truncated mode: score only positions >= scoreFrom (e.g. the model's window, to see what
  // happens beyond it); 1 scores every token that has context.
  int scoreFrom = 1;
  // RoPE: a factor set, else explicit params, else the config's.
  std::optional<FactorSet> factorSet;
  std::optional<RopeParams> rope;
  std::string ropeSource = "config";    // recorded in the methodology ("config", a file, ...)
  // How the forward passes run (util/distribute.h): here, in order, unless rope-cli spreads
  // them over the ranks of an MPI job. Each pass's NLL is summed in pass order either way, so
  // the result does not depend on where the passes ran.
  Distribute distribute = runHere;
};

struct LengthResult {
  int length = 0;
  double nll = 0;       // mean token NLL, nats
  double ppl = 0;       // exp(nll)
  int64_t tokens = 0;   // scored tokens
  int samples = 0;      // documents used
};

struct Methodology {
  std::vector<int> lengths;
  int samples = 0;
  int stride = 0;
  int scoreFrom = 1;
  std::string dtype, device;
  std::string model, architecture;
  std::string datasetFingerprint, datasetDescription;
  std::string ropeMethod, ropeSource;
  double attentionFactor = 1;      // at the longest length
  std::vector<double> ropeFactors; // lambda_i at the longest length
};

enum class Status { Ok, Cancelled, Failed };

struct Result {
  bool valid = false;
  Status status = Status::Failed;
  std::string error;                  // why it failed
  std::vector<std::string> warnings;  // e.g. fewer documents than samples
  double elapsedSeconds = 0;
  std::vector<LengthResult> results;
  Methodology methodology;
};

// Loads the model and data, then evaluate(). Never throws.
Result run(const Params& params, const Progress& progress = {});

// With a loaded model and dataset (the search calls this repeatedly; params.modelDir and
// params.data are ignored, the model's current RoPE is replaced only if params say so and
// restored afterwards). Throws InputError for bad params or a dataset with no document long
// enough, CancelledError when progress says stop.
Result evaluate(Transformer& model, const TokenDataset& data, const Params& params,
                const Progress& progress = {});

}  // namespace rope::perplexity
