// rope-cli search through runCli: the JSON last line, the project file and the HF export read
// back, exit codes, and no output written on failure.
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "io/factor_files.h"
#include "io/hf_config.h"
#include "search/evolution_search.h"
#include "util/files.h"

using namespace rope;

namespace {

const std::string kLlama = ROPE_FIXTURES_DIR "/hf-tiny/llama_default";
const std::string kData = kLlama + "/reference_long.safetensors";

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run runRopeCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = cli::runCli(args, out, err);
  return {code, out.str(), err.str()};
}

std::vector<std::string> tinySearch(const QTemporaryDir& dir) {
  return {"search",
          "--model",
          kLlama,
          "--data",
          kData,
          "--target-length",
          "256",
          "--original-window",
          "64",
          "--population",
          "6",
          "--parents",
          "3",
          "--mutations",
          "2",
          "--crossovers",
          "2",
          "--generations",
          "2",
          "--samples",
          "1",
          "--seed",
          "3",
          "--device",
          "cpu",
          "--threads",
          "1",
          "--out",
          dir.filePath("best.json").toStdString()};
}

std::string lastLine(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t start = text.rfind('\n');
  return start == std::string::npos ? text : text.substr(start + 1);
}

}  // namespace

class TestCliSearch : public QObject {
  Q_OBJECT

 private slots:
  void jsonAndExportsReadBack();
  void populationAloneSetsTheSchedule();
  void exitCodes_data();
  void exitCodes();
};

void TestCliSearch::jsonAndExportsReadBack() {
  QTemporaryDir dir;
  // The export patches an existing config: only its RoPE keys change.
  const std::string hf = dir.filePath("config.json").toStdString();
  std::filesystem::copy_file(kLlama + "/config.json", hf);
  auto args = tinySearch(dir);
  args.insert(args.end(), {"--export-hf", hf, "--name", "tiny-search", "--json"});
  const Run r = runRopeCli(args);
  QVERIFY2(r.code == 0, r.err.c_str());
  QVERIFY(r.out.find("[long] generation 2/2") != std::string::npos);
  const auto j = nlohmann::json::parse(lastLine(r.out));
  for (const char* key : {"best_ppl", "evaluations", "generations", "seconds", "out"}) {
    QVERIFY2(j.contains(key), key);
  }
  QCOMPARE(j["generations"].get<int>(), 2);
  QCOMPARE(j["out"].get<std::string>(), dir.filePath("best.json").toStdString());
  QVERIFY(j["best_ppl"].get<double>() > 1);
  QVERIFY(j["best_ppl"].get<double>() <= j["stages"][0]["seeds"]["pi"].get<double>());

  const FactorSet saved = readFactorFile(j["out"].get<std::string>());
  QCOMPARE(saved.name, std::string("tiny-search"));
  QCOMPARE(saved.factors, j["factors"].get<std::vector<double>>());
  QCOMPARE(saved.nHat, j["n_hat"].get<int>());
  QCOMPARE(saved.targetLength, 256);

  const ModelConfig cfg = readModelConfig(hf);
  QCOMPARE(cfg.vocabSize, 512);  // the rest of the config kept
  QCOMPARE(cfg.rope.method, RopeMethod::LongRope);
  QCOMPARE(cfg.rope.originalMaxPosition, 64);
  QCOMPARE(cfg.maxPosition, 256);
  QCOMPARE(cfg.rope.longFactor.size(), saved.factors.size());
  for (size_t i = 0; i < saved.factors.size(); ++i) {
    QVERIFY(std::abs(cfg.rope.longFactor[i] - saved.factors[i]) < 1e-12);
  }
}

// Issue 16, item 15: parents, mutations and crossovers left out follow the population (half,
// a quarter, a quarter), as in the workbench; --help says so.
void TestCliSearch::populationAloneSetsTheSchedule() {
  QTemporaryDir dir;
  std::vector<std::string> args = tinySearch(dir);
  for (const char* option : {"--parents", "--mutations", "--crossovers", "--generations"}) {
    args.erase(std::find(args.begin(), args.end(), option),
               std::find(args.begin(), args.end(), option) + 2);
  }
  args.insert(args.end(), {"--generations", "1", "--json"});
  const Run r = runRopeCli(args);  // --population 6: 3 parents, 1 mutation, 1 crossover
  QVERIFY2(r.code == 0, r.err.c_str());
  QCOMPARE(nlohmann::json::parse(lastLine(r.out))["generations"].get<int>(), 1);

  const GenerationSchedule twelve = scheduleForPopulation(12);
  QCOMPARE(twelve.parents, 6);
  QCOMPARE(twelve.mutations, 3);
  QCOMPARE(twelve.crossovers, 3);
  const GenerationSchedule paper = scheduleForPopulation(64);
  QCOMPARE(paper.parents, 32);
  QCOMPARE(paper.mutations, 16);
  QCOMPARE(paper.crossovers, 16);
  const GenerationSchedule two = scheduleForPopulation(2);
  QCOMPARE(two.parents, 1);
  QCOMPARE(two.mutations, 1);
  QCOMPARE(two.crossovers, 1);

  const Run help = runRopeCli({"search", "--help"});
  QCOMPARE(help.code, 0);
  QVERIFY2(help.out.find("follow the population") != std::string::npos, help.out.c_str());
}

void TestCliSearch::exitCodes_data() {
  QTest::addColumn<QStringList>("extra");
  QTest::addColumn<int>("code");
  QTest::addColumn<QString>("mentions");
  QTest::newRow("no target") << QStringList{"--target-length", "remove"} << 2 << "--target-length";
  QTest::newRow("unknown option") << QStringList{"--bogus", "1"} << 2 << "bogus";
  QTest::newRow("resume without checkpoint") << QStringList{"--resume"} << 2 << "--checkpoint";
  QTest::newRow("bad seed") << QStringList{"--seed", "x"} << 2 << "--seed";
  QTest::newRow("target beyond the data")
      << QStringList{"--target-length", "400"} << 1 << "no document has at least 400";
  QTest::newRow("population below parents") << QStringList{"--parents", "9"} << 1 << "parents";
  QTest::newRow("bounds exclude seeds")
      << QStringList{"--lambda-max", "1.5"} << 1 << "exclude every seed";
  QTest::newRow("unknown fitness") << QStringList{"--fitness", "bleu"} << 2 << "--fitness";
  QTest::newRow("needle fitness without a tokenizer")
      << QStringList{"--fitness", "needle", "--tokenizer", "/nonexistent/t.model"} << 1
      << "needs a tokenizer";
  QTest::newRow("missing seeds file")
      << QStringList{"--seeds", "/nonexistent/s.json"} << 1 << "/nonexistent/s.json";
}

void TestCliSearch::exitCodes() {
  QFETCH(QStringList, extra);
  QFETCH(int, code);
  QFETCH(QString, mentions);
  QTemporaryDir dir;
  std::vector<std::string> args = tinySearch(dir);
  if (extra.size() == 2 && extra[1] == "remove") {
    auto it = std::find(args.begin(), args.end(), extra[0].toStdString());
    args.erase(it, it + 2);
  } else {
    for (const auto& e : extra) {
      auto it = std::find(args.begin(), args.end(), e.toStdString());
      if (e.startsWith("--") && it != args.end() && it + 1 != args.end()) {
        args.erase(it, it + 2);  // replace an option given by tinySearch
      }
    }
    for (const auto& e : extra) args.push_back(e.toStdString());
  }
  const Run r = runRopeCli(args);
  QCOMPARE(r.code, code);
  QVERIFY2(r.err.find(mentions.toStdString()) != std::string::npos, r.err.c_str());
  QVERIFY(!std::filesystem::exists(dir.filePath("best.json").toStdString()));
}

QTEST_GUILESS_MAIN(TestCliSearch)
#include "test_cli_search.moc"
