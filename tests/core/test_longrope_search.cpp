// The LongRoPE search on a real (tiny) model: the batched NLL equals the single one, the search
// runs end to end and beats its seeds, is deterministic, resumes losslessly, refuses a
// checkpoint of another model and bad input, and its stages compose.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "data/token_data.h"
#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "eval/perplexity.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "rope/factor_set.h"
#include "rope/rope_math.h"
#include "search/longrope_search.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;

namespace {

const std::string kFixtures = ROPE_FIXTURES_DIR "/hf-tiny";
const std::string kLlama = kFixtures + "/llama_default";
const std::string kPhi3 = kFixtures + "/phi3_longrope";

std::vector<int64_t> referenceIds() {
  return SafetensorsFile(kLlama + "/reference_long.safetensors").tensor("input_ids").toInt64s();
}

// Two 300-token documents: the reference input and its reverse.
std::string writeData(const QTemporaryDir& dir) {
  std::vector<int64_t> ids = referenceIds();
  std::vector<int64_t> both = ids;
  both.insert(both.end(), ids.rbegin(), ids.rend());
  const std::string path = dir.filePath("data.safetensors").toStdString();
  writeSafetensors(path, {{"input_ids",
                           DType::I64,
                           {2, static_cast<int64_t>(ids.size())},
                           both.data(),
                           both.size() * sizeof(int64_t)}});
  return path;
}

longrope::Params tinyParams(const std::string& data) {
  longrope::Params p;
  p.modelDir = kLlama;
  p.data.paths = {data};
  p.targetLength = 256;
  p.originalWindow = 64;  // s = 4
  p.samples = 2;
  p.population = 8;
  p.parents = 4;
  p.mutations = 3;
  p.crossovers = 3;
  p.generations = 3;
  p.seed = 7;
  p.devices = "cpu";
  p.batch = 3;
  p.engine.threads = 1;
  return p;
}

double relDiff(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-30); }

// A search's best set scored independently: the plain perplexity of the search's data at each
// length (the first `samples` documents long enough, truncated), one thread.
perplexity::Result plainPerplexity(const longrope::Params& p, const FactorSet& set,
                                   std::vector<int> lengths) {
  perplexity::Params pp;
  pp.modelDir = p.modelDir;
  pp.data = p.data;
  pp.lengths = std::move(lengths);
  pp.samples = p.samples;
  pp.factorSet = set;
  pp.engine.threads = 1;
  return perplexity::run(pp);
}

// A small search on the demo model (it has a tokenizer) at 256 tokens: 2 documents of the
// validation split, one generation of 6. Empty, with the reason in `why`, when the demo assets
// or SentencePiece are missing.
std::optional<longrope::Params> demoSearch(std::string& why) {
  longrope::Params p;
  try {
    p.modelDir = demoModelDir();
    p.data.paths = demoDataFiles("validation");
  } catch (const InputError& e) {
    why = e.what();
    return std::nullopt;
  }
  if (!Tokenizer::available()) {
    why = "built without SentencePiece";
    return std::nullopt;
  }
  p.data.format = TokenFormat::Text;
  p.targetLength = 256;
  p.samples = 2;
  p.population = 6;
  p.parents = 3;
  p.mutations = 2;
  p.crossovers = 2;
  p.generations = 1;
  p.devices = "cpu";
  p.engine.threads = 1;
  return p;
}

}  // namespace

class TestLongRopeSearch : public QObject {
  Q_OBJECT

 private slots:
  void nllBatchEqualsNll_data();
  void nllBatchEqualsNll();
  void endToEndBeatsSeeds();
  void deterministicForSeed();
  void replicasGiveTheSameSearch();
  void resumeAfterCancelEqualsUninterrupted();
  void checkpointOfAnotherModelRefused();
  void badInput_data();
  void badInput();
  void progressiveAndShortFactors();
  void criticalFloorHoldsTheLongPairs();
  void heldAttentionAndMoreLengths();
  void needleFitnessScoresTheKeyTokens();
  void passkeyScoresTheTestPromptsKey();
};

void TestLongRopeSearch::nllBatchEqualsNll_data() {
  QTest::addColumn<QString>("model");
  QTest::newRow("llama-gqa") << QString::fromStdString(kLlama);
  QTest::newRow("phi3-fused") << QString::fromStdString(kPhi3);
}

void TestLongRopeSearch::nllBatchEqualsNll() {
  QFETCH(QString, model);
  Transformer::Options o;
  o.threads = 1;
  Transformer m(model.toStdString(), o);
  const RopeParams config = m.config().rope;
  std::vector<RopeParams> ropes;
  for (const auto& set : longrope::methodSeeds(config, 64, 256)) {
    ropes.push_back(applyFactorSet(config, set));
  }
  FactorSet withNHat = longrope::methodSeeds(config, 64, 256).front();
  withNHat.nHat = 16;
  withNHat.attentionFactor = 1.3;
  ropes.push_back(applyFactorSet(config, withNHat));
  ropes.push_back(config);
  const std::vector<int64_t> ids = referenceIds();
  const auto batched = m.nllBatch(ids, ropes, 5);
  QCOMPARE(batched.size(), ropes.size());
  std::vector<double> sums;
  for (size_t i = 0; i < ropes.size(); ++i) {
    m.setRope(ropes[i]);
    const Transformer::Nll one = m.nll(ids, 5);
    QCOMPARE(batched[i].tokens, one.tokens);
    QVERIFY2(relDiff(batched[i].sum, one.sum) < 1e-5,
             qPrintable(QString("rope %1: %2 vs %3").arg(i).arg(batched[i].sum).arg(one.sum)));
    sums.push_back(one.sum);
  }
  // The RoPEs really differ, so a batch that mixed them up would fail above.
  const size_t n = sums.size();  // ..., PI with n_hat and attention, the config's RoPE
  QVERIFY(relDiff(sums[0], sums[n - 2]) > 1e-3 && relDiff(sums[n - 2], sums[n - 1]) > 1e-3);
  // A RoPE that does not fit is refused.
  RopeParams wrong = config;
  wrong.headDim = 32;
  QVERIFY_THROWS_EXCEPTION(InputError, m.nllBatch(ids, std::vector<RopeParams>{config, wrong}));
}

void TestLongRopeSearch::endToEndBeatsSeeds() {
  QTemporaryDir dir;
  const longrope::Params p = tinyParams(writeData(dir));
  int generationsSeen = 0;
  const auto r = longrope::run(p, [&](const std::string& stage, const SearchEvent& e) {
    if (e.kind == SearchEvent::GenerationDone && stage == "long") ++generationsSeen;
    return true;
  });
  QVERIFY2(r.valid, r.error.c_str());
  QCOMPARE(r.status, longrope::Status::Ok);
  QCOMPARE(generationsSeen, p.generations + 1);
  QCOMPARE(r.generations, p.generations);
  QCOMPARE(r.stages.size(), size_t{1});
  const auto& seeds = r.stages[0].seedPerplexities;
  QCOMPARE(seeds.size(), size_t{3});  // pi, ntk, yarn; dynamic NTK lies beyond 1.25 s
  QVERIFY(std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
    return w.find("dynamic-ntk") != std::string::npos;
  }));
  double bestSeed = 1e300;
  for (const auto& [name, ppl] : seeds) bestSeed = std::min(bestSeed, ppl);
  QVERIFY(r.bestPerplexity <= bestSeed);
  QVERIFY(r.evaluations >= p.population);
  // The best is a valid curve in the space, made for this model and target.
  QVERIFY(isMonotone(r.best.factors));
  for (double f : r.best.factors) QVERIFY(f >= 1.0 - 1e-12 && f <= 1.25 * 4 + 1e-12);
  QCOMPARE(r.best.targetLength, 256);
  QCOMPARE(r.best.originalMaxPosition, 64);
  // Its fitness is the plain perplexity of the set: evaluate it independently.
  const auto check = plainPerplexity(p, r.best, {256});
  QVERIFY2(check.valid, check.error.c_str());
  QVERIFY2(relDiff(check.results[0].ppl, r.bestPerplexity) < 1e-5,
           qPrintable(QString("%1 vs %2").arg(check.results[0].ppl).arg(r.bestPerplexity)));
}

void TestLongRopeSearch::deterministicForSeed() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  p.screening = true;
  p.screenSamples = 1;
  p.screenLength = 128;
  const auto a = longrope::run(p), b = longrope::run(p);
  QVERIFY2(a.valid && b.valid, (a.error + b.error).c_str());
  QCOMPARE(a.best.factors, b.best.factors);
  QCOMPARE(a.best.nHat, b.best.nHat);
  QCOMPARE(a.bestPerplexity, b.bestPerplexity);
  QCOMPARE(a.evaluations, b.evaluations);
  QVERIFY(a.screenings > 0);
  QCOMPARE(a.screenings, b.screenings);
}

// Two replicas (as two CUDA devices would be, here two CPU workers on their own threads) split
// each call into the same groups of `batch` candidates, so the search is the same.
void TestLongRopeSearch::replicasGiveTheSameSearch() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  const auto one = longrope::run(p);
  p.devices = "cpu,cpu";
  const auto two = longrope::run(p);
  QVERIFY2(one.valid && two.valid, (one.error + two.error).c_str());
  QCOMPARE(two.devices, (std::vector<std::string>{"cpu", "cpu"}));
  QCOMPARE(one.devices, (std::vector<std::string>{"cpu"}));
  QCOMPARE(two.best.factors, one.best.factors);
  QCOMPARE(two.bestPerplexity, one.bestPerplexity);
  QCOMPARE(two.evaluations, one.evaluations);
  p.devices = "tpu";
  QVERIFY(longrope::run(p).error.find("unknown device 'tpu'") != std::string::npos);
}

void TestLongRopeSearch::resumeAfterCancelEqualsUninterrupted() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  const auto whole = longrope::run(p);
  QVERIFY2(whole.valid, whole.error.c_str());

  p.checkpointPath = dir.filePath("search.ckpt").toStdString();
  int scored = 0;
  const auto cut = longrope::run(p, [&](const std::string&, const SearchEvent& e) {
    return !(e.kind == SearchEvent::CandidateScored && ++scored == p.population + 4);
  });
  QCOMPARE(cut.status, longrope::Status::Cancelled);
  QVERIFY(std::filesystem::exists(p.checkpointPath));
  // Without --resume the checkpoint is not overwritten.
  const auto again = longrope::run(p);
  QCOMPARE(again.status, longrope::Status::Failed);
  QVERIFY2(again.error.find("exists") != std::string::npos, again.error.c_str());

  p.resume = true;
  const auto resumed = longrope::run(p);
  QVERIFY2(resumed.valid, resumed.error.c_str());
  QCOMPARE(resumed.best.factors, whole.best.factors);
  QCOMPARE(resumed.best.nHat, whole.best.nHat);
  QCOMPARE(resumed.bestPerplexity, whole.bestPerplexity);
  QCOMPARE(resumed.evaluations, whole.evaluations);  // nothing evaluated twice
  QCOMPARE(resumed.stages[0].search.history.size(), whole.stages[0].search.history.size());
}

void TestLongRopeSearch::checkpointOfAnotherModelRefused() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  p.generations = 0;
  p.checkpointPath = dir.filePath("search.ckpt").toStdString();
  QVERIFY(longrope::run(p).valid);
  const std::string saved = readFile(p.checkpointPath);

  // The same weights and config in another folder are another model as far as scores go.
  const std::string copy = dir.filePath("model-copy").toStdString();
  std::filesystem::create_directory(copy);
  for (const char* f : {"config.json", "model.safetensors"}) {
    std::filesystem::copy_file(kLlama + "/" + f, copy + "/" + f);
  }
  p.resume = true;
  p.modelDir = copy;
  auto r = longrope::run(p);
  QCOMPARE(r.status, longrope::Status::Failed);
  QVERIFY2(r.error.find("another search") != std::string::npos, r.error.c_str());
  QVERIFY2(r.error.find("model-copy") != std::string::npos, r.error.c_str());

  // Another target or sample count is refused too; the checkpoint stays as it was.
  p.modelDir = kLlama;
  p.samples = 1;
  r = longrope::run(p);
  QVERIFY2(r.error.find("another search") != std::string::npos, r.error.c_str());
  QCOMPARE(readFile(p.checkpointPath), saved);

  // A corrupt checkpoint is refused and not overwritten.
  p.samples = 2;
  writeFileAtomic(p.checkpointPath, "{ not json");
  r = longrope::run(p);
  QCOMPARE(r.status, longrope::Status::Failed);
  QVERIFY2(r.error.find("corrupt") != std::string::npos, r.error.c_str());
  QCOMPARE(readFile(p.checkpointPath), std::string("{ not json"));
}

void TestLongRopeSearch::badInput_data() {
  QTest::addColumn<int>("which");
  QTest::addColumn<QString>("mentions");
  QTest::newRow("target longer than every document") << 0 << "no document has at least 400";
  QTest::newRow("population smaller than parents") << 1 << "parents (9)";
  QTest::newRow("bounds exclude every seed") << 2 << "exclude every seed";
  QTest::newRow("target within the window") << 3 << "must exceed the original window";
  QTest::newRow("resume without checkpoint file") << 4 << "does not exist";
  QTest::newRow("stage two not longer") << 5 << "stage-two target";
  QTest::newRow("stage two longer than the data") << 6 << "no document has at least 512";
  QTest::newRow("missing model") << 7 << "nothing";
  QTest::newRow("another length within the window") << 8 << "above the original window (64)";
  QTest::newRow("another length beyond the target") << 9 << "up to the target (256)";
  QTest::newRow("another score repeating the target's") << 12 << "repeats a stage's own fitness";
  QTest::newRow("attention factor searched and held") << 10 << "either searched or held";
  QTest::newRow("held attention factor not positive") << 11 << "positive number";
}

void TestLongRopeSearch::badInput() {
  QFETCH(int, which);
  QFETCH(QString, mentions);
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  switch (which) {
    case 0:
      p.targetLength = 400;
      break;
    case 1:
      p.parents = 9;
      break;
    case 2:
      p.lambdaMax = 1.5;
      break;
    case 3:
      p.targetLength = 64;
      break;
    case 4:
      p.resume = true;
      p.checkpointPath = dir.filePath("none.ckpt").toStdString();
      break;
    case 5:
      p.stage2Target = 256;
      break;
    case 6:
      p.stage2Target = 512;
      break;
    case 7:
      p.modelDir = dir.filePath("nothing").toStdString();
      break;
    case 8:
      p.alsoScore = {{128, longrope::Fitness::Perplexity}, {64, longrope::Fitness::Perplexity}};
      break;
    case 9:
      p.alsoScore = {{300, longrope::Fitness::Passkey}};
      break;
    case 10:
      p.searchAttention = true;
      p.attentionFactor = 1.1;
      break;
    case 11:
      p.attentionFactor = 0.0;
      break;
    case 12:
      p.alsoScore = {{256, longrope::Fitness::Perplexity}};
      break;
  }
  int events = 0;
  const auto r = longrope::run(p, [&](const std::string&, const SearchEvent&) {
    ++events;
    return true;
  });
  QCOMPARE(r.status, longrope::Status::Failed);
  QVERIFY2(r.error.find(mentions.toStdString()) != std::string::npos, r.error.c_str());
  QCOMPARE(events, 0);  // refused before any work
}

void TestLongRopeSearch::progressiveAndShortFactors() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  p.targetLength = 128;
  p.stage2Target = 256;
  p.searchShortFactors = true;
  p.generations = 1;
  const auto r = longrope::run(p);
  QVERIFY2(r.valid, r.error.c_str());
  QCOMPARE(r.stages.size(), size_t{3});
  QCOMPARE(r.stages[0].name, std::string("long"));
  QCOMPARE(r.stages[1].name, std::string("stage2"));
  QCOMPARE(r.stages[2].name, std::string("short"));
  QCOMPARE(r.stages[1].length, 256);
  QCOMPARE(r.stages[2].length, 64);
  // Stage two's seeds include stage one's result unchanged, so it can only improve on it
  // when both are scored at 256.
  QCOMPARE(r.stages[1].seedPerplexities.front().first, std::string("stage-one"));
  QVERIFY(r.stages[1].search.best.fitness <= r.stages[1].seedPerplexities.front().second);
  QCOMPARE(r.bestPerplexity, r.stages[1].search.best.fitness);
  // Final long factors = stage one's x stage two's multipliers.
  const auto& m = r.stages[1].search.best.factors;
  QCOMPARE(r.best.factors.size(), m.size());
  for (size_t i = 0; i < m.size(); ++i) QVERIFY(r.best.factors[i] >= m[i] - 1e-12);
  QVERIFY(isMonotone(r.best.factors));
  QCOMPARE(r.best.targetLength, 256);
  // Short factors searched at the original window, no worse than the identity.
  const auto& sf = r.stages[2].search.best.factors;
  QCOMPARE(r.best.shortFactors.size(), sf.size());
  for (size_t i = 0; i < sf.size(); ++i) QVERIFY(std::abs(r.best.shortFactors[i] - sf[i]) < 1e-9);
  QVERIFY(r.stages[2].search.best.fitness <= r.stages[2].seedPerplexities.front().second);
}

// With the critical floor, the pairs whose wavelength exceeds the original window are held at
// s in stage one and at s2 in stage two (so at s * s2 in the final long factors); the seeds
// below it are raised, not dropped; the short factors have no floor.
void TestLongRopeSearch::criticalFloorHoldsTheLongPairs() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  p.targetLength = 128;  // s = 2
  p.stage2Target = 256;  // s2 = 2
  p.searchShortFactors = true;
  p.generations = 1;
  p.criticalFloor = true;
  const RopeParams rope = Transformer(p.modelDir, p.engine).config().rope;
  const int pairs = rotaryDim(rope) / 2;
  const int critical = criticalPair(rope.base, rotaryDim(rope), 64);
  QVERIFY2(critical > 0 && critical < pairs, "the fixture needs pairs on both sides");
  const auto r = longrope::run(p);
  QVERIFY2(r.valid, r.error.c_str());
  QCOMPARE(r.stages.size(), size_t{3});
  for (int i = critical; i < pairs; ++i) {
    const double first = r.stages[0].search.best.factors[i];
    const double second = r.stages[1].search.best.factors[i];
    QVERIFY2(first >= 2 - 1e-9 && second >= 2 - 1e-9 && r.best.factors[i] >= 4 - 1e-9,
             qPrintable(QString("pair %1: %2, %3").arg(i).arg(first).arg(second)));
  }
  QVERIFY(std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
    return w.find("seed 'ntk' raised to the floor") != std::string::npos;
  }));
  // The seed the warning names lies below the floor (the floor had something to hold).
  const auto seeds = longrope::methodSeeds(rope, 64, 128);
  const auto ntk = std::find_if(seeds.begin(), seeds.end(),
                                [](const FactorSet& f) { return f.name == "ntk"; });
  QVERIFY(ntk != seeds.end() && ntk->factors[critical] < 2 - 0.01);
}

// A held attention factor is every candidate's; with more lengths the fitness is the geometric
// mean of the plain perplexities at each, computed here independently.
void TestLongRopeSearch::heldAttentionAndMoreLengths() {
  QTemporaryDir dir;
  longrope::Params p = tinyParams(writeData(dir));
  p.generations = 1;
  p.attentionFactor = 1.07;
  p.alsoScore = {{128, longrope::Fitness::Perplexity}};
  const auto r = longrope::run(p);
  QVERIFY2(r.valid, r.error.c_str());
  QVERIFY(r.best.attentionFactor.has_value());
  QCOMPARE(*r.best.attentionFactor, 1.07);
  const auto check = plainPerplexity(p, r.best, {256, 128});
  QVERIFY2(check.valid, check.error.c_str());
  QCOMPARE(check.results.size(), size_t{2});
  const double mean = std::sqrt(check.results[0].ppl * check.results[1].ppl);
  qInfo("ppl %.5f at 256, %.5f at 128; fitness %.5f", check.results[0].ppl, check.results[1].ppl,
        r.bestPerplexity);
  QVERIFY2(relDiff(mean, r.bestPerplexity) < 1e-5,
           qPrintable(QString("%1 vs %2").arg(mean).arg(r.bestPerplexity)));
  // Not the target's alone: the two lengths disagree.
  QVERIFY(relDiff(check.results[0].ppl, r.bestPerplexity) > 1e-4);

  // Without the held factor every candidate carries LongRoPE's own (none written in the set).
  p.attentionFactor.reset();
  const auto free = longrope::run(p);
  QVERIFY2(free.valid, free.error.c_str());
  QVERIFY(!free.best.attentionFactor.has_value());
}

// LongRoPE2's needle-driven fitness on the demo model (it has a tokenizer): the search's best
// fitness is the perplexity of the key tokens of needle samples built from the search
// documents, computed here independently; a data set without a tokenizer is refused first.
void TestLongRopeSearch::needleFitnessScoresTheKeyTokens() {
  std::string why;
  std::optional<longrope::Params> demo = demoSearch(why);
  if (!demo) QSKIP(why.c_str());
  longrope::Params p = *demo;
  const std::string model = p.modelDir;
  p.fitness = longrope::Fitness::Needle;
  p.seed = 3;
  const auto r = longrope::run(p);
  QVERIFY2(r.valid, r.error.c_str());

  // Rebuild the samples: the first two documents of at least 256 tokens, keys from the seed,
  // depths 0.25 and 0.75.
  TokenSource src = p.data;
  src.tokenizerPath = model + "/tokenizer.model";
  const TokenDataset data = loadTokens(src);
  const Tokenizer tok(src.tokenizerPath);
  const passkey::PromptBuilder builder(passkey::codecFor(tok));
  const std::vector<int> keys = passkey::drawKeys(p.seed, 2);
  Transformer engine(model, p.engine);
  engine.setFactorSet(r.best);
  double sum = 0;
  int64_t tokens = 0;
  int used = 0;
  for (const auto& doc : data.documents) {
    if (doc.size() < 256 || used == 2) continue;
    const passkey::Prompt prompt = builder.needle(doc, 256, (used + 0.5) / 2, keys[used]);
    std::vector<int64_t> ids = prompt.ids;
    ids.insert(ids.end(), prompt.answer.begin(), prompt.answer.end());
    QCOMPARE(int(ids.size()), 256);
    const auto nll = engine.nll(ids, static_cast<int>(prompt.ids.size()));
    QCOMPARE(nll.tokens, int64_t(prompt.answer.size()));
    sum += nll.sum;
    tokens += nll.tokens;
    ++used;
  }
  QCOMPARE(used, 2);
  const double needlePpl = std::exp(sum / tokens);
  QVERIFY2(relDiff(needlePpl, r.bestPerplexity) < 1e-5,
           qPrintable(QString("%1 vs %2").arg(needlePpl).arg(r.bestPerplexity)));

  // Token files without a tokenizer: refused before any work.
  QTemporaryDir dir;
  longrope::Params bad = tinyParams(writeData(dir));
  bad.fitness = longrope::Fitness::Needle;
  bad.data.tokenizerPath = dir.filePath("none.model").toStdString();
  const auto refused = longrope::run(bad);
  QCOMPARE(refused.status, longrope::Status::Failed);
  QVERIFY2(refused.error.find("needs a tokenizer") != std::string::npos, refused.error.c_str());
}

// The passkey fitness as another score: the geometric mean of the plain perplexity at the
// target and the key tokens' perplexity of the passkey test's prompts (keys from the seed,
// depths 0.25 and 0.75, each prompt and its key exactly the length), computed here
// independently.
void TestLongRopeSearch::passkeyScoresTheTestPromptsKey() {
  std::string why;
  std::optional<longrope::Params> demo = demoSearch(why);
  if (!demo) QSKIP(why.c_str());
  longrope::Params p = *demo;
  const std::string model = p.modelDir;
  p.alsoScore = {{192, longrope::Fitness::Passkey}};
  p.seed = 5;
  const auto r = longrope::run(p);
  QVERIFY2(r.valid, r.error.c_str());

  Transformer engine(model, p.engine);
  engine.setFactorSet(r.best);
  const auto plain = plainPerplexity(p, r.best, {256});
  QVERIFY2(plain.valid, plain.error.c_str());
  const Tokenizer tok(model + "/tokenizer.model");
  const passkey::PromptBuilder builder(passkey::codecFor(tok));
  const std::vector<int> keys = passkey::drawKeys(p.seed, 2);
  double sum = 0;
  int64_t tokens = 0;
  for (int i = 0; i < 2; ++i) {
    const double depth = (i + 0.5) / 2;
    const int answer = static_cast<int>(builder.build(192, depth, keys[i]).answer.size());
    const passkey::Prompt prompt = builder.build(192 - answer, depth, keys[i]);
    std::vector<int64_t> ids = prompt.ids;
    ids.insert(ids.end(), prompt.answer.begin(), prompt.answer.end());
    QCOMPARE(int(ids.size()), 192);
    const auto nll = engine.nll(ids, static_cast<int>(prompt.ids.size()));
    sum += nll.sum;
    tokens += nll.tokens;
  }
  const double keyPpl = std::exp(sum / tokens);
  const double mean = std::sqrt(plain.results[0].ppl * keyPpl);
  qInfo("plain %.4f, passkey key tokens %.4f, fitness %.4f", plain.results[0].ppl, keyPpl,
        r.bestPerplexity);
  QVERIFY2(relDiff(mean, r.bestPerplexity) < 1e-5,
           qPrintable(QString("%1 vs %2").arg(mean).arg(r.bestPerplexity)));
}

QTEST_GUILESS_MAIN(TestLongRopeSearch)
#include "test_longrope_search.moc"
