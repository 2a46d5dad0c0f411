#include "search/longrope_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "io/hf_config.h"
#include "rope/rope_math.h"
#include "search/batch_evaluator.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/guarded_run.h"

namespace rope::longrope {
namespace {

using Documents = std::vector<std::vector<int64_t>>;

// What a stage scores: documents, each from its token firstScored[d] on (empty: from 1).
struct Samples {
  Documents docs;
  std::vector<int> firstScored;
};

std::string fingerprintOf(const Samples& s) {
  std::string print = rope::fingerprintOf(s.docs);
  if (!s.firstScored.empty()) {
    std::ostringstream f;
    for (int v : s.firstScored) f << v << ',';
    print += "/scored " + Digest().add(f.str()).hex();
  }
  return print;
}

enum class Kind { Long, Stage2, Short };

// One search: what its candidates mean, where they are scored, and its evolution params.
struct Stage {
  Kind kind = Kind::Long;
  std::string name;
  int length = 0;     // full evaluation length
  FactorSet context;  // Long: window/target; Stage2: stage one's set; Short: the long set
  Documents source;   // the search documents, each at least `length` tokens
  Samples full, cheap;
  std::vector<Samples> also;  // Params::alsoScore up to `length` (long stages)
  EvolutionParams evo;
};

std::string factorsPrint(const FactorSet& set) {
  std::ostringstream s;
  s.precision(17);
  for (double f : set.factors) s << f << ',';
  s << "n" << set.nHat << ",a" << set.attentionFactor.value_or(0);
  return Digest().add(s.str()).hex();
}

// The first `samples` documents with at least `length` tokens, truncated to it.
Documents selectDocuments(const TokenDataset& data, int length, int samples,
                          std::vector<std::string>& warnings) {
  Documents out;
  for (const auto& d : data.documents) {
    if (static_cast<int>(out.size()) >= samples) break;
    if (d.size() >= static_cast<size_t>(length)) out.emplace_back(d.begin(), d.begin() + length);
  }
  if (out.empty()) {
    throw InputError("no document has at least " + std::to_string(length) + " tokens (" +
                     data.description + ", longest " + std::to_string(data.longestDocument()) +
                     "); give longer documents or a shorter target length");
  }
  if (static_cast<int>(out.size()) < samples) {
    warnings.push_back("length " + std::to_string(length) + ": only " + std::to_string(out.size()) +
                       " of " + std::to_string(samples) + " documents are long enough");
  }
  return out;
}

Documents truncated(const Documents& docs, int count, int length) {
  Documents out;
  for (int i = 0; i < count && i < static_cast<int>(docs.size()); ++i) {
    const auto& d = docs[i];
    out.emplace_back(d.begin(), d.begin() + std::min<size_t>(d.size(), length));
  }
  return out;
}

// Grid values as the grid reads (1.14, not 1.1400000000000001) in saved files.
std::vector<double> tidy(std::vector<double> v) {
  for (double& x : v) x = std::round(x * 1e12) / 1e12;
  return v;
}

// What a candidate of a stage stands for as a complete factor set.
FactorSet toFactorSet(const Stage& st, const Candidate& c) {
  FactorSet set = st.context;
  set.method = "search";
  switch (st.kind) {
    case Kind::Long:
      set.factors = tidy(c.factors);
      set.nHat = c.nHat;
      if (c.attentionFactor) set.attentionFactor = tidy({*c.attentionFactor}).front();
      break;  // else the context's: held (Params::attentionFactor) or unset
    case Kind::Stage2:  // progressive extension: the second search multiplies the first
      for (size_t i = 0; i < set.factors.size(); ++i) set.factors[i] *= c.factors[i];
      set.factors = tidy(set.factors);
      if (st.evo.space.searchNHat) set.nHat = c.nHat;
      if (c.attentionFactor) set.attentionFactor = tidy({*c.attentionFactor}).front();
      // else stage one's: held, or unset (LongRoPE's formula at the new target)
      set.targetLength = st.length;
      break;
    case Kind::Short:
      set.shortFactors = tidy(c.factors);
      break;
  }
  return set;
}

class Runner {
 public:
  Runner(const Params& p, const Progress& progress) : m_p(p), m_progress(progress) {}
  Result run();

 private:
  // floorScale > 0: the critical pairs' floor (Params::criticalFloor), else none.
  EvolutionParams evolution(const std::string& checkpoint, double lambdaMax, int generations,
                            double floorScale) const;
  std::string fingerprint(const Stage& st) const;
  // The stage's documents and what the fitness scores (before any work: bad lengths throw).
  void select(Stage& st, const TokenDataset& data);
  void prepare(Stage& st, std::vector<FactorSet> seeds);
  bool runStage(Stage& st);  // false: cancelled or failed (m_result says which)
  // What the fitness scores at a length, from documents at least that long.
  Samples samples(const Documents& docs, int length, Fitness fitness) const;

  const Params& m_p;
  const Progress& m_progress;
  Result m_result;
  ModelConfig m_config;
  std::string m_configPrint;
  int m_window = 0;
  int m_targetLength = m_p.targetLength;
  std::unique_ptr<CandidateScorer> m_evaluator;
  std::unique_ptr<Tokenizer> m_tokenizer;             // Fitness::Needle, Passkey
  std::unique_ptr<passkey::PromptBuilder> m_prompts;  // Fitness::Needle, Passkey
};

Samples Runner::samples(const Documents& docs, int length, Fitness fitness) const {
  Samples out;
  if (fitness == Fitness::Perplexity) {
    out.docs = truncated(docs, static_cast<int>(docs.size()), length);
    return out;
  }
  const int n = static_cast<int>(docs.size());
  const std::vector<int> keys = passkey::drawKeys(m_p.seed, n);
  for (int i = 0; i < n; ++i) {
    const double depth = (i + 0.5) / n;
    passkey::Prompt p;
    if (fitness == Fitness::Needle) {
      p = m_prompts->needle(docs[i], length, depth, keys[i]);
    } else {  // the test's prompt, shortened by the key's tokens so that prompt and key fill length
      const int answer = static_cast<int>(m_prompts->answerTokens(keys[i]).size());
      p = m_prompts->build(length - answer, depth, keys[i]);
    }
    std::vector<int64_t> ids = p.ids;
    ids.insert(ids.end(), p.answer.begin(), p.answer.end());
    out.docs.push_back(std::move(ids));
    out.firstScored.push_back(static_cast<int>(p.ids.size()));
  }
  return out;
}

EvolutionParams Runner::evolution(const std::string& checkpoint, double lambdaMax,
                                  int generations, double floorScale) const {
  EvolutionParams e;
  e.space.pairs = rotaryDim(m_config.rope) / 2;
  e.space.lambdaMin = m_p.lambdaMin;
  e.space.lambdaMax = lambdaMax;
  e.space.step = m_p.step;
  if (floorScale > 0) {
    const int critical = criticalPair(m_config.rope.base, rotaryDim(m_config.rope), m_window);
    e.space.floors.assign(e.space.pairs, m_p.lambdaMin);
    for (int i = critical; i < e.space.pairs; ++i) {
      e.space.floors[i] = std::max(m_p.lambdaMin, floorScale);
    }
  }
  e.space.searchNHat = m_p.searchNHat;
  e.space.nHatChoices = m_p.nHatChoices;
  e.space.searchAttention = m_p.searchAttention;
  e.space.attentionMin = m_p.attentionMin;
  e.space.attentionMax = m_p.attentionMax;
  e.space.attentionStep = m_p.attentionStep;
  e.population = m_p.population;
  e.parents = m_p.parents;
  e.mutations = m_p.mutations;
  e.crossovers = m_p.crossovers;
  e.generations = generations;
  e.mutationProbability = m_p.mutationProbability;
  e.seed = m_p.seed;
  e.earlyStopPatience = m_p.earlyStopPatience;
  e.earlyStopTolerance = m_p.earlyStopTolerance;
  e.nHatSweep = m_p.nHatSweep;
  e.screenKeep = m_p.screenKeep;
  e.checkpointPath = checkpoint;
  e.resume = m_p.resume && !checkpoint.empty() && std::filesystem::exists(checkpoint);
  return e;
}

// Everything that makes two searches' scores comparable: a checkpoint of another model,
// data, target, sample count, dtype or starting point is refused.
std::string Runner::fingerprint(const Stage& st) const {
  std::error_code ec;
  const auto folder = std::filesystem::weakly_canonical(m_p.modelDir, ec);
  std::ostringstream s;
  s << "model " << (ec ? m_p.modelDir : folder.string()) << " (config " << m_configPrint
    << "), data " << fingerprintOf(st.full) << " (" << st.full.docs.size() << " x " << st.length
    << "), " << computeDTypeName(m_p.engine.dtype) << ", stage " << st.name;
  if (m_p.screening) s << ", screening " << fingerprintOf(st.cheap);
  for (const Samples& a : st.also) {
    s << ", also " << fingerprintOf(a) << " (" << a.docs.front().size() << ")";
  }
  if (st.kind != Kind::Short && m_p.attentionFactor) s << ", attention " << *m_p.attentionFactor;
  if (st.kind != Kind::Long) s << ", from " << factorsPrint(st.context);
  return s.str();
}

void Runner::select(Stage& st, const TokenDataset& data) {
  st.source = selectDocuments(data, st.length, m_p.samples, m_result.warnings);
  st.full = samples(st.source, st.length, m_p.fitness);
  if (m_p.screening) {
    const int len = st.kind == Kind::Short || m_p.screenLength <= 0
                        ? st.length
                        : std::min(m_p.screenLength, st.length);
    st.cheap = samples(truncated(st.source, m_p.screenSamples, len), len, m_p.fitness);
  }
  if (st.kind == Kind::Short) return;
  for (const Score& sc : m_p.alsoScore) {
    if (sc.length > st.length || (sc.length == st.length && sc.fitness == m_p.fitness)) continue;
    st.also.push_back(
        samples(truncated(st.source, m_p.samples, sc.length), sc.length, sc.fitness));
  }
}

void Runner::prepare(Stage& st, std::vector<FactorSet> seeds) {
  st.evo.seeds = std::move(seeds);
  st.evo.fingerprint = fingerprint(st);
  validateEvolutionParams(st.evo);
}

bool Runner::runStage(Stage& st) {
  StageResult sr;
  sr.name = st.name;
  sr.length = st.length;
  sr.fingerprint = st.evo.fingerprint;
  st.evo.batchSize = m_evaluator->preferredCallSize();
  const RopeParams modelRope = m_config.rope;
  // Perplexity on `docs`, or its geometric mean with those at the stage's other lengths.
  auto scorer = [&](const Samples& docs, bool withAlso) {
    return [&, docsPtr = &docs, withAlso](const std::vector<Candidate>& cands) {
      std::vector<RopeParams> ropes;
      for (const auto& c : cands) ropes.push_back(applyFactorSet(modelRope, toFactorSet(st, c)));
      std::vector<double> ppl =
          m_evaluator->perplexities(ropes, docsPtr->docs, docsPtr->firstScored);
      if (!withAlso || st.also.empty()) return ppl;
      for (double& p : ppl) p = std::log(p);
      for (const Samples& a : st.also) {
        const std::vector<double> more = m_evaluator->perplexities(ropes, a.docs, a.firstScored);
        for (size_t i = 0; i < ppl.size(); ++i) ppl[i] += std::log(more[i]);
      }
      for (double& p : ppl) p = std::exp(p / double(1 + st.also.size()));
      return ppl;
    };
  };
  const FitnessFn full = scorer(st.full, true);
  const FitnessFn cheap = m_p.screening ? scorer(st.cheap, false) : FitnessFn{};
  const SearchProgress progress = [&](const SearchEvent& e) {
    if (e.kind == SearchEvent::CandidateScored && e.candidate && e.generation == 0 &&
        e.candidate->origin.rfind("seed:", 0) == 0) {
      sr.seedPerplexities.emplace_back(e.candidate->origin.substr(5), e.candidate->fitness);
    }
    return m_progress ? m_progress(st.name, e) : true;
  };
  sr.search = runEvolution(st.evo, full, cheap, progress);
  m_result.evaluations += sr.search.evaluations;
  m_result.screenings += sr.search.screenings;
  m_result.generations += sr.search.generations;
  for (const auto& w : sr.search.warnings) m_result.warnings.push_back(st.name + ": " + w);
  const bool ok = sr.search.valid && !sr.search.cancelled && sr.search.error.empty();
  if (sr.search.cancelled) {
    m_result.status = Status::Cancelled;
    m_result.error = "cancelled";
  } else if (!ok) {
    m_result.error = st.name + ": " + (sr.search.error.empty() ? "no result" : sr.search.error);
  }
  // A cancelled stage that finished a generation still has a best so far (adoptable).
  const bool hasBest = ok || (sr.search.cancelled && sr.search.valid);
  if (hasBest) m_result.best = toFactorSet(st, sr.search.best);
  if (hasBest && st.kind != Kind::Short) m_result.bestPerplexity = sr.search.best.fitness;
  m_result.stages.push_back(std::move(sr));
  return ok;
}

Result Runner::run() {
  // Everything that can be checked is checked before the model loads.
  if (m_p.longFactors && (!m_p.searchShortFactors || m_p.stage2Target != 0)) {
    throw InputError("given long factors leave only the short readjust to search: ask for the "
                     "short factors and no stage two");
  }
  if (m_p.longFactors && m_targetLength == 0) m_targetLength = m_p.longFactors->targetLength;
  if (m_targetLength < 2) throw InputError("the target length must be at least 2");
  if (m_p.samples < 1) throw InputError("samples must be at least 1");
  if (m_p.screening && m_p.screenSamples < 1) throw InputError("screening needs at least 1 sample");
  if (m_p.screening && m_p.screenLength != 0 && m_p.screenLength < 2) {
    throw InputError("the screening length must be at least 2 (0: the target length)");
  }
  if (m_p.stage2Target != 0 && m_p.stage2Target <= m_targetLength) {
    throw InputError("the stage-two target (" + std::to_string(m_p.stage2Target) +
                     ") must exceed the first target (" + std::to_string(m_targetLength) + ")");
  }
  const std::string configFile = configPath(m_p.modelDir);
  m_config = readModelConfig(configFile);
  m_configPrint = Digest().add(readFile(configFile)).hex();
  const RopeParams& mr = m_config.rope;
  m_window = m_p.originalWindow > 0       ? m_p.originalWindow
             : mr.originalMaxPosition > 0 ? mr.originalMaxPosition
                                          : mr.maxPosition;
  if (m_targetLength <= m_window) {
    throw InputError("the target length (" + std::to_string(m_targetLength) +
                     ") must exceed the original window (" + std::to_string(m_window) +
                     "); a search at the original window is --short-factors");
  }
  const int longestTarget = std::max(m_targetLength, m_p.stage2Target);
  for (const Score& sc : m_p.alsoScore) {
    const std::string what = std::string("another score (") + fitnessName(sc.fitness) + " at " +
                             std::to_string(sc.length) + ")";
    if (sc.length <= m_window || sc.length > longestTarget) {
      throw InputError(what + " must lie above the original window (" + std::to_string(m_window) +
                       ") and up to the target (" + std::to_string(longestTarget) + ")");
    }
    const bool ownLength = sc.length == m_targetLength || sc.length == m_p.stage2Target;
    if (sc.fitness == m_p.fitness && ownLength) {
      throw InputError(what + " repeats a stage's own fitness");
    }
  }
  if (m_p.attentionFactor) {
    if (m_p.searchAttention) {
      throw InputError("the attention factor is either searched or held, not both");
    }
    if (!std::isfinite(*m_p.attentionFactor) || *m_p.attentionFactor <= 0) {
      throw InputError("the held attention factor must be a positive number");
    }
  }
  const double s = static_cast<double>(m_targetLength) / m_window;
  const double lambdaMax = m_p.lambdaMax > 0 ? m_p.lambdaMax : m_p.lambdaMaxScale * s;
  const std::string& ck = m_p.checkpointPath;
  auto stagePath = [&](const std::string& suffix) { return ck.empty() ? ck : ck + suffix; };
  // With given long factors the short stage's checkpoint is the first one written.
  const std::string firstCheckpoint = m_p.longFactors ? stagePath(kShortCheckpoint) : ck;
  if (m_p.resume && (ck.empty() || !std::filesystem::exists(firstCheckpoint))) {
    throw InputError(ck.empty() ? "resume needs a checkpoint file"
                                : "checkpoint " + firstCheckpoint +
                                      " does not exist; nothing to resume");
  }
  if (!m_p.resume) {
    for (const std::string& path :
         {stagePath(""), stagePath(kStage2Checkpoint), stagePath(kShortCheckpoint)}) {
      if (!path.empty() && std::filesystem::exists(path)) {
        throw InputError("checkpoint " + path + " exists; resume it or choose another file");
      }
    }
  }

  TokenSource source = m_p.data;
  if (source.tokenizerPath.empty()) {
    source.tokenizerPath = Tokenizer::modelTokenizerPath(m_p.modelDir);
  }
  const TokenDataset data = loadTokens(source);
  std::vector<Fitness> fitnesses = {m_p.fitness};
  for (const Score& sc : m_p.alsoScore) fitnesses.push_back(sc.fitness);
  for (Fitness f : fitnesses) {
    if (f == Fitness::Perplexity || m_prompts) continue;
    if (!std::filesystem::exists(source.tokenizerPath)) {
      throw InputError(std::string("the ") + fitnessName(f) + " fitness needs a tokenizer: " +
                       source.tokenizerPath + " does not exist (give --tokenizer)");
    }
    m_tokenizer = std::make_unique<Tokenizer>(source.tokenizerPath);
    m_prompts = std::make_unique<passkey::PromptBuilder>(passkey::codecFor(*m_tokenizer));
  }

  FactorSet context;
  context.method = "search";
  context.base = mr.base;
  context.rotaryDim = rotaryDim(mr);
  context.originalMaxPosition = m_window;
  context.targetLength = m_targetLength;
  context.attentionFactor = m_p.attentionFactor;  // held (never with searchAttention: checked)
  std::vector<FactorSet> seeds = methodSeeds(mr, m_window, m_targetLength);
  for (const auto& u : m_p.seeds) seeds.push_back(u);

  Stage longStage;
  longStage.name = "long";
  longStage.length = m_targetLength;
  longStage.context = context;
  select(longStage, data);
  longStage.evo = evolution(ck, lambdaMax, m_p.generations, m_p.criticalFloor ? s : 0);
  prepare(longStage, seeds);

  std::optional<Stage> stage2, shortStage;
  if (m_p.stage2Target > 0) {
    stage2.emplace();
    stage2->kind = Kind::Stage2;
    stage2->name = "stage2";
    stage2->length = m_p.stage2Target;
    select(*stage2, data);
  }
  if (m_p.searchShortFactors) {
    shortStage.emplace();
    shortStage->kind = Kind::Short;
    shortStage->name = "short";
    shortStage->length = m_window;
    select(*shortStage, data);
  }
  // The later stages' bounds and schedules are checked now too (their seeds need stage one's
  // result, but the identity and the long factors lie in the same space).
  FactorSet identity = context;
  identity.name = "identity";
  identity.factors.assign(context.rotaryDim / 2, 1.0);
  const double s2 = stage2 ? static_cast<double>(stage2->length) / m_targetLength : 0;
  if (stage2) {
    stage2->evo =
        evolution(stagePath(kStage2Checkpoint),
                  m_p.lambdaMax > 0 ? m_p.lambdaMax : m_p.lambdaMaxScale * s2, m_p.generations,
                  m_p.criticalFloor ? s2 : 0);
    stage2->evo.seeds = {identity};
    for (auto& m : methodSeeds(mr, m_targetLength, stage2->length))
      stage2->evo.seeds.push_back(m);
    validateEvolutionParams(stage2->evo);
  }
  if (shortStage) {
    shortStage->evo = evolution(stagePath(kShortCheckpoint), lambdaMax,
                                m_p.shortGenerations > 0 ? m_p.shortGenerations : m_p.generations,
                                0);  // the original window: no pair needs interpolating
    shortStage->evo.space.searchNHat = false;  // one n_hat for short and long factors
    shortStage->evo.space.searchAttention = false;
  }
  const int longest = m_p.stage2Target > 0 ? m_p.stage2Target : m_targetLength;
  m_evaluator = m_p.makeScorer ? m_p.makeScorer(longest)
                               : std::make_unique<BatchEvaluator>(m_p.modelDir, m_p.engine,
                                                                  m_p.devices, m_p.batch, longest);
  m_result.devices = m_evaluator->devices();
  m_result.batch = m_evaluator->batch();

  if (m_p.longFactors) {
    // The given long factors take stage one's place: scored once at the target.
    FactorSet given = *m_p.longFactors;
    validateFactorSet(given, context.rotaryDim / 2, false);
    given.base = context.base;
    given.rotaryDim = context.rotaryDim;
    given.originalMaxPosition = m_window;
    given.targetLength = m_targetLength;
    given.shortFactors.clear();
    m_result.best = given;
    m_result.bestPerplexity = m_evaluator->perplexities({applyFactorSet(mr, given)},
                                                        longStage.full.docs,
                                                        longStage.full.firstScored)
                                  .front();
    m_result.evaluations += 1;
  } else if (!runStage(longStage)) {
    return m_result;
  }
  if (stage2) {
    // Multipliers of stage one's factors at s2 = L2 / L1, as if stage one's target were the
    // model's window; the identity keeps stage one's result as a candidate.
    Stage& st = *stage2;
    st.context = m_result.best;
    std::vector<FactorSet> s2Seeds = st.evo.seeds;
    s2Seeds.front().name = "stage-one";
    prepare(st, s2Seeds);
    if (!runStage(st)) return m_result;
  }
  if (shortStage) {
    Stage& st = *shortStage;
    st.context = m_result.best;
    FactorSet asLong = context;
    asLong.name = "long-factors";
    asLong.factors = st.context.factors;
    prepare(st, {identity, asLong});
    const double longPpl = m_result.bestPerplexity;
    if (!runStage(st)) return m_result;
    m_result.bestPerplexity = longPpl;
  }
  m_result.best.name = "longrope-search-" + std::to_string(longest);
  m_result.valid = true;
  m_result.status = Status::Ok;
  return m_result;
}

}  // namespace

const char* fitnessName(Fitness f) {
  switch (f) {
    case Fitness::Needle: return "needle";
    case Fitness::Passkey: return "passkey";
    case Fitness::Perplexity: break;
  }
  return "perplexity";
}

Fitness parseFitness(const std::string& name) {
  for (Fitness f : {Fitness::Perplexity, Fitness::Needle, Fitness::Passkey}) {
    if (name == fitnessName(f)) return f;
  }
  throw InputError("a fitness is perplexity, needle or passkey, not '" + name + "'");
}

std::vector<FactorSet> methodSeeds(const RopeParams& model, int window, int target) {
  if (window <= 0 || target <= window) {
    throw InputError("the target length (" + std::to_string(target) +
                     ") must exceed the original window (" + std::to_string(window) + ")");
  }
  const double s = static_cast<double>(target) / window;
  RopeParams plain;
  plain.headDim = model.headDim;
  plain.partialRotaryFactor = model.partialRotaryFactor;
  plain.base = model.base;
  plain.maxPosition = window;
  plain.originalMaxPosition = window;
  auto with = [&](RopeMethod m) {
    RopeParams p = plain;
    p.method = m;
    p.factor = s;
    return p;
  };
  RopeParams ntk = with(RopeMethod::NtkStatic);
  ntk.factor.reset();
  ntk.alpha = s;
  RopeParams yarn = with(RopeMethod::Yarn);
  yarn.maxPosition = target;
  return {factorSetFromParams(with(RopeMethod::Linear), target, "pi"),
          factorSetFromParams(ntk, target, "ntk"),
          // HF's dynamic NTK with factor s at the target: alpha = s^2 - s + 1, so its top
          // factors lie beyond 1.25 s (the seed is dropped unless the bounds are widened).
          factorSetFromParams(with(RopeMethod::Dynamic), target, "dynamic-ntk"),
          factorSetFromParams(yarn, target, "yarn")};
}

Result run(const Params& params, const Progress& progress) {
  return guardedRun<Result>([&] { return Runner(params, progress).run(); });
}

}  // namespace rope::longrope
