// rope-cli attention: one layer's causal softmax attention probabilities and their entropy,
// for checks against other runtimes and for scripts.
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "data/token_data.h"
#include "analysis/attention_analysis.h"
#include "cli/cli.h"
#include "cli/cli_args.h"
#include "io/factor_files.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage: rope-cli attention --input IN.safetensors --layer L --out OUT.safetensors
                          [--model DIR] [--heads all|H1,H2,..] [--rope FILE]
                          [--device cpu|cuda] [--dtype float32|bfloat16|float16] [--threads N]

Runs the model over the int64 tensor `input_ids` ([1, T] or [T]) of IN up to layer L and
writes, for the chosen query heads of that layer (atomically, to OUT):
  attention  float32 [heads, T, T]: causal softmax probabilities (row: query, column: key),
             as Hugging Face's eager attention computes them (scale head_dim^-0.5, softmax in
             float32, grouped-query heads, sliding window)
  entropy    float32 [heads, T]: entropy of each query's attention, natural log (nats)
and prints per head the mean entropy, the attention-sink mass (first 4 keys) and the mass on
keys beyond the training window.

  --model DIR  Hugging Face folder (default: demo, the bundled demo model)
  --layer L    layer index, 0-based
  --heads      all (default) or 0-based query heads, e.g. 0,3
  --rope FILE  replace the config's RoPE by a factor file (project JSON, LongRoPE CSV, HF config)
  --device     cpu (default) or cuda
  --dtype      compute dtype, float32 (default), bfloat16 or float16
  --threads N  CPU threads (default: one per hardware thread)
)";


std::vector<int> parseHeads(const std::string& text) {
  std::vector<int> heads;
  if (text == "all") return heads;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int v = -1;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || v < 0) {
      throw UsageError("--heads: '" + text + "' is not 'all' or a list of head indices (0,2)");
    }
    heads.push_back(v);
  }
  if (heads.empty()) throw UsageError("--heads: no head given");
  return heads;
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream&) {
  const Args a(argv, {},
               {"model", "input", "out", "layer", "heads", "rope", "device", "dtype", "threads"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const int layer = a.intValue("layer").value_or(-1);
  if (!a.has("layer")) throw UsageError("--layer is required");
  const std::string outPath = a.require("out");

  attention::Params p;
  p.engine.device = a.value("device").value_or("cpu");
  p.engine.dtype = parseComputeDType(a.value("dtype").value_or("float32"));
  p.engine.threads = a.intValue("threads").value_or(0);
  p.heads = parseHeads(a.value("heads").value_or("all"));
  p.layers = {layer};
  p.ids = readInputIds(a.require("input"));
  p.keepFull = true;
  p.grid = 0;
  p.pairShareRows = 0;
  if (auto ropeFile = a.value("rope")) p.factorSet = readFactorFile(*ropeFile);

  Transformer model(resolveModel(a.value("model").value_or("demo")), p.engine);
  const attention::Result r = attention::analyze(model, p);
  if (!r.valid) throw InputError(r.error);

  const int64_t T = r.tokens, H = static_cast<int64_t>(r.heads.size());
  std::vector<float> probs, entropy;
  probs.reserve(static_cast<size_t>(H * T * T));
  entropy.reserve(static_cast<size_t>(H * T));
  for (const auto& h : r.heads) {
    probs.insert(probs.end(), h.full.begin(), h.full.end());
    entropy.insert(entropy.end(), h.entropy.begin(), h.entropy.end());
  }
  std::string heads;
  for (const auto& h : r.heads) heads += (heads.empty() ? "" : ",") + std::to_string(h.head);
  writeSafetensors(outPath,
                   {{"attention", DType::F32, {H, T, T}, probs.data(), probs.size() * 4},
                    {"entropy", DType::F32, {H, T}, entropy.data(), entropy.size() * 4}},
                   {{"format", "pt"}, {"layer", std::to_string(layer)}, {"heads", heads},
                    {"rope", r.ropeDescription}, {"dtype", computeDTypeName(p.engine.dtype)}});
  out << "wrote attention [" << H << ", " << T << ", " << T << "] and entropy [" << H << ", "
      << T << "] of layer " << layer << " to " << outPath << "\n";
  out << "head  mean entropy (nats)  sink mass (first " << p.sinkTokens
      << ")  mass beyond window " << r.trainingWindow << "\n";
  for (const auto& h : r.heads) {
    out << std::setw(4) << h.head << "  " << std::setw(19) << std::fixed << std::setprecision(4)
        << h.meanEntropy << "  " << std::setw(18) << h.meanSinkMass << "  " << std::setw(16)
        << h.meanBeyondWindowMass << "\n";
  }
  return 0;
}

}  // namespace

Command attentionCommand() {
  return {"attention", "one layer's attention probabilities and entropy (safetensors out)",
          kUsage, run};
}

}  // namespace rope::cli
