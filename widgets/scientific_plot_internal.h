#pragma once
// Shared by the scientific_plot*.cpp files only (they include qcustomplot.h).

#include "scientific_plot.h"

class QCPAxis;

namespace rope {

// Linear number ticks, or a log scale with readable ticks (plot_ticks.h).
void applyAxisScale(QCPAxis* axis, AxisScale scale);

}  // namespace rope
