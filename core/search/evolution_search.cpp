#include "search/evolution_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <sstream>

#include "search/search_state.h"
#include "util/error.h"
#include "util/files.h"

namespace rope {
namespace {

using search_detail::Genome;
using search_detail::key;
using search_detail::State;

constexpr int kMutationRetries = 100;  // the reference loops forever on an empty gap
constexpr int kCrossoverPasses = 20;   // LongRoPE reference: then fall back to mutation
constexpr double kWorst = std::numeric_limits<double>::infinity();

int gridSize(double lo, double hi, double step) {
  return static_cast<int>(std::llround((hi - lo) / step));
}

// Portable random draws (the std distributions differ between standard libraries).
class Random {
 public:
  explicit Random(std::mt19937_64& engine) : m_engine(engine) {}
  double uniform01() { return (m_engine() >> 11) * (1.0 / 9007199254740992.0); }
  int uniformInt(int lo, int hi) {  // inclusive
    const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                std::numeric_limits<std::uint64_t>::max() % range;
    std::uint64_t x;
    do {
      x = m_engine();
    } while (x >= limit);
    return lo + static_cast<int>(x % range);
  }

 private:
  std::mt19937_64& m_engine;
};

// The pairs (as "11-31" or "11, 14") whose factor lies below its floor by more than half a
// step; empty when none does.
std::string raisedPairs(const SearchSpace& s, const std::vector<double>& factors) {
  std::vector<int> below;
  for (size_t i = 0; i < s.floors.size() && i < factors.size(); ++i) {
    if (factors[i] < s.floors[i] - s.step / 2) below.push_back(static_cast<int>(i));
  }
  if (below.empty()) return {};
  const bool contiguous = below.back() - below.front() + 1 == static_cast<int>(below.size());
  if (contiguous && below.size() > 1) {
    return std::to_string(below.front()) + "-" + std::to_string(below.back());
  }
  std::string out;
  for (int i : below) out += (out.empty() ? "" : ", ") + std::to_string(i);
  return out;
}

class Evolution {
 public:
  Evolution(const EvolutionParams& p, const FitnessFn& fitness, const FitnessFn& cheap,
            const SearchProgress& progress)
      : m_p(p),
        m_fitness(fitness),
        m_cheap(cheap),
        m_progress(progress),
        m_k(gridSize(p.space.lambdaMin, p.space.lambdaMax, p.space.step)),
        m_floor(search_detail::floorIndices(p.space)),
        m_a(gridSize(p.space.attentionMin, p.space.attentionMax, p.space.attentionStep)) {}

  EvolutionResult run();

 private:
  Candidate toCandidate(const Genome& g) const;
  Genome fromSeed(const FactorSet& set) const;
  std::optional<Genome> mutate(const Genome& parent, Random& rnd);
  std::optional<Genome> crossover(const Genome& a, const Genome& b, Random& rnd);
  // Scores genomes (cache first); false when cancelled.
  bool evaluate(std::vector<Genome>& genomes, bool cheap);
  void checkpoint() const;
  void finishGeneration(std::vector<Genome> population, int generation);
  // GenerationRestored for every generation of a resumed checkpoint's history.
  void reportHistory() const;
  // True when the best improved by less than the tolerance over the patience.
  bool stalled() const;
  // Every n_hat for the best distinct curves; false when cancelled.
  bool sweepNHat();
  EvolutionResult result(bool cancelled) const;

  const EvolutionParams& m_p;
  const FitnessFn& m_fitness;
  const FitnessFn& m_cheap;
  const SearchProgress& m_progress;
  const int m_k;
  const std::vector<int> m_floor;  // each pair's lowest grid index
  const int m_a;
  State m_state;
  std::set<std::string> m_seenNow;  // seen, including this generation's children
  std::mt19937_64 m_engine;
  std::vector<std::string> m_warnings;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  bool m_earlyStopped = false;
  int m_sweepEvaluations = 0;
};

Candidate Evolution::toCandidate(const Genome& g) const {
  Candidate c;
  c.factors.resize(g.k.size());
  for (size_t i = 0; i < g.k.size(); ++i)
    c.factors[i] = m_p.space.lambdaMin + g.k[i] * m_p.space.step;
  c.nHat = m_p.space.searchNHat ? m_p.space.nHatChoices[g.nHat] : 0;
  if (g.attention >= 0)
    c.attentionFactor = m_p.space.attentionMin + g.attention * m_p.space.attentionStep;
  c.fitness = g.fitness;
  c.generation = g.generation;
  c.origin = g.origin;
  return c;
}

Genome Evolution::fromSeed(const FactorSet& set) const {
  const std::vector<double> snapped = snapToSpace(m_p.space, set.factors);
  Genome g;
  g.k.resize(snapped.size());
  for (size_t i = 0; i < snapped.size(); ++i) {
    g.k[i] = static_cast<int>(std::llround((snapped[i] - m_p.space.lambdaMin) / m_p.space.step));
  }
  if (m_p.space.searchNHat) {
    const auto& c = m_p.space.nHatChoices;
    g.nHat =
        static_cast<int>(std::min_element(c.begin(), c.end(),
                                          [&](int a, int b) {
                                            return std::abs(a - set.nHat) < std::abs(b - set.nHat);
                                          }) -
                         c.begin());
  }
  if (m_p.space.searchAttention) {
    const double a = set.attentionFactor.value_or(m_p.space.attentionMin);
    g.attention = std::clamp(
        static_cast<int>(std::llround((a - m_p.space.attentionMin) / m_p.space.attentionStep)), 0,
        m_a);
  }
  g.origin = "seed:" + set.name;
  return g;
}

// LongRoPE mutation: sweep the pairs; with probability p redraw lambda_i on the grid between
// its neighbours (and at or above its floor), which keeps the curve monotone by construction.
std::optional<Genome> Evolution::mutate(const Genome& parent, Random& rnd) {
  const int pairs = static_cast<int>(parent.k.size());
  const double p = m_p.mutationProbability;
  for (int attempt = 0; attempt < kMutationRetries; ++attempt) {
    Genome child = parent;
    for (int i = 0; i < pairs; ++i) {
      if (rnd.uniform01() >= p) continue;
      const int lo = std::max(m_floor[i], i == 0 ? 0 : child.k[i - 1]);
      const int hi = i == pairs - 1 ? m_k : child.k[i + 1];
      child.k[i] = rnd.uniformInt(lo, hi);
    }
    if (m_p.space.searchNHat && rnd.uniform01() < p) {
      child.nHat = rnd.uniformInt(0, static_cast<int>(m_p.space.nHatChoices.size()) - 1);
    }
    if (m_p.space.searchAttention && rnd.uniform01() < p) child.attention = rnd.uniformInt(0, m_a);
    if (m_seenNow.insert(key(child)).second) {
      child.origin = "mutation";
      return child;
    }
  }
  return std::nullopt;
}

// LongRoPE crossover: from parent a, take parent b's value at each visited pair with
// probability 1/2; accept the first new monotone child, else mutate a.
std::optional<Genome> Evolution::crossover(const Genome& a, const Genome& b, Random& rnd) {
  if (key(a) == key(b)) return mutate(a, rnd);
  const double p = m_p.mutationProbability;
  for (int pass = 0; pass < kCrossoverPasses; ++pass) {
    Genome child = a;
    for (size_t i = 0; i < child.k.size(); ++i) {
      if (rnd.uniform01() < p && rnd.uniform01() < 0.5) child.k[i] = b.k[i];
    }
    if (rnd.uniform01() < 0.5) child.nHat = b.nHat;
    if (rnd.uniform01() < 0.5) child.attention = b.attention;
    if (std::is_sorted(child.k.begin(), child.k.end()) && m_seenNow.insert(key(child)).second) {
      child.origin = "crossover";
      return child;
    }
  }
  return mutate(a, rnd);
}

bool Evolution::evaluate(std::vector<Genome>& genomes, bool cheap) {
  auto& cache = cheap ? m_state.scores.cheap : m_state.scores.full;
  const FitnessFn& fn = cheap ? m_cheap : m_fitness;
  std::vector<size_t> pending;
  for (size_t i = 0; i < genomes.size(); ++i) {
    auto it = cache.find(key(genomes[i]));
    if (it != cache.end()) {
      genomes[i].fitness = it->second;
    } else {
      pending.push_back(i);
    }
  }
  const size_t batch = static_cast<size_t>(std::max(1, m_p.batchSize));
  for (size_t start = 0; start < pending.size(); start += batch) {
    std::vector<Candidate> cands;
    const size_t end = std::min(pending.size(), start + batch);
    for (size_t j = start; j < end; ++j) cands.push_back(toCandidate(genomes[pending[j]]));
    const std::vector<double> scores = fn(cands);
    if (scores.size() != cands.size()) {
      throw std::runtime_error("the fitness returned " + std::to_string(scores.size()) +
                               " scores for " + std::to_string(cands.size()) + " candidates");
    }
    bool go = true;
    for (size_t j = start; j < end; ++j) {
      Genome& g = genomes[pending[j]];
      const double s = scores[j - start];
      g.fitness = std::isfinite(s) ? s : kWorst;
      cache[key(g)] = g.fitness;
      (cheap ? m_state.screenings : m_state.evaluations) += 1;
      if (m_progress) {
        SearchEvent e;
        e.kind = SearchEvent::CandidateScored;
        e.generation = m_state.generation;
        e.evaluations = m_state.evaluations;
        e.screenings = m_state.screenings;
        const Candidate c = toCandidate(g);
        e.candidate = &c;
        go = m_progress(e) && go;
      }
    }
    checkpoint();
    if (!go) return false;
  }
  return true;
}

void Evolution::checkpoint() const {
  if (!m_p.checkpointPath.empty()) {
    writeFileAtomic(m_p.checkpointPath, search_detail::formatCheckpoint(m_p, m_state));
  }
}

void Evolution::finishGeneration(std::vector<Genome> population, int generation) {
  std::stable_sort(population.begin(), population.end(),
                   [](const Genome& a, const Genome& b) { return a.fitness < b.fitness; });
  m_state.population = std::move(population);
  GenerationSummary s;
  s.generation = generation;
  s.best = m_state.population.front().fitness;
  double sum = 0;
  for (const auto& g : m_state.population) sum += g.fitness;
  s.mean = sum / m_state.population.size();
  s.evaluations = m_state.evaluations;
  s.bestFactors = toCandidate(m_state.population.front()).factors;
  m_state.history.push_back(s);
  if (m_progress) {
    SearchEvent e;
    e.kind = SearchEvent::GenerationDone;
    e.generation = generation;
    e.evaluations = m_state.evaluations;
    e.screenings = m_state.screenings;
    e.best = s.best;
    e.mean = s.mean;
    for (const auto& g : m_state.population) e.population.push_back(g.fitness);
    const Candidate best = toCandidate(m_state.population.front());
    e.bestCandidate = &best;
    m_progress(e);  // cancellation is honoured at the next batch
  }
  // The next generation starts here: save its starting state.
  m_state.generation = generation + 1;
  std::ostringstream rng;
  rng << m_engine;
  m_state.rng = rng.str();
  m_state.seen = m_seenNow;
  checkpoint();
}

void Evolution::reportHistory() const {
  if (!m_progress) return;
  const auto& history = m_state.history;
  for (size_t i = 0; i < history.size(); ++i) {
    const GenerationSummary& s = history[i];
    SearchEvent e;
    e.kind = SearchEvent::GenerationRestored;
    e.generation = s.generation;
    e.evaluations = s.evaluations;
    e.best = s.best;
    e.mean = s.mean;
    Candidate best;
    const bool last = i + 1 == history.size();
    if (last && !m_state.population.empty()) {
      best = toCandidate(m_state.population.front());  // n_hat and attention as well
      for (const auto& g : m_state.population) e.population.push_back(g.fitness);
    } else {
      best.factors = s.bestFactors;
      best.fitness = s.best;
      best.generation = s.generation;
    }
    e.bestCandidate = &best;
    m_progress(e);  // cancellation is honoured at the next batch
  }
}

EvolutionResult Evolution::result(bool cancelled) const {
  EvolutionResult r;
  r.cancelled = cancelled;
  r.valid = !m_state.population.empty();
  if (r.valid) r.best = toCandidate(m_state.population.front());
  r.evaluations = m_state.evaluations;
  r.screenings = m_state.screenings;
  r.generations = std::max(0, static_cast<int>(m_state.history.size()) - 1);
  r.earlyStopped = m_earlyStopped;
  r.sweepEvaluations = m_sweepEvaluations;
  r.history = m_state.history;
  r.warnings = m_warnings;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  return r;
}

EvolutionResult Evolution::run() {
  if (m_p.resume) {
    m_state = search_detail::parseCheckpoint(m_p, readFile(m_p.checkpointPath), m_p.checkpointPath);
    std::istringstream rng(m_state.rng);
    rng >> m_engine;
    reportHistory();
  } else {
    m_engine.seed(m_p.seed);
    std::ostringstream rng;
    rng << m_engine;
    m_state.rng = rng.str();  // a checkpoint during generation 0 replays from here
  }
  m_seenNow = m_state.seen;
  Random rnd(m_engine);

  if (m_state.generation == 0) {
    std::vector<Genome> pop;
    for (const auto& s : m_p.seeds) {
      try {
        Genome g = fromSeed(s);
        if (const std::string raised = raisedPairs(m_p.space, s.factors); !raised.empty()) {
          m_warnings.push_back("seed '" + s.name + "' raised to the floor at pairs " + raised);
        }
        if (m_seenNow.insert(key(g)).second) pop.push_back(std::move(g));
      } catch (const InputError& e) {
        m_warnings.push_back("seed '" + s.name + "' dropped: " + e.what());
      }
    }
    const size_t nSeeds = pop.size();
    for (int tries = 0;
         static_cast<int>(pop.size()) < m_p.population && tries < 20 * m_p.population; ++tries) {
      const Genome& parent = pop[rnd.uniformInt(0, static_cast<int>(nSeeds) - 1)];
      if (auto child = mutate(parent, rnd)) pop.push_back(std::move(*child));
    }
    if (!evaluate(pop, false)) return result(true);
    finishGeneration(std::move(pop), 0);
  }

  for (int gen = m_state.generation; gen <= m_p.generations; gen = m_state.generation) {
    // Checked before a generation starts, so a search resumed after it stopped early does
    // not run one more.
    if (stalled()) {
      m_earlyStopped = true;
      break;
    }
    const std::vector<Genome>& pop = m_state.population;
    const int nParents = std::min(m_p.parents, static_cast<int>(pop.size()));
    std::vector<Genome> parents(pop.begin(), pop.begin() + nParents);
    const double widen = m_cheap ? 1.0 / std::clamp(m_p.screenKeep, 0.05, 1.0) : 1.0;
    const int nMut = static_cast<int>(std::ceil(m_p.mutations * widen));
    const int nCross = static_cast<int>(std::ceil(m_p.crossovers * widen));
    std::vector<Genome> children;
    for (int i = 0; i < nMut; ++i) {
      if (auto c = mutate(parents[rnd.uniformInt(0, nParents - 1)], rnd)) children.push_back(*c);
    }
    for (int i = 0; i < nCross && nParents > 1; ++i) {
      const int a = rnd.uniformInt(0, nParents - 1);
      int b = rnd.uniformInt(0, nParents - 2);
      if (b >= a) ++b;
      if (auto c = crossover(parents[a], parents[b], rnd)) children.push_back(*c);
    }
    for (auto& c : children) c.generation = gen;
    if (children.empty()) {
      m_warnings.push_back("the search space is exhausted: no new candidate in generation " +
                           std::to_string(gen));
      break;
    }
    if (m_cheap) {
      if (!evaluate(children, true)) return result(true);
      std::stable_sort(children.begin(), children.end(),
                       [](const Genome& a, const Genome& b) { return a.fitness < b.fitness; });
      children.resize(std::min<size_t>(children.size(), m_p.mutations + m_p.crossovers));
    }
    if (!evaluate(children, false)) return result(true);
    parents.insert(parents.end(), children.begin(), children.end());
    finishGeneration(std::move(parents), gen);
  }
  if (!sweepNHat()) return result(true);
  return result(false);
}

bool Evolution::stalled() const {
  const auto& h = m_state.history;
  const int pat = m_p.earlyStopPatience;
  return pat > 0 && static_cast<int>(h.size()) > pat &&
         h[h.size() - 1 - pat].best - h.back().best < m_p.earlyStopTolerance;
}

bool Evolution::sweepNHat() {
  if (m_p.nHatSweep <= 0 || !m_p.space.searchNHat || m_state.population.empty()) return true;
  // The best distinct factor curves (and attention factors) of the final population.
  std::vector<Genome> curves;
  std::set<std::string> distinct;
  for (const Genome& g : m_state.population) {
    if (static_cast<int>(curves.size()) == m_p.nHatSweep) break;
    Genome plain = g;
    plain.nHat = 0;
    if (distinct.insert(key(plain)).second) curves.push_back(g);
  }
  std::vector<Genome> sweep;
  for (const Genome& g : curves) {
    for (int n = 0; n < static_cast<int>(m_p.space.nHatChoices.size()); ++n) {
      Genome c = g;
      c.nHat = n;
      if (c.nHat == g.nHat) continue;
      c.origin = "n_hat sweep";
      c.generation = m_state.generation;
      m_seenNow.insert(key(c));
      sweep.push_back(std::move(c));
    }
  }
  const int before = m_state.evaluations;
  const bool go = evaluate(sweep, false);
  m_sweepEvaluations = m_state.evaluations - before;
  if (!go) return false;
  // The sweep's candidates join the population (which stays sorted, best first).
  std::vector<Genome> merged = m_state.population;
  for (const Genome& c : sweep) {
    const bool present = std::any_of(merged.begin(), merged.end(),
                                     [&](const Genome& g) { return key(g) == key(c); });
    if (!present) merged.push_back(c);
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const Genome& a, const Genome& b) { return a.fitness < b.fitness; });
  m_state.population = std::move(merged);
  m_state.seen = m_seenNow;
  checkpoint();
  return true;
}

}  // namespace

namespace search_detail {

std::vector<int> floorIndices(const SearchSpace& s) {
  std::vector<int> out(static_cast<size_t>(std::max(0, s.pairs)), 0);
  for (size_t i = 0; i < s.floors.size() && i < out.size(); ++i) {
    // Up onto the grid, forgiving rounding noise in the floor itself.
    const int k = static_cast<int>(std::ceil((s.floors[i] - s.lambdaMin) / s.step - 1e-6));
    out[i] = std::clamp(k, 0, gridSize(s.lambdaMin, s.lambdaMax, s.step));
  }
  return out;
}

}  // namespace search_detail

std::vector<double> snapToSpace(const SearchSpace& s, const std::vector<double>& factors) {
  if (static_cast<int>(factors.size()) != s.pairs) {
    throw InputError(std::to_string(factors.size()) + " factors, the search needs " +
                     std::to_string(s.pairs));
  }
  const int k = gridSize(s.lambdaMin, s.lambdaMax, s.step);
  const std::vector<int> floor = search_detail::floorIndices(s);
  std::vector<double> out(factors.size());
  int prev = 0;
  for (size_t i = 0; i < factors.size(); ++i) {
    const double f = factors[i];
    if (!std::isfinite(f) || f < s.lambdaMin - s.step / 2 || f > s.lambdaMax + s.step / 2) {
      std::ostringstream m;
      m << "factor " << i << " (" << f << ") lies outside the bounds [" << s.lambdaMin << ", "
        << s.lambdaMax << "]";
      throw InputError(m.str());
    }
    int idx = std::clamp(static_cast<int>(std::llround((f - s.lambdaMin) / s.step)), 0, k);
    idx = std::max({idx, prev, floor[i]});
    prev = idx;
    out[i] = s.lambdaMin + idx * s.step;
  }
  return out;
}

GenerationSchedule scheduleForPopulation(int population) {
  return {std::max(1, population / 2), std::max(1, population / 4), std::max(1, population / 4)};
}

void validateEvolutionParams(const EvolutionParams& p) {
  const SearchSpace& s = p.space;
  if (s.pairs <= 0) throw InputError("the search needs at least one RoPE pair");
  if (!(s.step > 0) || !(s.lambdaMin > 0) || !(s.lambdaMax >= s.lambdaMin)) {
    throw InputError("factor bounds must satisfy 0 < min <= max and step > 0");
  }
  if (gridSize(s.lambdaMin, s.lambdaMax, s.step) > 1'000'000) {
    throw InputError("the factor grid has more than a million steps; use a larger step");
  }
  if (!s.floors.empty()) {
    if (static_cast<int>(s.floors.size()) != s.pairs) {
      throw InputError(std::to_string(s.floors.size()) + " factor floors for " +
                       std::to_string(s.pairs) + " pairs");
    }
    for (size_t i = 0; i < s.floors.size(); ++i) {
      const double f = s.floors[i];
      if (!std::isfinite(f) || f > s.lambdaMax + s.step / 2) {
        std::ostringstream m;
        m << "the floor of pair " << i << " (" << f << ") lies above the largest factor ("
          << s.lambdaMax << ")";
        throw InputError(m.str());
      }
      if (i > 0 && f < s.floors[i - 1]) {
        throw InputError("factor floors must not decrease (pair " + std::to_string(i) + ")");
      }
    }
  }
  if (s.searchNHat && s.nHatChoices.empty()) throw InputError("n_hat search needs choices");
  for (int n : s.nHatChoices) {
    if (n < 0) throw InputError("n_hat choices must not be negative");
  }
  if (s.searchAttention &&
      (!(s.attentionStep > 0) || !(s.attentionMin > 0) || s.attentionMax < s.attentionMin)) {
    throw InputError("attention factor bounds must satisfy 0 < min <= max and step > 0");
  }
  if (p.population < 2) throw InputError("the population must be at least 2");
  if (p.parents < 1 || p.parents > p.population) {
    throw InputError("parents (" + std::to_string(p.parents) +
                     ") must be between 1 and the population (" + std::to_string(p.population) +
                     ")");
  }
  if (p.mutations < 0 || p.crossovers < 0 || p.mutations + p.crossovers < 1) {
    throw InputError("each generation needs at least one mutation or crossover");
  }
  if (p.generations < 0) throw InputError("generations must not be negative");
  if (!(p.mutationProbability > 0 && p.mutationProbability <= 1)) {
    throw InputError("the mutation probability must be in (0, 1]");
  }
  if (p.seeds.empty()) throw InputError("the search needs at least one seed factor set");
  std::string reasons;
  for (const auto& seed : p.seeds) {
    try {
      snapToSpace(s, seed.factors);
      return;  // at least one seed fits
    } catch (const InputError& e) {
      reasons += (reasons.empty() ? "" : "; ") + seed.name + ": " + e.what();
    }
  }
  throw InputError("the factor bounds exclude every seed (" + reasons + ")");
}

EvolutionResult runEvolution(const EvolutionParams& params, const FitnessFn& fitness,
                             const FitnessFn& cheapFitness, const SearchProgress& progress) {
  validateEvolutionParams(params);
  if (params.resume && params.checkpointPath.empty()) {
    throw InputError("resume needs a checkpoint file");
  }
  std::error_code ec;
  if (!params.resume && !params.checkpointPath.empty() &&
      std::filesystem::exists(params.checkpointPath, ec)) {
    throw InputError("checkpoint " + params.checkpointPath +
                     " exists; resume it or choose another file");
  }
  Evolution evo(params, fitness, cheapFitness, progress);
  try {
    return evo.run();
  } catch (const InputError&) {
    throw;
  } catch (const CancelledError&) {
    EvolutionResult r;
    r.cancelled = true;
    return r;
  } catch (const std::exception& e) {
    EvolutionResult r;
    r.error = e.what();
    return r;
  }
}

}  // namespace rope
