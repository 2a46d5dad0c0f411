#pragma once
// SpectrumPlot: the RoPE spectrum of a model against its windows, from core's analyzeSpectrum.
//  - Wavelength view: 2 pi / f_i per pair (log y) with lines at the training and the target
//    window, the critical pair marked (the first pair whose wavelength exceeds the training
//    window) and the effective wavelength 2 pi / inv_freq_i of every visible factor set.
//  - Rotations view: full rotations window * inv_freq_i / (2 pi) per pair: the original RoPE
//    inside the training window, every set inside the target window, a line at one rotation.

#include <QColor>
#include <QString>
#include <QWidget>
#include <vector>

namespace rope {

class ScientificPlot;

struct SpectrumCurve {
  QString name;
  QColor color;
  std::vector<double> factors;  // lambda_i
};

struct SpectrumInput {
  double base = 10000.0;
  int rotaryDim = 128;
  int trainingWindow = 4096;
  int targetWindow = 16384;
  std::vector<SpectrumCurve> sets;
};

enum class SpectrumView { Wavelength, Rotations };

class SpectrumPlot : public QWidget {
  Q_OBJECT
 public:
  explicit SpectrumPlot(SpectrumView view, QWidget* parent = nullptr);

  // Throws nothing: an input core rejects is shown as a message on the plot.
  void setInput(const SpectrumInput& input);
  SpectrumView view() const { return m_view; }
  ScientificPlot* plot() const { return m_plot; }
  // The critical pair of the last input (-1 before the first).
  int criticalPair() const { return m_criticalPair; }

 private:
  void showWavelengths(const SpectrumInput& input);
  void showRotations(const SpectrumInput& input);

  SpectrumView m_view;
  ScientificPlot* m_plot = nullptr;
  int m_criticalPair = -1;
};

}  // namespace rope
