#pragma once
// Edits of a factor curve lambda_i that the factor editor offers: a dragged point, scale,
// smooth, clamp. Plain C++ (no Qt) so the plot's drag preview and the undo commands apply
// the same rule. Pure functions; thread-safe.

#include <vector>

namespace rope {

// The curve with factor `pair` set to `value`. With keepMonotone the neighbours give way so
// the curve stays non-decreasing: later factors below `value` rise to it, earlier factors
// above it drop to it (then core's enforceMonotone repairs any older violation).
// Out-of-range pairs and non-positive values leave the curve unchanged.
std::vector<double> dragFactor(const std::vector<double>& factors, int pair, double value,
                               bool keepMonotone);

// Every lambda_i multiplied by k (k > 0).
std::vector<double> scaleFactors(const std::vector<double>& factors, double k);

// Centered moving average over 2*radius+1 pairs in log space (the window shrinks at the
// ends), so a curve spanning decades is smoothed evenly. radius 0 returns the input.
std::vector<double> smoothFactors(const std::vector<double>& factors, int radius);

// Each lambda_i limited to [lower, upper] (lower <= upper, both > 0).
std::vector<double> clampFactors(const std::vector<double>& factors, double lower, double upper);

// Indices i with factors[i] < factors[i-1]: where a curve breaks the monotone constraint.
std::vector<int> monotoneViolations(const std::vector<double>& factors);

}  // namespace rope
