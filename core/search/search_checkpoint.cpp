// Checkpoint format of the evolutionary search: versioned JSON, written atomically by the
// search after every batch. Only the state at a generation's start and the scores are
// stored; the generation is replayed deterministically on resume.
#include <cmath>
#include <limits>
#include <sstream>

#include "io/json_util.h"
#include "search/search_state.h"
#include "util/error.h"

namespace rope::search_detail {
namespace {

using json_util::Json;
namespace ju = json_util;

constexpr const char* kTag = "rope-workbench-search-checkpoint";
constexpr int kVersion = 1;
constexpr long long kIntMax = std::numeric_limits<int>::max();

// Scores may be +inf (a candidate whose perplexity overflowed); JSON has no inf.
Json score(double v) { return std::isfinite(v) ? Json(v) : Json("inf"); }

double readScore(const Json& j, const std::string& source) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string() && j.get<std::string>() == "inf") {
    return std::numeric_limits<double>::infinity();
  }
  throw InputError(source + ": a score must be a number");
}

// What must be identical for a checkpoint to continue this search.
Json spaceJson(const EvolutionParams& p) {
  Json j = Json::object();
  j["fingerprint"] = p.fingerprint;
  j["pairs"] = p.space.pairs;
  j["lambda_min"] = p.space.lambdaMin;
  j["lambda_max"] = p.space.lambdaMax;
  j["step"] = p.space.step;
  if (!p.space.floors.empty()) j["floors"] = p.space.floors;  // older checkpoints have none
  j["search_n_hat"] = p.space.searchNHat;
  j["n_hat_choices"] = p.space.nHatChoices;
  j["search_attention"] = p.space.searchAttention;
  j["attention_min"] = p.space.attentionMin;
  j["attention_max"] = p.space.attentionMax;
  j["attention_step"] = p.space.attentionStep;
  j["population"] = p.population;
  j["parents"] = p.parents;
  j["mutations"] = p.mutations;
  j["crossovers"] = p.crossovers;
  j["mutation_probability"] = p.mutationProbability;
  j["seed"] = std::to_string(p.seed);
  return j;
}

Json genomeJson(const Genome& g) {
  Json j = Json::object();
  j["k"] = g.k;
  j["n_hat"] = g.nHat;
  j["attention"] = g.attention;
  j["fitness"] = score(g.fitness);
  j["generation"] = g.generation;
  j["origin"] = g.origin;
  return j;
}

// The largest grid index of [lo, hi] in steps (as the search computes it).
long long gridSize(double lo, double hi, double step) { return std::llround((hi - lo) / step); }

// A genome of the checkpoint, checked against the space: the search indexes nHatChoices with
// n_hat and draws between neighbouring k, so an index off the grid or a decreasing curve in a
// corrupt file would read out of bounds or divide by zero later.
Genome genomeFrom(const Json& j, const EvolutionParams& p, const std::string& source) {
  if (!j.is_object()) throw InputError(source + ": a population entry must be an object");
  Genome g;
  auto k = j.find("k");
  if (k == j.end() || !k->is_array()) throw InputError(source + ": population entry without 'k'");
  const long long maxK = gridSize(p.space.lambdaMin, p.space.lambdaMax, p.space.step);
  const std::vector<int> floor = floorIndices(p.space);
  for (const auto& v : *k) {
    // Monotone non-decreasing and at or above the pair's floor.
    long long lo = g.k.empty() ? 0 : g.k.back();
    if (g.k.size() < floor.size()) lo = std::max<long long>(lo, floor[g.k.size()]);
    g.k.push_back(static_cast<int>(ju::intIn(v, "a grid index in 'k'", source, lo, maxK)));
  }
  if (static_cast<int>(g.k.size()) != p.space.pairs) {
    throw InputError(source + ": a genome has " + std::to_string(g.k.size()) + " pairs, expected " +
                     std::to_string(p.space.pairs));
  }
  const long long maxNHat =
      p.space.searchNHat ? static_cast<long long>(p.space.nHatChoices.size()) - 1 : 0;
  g.nHat = static_cast<int>(ju::requireIntIn(j, "n_hat", source, 0, maxNHat));
  const long long maxAttention =
      p.space.searchAttention
          ? gridSize(p.space.attentionMin, p.space.attentionMax, p.space.attentionStep)
          : -1;
  g.attention = static_cast<int>(ju::requireIntIn(j, "attention", source, -1, maxAttention));
  g.fitness = readScore(j.at("fitness"), source);
  g.generation = static_cast<int>(ju::requireIntIn(j, "generation", source, 0, kIntMax));
  g.origin = ju::requireString(j, "origin", source);
  return g;
}

Json scoresJson(const std::map<std::string, double>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = score(v);
  return j;
}

std::map<std::string, double> scoresFrom(const Json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source + ": scores must be an object");
  std::map<std::string, double> m;
  for (auto it = j.begin(); it != j.end(); ++it) m[it.key()] = readScore(it.value(), source);
  return m;
}

const Json& listAt(const Json& j, const std::string& key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end()) throw InputError(source + ": missing key '" + key + "'");
  if (!it->is_array()) {
    throw InputError(source + ": '" + key + "' must be a list, got " + ju::typeName(*it));
  }
  return *it;
}

// The format tag and version every reader checks first.
void checkFormat(const Json& j, const std::string& source) {
  if (!j.is_object() || ju::optString(j, "format", source) != std::string(kTag)) {
    throw InputError(source + ": not a search checkpoint");
  }
  const long long version = ju::requireInt(j, "version", source);
  if (version != kVersion) {
    throw InputError(source + ": checkpoint version " + std::to_string(version) +
                     " is not supported");
  }
}

std::vector<GenerationSummary> historyFrom(const Json& j, const std::string& source) {
  std::vector<GenerationSummary> history;
  for (const auto& h : listAt(j, "history", source)) {
    GenerationSummary s;
    s.generation = static_cast<int>(ju::requireIntIn(h, "generation", source, 0, kIntMax));
    s.best = readScore(h.at("best"), source);
    s.mean = readScore(h.at("mean"), source);
    s.evaluations = static_cast<int>(ju::requireIntIn(h, "evaluations", source, 0, kIntMax));
    s.bestFactors = ju::numbers(h.at("best_factors"), "'best_factors'", source);
    history.push_back(std::move(s));
  }
  return history;
}

State parseCheckpointJson(const EvolutionParams& params, const Json& j, const std::string& source) {
  checkFormat(j, source);
  auto search = j.find("search");
  if (search == j.end()) {
    throw InputError(source + ": missing key 'search' (the parameters of the search)");
  }
  if (!search->is_object()) {
    throw InputError(source + ": 'search' must be an object, got " + ju::typeName(*search));
  }
  const Json& got = *search;
  const auto fingerprint = ju::optString(got, "fingerprint", source);
  if (fingerprint.value_or("") != params.fingerprint) {
    throw InputError(source + ": the checkpoint belongs to another search (" +
                     fingerprint.value_or("?") + "), not to " + params.fingerprint);
  }
  const Json expected = spaceJson(params);
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    if (!got.contains(it.key()) || got[it.key()] != it.value()) {
      throw InputError(source + ": the checkpoint was made with another '" + it.key() + "' (" +
                       (got.contains(it.key()) ? got[it.key()].dump() : "missing") + ", now " +
                       it.value().dump() + ")");
    }
  }
  if (got.contains("floors") && !expected.contains("floors")) {
    throw InputError(source + ": the checkpoint was made with factor floors (" +
                     got["floors"].dump() + "), now none");
  }
  State st;
  st.generation = static_cast<int>(ju::requireIntIn(j, "generation", source, 0, kIntMax));
  st.rng = ju::requireString(j, "rng", source);
  for (const auto& g : listAt(j, "population", source)) {
    st.population.push_back(genomeFrom(g, params, source));
  }
  for (const auto& s : listAt(j, "seen", source)) {
    if (!s.is_string()) throw InputError(source + ": 'seen' must hold genome keys (strings)");
    st.seen.insert(s.get<std::string>());
  }
  st.scores.full = scoresFrom(j.at("scores"), source);
  st.scores.cheap = scoresFrom(j.at("screening_scores"), source);
  st.history = historyFrom(j, source);
  st.evaluations = static_cast<int>(ju::requireIntIn(j, "evaluations", source, 0, kIntMax));
  st.screenings = static_cast<int>(ju::requireIntIn(j, "screenings", source, 0, kIntMax));
  std::istringstream rngText(st.rng);
  std::mt19937_64 probe;
  if (!(rngText >> probe)) throw InputError(source + ": corrupt random generator state");
  return st;
}

}  // namespace

std::string key(const Genome& g) {
  std::string s;
  s.reserve(g.k.size() * 4 + 16);
  for (size_t i = 0; i < g.k.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(g.k[i]);
  }
  s += '|' + std::to_string(g.nHat) + '|' + std::to_string(g.attention);
  return s;
}

std::string formatCheckpoint(const EvolutionParams& params, const State& st) {
  Json j = Json::object();
  j["format"] = kTag;
  j["version"] = kVersion;
  j["search"] = spaceJson(params);
  j["generation"] = st.generation;
  j["rng"] = st.rng;
  Json pop = Json::array();
  for (const auto& g : st.population) pop.push_back(genomeJson(g));
  j["population"] = pop;
  j["seen"] = Json(std::vector<std::string>(st.seen.begin(), st.seen.end()));
  j["scores"] = scoresJson(st.scores.full);
  j["screening_scores"] = scoresJson(st.scores.cheap);
  Json hist = Json::array();
  for (const auto& h : st.history) {
    hist.push_back({{"generation", h.generation},
                    {"best", score(h.best)},
                    {"mean", score(h.mean)},
                    {"evaluations", h.evaluations},
                    {"best_factors", h.bestFactors}});
  }
  j["history"] = hist;
  j["evaluations"] = st.evaluations;
  j["screenings"] = st.screenings;
  return ju::dump(j);
}

State parseCheckpoint(const EvolutionParams& params, const std::string& text,
                      const std::string& source) {
  Json j;
  try {
    j = ju::parse(text, source);
  } catch (const InputError& e) {
    throw InputError("checkpoint " + std::string(e.what()) + " (corrupt; it was not changed)");
  }
  // Every key below is read through json_util or checked first; the catch is the backstop that
  // keeps a json exception from escaping as anything but an InputError.
  try {
    return parseCheckpointJson(params, j, source);
  } catch (const Json::exception& e) {
    throw InputError(source + ": corrupt checkpoint (" + std::string(e.what()) + ")");
  }
}

}  // namespace rope::search_detail

namespace rope {

std::vector<GenerationSummary> readCheckpointHistory(const std::string& path) {
  using namespace search_detail;
  const Json j = ju::parseFile(path);
  try {
    checkFormat(j, path);
    return historyFrom(j, path);
  } catch (const Json::exception& e) {
    throw InputError(path + ": corrupt checkpoint (" + std::string(e.what()) + ")");
  }
}

}  // namespace rope
