#pragma once
// The spectrum views of the document: wavelengths per pair against the training and target
// windows, rotations inside the windows, and the cos(p·θ_i) heatmap of the original RoPE
// beside a chosen set (the active one unless another is picked).

#include <QWidget>

class QComboBox;
class QSpinBox;
class QTabWidget;

namespace rope {

class WorkbenchDocument;
class SpectrumPlot;
class CosHeatmap;
class ScientificPlot;

class SpectrumPanel : public QWidget {
  Q_OBJECT
 public:
  explicit SpectrumPanel(WorkbenchDocument* doc, QWidget* parent = nullptr);

  SpectrumPlot* wavelengthPlot() const { return m_wavelengths; }
  SpectrumPlot* rotationsPlot() const { return m_rotations; }
  CosHeatmap* heatmap() const { return m_heatmap; }
  QTabWidget* views() const { return m_views; }
  // The plot of the view on top (for the heatmap: the scaled map).
  ScientificPlot* currentPlot() const;

 private:
  void refresh();

  WorkbenchDocument* m_doc;
  QTabWidget* m_views = nullptr;
  SpectrumPlot* m_wavelengths = nullptr;
  SpectrumPlot* m_rotations = nullptr;
  CosHeatmap* m_heatmap = nullptr;
  QSpinBox* m_target = nullptr;
  QComboBox* m_heatmapSet = nullptr;
};

}  // namespace rope
