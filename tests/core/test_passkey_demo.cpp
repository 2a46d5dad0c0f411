// Passkey retrieval on the demo model: its tokenizer decodes what it encodes, the teacher-forced
// scoring agrees with the engine, and end-to-end runs through core and rope-cli.
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "model/transformer.h"
#include "train/passkey_text.h"
#include "passkey_testing.h"
#include "util/error.h"

using namespace rope;
using namespace rope::passkey;
using rope::testing::CliRun;
using rope::testing::cliRun;
using rope::testing::decodesAsNaive;
using rope::testing::demoModel;
using rope::testing::naiveGreedy;

namespace {

Params demoParams(const std::string& dir) {
  Params p;
  p.modelDir = dir;
  p.engine.threads = 1;
  p.lengths = {128};
  p.depths = {0, 0.5, 1};
  p.trials = 4;
  p.seed = 7;
  return p;
}

}  // namespace

class TestPasskeyDemo : public QObject {
  Q_OBJECT
 private slots:
  void tokenizerDecode();
  void demoModelScoring();
  void demoModelEndToEnd();
  void demoModelCli();
};

void TestPasskeyDemo::tokenizerDecode() {
  const std::string dir = demoModel();
  if (dir.empty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  const Tokenizer tok(dir + "/tokenizer.model");
  const std::string text = keySentence(4501) + " " + kQuestion;
  const auto ids = tok.encode(text);
  QCOMPARE(tok.decode(ids), text);
  QCOMPARE(tok.decode({}), std::string());
  QVERIFY(tok.eosId() >= 0 && tok.eosId() != tok.bosId());
  QVERIFY_THROWS_EXCEPTION(InputError, tok.decode({int64_t(tok.vocabSize())}));
  QVERIFY_THROWS_EXCEPTION(InputError, tok.decode({-1}));
  // Prompts built from separately encoded parts read back as the intended text.
  const PromptBuilder builder(codecFor(tok));
  for (int length : {128, 129, 300, 1024}) {
    for (double depth : {0.0, 0.5, 1.0}) {
      const Prompt p = builder.build(length, depth, 4501);
      QCOMPARE(int(p.ids.size()), length);
      QCOMPARE(p.ids.front(), int64_t(tok.bosId()));
      const std::vector<int64_t> keyIds(p.ids.begin() + p.keyStart,
                                        p.ids.begin() + p.keyStart + p.keyTokens);
      QCOMPARE(tok.decode(keyIds), keySentence(4501));
      const std::string all = tok.decode(std::vector<int64_t>(p.ids.begin() + 1, p.ids.end()));
      QVERIFY(all.rfind(kInstruction, 0) == 0);
      QVERIFY(all.size() > std::string(kQuestion).size() &&
              all.compare(all.size() - std::string(kQuestion).size(), std::string::npos,
                          kQuestion) == 0);
      QCOMPARE(tok.decode(p.answer), std::string("4501"));
    }
  }
}

void TestPasskeyDemo::demoModelScoring() {
  // On the real model, with its key/value cache: the teacher-forced key log-probability is the
  // engine's NLL of the key tokens, and the shortcut decodes what re-running the model on the
  // whole sequence token by token decodes (its RoPE does not depend on the pass length).
  const std::string dir = demoModel();
  if (dir.empty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  const Tokenizer tok(dir + "/tokenizer.model");
  Transformer::Options o;
  o.threads = 1;
  Transformer model(dir, o);
  const Codec codec = codecFor(tok);
  const PromptBuilder builder(codec);
  const LogitsFn logits = [&](const std::vector<int64_t>& ids, int first) {
    return model.logits(ids, first);
  };
  const int shortest = builder.minLength({27182});
  for (int length : {shortest, 128, 300}) {
    for (double depth : {0.0, 1.0}) {
      const Prompt p = builder.build(length, depth, 27182);
      const TrialScore s = scoreTrial(cachedDecoder(model), codec, p, 10);
      std::vector<int64_t> seq = p.ids;
      seq.insert(seq.end(), p.answer.begin(), p.answer.end());
      const Transformer::Nll nll = model.nll(seq, length);
      QCOMPARE(nll.tokens, int64_t(p.answer.size()));
      QVERIFY2(std::fabs(s.logprob + nll.sum) <= 1e-4 * (1 + nll.sum),
               qPrintable(QString("log p %1, NLL %2").arg(s.logprob).arg(nll.sum)));
      QVERIFY(decodesAsNaive(s, naiveGreedy(logits, codec, p.ids, 10), codec, "27182"));
      QCOMPARE(s.output, tok.decode(s.generated));
      QCOMPARE(s.correct, firstInteger(s.output) == "27182");
    }
  }
}

void TestPasskeyDemo::demoModelEndToEnd() {
  const std::string dir = demoModel();
  if (dir.empty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  Params p = demoParams(dir);
  // The snippets the model was trained on have no filler: the shortest prompt is that layout.
  const Tokenizer tok(dir + "/tokenizer.model");
  const int shortest = PromptBuilder(codecFor(tok)).minLength(drawKeys(p.seed, p.trials));
  p.lengths = {shortest, 128};
  int calls = 0, lastDone = 0, lastTotal = 0;
  bool monotone = true;
  const Result r = run(p, [&](int done, int total) {
    ++calls;
    monotone = monotone && done >= lastDone;
    lastDone = done;
    lastTotal = total;
    return true;
  });
  QVERIFY2(r.valid, r.error.c_str());
  QVERIFY(calls >= 24);  // after every forward pass
  QVERIFY(monotone);
  QCOMPARE(lastDone, 24);
  QCOMPARE(lastTotal, 24);
  QCOMPARE(int(r.cells.size()), 6);
  QCOMPARE(r.methodology.keys, drawKeys(7, 4));
  QCOMPARE(r.methodology.originalMaxPosition, 128);
  int correct = 0;
  for (const Cell& c : r.cells) {
    QCOMPARE(c.trials, 4);
    QCOMPARE(int(c.scores.size()), 4);
    QVERIFY(c.meanLogprob < 0);
    QVERIFY(c.meanLogprobTotal <= c.meanLogprob);  // several key tokens, each log p < 0
    correct += c.correct;
    for (const TrialScore& s : c.scores) {
      QCOMPARE(s.correct, firstInteger(s.output) == std::to_string(s.key));
    }
  }
  qInfo("demo model at %d and 128 tokens: %d of 24 keys; key log p per token %.3f at %d", shortest,
        correct, r.cells[0].meanLogprob, shortest);
  // In its training layout the model expects the key's digits there: far more probability
  // than a uniform guess over the vocabulary (-ln V; a broken prompt or scoring lands there).
  const double uniform = -std::log(double(tok.vocabSize()));
  for (int i = 0; i < 3; ++i) {
    QVERIFY2(r.cells[i].meanLogprob > uniform / 2,
             qPrintable(QString("log p %1 per key token, uniform %2")
                            .arg(r.cells[i].meanLogprob)
                            .arg(uniform)));
  }

  // Deterministic for a seed.
  const Result again = run(p);
  QVERIFY(again.valid);
  for (size_t i = 0; i < r.cells.size(); ++i) {
    QCOMPARE(again.cells[i].correct, r.cells[i].correct);
    QCOMPARE(again.cells[i].meanLogprob, r.cells[i].meanLogprob);
    for (size_t t = 0; t < r.cells[i].scores.size(); ++t) {
      QCOMPARE(again.cells[i].scores[t].output, r.cells[i].scores[t].output);
    }
  }

  // Cancel after the first trial: cancelled, not failed, and promptly.
  int seen = 0;
  const Result cancelled = run(p, [&](int, int) { return ++seen < 1; });
  QCOMPARE(int(cancelled.status), int(Status::Cancelled));
  QVERIFY(!cancelled.valid);
  QCOMPARE(seen, 1);
}

void TestPasskeyDemo::demoModelCli() {
  const std::string dir = demoModel();
  if (dir.empty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  const CliRun c = cliRun({"passkey", "--model", dir, "--lengths", "128,256", "--depths", "0.5",
                           "--trials", "2", "--seed", "3", "--method", "linear", "--factor", "2",
                           "--threads", "1", "--json", "--trials-detail"});
  QVERIFY2(c.code == 0, c.err.c_str());
  const auto j = nlohmann::json::parse(c.out);
  QCOMPARE(j["cells"].size(), size_t(2));
  QCOMPARE(j["cells"][1]["length"].get<int>(), 256);
  QCOMPARE(j["cells"][1]["depth"].get<double>(), 0.5);
  QCOMPARE(j["cells"][1]["trials"].get<int>(), 2);
  QCOMPARE(j["cells"][1]["trial_scores"].size(), size_t(2));
  const double acc = j["cells"][0]["accuracy"].get<double>();
  QVERIFY(acc == 0 || acc == 0.5 || acc == 1);
  QVERIFY(j["cells"][0]["mean_logprob"].get<double>() < 0);
  QCOMPARE(j["methodology"]["rope_method"].get<std::string>(), std::string("linear"));
  QCOMPARE(j["methodology"]["seed"].get<int>(), 3);
  QCOMPARE(j["methodology"]["keys"].get<std::vector<int>>(), drawKeys(3, 2));
  // Range errors exit 1 with the reason.
  const CliRun shortLen = cliRun({"passkey", "--model", dir, "--lengths", "40"});
  QCOMPARE(shortLen.code, 1);
  QVERIFY2(QString::fromStdString(shortLen.err).contains("fixed parts"), shortLen.err.c_str());
  const CliRun deep = cliRun({"passkey", "--model", dir, "--depths", "0,1.5"});
  QCOMPARE(deep.code, 1);
  QVERIFY2(QString::fromStdString(deep.err).contains("outside [0, 1]"), deep.err.c_str());
}

QTEST_APPLESS_MAIN(TestPasskeyDemo)
#include "test_passkey_demo.moc"
