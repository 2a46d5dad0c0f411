#pragma once
// The views of an attention analysis (AttentionViews): the chosen head's attention map under
// factor set A, B and B - A side by side (pooled grid, linear or log colours, zoom and pan,
// tooltips naming the query and key tokens), mean entropy per layer x head, entropy vs query
// position, mean attention vs distance, and the logit share per RoPE pair, one curve per set.
// Shows data only; the panel runs the job.

#include <QTabWidget>
#include <memory>

#include "attention_job.h"

class QComboBox;
class QLabel;

namespace rope {

class ScientificPlot;

class AttentionCharts : public QTabWidget {
  Q_OBJECT
 public:
  explicit AttentionCharts(QWidget* parent = nullptr);

  // Shows views (partial views: the head views only; the overview keeps its last state).
  void showViews(std::shared_ptr<const AttentionViews> views);
  void setLogColours(bool log);
  bool logColours() const { return m_log; }
  // The plot of the view on top (for export): the A map on the map tab.
  ScientificPlot* currentPlot() const;

  ScientificPlot* mapPlot(int which) const { return m_maps[which]; }  // 0 A, 1 B, 2 B - A
  ScientificPlot* entropyHeatmap(int which) const { return m_entropyMaps[which]; }  // A, B
  // What the layer x head heatmaps show: 0 mean entropy, 1 mass beyond the training window.
  QComboBox* overviewMeasureBox() const { return m_measure; }
  ScientificPlot* entropyCurves() const { return m_entropyCurves; }
  ScientificPlot* distanceCurves() const { return m_distance; }
  ScientificPlot* pairShares() const { return m_pairs; }
  QString summaryText() const;
  // The part of the A map on screen (after zoom and pan) as a region of the analysed tokens;
  // the whole matrix when nothing is shown.
  attention::Region visibleRegion() const;
  std::shared_ptr<const AttentionViews> views() const { return m_views; }

  // The smallest colour value on a log scale (probabilities below it share its colour).
  static constexpr double kLogFloor = 1e-6;

 private:
  void showMaps();
  void showOverview();
  void showCurves();
  QString cellTooltip(int which, int index) const;

  std::shared_ptr<const AttentionViews> m_views;
  std::shared_ptr<const AttentionViews> m_overview;  // the last views with an overview
  bool m_log = false;
  ScientificPlot* m_maps[3] = {};
  ScientificPlot* m_entropyMaps[2] = {};
  ScientificPlot* m_entropyCurves = nullptr;
  ScientificPlot* m_distance = nullptr;
  ScientificPlot* m_pairs = nullptr;
  QLabel* m_summary = nullptr;
  QComboBox* m_measure = nullptr;
};

}  // namespace rope
