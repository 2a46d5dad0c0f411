#pragma once
// CosHeatmap: cos(p * theta_i) over positions p (x) and pairs i (y), the original RoPE beside
// a scaled one (theta_i = inv_freq_i = f_i / lambda_i). For the pairs that turn less than once
// in the training window (window * f_i < 2 pi: right of the critical pair), cells whose angle
// p * theta_i exceeds the largest angle the pair reached in training (window * f_i) are drawn
// in muted grey: the model never saw them. Faster pairs saw every angle and keep their
// colours. A line marks that boundary, p = window * lambda_i. Pair i rotates dims i and
// i + d/2 (Hugging Face's layout). A colour bar gives the cos scale.

#include <QString>
#include <QWidget>
#include <vector>

namespace rope {

class ScientificPlot;

struct CosHeatmapInput {
  double base = 10000.0;
  int rotaryDim = 128;
  int trainingWindow = 4096;
  int targetWindow = 16384;  // positions shown: 0 .. targetWindow
  QString scaledName;
  std::vector<double> factors;  // lambda_i of the scaled set; empty: the scaled map is blank
  int columns = 384;            // positions sampled evenly over the range
};

class CosHeatmap : public QWidget {
  Q_OBJECT
 public:
  // Cell encoding: cos in [-1, 1] inside training, cos + kOutsideOffset outside.
  static constexpr double kOutsideOffset = 4.0;

  explicit CosHeatmap(QWidget* parent = nullptr);

  void setInput(const CosHeatmapInput& input);
  ScientificPlot* originalPlot() const { return m_original; }
  ScientificPlot* scaledPlot() const { return m_scaled; }
  // Cells outside training in the last input: [0] original, [1] scaled.
  int outsideCells(int which) const { return m_outside[which]; }

 private:
  int fill(ScientificPlot* plot, const CosHeatmapInput& in, const std::vector<double>& factors,
           const QString& title);

  ScientificPlot* m_original = nullptr;
  ScientificPlot* m_scaled = nullptr;
  int m_outside[2] = {0, 0};
};

}  // namespace rope
