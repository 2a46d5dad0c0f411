// rope-cli logits: the model's logits for a token sequence, for checks against other runtimes.
#include <cstring>

#include "data/token_data.h"
#include "train/demo_assets.h"
#include "cli/cli.h"
#include "cli/cli_args.h"
#include "io/factor_files.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "util/error.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage: rope-cli logits [--model DIR|demo] --input IN.safetensors --out OUT.safetensors
                       [--device cpu|cuda] [--dtype float32|bfloat16|float16] [--rope FILE]
                       [--threads N]

Runs the model in DIR (a Hugging Face folder: config.json and model.safetensors or a sharded
index) over the int64 tensor `input_ids` ([1, T] or [T]) of IN and writes the float32 tensor
`logits` [T, vocab] to OUT (atomically).

  --device    cpu (default) or cuda
  --dtype     compute dtype, float32 (default), bfloat16 or float16
  --rope FILE replace the config's RoPE by a factor file (project JSON, LongRoPE CSV, HF config)
  --threads N CPU threads (default: one per hardware thread)
)";


int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream&) {
  const Args a(argv, {}, {"model", "input", "out", "device", "dtype", "rope", "threads"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  Transformer::Options options;
  options.device = a.value("device").value_or("cpu");
  options.dtype = parseComputeDType(a.value("dtype").value_or("float32"));
  options.threads = a.intValue("threads").value_or(0);
  const std::string outPath = a.require("out");
  const std::vector<int64_t> ids = readInputIds(a.require("input"));
  Transformer model(resolveModel(a.value("model").value_or("demo")), options);
  if (auto ropeFile = a.value("rope")) model.setFactorSet(readFactorFile(*ropeFile));
  const std::vector<float> logits = model.logits(ids);
  const int64_t vocab = model.config().vocabSize;
  const int64_t T = static_cast<int64_t>(ids.size());
  writeSafetensors(outPath, {{"logits", DType::F32, {T, vocab}, logits.data(),
                              logits.size() * sizeof(float)}},
                   {{"format", "pt"}, {"dtype", computeDTypeName(options.dtype)},
                    {"device", options.device}});
  out << "wrote logits [" << T << ", " << vocab << "] to " << outPath << "\n";
  return 0;
}

}  // namespace

Command logitsCommand() {
  return {"logits", "a model's logits for input_ids (safetensors in and out)", kUsage, run};
}

}  // namespace rope::cli
