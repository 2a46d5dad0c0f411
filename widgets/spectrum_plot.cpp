#include "spectrum_plot.h"

#include <QVBoxLayout>
#include <cmath>
#include <exception>

#include "rope/rope_math.h"
#include "scientific_plot.h"

namespace rope {
namespace {

const QColor kOriginalColor(40, 40, 40);
const QColor kTrainingColor(0, 110, 0);
const QColor kTargetColor(170, 0, 170);
const QColor kCriticalColor(200, 90, 0);

RopeFrequencies scaledFrequencies(const std::vector<double>& f,
                                  const std::vector<double>& factors) {
  RopeFrequencies fr;
  fr.factors = factors;
  fr.invFreq.resize(f.size());
  for (size_t i = 0; i < f.size(); ++i) fr.invFreq[i] = f[i] / factors[i];
  return fr;
}

QVector<double> pairs(size_t n) {
  QVector<double> x(static_cast<int>(n));
  for (int i = 0; i < x.size(); ++i) x[i] = i;
  return x;
}

}  // namespace

SpectrumPlot::SpectrumPlot(SpectrumView view, QWidget* parent)
    : QWidget(parent), m_view(view), m_plot(new ScientificPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
  m_plot->setYScale(AxisScale::Log);
  if (view == SpectrumView::Wavelength) {
    m_plot->setCaption(
        "Pairs whose wavelength exceeds the training window (right of the critical "
        "pair) see unseen angles beyond it; scaling stretches them back inside.",
        "critical-pair");
  } else {
    m_plot->setCaption(
        "Pairs under one full rotation in the training window never saw every "
        "angle; a scaled set keeps their rotations in the target window below "
        "what training saw.",
        "critical-pair");
  }
}

void SpectrumPlot::setInput(const SpectrumInput& input) {
  m_plot->clear();
  m_plot->setYScale(AxisScale::Log);
  try {
    if (m_view == SpectrumView::Wavelength) {
      showWavelengths(input);
    } else {
      showRotations(input);
    }
  } catch (const std::exception& e) {
    m_plot->clear();
    m_plot->setTitle(QString("Cannot show the spectrum: %1").arg(e.what()));
  }
  m_plot->rescaleAxes();
  m_plot->scheduleReplot();
}

void SpectrumPlot::showWavelengths(const SpectrumInput& in) {
  const std::vector<double> f = baseInvFreq(in.base, in.rotaryDim);
  const Spectrum original = analyzeSpectrum(
      in.base, scaledFrequencies(f, std::vector<double>(f.size(), 1.0)), in.trainingWindow);
  m_criticalPair = original.criticalPair;
  m_plot->setTitle(QString("Wavelength per pair: base %1, rotary dim %2")
                       .arg(in.base, 0, 'g', 8)
                       .arg(in.rotaryDim));
  m_plot->setAxisLabels("RoPE pair i", "wavelength (tokens, log scale)");
  QVector<double> y;
  for (const auto& p : original.pairs) y.push_back(p.wavelength);
  CurveStyle base;
  base.color = kOriginalColor;
  base.width = 2.4;
  m_plot->addCurve("original wavelength 2π/f_i", pairs(f.size()), y, base);
  for (const SpectrumCurve& set : in.sets) {
    if (set.factors.size() != f.size()) continue;
    const Spectrum s = analyzeSpectrum(in.base, scaledFrequencies(f, set.factors), in.targetWindow);
    QVector<double> ey;
    for (const auto& p : s.pairs) ey.push_back(p.effectiveWavelength);
    CurveStyle style;
    style.color = set.color;
    m_plot->addCurve(set.name + " (effective)", pairs(f.size()), ey, style);
  }
  m_plot->addHorizontalLine(in.trainingWindow, QString("training window %1").arg(in.trainingWindow),
                            kTrainingColor);
  if (in.targetWindow != in.trainingWindow) {
    m_plot->addHorizontalLine(in.targetWindow, QString("target window %1").arg(in.targetWindow),
                              kTargetColor);
  }
  // Keep both windows inside the view even when no wavelength reaches them.
  CurveStyle hidden;
  hidden.color = Qt::transparent;
  hidden.line = false;
  hidden.inLegend = false;
  m_plot->addCurve(QString(), {0.0, 0.0}, {double(in.trainingWindow), double(in.targetWindow)},
                   hidden);
  if (original.criticalPair < static_cast<int>(f.size())) {
    m_plot->addVerticalLine(original.criticalPosition,
                            QString("critical pair %1 (dims %1, %2)")
                                .arg(original.criticalPair)
                                .arg(original.criticalPair + in.rotaryDim / 2),
                            kCriticalColor);
  }
}

void SpectrumPlot::showRotations(const SpectrumInput& in) {
  const std::vector<double> f = baseInvFreq(in.base, in.rotaryDim);
  const Spectrum original = analyzeSpectrum(
      in.base, scaledFrequencies(f, std::vector<double>(f.size(), 1.0)), in.trainingWindow);
  m_criticalPair = original.criticalPair;
  m_plot->setTitle(QString("Full rotations inside the window (training %1, target %2)")
                       .arg(in.trainingWindow)
                       .arg(in.targetWindow));
  m_plot->setAxisLabels("RoPE pair i", "rotations = window · inv_freq_i / 2π (log scale)");
  QVector<double> y;
  for (const auto& p : original.pairs) y.push_back(p.rotationsInWindow);
  CurveStyle base;
  base.color = kOriginalColor;
  base.width = 2.4;
  m_plot->addCurve(QString("original in training window %1").arg(in.trainingWindow),
                   pairs(f.size()), y, base);
  if (in.targetWindow != in.trainingWindow) {
    const Spectrum unscaled = analyzeSpectrum(
        in.base, scaledFrequencies(f, std::vector<double>(f.size(), 1.0)), in.targetWindow);
    QVector<double> uy;
    for (const auto& p : unscaled.pairs) uy.push_back(p.rotationsInWindow);
    CurveStyle style;
    style.color = kOriginalColor;
    style.penStyle = Qt::DotLine;
    m_plot->addCurve(QString("original in target window %1 (no scaling)").arg(in.targetWindow),
                     pairs(f.size()), uy, style);
  }
  for (const SpectrumCurve& set : in.sets) {
    if (set.factors.size() != f.size()) continue;
    // rotationsInWindow in core uses f_i; the scaled rotations use inv_freq_i.
    const Spectrum s = analyzeSpectrum(in.base, scaledFrequencies(f, set.factors), in.targetWindow);
    QVector<double> ry;
    for (const auto& p : s.pairs) ry.push_back(in.targetWindow / p.effectiveWavelength);
    CurveStyle style;
    style.color = set.color;
    m_plot->addCurve(set.name + QString(" in target window %1").arg(in.targetWindow),
                     pairs(f.size()), ry, style);
  }
  m_plot->addHorizontalLine(1.0, "one full rotation", kCriticalColor);
  if (original.criticalPair < static_cast<int>(f.size())) {
    m_plot->addVerticalLine(original.criticalPosition,
                            QString("critical pair %1").arg(original.criticalPair), kCriticalColor);
  }
}

}  // namespace rope
