#include "recipe/extend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "io/json_util.h"
#include "recipe/recipe_files.h"
#include "rope/rope_math.h"
#include "search/longrope_search.h"
#include "train/kjv_corpus.h"
#include "util/error.h"
#include "util/files.h"

namespace rope::recipe {
namespace fs = std::filesystem;
using json_util::Json;

const char* stageName(Stage stage) {
  switch (stage) {
    case Stage::Search:
      return "search";
    case Stage::FineTune:
      return "finetune";
    case Stage::Search2:
      return "search2";
    case Stage::Short:
      return "short";
    case Stage::Refine:
      return "refine";
    case Stage::Export:
      return "export";
  }
  return "?";
}

namespace {

// Where each stage keeps its output, relative to the recipe's folder.
constexpr const char* kSearchDir = "1-search";
constexpr const char* kFineTuneDir = "2-finetune";
constexpr const char* kSearch2Dir = "3-search2";
constexpr const char* kShortDir = "4-short";
constexpr const char* kRefineDir = "5-refine";
constexpr const char* kExportDir = "model";

}  // namespace

const char* stageFolder(Stage stage) {
  switch (stage) {
    case Stage::Search:
      return kSearchDir;
    case Stage::FineTune:
      return kFineTuneDir;
    case Stage::Search2:
      return kSearch2Dir;
    case Stage::Short:
      return kShortDir;
    case Stage::Refine:
      return kRefineDir;
    case Stage::Export:
      return kExportDir;
  }
  return "?";
}

namespace {

// "steps 400 (then) against 200 (now)" for the first option that differs.
std::string firstDifference(const Json& then, const Json& now) {
  for (auto it = now.begin(); it != now.end(); ++it) {
    const auto old = then.find(it.key());
    if (old == then.end() || *old != it.value()) {
      return it.key() + " " + (old == then.end() ? std::string("(absent)") : old->dump()) +
             " then, " + it.value().dump() + " now";
    }
  }
  for (auto it = then.begin(); it != then.end(); ++it) {
    if (!now.contains(it.key())) return it.key() + " " + it.value().dump() + " then, absent now";
  }
  return "the recorded options differ";
}

longrope::Params searchParams(const Params& p, const std::string& model, int target,
                              const fs::path& checkpoint) {
  longrope::Params s;
  s.modelDir = model;
  s.engine.threads = p.threads;
  s.devices = p.device;
  s.data = p.searchData;
  s.targetLength = target;
  s.samples = p.samples;
  s.searchNHat = false;  // a Hugging Face config cannot hold n_hat
  s.criticalFloor = p.criticalFloor;
  s.population = p.population;
  const GenerationSchedule schedule = scheduleForPopulation(p.population);
  s.parents = schedule.parents;
  s.mutations = schedule.mutations;
  s.crossovers = schedule.crossovers;
  s.generations = p.generations;
  s.shortGenerations = p.shortGenerations;
  s.seed = p.seed;
  s.checkpointPath = checkpoint.string();
  return s;
}

// Stage two's trainer options (Runner::fineTune gives the output folder).
TrainParams fineTuneParams(const Params& p) {
  TrainParams t;
  t.corpusDir = p.corpusDir;
  t.initDir = p.modelDir;
  t.context = firstTarget(p);
  t.steps = p.steps;
  t.batch = p.batch;
  t.learningRate = p.learningRate;
  t.warmupSteps = p.warmupSteps;
  t.passkeyShare = p.passkeyShare;
  t.shortShare = p.shortShare;
  t.passkeyKeysByLength = p.passkeyKeysByLength;
  t.evalEvery = p.evalEvery;
  t.evalWindows = p.evalWindows;
  t.seed = p.seed + 1;
  t.threads = p.threads;
  t.device = p.device;
  t.command = p.command;
  return t;
}

// Stage five: stage two's options on the fine-tuned model, with its own steps and rate.
TrainParams refineParams(const Params& p, const std::string& tuned) {
  TrainParams t = fineTuneParams(p);
  t.initDir = tuned;
  t.steps = p.refineSteps;
  t.learningRate = p.refineLearningRate;
  t.warmupSteps = std::max(1, p.refineSteps / 10);
  t.evalEvery = std::min(p.evalEvery, std::max(1, p.refineSteps));
  t.seed = p.seed + 2;
  return t;
}

class Runner {
 public:
  Runner(const Params& p, const Progress& progress)
      : m_p(p), m_progress(progress), m_dir(p.outDir) {}
  Result run();

 private:
  bool emit(Event e);
  void say(Stage stage, const std::string& message) {
    Event e;
    e.stage = stage;
    e.message = message;
    emit(e);
  }
  // Seconds a cancelled run of the stage spent, kept for the stage's cost.
  double spentBefore(const fs::path& dir) const;
  void keepSpent(const fs::path& dir, double seconds) const;
  void finish(const fs::path& dir, const StageCost& cost);
  // A search stage; nullopt when cancelled (m_result says so).
  std::optional<FactorSet> search(Stage stage, const fs::path& dir, longrope::Params sp);
  // A fine-tuning stage (two or five) with the factor set; false when cancelled.
  bool fineTune(Stage stage, TrainParams tp, const FactorSet& set);

  const Params& m_p;
  const Progress& m_progress;
  fs::path m_dir;
  Result m_result;
};

bool Runner::emit(Event e) {
  e.stageIndex = static_cast<int>(e.stage) + 1;
  if (!e.message.empty()) {
    std::ofstream log(m_dir / "log.txt", std::ios::app);
    log << "[" << stageName(e.stage) << "] " << e.message << "\n";
  }
  return !m_progress || m_progress(e);
}

double Runner::spentBefore(const fs::path& dir) const {
  std::error_code ec;
  if (!fs::exists(dir / "spent.json", ec)) return 0;
  return json_util::parseFile((dir / "spent.json").string()).value("seconds", 0.0);
}

void Runner::keepSpent(const fs::path& dir, double seconds) const {
  Json j = Json::object();
  j["seconds"] = seconds;
  writeFileAtomic((dir / "spent.json").string(), json_util::dump(j));
}

void Runner::finish(const fs::path& dir, const StageCost& cost) {
  writeFileAtomic((dir / kStageFile).string(), json_util::dump(costJson(cost)));
  std::error_code ec;
  fs::remove(dir / "spent.json", ec);
  m_result.stages.push_back(cost);
}

std::optional<FactorSet> Runner::search(Stage stage, const fs::path& dir, longrope::Params sp) {
  fs::create_directories(dir);
  if (fs::exists(dir / kStageFile)) {
    m_result.stages.push_back(readStageCost((dir / kStageFile).string(), stage));
    say(stage, "done in an earlier run: " + (dir / "factors.json").string());
    return readFactorFile((dir / "factors.json").string());
  }
  const std::string checkpoint = sp.checkpointPath;
  sp.resume = fs::exists(checkpoint) || fs::exists(checkpoint + ".short");
  if (m_p.makeScorer) {
    sp.makeScorer = [this, &sp](int longest) { return m_p.makeScorer(sp, longest); };
  }
  const double before = spentBefore(dir);
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const longrope::Result r = longrope::run(sp, [&](const std::string&, const SearchEvent& se) {
    Event e;
    e.stage = stage;
    e.search = se;
    if (se.kind == SearchEvent::GenerationDone) {
      char line[160];
      std::snprintf(line, sizeof line, "generation %d  best %.4f  mean %.4f  evaluations %d",
                    se.generation, se.best, se.mean, se.evaluations);
      e.message = line;
    }
    return emit(e);
  });
  for (const auto& w : r.warnings)
    m_result.warnings.push_back(std::string(stageName(stage)) + ": " + w);
  if (r.status == longrope::Status::Cancelled) {
    keepSpent(dir, elapsed());
    m_result.cancelled = true;
    return std::nullopt;
  }
  if (!r.valid) throw InputError(std::string(stageName(stage)) + ": " + r.error);
  FactorSet best = r.best;
  best.name = std::string("recipe-") + stageName(stage) + "-" + std::to_string(r.best.targetLength);
  writeProject((dir / "factors.json").string(), {best});
  StageCost cost;
  cost.stage = stage;
  cost.seconds = elapsed();
  cost.evaluations = r.evaluations;
  cost.generations = r.generations;
  cost.bestPerplexity = stage == Stage::Short && !r.stages.empty()
                            ? r.stages.back().search.best.fitness
                            : r.bestPerplexity;
  cost.output = (fs::path(dir.filename()) / "factors.json").string();
  finish(dir, cost);
  char line[200];
  std::snprintf(line, sizeof line, "best %.4f after %d evaluations, %.0f s", cost.bestPerplexity,
                cost.evaluations, cost.seconds);
  say(stage, line);
  return best;
}

bool Runner::fineTune(Stage stage, TrainParams tp, const FactorSet& set) {
  const fs::path dir = m_dir / stageFolder(stage);
  const fs::path model = dir / kStageModelDir;
  fs::create_directories(dir);
  if (fs::exists(dir / kStageFile)) {
    m_result.stages.push_back(readStageCost((dir / kStageFile).string(), stage));
    say(stage, "done in an earlier run: " + model.string());
    return true;
  }
  const double before = spentBefore(dir);
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  StageCost cost;
  cost.stage = stage;
  cost.output = (fs::path(stageFolder(stage)) / kStageModelDir).string();
  if (!fs::exists(model / "config.json")) {
    tp.outDir = model.string();
    tp.rope = set;
    const fs::path partial = trainingWorkDir(model.string());
    tp.resume = fs::exists(partial / kTrainingStateFile);
    if (!tp.resume) fs::remove_all(partial);  // killed before its first checkpoint
    const TrainResult r = train(tp, [&](const TrainProgress& pr) {
      Event e;
      e.stage = stage;
      e.train = pr;
      if (pr.validationLoss) {
        char line[200];
        std::snprintf(line, sizeof line, "step %d/%d  loss %.4f  validation ppl %.3f", pr.step,
                      pr.steps, pr.loss, std::exp(*pr.validationLoss));
        e.message = line;
        if (pr.shortValidationLoss) {
          std::snprintf(line, sizeof line, " (at the window %.3f)",
                        std::exp(*pr.shortValidationLoss));
          e.message += line;
        }
        if (pr.passkeyAccuracy) {
          std::snprintf(line, sizeof line, "  passkey copied %.0f%%", 100 * *pr.passkeyAccuracy);
          e.message += line;
        }
      } else if (!pr.message.empty() && pr.step == 0) {
        e.message = pr.message;
      }
      return emit(e);
    });
    if (r.cancelled) {
      keepSpent(dir, elapsed());
      m_result.cancelled = true;
      return false;
    }
    if (!r.valid) throw InputError(std::string(stageName(stage)) + ": " + r.error);
  }
  const Json info = json_util::parseFile((model / "training.json").string());
  cost.seconds = elapsed();
  cost.steps = tp.steps;
  cost.bestPerplexity = info.value("validation_perplexity", 0.0);
  finish(dir, cost);
  char line[160];
  std::snprintf(line, sizeof line, "validation perplexity %.3f at %d tokens, %.0f s",
                cost.bestPerplexity, firstTarget(m_p), cost.seconds);
  say(stage, line);
  return true;
}

Result Runner::run() {
  const auto t0 = std::chrono::steady_clock::now();
  validateParams(m_p);
  fs::create_directories(m_dir);
  const fs::path recipeFile = m_dir / kRecipeFile;
  if (!fs::exists(recipeFile)) {
    Json j = Json::object();
    j["options"] = optionsJson(m_p);
    j["command"] = m_p.command;
    writeFileAtomic(recipeFile.string(), json_util::dump(j));
  }
  const int l1 = firstTarget(m_p);
  const int window = originalWindow(readRopeParams(m_p.modelDir));
  say(Stage::Search, "stage 1/5: LongRoPE search at " + std::to_string(l1) + " tokens (" +
                         std::to_string(l1 / window) + "x the window of " + std::to_string(window) +
                         ")");
  const auto first =
      search(Stage::Search, m_dir / kSearchDir,
             searchParams(m_p, m_p.modelDir, l1, searchCheckpointPath(m_dir / kSearchDir)));
  if (!first) return m_result;

  say(Stage::FineTune,
      "stage 2/5: fine-tuning at " + std::to_string(l1) + " tokens with " + first->name);
  if (!fineTune(Stage::FineTune, fineTuneParams(m_p), *first)) {
    return m_result;
  }
  std::string tuned = (m_dir / kFineTuneDir / kStageModelDir).string();
  // The attention factor the model was fine-tuned with, held from here on.
  const double attention = attentionFactor(readRopeParams(tuned));

  say(Stage::Search2, "stage 3/5: search on the fine-tuned model at " + std::to_string(m_p.target) +
                          " tokens (also scored at " + std::to_string(l1) +
                          (m_p.passkeyScores ? "; passkey key tokens at both)" : ")"));
  longrope::Params s2 =
      searchParams(m_p, tuned, m_p.target, searchCheckpointPath(m_dir / kSearch2Dir));
  s2.attentionFactor = attention;
  s2.alsoScore = {{l1, longrope::Fitness::Perplexity}};
  if (m_p.passkeyScores) {
    s2.alsoScore.push_back({l1, longrope::Fitness::Passkey});
    s2.alsoScore.push_back({m_p.target, longrope::Fitness::Passkey});
  }
  // Seeds: stage one's factors as fine-tuned, and stretched by L'' / L' (interpolating the
  // fine-tuned positions further), beside PI, NTK and YaRN at L'' / L.
  FactorSet kept = *first;
  kept.name = "fine-tuned";
  kept.targetLength = m_p.target;
  kept.attentionFactor = attention;
  FactorSet stretched = kept;
  stretched.name = "fine-tuned-stretched";
  for (double& f : stretched.factors) f *= static_cast<double>(m_p.target) / l1;
  s2.seeds = {kept, stretched};
  const auto second = search(Stage::Search2, m_dir / kSearch2Dir, s2);
  if (!second) return m_result;

  say(Stage::Short,
      "stage 4/5: short factors at " + std::to_string(window) + " tokens on the fine-tuned model");
  longrope::Params sh =
      searchParams(m_p, tuned, m_p.target, searchCheckpointPath(m_dir / kShortDir));
  sh.longFactors = *second;
  sh.searchShortFactors = true;
  const auto readjusted = search(Stage::Short, m_dir / kShortDir, sh);
  if (!readjusted) return m_result;

  if (m_p.refineSteps > 0) {
    say(Stage::Refine, "stage 5/5: fine-tuning again at " + std::to_string(l1) + " tokens with " +
                           "the final factors (" + std::to_string(m_p.refineSteps) + " steps)");
    if (!fineTune(Stage::Refine, refineParams(m_p, tuned), *readjusted)) {
      return m_result;
    }
    tuned = (m_dir / kRefineDir / kStageModelDir).string();
  } else {
    say(Stage::Refine, "stage 5/5: left out (no refine steps)");
  }

  // The final folder: the fine-tuned weights with the final factors in the config.
  const fs::path out = m_dir / kExportDir;
  FactorSet final = *readjusted;
  final.name = "recipe-" + std::to_string(m_p.target);
  if (!fs::exists(out / "config.json")) {
    const fs::path work = out.string() + ".partial";
    fs::remove_all(work);
    fs::create_directories(work);
    std::vector<std::string> notes;
    const std::string config = patchHfConfig(readFile(configPath(tuned)), final, tuned, &notes);
    for (const auto& note : notes) m_result.warnings.push_back("export: " + note);
    for (const char* f :
         {"model.safetensors", "tokenizer.model", "training.json", kTrainingLogFile}) {
      if (fs::exists(fs::path(tuned) / f)) fs::copy_file(fs::path(tuned) / f, work / f);
    }
    writeFileAtomic((work / "config.json").string(), config);
    writeProject((work / "factors.json").string(), {final});
    fs::rename(work, out);
  }
  say(Stage::Export, "wrote " + out.string());

  Json report = Json::object();
  report["options"] = optionsJson(m_p);
  report["stages"] = Json::array();
  for (const auto& c : m_result.stages) report["stages"].push_back(costJson(c));
  report["model"] = kExportDir;
  writeFileAtomic((m_dir / kReportFile).string(), json_util::dump(report));

  m_result.valid = true;
  m_result.modelDir = out.string();
  m_result.final = final;
  m_result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m_result;
}

}  // namespace

void validateParams(const Params& p) {
  auto require = [](bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
  };
  require(!p.modelDir.empty(), "no model given");
  require(!p.outDir.empty(), "no recipe folder given (--out)");
  const int window = originalWindow(readRopeParams(p.modelDir));
  const int l1 = firstTarget(p);
  require(l1 > window, "the fine-tuning length (" + std::to_string(l1) +
                           (p.fineTuneLength > 0 ? "" : " = the target / 4") +
                           ") must be longer than the model's original window (" +
                           std::to_string(window) + ")");
  require(p.target > l1, "the target (" + std::to_string(p.target) +
                             ") must be longer than the fine-tuning length (" + std::to_string(l1) +
                             ")");
  require(p.samples >= 1 && p.population >= 2 && p.generations >= 1 && p.shortGenerations >= 0,
          "samples, population (at least 2) and generations must be positive");
  require(p.refineSteps >= 0, "the refine steps must not be negative (0: no stage five)");
  require(p.refineSteps == 0 || (std::isfinite(p.refineLearningRate) && p.refineLearningRate > 0),
          "the refine learning rate must be a positive number");
  const fs::path dir = p.outDir;
  const fs::path recipeFile = dir / kRecipeFile;
  std::error_code ec;
  if (p.resume) {
    require(fs::exists(recipeFile, ec),
            "nothing to resume: " + recipeFile.string() + " does not exist");
    const Json then = optionsOf(json_util::parseFile(recipeFile.string()), recipeFile.string());
    const Json now = optionsJson(p);
    require(then == now, recipeFile.string() + " was started with other options (" +
                             firstDifference(then, now) +
                             "); resume with the same options or choose another folder");
  } else {
    require(!fs::exists(dir, ec), "recipe folder " + dir.string() +
                                      " exists; pass --resume to continue it or choose another");
    // The fine-tuning stage's own checks (the model, the corpus), before any work.
    TrainParams t = fineTuneParams(p);
    t.outDir = (dir / kFineTuneDir / kStageModelDir).string();
    validateTrainParams(t);
  }
  if (p.passkeyScores) {
    // Stage three's passkey prompts (and their keys) must fit in L'.
    const Tokenizer tokenizer(Tokenizer::modelTokenizerPath(p.modelDir));
    const passkey::PromptBuilder prompts(passkey::codecFor(tokenizer));
    int need = 0;
    for (int key : passkey::drawKeys(p.seed, p.samples)) {
      need = std::max(need, prompts.minLength({key}) + int(prompts.answerTokens(key).size()));
    }
    require(need <= l1, "stage three's passkey scores need prompts of " + std::to_string(need) +
                            " tokens, longer than the fine-tuning length (" + std::to_string(l1) +
                            "); leave out --passkey-scores");
  }
  // The searches need documents as long as the final target.
  TokenSource source = p.searchData;
  if (source.tokenizerPath.empty())
    source.tokenizerPath = Tokenizer::modelTokenizerPath(p.modelDir);
  const TokenDataset data = loadTokens(source);
  require(data.longestDocument() >= p.target, "no search document has " + std::to_string(p.target) +
                                                  " tokens (" + data.description + ", longest " +
                                                  std::to_string(data.longestDocument()) + ")");
}

Result run(const Params& params, const Progress& progress) {
  try {
    return Runner(params, progress).run();
  } catch (const std::exception& e) {
    Result r;
    r.error = e.what();
    return r;
  }
}

}  // namespace rope::recipe
