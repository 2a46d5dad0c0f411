// Perplexity evaluation and token data: the NLL against Hugging Face's logits, sliding windows,
// every token file format giving the same documents, cancellation and bad data.
#include <QtTest>
#include <cmath>
#include <cstring>

#include "data/token_data.h"
#include "eval/perplexity.h"
#include "model/safetensors.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;

namespace {

const std::string kFixtures = ROPE_FIXTURES_DIR "/hf-tiny";
const std::string kPhi3 = kFixtures + "/phi3_longrope";

// Mean next-token NLL of ids[from..n-1] from HF's reference logits (first n positions).
double referenceMeanNll(const std::string& refFile, size_t n, size_t from = 1) {
  const SafetensorsFile ref(refFile);
  const auto ids = ref.tensor("input_ids").toInt64s();
  const auto logits = ref.tensor("logits").toFloats();
  const size_t vocab = ref.tensor("logits").shape[1];
  double sum = 0;
  for (size_t t = from - 1; t + 1 < n; ++t) {
    const float* row = logits.data() + t * vocab;
    double mx = row[0], z = 0;
    for (size_t j = 0; j < vocab; ++j) mx = std::max(mx, double(row[j]));
    for (size_t j = 0; j < vocab; ++j) z += std::exp(row[j] - mx);
    sum -= row[ids[t + 1]] - mx - std::log(z);
  }
  return sum / double(n - from);
}

perplexity::Params params(std::vector<int> lengths) {
  perplexity::Params p;
  p.modelDir = kPhi3;
  p.data.paths = {kPhi3 + "/reference_long.safetensors"};
  p.lengths = std::move(lengths);
  return p;
}

}  // namespace

class TestPerplexity : public QObject {
  Q_OBJECT

 private slots:
  void matchesReferenceLogits() {
    // 300 tokens use Phi-3's long factors, 48 its short ones: both as HF computed them.
    const perplexity::Result r = perplexity::run(params({48, 300}));
    QVERIFY2(r.valid, r.error.c_str());
    QCOMPARE(r.results.size(), size_t{2});
    QCOMPARE(r.results[0].tokens, int64_t{47});
    QCOMPARE(r.results[1].tokens, int64_t{299});
    const double want48 = referenceMeanNll(kPhi3 + "/reference_short.safetensors", 48);
    const double want300 = referenceMeanNll(kPhi3 + "/reference_long.safetensors", 300);
    QVERIFY(std::abs(r.results[0].nll - want48) <= 1e-4 * want48);
    QVERIFY(std::abs(r.results[1].nll - want300) <= 1e-4 * want300);
    QCOMPARE(r.results[1].ppl, std::exp(r.results[1].nll));
    QCOMPARE(r.methodology.ropeMethod, std::string("longrope"));
    QCOMPARE(r.methodology.datasetFingerprint.size(), size_t{16});
    QCOMPARE(r.warnings.size(), size_t{2});  // one document, 4 samples asked
  }

  // Every architecture's perplexity is the mean NLL of transformers' logits.
  void matchesEveryArchitecture_data() {
    QTest::addColumn<QString>("model");
    for (const char* m : {"llama_default", "mistral_default", "qwen2_default"}) {
      QTest::newRow(m) << QString(m);
    }
  }

  void matchesEveryArchitecture() {
    QFETCH(QString, model);
    const std::string dir = kFixtures + "/" + model.toStdString();
    perplexity::Params p;
    p.modelDir = dir;
    p.data.paths = {dir + "/reference_long.safetensors"};
    p.lengths = {300};
    const perplexity::Result r = perplexity::run(p);
    QVERIFY2(r.valid, r.error.c_str());
    QCOMPARE(r.results[0].tokens, int64_t{299});
    const double want = referenceMeanNll(dir + "/reference_long.safetensors", 300);
    qInfo("%s: ppl %.6f, transformers %.6f", qPrintable(model), r.results[0].ppl, std::exp(want));
    QVERIFY(std::abs(r.results[0].nll - want) <= 1e-4 * want);
  }

  void slidingWindow() {
    auto p = params({100});
    p.stride = 50;
    const perplexity::Result r = perplexity::run(p);
    QVERIFY2(r.valid, r.error.c_str());
    QCOMPARE(r.results[0].tokens, int64_t{299});  // every token after the first, once
    // A window as long as the document is the truncated evaluation.
    auto whole = params({300});
    whole.stride = 300;
    const auto a = perplexity::run(whole), b = perplexity::run(params({300}));
    QCOMPARE(a.results[0].nll, b.results[0].nll);
    // Less context per token at length 100 than at 300 with these long-range weights.
    QVERIFY(r.results[0].nll != b.results[0].nll);
  }

  void scoreFrom() {
    // Only the positions beyond Phi-3's 64-token window, as HF's logits give them.
    auto p = params({300});
    p.scoreFrom = 64;
    const perplexity::Result r = perplexity::run(p);
    QVERIFY2(r.valid, r.error.c_str());
    QCOMPARE(r.results[0].tokens, int64_t{236});
    QCOMPARE(r.methodology.scoreFrom, 64);
    const double want = referenceMeanNll(kPhi3 + "/reference_long.safetensors", 300, 64);
    QVERIFY(std::abs(r.results[0].nll - want) <= 1e-4 * want);
    p.scoreFrom = 300;  // nothing left to score
    QVERIFY(!perplexity::run(p).valid);
    p.scoreFrom = 10;
    p.stride = 50;  // not with sliding windows
    const auto bad = perplexity::run(p);
    QVERIFY(!bad.valid);
    QVERIFY2(QString::fromStdString(bad.error).contains("truncated"), bad.error.c_str());
  }

  void formatsAgree() {
    QTemporaryDir tmp;
    // Two documents of 5 and 3 tokens, separated by token 0 in the raw stream.
    const std::vector<uint16_t> raw = {7, 8, 9, 10, 11, 0, 12, 13, 14};
    const std::string bin = tmp.filePath("t.bin").toStdString();
    writeFileAtomic(bin, std::string(reinterpret_cast<const char*>(raw.data()), raw.size() * 2));
    TokenSource src;
    src.paths = {bin};
    src.separatorToken = 0;
    QVERIFY_THROWS_EXCEPTION(InputError, loadTokens(src));  // no dtype, no sidecar
    writeFileAtomic(bin + ".json", R"({"dtype": "uint16"})");
    const TokenDataset fromBin = loadTokens(src);
    QCOMPARE(fromBin.documents.size(), size_t{2});
    QCOMPARE(fromBin.documents[1], (std::vector<int64_t>{12, 13, 14}));

    // The same stream as a 1-D int64 .npy (v1 header) and as safetensors.
    const std::vector<int64_t> wide(raw.begin(), raw.end());
    std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (9,), }";
    header.append(128 - 10 - header.size() - 1, ' ');
    header += '\n';
    std::string npy = std::string("\x93NUMPY\x01\x00", 8);
    npy += char(header.size() & 0xff);
    npy += char(header.size() >> 8);
    npy += header;
    npy.append(reinterpret_cast<const char*>(wide.data()), wide.size() * 8);
    const std::string npyPath = tmp.filePath("t.npy").toStdString();
    writeFileAtomic(npyPath, npy);
    const std::string st = tmp.filePath("t.safetensors").toStdString();
    writeSafetensors(st, {{"input_ids", DType::I64, {9}, wide.data(), wide.size() * 8}});
    for (const auto& path : {npyPath, st}) {
      src.paths = {path};
      const TokenDataset d = loadTokens(src);
      QCOMPARE(d.documents, fromBin.documents);
      QCOMPARE(d.fingerprint, fromBin.fingerprint);
    }
    src.paths = {npyPath, st};
    QCOMPARE(loadTokens(src).documents.size(), size_t{4});
    // A truncated .npy and an odd-sized .bin are errors that name the file.
    writeFileAtomic(npyPath, npy.substr(0, npy.size() - 8));
    src.paths = {npyPath};
    QVERIFY_THROWS_EXCEPTION(InputError, loadTokens(src));
    writeFileAtomic(bin, "abc");
    src.paths = {bin};
    QVERIFY_THROWS_EXCEPTION(InputError, loadTokens(src));
  }

  void noDocumentLongEnough() {
    const perplexity::Result r = perplexity::run(params({301}));
    QVERIFY(!r.valid);
    QCOMPARE(r.status, perplexity::Status::Failed);
    QVERIFY2(r.error.find("no document has at least 301 tokens") != std::string::npos,
             r.error.c_str());
  }

  void cancels() {
    auto p = params({64});
    p.stride = 16;
    int calls = 0;
    const perplexity::Result r = perplexity::run(p, [&](int done, int total) {
      ++calls;
      return !(done == 2 && total > 2);
    });
    QCOMPARE(r.status, perplexity::Status::Cancelled);
    QVERIFY(!r.valid);
    QCOMPARE(calls, 2);
  }

  void textNeedsATokenizer() {
    QTemporaryDir tmp;
    const std::string txt = tmp.filePath("a.txt").toStdString();
    writeFileAtomic(txt, "hello\n");
    auto p = params({4});
    p.data.paths = {txt};
    const perplexity::Result r = perplexity::run(p);  // the fixture has no tokenizer.model
    QVERIFY(!r.valid);
    QVERIFY2(r.error.find("tokenizer.model") != std::string::npos, r.error.c_str());
  }
};

QTEST_GUILESS_MAIN(TestPerplexity)
#include "test_perplexity.moc"
