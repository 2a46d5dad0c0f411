#pragma once
// A factor set: per-pair rescale factors lambda_i (what the factor editor edits and the
// search evolves), with LongRoPE's extras. Applied to a model it becomes LongRoPE params:
// inv_freq_i = base^(-2i/d) / lambda_i.

#include <optional>
#include <string>
#include <vector>

#include "rope/rope_params.h"

namespace rope {

struct FactorSet {
  std::string name;
  std::string method = "custom";     // where it came from: "linear", "yarn", "search", ...
  std::vector<double> factors;       // lambda_i, rotaryDim/2 values (LongRoPE's long factors)
  std::vector<double> shortFactors;  // optional: used at or below the original window
  std::vector<std::vector<double>> layerFactors;  // optional: layers x rotaryDim/2
  int nHat = 0;                      // first positions kept un-interpolated (LongRoPE paper)
  // Explicit attention factor; when empty it is derived by LongRoPE's rule
  // sqrt(1 + ln(s) / ln(L)) with s = targetLength / originalMaxPosition.
  std::optional<double> attentionFactor;

  // The model context the set was made for; 0 when unknown.
  double base = 0;
  int rotaryDim = 0;
  int originalMaxPosition = 0;
  int targetLength = 0;
};

bool isMonotone(const std::vector<double>& factors);
// Running maximum: the smallest monotone non-decreasing curve above the input.
std::vector<double> enforceMonotone(const std::vector<double>& factors);

// Every problem a user can act on ("factor 3 is NaN", "8 factors, the model needs 32 (rotary
// dim 64 / 2)", "not monotone: factor 5 (1.2) < factor 4 (1.4)"). expectedPairs <= 0 skips
// the length check. Empty when valid.
std::vector<std::string> factorSetProblems(const FactorSet& set, int expectedPairs,
                                           bool requireMonotone);
// Throws InputError with the first problem.
void validateFactorSet(const FactorSet& set, int expectedPairs, bool requireMonotone);

// The factor set a method yields at a sequence length (seqLen as in computeFrequencies; 0:
// the params' maxPosition). LongRoPE params keep their short and long factors.
FactorSet factorSetFromParams(const RopeParams& params, int seqLen, const std::string& name);

// The model's RoPE with the set's factors: LongRoPE params (short factors = the set's short
// factors, or its factors), its n_hat and attention factor. Throws InputError if the set does
// not fit the model.
RopeParams applyFactorSet(const RopeParams& model, const FactorSet& set);

}  // namespace rope
