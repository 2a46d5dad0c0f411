#include "plot_ticks.h"

#include <algorithm>
#include <cmath>

namespace rope {
namespace {

QString superscript(int n) {
  static const QString digits[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  QString out = n < 0 ? "⁻" : "";
  for (const QChar c : QString::number(std::abs(n))) out += digits[c.digitValue()];
  return out;
}

// A round spacing near `raw`: 1, 2, 2.5 or 5 times a power of ten.
double niceStep(double raw) {
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double nice = norm < 1.5 ? 1 : norm < 2.25 ? 2 : norm < 3.5 ? 2.5 : norm < 7.5 ? 5 : 10;
  return nice * mag;
}

LogTicks linearTicks(double lower, double upper) {
  LogTicks t;
  t.kind = LogTicks::Linear;
  t.step = niceStep((upper - lower) / 4);
  for (double k = std::ceil(lower / t.step - 1e-9); k * t.step <= upper * (1 + 1e-12); ++k) {
    if (k * t.step > 0) t.ticks.push_back(k * t.step);
  }
  // Digits after the point that the step needs (2.5 needs one more than 2 or 5).
  const double scaled = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
  t.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(t.step) + 1e-9)) +
                               (std::abs(scaled - 2.5) < 1e-9 ? 1 : 0));
  return t;
}

}  // namespace

LogTicks readableLogTicks(double lower, double upper, int maxTicks) {
  if (!(lower > 0) || !(upper > lower) || !std::isfinite(upper)) return {};
  const double decades = std::log10(upper / lower);
  const int first = static_cast<int>(std::ceil(std::log10(lower) - 1e-9));
  const int last = static_cast<int>(std::floor(std::log10(upper) + 1e-9));
  if (decades > 2.2) {
    LogTicks t;
    t.kind = LogTicks::Decades;
    const int every = std::max(1, static_cast<int>(std::ceil((last - first + 1.0) / maxTicks)));
    for (int k = first; k <= last; ++k) {
      if (((k % every) + every) % every == 0) t.ticks.push_back(std::pow(10.0, k));
    }
    return t;
  }
  if (decades > 0.7) {
    LogTicks t;
    t.kind = LogTicks::OneTwoFive;
    for (int k = first - 1; k <= last; ++k) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, k);
        if (v >= lower * (1 - 1e-12) && v <= upper * (1 + 1e-12)) t.ticks.push_back(v);
      }
    }
    if (static_cast<int>(t.ticks.size()) >= 3) return t;
  }
  return linearTicks(lower, upper);
}

QString readableTickLabel(double value, const LogTicks& ticks) {
  if (!(value > 0)) return QString::number(value);
  const int exponent = static_cast<int>(std::floor(std::log10(value) + 1e-9));
  if (ticks.kind == LogTicks::Linear) {
    if (exponent < 7) return QString::number(value, 'f', ticks.decimals);
    return QString::number(
        value, 'g',
        std::max(3, exponent - static_cast<int>(std::floor(std::log10(ticks.step))) + 1));
  }
  const double mantissa = value / std::pow(10.0, exponent);
  if (exponent >= 5 || exponent < -3) {
    const QString power = "10" + superscript(exponent);
    return std::abs(mantissa - 1) < 1e-6 ? power : QString::number(mantissa, 'g', 2) + "×" + power;
  }
  return QString::number(value, 'f', std::max(0, -exponent));
}

}  // namespace rope
