// rope-cli passkey: LongRoPE's passkey retrieval test on a grid of lengths x depths.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cluster_options.h"
#include "cli/rope_options.h"
#include "eval/passkey.h"
#include "train/demo_assets.h"
#include "util/error.h"

namespace rope::cli {
namespace {

const char* kUsage = R"(usage: rope-cli passkey [--model DIR|demo] [--lengths 128,256,512] [--depths 0,0.5,1]
                       [--trials N] [--seed S] [--max-new-tokens N]
                       [--rope FILE | --method M [--factor S] [--original-max L] [--alpha A]
                        [--attention-factor A]]
                       [--device cpu|cuda] [--dtype float32|bfloat16|float16] [--threads N]
                       [--json] [--trials-detail]

Passkey retrieval (LongRoPE's protocol): for each length L and depth D, N prompts of exactly
L tokens (BOS included) hide "The pass key is K. Remember it. K is the pass key." in filler
text at depth D (0: right after the instruction, 1: right before the question) and end with
"What is the pass key? The pass key is". A trial is correct when the first integer of the
greedy continuation (up to --max-new-tokens, default 10) equals K; the teacher-forced
log-probability of K's tokens is reported too. Keys are random in 1..50000 from --seed
(default 1); trial t of every cell uses the same key. The model runs as transformers'
generate() runs it with a key/value cache: one pass over the prompt, one per new token, the
RoPE decided per pass (a LongRoPE model reads a prompt within its original window with the
short factors; from the first token beyond it, the whole sequence runs with the long ones, as
transformers' Phi-3 generate() recomputes its cache there).

  --model      a Hugging Face model folder with tokenizer.json or tokenizer.model; default: the
               demo model
  --lengths    prompt lengths in tokens (default 128,256,512)
  --depths     key depths in [0, 1] (default 0,0.5,1)
  --trials N   prompts per (length, depth) cell (default 10)
  --rope FILE  a factor file (project JSON, LongRoPE CSV, HF config) replacing the config's RoPE
  --method M   default|linear|ntk|dynamic|yarn|llama3 on the config's RoPE, with --factor etc.
  --json       one JSON object {"cells": [{length, depth, trials, correct, accuracy,
               mean_logprob, mean_logprob_total, achieved_depth}], "methodology": {...}}
  --trials-detail  with --json: each cell's trials (key, output, correct, logprob)
)";

// Comma-separated finite numbers; range checks are core's (exit code 1).
std::vector<double> doubleList(const Args& a, const std::string& name) {
  const std::string v = *a.value(name);
  std::vector<double> out;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t end = std::min(v.find(',', start), v.size());
    const std::string item = v.substr(start, end - start);
    double x = 0;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), x);
    if (item.empty() || r.ec != std::errc() || r.ptr != item.data() + item.size() ||
        !std::isfinite(x)) {
      throw UsageError("--" + name + " must be a comma-separated list of numbers, got '" + v + "'");
    }
    out.push_back(x);
    start = end + 1;
  }
  return out;
}

nlohmann::ordered_json toJson(const passkey::Result& r, bool detail) {
  nlohmann::ordered_json j;
  j["cells"] = nlohmann::ordered_json::array();
  for (const auto& c : r.cells) {
    nlohmann::ordered_json cell = {{"length", c.length},
                                   {"depth", c.depth},
                                   {"trials", c.trials},
                                   {"correct", c.correct},
                                   {"accuracy", c.accuracy},
                                   {"mean_logprob", c.meanLogprob},
                                   {"mean_logprob_total", c.meanLogprobTotal},
                                   {"achieved_depth", c.achievedDepth}};
    if (detail) {
      cell["trial_scores"] = nlohmann::ordered_json::array();
      for (const auto& s : c.scores) {
        cell["trial_scores"].push_back({{"key", s.key},
                                        {"output", s.output},
                                        {"correct", s.correct},
                                        {"logprob", s.logprob},
                                        {"logprob_per_token", s.logprobPerToken}});
      }
    }
    j["cells"].push_back(std::move(cell));
  }
  const auto& m = r.methodology;
  j["methodology"] = {{"test", "passkey retrieval (LongRoPE, arXiv 2402.13753)"},
                      {"lengths", m.lengths},
                      {"depths", m.depths},
                      {"trials", m.trials},
                      {"seed", m.seed},
                      {"keys", m.keys},
                      {"max_new_tokens", m.maxNewTokens},
                      {"bos", m.bos},
                      {"prompt", m.prompt},
                      {"scoring", m.scoring},
                      {"model", m.model},
                      {"architecture", m.architecture},
                      {"original_max_position", m.originalMaxPosition},
                      {"dtype", m.dtype},
                      {"device", m.device},
                      {"rope_method", m.ropeMethod},
                      {"rope_source", m.ropeSource}};
  j["elapsed_s"] = r.elapsedSeconds;
  return j;
}

void printTable(const passkey::Result& r, std::ostream& out) {
  out << "length  depth  accuracy  correct/trials  mean_logprob  achieved_depth\n";
  for (const auto& c : r.cells) {
    char line[160];
    std::snprintf(line, sizeof line, "%-7d %5.2f  %8.2f  %7d/%-6d  %12.4f  %14.3f\n", c.length,
                  c.depth, c.accuracy, c.correct, c.trials, c.meanLogprob, c.achievedDepth);
    out << line;
  }
  const auto& m = r.methodology;
  out << "model " << m.model << " (window " << m.originalMaxPosition << "), rope " << m.ropeMethod
      << " from " << m.ropeSource << ", seed " << m.seed << ", " << m.dtype << " on " << m.device
      << ", " << r.elapsedSeconds << " s\n";
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const Args a(argv, {"json", "trials-detail"},
               {"model", "lengths", "depths", "trials", "seed", "max-new-tokens", "rope", "method",
                "factor", "original-max", "alpha", "attention-factor", "device", "dtype",
                "threads", "rank-timeout"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (a.has("trials-detail") && !a.has("json")) throw UsageError("--trials-detail needs --json");
  if (a.has("rope") && a.has("method")) throw UsageError("give --rope or --method, not both");
  passkey::Params p;
  p.engine.device = a.value("device").value_or("cpu");
  p.engine.dtype = parseComputeDType(a.value("dtype").value_or("float32"));
  p.engine.threads = a.intValue("threads").value_or(0);
  if (auto lengths = a.intList("lengths")) p.lengths = *lengths;
  if (a.has("depths")) p.depths = doubleList(a, "depths");
  p.trials = a.intValue("trials").value_or(p.trials);
  if (auto seed = a.intValue("seed")) {
    if (*seed < 0) throw UsageError("--seed must not be negative");
    p.seed = static_cast<uint64_t>(*seed);
  }
  p.maxNewTokens = a.intValue("max-new-tokens").value_or(p.maxNewTokens);
  p.modelDir = resolveModel(a.value("model").value_or("demo"));
  RopeChoice rope = ropeChoice(a, p.modelDir);
  p.factorSet = std::move(rope.factorSet);
  p.rope = std::move(rope.rope);
  p.ropeSource = rope.source;

  cluster::Session& session = cluster::Session::current();
  std::vector<cluster::RankStats> ranks;  // rank 0: trials and busy time of every rank
  if (session.distributed()) {
    // Every rank builds the same prompts (same tokenizer, keys from --seed); rank 0 hands the
    // trials out.
    joinJob(session, p.modelDir, p.engine);
    p.distribute = cluster::distributeOver(session, rankTimeout(a), &ranks);
  }
  const passkey::Result r = passkey::run(p);
  if (r.status == passkey::Status::Cancelled) throw CancelledError();
  if (!r.valid) {
    err << "error: " << r.error << "\n";
    return 1;
  }
  if (a.has("json")) {
    nlohmann::ordered_json j = toJson(r, a.has("trials-detail"));
    if (session.distributed()) j["ranks"] = rankStatsJson(ranks);
    out << j.dump() << "\n";
  } else {
    printTable(r, out);
  }
  return 0;
}

}  // namespace

Command passkeyCommand() {
  return {"passkey", "passkey retrieval accuracy over lengths x depths",
          std::string(kUsage) + "\n" + kClusterUsage, run, true};
}

}  // namespace rope::cli
