// The LongRoPE evolutionary search on a synthetic fitness with a known optimum: validity of
// every child, improvement over the seeds, determinism, lossless resume, screening, early
// stop and bad input.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <set>

#include "search/evolution_search.h"
#include "util/error.h"
#include "util/files.h"

using namespace rope;

namespace {

constexpr int kPairs = 16;
constexpr double kScale = 4.0;

// A monotone optimum between 1 and s, like LongRoPE's findings: little interpolation for the
// low pairs, more for the high ones; n_hat 8 and attention 1.2 are best.
std::vector<double> optimum() {
  std::vector<double> t(kPairs);
  for (int i = 0; i < kPairs; ++i) t[i] = 1.0 + (kScale - 1.0) * std::pow(i / (kPairs - 1.0), 2);
  return t;
}

double syntheticPpl(const Candidate& c) {
  const auto t = optimum();
  double e = 0;
  for (int i = 0; i < kPairs; ++i) e += (c.factors[i] - t[i]) * (c.factors[i] - t[i]);
  e += 0.05 * std::fabs(std::log2(c.nHat + 1.0) - std::log2(9.0));
  if (c.attentionFactor) e += 4 * std::pow(*c.attentionFactor - 1.2, 2);
  return 5.0 + e;
}

struct Counter {
  int calls = 0;
  std::vector<Candidate> seen;
  FitnessFn fn() {
    return [this](const std::vector<Candidate>& cs) {
      std::vector<double> out;
      for (const auto& c : cs) {
        ++calls;
        seen.push_back(c);
        out.push_back(syntheticPpl(c));
      }
      return out;
    };
  }
};

FactorSet seed(const std::string& name, std::vector<double> f) {
  FactorSet s;
  s.name = name;
  s.factors = std::move(f);
  return s;
}

EvolutionParams smallParams() {
  EvolutionParams p;
  p.space.pairs = kPairs;
  p.space.lambdaMin = 1.0;
  p.space.lambdaMax = 1.25 * kScale;
  p.population = 16;
  p.parents = 8;
  p.mutations = 4;
  p.crossovers = 4;
  p.generations = 12;
  p.seed = 7;
  p.fingerprint = "synthetic";
  std::vector<double> ntk(kPairs);
  for (int i = 0; i < kPairs; ++i) ntk[i] = std::pow(kScale, i / (kPairs - 1.0));
  p.seeds = {seed("PI", std::vector<double>(kPairs, kScale)), seed("NTK", ntk)};
  return p;
}

double bestSeedPpl(const EvolutionParams& p) {
  double best = INFINITY;
  for (const auto& s : p.seeds) {
    Candidate c;
    c.factors = snapToSpace(p.space, s.factors);
    best = std::min(best, syntheticPpl(c));
  }
  return best;
}

}  // namespace

class TestEvolutionSearch : public QObject {
  Q_OBJECT

 private slots:
  void improvesOverSeeds();
  void everyChildValidAndNew();
  void deterministicForSeed();
  void resumeLosesNothing();
  void nHatSweep();
  void screeningAndEarlyStop();
  void attentionSearch();
  void floorsHoldEveryCandidate();
  void badInput_data();
  void badInput();
  void corruptCheckpointIsKept();
};

void TestEvolutionSearch::improvesOverSeeds() {
  const EvolutionParams p = smallParams();
  Counter counter;
  std::vector<double> bests;
  const auto r = runEvolution(p, counter.fn(), {}, [&](const SearchEvent& e) {
    if (e.kind == SearchEvent::GenerationDone) bests.push_back(e.best);
    return true;
  });
  QVERIFY(r.valid && !r.cancelled && r.error.empty());
  QCOMPARE(r.generations, p.generations);
  QCOMPARE(r.evaluations, counter.calls);
  // 16 initial + 8 children per generation, all new.
  QCOMPARE(r.evaluations, 16 + 8 * p.generations);
  QCOMPARE(int(bests.size()), p.generations + 1);
  for (size_t i = 1; i < bests.size(); ++i) QVERIFY(bests[i] <= bests[i - 1]);  // elitist
  qInfo("best seed %.4f -> searched %.4f", bestSeedPpl(p), r.best.fitness);
  QVERIFY(r.best.fitness < bestSeedPpl(p) - 0.3);
}

void TestEvolutionSearch::everyChildValidAndNew() {
  EvolutionParams p = smallParams();
  p.space.searchAttention = true;
  Counter counter;
  runEvolution(p, counter.fn(), {}, {});
  std::set<std::vector<long>> keys;
  const std::set<int> nHats(p.space.nHatChoices.begin(), p.space.nHatChoices.end());
  for (const auto& c : counter.seen) {
    QCOMPARE(int(c.factors.size()), kPairs);
    std::vector<long> k;
    for (size_t i = 0; i < c.factors.size(); ++i) {
      QVERIFY(c.factors[i] >= p.space.lambdaMin - 1e-12 &&
              c.factors[i] <= p.space.lambdaMax + 1e-12);
      if (i) QVERIFY(c.factors[i] >= c.factors[i - 1]);
      const double steps = (c.factors[i] - p.space.lambdaMin) / p.space.step;
      QVERIFY(std::fabs(steps - std::round(steps)) < 1e-6);
      k.push_back(std::lround(steps));
    }
    QVERIFY(nHats.count(c.nHat));
    QVERIFY(c.attentionFactor.has_value());
    k.push_back(c.nHat);
    k.push_back(std::lround(*c.attentionFactor * 100));
    QVERIFY2(keys.insert(k).second, "a candidate was evaluated twice");
  }
}

void TestEvolutionSearch::deterministicForSeed() {
  EvolutionParams p = smallParams();
  Counter a, b, c;
  const auto ra = runEvolution(p, a.fn(), {}, {});
  const auto rb = runEvolution(p, b.fn(), {}, {});
  QCOMPARE(ra.best.factors, rb.best.factors);
  QCOMPARE(ra.best.nHat, rb.best.nHat);
  QCOMPARE(ra.history.back().mean, rb.history.back().mean);
  p.seed = 8;
  const auto rc = runEvolution(p, c.fn(), {}, {});
  QVERIFY(rc.history.back().mean != ra.history.back().mean);
}

void TestEvolutionSearch::resumeLosesNothing() {
  QTemporaryDir dir;
  EvolutionParams p = smallParams();
  p.batchSize = 3;
  Counter full;
  const auto reference = runEvolution(p, full.fn(), {}, {});

  p.checkpointPath = dir.filePath("search.json").toStdString();
  Counter first;
  int scored = 0;
  const auto cut = runEvolution(p, first.fn(), {}, [&](const SearchEvent& e) {
    return e.kind != SearchEvent::CandidateScored || ++scored < 50;  // cancel mid-generation
  });
  QVERIFY(cut.cancelled);
  QVERIFY(first.calls >= 50 && first.calls < full.calls);

  p.resume = true;
  Counter second;
  // The resumed search first reports the generations its checkpoint holds, oldest first.
  std::vector<SearchEvent> restored;
  int doneBeforeRestored = 0;
  const auto resumed = runEvolution(p, second.fn(), {}, [&](const SearchEvent& e) {
    if (e.kind == SearchEvent::GenerationRestored) {
      restored.push_back(e);
      restored.back().bestCandidate = nullptr;  // valid during the call only
    } else if (restored.empty()) {
      ++doneBeforeRestored;
    }
    return true;
  });
  QCOMPARE(doneBeforeRestored, 0);
  QVERIFY(!cut.history.empty());
  QCOMPARE(restored.size(), cut.history.size());
  for (size_t i = 0; i < restored.size(); ++i) {
    QCOMPARE(restored[i].generation, cut.history[i].generation);
    QCOMPARE(restored[i].best, cut.history[i].best);
    QCOMPARE(restored[i].mean, cut.history[i].mean);
  }
  QVERIFY(resumed.valid && !resumed.cancelled);
  QCOMPARE(first.calls + second.calls, full.calls);  // nothing evaluated twice
  QCOMPARE(resumed.evaluations, reference.evaluations);
  QCOMPARE(resumed.best.factors, reference.best.factors);
  QCOMPARE(resumed.best.fitness, reference.best.fitness);
  QCOMPARE(resumed.history.size(), reference.history.size());

  // Resuming a finished search with more generations continues it.
  p.generations += 2;
  Counter third;
  const auto longer = runEvolution(p, third.fn(), {}, {});
  QCOMPARE(third.calls, 16);
  QCOMPARE(longer.generations, p.generations);
}

void TestEvolutionSearch::screeningAndEarlyStop() {
  EvolutionParams p = smallParams();
  Counter full, cheap;
  const auto r = runEvolution(p, full.fn(), cheap.fn(), {});
  QVERIFY(r.valid);
  QCOMPARE(r.evaluations, 16 + 8 * p.generations);  // full evaluations stay at the schedule
  QCOMPARE(r.screenings, 16 * p.generations);       // twice as many children screened
  QCOMPARE(r.screenings, cheap.calls);

  EvolutionParams flat = smallParams();
  flat.generations = 40;
  flat.earlyStopPatience = 3;
  flat.earlyStopTolerance = 1e9;  // nothing counts as an improvement
  Counter c;
  const auto s = runEvolution(flat, c.fn(), {}, {});
  QVERIFY(s.earlyStopped);
  QCOMPARE(s.generations, 3);

  // Resuming a search that stopped early runs no further generation and scores nothing.
  QTemporaryDir dir;
  flat.checkpointPath = dir.filePath("flat.json").toStdString();
  Counter first;
  const auto stopped = runEvolution(flat, first.fn(), {}, {});
  QVERIFY(stopped.earlyStopped);
  flat.resume = true;
  Counter again;
  const auto resumed = runEvolution(flat, again.fn(), {}, {});
  QCOMPARE(again.calls, 0);
  QVERIFY(resumed.earlyStopped);
  QCOMPARE(resumed.generations, stopped.generations);
  QCOMPARE(resumed.evaluations, stopped.evaluations);
  QCOMPARE(resumed.best.factors, stopped.best.factors);
}

// LongRoPE's internal n_hat step: every n_hat choice for the best distinct curves. On the
// synthetic fitness n_hat 8 is best for any curve, so the sweep must end there.
void TestEvolutionSearch::nHatSweep() {
  EvolutionParams p = smallParams();
  p.generations = 1;
  p.mutationProbability = 0.05;  // n_hat rarely mutates: the sweep has work to do
  Counter plain;
  const auto without = runEvolution(p, plain.fn(), {}, {});
  QCOMPARE(without.sweepEvaluations, 0);
  p.nHatSweep = 2;
  QTemporaryDir dir;
  p.checkpointPath = dir.filePath("sweep.json").toStdString();
  Counter c;
  const auto r = runEvolution(p, c.fn(), {}, {});
  QVERIFY(r.valid);
  QCOMPARE(r.best.nHat, 8);
  QVERIFY(r.sweepEvaluations > 0 && r.sweepEvaluations <= 2 * 13);
  QCOMPARE(r.evaluations, without.evaluations + r.sweepEvaluations);
  QVERIFY(r.best.fitness <= without.best.fitness);
  QCOMPARE(r.generations, without.generations);  // the sweep is no generation
  // Resumed after it finished: the same result, nothing scored again.
  p.resume = true;
  Counter again;
  const auto resumed = runEvolution(p, again.fn(), {}, {});
  QCOMPARE(again.calls, 0);
  QCOMPARE(resumed.best.nHat, r.best.nHat);
  QCOMPARE(resumed.best.factors, r.best.factors);
  // Off when n_hat is not searched.
  p.resume = false;
  p.checkpointPath.clear();
  p.space.searchNHat = false;
  Counter off;
  QCOMPARE(runEvolution(p, off.fn(), {}, {}).sweepEvaluations, 0);
}

void TestEvolutionSearch::attentionSearch() {
  EvolutionParams p = smallParams();
  p.space.searchAttention = true;
  p.generations = 20;
  Counter c;
  const auto r = runEvolution(p, c.fn(), {}, {});
  QVERIFY(r.best.attentionFactor.has_value());
  QVERIFY(std::fabs(*r.best.attentionFactor - 1.2) < 0.15);
}

// Per-pair floors (LongRoPE2's critical pairs at s): every candidate respects them, a seed
// below is raised with a warning rather than dropped, and a checkpoint made with floors is not
// resumed without them (nor the reverse).
void TestEvolutionSearch::floorsHoldEveryCandidate() {
  EvolutionParams p = smallParams();
  constexpr int kCritical = 10;
  p.space.floors.assign(kPairs, p.space.lambdaMin);
  for (int i = kCritical; i < kPairs; ++i) p.space.floors[i] = kScale;
  QTemporaryDir dir;
  p.checkpointPath = dir.filePath("floors.json").toStdString();
  Counter c;
  const auto r = runEvolution(p, c.fn(), {}, {});
  QVERIFY(r.valid);
  QVERIFY(c.calls > 16);
  bool sawBelowOptimum = false;
  for (const auto& cand : c.seen) {
    for (int i = 0; i < kPairs; ++i) {
      QVERIFY2(cand.factors[i] >= p.space.floors[i] - 1e-9, "a candidate below its floor");
      if (i) QVERIFY(cand.factors[i] >= cand.factors[i - 1]);
    }
    // The synthetic optimum lies below the floor at pair 10 (about 2.33): the search is held.
    sawBelowOptimum = sawBelowOptimum || cand.factors[kCritical] < optimum()[kCritical];
  }
  QVERIFY(!sawBelowOptimum);
  QCOMPARE(r.best.factors[kCritical], kScale);
  // The NTK seed lies below the floor from pair 10 on: raised, not dropped.
  bool warned = false;
  for (const auto& w : r.warnings) {
    warned = warned || QString::fromStdString(w).contains("seed 'NTK' raised to the floor at "
                                                          "pairs 10-14");
  }
  QVERIFY2(warned, r.warnings.empty() ? "no warning" : r.warnings.front().c_str());
  const std::vector<double> snapped = snapToSpace(p.space, p.seeds[1].factors);
  QCOMPARE(snapped[kCritical - 1], std::round(p.seeds[1].factors[kCritical - 1] * 100) / 100);
  QCOMPARE(snapped[kCritical], kScale);

  // Resume with other floors, or none, is refused before any work.
  p.resume = true;
  EvolutionParams none = p;
  none.space.floors.clear();
  EvolutionParams other = p;
  other.space.floors[kCritical - 1] = kScale;
  for (const EvolutionParams* q : {&none, &other}) {
    const int before = c.calls;
    try {
      runEvolution(*q, c.fn(), {}, {});
      QFAIL("no error");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("floors"), e.what());
    }
    QCOMPARE(c.calls, before);
  }
  // A checkpoint without floors is not resumed with them either.
  EvolutionParams plain = smallParams();
  plain.generations = 1;
  plain.checkpointPath = dir.filePath("plain.json").toStdString();
  runEvolution(plain, c.fn(), {}, {});
  plain.resume = true;
  plain.space.floors = p.space.floors;
  QVERIFY_THROWS_EXCEPTION(InputError, runEvolution(plain, c.fn(), {}, {}));
}

void TestEvolutionSearch::badInput_data() {
  QTest::addColumn<int>("which");
  QTest::addColumn<QString>("mentions");
  QTest::newRow("population < parents") << 0 << "parents";
  QTest::newRow("bounds exclude seeds") << 1 << "exclude every seed";
  QTest::newRow("no seeds") << 2 << "seed";
  QTest::newRow("no children") << 3 << "mutation or crossover";
  QTest::newRow("bad probability") << 4 << "probability";
  QTest::newRow("inverted bounds") << 5 << "bounds";
  QTest::newRow("wrong seed length") << 6 << "exclude every seed";
  QTest::newRow("floor above the bounds") << 7 << "above the largest factor";
  QTest::newRow("decreasing floors") << 8 << "must not decrease";
  QTest::newRow("floors for other pairs") << 9 << "floors for 16 pairs";
}

void TestEvolutionSearch::badInput() {
  QFETCH(int, which);
  QFETCH(QString, mentions);
  EvolutionParams p = smallParams();
  switch (which) {
    case 0:
      p.parents = 32;
      break;
    case 1:
      p.space.lambdaMax = 2.0;
      p.seeds.pop_back();
      break;
    case 2:
      p.seeds.clear();
      break;
    case 3:
      p.mutations = 0;
      p.crossovers = 0;
      break;
    case 4:
      p.mutationProbability = 0;
      break;
    case 5:
      p.space.lambdaMax = 0.5;
      break;
    case 6:
      for (auto& s : p.seeds) s.factors.pop_back();
      break;
    case 7:
      p.space.floors.assign(kPairs, 1.0);
      p.space.floors.back() = 2 * kScale;
      break;
    case 8:
      p.space.floors.assign(kPairs, 1.0);
      p.space.floors.front() = 2.0;
      break;
    case 9:
      p.space.floors.assign(kPairs - 1, 1.0);
      break;
  }
  Counter c;
  try {
    runEvolution(p, c.fn(), {}, {});
    QFAIL("no error");
  } catch (const InputError& e) {
    QVERIFY2(QString(e.what()).contains(mentions), e.what());
  }
  QCOMPARE(c.calls, 0);  // before any work
}

void TestEvolutionSearch::corruptCheckpointIsKept() {
  QTemporaryDir dir;
  EvolutionParams p = smallParams();
  p.generations = 2;
  p.checkpointPath = dir.filePath("cp.json").toStdString();
  Counter c;
  runEvolution(p, c.fn(), {}, {});
  const std::string good = readFile(p.checkpointPath);
  // Without resume an existing checkpoint is never overwritten.
  QVERIFY_THROWS_EXCEPTION(InputError, runEvolution(p, c.fn(), {}, {}));
  QCOMPARE(readFile(p.checkpointPath), good);
  // Another model / target.
  p.resume = true;
  p.fingerprint = "another model";
  QVERIFY_THROWS_EXCEPTION(InputError, runEvolution(p, c.fn(), {}, {}));
  p.fingerprint = "synthetic";
  p.population = 20;
  QVERIFY_THROWS_EXCEPTION(InputError, runEvolution(p, c.fn(), {}, {}));
  p.population = 16;
  // Truncated: a clear error, and the file is left as it was.
  const std::string truncated = good.substr(0, good.size() / 2);
  writeFileAtomic(p.checkpointPath, truncated);
  const int before = c.calls;
  try {
    runEvolution(p, c.fn(), {}, {});
    QFAIL("no error");
  } catch (const InputError& e) {
    QVERIFY2(QString(e.what()).contains("corrupt"), e.what());
  }
  QCOMPARE(c.calls, before);
  QCOMPARE(readFile(p.checkpointPath), truncated);
}

QTEST_APPLESS_MAIN(TestEvolutionSearch)
#include "test_evolution_search.moc"
