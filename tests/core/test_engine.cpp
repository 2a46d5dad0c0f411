// The engine against Hugging Face transformers: logits of the hf-tiny fixtures (Llama with GQA,
// Phi-3 with longrope, Mistral, Qwen2 with q/k/v biases; short and long inputs) in float32 on CPU,
// plus RoPE swapping and the NLL.
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "io/hf_config.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "rope/factor_set.h"
#include "rope/rope_math.h"
#include "util/error.h"

using namespace rope;

namespace {

const std::string kFixtures = ROPE_FIXTURES_DIR "/hf-tiny";

// max |a - b| / max |b|
double relativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

// Reference NLL of ids[1..] from reference logits, in double.
double referenceNll(const std::vector<float>& logits, const std::vector<int64_t>& ids, int vocab) {
  double sum = 0;
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    const float* row = logits.data() + t * vocab;
    const double mx = *std::max_element(row, row + vocab);
    double z = 0;
    for (int j = 0; j < vocab; ++j) z += std::exp(row[j] - mx);
    sum += -(row[ids[t + 1]] - mx - std::log(z));
  }
  return sum;
}

}  // namespace

class TestEngine : public QObject {
  Q_OBJECT

 private slots:
  void matchesHuggingFace_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("input");
    for (const char* m : {"llama_default", "phi3_longrope", "mistral_default", "qwen2_default"}) {
      for (const char* in : {"reference_short", "reference_long"}) {
        QTest::newRow((std::string(m) + "/" + in).c_str()) << QString(m) << QString(in);
      }
    }
  }

  void matchesHuggingFace() {
    QFETCH(QString, model);
    QFETCH(QString, input);
    const std::string dir = kFixtures + "/" + model.toStdString();
    const SafetensorsFile ref(dir + "/" + input.toStdString() + ".safetensors");
    const std::vector<int64_t> ids = ref.tensor("input_ids").toInt64s();
    const std::vector<float> expected = ref.tensor("logits").toFloats();

    Transformer engine(dir, {});
    const std::vector<float> got = engine.logits(ids);
    QCOMPARE(got.size(), expected.size());
    const double ratio = relativeError(got, expected);
    qInfo("%s/%s: max|logits - reference| / max|reference| = %.3g", qPrintable(model),
          qPrintable(input), ratio);
    QVERIFY2(ratio <= 1e-4, qPrintable(QString("ratio %1").arg(ratio)));

    // The chunked NLL is the loss of the same logits.
    const int vocab = engine.config().vocabSize;
    const Transformer::Nll nll = engine.nll(ids);
    QCOMPARE(nll.tokens, static_cast<int64_t>(ids.size() - 1));
    const double want = referenceNll(expected, ids, vocab);
    QVERIFY2(std::abs(nll.sum - want) <= 1e-4 * std::abs(want),
             qPrintable(QString("nll %1, reference %2").arg(nll.sum).arg(want)));
  }

  // Swapping in the config's own factors as a FactorSet changes nothing; other factors change
  // the logits; resetRope restores them. The long input makes Phi-3 use its long factors.
  void factorSetSwap() {
    const std::string dir = kFixtures + "/phi3_longrope";
    const SafetensorsFile ref(dir + "/reference_long.safetensors");
    const std::vector<int64_t> ids = ref.tensor("input_ids").toInt64s();
    const std::vector<float> expected = ref.tensor("logits").toFloats();
    Transformer engine(dir, {});
    const RopeParams original = engine.rope();

    FactorSet same = factorSetFromParams(original, 300, "config");
    engine.setFactorSet(same);
    QVERIFY(relativeError(engine.logits(ids), expected) <= 1e-4);

    FactorSet other = same;
    for (double& f : other.factors) f *= 2;
    engine.setFactorSet(other);
    QVERIFY(relativeError(engine.logits(ids), expected) > 1e-3);

    engine.resetRope();
    QVERIFY(relativeError(engine.logits(ids), expected) <= 1e-4);
  }

  // Scoring from a later position scores fewer tokens of the same forward pass.
  void nllMatchesScoredSuffix() {
    const std::string dir = kFixtures + "/llama_default";
    const SafetensorsFile ref(dir + "/reference_long.safetensors");
    const std::vector<int64_t> ids = ref.tensor("input_ids").toInt64s();
    Transformer engine(dir, {});
    const Transformer::Nll all = engine.nll(ids, 1);
    const Transformer::Nll tail = engine.nll(ids, 200);
    QCOMPARE(tail.tokens, static_cast<int64_t>(ids.size() - 200));
    QVERIFY(tail.sum > 0 && tail.sum < all.sum);
  }

  // The key/value cache: passes of any size after cached positions give the rows one pass
  // over the whole sequence gives, wherever the RoPE does not depend on the pass length
  // (Llama, Mistral, Qwen2's biases, Phi-3 within its window); truncating goes back.
  void cacheMatchesWholePasses_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("input");
    QTest::newRow("llama") << "llama_default" << "reference_long";
    QTest::newRow("mistral") << "mistral_default" << "reference_long";
    QTest::newRow("qwen2") << "qwen2_default" << "reference_long";
    QTest::newRow("phi3 in window") << "phi3_longrope" << "reference_short";
  }

  void cacheMatchesWholePasses() {
    QFETCH(QString, model);
    QFETCH(QString, input);
    const std::string dir = kFixtures + "/" + model.toStdString();
    const SafetensorsFile ref(dir + "/" + input.toStdString() + ".safetensors");
    const std::vector<int64_t> ids = ref.tensor("input_ids").toInt64s();
    Transformer engine(dir, {});
    const std::vector<float> whole = engine.logits(ids);
    const size_t vocab = engine.config().vocabSize, T = ids.size();
    QVERIFY(T >= 8);
    // Chunks: a prompt, single tokens, the rest.
    const std::vector<size_t> cuts = {T / 2, T / 2 + 1, T / 2 + 2, T};
    std::vector<float> got;
    size_t from = 0;
    for (size_t to : cuts) {
      const std::vector<float> rows = engine.append({ids.begin() + from, ids.begin() + to});
      got.insert(got.end(), rows.begin(), rows.end());
      from = to;
      QCOMPARE(engine.cachedTokens(), static_cast<int64_t>(to));
    }
    const double error = relativeError(got, whole);
    QVERIFY2(error <= 1e-5, qPrintable(QString::number(error)));
    // Back to T/2 tokens and on again with the last row only.
    engine.truncateCache(T / 2);
    const std::vector<float> last = engine.append({ids.begin() + T / 2, ids.end()},
                                                  static_cast<int>(T - T / 2 - 1));
    QCOMPARE(last.size(), vocab);
    QVERIFY(relativeError(last, {whole.end() - vocab, whole.end()}) <= 1e-5);
  }

  // Phi-3's LongRoPE switch with a cache, as transformers' generate() runs it: a prompt
  // within the original window (64) is read with the short factors; the first pass beyond the
  // window runs over the whole sequence with the long ones (the cache dropped), and later
  // passes read those keys. Each pass's last row is then the last row of one pass over the
  // sequence so far, and the rows beyond the window differ from the short factors' rows.
  void cacheSwitchesLongRopeAsGenerate() {
    const std::string dir = kFixtures + "/phi3_longrope";
    const SafetensorsFile ref(dir + "/reference_long.safetensors");
    std::vector<int64_t> ids = ref.tensor("input_ids").toInt64s();
    ids.resize(72);
    const int prompt = 60;
    Transformer engine(dir, {});
    QCOMPARE(originalWindow(engine.rope()), 64);
    const size_t vocab = engine.config().vocabSize;
    std::vector<float> got, want;
    for (int to = prompt, from = 0; to <= static_cast<int>(ids.size()); from = to++) {
      const std::vector<int64_t> seq(ids.begin(), ids.begin() + to);
      const std::vector<float> rows = engine.append({seq.begin() + from, seq.end()}, to - from - 1);
      QCOMPARE(rows.size(), vocab);
      QCOMPARE(engine.cachedTokens(), static_cast<int64_t>(to));
      got.insert(got.end(), rows.begin(), rows.end());
      const std::vector<float> whole = engine.logits(seq, to - 1);
      want.insert(want.end(), whole.begin(), whole.end());
    }
    const double error = relativeError(got, want);
    QVERIFY2(error <= 1e-5, qPrintable(QString::number(error)));
    // Beyond the window the long factors made a difference: the short ones give other rows.
    RopeParams shortOnly = engine.rope();
    shortOnly.switchRule = LongRopeSwitch::AlwaysShort;
    engine.setRope(shortOnly);
    const std::vector<float> shortRows = engine.logits(ids, static_cast<int>(ids.size()) - 1);
    QVERIFY(relativeError({got.end() - vocab, got.end()}, shortRows) > 1e-3);
  }

  void rejectsBadInput() {
    const std::string dir = kFixtures + "/llama_default";
    Transformer engine(dir, {});
    QVERIFY_THROWS_EXCEPTION(InputError, engine.logits({1, 2, 512}));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.logits({-1}));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.logits({}));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.nll({5}, 1));
    QVERIFY_THROWS_EXCEPTION(InputError, Transformer(dir, {"tpu"}));
    // The cache: bad ids leave it as it was; it keeps at most what it holds.
    engine.append({1, 2, 3});
    QVERIFY_THROWS_EXCEPTION(InputError, engine.append({4, 512}));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.append({}));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.append({4}, 1));
    QCOMPARE(engine.cachedTokens(), int64_t(3));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.truncateCache(4));
    QVERIFY_THROWS_EXCEPTION(InputError, engine.truncateCache(-1));
    engine.truncateCache(0);
    QCOMPARE(engine.cachedTokens(), int64_t(0));
  }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
