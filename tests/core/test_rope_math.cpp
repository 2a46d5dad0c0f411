// RoPE math against golden values derived independently: closed forms evaluated in long
// double (not the production code path), hand-derived values, and values from the papers.
#include <QtTest>
#include <cmath>
#include <numbers>

#include "rope/factor_set.h"
#include "rope/rope_math.h"
#include "util/error.h"

using namespace rope;
using LD = long double;

namespace {

constexpr LD kPi = std::numbers::pi_v<long double>;
constexpr double kRel = 1e-12;

LD fL(LD base, int i, int d) { return powl(base, -2.0L * i / d); }

bool close(double got, LD want, double rel = kRel) {
  const LD diff = fabsl(static_cast<LD>(got) - want);
  return diff <= rel * fabsl(want) + 1e-300L;
}

void compareCurve(const std::vector<double>& got, const std::vector<LD>& want, const char* what) {
  QCOMPARE(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (!close(got[i], want[i])) {
      QFAIL(qPrintable(QString("%1[%2] = %3, expected %4")
                           .arg(what)
                           .arg(i)
                           .arg(got[i], 0, 'g', 17)
                           .arg(static_cast<double>(want[i]), 0, 'g', 17)));
    }
  }
}

RopeParams params(RopeMethod m, int headDim, double base = 10000.0) {
  RopeParams p;
  p.method = m;
  p.headDim = headDim;
  p.base = base;
  return p;
}

}  // namespace

class TestRopeMath : public QObject {
  Q_OBJECT

 private slots:
  void defaultRope_data();
  void defaultRope();
  void linear_data();
  void linear();
  void ntkStatic_data();
  void ntkStatic();
  void dynamicNtk_data();
  void dynamicNtk();
  void yarn_data();
  void yarn();
  void yarnHandDerived();
  void yarnAttention_data();
  void yarnAttention();
  void llama3_data();
  void llama3();
  void longRope_data();
  void longRope();
  void longRopeSwitchRules();
  void longRopePerLayer();
  void partialRotary();
  void cosSinLayouts();
  void cosSinNHat();
  void spectrum();
  void criticalPairFromPapers();
  void badParams_data();
  void badParams();
  void factorSetRoundTripThroughParams();
  void monotone();
};

void TestRopeMath::defaultRope_data() {
  QTest::addColumn<int>("headDim");
  QTest::addColumn<double>("base");
  QTest::newRow("d/2 = 1") << 2 << 10000.0;
  QTest::newRow("head 16") << 16 << 10000.0;
  QTest::newRow("llama2 128") << 128 << 10000.0;
  QTest::newRow("llama3 128") << 128 << 500000.0;
  QTest::newRow("base 1e6, 96") << 96 << 1e6;
}

void TestRopeMath::defaultRope() {
  QFETCH(int, headDim);
  QFETCH(double, base);
  const auto fr = computeFrequencies(params(RopeMethod::Default, headDim, base));
  std::vector<LD> want;
  for (int i = 0; i < headDim / 2; ++i) want.push_back(fL(base, i, headDim));
  compareCurve(fr.invFreq, want, "inv_freq");
  for (double l : fr.factors) QCOMPARE(l, 1.0);
  QCOMPARE(fr.attentionFactor, 1.0);
  QCOMPARE(fr.invFreq[0], 1.0);
}

void TestRopeMath::linear_data() {
  QTest::addColumn<int>("headDim");
  QTest::addColumn<double>("factor");
  QTest::newRow("factor 1") << 64 << 1.0;
  QTest::newRow("factor 4") << 64 << 4.0;
  QTest::newRow("factor < 1") << 64 << 0.5;
  QTest::newRow("huge factor") << 128 << 1e6;
  QTest::newRow("d/2 = 1") << 2 << 8.0;
}

void TestRopeMath::linear() {
  QFETCH(int, headDim);
  QFETCH(double, factor);
  auto p = params(RopeMethod::Linear, headDim);
  p.factor = factor;
  const auto fr = computeFrequencies(p);
  std::vector<LD> want, lambda;
  for (int i = 0; i < headDim / 2; ++i) {
    want.push_back(fL(10000, i, headDim) / factor);
    lambda.push_back(factor);
  }
  compareCurve(fr.invFreq, want, "inv_freq");
  compareCurve(fr.factors, lambda, "lambda");
  QCOMPARE(fr.attentionFactor, 1.0);
}

void TestRopeMath::ntkStatic_data() {
  QTest::addColumn<int>("headDim");
  QTest::addColumn<double>("alpha");
  QTest::newRow("alpha 1") << 64 << 1.0;
  QTest::newRow("alpha 8") << 128 << 8.0;
  QTest::newRow("alpha < 1") << 64 << 0.5;
  QTest::newRow("d/2 = 1") << 2 << 8.0;
}

void TestRopeMath::ntkStatic() {
  QFETCH(int, headDim);
  QFETCH(double, alpha);
  auto p = params(RopeMethod::NtkStatic, headDim);
  p.alpha = alpha;
  const auto fr = computeFrequencies(p);
  std::vector<LD> want;
  if (headDim == 2) {
    want.push_back(1.0L);  // the only pair has exponent 0
  } else {
    const LD b = 10000.0L * powl(alpha, static_cast<LD>(headDim) / (headDim - 2));
    for (int i = 0; i < headDim / 2; ++i) want.push_back(fL(b, i, headDim));
  }
  compareCurve(fr.invFreq, want, "inv_freq");
  // NTK's defining property: the last pair is interpolated by exactly alpha.
  if (headDim > 2) QVERIFY(close(fr.factors.back(), alpha));
}

void TestRopeMath::dynamicNtk_data() {
  QTest::addColumn<int>("seqLen");
  QTest::newRow("unknown length") << 0;
  QTest::newRow("below max") << 1000;
  QTest::newRow("at max") << 4096;
  QTest::newRow("2x max") << 8192;
  QTest::newRow("8x max") << 32768;
}

void TestRopeMath::dynamicNtk() {
  QFETCH(int, seqLen);
  auto p = params(RopeMethod::Dynamic, 128);
  p.factor = 4.0;
  p.maxPosition = 4096;
  const auto fr = computeFrequencies(p, seqLen);
  const LD n = std::max(seqLen, 4096);
  const LD b = 10000.0L * powl(4.0L * n / 4096 - 3.0L, 128.0L / 126.0L);
  std::vector<LD> want;
  for (int i = 0; i < 64; ++i) want.push_back(fL(b, i, 128));
  compareCurve(fr.invFreq, want, "inv_freq");
  if (seqLen <= 4096) {
    for (double l : fr.factors) QVERIFY(close(l, 1.0L));
  }
}

void TestRopeMath::yarn_data() {
  QTest::addColumn<int>("headDim");
  QTest::addColumn<double>("base");
  QTest::addColumn<double>("factor");
  QTest::addColumn<int>("window");
  QTest::addColumn<double>("betaFast");
  QTest::addColumn<double>("betaSlow");
  QTest::addColumn<bool>("truncate");
  QTest::newRow("llama2 x8") << 128 << 10000.0 << 8.0 << 4096 << 32.0 << 1.0 << true;
  QTest::newRow("no truncate") << 128 << 10000.0 << 8.0 << 4096 << 32.0 << 1.0 << false;
  QTest::newRow("qwen x4") << 128 << 1e6 << 4.0 << 32768 << 32.0 << 1.0 << true;
  QTest::newRow("betas 16/2") << 64 << 10000.0 << 16.0 << 2048 << 16.0 << 2.0 << true;
  QTest::newRow("factor 1") << 64 << 10000.0 << 1.0 << 2048 << 32.0 << 1.0 << true;
  QTest::newRow("factor < 1") << 64 << 10000.0 << 0.5 << 2048 << 32.0 << 1.0 << true;
  QTest::newRow("d/2 = 1") << 2 << 10000.0 << 4.0 << 2048 << 32.0 << 1.0 << true;
  QTest::newRow("low == high") << 16 << 10000.0 << 4.0 << 7 << 32.0 << 1.0 << true;
}

void TestRopeMath::yarn() {
  QFETCH(int, headDim);
  QFETCH(double, base);
  QFETCH(double, factor);
  QFETCH(int, window);
  QFETCH(double, betaFast);
  QFETCH(double, betaSlow);
  QFETCH(bool, truncate);
  auto p = params(RopeMethod::Yarn, headDim, base);
  p.factor = factor;
  p.originalMaxPosition = window;
  p.maxPosition = static_cast<int>(window * std::max(1.0, factor));
  p.betaFast = betaFast;
  p.betaSlow = betaSlow;
  p.truncate = truncate;
  const auto fr = computeFrequencies(p);
  const int d = headDim;
  auto corr = [&](LD r) { return d * logl(window / (r * 2 * kPi)) / (2 * logl(base)); };
  LD low = corr(betaFast), high = corr(betaSlow);
  if (truncate) {
    low = floorl(low);
    high = ceill(high);
  }
  low = std::max<LD>(low, 0);
  high = std::min<LD>(high, d - 1);
  if (low == high) high += 0.001L;
  std::vector<LD> want;
  for (int i = 0; i < d / 2; ++i) {
    const LD ramp = std::clamp<LD>((i - low) / (high - low), 0, 1);
    const LD f = fL(base, i, d);
    want.push_back(f / factor * ramp + f * (1 - ramp));
  }
  compareCurve(fr.invFreq, want, "inv_freq");
  const LD mscale = factor <= 1 ? 1.0L : 0.1L * logl(factor) + 1;
  QVERIFY(close(fr.attentionFactor, mscale));
}

// YaRN for head_dim 16, base 1e4, window 64, s = 8, by hand: corr(32) = -0.994 -> low 0,
// corr(1) = 2.016 -> high 3; ramp = i/3, so lambda = 1, 24/17, 12/5, then 8.
void TestRopeMath::yarnHandDerived() {
  auto p = params(RopeMethod::Yarn, 16);
  p.factor = 8.0;
  p.originalMaxPosition = 64;
  p.maxPosition = 512;
  const auto fr = computeFrequencies(p);
  compareCurve(fr.factors, {1.0L, 24.0L / 17, 2.4L, 8, 8, 8, 8, 8}, "lambda");
  QVERIFY(close(fr.attentionFactor, 0.1L * logl(8) + 1));
}

void TestRopeMath::yarnAttention_data() {
  QTest::addColumn<double>("factor");
  QTest::addColumn<double>("mscale");
  QTest::addColumn<double>("mscaleAllDim");
  QTest::addColumn<double>("expected");
  // DeepSeek-V2/V3 style: mscale = mscale_all_dim gives 1.
  QTest::newRow("deepseek equal") << 40.0 << 0.707 << 0.707 << 1.0;
  QTest::newRow("deepseek 1 / 0") << 40.0 << 1.0 << 0.0
                                  << static_cast<double>(0.1L * logl(40) + 1);
  QTest::newRow("mscale 1, all 0.5")
      << 16.0 << 1.0 << 0.5
      << static_cast<double>((0.1L * logl(16) + 1) / (0.05L * logl(16) + 1));
}

void TestRopeMath::yarnAttention() {
  QFETCH(double, factor);
  QFETCH(double, mscale);
  QFETCH(double, mscaleAllDim);
  QFETCH(double, expected);
  auto p = params(RopeMethod::Yarn, 64);
  p.factor = factor;
  p.originalMaxPosition = 4096;
  p.mscale = mscale;
  p.mscaleAllDim = mscaleAllDim;
  QVERIFY(close(computeFrequencies(p).attentionFactor, expected));
  p.attentionFactor = 1.25;  // explicit wins
  QCOMPARE(computeFrequencies(p).attentionFactor, 1.25);
  // Newer HF: no factor, original window given -> s = M / L.
  RopeParams q = params(RopeMethod::Yarn, 64);
  q.originalMaxPosition = 4096;
  q.maxPosition = 4096 * 16;
  QVERIFY(close(computeFrequencies(q).attentionFactor, 0.1L * logl(16) + 1));
}

void TestRopeMath::llama3_data() {
  QTest::addColumn<double>("base");
  QTest::addColumn<double>("factor");
  QTest::addColumn<int>("window");
  QTest::newRow("llama 3.1 8B") << 500000.0 << 8.0 << 8192;
  QTest::newRow("factor 1") << 500000.0 << 1.0 << 8192;
  QTest::newRow("short window") << 10000.0 << 4.0 << 512;
}

void TestRopeMath::llama3() {
  QFETCH(double, base);
  QFETCH(double, factor);
  QFETCH(int, window);
  auto p = params(RopeMethod::Llama3, 128, base);
  p.factor = factor;
  p.originalMaxPosition = window;
  p.maxPosition = 131072;
  p.lowFreqFactor = 1.0;
  p.highFreqFactor = 4.0;
  const auto fr = computeFrequencies(p);
  std::vector<LD> want;
  for (int i = 0; i < 64; ++i) {
    const LD f = fL(base, i, 128);
    const LD w = 2 * kPi / f;
    if (w < window / 4.0L) {
      want.push_back(f);
    } else if (w > window / 1.0L) {
      want.push_back(f / factor);
    } else {
      const LD t = (window / w - 1.0L) / 3.0L;
      want.push_back((1 - t) * f / factor + t * f);
    }
  }
  compareCurve(fr.invFreq, want, "inv_freq");
  QCOMPARE(fr.factors.front(), 1.0);  // wavelength 2 pi: kept
  QVERIFY(close(fr.factors.back(), factor));
}

void TestRopeMath::longRope_data() {
  QTest::addColumn<int>("seqLen");
  QTest::addColumn<bool>("useLong");
  QTest::newRow("unknown") << 0 << false;
  QTest::newRow("at window") << 64 << false;
  QTest::newRow("window + 1") << 65 << true;
  QTest::newRow("long") << 300 << true;
}

// The Phi-3 fixture's RoPE: 8 pairs, window 64, max 512, attention sqrt(1 + ln 8 / ln 64) =
// sqrt(1.5) exactly (ln 8 / ln 64 = 1/2), with short and long factors alike.
void TestRopeMath::longRope() {
  QFETCH(int, seqLen);
  QFETCH(bool, useLong);
  auto p = params(RopeMethod::LongRope, 16);
  p.originalMaxPosition = 64;
  p.maxPosition = 512;
  p.shortFactor = {1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.35};
  p.longFactor = {1.0, 2.5, 4.0, 5.5, 7.0, 8.5, 10.0, 11.5};
  const auto fr = computeFrequencies(p, seqLen);
  QCOMPARE(fr.longFactorsUsed, useLong);
  const auto& ext = useLong ? p.longFactor : p.shortFactor;
  std::vector<LD> want, lambda;
  for (int i = 0; i < 8; ++i) {
    want.push_back(1.0L / (ext[i] * powl(10000.0L, 2.0L * i / 16)));
    lambda.push_back(ext[i]);
  }
  compareCurve(fr.invFreq, want, "inv_freq");
  compareCurve(fr.factors, lambda, "lambda");
  QVERIFY(close(fr.attentionFactor, sqrtl(1.5L)));
  // Legacy Phi-3 "yarn" policy.
  p.attentionPolicy = LongRopeAttention::Yarn;
  QVERIFY(close(computeFrequencies(p, seqLen).attentionFactor, 0.1L * logl(8) + 1));
}

void TestRopeMath::longRopeSwitchRules() {
  auto p = params(RopeMethod::LongRope, 4);
  p.originalMaxPosition = 64;
  p.maxPosition = 256;
  p.shortFactor = {1.0, 1.0};
  p.longFactor = {1.0, 4.0};
  p.switchRule = LongRopeSwitch::ContextLength;
  p.contextLength = 256;
  QVERIFY(computeFrequencies(p, 10).longFactorsUsed);  // llama.cpp: the allocated context
  p.contextLength = 64;
  QVERIFY(!computeFrequencies(p, 1000).longFactorsUsed);
  p.switchRule = LongRopeSwitch::AlwaysLong;
  QVERIFY(computeFrequencies(p, 1).longFactorsUsed);
  p.switchRule = LongRopeSwitch::AlwaysShort;
  QVERIFY(!computeFrequencies(p, 100000).longFactorsUsed);
  QCOMPARE(parseSwitchRule(switchRuleName(LongRopeSwitch::ContextLength)),
           LongRopeSwitch::ContextLength);
}

void TestRopeMath::longRopePerLayer() {
  auto p = params(RopeMethod::LongRope, 4);
  p.originalMaxPosition = 64;
  p.maxPosition = 256;
  p.shortFactor = {1.0, 1.0};
  p.longFactor = {1.0, 4.0};
  p.layerFactors = {{1.0, 2.0}, {1.5, 3.0}};
  QCOMPARE(computeFrequencies(p, 100, 1).factors, (std::vector<double>{1.5, 3.0}));
  QCOMPARE(computeFrequencies(p, 100, -1).factors, (std::vector<double>{1.0, 4.0}));
  QCOMPARE(computeFrequencies(p, 10, 1).factors, (std::vector<double>{1.0, 1.0}));
  QVERIFY_THROWS_EXCEPTION(InputError, computeFrequencies(p, 100, 2));
}

void TestRopeMath::partialRotary() {
  auto p = params(RopeMethod::Linear, 96);
  p.partialRotaryFactor = 0.75;  // Phi-4-mini style
  p.factor = 2.0;
  QCOMPARE(rotaryDim(p), 72);
  const auto fr = computeFrequencies(p);
  QCOMPARE(fr.invFreq.size(), size_t(36));
  QVERIFY(close(fr.invFreq[1], fL(10000, 1, 72) / 2));
  p.partialRotaryFactor = 0.5;
  p.headDim = 6;  // int(3) is odd
  QVERIFY_THROWS_EXCEPTION(InputError, rotaryDim(p));
}

void TestRopeMath::cosSinLayouts() {
  auto p = params(RopeMethod::Linear, 8);
  p.factor = 2.0;
  p.attentionFactor = 1.5;
  const auto half = cosSinTable(p, 3, 4, PairLayout::RotateHalf);
  const auto inter = cosSinTable(p, 3, 4, PairLayout::Interleaved);
  QCOMPARE(half.count, 4);
  QCOMPARE(half.rotaryDim, 8);
  for (int r = 0; r < 4; ++r) {
    const LD pos = 3 + r;
    for (int i = 0; i < 4; ++i) {
      const LD angle = pos * fL(10000, i, 8) / 2;
      QVERIFY(close(half.cosAt(r, i), 1.5L * cosl(angle), 1e-12));
      QVERIFY(close(half.cosAt(r, i + 4), 1.5L * cosl(angle), 1e-12));
      QVERIFY(close(half.sinAt(r, i + 4), 1.5L * sinl(angle), 1e-12));
      QVERIFY(close(inter.cosAt(r, 2 * i), 1.5L * cosl(angle), 1e-12));
      QVERIFY(close(inter.sinAt(r, 2 * i + 1), 1.5L * sinl(angle), 1e-12));
    }
  }
}

// LongRoPE paper: positions below n_hat keep the original angle and no attention factor.
void TestRopeMath::cosSinNHat() {
  auto p = params(RopeMethod::Linear, 4);
  p.factor = 4.0;
  p.attentionFactor = 2.0;
  p.nHat = 2;
  const auto t = cosSinTable(p, 0, 4);
  QVERIFY(close(t.cosAt(1, 0), cosl(1.0L), 1e-15));               // position 1 < n_hat
  QVERIFY(close(t.sinAt(1, 1), sinl(fL(10000, 1, 4)), 1e-15));
  QVERIFY(close(t.cosAt(2, 0), 2.0L * cosl(2.0L / 4), 1e-15));    // position 2 >= n_hat
}

void TestRopeMath::spectrum() {
  auto p = params(RopeMethod::Linear, 16);
  p.factor = 4.0;
  const auto fr = computeFrequencies(p);
  const auto s = analyzeSpectrum(p.base, fr, 64);
  QCOMPARE(s.pairs.size(), size_t(8));
  for (const auto& ps : s.pairs) {
    QVERIFY(close(ps.wavelength, 2 * kPi / fL(10000, ps.pair, 16)));
    QVERIFY(close(ps.effectiveWavelength, 4 * 2 * kPi / fL(10000, ps.pair, 16)));
    QVERIFY(close(ps.rotationsInWindow, 64 * fL(10000, ps.pair, 16) / (2 * kPi)));
    QVERIFY(close(ps.factor, 4.0L));
  }
  // Pair 2's wavelength is 62.8 < 64, pair 3's is 198.7 > 64.
  QCOMPARE(s.criticalPair, 3);
  QVERIFY(close(s.criticalPosition, 8 * logl(64 / (2 * kPi)) / logl(10000)));
  QVERIFY(s.pairs[2].wavelength < 64 && s.pairs[3].wavelength > 64);
}

// LongRoPE2 reports LLaMA3-8B's theoretical critical dimension as 35 pairs.
void TestRopeMath::criticalPairFromPapers() {
  QCOMPARE(criticalPair(500000.0, 128, 8192), 35);
  QCOMPARE(criticalPair(10000.0, 2, 4096), 1);   // one pair, wavelength 2 pi < window
  QCOMPARE(criticalPair(10000.0, 128, 4), 0);    // window shorter than every wavelength
}

void TestRopeMath::badParams_data() {
  QTest::addColumn<int>("which");
  for (int i = 0; i < 11; ++i) QTest::newRow(qPrintable(QString::number(i))) << i;
}

void TestRopeMath::badParams() {
  QFETCH(int, which);
  RopeParams p = params(RopeMethod::Linear, 64);
  p.factor = 2.0;
  switch (which) {
    case 0: p.headDim = 0; break;
    case 1: p.headDim = 3; break;
    case 2: p.factor = 0.0; break;
    case 3: p.factor = std::nan(""); break;
    case 4: p.factor = INFINITY; break;
    case 5: p.base = 1.0; break;
    case 6: p.factor.reset(); break;
    case 7:
      p.method = RopeMethod::Llama3;
      p.lowFreqFactor = 4;
      p.highFreqFactor = 1;
      break;
    case 8:
      p.method = RopeMethod::LongRope;
      p.shortFactor = std::vector<double>(31, 1.0);
      p.longFactor = std::vector<double>(32, 1.0);
      break;
    case 9:
      p.method = RopeMethod::LongRope;
      p.shortFactor = std::vector<double>(32, 1.0);
      p.longFactor = std::vector<double>(32, 1.0);
      p.longFactor[5] = -1;
      break;
    case 10: p.partialRotaryFactor = 1.5; break;
  }
  QVERIFY_THROWS_EXCEPTION(InputError, computeFrequencies(p));
}

void TestRopeMath::factorSetRoundTripThroughParams() {
  auto model = params(RopeMethod::Default, 64);
  model.maxPosition = 4096;
  auto yarn = model;
  yarn.method = RopeMethod::Yarn;
  yarn.factor = 4.0;
  const FactorSet set = factorSetFromParams(yarn, 16384, "yarn x4");
  QCOMPARE(set.rotaryDim, 64);
  QCOMPARE(set.targetLength, 16384);
  // Applying the set to the plain model reproduces YaRN's frequencies and attention factor.
  const auto direct = computeFrequencies(yarn, 16384);
  const auto applied = computeFrequencies(applyFactorSet(model, set), 16384);
  for (size_t i = 0; i < direct.invFreq.size(); ++i) {
    QVERIFY(close(applied.invFreq[i], direct.invFreq[i], 1e-14));
  }
  QCOMPARE(applied.attentionFactor, direct.attentionFactor);
  // No explicit attention factor: LongRoPE's rule from the set's windows.
  FactorSet bare = set;
  bare.attentionFactor.reset();
  QVERIFY(close(computeFrequencies(applyFactorSet(model, bare), 16384).attentionFactor,
                sqrtl(1 + logl(4) / logl(4096))));
  FactorSet wrong = set;
  wrong.factors.pop_back();
  QVERIFY_THROWS_EXCEPTION(InputError, applyFactorSet(model, wrong));
}

void TestRopeMath::monotone() {
  QVERIFY(isMonotone({1, 1, 2, 3}));
  QVERIFY(!isMonotone({1, 2, 1.5}));
  QCOMPARE(enforceMonotone({1, 2, 1.5, 3}), (std::vector<double>{1, 2, 2, 3}));
  FactorSet s;
  s.factors = {1, 2, 1.5};
  QVERIFY(factorSetProblems(s, 3, false).empty());
  const auto problems = factorSetProblems(s, 3, true);
  QCOMPARE(problems.size(), size_t(1));
  QVERIFY(QString::fromStdString(problems[0]).contains("not monotone"));
  QVERIFY(!factorSetProblems(s, 4, false).empty());
}

QTEST_APPLESS_MAIN(TestRopeMath)
#include "test_rope_math.moc"
