#include "rope/factor_set.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "rope/rope_math.h"
#include "util/error.h"

namespace rope {
namespace {

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

void checkCurve(const std::vector<double>& f, const std::string& what, int expectedPairs,
                bool requireMonotone, std::vector<std::string>& problems) {
  if (f.empty()) {
    problems.push_back(what + " is empty");
    return;
  }
  if (expectedPairs > 0 && static_cast<int>(f.size()) != expectedPairs) {
    problems.push_back(what + " has " + std::to_string(f.size()) + " values, the model needs " +
                       std::to_string(expectedPairs) + " (rotary dim / 2)");
  }
  for (size_t i = 0; i < f.size(); ++i) {
    if (!std::isfinite(f[i])) {
      problems.push_back(what + " value " + std::to_string(i) + " is not finite");
    } else if (f[i] <= 0) {
      problems.push_back(what + " value " + std::to_string(i) + " must be positive, got " +
                         num(f[i]));
    }
  }
  if (requireMonotone) {
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i] < f[i - 1]) {
        problems.push_back(what + " is not monotone non-decreasing: value " + std::to_string(i) +
                           " (" + num(f[i]) + ") < value " + std::to_string(i - 1) + " (" +
                           num(f[i - 1]) + ")");
        break;
      }
    }
  }
}

}  // namespace

bool isMonotone(const std::vector<double>& f) {
  return std::is_sorted(f.begin(), f.end());
}

std::vector<double> enforceMonotone(const std::vector<double>& f) {
  std::vector<double> out(f);
  for (size_t i = 1; i < out.size(); ++i) out[i] = std::max(out[i], out[i - 1]);
  return out;
}

std::vector<std::string> factorSetProblems(const FactorSet& set, int expectedPairs,
                                           bool requireMonotone) {
  std::vector<std::string> problems;
  checkCurve(set.factors, "factors", expectedPairs, requireMonotone, problems);
  if (!set.shortFactors.empty()) {
    checkCurve(set.shortFactors, "short factors", expectedPairs, requireMonotone, problems);
  }
  const int pairs = expectedPairs > 0 ? expectedPairs : static_cast<int>(set.factors.size());
  for (size_t l = 0; l < set.layerFactors.size(); ++l) {
    checkCurve(set.layerFactors[l], "layer " + std::to_string(l) + " factors", pairs,
               requireMonotone, problems);
  }
  if (set.nHat < 0) problems.push_back("n_hat must be >= 0, got " + std::to_string(set.nHat));
  if (set.attentionFactor && (!std::isfinite(*set.attentionFactor) || *set.attentionFactor <= 0)) {
    problems.push_back("attention factor must be finite and positive, got " +
                       num(*set.attentionFactor));
  }
  if (set.rotaryDim < 0 || set.originalMaxPosition < 0 || set.targetLength < 0 ||
      !std::isfinite(set.base) || set.base < 0) {
    problems.push_back("model context (base, rotary dim, windows) must not be negative");
  }
  return problems;
}

void validateFactorSet(const FactorSet& set, int expectedPairs, bool requireMonotone) {
  const auto problems = factorSetProblems(set, expectedPairs, requireMonotone);
  if (!problems.empty()) {
    throw InputError((set.name.empty() ? std::string("factor set") : "factor set '" + set.name + "'") +
                     ": " + problems.front());
  }
}

FactorSet factorSetFromParams(const RopeParams& params, int seqLen, const std::string& name) {
  const int length = seqLen > 0 ? seqLen : params.maxPosition;
  const RopeFrequencies fr = computeFrequencies(params, length);
  FactorSet set;
  set.name = name;
  set.method = methodName(params.method);
  if (params.method == RopeMethod::LongRope) {
    set.factors = params.longFactor;
    set.shortFactors = params.shortFactor;
    set.layerFactors = params.layerFactors;
  } else {
    set.factors = fr.factors;
  }
  set.nHat = params.nHat;
  set.attentionFactor = fr.attentionFactor;
  set.base = params.base;
  set.rotaryDim = rotaryDim(params);
  set.originalMaxPosition =
      params.originalMaxPosition > 0 ? params.originalMaxPosition : params.maxPosition;
  set.targetLength = length;
  return set;
}

RopeParams applyFactorSet(const RopeParams& model, const FactorSet& set) {
  const int pairs = rotaryDim(model) / 2;
  validateFactorSet(set, pairs, false);
  RopeParams p = model;
  p.method = RopeMethod::LongRope;
  p.longFactor = set.factors;
  p.shortFactor = set.shortFactors.empty() ? set.factors : set.shortFactors;
  p.layerFactors = set.layerFactors;
  p.nHat = set.nHat;
  p.attentionFactor = set.attentionFactor;
  p.attentionPolicy = LongRopeAttention::Su;
  // The short/long switch and a derived attention factor sqrt(1 + ln(s)/ln(L)) use the window
  // the set was made for: L = its original window (else the model's), s = target / L.
  const int modelWindow = model.originalMaxPosition > 0 ? model.originalMaxPosition
                                                        : model.maxPosition;
  p.originalMaxPosition = set.originalMaxPosition > 0 ? set.originalMaxPosition : modelWindow;
  if (set.targetLength > 0) p.maxPosition = set.targetLength;
  return p;
}

}  // namespace rope
