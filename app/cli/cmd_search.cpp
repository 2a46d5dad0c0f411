// rope-cli search: LongRoPE's evolutionary search of per-pair rescale factors on a model.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cluster_options.h"
#include "cluster/cluster_scorer.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "search/longrope_search.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "util/files.h"

namespace rope::cli {
namespace {

const char* kUsage =
    R"(usage: rope-cli search [--model DIR] [--data FILE[,FILE...]] --target-length L
                      [--population P] [--parents K] [--mutations M] [--crossovers C]
                      [--generations G] [--mutation-prob P] [--samples N] [--seed S]
                      [--fitness perplexity|needle|passkey]
                      [--lambda-min X] [--lambda-max X | --lambda-max-scale X] [--step X]
                      [--original-window L] [--no-n-hat] [--critical-floor] [--search-attention]
                      [--attention-min A] [--attention-max A] [--attention-factor A]
                      [--also-score-at L[,L...]]
                      [--screen] [--screen-samples N] [--screen-length L] [--screen-keep F]
                      [--early-stop G] [--early-stop-tol X] [--n-hat-sweep K]
                      [--seeds FILE[,FILE...]]
                      [--stage2-target L2] [--short-factors] [--short-generations G]
                      [--long-factors FILE]
                      [--checkpoint FILE] [--resume] [--out FILE] [--export-hf CONFIG]
                      [--name NAME] [--device auto|cpu|cuda|cuda:N[,...]] [--batch B]
                      [--dtype float32|bfloat16|float16] [--threads N] [--json]
                      [--format auto|bin|npy|safetensors|text] [--bin-dtype uint16|uint32]
                      [--separator-token ID] [--separator LINE] [--tokenizer FILE] [--no-bos]

LongRoPE (ICML 2024): evolves per-pair factors lambda_i (monotone, on a 0.01 grid within
[1, 1.25 s], s = L / the original window) and n_hat, seeded with PI, NTK-aware, dynamic NTK
and YaRN at s (dynamic NTK's factors exceed 1.25 s: it is a seed only with wider bounds). Fitness: perplexity of the first N documents with at least L tokens, each
truncated to L (or --fitness needle). Prints one line per generation; writes the best set as
project JSON.

  --model DIR        HF model folder, or "demo" (default) for the bundled demo model
  --data FILES       token files as for rope-cli ppl, or "demo" (default): the demo corpus's
                     validation split (keep the test split for the final comparison)
  --target-length L  the context to search for (must exceed the original window)
  --population P     64 (default); --parents, --mutations and --crossovers, when not given,
                     follow the population as in the paper's schedule (64: 32, 16, 16): half
                     of P as parents, a quarter each as mutations and crossovers, at least 1;
                     --generations 40; --mutation-prob 0.3
  --samples N        documents per evaluation (default 5)
  --fitness F        perplexity (default, the paper's) or needle: LongRoPE2's needle-driven
                     perplexity: each document gets "The pass key is K. Remember it. K is the
                     pass key." at a depth (spread over the documents) and ends with "What is
                     the pass key? The pass key is K"; only K's tokens are scored; or passkey:
                     the passkey test's own prompt (instruction, filler, the key sentence at
                     a depth, the question) then K, only K's tokens scored
  --seed S           random seed (default 0): equal seeds give equal searches
  --lambda-min/--lambda-max/--lambda-max-scale/--step   the factor grid (1, 1.25 s, 0.01)
  --original-window  the model's pretrained window L (default: from its config)
  --critical-floor   hold the pairs whose wavelength exceeds the original window (from the
                     critical pair on, as rope-cli rope prints it) at s or more (LongRoPE2's
                     critical dimension): they never completed a rotation in pretraining, and
                     a factor below s takes them past the angles the model has seen; seeds
                     below are raised to s (stage two: s2; the short factors: no floor)
  --no-n-hat         keep n_hat = 0; --search-attention also searches the attention factor
                     (default: LongRoPE's sqrt(1 + ln s / ln L)) in [--attention-min 1,
                     --attention-max 1.5]; --attention-factor A holds it at A instead
  --also-score-at LS also score the long factors at these lengths (above the original window,
                     up to the target; the same documents truncated), each with the search's
                     fitness or as FITNESS:L: the fitness becomes the geometric mean of the
                     target's and these, for factors that serve every length up to the target
                     (a LongRoPE config applies its long factors at every length beyond the
                     window), e.g. 1024,passkey:1024,passkey:4096
  --screen           score children on --screen-samples documents (1) at --screen-length
                     (default: the target) first; only the best --screen-keep (0.5) get the
                     full evaluation
  --early-stop G     stop when the best improved by less than --early-stop-tol (0.001) in G
                     generations
  --n-hat-sweep K    when the schedule ends, score the best K distinct curves with every
                     n_hat choice (LongRoPE's internal code); 0 (default): off
  --seeds FILES      factor files (project JSON, LongRoPE CSV, HF config) added to the seeds
  --stage2-target L2 progressive extension: a second search at L2 whose factors multiply the
                     first's
  --short-factors    then search the short factors at the original window (Phi-3's
                     short_factor) with --short-generations G (default: --generations)
  --long-factors FILE  the short readjust alone: keep FILE's long factors (and its n_hat and
                     attention factor; --target-length defaults to its target) and search only
                     the short factors at the original window (LongRoPE's last step, on a
                     fine-tuned model)
  --checkpoint FILE  written atomically after every batch (and FILE.stage2, FILE.short);
                     --resume continues it without losing an evaluated candidate
  --out FILE         the best factor set, project JSON (default searched-L.json); loadable by
                     rope-cli ppl --rope
  --export-hf CFG    also write a Phi-3-style longrope config (short_factor, long_factor):
                     CFG is patched if it exists (only its RoPE keys), else made from the
                     model's config.json
  --device D         auto (default: every visible CUDA device, one model replica each, else
                     the CPU); --batch B candidates per forward pass (default: automatic)
  --json             the last line is one JSON object: best_ppl, evaluations, generations,
                     seconds, out, ...
)";

// "1024,passkey:1024,passkey:4096": lengths, each with the search's fitness or FITNESS:.
std::vector<longrope::Score> parseScores(const std::string& text, longrope::Fitness fitness) {
  std::vector<longrope::Score> out;
  for (const std::string& item : splitList(text)) {
    const size_t colon = item.find(':');
    longrope::Score sc;
    sc.fitness = fitness;
    try {
      if (colon != std::string::npos) sc.fitness = longrope::parseFitness(item.substr(0, colon));
      const std::string length = colon == std::string::npos ? item : item.substr(colon + 1);
      size_t used = 0;
      sc.length = std::stoi(length, &used);
      if (used != length.size() || sc.length < 1) throw std::invalid_argument(length);
    } catch (const std::exception&) {
      throw UsageError("--also-score-at takes lengths, each optionally FITNESS:L (perplexity, "
                       "needle, passkey), got '" + item + "'");
    }
    out.push_back(sc);
  }
  return out;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

longrope::Params readParams(const Args& a) {
  longrope::Params p;
  p.modelDir = resolveModel(a.value("model").value_or("demo"));
  const std::string data = a.value("data").value_or("demo");
  p.data.paths = data == "demo" ? demoDataFiles("validation") : splitList(data);
  p.data.format = parseTokenFormat(a.value("format").value_or("auto"));
  p.data.binDType = a.value("bin-dtype").value_or("");
  p.data.separatorToken = a.intValue("separator-token").value_or(-1);
  p.data.separatorLine = a.value("separator").value_or("");
  p.data.tokenizerPath = a.value("tokenizer").value_or("");
  p.data.addBos = !a.has("no-bos");
  if (auto file = a.value("long-factors")) {
    // The short readjust alone, for the long factors of FILE.
    const auto sets = readFactorFiles(*file);
    if (sets.size() != 1) {
      throw UsageError("--long-factors needs a file with one factor set; " + *file + " has " +
                       std::to_string(sets.size()));
    }
    p.longFactors = sets.front();
  }
  const auto target = a.intValue("target-length");
  if (!target && !(p.longFactors && p.longFactors->targetLength > 0)) {
    throw UsageError("--target-length is required (e.g. --target-length 512)");
  }
  p.targetLength = target.value_or(0);
  p.originalWindow = a.intValue("original-window").value_or(0);
  p.samples = a.intValue("samples").value_or(p.samples);
  const std::string fitness = a.value("fitness").value_or("perplexity");
  try {
    p.fitness = longrope::parseFitness(fitness);
  } catch (const InputError&) {
    throw UsageError("--fitness must be perplexity, needle or passkey, got '" + fitness + "'");
  }
  p.population = a.intValue("population").value_or(p.population);
  // What the user leaves out follows the population, as in the workbench.
  const GenerationSchedule schedule = scheduleForPopulation(p.population);
  p.parents = a.intValue("parents").value_or(schedule.parents);
  p.mutations = a.intValue("mutations").value_or(schedule.mutations);
  p.crossovers = a.intValue("crossovers").value_or(schedule.crossovers);
  p.generations = a.intValue("generations").value_or(p.generations);
  p.mutationProbability = a.doubleValue("mutation-prob").value_or(p.mutationProbability);
  if (auto s = a.value("seed")) {
    try {
      size_t used = 0;
      p.seed = std::stoull(*s, &used);
      if (used != s->size()) throw std::invalid_argument(*s);
    } catch (const std::exception&) {
      throw UsageError("--seed must be a non-negative integer, got '" + *s + "'");
    }
  }
  p.lambdaMin = a.doubleValue("lambda-min").value_or(p.lambdaMin);
  p.lambdaMax = a.doubleValue("lambda-max").value_or(0);
  p.lambdaMaxScale = a.doubleValue("lambda-max-scale").value_or(p.lambdaMaxScale);
  p.step = a.doubleValue("step").value_or(p.step);
  p.searchNHat = !a.has("no-n-hat");
  p.criticalFloor = a.has("critical-floor");
  p.searchAttention = a.has("search-attention");
  p.attentionMin = a.doubleValue("attention-min").value_or(p.attentionMin);
  p.attentionMax = a.doubleValue("attention-max").value_or(p.attentionMax);
  p.attentionFactor = a.doubleValue("attention-factor");
  if (auto scores = a.value("also-score-at")) p.alsoScore = parseScores(*scores, p.fitness);
  p.screening = a.has("screen") || a.has("screen-samples") || a.has("screen-length");
  p.screenSamples = a.intValue("screen-samples").value_or(p.screenSamples);
  p.screenLength = a.intValue("screen-length").value_or(0);
  p.screenKeep = a.doubleValue("screen-keep").value_or(p.screenKeep);
  if (!(p.screenKeep > 0 && p.screenKeep <= 1)) throw UsageError("--screen-keep must be in (0, 1]");
  p.earlyStopPatience = a.intValue("early-stop").value_or(0);
  p.earlyStopTolerance = a.doubleValue("early-stop-tol").value_or(p.earlyStopTolerance);
  p.nHatSweep = a.intValue("n-hat-sweep").value_or(0);
  if (p.nHatSweep < 0) throw UsageError("--n-hat-sweep must not be negative");
  if (auto files = a.value("seeds")) {
    for (const auto& f : splitList(*files)) {
      for (auto set : readFactorFiles(f)) {
        if (set.name.empty()) set.name = f;
        p.seeds.push_back(std::move(set));
      }
    }
  }
  p.stage2Target = a.intValue("stage2-target").value_or(0);
  p.searchShortFactors = a.has("short-factors") || p.longFactors.has_value();
  p.shortGenerations = a.intValue("short-generations").value_or(0);
  p.checkpointPath = a.value("checkpoint").value_or("");
  p.resume = a.has("resume");
  if (p.resume && p.checkpointPath.empty()) throw UsageError("--resume needs --checkpoint FILE");
  p.devices = a.value("device").value_or("auto");
  p.batch = a.intValue("batch").value_or(0);
  p.engine.dtype = parseComputeDType(a.value("dtype").value_or("float32"));
  p.engine.threads = a.intValue("threads").value_or(0);
  return p;
}

void writeOutputs(const Args& a, const longrope::Params& p, const FactorSet& best,
                  const std::string& out, std::vector<std::string>& warnings) {
  // Check the HF export can be made before anything is written.
  std::string hfText;
  if (auto cfg = a.value("export-hf")) {
    const std::string from =
        std::filesystem::exists(*cfg) ? configPath(*cfg) : configPath(p.modelDir);
    hfText = patchHfConfig(readFile(from), best, from, &warnings);
  }
  writeProject(out, {best});
  if (auto cfg = a.value("export-hf")) {
    writeFileAtomic(std::filesystem::is_directory(*cfg) ? configPath(*cfg) : *cfg, hfText);
  }
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const Args a(
      argv,
      {"json", "no-bos", "resume", "no-n-hat", "critical-floor", "search-attention", "screen",
       "short-factors"},
      {"model",
       "data",
       "target-length",
       "long-factors",
       "population",
       "parents",
       "mutations",
       "crossovers",
       "generations",
       "mutation-prob",
       "samples",
       "fitness",
       "seed",
       "lambda-min",
       "lambda-max",
       "lambda-max-scale",
       "step",
       "original-window",
       "attention-min",
       "attention-max",
       "attention-factor",
       "also-score-at",
       "screen-samples",
       "screen-length",
       "screen-keep",
       "early-stop",
       "early-stop-tol",
       "n-hat-sweep",
       "seeds",
       "stage2-target",
       "short-generations",
       "checkpoint",
       "out",
       "export-hf",
       "name",
       "device",
       "batch",
       "dtype",
       "threads",
       "format",
       "bin-dtype",
       "separator-token",
       "separator",
       "tokenizer",
       "rank-timeout"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  longrope::Params p = readParams(a);
  cluster::Session& session = cluster::Session::current();
  joinJob(session, p.modelDir, p.engine);  // several ranks: same build, model, dtype
  std::unique_ptr<cluster::Farm> farm;
  if (session.distributed()) farm = std::make_unique<cluster::Farm>(session, rankTimeout(a));
  if (!session.leader()) {
    // A replica that scores the candidates rank 0 sends, until rank 0 is done.
    cluster::serveCandidates(session, *farm, p.engine);
    return 0;
  }
  std::vector<std::string> rankDevices;
  if (farm) {
    // Rank 0 runs the evolution; the candidates go to every rank through the farm.
    p.makeScorer = [&](int longest) -> std::unique_ptr<CandidateScorer> {
      auto scorer = cluster::makeClusterScorer(session, *farm, p.modelDir, p.engine, p.devices,
                                               p.batch, longest);
      rankDevices = scorer->devices();
      return scorer;
    };
  }
  const int finalTarget = p.stage2Target > 0  ? p.stage2Target
                          : p.targetLength > 0 ? p.targetLength
                                               : p.longFactors->targetLength;
  const std::string outPath =
      a.value("out").value_or("searched-" + std::to_string(finalTarget) + ".json");
  const bool json = a.has("json");

  // Per generation: what --json reports as "history" (wall time included, for benchmarks).
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  const auto t0 = std::chrono::steady_clock::now();
  const auto progress = [&](const std::string& stage, const SearchEvent& e) {
    if (e.kind != SearchEvent::GenerationDone) return true;
    history.push_back(
        {{"stage", stage},
         {"generation", e.generation},
         {"best", e.best},
         {"mean", e.mean},
         {"evaluations", e.evaluations},
         {"screenings", e.screenings},
         {"seconds",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}});
    const int total =
        stage == "short" && p.shortGenerations > 0 ? p.shortGenerations : p.generations;
    out << "[" << stage << "] generation " << e.generation << "/" << total << "  best "
        << fmt("%.4f", e.best) << "  mean " << fmt("%.4f", e.mean) << "  evaluations "
        << e.evaluations;
    if (e.screenings > 0) out << " (+" << e.screenings << " screenings)";
    if (e.bestCandidate) {
      out << "  n_hat " << e.bestCandidate->nHat;
      if (e.bestCandidate->attentionFactor) {
        out << "  attention " << fmt("%.2f", *e.bestCandidate->attentionFactor);
      }
    }
    out << "\n" << std::flush;
    return true;
  };
  const longrope::Result r = longrope::run(p, progress);
  for (const auto& w : r.warnings) err << "warning: " << w << "\n";
  if (r.status == longrope::Status::Cancelled) throw CancelledError();
  if (!r.valid) {
    err << "error: " << r.error << "\n";
    if (session.distributed() && !p.checkpointPath.empty()) {
      err << "the checkpoint " << p.checkpointPath
          << " holds every candidate scored before; --resume continues it with any number of "
             "ranks\n";
    }
    return 1;
  }
  if (farm) farm->release();
  FactorSet best = r.best;
  if (auto name = a.value("name")) best.name = *name;
  std::vector<std::string> warnings;
  writeOutputs(a, p, best, outPath, warnings);
  for (const auto& w : warnings) err << "warning: " << w << "\n";

  if (json) {
    nlohmann::ordered_json j;
    j["best_ppl"] = r.bestPerplexity;
    j["fitness"] = longrope::fitnessName(p.fitness);
    j["evaluations"] = r.evaluations;
    j["screenings"] = r.screenings;
    j["generations"] = r.generations;
    j["seconds"] = r.elapsedSeconds;
    j["out"] = outPath;
    if (auto cfg = a.value("export-hf")) j["export_hf"] = *cfg;
    j["devices"] = r.devices;
    j["batch"] = r.batch;
    if (farm) j["ranks"] = rankStatsJson(farm->stats(), rankDevices);
    j["factors"] = best.factors;
    if (!best.shortFactors.empty()) j["short_factors"] = best.shortFactors;
    j["n_hat"] = best.nHat;
    if (best.attentionFactor) j["attention_factor"] = *best.attentionFactor;
    j["stages"] = nlohmann::ordered_json::array();
    for (const auto& s : r.stages) {
      nlohmann::ordered_json seeds = nlohmann::ordered_json::object();
      for (const auto& [name, ppl] : s.seedPerplexities) seeds[name] = ppl;
      j["stages"].push_back({{"name", s.name},
                             {"length", s.length},
                             {"best_ppl", s.search.best.fitness},
                             {"evaluations", s.search.evaluations},
                             {"screenings", s.search.screenings},
                             {"generations", s.search.generations},
                             {"early_stopped", s.search.earlyStopped},
                             {"n_hat_sweep_evaluations", s.search.sweepEvaluations},
                             {"seconds", s.search.seconds},
                             {"seeds", seeds}});
    }
    j["history"] = history;
    j["warnings"] = r.warnings;
    out << j.dump() << "\n";
  } else {
    for (const auto& s : r.stages) {
      out << "[" << s.name << "] seeds:";
      for (const auto& [name, ppl] : s.seedPerplexities)
        out << " " << name << " " << fmt("%.4f", ppl);
      out << "\n";
    }
    out << "best "
        << (p.fitness == longrope::Fitness::Perplexity
                ? std::string("perplexity ")
                : std::string(longrope::fitnessName(p.fitness)) + " perplexity ")
        << fmt("%.4f", r.bestPerplexity) << " at " << finalTarget << " (" << r.evaluations
        << " evaluations, " << r.screenings << " screenings, " << r.generations << " generations, "
        << fmt("%.1f", r.elapsedSeconds) << " s on";
    for (const auto& d : r.devices) out << " " << d;
    out << ", batch " << r.batch << ")\nwrote " << outPath << "\n";
    if (auto cfg = a.value("export-hf")) out << "wrote " << *cfg << "\n";
  }
  return 0;
}

}  // namespace

Command searchCommand() {
  return {"search", "LongRoPE evolutionary search of rescale factors on a model",
          std::string(kUsage) + "\n" + kClusterUsage, run, true};
}

}  // namespace rope::cli
