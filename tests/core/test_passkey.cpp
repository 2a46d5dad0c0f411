// Passkey retrieval: the prompt's exact length and key depth, scoring against oracle models
// (greedy decoding, the teacher-forced shortcut, the first-integer rule), keys from a seed,
// bad input (the demo model's end-to-end runs: test_passkey_demo).
#include <QtTest>
#include <cmath>

#include "eval/passkey.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "passkey_testing.h"
#include "train/passkey_text.h"
#include "util/error.h"

using namespace rope;
using namespace rope::passkey;
using rope::testing::CliRun;
using rope::testing::cliRun;
using rope::testing::decodesAsNaive;
using rope::testing::naiveGreedy;

namespace {

constexpr int kBos = 256, kEos = 257, kVocab = 258;

// One token per byte, BOS 256, EOS 257: every structural property is visible in the text.
Codec byteCodec() {
  Codec c;
  c.encode = [](const std::string& text) {
    std::vector<int64_t> ids;
    for (unsigned char ch : text) ids.push_back(ch);
    return ids;
  };
  c.decode = [](const std::vector<int64_t>& ids) {
    std::string text;
    for (int64_t id : ids) {
      if (id < 256) text += static_cast<char>(id);
    }
    return text;
  };
  c.bos = kBos;
  c.eos = kEos;
  c.vocab = kVocab;
  return c;
}

std::string textOf(const std::vector<int64_t>& ids, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to; ++i) s += static_cast<char>(ids[i]);
  return s;
}

// A model that continues `truth` after the prompt: the logits favour truth's next byte (by
// `margin` nats) while the context agrees with prompt + truth, else EOS. Counts its calls.
struct Oracle {
  std::vector<int64_t> prompt;
  std::string truth;
  float margin = 20;
  int calls = 0;

  std::vector<float> operator()(const std::vector<int64_t>& ids, int firstRow) {
    ++calls;
    std::vector<float> out;
    for (size_t t = firstRow; t < ids.size(); ++t) {
      std::vector<float> row(kVocab, 0.f);
      const size_t k = t + 1 - prompt.size();  // bytes of truth already in the context
      bool agrees = t + 1 >= prompt.size() && k <= truth.size();
      for (size_t i = prompt.size(); agrees && i <= t; ++i) {
        agrees = ids[i] == static_cast<unsigned char>(truth[i - prompt.size()]);
      }
      row[agrees && k < truth.size() ? static_cast<unsigned char>(truth[k]) : kEos] = margin;
      out.insert(out.end(), row.begin(), row.end());
    }
    return out;
  }
};


}  // namespace

class TestPasskey : public QObject {
  Q_OBJECT
 private slots:
  void promptLayout_data();
  void promptLayout();
  void needleLayout_data();
  void needleLayout();
  void firstIntegerRule_data();
  void firstIntegerRule();
  void cannotBecomeRule();
  void oracleFindsKey();
  void wrongAnswers();
  void shortcutMatchesNaiveGreedy();
  void keysFromSeed();
  void badInput();
  void engineRowsFrom();
};

void TestPasskey::promptLayout_data() {
  QTest::addColumn<int>("extra");  // tokens beyond the fixed parts
  QTest::addColumn<double>("depth");
  for (int extra : {0, 1, 88, 89, 90, 500, 1234}) {
    for (double depth : {0.0, 0.25, 0.5, 0.77, 1.0}) {
      QTest::addRow("+%d@%.2f", extra, depth) << extra << depth;
    }
  }
}

void TestPasskey::promptLayout() {
  QFETCH(int, extra);
  QFETCH(double, depth);
  const PromptBuilder builder(byteCodec());
  const int key = 31415;
  const std::string keyText = keySentence(key);
  const int fixed =
      1 + int(std::string(kInstruction).size() + keyText.size() + std::string(kQuestion).size());
  QCOMPARE(builder.minLength({key}), fixed);
  const Prompt p = builder.build(fixed + extra, depth, key);

  QCOMPARE(int(p.ids.size()), fixed + extra);
  QCOMPARE(p.ids.front(), int64_t(kBos));
  QCOMPARE(p.fillerTokens, extra);
  QCOMPARE(textOf(p.ids, p.keyStart, p.keyStart + p.keyTokens), keyText);
  QCOMPARE(textOf(p.ids, 1, 1 + std::string(kInstruction).size()), std::string(kInstruction));
  QCOMPARE(textOf(p.ids, p.ids.size() - std::string(kQuestion).size(), p.ids.size()),
           std::string(kQuestion));
  // The key at the requested depth (to half a token, well within one filler sentence).
  const int sentence = int(std::string(kFiller).size());
  QCOMPARE(p.keyStart, 1 + int(std::string(kInstruction).size()) + p.fillerBefore);
  QVERIFY2(std::fabs(p.fillerBefore - depth * extra) <= 0.5,
           qPrintable(QString("filler before the key %1, requested %2 of %3")
                          .arg(p.fillerBefore)
                          .arg(depth)
                          .arg(extra)));
  if (extra > 0) QCOMPARE(p.depth, double(p.fillerBefore) / extra);
  if (depth == 0) QCOMPARE(p.fillerBefore, 0);
  if (depth == 1) QCOMPARE(p.fillerBefore, extra);
  // Both filler runs repeat the sentence from its start.
  const std::string before = textOf(p.ids, 1 + std::string(kInstruction).size(), p.keyStart);
  const std::string after =
      textOf(p.ids, p.keyStart + p.keyTokens, p.ids.size() - std::string(kQuestion).size());
  QCOMPARE(int(before.size()), p.fillerBefore);
  QCOMPARE(int(after.size()), extra - p.fillerBefore);
  for (size_t i = 0; i < before.size(); ++i) QCOMPARE(before[i], kFiller[i % sentence]);
  for (size_t i = 0; i < after.size(); ++i) QCOMPARE(after[i], kFiller[i % sentence]);
  // The answer is the key as it follows the question: " 31415".
  QCOMPARE(textOf(p.answer, 0, p.answer.size()), " 31415");
}

void TestPasskey::needleLayout_data() {
  QTest::addColumn<int>("haystack");  // document tokens in the sample
  QTest::addColumn<double>("depth");
  for (int haystack : {1, 2, 50, 333}) {
    for (double depth : {0.0, 0.3, 0.5, 1.0}) {
      QTest::addRow("%d@%.1f", haystack, depth) << haystack << depth;
    }
  }
}

void TestPasskey::needleLayout() {
  QFETCH(int, haystack);
  QFETCH(double, depth);
  const PromptBuilder builder(byteCodec());
  const int key = 2718;
  const std::string keyText = keySentence(key);
  const int fixed = int(keyText.size() + std::string(kQuestion).size()) + 5;  // " 2718"
  std::vector<int64_t> document = {kBos};
  for (int i = 1; i < haystack + 40; ++i) document.push_back('a' + i % 26);
  const int length = fixed + haystack;
  const Prompt p = builder.needle(document, length, depth, key);

  // prompt + answer is exactly the length; the answer is the key as it follows the question.
  QCOMPARE(int(p.ids.size() + p.answer.size()), length);
  QCOMPARE(textOf(p.answer, 0, p.answer.size()), " 2718");
  QCOMPARE(p.ids.front(), int64_t(kBos));
  QCOMPARE(p.fillerTokens, haystack);
  QCOMPARE(textOf(p.ids, p.keyStart, p.keyStart + p.keyTokens), keyText);
  QCOMPARE(textOf(p.ids, p.ids.size() - std::string(kQuestion).size(), p.ids.size()),
           std::string(kQuestion));
  // The document's first `haystack` tokens, in order, around the key sentence at the depth
  // (at least the BOS before it).
  QCOMPARE(p.keyStart, p.fillerBefore);
  QVERIFY(std::fabs(p.fillerBefore - std::max(1.0, depth * haystack)) <= 0.5);
  std::vector<int64_t> around(p.ids.begin(), p.ids.begin() + p.keyStart);
  around.insert(around.end(), p.ids.begin() + p.keyStart + p.keyTokens,
                p.ids.end() - std::string(kQuestion).size());
  QCOMPARE(around, std::vector<int64_t>(document.begin(), document.begin() + haystack));

  // Too short a document or a length with no room for it: errors that say so.
  try {
    builder.needle(std::vector<int64_t>(document.begin(), document.begin() + haystack - 1), length,
                   depth, key);
    QFAIL("a short document was accepted");
  } catch (const InputError& e) {
    QVERIFY2(std::string(e.what()).find("needs a document of") != std::string::npos, e.what());
  }
  QVERIFY_THROWS_EXCEPTION(InputError, builder.needle(document, fixed, depth, key));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.needle(document, length, 1.5, key));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.needle(document, length, depth, 0));
}

void TestPasskey::firstIntegerRule_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("integer");
  QTest::addColumn<bool>("complete");
  QTest::newRow("plain") << " 4501."
                         << "4501" << true;
  QTest::newRow("unfinished") << " 45"
                              << "45" << false;
  QTest::newRow("none") << " the key"
                        << "" << false;
  QTest::newRow("leading zeros") << "007 is"
                                 << "7" << true;
  QTest::newRow("zeros") << "000."
                         << "0" << true;
  QTest::newRow("first of two") << "key 12 and 4501"
                                << "12" << true;
  QTest::newRow("empty") << ""
                         << "" << false;
}

void TestPasskey::firstIntegerRule() {
  QFETCH(QString, text);
  QFETCH(QString, integer);
  QFETCH(bool, complete);
  QCOMPARE(QString::fromStdString(firstInteger(text.toStdString())), integer);
  QCOMPARE(answerComplete(text.toStdString()), complete);
}

void TestPasskey::cannotBecomeRule() {
  // The integer begun can still grow into the key: no digits yet, a prefix, leading zeros.
  for (const char* open : {"", " the", " 45", " 4501", "00", " 0", "key 4", "004"}) {
    QVERIFY2(!cannotBecome(open, "4501"), open);
  }
  // It no longer can: another digit, longer than the key.
  for (const char* settled : {" 46", " 5", " 45011", "0045012", " 4502.", "007"}) {
    QVERIFY2(cannotBecome(settled, "4501"), settled);
  }
}

void TestPasskey::oracleFindsKey() {
  const Codec codec = byteCodec();
  const PromptBuilder builder(codec);
  for (double depth : {0.0, 0.5, 1.0}) {
    const Prompt p = builder.build(600, depth, 4501);
    Oracle oracle{p.ids, " 4501. What", 20.f};
    const TrialScore s = scoreTrial(recomputingDecoder(std::ref(oracle)), codec, p, 10);
    QVERIFY(s.correct);
    QCOMPARE(s.output, std::string(" 4501."));
    QCOMPARE(s.answerTokens, 5);
    // The answer agrees with the teacher-forced passes (the prompt's and one per key byte), so
    // those were the only ones.
    QCOMPARE(s.forwardPasses, 6);
    QCOMPARE(oracle.calls, 6);
    // Each key byte: margin 20 over 257 zero logits: log p = -log(1 + 257 e^-20).
    const double perToken = -std::log1p(257 * std::exp(-20.0));
    QVERIFY(std::fabs(s.logprobPerToken - perToken) < 1e-9);
    QVERIFY(std::fabs(s.logprob - 5 * perToken) < 1e-9);
  }
}

void TestPasskey::wrongAnswers() {
  const Codec codec = byteCodec();
  const PromptBuilder builder(codec);
  const Prompt p = builder.build(500, 0.5, 4501);
  struct Case {
    std::string truth;
    std::string output;
  };
  // Another key and the key with a digit more (decoding stops at the first digit that rules the
  // key out); silence (EOS); no digits within 10 tokens.
  for (const Case& c : {Case{" 4511.", " 451"}, Case{" 45012.", " 45012"}, Case{"", ""},
                        Case{" the key is 4501.", " the key i"}}) {
    Oracle oracle{p.ids, c.truth};
    const TrialScore s = scoreTrial(recomputingDecoder(std::ref(oracle)), codec, p, 10);
    QVERIFY2(!s.correct, c.truth.c_str());
    QCOMPARE(s.output, c.output);
    QCOMPARE(s.forwardPasses, oracle.calls);
  }
  // Cancelled between the forward passes of decoding.
  Oracle slow{p.ids, " the key is 4501."};
  QVERIFY_THROWS_EXCEPTION(CancelledError,
                           scoreTrial(recomputingDecoder(std::ref(slow)), codec, p, 10,
                                      [] { return false; }));
  QCOMPARE(slow.calls, 1);
  // A wrong answer puts little probability on the key.
  Oracle other{p.ids, " 9999."};
  QVERIFY(scoreTrial(recomputingDecoder(std::ref(other)), codec, p, 10).logprobPerToken < -10);
  // Up to maxNewTokens: cut short, the key is not there yet.
  Oracle right{p.ids, " 4501."};
  QVERIFY(!scoreTrial(recomputingDecoder(std::ref(right)), codec, p, 3).correct);
  QVERIFY(scoreTrial(recomputingDecoder(std::ref(right)), codec, p, 5).correct);  // the limit
}

void TestPasskey::shortcutMatchesNaiveGreedy() {
  // A model whose logits depend on the whole context: the shortcut must decode what
  // re-running the model on the growing sequence decodes, whether or not it follows the key.
  const Codec codec = byteCodec();
  const PromptBuilder builder(codec);
  const Prompt p = builder.build(400, 0.25, 27182);
  for (uint64_t salt : {1u, 2u, 3u, 4u, 5u, 6u}) {
    const LogitsFn model = [&](const std::vector<int64_t>& ids, int firstRow) {
      std::vector<float> out;
      for (size_t t = firstRow; t < ids.size(); ++t) {
        uint64_t h = salt;
        for (size_t i = 0; i <= t; ++i) h = h * 1099511628211ull ^ uint64_t(ids[i]);
        std::vector<float> row(kVocab, 0.f);
        // Mostly the key's next byte (so the shortcut is used), sometimes a digit or EOS.
        const size_t k = t + 1 - p.ids.size();
        const int64_t follow = k < p.answer.size() ? p.answer[k] : '.';
        row[h % 3 == 0 ? int64_t('0' + h % 10) : (h % 7 == 0 ? kEos : follow)] = 5;
        out.insert(out.end(), row.begin(), row.end());
      }
      return out;
    };
    const TrialScore s = scoreTrial(recomputingDecoder(model), codec, p, 10);
    QVERIFY(decodesAsNaive(s, naiveGreedy(model, codec, p.ids, 10), codec, "27182"));
  }
}

void TestPasskey::keysFromSeed() {
  const auto a = drawKeys(42, 50), b = drawKeys(42, 50), c = drawKeys(43, 50);
  QCOMPARE(a, b);
  QVERIFY(a != c);
  for (int k : a) QVERIFY(k >= 1 && k <= kMaxKey);
  QCOMPARE(std::vector<int>(a.begin(), a.begin() + 10), drawKeys(42, 10));  // prefix-stable
  // Prompts are a function of (length, depth, key).
  const PromptBuilder builder(byteCodec());
  QCOMPARE(builder.build(500, 0.5, a[0]).ids, builder.build(500, 0.5, a[0]).ids);
}

void TestPasskey::badInput() {
  const PromptBuilder builder(byteCodec());
  const int fixed = builder.minLength({12345});
  QVERIFY_THROWS_EXCEPTION(InputError, builder.build(fixed - 1, 0.5, 12345));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.build(fixed + 100, -0.1, 12345));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.build(fixed + 100, 1.1, 12345));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.build(fixed + 100, std::nan(""), 12345));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.build(fixed + 100, 0.5, 0));
  QVERIFY_THROWS_EXCEPTION(InputError, builder.build(fixed + 100, 0.5, kMaxKey + 1));

  Params p;
  p.lengths = {fixed + 10};
  p.depths = {0, 1};
  p.trials = 3;
  validate(p, builder);  // fine
  try {
    Params q = p;
    q.lengths = {fixed + 10, 20};
    validate(q, builder);
    QFAIL("a length shorter than the fixed parts passed");
  } catch (const InputError& e) {
    QVERIFY2(QString(e.what()).contains("shorter than the prompt's fixed parts"), e.what());
  }
  for (auto edit : std::vector<std::function<void(Params&)>>{
           [](Params& q) {
             q.depths = {0.5, 1.5};
           },
           [](Params& q) { q.depths = {-1}; }, [](Params& q) { q.depths.clear(); },
           [](Params& q) { q.lengths.clear(); }, [](Params& q) { q.trials = 0; },
           [](Params& q) { q.maxNewTokens = 0; }}) {
    Params q = p;
    edit(q);
    QVERIFY_THROWS_EXCEPTION(InputError, validate(q, builder));
  }

  // A model folder without tokenizer.model: a failed result that says so, not a crash.
  Params noTok;
  noTok.modelDir = ROPE_FIXTURES_DIR "/hf-tiny/llama_default";
  const Result r = run(noTok);
  QVERIFY(!r.valid);
  QCOMPARE(int(r.status), int(Status::Failed));
  QVERIFY2(QString::fromStdString(r.error).contains("tokenizer.model"), r.error.c_str());
  const CliRun c = cliRun({"passkey", "--model", noTok.modelDir});
  QCOMPARE(c.code, 1);
  QVERIFY2(QString::fromStdString(c.err).contains("tokenizer.model"), c.err.c_str());
  // Usage errors exit 2, before any model is loaded.
  QCOMPARE(cliRun({"passkey", "--model", noTok.modelDir, "--depths", "0,half"}).code, 2);
  QCOMPARE(cliRun({"passkey", "--model", noTok.modelDir, "--lengths", "128,-1"}).code, 2);
  QCOMPARE(cliRun({"passkey", "--model", noTok.modelDir, "--trials", "x"}).code, 2);
  QCOMPARE(
      cliRun({"passkey", "--model", noTok.modelDir, "--rope", "f.csv", "--method", "yarn"}).code,
      2);
  QCOMPARE(cliRun({"passkey", "--model", noTok.modelDir, "--trials-detail"}).code, 2);
  QCOMPARE(cliRun({"passkey", "extra"}).code, 2);
  // Usage is checked before the (default demo) model is looked for.
  QCOMPARE(cliRun({"passkey", "--depths", "0,x"}).code, 2);
  QCOMPARE(cliRun({"passkey", "--rope", "f.csv", "--method", "yarn"}).code, 2);
}

void TestPasskey::engineRowsFrom() {
  // Transformer::logits(ids, firstRow): the same rows as the full projection, no others.
  const std::string dir = ROPE_FIXTURES_DIR "/hf-tiny/llama_default";
  Transformer::Options o;
  o.threads = 1;
  Transformer model(dir, o);
  const auto all =
      SafetensorsFile(dir + "/reference_short.safetensors").tensor("input_ids").toInt64s();
  const std::vector<int64_t> ids(all.begin(), all.begin() + std::min<size_t>(all.size(), 40));
  const int T = int(ids.size()), V = int(model.config().vocabSize);
  const std::vector<float> full = model.logits(ids);
  for (int first : {0, 1, T - 3, T - 1}) {
    const std::vector<float> rows = model.logits(ids, first);
    QCOMPARE(int(rows.size()), (T - first) * V);
    for (size_t i = 0; i < rows.size(); ++i) {
      QVERIFY(std::fabs(rows[i] - full[size_t(first) * V + i]) <= 1e-4f * (1 + std::fabs(rows[i])));
    }
  }
  QVERIFY_THROWS_EXCEPTION(InputError, model.logits(ids, T));
  QVERIFY_THROWS_EXCEPTION(InputError, model.logits(ids, -1));
}

QTEST_APPLESS_MAIN(TestPasskey)
#include "test_passkey.moc"
