// LongRoPE's recipe (core/recipe/extend.h) on a tiny trained model: the five stages end in a
// Hugging Face folder with the second fine-tuning's weights (trained with the final factors)
// and a config holding the second search's long factors and the readjusted short factors
// (without stage five: stage two's weights); a run stopped in any stage resumes to the
// uninterrupted result; other options and bad lengths are refused before any work. A folder
// reads back (recipe/record.h) as the run left it: options, costs, histories, losses; and
// rope-cli extend --status reads it so.
#include <QtTest>
#include <filesystem>
#include <sstream>

#include "cli/cli.h"

#include "data/tokenizer.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "io/json_util.h"
#include "model/transformer.h"
#include "recipe/extend.h"
#include "recipe/recipe_files.h"
#include "recipe/record.h"
#include "train/training_log.h"
#include "rope/rope_math.h"
#include "tiny_training.h"
#include "train/kjv_corpus.h"
#include "util/error.h"

using namespace rope;
namespace fs = std::filesystem;

class TestRecipe : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void runsEveryStage();
  void withoutRefineKeepsStageTwosWeights();
  void stoppedInEachStageResumesToTheSameResult();
  void refusesBeforeAnyWork();
  void readsTheFolderBack();
  void recordRefusesWhatTheRecipeDidNotWrite();
  void trainingLogReadsEveryLineTheTrainerWrites();

 private:
  recipe::Params params(const std::string& out) const;
  // rope-cli extend --out DIR --status [--json]: exit code, standard output and error.
  static std::pair<int, std::string> extendStatus(const std::string& dir, bool json) {
    std::ostringstream out, err;
    std::vector<std::string> args = {"extend", "--out", dir, "--status"};
    if (json) args.push_back("--json");
    const int code = cli::runCli(args, out, err);
    return {code, out.str() + err.str()};
  }
  QTemporaryDir m_dir;
  std::string m_corpus, m_model;
  recipe::Result m_straight;
};

recipe::Params TestRecipe::params(const std::string& out) const {
  recipe::Params p;
  p.modelDir = m_model;
  p.outDir = out;
  p.target = 128;  // 4x the window of 32
  p.fineTuneLength = 64;
  p.searchData.paths = corpusFiles(m_corpus, "validation");
  p.searchData.format = TokenFormat::Text;
  p.samples = 1;
  p.population = 4;
  p.generations = 2;
  p.corpusDir = m_corpus;
  p.steps = 4;
  p.batch = 2;
  p.warmupSteps = 1;
  p.passkeyShare = 0;  // the tiny window holds no passkey prompt (nor do 64 tokens)
  p.evalEvery = 2;
  p.evalWindows = 4;
  p.refineSteps = 4;
  p.threads = 1;
  return p;
}

void TestRecipe::initTestCase() {
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  m_corpus = m_dir.filePath("corpus").toStdString();
  testing::writeCorpus(m_corpus);
  m_model = m_dir.filePath("base").toStdString();
  QVERIFY(train(testing::tinyParams(m_corpus, m_model), {}).valid);
  m_straight = recipe::run(params(m_dir.filePath("straight").toStdString()));
  QVERIFY2(m_straight.valid, m_straight.error.c_str());
}

void TestRecipe::runsEveryStage() {
  const fs::path out = m_dir.filePath("straight").toStdString();
  QCOMPARE(int(m_straight.stages.size()), 5);
  for (const char* f : {"recipe.json", "report.json", "log.txt", "1-search/factors.json",
                        "2-finetune/model/config.json", "3-search2/factors.json",
                        "4-short/factors.json", "5-refine/model/config.json", "model/config.json",
                        "model/model.safetensors", "model/tokenizer.model"}) {
    QVERIFY2(fs::exists(out / f), f);
  }
  const FactorSet first = readFactorFile((out / "1-search/factors.json").string());
  const FactorSet second = readFactorFile((out / "3-search2/factors.json").string());
  const FactorSet shortSet = readFactorFile((out / "4-short/factors.json").string());
  QCOMPARE(first.targetLength, 64);
  QCOMPARE(first.nHat, 0);
  QCOMPARE(second.targetLength, 128);
  QVERIFY(shortSet.factors == second.factors);  // the readjust keeps the long factors

  // The fine-tuned model carries stage one's factors; the final one the last two stages'.
  const ModelConfig tuned = readModelConfig((out / "2-finetune/model").string());
  QCOMPARE(tuned.maxPosition, 64);
  QVERIFY(tuned.rope.longFactor == first.factors);
  // The second fine-tuning reads L' with stage three's long factors, the window with stage
  // four's short factors (the final ones), and keeps the attention factor.
  const ModelConfig refined = readModelConfig((out / "5-refine/model").string());
  QCOMPARE(refined.maxPosition, 64);
  QVERIFY(refined.rope.longFactor == second.factors);
  QVERIFY(refined.rope.shortFactor == shortSet.shortFactors);
  QVERIFY(shortSet.shortFactors != std::vector<double>(shortSet.shortFactors.size(), 1.0));
  const auto refineInfo = json_util::parseFile((out / "5-refine/model/training.json").string());
  QCOMPARE(refineInfo.at("params").at("steps").get<int>(), 4);
  const ModelConfig final = readModelConfig((out / "model").string());
  QCOMPARE(final.maxPosition, 128);
  QCOMPARE(final.rope.method, RopeMethod::LongRope);
  QCOMPARE(final.rope.originalMaxPosition, 32);
  QVERIFY(final.rope.longFactor == second.factors);
  QVERIFY(final.rope.shortFactor == shortSet.shortFactors);
  // The attention factor the model was fine-tuned with (LongRoPE's at 64 / 32) is held: the
  // final config states it, where the derived one at 128 would differ.
  const double tunedAttention = std::sqrt(1 + std::log(2.0) / std::log(32.0));
  QVERIFY(std::fabs(attentionFactor(tuned.rope) - tunedAttention) < 1e-12);
  QVERIFY(second.attentionFactor && std::fabs(*second.attentionFactor - tunedAttention) < 1e-12);
  QVERIFY(std::fabs(attentionFactor(refined.rope) - tunedAttention) < 1e-12);
  QVERIFY(final.rope.attentionFactor &&
          std::fabs(*final.rope.attentionFactor - tunedAttention) < 1e-12);
  // Fine-tuning mixed windows at the original window (the default short share) into its steps.
  const auto training = json_util::parseFile((out / "2-finetune/model/training.json").string());
  QCOMPARE(training.at("short_window").get<int>(), 32);
  QVERIFY(training.at("validation_short_perplexity").get<double>() > 1);
  // The second fine-tuning's weights, not the first's nor the base model's.
  const std::string weights = readFile((out / "model/model.safetensors").string());
  QCOMPARE(weights, readFile((out / "5-refine/model/model.safetensors").string()));
  QVERIFY(weights != readFile((out / "2-finetune/model/model.safetensors").string()));
  QVERIFY(weights != readFile(m_model + "/model.safetensors"));
  // The engine loads it and scores a document at the final length.
  Transformer engine((out / "model").string(), {});
  const Tokenizer tok(m_model + "/tokenizer.model");
  auto ids = tok.encode(readFile(corpusFiles(m_corpus, "validation").front()));
  ids.resize(128);
  QVERIFY(std::isfinite(engine.nll(ids, 1).sum));

  const auto report = json_util::parseFile((out / "report.json").string());
  QCOMPARE(int(report.at("stages").size()), 5);
  QCOMPARE(report.at("stages")[1].at("steps").get<int>(), 4);
  QVERIFY(report.at("stages")[2].at("evaluations").get<int>() > 0);
  QCOMPARE(report.at("stages")[3].at("stage").get<std::string>(), std::string("short"));
  QCOMPARE(report.at("stages")[4].at("stage").get<std::string>(), std::string("refine"));
  QCOMPARE(report.at("stages")[4].at("steps").get<int>(), 4);
}

void TestRecipe::withoutRefineKeepsStageTwosWeights() {
  // --refine-steps 0: the paper's four stages; the export carries the first fine-tuning's
  // weights and the same factors as with stage five (stages one to four do not depend on it).
  const fs::path out = m_dir.filePath("no-refine").toStdString();
  recipe::Params p = params(out.string());
  p.refineSteps = 0;
  const recipe::Result r = recipe::run(p);
  QVERIFY2(r.valid, r.error.c_str());
  QCOMPARE(int(r.stages.size()), 4);
  QVERIFY(!fs::exists(out / "5-refine"));
  QCOMPARE(readFile((out / "model/model.safetensors").string()),
           readFile((out / "2-finetune/model/model.safetensors").string()));
  QCOMPARE(readFile((out / "4-short/factors.json").string()),
           readFile(m_dir.filePath("straight/4-short/factors.json").toStdString()));
  QVERIFY(r.final.factors == m_straight.final.factors);
  QVERIFY(r.final.shortFactors == m_straight.final.shortFactors);
}

void TestRecipe::stoppedInEachStageResumesToTheSameResult() {
  // Stop once in each stage (after the first search generation, the first training step, ...),
  // then resume until done: the final factors and weights equal the uninterrupted run's.
  for (recipe::Stage stopIn :
       {recipe::Stage::Search, recipe::Stage::FineTune, recipe::Stage::Search2,
        recipe::Stage::Short, recipe::Stage::Refine}) {
    const std::string out =
        m_dir.filePath(QString("stopped-%1").arg(recipe::stageName(stopIn))).toStdString();
    recipe::Params p = params(out);
    bool stopped = false;
    const recipe::Result cut = recipe::run(p, [&](const recipe::Event& e) {
      const bool inside = (e.search && e.search->kind == SearchEvent::GenerationDone &&
                           e.search->generation == 1) ||
                          (e.train && e.train->step == 3);
      // A cancel flag, as the workbench's: once set, every later call says stop.
      stopped = stopped || (e.stage == stopIn && inside);
      return !stopped;
    });
    QVERIFY2(cut.cancelled, (std::string(recipe::stageName(stopIn)) + ": " + cut.error).c_str());
    QVERIFY(!fs::exists(fs::path(out) / "model"));
    // The record of the stopped folder: the stages before finished, this one started and
    // unfinished, with what its checkpoint holds (the fine-tunings' last is at step 2).
    const recipe::Record record = recipe::readRecord(out);
    const int cutStage = static_cast<int>(stopIn);
    for (int s = 0; s < recipe::kStageCount; ++s) {
      QCOMPARE(record.stages[s].cost.has_value(), s < cutStage);
      QCOMPARE(record.stages[s].started, s <= cutStage);
    }
    if (stopIn == recipe::Stage::FineTune || stopIn == recipe::Stage::Refine) {
      QCOMPARE(int(record.stages[cutStage].losses.training.size()), 2);
      QCOMPARE(record.stages[cutStage].losses.validation.back().step, 2);
    } else {
      QVERIFY(!record.stages[cutStage].generations.empty());
    }
    QVERIFY(record.modelDir.empty());
    const auto [code, status] = extendStatus(out, false);
    QCOMPARE(code, 0);
    const std::string where = recipe::stoppedAt(record.stages[cutStage], stopIn);
    const std::size_t line = status.find("\n" + std::to_string(cutStage + 1) + " ");
    QVERIFY2(line != std::string::npos &&
                 status.substr(line, status.find('\n', line + 1) - line).find(where) !=
                     std::string::npos,
             status.c_str());
    QVERIFY2(status.find(std::to_string(cutStage) + " of 5 stages done") != std::string::npos,
             status.c_str());
    p.resume = true;
    const recipe::Result resumed = recipe::run(p);
    QVERIFY2(resumed.valid, resumed.error.c_str());
    QVERIFY(resumed.final.factors == m_straight.final.factors);
    QVERIFY(resumed.final.shortFactors == m_straight.final.shortFactors);
    QCOMPARE(readFile(out + "/model/model.safetensors"),
             readFile(m_dir.filePath("straight/model/model.safetensors").toStdString()));
  }
}

void TestRecipe::refusesBeforeAnyWork() {
  auto refused = [&](recipe::Params p, const std::string& expected) {
    const bool existed = fs::exists(p.outDir);
    const auto before = existed ? readFile(p.outDir + "/recipe.json") : std::string();
    const recipe::Result r = recipe::run(p);
    if (r.valid || r.error.find(expected) == std::string::npos) {
      qWarning("error '%s' lacks '%s'", r.error.c_str(), expected.c_str());
      return false;
    }
    return existed ? readFile(p.outDir + "/recipe.json") == before : !fs::exists(p.outDir);
  };
  const std::string fresh = m_dir.filePath("never").toStdString();
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.fineTuneLength = 32;
        return p;
      }(),
      "original window (32)"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.target = 64;
        return p;
      }(),
      "target (64)"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.target = 100000;
        return p;
      }(),
      "100000 tokens"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.modelDir = m_corpus;
        return p;
      }(),
      "config.json"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.shortShare = 0.9;
        return p;
      }(),
      "--short-share"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.passkeyScores = true;
        return p;
      }(),
      "leave out --passkey-scores"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.refineSteps = -1;
        return p;
      }(),
      "refine steps"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.refineLearningRate = 0;
        return p;
      }(),
      "refine learning rate"));
  // An existing folder needs --resume; a resume needs the same options.
  const std::string done = m_dir.filePath("straight").toStdString();
  QVERIFY(refused(params(done), "--resume"));
  QVERIFY(refused(
      [&] {
        auto p = params(done);
        p.resume = true;
        p.steps = 5;
        return p;
      }(),
      "steps 4 then, 5 now"));
  QVERIFY(refused(
      [&] {
        auto p = params(done);
        p.resume = true;
        p.refineSteps = 5;
        return p;
      }(),
      "refine_steps 4 then, 5 now"));
  QVERIFY(refused(
      [&] {
        auto p = params(done);
        p.resume = true;
        p.criticalFloor = true;  // an option older recipe.json files do not record
        return p;
      }(),
      "critical_floor (absent) then, true now"));
  QVERIFY(refused(
      [&] {
        auto p = params(done);
        p.resume = true;
        p.passkeyKeysByLength = false;
        return p;
      }(),
      "passkey_keys \"by-length\" then, absent now"));
  QVERIFY(refused(
      [&] {
        auto p = params(fresh);
        p.resume = true;
        return p;
      }(),
      "nothing to resume"));
}

void TestRecipe::readsTheFolderBack() {
  const std::string out = m_dir.filePath("straight").toStdString();
  const recipe::Record r = recipe::readRecord(out);
  // The options it was started with, as run() compares them on resume.
  QCOMPARE(recipe::optionsJson(r.options), recipe::optionsJson(params(out)));
  QCOMPARE(r.options.outDir, out);
  QCOMPARE(r.modelDir, (fs::path(out) / "model").string());
  for (int s = 0; s < recipe::kStageCount; ++s) {
    const recipe::StageCost& ran = m_straight.stages[s];
    QVERIFY(r.stages[s].started && r.stages[s].cost);
    const recipe::StageCost& c = *r.stages[s].cost;
    QCOMPARE(int(c.stage), int(ran.stage));
    QCOMPARE(c.seconds, ran.seconds);
    QCOMPARE(c.evaluations, ran.evaluations);
    QCOMPARE(c.steps, ran.steps);
    QCOMPARE(c.bestPerplexity, ran.bestPerplexity);
    QCOMPARE(c.output, ran.output);
  }
  // The searches: every generation, the last one's best the stage's result.
  for (recipe::Stage stage :
       {recipe::Stage::Search, recipe::Stage::Search2, recipe::Stage::Short}) {
    const recipe::StageRecord& st = r.stages[int(stage)];
    QCOMPARE(int(st.generations.size()), 3);  // the initial population and two generations
    for (int g = 0; g < 3; ++g) QCOMPARE(st.generations[g].generation, g);
    QCOMPARE(st.generations.back().best, st.cost->bestPerplexity);
    QVERIFY(st.losses.training.empty());
  }
  // The fine-tunings: every step's loss, validations at 2 and 4, the last one the stage's
  // validation perplexity (the log keeps four decimals of the loss).
  for (recipe::Stage stage : {recipe::Stage::FineTune, recipe::Stage::Refine}) {
    const recipe::StageRecord& st = r.stages[int(stage)];
    QCOMPARE(int(st.losses.training.size()), 4);
    for (int i = 0; i < 4; ++i) {
      QCOMPARE(st.losses.training[i].step, i + 1);
      QVERIFY(std::isfinite(st.losses.training[i].loss) && st.losses.training[i].loss > 0);
    }
    QCOMPARE(int(st.losses.validation.size()), 2);
    QCOMPARE(st.losses.validation[1].step, 4);
    QVERIFY(std::fabs(std::exp(st.losses.validation[1].loss) / st.cost->bestPerplexity - 1) <
            1e-3);
    QCOMPARE(int(st.losses.shortValidation.size()), 2);  // the default short share
    QVERIFY(st.generations.empty());
  }

  // rope-cli extend --status: the same record, as text and as JSON.
  const auto [code, text] = extendStatus(out, false);
  QCOMPARE(code, 0);
  QVERIFY2(text.find("5 of 5 stages done") != std::string::npos, text.c_str());
  QVERIFY2(text.find("final model: " + r.modelDir) != std::string::npos, text.c_str());
  const auto [jsonCode, json] = extendStatus(out, true);
  QCOMPARE(jsonCode, 0);
  const auto j = json_util::parse(json, "status");
  QCOMPARE(j.at("options"), recipe::optionsJson(params(out)));
  QCOMPARE(int(j.at("stages").size()), 5);
  for (int s = 0; s < 5; ++s) {
    QCOMPARE(j.at("stages")[s].at("state").get<std::string>(), std::string("done"));
    QCOMPARE(j.at("stages")[s].at("best_perplexity").get<double>(),
             r.stages[s].cost->bestPerplexity);
  }
  QCOMPARE(j.at("model").get<std::string>(), r.modelDir);
}

void TestRecipe::recordRefusesWhatTheRecipeDidNotWrite() {
  // Each a copy of the finished folder with one file spoilt: an error naming the file, and
  // the folder as it was (reading writes nothing).
  auto refused = [&](const std::string& name, const std::string& file, const std::string& text,
                     const std::string& expected) {
    const fs::path dir = m_dir.filePath(QString::fromStdString("spoilt-" + name)).toStdString();
    fs::copy(m_dir.filePath("straight").toStdString(), dir, fs::copy_options::recursive);
    if (!file.empty()) writeFileAtomic((dir / file).string(), text);
    const auto before = fs::last_write_time(dir / "recipe.json");
    try {
      recipe::readRecord(dir.string());
    } catch (const InputError& e) {
      const std::string what = e.what();
      const bool names = what.find(expected) != std::string::npos &&
                         (file.empty() || what.find(file) != std::string::npos);
      if (!names) qWarning("error '%s' lacks '%s' or the file", e.what(), expected.c_str());
      return names && fs::last_write_time(dir / "recipe.json") == before;
    }
    qWarning("%s: read without an error", name.c_str());
    return false;
  };
  QVERIFY(refused("json", "recipe.json", "{\"options\": ", "not valid JSON"));
  QVERIFY(refused("options", "recipe.json", "{\"command\": \"x\"}", "no \"options\""));
  QVERIFY(refused("seed", "recipe.json",
                  "{\"options\": " +
                      [&] {
                        auto o = recipe::optionsJson(params("x"));
                        o["seed"] = "-1";
                        return json_util::dump(o);
                      }() +
                      "}",
                  "'seed' must be a decimal number"));
  QVERIFY(refused("stage", "2-finetune/stage.json", "{\"stage\": \"search\"}",
                  "stage 'finetune'"));
  QVERIFY(refused("log", "5-refine/model/training_log.txt", "step 1 loss 2.5 lr 1e-3\nstep two\n",
                  "line 2"));
  QVERIFY(refused("checkpoint", "3-search2/checkpoint.json", "{\"format\": \"other\"}",
                  "not a search checkpoint"));
  // No recipe at all.
  try {
    recipe::readRecord(m_corpus);
    QFAIL("a corpus folder read as a recipe");
  } catch (const InputError& e) {
    QVERIFY(std::string(e.what()).find("holds no recipe") != std::string::npos);
  }
  const auto [code, text] = extendStatus(m_corpus, false);
  QCOMPARE(code, 1);
  QVERIFY2(text.find("holds no recipe") != std::string::npos, text.c_str());
  std::ostringstream out, err;
  QCOMPARE(cli::runCli({"extend", "--out", m_corpus, "--status", "--resume"}, out, err), 2);
  QVERIFY(!recipe::isRecipeFolder(m_corpus));
  QVERIFY(recipe::isRecipeFolder(m_dir.filePath("straight").toStdString()));
}

void TestRecipe::trainingLogReadsEveryLineTheTrainerWrites() {
  // Steps, a diverged step, validation lines with and without the short windows' and the
  // passkey snippets' figures (trainer.cpp writes each of them).
  const TrainingLog log = parseTrainingLog(
      "step 1 loss 2.5000 lr 5.00e-05\n"
      "step 2 loss nan lr 1.00e-04\n"
      "step 2 validation loss 3.1000 ppl 22.198\n"
      "\n"
      "step 3 loss inf lr 1.50e-04\n"
      "step 4 validation loss 3.0000 ppl 20.086 at 32 tokens: loss 3.2500 ppl 25.790 passkey "
      "key loss 0.5000 copied 0.250\n"
      "step 6 validation loss 2.9000 ppl 18.174 passkey key loss 0.4000 copied 0.500\n",
      "log");
  QCOMPARE(int(log.training.size()), 3);
  QCOMPARE(log.training[0].loss, 2.5);
  QVERIFY(std::isnan(log.training[1].loss));
  QVERIFY(std::isinf(log.training[2].loss));
  QCOMPARE(int(log.validation.size()), 3);
  QCOMPARE(log.validation[1].step, 4);
  QCOMPARE(log.validation[2].loss, 2.9);
  QCOMPARE(int(log.shortValidation.size()), 1);
  QCOMPARE(log.shortValidation[0].step, 4);
  QCOMPARE(log.shortValidation[0].loss, 3.25);
  // A decimal comma (a log written under another locale) is refused, not read as 2.
  for (const std::string bad : {"step 1 loss 2,5000 lr 5.00e-05", "step x loss 2.5",
                                "step 0 loss 2.5", "step 3 validation 2.5", "steps 1 loss 2"}) {
    try {
      parseTrainingLog("step 1 loss 2.5 lr 1e-3\n" + bad + "\n", "log");
      QFAIL(("read: " + bad).c_str());
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("log: line 2") != std::string::npos, e.what());
    }
  }
}

QTEST_APPLESS_MAIN(TestRecipe)
#include "test_recipe.moc"
