#pragma once
// LongRoPE's evolutionary search over per-pair rescale factors (Ding et al., ICML 2024,
// Algorithm 1; reference code evolution/algorithms/dim_mono.py), independent of how a
// candidate is scored: the caller supplies the fitness (perplexity, lower is better).
//
// Genome: lambda_i on a grid (step 0.01) within [lambdaMin, lambdaMax], monotone
// non-decreasing; n_hat from a list; optionally the attention factor on a grid.
// Deterministic for a given seed. Resumable: the checkpoint holds the state at the start of
// the current generation plus every candidate evaluated so far, so a resumed search replays
// the generation and reuses the stored scores: no evaluated candidate is lost.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rope/factor_set.h"

namespace rope {

struct SearchSpace {
  int pairs = 0;
  double lambdaMin = 1.0;
  double lambdaMax = 1.25;  // LongRoPE: 1.25 * s
  double step = 0.01;
  // Per-pair lower bounds within [lambdaMin, lambdaMax], monotone non-decreasing; empty:
  // lambdaMin for every pair. LongRoPE2's critical dimension: the pairs whose wavelength
  // exceeds the original window held at s or more (longrope::Params::criticalFloor). A seed
  // below a floor is raised to it (with a warning), not dropped.
  std::vector<double> floors;
  bool searchNHat = true;
  std::vector<int> nHatChoices = {0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256};
  // Beyond the reference code (a TODO there): search the attention factor too.
  bool searchAttention = false;
  double attentionMin = 1.0;
  double attentionMax = 1.5;
  double attentionStep = 0.01;
};

struct Candidate {
  std::vector<double> factors;
  int nHat = 0;
  std::optional<double> attentionFactor;  // only when the space searches it
  double fitness = 0;                     // perplexity; lower is better
  int generation = 0;
  std::string origin;  // "seed:NAME", "mutation", "crossover"
};

struct EvolutionParams {
  SearchSpace space;
  int population = 64;
  int parents = 32;
  int mutations = 16;
  int crossovers = 16;
  int generations = 40;
  double mutationProbability = 0.3;
  std::uint64_t seed = 0;
  std::vector<FactorSet> seeds;  // PI, NTK, YaRN and the user's sets
  int batchSize = 1;             // candidates per fitness call
  // Early stop when the best improved by less than earlyStopTolerance over this many
  // generations; 0 = off (the paper's fixed schedule).
  int earlyStopPatience = 0;
  double earlyStopTolerance = 1e-3;
  // LongRoPE's internal code: when the schedule ends, the best nHatSweep distinct factor
  // curves are scored with every n_hat choice and the best of all is the result. 0 = off.
  int nHatSweep = 0;
  // Cheap-first screening: children are scored with the cheap fitness first and only the
  // best screenKeep fraction get the full evaluation. Off when no cheap fitness is given.
  double screenKeep = 0.5;
  std::string checkpointPath;  // written atomically after every batch; empty = none
  bool resume = false;         // continue from checkpointPath
  std::string fingerprint;     // identifies model + data + target; checked on resume
};

// Scores a batch; returns one perplexity per candidate (NaN or inf counts as worst).
using FitnessFn = std::function<std::vector<double>(const std::vector<Candidate>&)>;

// GenerationRestored: a resumed search first reports every generation its checkpoint holds,
// oldest first, before any new work (best, mean, evaluations; bestCandidate with that
// generation's best factors, its n_hat and attention factor known for the last one only; the
// population for the last one only), so that a view can draw the whole history again.
struct SearchEvent {
  enum Kind { CandidateScored, GenerationDone, GenerationRestored } kind = CandidateScored;
  int generation = 0;                    // 0 = the initial population
  int evaluations = 0;                   // full evaluations so far
  int screenings = 0;                    // cheap evaluations so far
  const Candidate* candidate = nullptr;  // CandidateScored
  double best = 0;                       // GenerationDone/Restored: population best, mean
  double mean = 0;
  std::vector<double> population;            // GenerationDone: the population's fitness, sorted
  const Candidate* bestCandidate = nullptr;  // GenerationDone/Restored
};
// Return false to cancel (takes effect after the current batch).
using SearchProgress = std::function<bool(const SearchEvent&)>;

struct GenerationSummary {
  int generation = 0;
  double best = 0;
  double mean = 0;
  int evaluations = 0;
  std::vector<double> bestFactors;
};

// The generations a search checkpoint holds (oldest first), without the search's params:
// what a view draws of a search it does not run. Throws InputError naming path when the file
// is not a search checkpoint or is corrupt.
std::vector<GenerationSummary> readCheckpointHistory(const std::string& path);

struct EvolutionResult {
  bool valid = false;
  bool cancelled = false;
  std::string error;
  Candidate best;
  int evaluations = 0;  // full evaluations (cache hits excluded)
  int screenings = 0;   // cheap evaluations
  int generations = 0;  // completed generations
  bool earlyStopped = false;
  int sweepEvaluations = 0;  // of the n_hat sweep (included in evaluations)
  double seconds = 0;
  std::vector<GenerationSummary> history;
  std::vector<std::string> warnings;  // e.g. seeds dropped because they lie outside the bounds
};

// LongRoPE's generation schedule in proportion to the population (the paper: 64 candidates,
// 32 parents, 16 mutations, 16 crossovers): half the population as parents and a quarter
// each as mutations and crossovers, at least one of each. rope-cli and the workbench use it
// when the user gives only the population.
struct GenerationSchedule {
  int parents = 32;
  int mutations = 16;
  int crossovers = 16;
};
GenerationSchedule scheduleForPopulation(int population);

// Checks the params (population >= parents, children counts, bounds that keep at least one
// seed, ...) and throws InputError before any work starts.
void validateEvolutionParams(const EvolutionParams& params);

// Snaps a curve onto the space: grid, bounds, monotone, floors (a factor below its pair's
// floor is raised to it). Throws InputError when it lies outside [lambdaMin, lambdaMax] by
// more than half a step (it would not be the seed the user asked for).
std::vector<double> snapToSpace(const SearchSpace& space, const std::vector<double>& factors);

// Runs the search. fitness gives full evaluations; cheapFitness (optional) the screening.
// Throws InputError for bad params or a checkpoint that does not match; other failures and
// cancellation are reported in the result.
EvolutionResult runEvolution(const EvolutionParams& params, const FitnessFn& fitness,
                             const FitnessFn& cheapFitness, const SearchProgress& progress);

}  // namespace rope
