#include "factor_ops.h"

#include <algorithm>
#include <cmath>

#include "rope/factor_set.h"

namespace rope {

std::vector<double> dragFactor(const std::vector<double>& factors, int pair, double value,
                               bool keepMonotone) {
  if (pair < 0 || pair >= static_cast<int>(factors.size()) || !(value > 0) ||
      !std::isfinite(value)) {
    return factors;
  }
  std::vector<double> out(factors);
  out[pair] = value;
  if (!keepMonotone) return out;
  for (size_t j = pair + 1; j < out.size(); ++j) out[j] = std::max(out[j], value);
  for (int j = 0; j < pair; ++j) out[j] = std::min(out[j], value);
  return enforceMonotone(out);
}

std::vector<double> scaleFactors(const std::vector<double>& factors, double k) {
  std::vector<double> out(factors);
  if (!(k > 0) || !std::isfinite(k)) return out;
  for (double& v : out) v *= k;
  return out;
}

std::vector<double> smoothFactors(const std::vector<double>& factors, int radius) {
  if (radius <= 0 || factors.empty()) return factors;
  const int n = static_cast<int>(factors.size());
  std::vector<double> out(factors.size());
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - radius);
    const int hi = std::min(n - 1, i + radius);
    double sum = 0;
    for (int j = lo; j <= hi; ++j) sum += std::log(factors[j]);
    out[i] = std::exp(sum / (hi - lo + 1));
  }
  return out;
}

std::vector<double> clampFactors(const std::vector<double>& factors, double lower, double upper) {
  std::vector<double> out(factors);
  if (!(lower > 0) || !(upper >= lower)) return out;
  for (double& v : out) v = std::clamp(v, lower, upper);
  return out;
}

std::vector<int> monotoneViolations(const std::vector<double>& factors) {
  std::vector<int> out;
  for (size_t i = 1; i < factors.size(); ++i) {
    if (factors[i] < factors[i - 1]) out.push_back(static_cast<int>(i));
  }
  return out;
}

}  // namespace rope
