// rope-cli ppl: long-context perplexity of a model on a token dataset, with any RoPE.
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "train/demo_assets.h"
#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cluster_options.h"
#include "cli/rope_options.h"
#include "data/tokenizer.h"
#include "eval/perplexity.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "util/error.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage: rope-cli ppl [--model DIR|demo] [--data FILE[,FILE...]|demo] --lengths 128,512,1024
                   [--samples N] [--stride S | --score-from N]
                   [--rope FILE | --method M [--factor S] [--original-max L] [--alpha A]
                    [--attention-factor A]]
                   [--format auto|bin|npy|safetensors|text] [--bin-dtype uint16|uint32]
                   [--separator-token ID] [--separator LINE] [--tokenizer FILE] [--no-bos]
                   [--device cpu|cuda] [--dtype float32|bfloat16|float16] [--threads N] [--json]

For each length L, takes the first N documents with at least L tokens, truncates them to L
(or, with --stride S, slides L-token windows with step S over each whole document, scoring
every token once) and reports the mean token NLL and PPL = exp(NLL).

  --model      a Hugging Face model folder; default: the bundled demo model
  --data       default: the demo model's test split (KJV books, prepared on first use);
               token files: .bin (raw uint16/uint32; dtype by --bin-dtype or a sidecar
               FILE.json {"dtype": "uint16"}), .npy (1-D, or 2-D = one document per row),
               .safetensors (input_ids [N] or [D, N]), or text (.txt; tokenized with the
               model's tokenizer.json, else its tokenizer.model, or --tokenizer FILE; one
               document per file or per --separator line, each with the special tokens the
               tokenizer adds, e.g. Llama's BOS, unless --no-bos)
  --score-from N  score only positions >= N (truncated mode), e.g. the model's window to
               see what happens beyond it; default 1 (every token with context)
  --samples N  documents per length (default 4)
  --rope FILE  a factor file (project JSON, LongRoPE CSV, HF config) replacing the config's RoPE
  --method M   default|linear|ntk|dynamic|yarn|llama3 on the config's RoPE, with --factor etc.
  --json       one JSON object {"results": [{length, ppl, nll, tokens, samples}],
               "methodology": {...}}
)";

nlohmann::ordered_json toJson(const perplexity::Result& r) {
  nlohmann::ordered_json j;
  j["results"] = nlohmann::ordered_json::array();
  for (const auto& lr : r.results) {
    j["results"].push_back({{"length", lr.length}, {"ppl", lr.ppl}, {"nll", lr.nll},
                            {"tokens", lr.tokens}, {"samples", lr.samples}});
  }
  const auto& m = r.methodology;
  j["methodology"] = {{"lengths", m.lengths},
                      {"samples", m.samples},
                      {"stride", m.stride},
                      {"score_from", m.scoreFrom},
                      {"mode", m.stride > 0 ? "sliding-window" : "truncate"},
                      {"dtype", m.dtype},
                      {"device", m.device},
                      {"model", m.model},
                      {"architecture", m.architecture},
                      {"dataset_fingerprint", m.datasetFingerprint},
                      {"dataset", m.datasetDescription},
                      {"rope_method", m.ropeMethod},
                      {"rope_source", m.ropeSource},
                      {"attention_factor", m.attentionFactor},
                      {"rope_factors", m.ropeFactors}};
  j["warnings"] = r.warnings;
  j["elapsed_s"] = r.elapsedSeconds;
  return j;
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const Args a(argv, {"json", "no-bos"},
               {"model", "data", "lengths", "samples", "stride", "score-from", "rope", "method", "factor",
                "original-max", "alpha", "attention-factor", "format", "bin-dtype",
                "separator-token", "separator", "tokenizer", "device", "dtype", "threads",
                "rank-timeout"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (a.has("rope") && a.has("method")) throw UsageError("give --rope or --method, not both");
  perplexity::Params p;
  p.modelDir = resolveModel(a.value("model").value_or("demo"));
  p.engine.device = a.value("device").value_or("cpu");
  p.engine.dtype = parseComputeDType(a.value("dtype").value_or("float32"));
  p.engine.threads = a.intValue("threads").value_or(0);
  const std::string data = a.value("data").value_or("demo");
  p.data.paths = data == "demo" ? demoDataFiles("test") : splitList(data);
  p.data.format = parseTokenFormat(a.value("format").value_or(data == "demo" ? "text" : "auto"));
  p.data.binDType = a.value("bin-dtype").value_or("");
  p.data.separatorToken = a.intValue("separator-token").value_or(-1);
  p.data.separatorLine = a.value("separator").value_or("");
  p.data.tokenizerPath = a.value("tokenizer").value_or("");
  p.data.addBos = !a.has("no-bos");
  auto lengths = a.intList("lengths");
  if (!lengths) throw UsageError("--lengths is required (e.g. --lengths 128,512)");
  p.lengths = *lengths;
  p.samples = a.intValue("samples").value_or(4);
  p.stride = a.intValue("stride").value_or(0);
  p.scoreFrom = a.intValue("score-from").value_or(1);
  if (auto file = a.value("rope")) {
    p.factorSet = readFactorFile(*file);
    p.ropeSource = *file;
  } else if (a.has("method")) {
    p.rope = ropeMethodParams(a, p.modelDir);
    p.ropeSource = "--method " + a.require("method");
  }
  cluster::Session& session = cluster::Session::current();
  std::vector<cluster::RankStats> ranks;  // rank 0: passes and busy time of every rank
  perplexity::Result r;
  if (session.distributed()) {
    // Every rank plans the same forward passes from the same data (checked, before any
    // evaluation); rank 0 hands them out. The data is read once, here.
    joinJob(session, p.modelDir, p.engine);
    TokenSource source = p.data;
    if (source.tokenizerPath.empty()) source.tokenizerPath = Tokenizer::modelTokenizerPath(p.modelDir);
    const TokenDataset data = loadTokens(source);
    session.requireSame("data", data.fingerprint);
    p.distribute = cluster::distributeOver(session, rankTimeout(a), &ranks);
    Transformer model(p.modelDir, p.engine);
    r = perplexity::evaluate(model, data, p);
  } else {
    r = perplexity::run(p);
  }
  if (r.status == perplexity::Status::Cancelled) throw CancelledError();
  if (!r.valid) {
    err << "error: " << r.error << "\n";
    return 1;
  }
  for (const auto& w : r.warnings) err << "warning: " << w << "\n";
  if (a.has("json")) {
    nlohmann::ordered_json j = toJson(r);
    if (session.distributed()) j["ranks"] = rankStatsJson(ranks);
    out << j.dump() << "\n";
  } else {
    out << "length     ppl           nll        tokens  samples\n";
    for (const auto& lr : r.results) {
      char line[128];
      std::snprintf(line, sizeof line, "%-8d %12.4f %12.6f %10lld %6d\n", lr.length, lr.ppl,
                    lr.nll, static_cast<long long>(lr.tokens), lr.samples);
      out << line;
    }
    out << "dataset " << r.methodology.datasetDescription << " (fingerprint "
        << r.methodology.datasetFingerprint << "), rope " << r.methodology.ropeMethod << " from "
        << r.methodology.ropeSource << ", " << r.methodology.dtype << " on "
        << r.methodology.device << ", " << r.elapsedSeconds << " s\n";
  }
  return 0;
}

}  // namespace

Command pplCommand() {
  return {"ppl", "perplexity of a model at several context lengths",
          std::string(kUsage) + "\n" + kClusterUsage, run, true};
}

}  // namespace rope::cli
