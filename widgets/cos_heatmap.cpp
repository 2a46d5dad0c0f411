#include "cos_heatmap.h"

#include <QHBoxLayout>
#include <cmath>

#include "rope/rope_math.h"
#include "scientific_plot.h"

namespace rope {
namespace {

// Blue-white-red for cells seen in training, the same muted to greys for unseen cells.
std::vector<std::pair<double, QColor>> gradientStops() {
  return {{0.0, QColor(33, 72, 190)},     {1.0 / 6, QColor(250, 250, 250)},
          {1.0 / 3, QColor(200, 35, 35)}, {0.5, QColor(128, 128, 128)},
          {2.0 / 3, QColor(70, 76, 96)},  {5.0 / 6, QColor(215, 215, 215)},
          {1.0, QColor(110, 84, 84)}};
}

QString cellTooltip(const PlotPoint& p) {
  if (p.curve >= 0) {
    return QString("training boundary\npair %1: p = %2").arg(p.y).arg(p.x, 0, 'f', 0);
  }
  const bool outside = p.value > 2;
  const double c = outside ? p.value - CosHeatmap::kOutsideOffset : p.value;
  return QString("position %1, pair %2\ncos = %3%4")
      .arg(p.x, 0, 'f', 0)
      .arg(p.y, 0, 'f', 0)
      .arg(c, 0, 'f', 3)
      .arg(outside ? "\noutside the angles seen in training" : "");
}

}  // namespace

CosHeatmap::CosHeatmap(QWidget* parent)
    : QWidget(parent), m_original(new ScientificPlot(this)), m_scaled(new ScientificPlot(this)) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_original);
  layout->addWidget(m_scaled);
  for (ScientificPlot* plot : {m_original, m_scaled}) {
    plot->setTooltipFormatter(cellTooltip);
    plot->setLegendVisible(false);
  }
  m_scaled->linkAxes(m_original, Qt::Horizontal | Qt::Vertical);
  m_original->setCaption(
      "Grey (right of the line): angles the slow pairs, under one turn in the training "
      "window, never reached there.",
      "views-cos");
  m_scaled->setCaption("A scaling that covers the target window leaves no grey.", "views-cos");
}

void CosHeatmap::setInput(const CosHeatmapInput& in) {
  const int pairs = in.rotaryDim / 2;
  m_outside[0] =
      fill(m_original, in, std::vector<double>(pairs, 1.0), QString("original RoPE: cos(p·f_i)"));
  if (static_cast<int>(in.factors.size()) == pairs) {
    m_outside[1] = fill(m_scaled, in, in.factors, QString("%1: cos(p·f_i/λ_i)").arg(in.scaledName));
  } else {
    m_scaled->clear();
    m_scaled->setTitle("no active factor set of the model's length");
    m_outside[1] = 0;
    m_scaled->scheduleReplot();
  }
}

int CosHeatmap::fill(ScientificPlot* plot, const CosHeatmapInput& in,
                     const std::vector<double>& factors, const QString& title) {
  const std::vector<double> f = baseInvFreq(in.base, in.rotaryDim);
  const int ny = static_cast<int>(f.size());
  const int nx = std::max(2, in.columns);
  const double last = std::max(in.targetWindow, in.trainingWindow);
  HeatmapData data;
  data.nx = nx;
  data.ny = ny;
  data.xMin = 0;
  data.xMax = last;
  data.yMin = 0;
  data.yMax = ny - 1;
  data.zMin = -1;
  data.zMax = 1 + kOutsideOffset;  // outside cells span [3, 5]
  data.gradientStops = gradientStops();
  data.values.resize(static_cast<size_t>(nx) * ny);
  data.zLabel = "cos(p·θᵢ)";
  data.barMin = -1;
  data.barMax = 1;
  data.barStops = {
      {0.0, QColor(33, 72, 190)}, {0.5, QColor(250, 250, 250)}, {1.0, QColor(200, 35, 35)}};
  std::vector<bool> sawEveryAngle(ny);
  for (int i = 0; i < ny; ++i) sawEveryAngle[i] = in.trainingWindow * f[i] >= 2 * M_PI;
  int outside = 0;
  for (int ix = 0; ix < nx; ++ix) {
    const double p = last * ix / (nx - 1);
    for (int i = 0; i < ny; ++i) {
      const double theta = f[i] / factors[i];
      const double c = std::cos(p * theta);
      // Largest angle pair i reached in training: window * f_i. A pair that turned a full
      // circle inside the window (window * f_i >= 2 pi) saw every angle: nothing is new.
      const bool unseen = !sawEveryAngle[i] && p * theta > in.trainingWindow * f[i];
      outside += unseen;
      data.values[static_cast<size_t>(ix) * ny + i] = unseen ? c + kOutsideOffset : c;
    }
  }
  plot->clear();
  plot->setTitle(title);
  // Sampled positions alias the fastest pairs (wavelength 2 pi tokens); the label says so.
  plot->setAxisLabels(
      QString("position p (every %1 tokens); grey: angles unseen in the %2-token window")
          .arg(last / (nx - 1), 0, 'f', 1)
          .arg(in.trainingWindow),
      "RoPE pair i (dims i, i + d/2)");
  plot->setHeatmap(data);
  QVector<double> bx, by;
  for (int i = 0; i < ny; ++i) {
    const double boundary = in.trainingWindow * factors[i];
    if (boundary > last || sawEveryAngle[i]) continue;
    bx.push_back(boundary);
    by.push_back(i);
  }
  CurveStyle style;
  style.color = Qt::black;
  style.width = 1.5;
  style.inLegend = false;
  if (!bx.isEmpty()) plot->addCurve("training boundary", bx, by, style);
  plot->setXRange(0, last);
  plot->setYRange(-0.5, ny - 0.5);
  plot->scheduleReplot();
  return outside;
}

}  // namespace rope
