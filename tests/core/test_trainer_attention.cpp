// The trainer's attention as one autograd node on the item threads (blockAttentionItems)
// against the same blocks as autograd's own tensor ops (blockAttention): outputs and the
// gradients of q, k and v, with grouped-query heads, blocks that do not divide T and a single
// block; and, with several items, the same result whatever the number of threads.
// Links LibTorch: it calls the trainer's internal functions.
#include <torch/torch.h>

#include <QtTest>

#include "model/transformer.h"
#include "train/trainer_model.h"

using namespace rope;

namespace {

struct Run {
  torch::Tensor out, gq, gk, gv;
};

template <typename Attention>
Run run(Attention attention, const torch::Tensor& q0, const torch::Tensor& k0,
        const torch::Tensor& v0, const torch::Tensor& upstream, int64_t rows) {
  const int64_t t = q0.size(2);
  const auto bias = torch::full({t, t}, -std::numeric_limits<float>::infinity()).triu(1);
  auto q = q0.clone().requires_grad_(), k = k0.clone().requires_grad_(),
       v = v0.clone().requires_grad_();
  const auto out = attention(q, k, v, bias, 1.0 / std::sqrt(double(q0.size(3))), rows);
  (out * upstream).sum().backward();
  return {out.detach(), q.grad(), k.grad(), v.grad()};
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

class TestTrainerAttention : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void matchesAutograd_data() {
    QTest::addColumn<int>("pairs");   // sequences x kv heads
    QTest::addColumn<int>("groups");  // query heads per kv head
    QTest::addColumn<int>("tokens");
    QTest::newRow("demo shape, T 512") << 8 << 1 << 512;
    QTest::newRow("gqa 2, T 301 (blocks do not divide T)") << 4 << 2 << 301;
    QTest::newRow("one block, T 20") << 3 << 4 << 20;
    QTest::newRow("one pair") << 1 << 1 << 200;
  }

  void matchesAutograd() {
    QFETCH(int, pairs);
    QFETCH(int, groups);
    QFETCH(int, tokens);
    torch::manual_seed(static_cast<uint64_t>(pairs * 1000 + groups * 100 + tokens));
    const int64_t d = 32;
    const auto q = torch::randn({pairs, groups, tokens, d}) * 2;
    const auto k = torch::randn({pairs, tokens, d}) * 2;
    const auto v = torch::randn({pairs, tokens, d});
    const auto upstream = torch::randn({pairs, groups, tokens, d});
    const int64_t rows = attentionBlockRows(tokens);
    QVERIFY(tokens < 32 ? rows == tokens : rows < tokens);

    applyCpuThreadPolicy(2);  // torch's pool one thread, OpenBLAS two: items on own threads
    const Run ref = run(blockAttention, q, k, v, upstream, rows);
    const Run items = run(blockAttentionItems, q, k, v, upstream, rows);
    QVERIFY2(maxDiff(items.out, ref.out) < 1e-5,
             qPrintable(QString::number(maxDiff(items.out, ref.out))));
    QVERIFY2(maxDiff(items.gq, ref.gq) < 1e-4,
             qPrintable(QString::number(maxDiff(items.gq, ref.gq))));
    QVERIFY2(maxDiff(items.gk, ref.gk) < 1e-4,
             qPrintable(QString::number(maxDiff(items.gk, ref.gk))));
    QVERIFY2(maxDiff(items.gv, ref.gv) < 1e-4,
             qPrintable(QString::number(maxDiff(items.gv, ref.gv))));
    // The gradients are not trivially small.
    QVERIFY(ref.gq.abs().max().item<double>() > 0.1);

    // One thread: the same numbers exactly (with more than one item, every item runs on one
    // thread with single-threaded products either way; one item gets OpenBLAS's threads).
    if (pairs == 1) return;
    applyCpuThreadPolicy(1);
    const Run one = run(blockAttentionItems, q, k, v, upstream, rows);
    QVERIFY(torch::equal(one.out, items.out));
    QVERIFY(torch::equal(one.gq, items.gq));
    QVERIFY(torch::equal(one.gk, items.gk));
    QVERIFY(torch::equal(one.gv, items.gv));
  }
};

QTEST_APPLESS_MAIN(TestTrainerAttention)
#include "test_trainer_attention.moc"
