#pragma once
// Internal state of the evolutionary search, shared by the algorithm and its checkpoint
// reader/writer. Factors are kept as grid indices so that dedup and resume are exact.

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "search/evolution_search.h"

namespace rope::search_detail {

struct Genome {
  std::vector<int> k;   // lambda_i = lambdaMin + k_i * step
  int nHat = 0;         // index into nHatChoices (0 when n_hat is not searched)
  int attention = -1;   // index on the attention grid, -1 when not searched
  double fitness = 0;
  int generation = 0;
  std::string origin;
};

std::string key(const Genome& g);

struct Scores {
  std::map<std::string, double> full;   // every candidate fully evaluated
  std::map<std::string, double> cheap;  // every candidate screened
};

// Everything a resumed search needs: the state at the start of `generation` plus the scores.
struct State {
  int generation = 0;                // the generation in progress (0: initial population)
  std::string rng;                   // std::mt19937_64 state at the generation's start
  std::vector<Genome> population;    // sorted by fitness, empty before generation 0 ends
  std::set<std::string> seen;        // every genome generated before this generation
  Scores scores;
  std::vector<GenerationSummary> history;
  int evaluations = 0;
  int screenings = 0;
};

// Each pair's lowest grid index: its floor rounded up onto the grid (0 without floors).
std::vector<int> floorIndices(const SearchSpace& space);

// Serialises state together with the params that must match on resume.
std::string formatCheckpoint(const EvolutionParams& params, const State& state);
// Parses and checks a checkpoint against params; throws InputError naming what is wrong
// (corrupt, another model/target, another search space).
State parseCheckpoint(const EvolutionParams& params, const std::string& text,
                      const std::string& source);

}  // namespace rope::search_detail
