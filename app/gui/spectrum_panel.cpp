#include "spectrum_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "cos_heatmap.h"
#include "spectrum_plot.h"
#include "workbench_document.h"

namespace rope {

SpectrumPanel::SpectrumPanel(WorkbenchDocument* doc, QWidget* parent)
    : QWidget(parent), m_doc(doc) {
  m_wavelengths = new SpectrumPlot(SpectrumView::Wavelength);
  m_rotations = new SpectrumPlot(SpectrumView::Rotations);
  m_heatmap = new CosHeatmap;
  m_views = new QTabWidget;
  m_views->addTab(m_wavelengths, "Wavelengths");
  m_views->addTab(m_rotations, "Rotations in the window");
  m_views->addTab(m_heatmap, "cos(p·θ) heatmap");

  m_target = new QSpinBox;
  m_target->setRange(1, 16 * 1024 * 1024);
  m_target->setSingleStep(1024);
  m_target->setToolTip("The window the scaled sets should cover");
  m_heatmapSet = new QComboBox;
  m_heatmapSet->setToolTip("The set drawn beside the original RoPE in the heatmap");

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel("Target window"));
  controls->addWidget(m_target);
  controls->addSpacing(16);
  controls->addWidget(new QLabel("Heatmap set"));
  controls->addWidget(m_heatmapSet, 1);
  controls->addStretch(1);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(controls);
  layout->addWidget(m_views, 1);

  connect(doc, &WorkbenchDocument::changed, this, &SpectrumPanel::refresh);
  connect(m_target, &QSpinBox::editingFinished, this,
          [this] { m_doc->setTargetWindow(m_target->value()); });
  connect(m_heatmapSet, &QComboBox::currentIndexChanged, this, &SpectrumPanel::refresh);
  refresh();
}

ScientificPlot* SpectrumPanel::currentPlot() const {
  if (m_views->currentWidget() == m_heatmap) return m_heatmap->scaledPlot();
  return static_cast<SpectrumPlot*>(m_views->currentWidget())->plot();
}

void SpectrumPanel::refresh() {
  const ModelInfo& model = m_doc->model();
  {
    const QSignalBlocker block(m_target);
    m_target->setValue(m_doc->targetWindow());
  }
  int heatmapIndex = std::max(m_heatmapSet->currentIndex() - 1, -1);  // item 0: the active set
  {
    // The set shown stays shown (by identity) while others come and go.
    const quint64 shownId = m_heatmapSet->currentData().value<quint64>();
    const QSignalBlocker block(m_heatmapSet);
    m_heatmapSet->clear();
    m_heatmapSet->addItem("the active set", QVariant::fromValue(quint64(0)));
    for (const FactorSetEntry& e : m_doc->sets()) {
      m_heatmapSet->addItem(QString::fromStdString(e.set.name), QVariant::fromValue(e.id));
    }
    if (shownId != 0) heatmapIndex = m_doc->indexOfId(shownId);
    if (heatmapIndex >= m_doc->setCount()) heatmapIndex = -1;
    m_heatmapSet->setCurrentIndex(heatmapIndex + 1);
  }
  SpectrumInput in;
  in.base = model.rope.base;
  in.rotaryDim = model.rotaryDim();
  in.trainingWindow = model.trainingWindow();
  in.targetWindow = m_doc->targetWindow();
  for (const FactorSetEntry& e : m_doc->sets()) {
    if (e.visible) in.sets.push_back({QString::fromStdString(e.set.name), e.color, e.set.factors});
  }
  m_wavelengths->setInput(in);
  m_rotations->setInput(in);

  CosHeatmapInput h;
  h.base = in.base;
  h.rotaryDim = in.rotaryDim;
  h.trainingWindow = in.trainingWindow;
  h.targetWindow = in.targetWindow;
  const int shown = heatmapIndex >= 0 ? heatmapIndex : m_doc->activeIndex();
  if (shown >= 0 && shown < m_doc->setCount()) {
    h.scaledName = QString::fromStdString(m_doc->entry(shown).set.name);
    h.factors = m_doc->entry(shown).set.factors;
  }
  m_heatmap->setInput(h);
}

}  // namespace rope
