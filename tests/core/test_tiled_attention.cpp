// The engine's tiled attention (online softmax over tiles of keys) against its explicit
// attention (full probability rows) on random inputs: causal, sliding windows, grouped-query
// heads, blocks and tiles that do not divide T, a window narrower than a tile, bfloat16.
// Links LibTorch (the only core test that does): it calls the engine's internal functions.
#include <ATen/ATen.h>

#include <QtTest>
#include <algorithm>
#include <cmath>

#include "model/attention.h"

using namespace rope;

Q_DECLARE_METATYPE(at::ScalarType)

class TestTiledAttention : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void matchesExplicit_data() {
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("queryRows");
    QTest::addColumn<int>("keyColumns");
    QTest::addColumn<at::ScalarType>("dtype");
    QTest::addColumn<double>("tolerance");
    QTest::addColumn<double>("sharpness");  // query scale: larger, more peaked rows
    const at::ScalarType f32 = at::kFloat;
    QTest::newRow("one token") << 1 << 4 << 4 << 0 << 256 << 512 << f32 << 1e-5 << 3.0;
    QTest::newRow("causal, one tile") << 100 << 4 << 4 << 0 << 256 << 512 << f32 << 1e-5 << 3.0;
    QTest::newRow("causal, default tiles") << 1300 << 4 << 4 << 0 << 256 << 512 << f32 << 1e-5 << 3.0;
    QTest::newRow("causal, odd tiles") << 257 << 4 << 4 << 0 << 7 << 13 << f32 << 1e-5 << 3.0;
    QTest::newRow("gqa 8/2, odd tiles") << 301 << 8 << 2 << 0 << 33 << 50 << f32 << 1e-5 << 3.0;
    QTest::newRow("gqa 6/1 (MQA)") << 129 << 6 << 1 << 0 << 16 << 64 << f32 << 1e-5 << 3.0;
    QTest::newRow("window 64") << 400 << 4 << 2 << 64 << 48 << 40 << f32 << 1e-5 << 3.0;
    QTest::newRow("window 5, tall blocks") << 200 << 4 << 4 << 5 << 64 << 3 << f32 << 1e-5 << 3.0;
    QTest::newRow("window 100 < block") << 700 << 8 << 4 << 100 << 256 << 32 << f32 << 1e-5 << 3.0;
    QTest::newRow("window 300, default") << 1100 << 4 << 4 << 300 << 256 << 512 << f32 << 1e-5 << 3.0;
    QTest::newRow("window 1") << 50 << 2 << 1 << 1 << 8 << 8 << f32 << 1e-5 << 3.0;
    // Score gaps far beyond 87 within a row: exp(s - max) underflows to 0 there. (Scores in
    // the hundreds: their float32 rounding alone gives 1.5e-5 between the two paths.)
    QTest::newRow("peaked, exp underflows") << 300 << 4 << 2 << 0 << 64 << 96 << f32 << 1e-4 << 60.0;
    QTest::newRow("bfloat16") << 300 << 4 << 2 << 0 << 64 << 96 << at::kBFloat16 << 2e-2 << 3.0;
  }

  void matchesExplicit() {
    QFETCH(int, tokens);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(int, window);
    QFETCH(int, queryRows);
    QFETCH(int, keyColumns);
    QFETCH(at::ScalarType, dtype);
    QFETCH(double, tolerance);
    QFETCH(double, sharpness);
    at::manual_seed(static_cast<uint64_t>(tokens * 131 + heads * 7 + window));
    const int64_t hd = 32;
    // As the engine lays them out: views of [T, heads, hd] rows; queries scaled up so that
    // some rows are peaked (the running maximum moves between tiles).
    const at::Tensor q = (at::randn({tokens, heads, hd}) * sharpness).to(dtype).transpose(0, 1);
    const at::Tensor k = at::randn({tokens, kvHeads, hd}).to(dtype).transpose(0, 1);
    const at::Tensor v = at::randn({tokens, kvHeads, hd}).to(dtype).transpose(0, 1);

    const at::Tensor want = explicitAttention(q, k, v, window).to(at::kFloat);
    const at::Tensor got = tiledAttention(q, k, v, window, {queryRows, keyColumns});
    QCOMPARE(got.sizes().vec(), (std::vector<int64_t>{tokens, heads * hd}));
    QCOMPARE(got.scalar_type(), dtype);
    const double diff = (got.to(at::kFloat) - want).abs().max().item<double>();
    const double scale = want.abs().max().item<double>();
    qInfo("max|tiled - explicit| / max|explicit| = %.3g", diff / scale);
    QVERIFY2(diff <= tolerance * scale, qPrintable(QString("%1 of %2").arg(diff).arg(scale)));
  }

  // Queries after cached keys (the last T of S positions, as in incremental decoding): the
  // last T rows of the attention over all S positions, through tiledAttention and the engine's
  // entry point.
  void queriesAfterCachedKeys_data() {
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("cached");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<int>("window");
    QTest::newRow("one new token") << 1 << 700 << 4 << 4 << 0;
    QTest::newRow("one token, gqa, window 64") << 1 << 300 << 8 << 2 << 64;
    QTest::newRow("chunk across tiles") << 37 << 600 << 4 << 2 << 0;
    QTest::newRow("chunk, window 100") << 150 << 450 << 4 << 4 << 100;
    QTest::newRow("one cached key") << 20 << 1 << 6 << 1 << 0;
  }

  void queriesAfterCachedKeys() {
    QFETCH(int, tokens);
    QFETCH(int, cached);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(int, window);
    at::manual_seed(static_cast<uint64_t>(tokens * 17 + cached));
    const int64_t S = tokens + cached, hd = 32;
    const at::Tensor q = (at::randn({S, heads, hd}) * 3).transpose(0, 1);
    const at::Tensor k = at::randn({S, kvHeads, hd}).transpose(0, 1);
    const at::Tensor v = at::randn({S, kvHeads, hd}).transpose(0, 1);
    const at::Tensor want = explicitAttention(q, k, v, window).narrow(0, cached, tokens);
    const at::Tensor last = q.narrow(1, cached, tokens);
    for (const at::Tensor& got :
         {tiledAttention(last, k, v, window, {16, 48}), causalAttention(last, k, v, window)}) {
      QCOMPARE(got.sizes().vec(), (std::vector<int64_t>{tokens, heads * hd}));
      const double diff = (got - want).abs().max().item<double>();
      QVERIFY2(diff <= 1e-5 * want.abs().max().item<double>(), qPrintable(QString::number(diff)));
    }
  }

  // The engine's entry point gives the same as the explicit attention, with and without a
  // window wider than the input (no window then).
  void causalAttentionMatches() {
    at::manual_seed(3);
    const int64_t T = 600, hd = 64;
    const at::Tensor q = at::randn({8, T, hd}), k = at::randn({2, T, hd});
    const at::Tensor v = at::randn({2, T, hd});
    for (int window : {0, 200, 4096}) {
      const at::Tensor want = explicitAttention(q, k, v, window < T ? window : 0);
      const at::Tensor got = causalAttention(q, k, v, window);
      QVERIFY((got - want).abs().max().item<double>() <= 1e-5 * want.abs().max().item<double>());
    }
  }
};

QTEST_APPLESS_MAIN(TestTiledAttention)
#include "test_tiled_attention.moc"
