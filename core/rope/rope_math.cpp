#include "rope/rope_math.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <string>

#include "util/error.h"

namespace rope {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

void requireFinitePositive(double v, const char* name) {
  if (!std::isfinite(v) || v <= 0) {
    throw InputError(std::string(name) + " must be a finite positive number, got " + num(v));
  }
}

void requireFactors(const std::vector<double>& f, int pairs, const std::string& name) {
  if (static_cast<int>(f.size()) != pairs) {
    throw InputError(name + " has " + std::to_string(f.size()) + " values, expected " +
                     std::to_string(pairs) + " (rotary dim / 2)");
  }
  for (size_t i = 0; i < f.size(); ++i) {
    if (!std::isfinite(f[i]) || f[i] <= 0) {
      throw InputError(name + "[" + std::to_string(i) + "] must be finite and positive, got " +
                       num(f[i]));
    }
  }
}


double requireFactor(const RopeParams& p) {
  if (!p.factor) throw InputError(methodName(p.method) + " scaling needs a factor");
  return *p.factor;
}

// YaRN's mscale: 0.1 m ln(s) + 1 (1 when s <= 1). Source: YaRN paper, HF get_mscale.
double yarnMscale(double s, double m) { return s <= 1.0 ? 1.0 : 0.1 * m * std::log(s) + 1.0; }

// YaRN's s: the factor, or M / L when only the original window is given (newer HF).
double yarnFactor(const RopeParams& p) {
  if (p.factor) return *p.factor;
  if (p.originalMaxPosition > 0) {
    return static_cast<double>(p.maxPosition) / p.originalMaxPosition;
  }
  throw InputError("yarn scaling needs a factor or original_max_position_embeddings");
}

// LongRoPE's s = M / L when the original window is known, else the factor.
double longRopeScale(const RopeParams& p) {
  if (p.originalMaxPosition > 0) {
    return static_cast<double>(p.maxPosition) / p.originalMaxPosition;
  }
  return p.factor.value_or(1.0);
}

bool longRopeUsesLong(const RopeParams& p, int seqLen) {
  const int window = originalWindow(p);
  switch (p.switchRule) {
    case LongRopeSwitch::SequenceLength:
      return seqLen > window;
    case LongRopeSwitch::ContextLength:
      return p.contextLength > window;
    case LongRopeSwitch::AlwaysLong:
      return true;
    case LongRopeSwitch::AlwaysShort:
      return false;
  }
  return false;
}

// NTK-aware base change: base * x^(d/(d-2)). With d = 2 the only pair has exponent 0, so the
// base does not matter; avoid the infinite exponent.
std::vector<double> ntkInvFreq(double base, double x, int d) {
  if (d == 2) return {1.0};
  return baseInvFreq(base * std::pow(x, static_cast<double>(d) / (d - 2)), d);
}

}  // namespace

int originalWindow(const RopeParams& p) {
  return p.originalMaxPosition > 0 ? p.originalMaxPosition : p.maxPosition;
}

int rotaryDim(const RopeParams& p) {
  if (p.headDim <= 0)
    throw InputError("head_dim must be positive, got " + std::to_string(p.headDim));
  // Far beyond any real model (128-256); keeps a hostile config from sizing gigabyte tables.
  constexpr int kMaxHeadDim = 1 << 16;
  if (p.headDim > kMaxHeadDim) {
    throw InputError("head_dim " + std::to_string(p.headDim) + " is larger than " +
                     std::to_string(kMaxHeadDim));
  }
  if (!std::isfinite(p.partialRotaryFactor) || p.partialRotaryFactor <= 0 ||
      p.partialRotaryFactor > 1) {
    throw InputError("partial_rotary_factor must be in (0, 1], got " + num(p.partialRotaryFactor));
  }
  const int d = static_cast<int>(p.headDim * p.partialRotaryFactor);
  if (d < 2 || d % 2 != 0) {
    throw InputError("rotary dim int(head_dim * partial_rotary_factor) = " + std::to_string(d) +
                     " must be even and at least 2");
  }
  return d;
}

std::vector<double> baseInvFreq(double base, int d) {
  std::vector<double> f(d / 2);
  for (int i = 0; i < d / 2; ++i) f[i] = std::pow(base, -2.0 * i / d);
  return f;
}

void validateParams(const RopeParams& p) {
  const int d = rotaryDim(p);
  requireFinitePositive(p.base, "rope_theta");
  if (p.base <= 1.0) throw InputError("rope_theta must be greater than 1, got " + num(p.base));
  if (p.maxPosition <= 0) {
    throw InputError("max_position_embeddings must be positive, got " +
                     std::to_string(p.maxPosition));
  }
  if (p.originalMaxPosition < 0) {
    throw InputError("original_max_position_embeddings must be positive, got " +
                     std::to_string(p.originalMaxPosition));
  }
  if (p.factor) requireFinitePositive(*p.factor, "factor");
  if (p.attentionFactor) requireFinitePositive(*p.attentionFactor, "attention_factor");
  if (p.nHat < 0) throw InputError("n_hat must be >= 0, got " + std::to_string(p.nHat));
  switch (p.method) {
    case RopeMethod::Default:
      break;
    case RopeMethod::Linear:
    case RopeMethod::Dynamic:
      requireFactor(p);
      break;
    case RopeMethod::NtkStatic:
      requireFinitePositive(p.alpha, "alpha");
      break;
    case RopeMethod::Yarn:
      requireFinitePositive(yarnFactor(p), "factor");
      if (!std::isfinite(p.betaFast) || !std::isfinite(p.betaSlow) || p.betaFast <= 0 ||
          p.betaSlow <= 0) {
        throw InputError("beta_fast and beta_slow must be finite and positive");
      }
      if (p.mscale && !std::isfinite(*p.mscale)) throw InputError("mscale must be finite");
      if (p.mscaleAllDim && !std::isfinite(*p.mscaleAllDim)) {
        throw InputError("mscale_all_dim must be finite");
      }
      break;
    case RopeMethod::Llama3:
      requireFactor(p);
      requireFinitePositive(p.lowFreqFactor, "low_freq_factor");
      requireFinitePositive(p.highFreqFactor, "high_freq_factor");
      if (p.highFreqFactor <= p.lowFreqFactor) {
        throw InputError("high_freq_factor (" + num(p.highFreqFactor) +
                         ") must be greater than low_freq_factor (" + num(p.lowFreqFactor) + ")");
      }
      break;
    case RopeMethod::LongRope:
      requireFactors(p.shortFactor, d / 2, "short_factor");
      requireFactors(p.longFactor, d / 2, "long_factor");
      for (size_t l = 0; l < p.layerFactors.size(); ++l) {
        requireFactors(p.layerFactors[l], d / 2, "layer " + std::to_string(l) + " factors");
      }
      requireFinitePositive(longRopeScale(p), "scale M/L");
      if (!p.attentionFactor && p.attentionPolicy == LongRopeAttention::Su &&
          longRopeScale(p) > 1.0 && originalWindow(p) < 2) {
        throw InputError(
            "original_max_position_embeddings must be at least 2: LongRoPE's "
            "attention factor sqrt(1 + ln(s) / ln(L)) divides by ln(L), got L = " +
            std::to_string(originalWindow(p)));
      }
      break;
  }
}

double longRopeAttention(double scale, int window) {
  if (scale <= 1.0) return 1.0;
  return std::sqrt(1.0 + std::log(scale) / std::log(static_cast<double>(window)));
}

double attentionFactor(const RopeParams& p, int /*seqLen*/) {
  if (p.attentionFactor) return *p.attentionFactor;
  switch (p.method) {
    case RopeMethod::Yarn: {
      const double s = yarnFactor(p);
      // HF tests `mscale and mscale_all_dim`: zero counts as absent.
      if (p.mscale && p.mscaleAllDim && *p.mscale != 0 && *p.mscaleAllDim != 0) {
        return yarnMscale(s, *p.mscale) / yarnMscale(s, *p.mscaleAllDim);
      }
      return yarnMscale(s, 1.0);
    }
    case RopeMethod::LongRope: {
      const double s = longRopeScale(p);
      if (s <= 1.0) return 1.0;
      if (p.attentionPolicy == LongRopeAttention::Yarn) return 0.1 * std::log(s) + 1.0;
      return longRopeAttention(s, originalWindow(p));
    }
    default:
      return 1.0;
  }
}

RopeFrequencies computeFrequencies(const RopeParams& p, int seqLen, int layer) {
  validateParams(p);
  const int d = rotaryDim(p);
  const int half = d / 2;
  const std::vector<double> f = baseInvFreq(p.base, d);
  RopeFrequencies out;
  out.attentionFactor = attentionFactor(p, seqLen);
  std::vector<double>& inv = out.invFreq;

  switch (p.method) {
    case RopeMethod::Default:
      inv = f;
      break;
    case RopeMethod::Linear: {
      const double s = *p.factor;
      inv.resize(half);
      for (int i = 0; i < half; ++i) inv[i] = f[i] / s;
      break;
    }
    case RopeMethod::NtkStatic:
      inv = ntkInvFreq(p.base, p.alpha, d);
      break;
    case RopeMethod::Dynamic: {
      // HF _compute_dynamic_ntk_parameters: n = max(T, M); b' = b (s n / M - (s - 1))^(d/(d-2)).
      const double s = *p.factor;
      const double m = p.maxPosition;
      const double n = std::max<double>(seqLen, m);
      inv = ntkInvFreq(p.base, s * n / m - (s - 1.0), d);
      break;
    }
    case RopeMethod::Yarn: {
      // HF _compute_yarn_parameters.
      const double s = yarnFactor(p);
      const double window = originalWindow(p);
      const double logBase = std::log(p.base);
      auto corr = [&](double rotations) {
        return d * std::log(window / (rotations * kTwoPi)) / (2.0 * logBase);
      };
      double low = corr(p.betaFast);
      double high = corr(p.betaSlow);
      if (p.truncate) {
        low = std::floor(low);
        high = std::ceil(high);
      }
      low = std::max(low, 0.0);
      high = std::min(high, static_cast<double>(d - 1));
      if (low == high) high += 0.001;
      inv.resize(half);
      for (int i = 0; i < half; ++i) {
        const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
        inv[i] = (f[i] / s) * ramp + f[i] * (1.0 - ramp);
      }
      break;
    }
    case RopeMethod::Llama3: {
      // HF _compute_llama3_parameters.
      const double s = *p.factor;
      const double window = originalWindow(p);
      const double lowWavelen = window / p.lowFreqFactor;
      const double highWavelen = window / p.highFreqFactor;
      inv.resize(half);
      for (int i = 0; i < half; ++i) {
        const double w = kTwoPi / f[i];
        if (w < highWavelen) {
          inv[i] = f[i];
        } else if (w > lowWavelen) {
          inv[i] = f[i] / s;
        } else {
          const double t = (window / w - p.lowFreqFactor) / (p.highFreqFactor - p.lowFreqFactor);
          inv[i] = (1.0 - t) * f[i] / s + t * f[i];
        }
      }
      break;
    }
    case RopeMethod::LongRope: {
      // HF _compute_longrope_parameters: inv_freq = 1 / (ext_i * b^(2i/d)).
      out.longFactorsUsed = longRopeUsesLong(p, seqLen);
      const std::vector<double>* ext = out.longFactorsUsed ? &p.longFactor : &p.shortFactor;
      if (out.longFactorsUsed && layer >= 0 && !p.layerFactors.empty()) {
        if (layer >= static_cast<int>(p.layerFactors.size())) {
          throw InputError("layer " + std::to_string(layer) + " has no per-layer factors (" +
                           std::to_string(p.layerFactors.size()) + " layers given)");
        }
        ext = &p.layerFactors[layer];
      }
      inv.resize(half);
      for (int i = 0; i < half; ++i) inv[i] = 1.0 / ((*ext)[i] * std::pow(p.base, 2.0 * i / d));
      out.factors = *ext;  // lambda_i is ext_i by definition; avoid the round trip
      return out;
    }
  }
  out.factors.resize(half);
  for (int i = 0; i < half; ++i) out.factors[i] = f[i] / inv[i];
  return out;
}

CosSinTable cosSinTable(const RopeFrequencies& scaled, double base, int nHat, int start, int count,
                        PairLayout layout) {
  if (count < 0 || start < 0) throw InputError("cos/sin table: negative position range");
  const int half = static_cast<int>(scaled.invFreq.size());
  const int d = 2 * half;
  const std::vector<double> f = baseInvFreq(base, d);
  CosSinTable t;
  t.start = start;
  t.count = count;
  t.rotaryDim = d;
  t.cos.resize(static_cast<size_t>(count) * d);
  t.sin.resize(static_cast<size_t>(count) * d);
  for (int r = 0; r < count; ++r) {
    const double pos = start + r;
    const bool original = (start + r) < nHat;
    const double mag = original ? 1.0 : scaled.attentionFactor;
    for (int i = 0; i < half; ++i) {
      const double angle = pos * (original ? f[i] : scaled.invFreq[i]);
      const double c = std::cos(angle) * mag;
      const double s = std::sin(angle) * mag;
      const size_t row = static_cast<size_t>(r) * d;
      const size_t a = layout == PairLayout::RotateHalf ? i : 2 * i;
      const size_t b = layout == PairLayout::RotateHalf ? i + half : 2 * i + 1;
      t.cos[row + a] = c;
      t.cos[row + b] = c;
      t.sin[row + a] = s;
      t.sin[row + b] = s;
    }
  }
  return t;
}

CosSinTable cosSinTable(const RopeParams& p, int start, int count, PairLayout layout, int seqLen,
                        int layer) {
  const RopeFrequencies fr = computeFrequencies(p, seqLen > 0 ? seqLen : start + count, layer);
  return cosSinTable(fr, p.base, p.nHat, start, count, layout);
}

int criticalPair(double base, int d, int window) {
  const double x = (d / 2.0) * std::log(window / kTwoPi) / std::log(base);
  const int pair = static_cast<int>(std::floor(x)) + 1;
  return std::clamp(pair, 0, d / 2);
}

Spectrum analyzeSpectrum(double base, const RopeFrequencies& scaled, int window) {
  if (window <= 0) throw InputError("window must be positive, got " + std::to_string(window));
  const int half = static_cast<int>(scaled.invFreq.size());
  const int d = 2 * half;
  const std::vector<double> f = baseInvFreq(base, d);
  Spectrum s;
  s.window = window;
  s.criticalPosition = half * std::log(window / kTwoPi) / std::log(base);
  s.criticalPair = criticalPair(base, d, window);
  s.pairs.resize(half);
  for (int i = 0; i < half; ++i) {
    PairSpectrum& ps = s.pairs[i];
    ps.pair = i;
    ps.frequency = f[i];
    ps.wavelength = kTwoPi / f[i];
    ps.rotationsInWindow = window * f[i] / kTwoPi;
    ps.factor = f[i] / scaled.invFreq[i];
    ps.effectiveWavelength = kTwoPi / scaled.invFreq[i];
  }
  return s;
}

}  // namespace rope
