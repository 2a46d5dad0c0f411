#include "recipe/record.h"

#include <filesystem>

#include "recipe/recipe_files.h"
#include "search/longrope_search.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/files.h"

namespace rope::recipe {
namespace fs = std::filesystem;
namespace ju = json_util;
using ju::Json;

int firstTarget(const Params& p) { return p.fineTuneLength > 0 ? p.fineTuneLength : p.target / 4; }

std::string searchCheckpointPath(const std::string& stageDir) {
  return (fs::path(stageDir) / "checkpoint.json").string();
}

std::string searchHistoryPath(const std::string& stageDir, Stage stage) {
  return searchCheckpointPath(stageDir) + (stage == Stage::Short ? longrope::kShortCheckpoint : "");
}

Json optionsJson(const Params& p) {
  std::error_code ec;
  const fs::path model = fs::weakly_canonical(p.modelDir, ec);
  Json j = Json::object();
  j["model"] = ec ? p.modelDir : model.string();
  j["target"] = p.target;
  j["fine_tune_length"] = firstTarget(p);
  j["search_data"] = p.searchData.paths;
  j["samples"] = p.samples;
  j["population"] = p.population;
  j["generations"] = p.generations;
  j["short_generations"] = p.shortGenerations;
  j["passkey_scores"] = p.passkeyScores;
  if (p.criticalFloor) j["critical_floor"] = true;  // absent from older recipes: off
  j["seed"] = std::to_string(p.seed);
  j["corpus"] = p.corpusDir;
  j["steps"] = p.steps;
  j["batch"] = p.batch;
  j["learning_rate"] = p.learningRate;
  j["warmup_steps"] = p.warmupSteps;
  j["passkey_share"] = p.passkeyShare;
  j["short_share"] = p.shortShare;
  if (p.passkeyKeysByLength) j["passkey_keys"] = "by-length";  // absent: uniform
  j["eval_every"] = p.evalEvery;
  j["eval_windows"] = p.evalWindows;
  j["refine_steps"] = p.refineSteps;
  j["refine_learning_rate"] = p.refineLearningRate;
  return j;
}

Params paramsFromOptions(const Json& o, const std::string& source) {
  constexpr long long kMax = 1LL << 30;
  auto count = [&](const char* key, long long lo) {
    return static_cast<int>(ju::requireIntIn(o, key, source, lo, kMax));
  };
  Params p;
  p.modelDir = ju::requireString(o, "model", source);
  p.target = count("target", 1);
  p.fineTuneLength = count("fine_tune_length", 0);
  const auto data = o.find("search_data");
  if (data == o.end() || !data->is_array()) {
    throw InputError(source + ": 'search_data' must be a list of file paths");
  }
  for (const Json& path : *data) {
    if (!path.is_string()) throw InputError(source + ": 'search_data' must hold file paths");
    p.searchData.paths.push_back(path.get<std::string>());
  }
  p.samples = count("samples", 1);
  p.population = count("population", 1);
  p.generations = count("generations", 1);
  p.shortGenerations = count("short_generations", 0);
  p.passkeyScores = ju::optBool(o, "passkey_scores", source).value_or(false);
  p.criticalFloor = ju::optBool(o, "critical_floor", source).value_or(false);
  const std::string seed = ju::requireString(o, "seed", source);
  if (seed.empty() || seed.find_first_not_of("0123456789") != std::string::npos ||
      seed.size() > 20) {
    throw InputError(source + ": 'seed' must be a decimal number, got '" + seed + "'");
  }
  try {
    p.seed = std::stoull(seed);
  } catch (const std::exception&) {
    throw InputError(source + ": 'seed' " + seed + " does not fit 64 bits");
  }
  p.corpusDir = ju::requireString(o, "corpus", source);
  p.steps = count("steps", 1);
  p.batch = count("batch", 1);
  p.learningRate = ju::requireNumber(o, "learning_rate", source);
  p.warmupSteps = count("warmup_steps", 0);
  p.passkeyShare = ju::requireNumber(o, "passkey_share", source);
  p.shortShare = ju::requireNumber(o, "short_share", source);
  const std::string keys = ju::optString(o, "passkey_keys", source).value_or("uniform");
  if (keys != "uniform" && keys != "by-length") {
    throw InputError(source + ": 'passkey_keys' must be \"by-length\" or \"uniform\", got \"" +
                     keys + "\"");
  }
  p.passkeyKeysByLength = keys == "by-length";
  p.evalEvery = count("eval_every", 1);
  p.evalWindows = count("eval_windows", 1);
  // Recipes from before stage five have no refine options: they ended after stage four.
  p.refineSteps = static_cast<int>(ju::optIntIn(o, "refine_steps", source, 0, kMax).value_or(0));
  p.refineLearningRate =
      ju::optNumber(o, "refine_learning_rate", source).value_or(p.refineLearningRate);
  return p;
}

Json optionsOf(const Json& recipe, const std::string& source) {
  const auto options = recipe.is_object() ? recipe.find("options") : recipe.end();
  if (options == recipe.end() || !options->is_object()) {
    throw InputError(source + ": not a recipe's record (no \"options\" object)");
  }
  return *options;
}

Json costJson(const StageCost& c) {
  Json j = Json::object();
  j["stage"] = stageName(c.stage);
  j["seconds"] = c.seconds;
  j["evaluations"] = c.evaluations;
  j["generations"] = c.generations;
  j["steps"] = c.steps;
  j["best_perplexity"] = c.bestPerplexity;
  j["output"] = c.output;
  return j;
}

StageCost readStageCost(const std::string& path, Stage stage) {
  const Json j = ju::parseFile(path);
  if (!j.is_object() || ju::optString(j, "stage", path) != std::string(stageName(stage))) {
    throw InputError(path + ": not the record of stage '" + stageName(stage) + "'");
  }
  constexpr long long kMax = 1LL << 30;
  StageCost c;
  c.stage = stage;
  c.seconds = ju::optNumber(j, "seconds", path).value_or(0);
  c.evaluations = static_cast<int>(ju::optIntIn(j, "evaluations", path, 0, kMax).value_or(0));
  c.generations = static_cast<int>(ju::optIntIn(j, "generations", path, 0, kMax).value_or(0));
  c.steps = static_cast<int>(ju::optIntIn(j, "steps", path, 0, kMax).value_or(0));
  c.bestPerplexity = ju::optNumber(j, "best_perplexity", path).value_or(0);
  c.output = ju::optString(j, "output", path).value_or("");
  c.skipped = true;
  return c;
}

std::string stoppedAt(const StageRecord& st, Stage which) {
  if (isFineTuning(which)) {
    return st.losses.validation.empty()
               ? "stopped before its first checkpoint"
               : "stopped; checkpoint at step " + std::to_string(st.losses.validation.back().step);
  }
  return st.generations.empty()
             ? "stopped before its first generation"
             : "stopped after generation " + std::to_string(st.generations.back().generation);
}

bool isRecipeFolder(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() && fs::is_regular_file(fs::path(dir) / kRecipeFile, ec);
}

int finishedStages(const Record& record) {
  int done = 0;
  for (const StageRecord& st : record.stages) done += st.cost.has_value();
  return done;
}

namespace {

// A fine-tuning's log: the exported model's, else an interrupted run's state (the trainer
// works in MODEL.partial).
TrainingLog lossesOf(const fs::path& stageDir) {
  const fs::path model = stageDir / kStageModelDir;
  std::error_code ec;
  if (fs::exists(model / kTrainingLogFile, ec)) {
    const std::string path = (model / kTrainingLogFile).string();
    return parseTrainingLog(readFile(path), path);
  }
  const fs::path state = fs::path(trainingWorkDir(model.string())) / kTrainingStateFile;
  if (!fs::exists(state, ec)) return {};
  const Json j = ju::parseFile(state.string());
  return parseTrainingLog(ju::optString(j, "log", state.string()).value_or(""), state.string());
}

}  // namespace

Record readRecord(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw InputError(dir + ": no such folder");
  if (!isRecipeFolder(dir)) {
    throw InputError(dir + " holds no recipe (no " + kRecipeFile + "; rope-cli extend makes one)");
  }
  const std::string source = (root / kRecipeFile).string();
  const Json recipe = ju::parseFile(source);
  Record r;
  r.options = paramsFromOptions(optionsOf(recipe, source), source);
  r.options.outDir = dir;
  r.command = ju::optString(recipe, "command", source).value_or("");
  for (int s = 0; s < kStageCount; ++s) {
    const Stage stage = static_cast<Stage>(s);
    const fs::path stageDir = root / stageFolder(stage);
    StageRecord& out = r.stages[s];
    out.started = fs::is_directory(stageDir, ec);
    if (!out.started) continue;
    if (fs::exists(stageDir / kStageFile, ec)) {
      out.cost = readStageCost((stageDir / kStageFile).string(), stage);
    }
    if (isFineTuning(stage)) {
      out.losses = lossesOf(stageDir);
    } else if (const std::string history = searchHistoryPath(stageDir.string(), stage);
               fs::exists(history, ec)) {
      out.generations = readCheckpointHistory(history);
    }
  }
  const fs::path model = root / stageFolder(Stage::Export);
  if (fs::exists(model / "config.json", ec) && fs::exists(root / kReportFile, ec)) {
    r.modelDir = model.string();
  }
  return r;
}

}  // namespace rope::recipe
