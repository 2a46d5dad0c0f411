#pragma once
// Tick positions and labels for log axes that read as plain numbers (no QCustomPlot here, so
// that tests and other code can use them): over many decades the powers of ten, over a few
// 1, 2, 5 in each decade, within about one decade evenly spaced round numbers (20, 25, 30,
// 35) with as many digits as it takes to tell them apart.

#include <QString>
#include <vector>

namespace rope {

struct LogTicks {
  enum Kind { None, Decades, OneTwoFive, Linear } kind = None;
  std::vector<double> ticks;  // ascending, inside [lower, upper]
  double step = 0;            // Linear: the spacing
  int decimals = 0;           // Linear: the digits after the point every label gets
};

// Ticks for a log axis showing [lower, upper]; None when lower <= 0 or upper <= lower.
// At most about maxTicks ticks.
LogTicks readableLogTicks(double lower, double upper, int maxTicks = 8);

// The label of one tick of `ticks`: "25", "0.02", "2.5", "1000"; beyond 10^5 or below
// 10^-3 the powers of ten as "10⁶" and other values as "2×10⁶".
QString readableTickLabel(double value, const LogTicks& ticks);

}  // namespace rope
