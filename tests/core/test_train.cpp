// The demo model's corpus and trainer: the KJV split, passkey windows, and a tiny end-to-end
// training run whose exported folder the engine loads and scores like the trainer did;
// interruption leaves no model folder and resume continues to the same result.
#include <QtTest>
#include <array>
#include <cmath>
#include <filesystem>
#include <set>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "io/hf_config.h"
#include "io/json_util.h"
#include "model/transformer.h"
#include "rope/rope_math.h"
#include "tiny_training.h"
#include "train/kjv_corpus.h"
#include "train/passkey_text.h"
#include "train/train_data.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/files.h"

using rope::testing::tinyParams;
using rope::testing::writeCorpus;

using namespace rope;
namespace fs = std::filesystem;

namespace {

std::string kjvLike(int books) {
  std::string t;
  const char* names[] = {"Ge",   "Exo", "Lev", "Num", "Deu", "Josh", "Jdgs",
                         "Ruth", "1Sm", "2Sm", "1Ki", "2Ki", "1Chr", "2Chr"};
  for (int b = 0; b < books; ++b) {
    for (int c = 1; c <= 2; ++c) {
      for (int v = 1; v <= 3; ++v) {
        t += std::string(names[b]) + std::to_string(c) + ":" + std::to_string(v) +
             " And it came to pass in book " + std::to_string(b) + ".\n";
      }
    }
  }
  return t;
}

// The corpus's validation documents as the trainer reads them (BOS first).
std::vector<std::vector<int64_t>> validationDocs(const Tokenizer& tok, const std::string& corpus) {
  std::vector<std::vector<int64_t>> docs;
  for (const auto& f : corpusFiles(corpus, "validation")) {
    auto ids = tok.encode(readFile(f));
    ids.insert(ids.begin(), tok.bosId());
    docs.push_back(ids);
  }
  return docs;
}

// The engine's mean token loss on the validation windows the trainer scores.
double engineValidationLoss(const std::string& modelDir, const WindowSampler& sampler,
                            int windows) {
  Transformer engine(modelDir, {});
  double sum = 0;
  int64_t n = 0;
  for (const auto& w : sampler.fixedWindows(windows)) {
    const auto nll = engine.nll(w, 1);
    sum += nll.sum;
    n += nll.tokens;
  }
  return sum / n;
}

// A tiny corpus and a model trained on it, to fine-tune.
bool trainBase(const std::string& corpus, const std::string& base) {
  writeCorpus(corpus);
  return train(tinyParams(corpus, base), {}).valid;
}

}  // namespace

class TestTrain : public QObject {
  Q_OBJECT

 private slots:
  void kjvSplit();
  void kjvBadText();
  void trainExportsWhatTheEngineScores();
  void interruptedRunResumes();
  void badParams();
  void fineTuneWithFactorSet();
  void fineTuneWithShortWindows();
  void fineTuneRefusesWhatItCannotContinue();
};

void TestTrain::kjvSplit() {
  const KjvCorpus c = parseKjv(kjvLike(14));
  QCOMPARE(int(c.train.size() + c.validation.size() + c.test.size()), 14);
  QCOMPARE(c.test.front().name, std::string("Num"));         // book 3
  QCOMPARE(c.validation.front().name, std::string("Ruth"));  // book 7
  QCOMPARE(c.train.front().text.substr(0, 16), std::string("And it came to p"));
  QVERIFY(c.train.front().text.find('\n') != std::string::npos);  // chapters on lines
}

void TestTrain::kjvBadText() {
  QVERIFY_THROWS_EXCEPTION(InputError, parseKjv(""));
  QVERIFY_THROWS_EXCEPTION(InputError, parseKjv(kjvLike(3)));
  QVERIFY_THROWS_EXCEPTION(InputError, parseKjv(kjvLike(12) + "not a verse\n"));
}

void TestTrain::trainExportsWhatTheEngineScores() {
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  QTemporaryDir dir;
  const std::string corpus = dir.filePath("corpus").toStdString();
  writeCorpus(corpus);
  const std::string out = dir.filePath("model").toStdString();
  TrainParams p = tinyParams(corpus, out);
  std::vector<double> validation;
  const TrainResult r = train(p, [&](const TrainProgress& pr) {
    if (pr.validationLoss) validation.push_back(*pr.validationLoss);
    return true;
  });
  QVERIFY2(r.valid, r.error.c_str());
  QCOMPARE(validation.size(), size_t(2));
  QVERIFY(validation.back() < std::log(120.0));  // learnt something beyond uniform
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.model", "training.json",
                        "training_log.txt"}) {
    QVERIFY2(fs::exists(fs::path(out) / f), f);
  }
  QVERIFY(!fs::exists(out + ".partial"));

  // The engine loads the export (float16 weights) and scores the validation windows as the
  // trainer did.
  const Tokenizer tok(out + "/tokenizer.model");
  const auto docs = validationDocs(tok, corpus);
  const WindowSampler sampler(docs, tok, p.context, 0.0);
  const double engineLoss = engineValidationLoss(out, sampler, p.evalWindows);
  qInfo("trainer validation loss %.5f, engine on the float16 export %.5f", validation.back(),
        engineLoss);
  QVERIFY(std::fabs(engineLoss - validation.back()) < 2e-3 * validation.back());

  // A passkey snippet is the passkey test's prompt, then the key, then corpus text.
  QVERIFY(!sampler.passkeyFits());
  QVERIFY_THROWS_EXCEPTION(InputError, WindowSampler(docs, tok, p.context, 0.25));
  const passkey::PromptBuilder prompts(passkey::codecFor(tok));
  const int shortest = prompts.minLength({passkey::kMaxKey});
  const int context = shortest + 40;
  const WindowSampler withKeys(docs, tok, context, 1.0, 0.5);
  QVERIFY(withKeys.passkeyFits());
  std::mt19937_64 rng(3);
  std::set<int> starts;
  int instructed = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const PasskeySnippet s = withKeys.passkeySnippet(rng);
    QCOMPARE(int(s.ids.size()), context + 1);
    QVERIFY(s.answerStart + s.answerTokens <= context + 1);
    // The test's prompt starts with BOS and the instruction; a needle starts in corpus text.
    if (s.ids[0] == tok.bosId()) {
      ++instructed;
      QVERIFY(s.answerStart >= shortest - 6);
    }
    const std::string answer = tok.decode(std::vector<int64_t>(
        s.ids.begin() + s.answerStart, s.ids.begin() + s.answerStart + s.answerTokens));
    const std::string prompt =
        tok.decode(std::vector<int64_t>(s.ids.begin(), s.ids.begin() + s.answerStart));
    QVERIFY2(passkey::firstInteger(answer) == passkey::firstInteger(answer + "x") &&
                 !passkey::firstInteger(answer).empty(),
             answer.c_str());
    const std::string key = passkey::firstInteger(answer);
    // (The test tokenizer lacks capitals: compare lower-case tails of the texts.)
    QVERIFY2(prompt.find("pass key is " + key + ". ") != std::string::npos, prompt.c_str());
    QVERIFY2(prompt.find(key + " is the pass key.") != std::string::npos, prompt.c_str());
    const std::string question = "hat is the pass key";
    const std::string tail = "he pass key is";
    QVERIFY2(prompt.find(question) != std::string::npos && prompt.size() > tail.size() &&
                 prompt.compare(prompt.size() - tail.size(), std::string::npos, tail) == 0,
             prompt.c_str());
    // The answer ends as the key sentence ends: its period follows the key's tokens.
    const std::vector<int64_t> ending = prompts.answerEnding(std::stoi(key));
    QVERIFY(!ending.empty());
    QVERIFY(
        std::equal(ending.begin(), ending.end(), s.ids.begin() + s.answerStart + s.answerTokens));
    const std::string ended = tok.decode(
        std::vector<int64_t>(s.ids.begin() + s.answerStart,
                             s.ids.begin() + s.answerStart + s.answerTokens + ending.size()));
    QVERIFY2(ended.find(key + ".") != std::string::npos, ended.c_str());
    starts.insert(s.answerStart);
  }
  QVERIFY2(starts.size() > 10, "snippet lengths vary");
  QVERIFY2(instructed > 5 && instructed < 35, "both kinds of snippet occur");

  // Keys as the passkey test draws them (mostly five digits), or balanced by digit count.
  // counts[d]: keys of d digits in 500 snippets; counts[0]: keys outside 1..kMaxKey.
  auto digitCounts = [&](bool byLength) -> std::array<int, 6> {
    const WindowSampler sampler(docs, tok, context, 1.0, 0.0, byLength);
    std::mt19937_64 keyRng(5);
    std::array<int, 6> counts{};
    for (int trial = 0; trial < 500; ++trial) {
      const PasskeySnippet s = sampler.passkeySnippet(keyRng);
      const std::string key = passkey::firstInteger(tok.decode(std::vector<int64_t>(
          s.ids.begin() + s.answerStart, s.ids.begin() + s.answerStart + s.answerTokens)));
      const bool valid = !key.empty() && key.size() <= 5 && std::stoi(key) <= passkey::kMaxKey;
      ++counts[valid ? key.size() : 0];
    }
    return counts;
  };
  const auto uniform = digitCounts(false);
  QCOMPARE(uniform[0], 0);
  QVERIFY2(uniform[5] > 350 && uniform[3] < 30, "uniform keys: 80% of five digits");
  const auto balanced = digitCounts(true);
  QCOMPARE(balanced[0], 0);
  for (int digits = 1; digits <= 5; ++digits) {
    QVERIFY2(balanced[digits] > 60 && balanced[digits] < 140,
             qPrintable(QString("%1 keys of %2 digits in 500").arg(balanced[digits]).arg(digits)));
  }
}

void TestTrain::interruptedRunResumes() {
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  QTemporaryDir dir;
  const std::string corpus = dir.filePath("corpus").toStdString();
  writeCorpus(corpus);
  const TrainResult straight = train(tinyParams(corpus, dir.filePath("a").toStdString()), {});
  QVERIFY(straight.valid);

  TrainParams p = tinyParams(corpus, dir.filePath("b").toStdString());
  const TrainResult cut = train(p, [](const TrainProgress& pr) { return pr.step < 4; });
  QVERIFY(cut.cancelled);
  QVERIFY(!fs::exists(p.outDir));
  QVERIFY(fs::exists(p.outDir + ".partial/state.json"));
  QVERIFY_THROWS_EXCEPTION(InputError, train(p, {}));  // needs --resume
  p.resume = true;
  const TrainResult resumed = train(p, {});
  QVERIFY2(resumed.valid, resumed.error.c_str());
  qInfo("straight %.6f, resumed %.6f", straight.validationLoss, resumed.validationLoss);
  QVERIFY(std::fabs(straight.validationLoss - resumed.validationLoss) < 1e-5);
}

void TestTrain::badParams() {
  QTemporaryDir dir;
  const std::string corpus = dir.filePath("corpus").toStdString();
  writeCorpus(corpus);
  TrainParams p = tinyParams(corpus, dir.path().toStdString());  // exists
  QVERIFY_THROWS_EXCEPTION(InputError, validateTrainParams(p));
  p.outDir = dir.filePath("m").toStdString();
  p.hidden = 30;  // not a multiple of the heads' even head_dim
  QVERIFY_THROWS_EXCEPTION(InputError, validateTrainParams(p));
  p = tinyParams(dir.filePath("missing").toStdString(), dir.filePath("m").toStdString());
  QVERIFY_THROWS_EXCEPTION(InputError, validateTrainParams(p));
  p = tinyParams(corpus, dir.filePath("m").toStdString());
  p.context = 200000;  // longer than any document
  if (Tokenizer::available()) {
    QVERIFY_THROWS_EXCEPTION(InputError, train(p, {}));
    QVERIFY(!fs::exists(p.outDir + ".partial"));  // nothing half-written left behind
    QVERIFY(!fs::exists(p.outDir));
  }
}

namespace {

// A factor set for the tiny model (head_dim 16: 8 pairs) at 2x its window of 32.
FactorSet tinySet() {
  FactorSet set;
  set.name = "tiny-2x";
  set.factors = {1.0, 1.1, 1.3, 1.6, 2.0, 2.0, 2.2, 2.4};
  set.originalMaxPosition = 32;
  set.targetLength = 64;
  return set;
}

}  // namespace

void TestTrain::fineTuneWithFactorSet() {
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  QTemporaryDir dir;
  const std::string corpus = dir.filePath("corpus").toStdString(),
                    base = dir.filePath("base").toStdString();
  QVERIFY(trainBase(corpus, base));

  TrainParams p = tinyParams(corpus, dir.filePath("ft").toStdString());
  p.initDir = base;
  p.rope = tinySet();
  p.context = 64;
  p.layers = 7;  // ignored: the shape comes from the init model
  std::vector<double> losses, validation;
  std::vector<std::string> messages;
  const TrainResult r = train(p, [&](const TrainProgress& pr) {
    if (pr.step > 0) losses.push_back(pr.loss);
    if (pr.validationLoss) validation.push_back(*pr.validationLoss);
    if (!pr.message.empty() && pr.step == 0) messages.push_back(pr.message);
    return true;
  });
  QVERIFY2(r.valid, r.error.c_str());
  // It continued the trained model: its first loss is far below a new model's (ln 120 = 4.8).
  qInfo("first fine-tuning loss %.4f", losses.front());
  QVERIFY(losses.front() < std::log(120.0) - 1.0);
  QCOMPARE(messages.size(), size_t(1));  // short factors: ones
  QVERIFY(messages.front().find("short factors") != std::string::npos);

  // The exported config holds the set as a LongRoPE block at the new length.
  const ModelConfig mc = readModelConfig(p.outDir);
  QCOMPARE(mc.numLayers, 1);
  QCOMPARE(mc.maxPosition, 64);
  QCOMPARE(mc.rope.method, RopeMethod::LongRope);
  QCOMPARE(mc.rope.originalMaxPosition, 32);
  QVERIFY(mc.rope.longFactor == tinySet().factors);
  QVERIFY(mc.rope.shortFactor == std::vector<double>(8, 1.0));
  QVERIFY(std::fabs(attentionFactor(mc.rope, 64) - std::sqrt(1 + std::log(2.0) / std::log(32.0))) <
          1e-12);

  // The engine reads that config and scores the validation windows as the trainer did: the
  // forward passes used the RoPE of the exported config.
  const Tokenizer tok(p.outDir + "/tokenizer.model");
  const WindowSampler sampler(validationDocs(tok, corpus), tok, p.context, 0.0);
  const double engineLoss = engineValidationLoss(p.outDir, sampler, p.evalWindows);
  qInfo("fine-tuning validation loss %.5f, engine on the export %.5f", validation.back(),
        engineLoss);
  QVERIFY(std::fabs(engineLoss - validation.back()) < 2e-3 * validation.back());

  // Resuming with another factor set is refused before any work.
  TrainParams cut = p;
  cut.outDir = dir.filePath("cut").toStdString();
  QVERIFY(train(cut, [](const TrainProgress& pr) { return pr.step < 4; }).cancelled);
  cut.resume = true;
  cut.rope->factors.back() = 2.6;
  QVERIFY_THROWS_EXCEPTION(InputError, train(cut, {}));
  QVERIFY(fs::exists(cut.outDir + ".partial/state.json"));  // the checkpoint is kept
}

void TestTrain::fineTuneWithShortWindows() {
  // Mixed-length fine-tuning: half of each step's rows become windows of the original 32
  // tokens, read with the RoPE the exported config gives at that length (its short factors).
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  QTemporaryDir dir;
  const std::string corpus = dir.filePath("corpus").toStdString(),
                    base = dir.filePath("base").toStdString();
  // A base trained long enough to use positions (sentences of eight words end in a full stop).
  writeCorpus(corpus);
  TrainParams baseParams = tinyParams(corpus, base);
  baseParams.steps = 300;
  baseParams.evalEvery = 300;
  QVERIFY(train(baseParams, {}).valid);
  TrainParams p = tinyParams(corpus, dir.filePath("mixed").toStdString());
  p.initDir = base;
  p.rope = tinySet();
  // Short factors far from the long ones, so that the two readings score apart.
  p.rope->shortFactors = std::vector<double>(8, 16.0);
  p.context = 64;
  p.shortShare = 0.5;  // 2 of 4 rows, 2 windows of 32 each
  std::vector<double> validation, shortValidation;
  const TrainResult r = train(p, [&](const TrainProgress& pr) {
    if (pr.validationLoss) validation.push_back(*pr.validationLoss);
    if (pr.shortValidationLoss) shortValidation.push_back(*pr.shortValidationLoss);
    return true;
  });
  QVERIFY2(r.valid, r.error.c_str());
  QCOMPARE(shortValidation.size(), validation.size());

  // The engine reads the export and scores the validation windows at 64 as the trainer did.
  const ModelConfig mc = readModelConfig(p.outDir);
  QVERIFY(mc.rope.shortFactor == p.rope->shortFactors);
  const Tokenizer tok(p.outDir + "/tokenizer.model");
  const auto docs = validationDocs(tok, corpus);
  const double longLoss =
      engineValidationLoss(p.outDir, WindowSampler(docs, tok, 64, 0.0), p.evalWindows);
  QVERIFY(std::fabs(longLoss - validation.back()) < 2e-3 * validation.back());
  // The short windows were read with the short factors: the engine with the short factors at
  // every position scores them as the trainer did, with the long ones it does not.
  auto shortWindowLoss = [&](const std::vector<double>& factors) {
    Transformer engine(p.outDir, {});
    FactorSet set = *p.rope;
    set.factors = set.shortFactors = factors;
    engine.setFactorSet(set);
    double sum = 0;
    int64_t tokens = 0;
    for (const auto& w : WindowSampler(docs, tok, 32, 0.0).fixedWindows(p.evalWindows)) {
      const auto nll = engine.nll(w, 1);
      sum += nll.sum;
      tokens += nll.tokens;
    }
    return sum / tokens;
  };
  const double withShort = shortWindowLoss(p.rope->shortFactors);
  const double withLong = shortWindowLoss(p.rope->factors);
  qInfo(
      "validation at 64: trainer %.5f, engine %.5f; at 32: trainer %.5f, engine with the "
      "short factors %.5f, with the long ones %.5f",
      validation.back(), longLoss, shortValidation.back(), withShort, withLong);
  QVERIFY(std::fabs(withShort - shortValidation.back()) < 2e-3 * shortValidation.back());
  QVERIFY(std::fabs(withLong - shortValidation.back()) > 1e-2 * shortValidation.back());
  const auto info = json_util::parseFile(p.outDir + "/training.json");
  QCOMPARE(info.at("short_window").get<int>(), 32);
  QCOMPARE(info.at("params").at("short_share").get<double>(), 0.5);

  // The short windows took part in the steps: the weights differ from a run without them.
  TrainParams plain = p;
  plain.outDir = dir.filePath("plain").toStdString();
  plain.shortShare = 0;
  QVERIFY(train(plain, {}).valid);
  QVERIFY(readFile(plain.outDir + "/model.safetensors") !=
          readFile(p.outDir + "/model.safetensors"));

  // A share without --init, or one that rounds to no row (or to every row), is refused.
  TrainParams bad = p;
  bad.outDir = dir.filePath("bad").toStdString();
  bad.shortShare = 0.1;  // of 4 rows: none
  QVERIFY_THROWS_EXCEPTION(InputError, validateTrainParams(bad));
  bad.shortShare = 0.9;  // all 4
  QVERIFY_THROWS_EXCEPTION(InputError, validateTrainParams(bad));
  bad = tinyParams(corpus, dir.filePath("bad").toStdString());
  bad.shortShare = 0.5;
  QVERIFY_THROWS_EXCEPTION(InputError, validateTrainParams(bad));
  QVERIFY(!fs::exists(bad.outDir) && !fs::exists(bad.outDir + ".partial"));
}

void TestTrain::fineTuneRefusesWhatItCannotContinue() {
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  QTemporaryDir dir;
  const std::string corpus = dir.filePath("corpus").toStdString(),
                    base = dir.filePath("base").toStdString();
  QVERIFY(trainBase(corpus, base));

  auto refused = [&](TrainParams p, const std::string& expected) {
    p.outDir = dir.filePath("out").toStdString();
    try {
      train(p, {});
    } catch (const InputError& e) {
      const std::string what = e.what();
      if (what.find(expected) == std::string::npos) {
        qWarning("message '%s' lacks '%s'", what.c_str(), expected.c_str());
        return false;
      }
      return !fs::exists(p.outDir) && !fs::exists(p.outDir + ".partial");
    }
    return false;
  };
  TrainParams p = tinyParams(corpus, "");
  p.initDir = base;
  p.rope = tinySet();
  p.context = 64;
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.context = 32;
        return q;
      }(),
      "original window (32)"));
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.rope->factors.pop_back();
        return q;
      }(),
      "8"));
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.rope->nHat = 4;
        return q;
      }(),
      "n_hat"));
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.initDir.clear();
        return q;
      }(),
      "--init"));
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.initDir = corpus;
        return q;
      }(),
      "config.json"));

  // Another architecture; no tokenizer.model.
  const std::string qwen = dir.filePath("qwen").toStdString();
  fs::copy(base, qwen);
  std::string config = readFile(qwen + "/config.json");
  config.replace(config.find("LlamaForCausalLM"), 16, "Qwen2ForCausalLM");
  config.replace(config.find("\"llama\""), 7, "\"qwen2\"");
  writeFileAtomic(qwen + "/config.json", config);
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.initDir = qwen;
        return q;
      }(),
      "Llama"));
  const std::string noTok = dir.filePath("notok").toStdString();
  fs::copy(base, noTok);
  fs::remove(noTok + "/tokenizer.model");
  QVERIFY(refused(
      [&] {
        auto q = p;
        q.initDir = noTok;
        return q;
      }(),
      "tokenizer.model"));
}

QTEST_APPLESS_MAIN(TestTrain)
#include "test_train.moc"
