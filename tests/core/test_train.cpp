// The demo model's corpus and trainer: the KJV split, passkey windows, and a tiny end-to-end
// training run whose exported folder the engine loads and scores like the trainer did;
// interruption leaves no model folder and resume continues to the same result.
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <set>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "model/transformer.h"
#include "train/kjv_corpus.h"
#include "train/passkey_text.h"
#include "train/train_data.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/files.h"

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

// A small corpus with enough variety for a 120-piece tokenizer.
void writeCorpus(const std::string& dir) {
  const char* words[] = {"the",    "lord", "said",  "unto", "moses", "and",
                         "people", "went", "out",   "of",   "land",  "into",
                         "city",   "king", "house", "day",  "water", "light"};
  uint32_t x = 12345;
  auto next = [&]() { return (x = x * 1103515245u + 12345u) >> 16; };
  for (const char* split : {"train", "validation"}) {
    fs::create_directories(fs::path(dir) / split);
    for (int d = 0; d < (std::string(split) == "train" ? 6 : 2); ++d) {
      std::string text;
      for (int s = 0; s < 150; ++s) {
        for (int w = 0; w < 8; ++w) text += std::string(words[next() % 18]) + " ";
        text += (s % 10 == 9) ? ".\n" : ". ";
      }
      writeFileAtomic((fs::path(dir) / split / ("d" + std::to_string(d) + ".txt")).string(), text);
    }
  }
}

TrainParams tinyParams(const std::string& corpus, const std::string& out) {
  TrainParams p;
  p.corpusDir = corpus;
  p.outDir = out;
  p.context = 32;
  p.layers = 1;
  p.hidden = 32;
  p.heads = 2;
  p.kvHeads = 1;
  p.intermediate = 48;
  p.vocab = 120;
  p.steps = 6;
  p.batch = 4;
  p.warmupSteps = 2;
  p.evalEvery = 3;
  p.evalWindows = 8;
  p.passkeyShare = 0.0;  // the window is too short for a passkey prompt
  p.threads = 1;
  return p;
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
  std::vector<std::vector<int64_t>> docs;
  for (const auto& f : corpusFiles(corpus, "validation")) {
    auto ids = tok.encode(readFile(f));
    ids.insert(ids.begin(), tok.bosId());
    docs.push_back(ids);
  }
  const WindowSampler sampler(docs, tok, p.context, 0.0);
  Transformer engine(out, {});
  double sum = 0;
  int64_t n = 0;
  for (const auto& w : sampler.fixedWindows(p.evalWindows)) {
    const auto nll = engine.nll(w, 1);
    sum += nll.sum;
    n += nll.tokens;
  }
  qInfo("trainer validation loss %.5f, engine on the float16 export %.5f", validation.back(),
        sum / n);
  QVERIFY(std::fabs(sum / n - validation.back()) < 2e-3 * validation.back());

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
    starts.insert(s.answerStart);
  }
  QVERIFY2(starts.size() > 10, "snippet lengths vary");
  QVERIFY2(instructed > 5 && instructed < 35, "both kinds of snippet occur");
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

QTEST_APPLESS_MAIN(TestTrain)
#include "test_train.moc"
