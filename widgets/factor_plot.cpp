#include "factor_plot.h"

#include <QVBoxLayout>
#include <cmath>

#include "factor_ops.h"
#include "scientific_plot.h"

namespace rope {
namespace {

QVector<double> pairAxis(size_t n) {
  QVector<double> x(static_cast<int>(n));
  for (int i = 0; i < x.size(); ++i) x[i] = i;
  return x;
}

QVector<double> toQVector(const std::vector<double>& v) {
  return QVector<double>(v.begin(), v.end());
}

}  // namespace

FactorPlot::FactorPlot(QWidget* parent) : QWidget(parent), m_plot(new ScientificPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
  m_plot->setAxisLabels("RoPE pair i", "rescale factor λ_i");
  m_plot->setCaption(
      "λᵢ > 1 stretches pair i's wavelength: the slow pairs (right) need it most, "
      "the fast ones (left) little or none. Drag a point to edit.",
      "methods");
  connect(m_plot, &ScientificPlot::mousePressed, this, &FactorPlot::onPressed);
  connect(m_plot, &ScientificPlot::mouseMoved, this, &FactorPlot::onMoved);
  connect(m_plot, &ScientificPlot::mouseReleased, this, &FactorPlot::onReleased);
  m_plot->setTooltipFormatter(
      [this](const PlotPoint& p) { return tooltip(p.curve, p.index, p.y); });
}

void FactorPlot::setCurves(const std::vector<FactorCurve>& curves, const QString& yLabel) {
  m_curves = curves;
  m_yLabel = yLabel;
  m_dragPair = -1;
  m_plot->setRangeDragEnabled(true);
  rebuild();
}

void FactorPlot::setSpectrumContext(double base, int rotaryDim) {
  m_base = base;
  m_rotaryDim = rotaryDim;
}

void FactorPlot::setLogScale(bool log) {
  if (log == m_log) return;
  m_log = log;
  m_structureKey.clear();  // forces a rescale
  rebuild();
}

void FactorPlot::setEnforceMonotone(bool enforce) {
  if (enforce == m_enforce) return;
  m_enforce = enforce;
  rebuild();
}

int FactorPlot::editableIndex() const {
  for (size_t i = 0; i < m_curves.size(); ++i) {
    if (m_curves[i].editable) return static_cast<int>(i);
  }
  return -1;
}

void FactorPlot::rebuild() {
  m_plot->clear();
  m_curveOfPlot.clear();
  m_editablePlotCurve = -1;
  m_plot->setYScale(m_log ? AxisScale::Log : AxisScale::Linear);
  m_plot->setAxisLabels(
      "RoPE pair i  (dims i and i + d/2 as in Hugging Face; low i = high frequency)", m_yLabel);
  QString key = m_log ? "log" : "lin";
  bool outside = false;
  const auto [yLow, yHigh] = m_plot->yRange();
  // Non-editable curves first so that the editable one is drawn on top.
  const int editable = editableIndex();
  for (size_t i = 0; i <= m_curves.size(); ++i) {
    const int c = i < m_curves.size() ? static_cast<int>(i) : editable;
    if (c < 0 || (i < m_curves.size() && c == editable)) continue;
    const FactorCurve& curve = m_curves[c];
    CurveStyle style;
    style.color = curve.color;
    style.width = curve.editable ? 2.6 : 1.5;
    style.pointSize = curve.editable ? 7 : 3;
    const int plotCurve =
        m_plot->addCurve(curve.editable ? curve.name + "  (drag to edit)" : curve.name,
                         pairAxis(curve.values.size()), toQVector(curve.values), style);
    m_curveOfPlot.push_back(c);
    if (curve.editable) m_editablePlotCurve = plotCurve;
    key += curve.name + QString::number(curve.values.size()) + ";";
    for (double v : curve.values) outside = outside || v < yLow || v > yHigh;
  }
  if (editable >= 0 && !m_enforce) {
    const auto bad = monotoneViolations(m_curves[editable].values);
    if (!bad.empty()) {
      QVector<double> x, y;
      for (int i : bad) {
        x.push_back(i);
        y.push_back(m_curves[editable].values[i]);
      }
      CurveStyle marks;
      marks.color = QColor(220, 0, 0);
      marks.line = false;
      marks.pointSize = 12;
      m_plot->addCurve(QString("not monotone (%1 pairs)").arg(bad.size()), x, y, marks);
      m_curveOfPlot.push_back(-1);
    }
  }
  if (key != m_structureKey || outside) m_plot->rescaleAxes();
  m_structureKey = key;
  m_plot->scheduleReplot();
}

bool FactorPlot::beginDrag(int pair) {
  const int c = editableIndex();
  if (c < 0 || pair < 0 || pair >= static_cast<int>(m_curves[c].values.size())) return false;
  m_dragPair = pair;
  m_dragValues = m_curves[c].values;
  m_plot->setRangeDragEnabled(false);
  return true;
}

void FactorPlot::dragTo(double value) {
  const int c = editableIndex();
  if (m_dragPair < 0 || c < 0) return;
  m_dragValues = dragFactor(m_curves[c].values, m_dragPair, value, m_enforce);
  m_plot->setCurveData(m_editablePlotCurve, pairAxis(m_dragValues.size()), toQVector(m_dragValues));
}

void FactorPlot::endDrag() {
  const int c = editableIndex();
  const int pair = m_dragPair;
  m_dragPair = -1;
  m_plot->setRangeDragEnabled(true);
  if (pair < 0 || c < 0) return;
  if (m_dragValues == m_curves[c].values) return;
  const std::vector<FactorCurve> before = m_curves;
  emit factorsEdited(pair, toQVector(m_dragValues));
  // Nobody took the edit: show the curves as they are, not the abandoned preview.
  if (m_curves.size() == before.size() && editableIndex() == c &&
      m_curves[c].values == before[c].values) {
    rebuild();
  }
}

void FactorPlot::onPressed(QPointF pixel, Qt::MouseButton button) {
  if (button != Qt::LeftButton || m_editablePlotCurve < 0) return;
  if (const auto p = m_plot->pointAt(pixel, kGrabPixels, m_editablePlotCurve)) beginDrag(p->index);
}

void FactorPlot::onMoved(QPointF pixel, Qt::MouseButtons buttons) {
  if (m_dragPair < 0 || !(buttons & Qt::LeftButton)) return;
  dragTo(m_plot->pixelToCoord(pixel).y());
}

void FactorPlot::onReleased(QPointF pixel, Qt::MouseButton button) {
  if (m_dragPair < 0 || button != Qt::LeftButton) return;
  dragTo(m_plot->pixelToCoord(pixel).y());
  endDrag();
}

QString FactorPlot::tooltip(int plotCurve, int index, double y) const {
  if (plotCurve < 0 || plotCurve >= static_cast<int>(m_curveOfPlot.size())) return {};
  const int c = m_curveOfPlot[plotCurve];
  QString text = c >= 0 ? m_curves[c].name : QString("breaks the monotone constraint");
  // Hugging Face's layout: pair i rotates dims i and i + d/2.
  const QString dims = m_rotaryDim > 0
                           ? QString("dims %1, %2").arg(index).arg(index + m_rotaryDim / 2)
                           : QString("dims %1, %1 + d/2").arg(index);
  text += QString("\npair %1 (%2)\nλ = %3").arg(index).arg(dims).arg(y, 0, 'g', 6);
  if (m_base > 1 && m_rotaryDim > 0 && y > 0) {
    const double f = std::pow(m_base, -2.0 * index / m_rotaryDim);
    const double wavelength = 2 * M_PI / f;
    text += QString("\nwavelength %1 tokens\neffective wavelength %2 tokens")
                .arg(wavelength, 0, 'f', 1)
                .arg(wavelength * y, 0, 'f', 1);
  }
  return text;
}

}  // namespace rope
