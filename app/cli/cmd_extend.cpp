// rope-cli extend: LongRoPE's whole recipe on a model (core/recipe/extend.h).
#include <cmath>
#include <cstdio>
#include <set>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cluster_options.h"
#include "cluster/cluster_scorer.h"
#include "io/json_util.h"
#include "recipe/extend.h"
#include "recipe/recipe_files.h"
#include "recipe/record.h"
#include "train/demo_assets.h"
#include "train/kjv_corpus.h"
#include "util/error.h"

namespace rope::cli {
namespace {

const char* kUsage =
    R"(usage: rope-cli extend --out DIR --target L'' [--model DIR|demo] [--fine-tune-length L']
                       [--data FILE[,FILE...]|demo] [--samples 4] [--population 16]
                       [--generations 8] [--short-generations G] [--seed 0]
                       [--passkey-scores] [--critical-floor]
                       [--corpus DIR|kjv] [--steps 400] [--batch 4] [--lr 0.001] [--warmup 20]
                       [--passkey-share 0.5] [--short-share 0.25]
                       [--passkey-keys by-length|uniform] [--eval-every 100]
                       [--eval-windows 32] [--refine-steps 150] [--refine-lr 0.001]
                       [--threads N] [--device cpu|cuda] [--resume]
       rope-cli extend --out DIR --status [--json]

LongRoPE's recipe (ICML 2024) in five stages in DIR:
  1. search    the long factors at L' (default L'' / 4), without n_hat     -> DIR/1-search
  2. finetune  continue training the model at L' with them (rope-cli train --init --rope),
               passkey snippets at that length included, a --short-share of each step's
               rows as windows at the original window read with the short factors
               (mixed-length fine-tuning, as Phi-3)                          -> DIR/2-finetune/model
  3. search2   search again on the fine-tuned model at L'' (progressive extension), seeded
               with stage one's factors as they are and stretched by L'' / L'; scored by
               perplexity at L'' and L' (geometric mean), with --passkey-scores also by the
               key tokens of passkey prompts at both                       -> DIR/3-search2
               (with --critical-floor stages 1 and 3 hold the pairs whose wavelength exceeds
               the original window at s or more, as rope-cli search --critical-floor)
  4. short     readjust the short factors at the original window on the fine-tuned model,
               the long factors fixed (the paper's last stage)               -> DIR/4-short
  5. refine    fine-tune again at L', --refine-steps steps at --refine-lr (warm-up a tenth),
               with the final factors (stage three's long, stage four's short): the model
               learns the window and every length above it as it will read them; the other
               options are stage two's. --refine-steps 0 leaves it out (the paper's recipe:
               stage two's weights are exported)                         -> DIR/5-refine/model
Then DIR/model: the fine-tuned weights with the final factors in config.json (a LongRoPE
block: short and long factors, max_position_embeddings L'', and the attention factor the
model was fine-tuned with, held through stages three to five), loadable by the engine and by
transformers. Every stage's output is kept; DIR/log.txt has the log, DIR/report.json each
stage's cost. A run stopped at any moment continues with --resume (the same options; others
are refused). The search options apply to all three searches (the schedule follows the
population as in rope-cli search); the fine-tuning options are rope-cli train's. The
baselines of docs/recipe.md get the same number of steps (--steps plus --refine-steps) and
the same data (--passkey-keys included). --passkey-keys: the training keys' draw, by-length
(default: a digit count uniform in 1..5 first) or uniform in 1..50000 (as the passkey test).
  --data FILES   the search documents, as for rope-cli search ("demo": the demo corpus's
                 validation split); at least one must hold L'' tokens
  --status       run nothing: what DIR holds (each stage done with its cost, stopped where a
                 resume goes on, or waiting; the command that started it; the final model),
                 read as the workbench's Recipe tab reads it; --json: as JSON with the options
)";

// --status: the folder's record (recipe/record.h), read only.
int status(const Args& a, std::ostream& out) {
  const std::string dir = a.require("out");
  const recipe::Record r = recipe::readRecord(dir);
  const int stages = recipe::stageCount(r.options);
  json_util::Json j = json_util::Json::object();
  j["folder"] = dir;
  j["command"] = r.command;
  j["options"] = recipe::optionsJson(r.options);
  j["stages"] = json_util::Json::array();
  std::string lines;
  for (int s = 0; s < stages; ++s) {
    const recipe::Stage stage = static_cast<recipe::Stage>(s);
    const recipe::StageRecord& st = r.stages[s];
    // A finished stage's entry is its stage.json.
    json_util::Json e = st.cost ? recipe::costJson(*st.cost) : json_util::Json::object();
    e["stage"] = recipe::stageName(stage);
    char line[200];
    if (st.cost) {
      const recipe::StageCost& c = *st.cost;
      e["state"] = "done";
      const bool training = recipe::isFineTuning(stage);
      std::snprintf(line, sizeof line, "%d %-8s done  %6.0f s  %5d %-11s  %s ppl %.4f\n", s + 1,
                    recipe::stageName(stage), c.seconds, training ? c.steps : c.evaluations,
                    training ? "steps" : "evaluations", training ? "validation" : "best",
                    c.bestPerplexity);
    } else if (st.started) {
      e["state"] = "stopped";
      e["where"] = recipe::stoppedAt(st, stage);
      std::snprintf(line, sizeof line, "%d %-8s %s\n", s + 1, recipe::stageName(stage),
                    recipe::stoppedAt(st, stage).c_str());
    } else {
      e["state"] = "waiting";
      std::snprintf(line, sizeof line, "%d %-8s waiting\n", s + 1, recipe::stageName(stage));
    }
    e["generations_logged"] = st.generations.size();
    e["training_steps_logged"] = st.losses.training.size();
    j["stages"].push_back(e);
    lines += line;
  }
  j["model"] = r.modelDir.empty() ? json_util::Json() : json_util::Json(r.modelDir);
  if (a.has("json")) {
    out << json_util::dump(j);
    return 0;
  }
  out << dir << ": " << recipe::finishedStages(r) << " of " << stages << " stages done"
      << (r.modelDir.empty() ? "; rope-cli extend --out DIR --resume (its options) goes on\n"
                             : "\n")
      << lines << "started by: " << r.command << "\n";
  if (!r.modelDir.empty()) out << "final model: " << r.modelDir << "\n";
  return 0;
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const std::set<std::string> flags = {"resume", "passkey-scores", "critical-floor", "status",
                                       "json"};
  const std::set<std::string> options = {
      "out", "target", "model", "fine-tune-length", "data", "samples", "population",
      "generations", "short-generations", "seed", "corpus", "steps", "batch", "lr", "warmup",
      "passkey-share", "short-share", "passkey-keys", "eval-every", "eval-windows", "threads",
      "device", "rank-timeout", "refine-steps", "refine-lr"};
  const Args a(argv, flags, options);
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  if (a.has("status")) {
    for (const std::set<std::string>* names : {&flags, &options}) {
      for (const std::string& other : *names) {
        if (other != "status" && other != "json" && other != "out" && a.has(other)) {
          throw UsageError("--status runs nothing: leave out --" + other);
        }
      }
    }
    return status(a, out);
  }
  if (a.has("json")) throw UsageError("--json goes with --status");
  recipe::Params p;
  if (const auto keys = a.choice("passkey-keys", {"by-length", "uniform"})) {
    p.passkeyKeysByLength = *keys == "by-length";
  }
  // Under mpirun the searches' candidates are scored by every rank; the rest is rank 0's.
  cluster::Session& session = cluster::Session::current();
  Transformer::Options engine;
  engine.threads = a.intValue("threads").value_or(0);
  std::unique_ptr<cluster::Farm> farm;
  if (session.distributed()) {
    joinJob(session, resolveModel(a.value("model").value_or("demo")), engine);
    farm = std::make_unique<cluster::Farm>(session, rankTimeout(a));
    if (!session.leader()) {
      cluster::serveCandidates(session, *farm, engine);
      return 0;
    }
    p.makeScorer = [&](const longrope::Params& search, int longest) {
      Transformer::Options options = search.engine;
      options.threads = engine.threads;
      return std::unique_ptr<CandidateScorer>(cluster::makeClusterScorer(
          session, *farm, search.modelDir, options, search.devices, search.batch, longest));
    };
  }
  p.outDir = a.require("out");
  const auto target = a.intValue("target");
  if (!target) throw UsageError("--target is required (e.g. --target 4096)");
  p.target = *target;
  p.modelDir = resolveModel(a.value("model").value_or("demo"));
  p.fineTuneLength = a.intValue("fine-tune-length").value_or(0);
  const std::string data = a.value("data").value_or("demo");
  if (data == "demo") {
    p.searchData.paths = demoDataFiles("validation");
    p.searchData.format = TokenFormat::Text;
  } else {
    p.searchData.paths = splitList(data);
  }
  p.samples = a.intValue("samples").value_or(p.samples);
  p.population = a.intValue("population").value_or(p.population);
  p.generations = a.intValue("generations").value_or(p.generations);
  p.shortGenerations = a.intValue("short-generations").value_or(0);
  p.passkeyScores = a.has("passkey-scores");
  p.criticalFloor = a.has("critical-floor");
  p.seed = static_cast<std::uint64_t>(a.intValue("seed").value_or(0));
  const std::string corpus = a.value("corpus").value_or("kjv");
  p.corpusDir = corpus == "kjv" ? prepareKjvCorpus(defaultCorpusDir()) : corpus;
  p.steps = a.intValue("steps").value_or(p.steps);
  p.batch = a.intValue("batch").value_or(p.batch);
  p.learningRate = a.doubleValue("lr").value_or(p.learningRate);
  p.warmupSteps = a.intValue("warmup").value_or(p.warmupSteps);
  p.passkeyShare = a.doubleValue("passkey-share").value_or(p.passkeyShare);
  p.shortShare = a.doubleValue("short-share").value_or(p.shortShare);
  p.evalEvery = a.intValue("eval-every").value_or(p.evalEvery);
  p.evalWindows = a.intValue("eval-windows").value_or(p.evalWindows);
  p.refineSteps = a.intValue("refine-steps").value_or(p.refineSteps);
  p.refineLearningRate = a.doubleValue("refine-lr").value_or(p.refineLearningRate);
  p.threads = a.intValue("threads").value_or(0);  // fine-tuning: the other ranks wait meanwhile
  p.device = a.value("device").value_or("cpu");
  p.resume = a.has("resume");
  p.command = "rope-cli extend";
  for (const auto& arg : argv) p.command += " " + arg;

  const recipe::Result r = recipe::run(p, [&](const recipe::Event& e) {
    if (!e.message.empty()) {
      err << "[";
      if (e.stage != recipe::Stage::Export) {
        err << e.stageIndex << "/" << recipe::kStageCount << " ";
      }
      err << recipe::stageName(e.stage) << "] " << e.message << "\n";
    } else if (e.train && e.train->step > 0 && e.train->step % 10 == 0) {
      char line[160];
      std::snprintf(line, sizeof line, "[%d/%d %s] step %d/%d  loss %.4f  %.0f tok/s  ETA %.0f s",
                    e.stageIndex, recipe::kStageCount, recipe::stageName(e.stage), e.train->step,
                    e.train->steps, e.train->loss, e.train->tokensPerSecond, e.train->etaSeconds);
      err << line << "\n";
    }
    return true;
  });
  for (const auto& w : r.warnings) err << "warning: " << w << "\n";
  if (r.cancelled) throw CancelledError();
  if (!r.valid) {
    err << "error: " << r.error << "\n";
    return 1;
  }
  for (const auto& c : r.stages) {
    char line[200];
    std::snprintf(line, sizeof line, "%-8s %7.0f s  %4d evaluations  %4d steps  best %.4f%s\n",
                  recipe::stageName(c.stage), c.seconds, c.evaluations, c.steps, c.bestPerplexity,
                  c.skipped ? "  (earlier run)" : "");
    out << line;
  }
  out << "wrote " << r.modelDir << "\n";
  if (farm) farm->release();
  return 0;
}

}  // namespace

Command extendCommand() {
  return {"extend",
          "LongRoPE's recipe: search, fine-tune, search again, readjust short, fine-tune again",
          std::string(kUsage) + "\n" + kClusterUsage +
              "  (extend: the searches' candidates go to every rank; fine-tuning runs on rank 0)\n",
          run, true};
}

}  // namespace rope::cli
