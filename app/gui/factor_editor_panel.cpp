#include "factor_editor_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <exception>

#include "factor_plot.h"
#include "factor_table_model.h"
#include "preset_box.h"
#include "reporter.h"
#include "set_operations_box.h"
#include "workbench_document.h"

namespace rope {

FactorEditorPanel::FactorEditorPanel(WorkbenchDocument* doc, FileDialogs* dialogs,
                                     Reporter* reporter, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_reporter(reporter) {
  m_plot = new FactorPlot;
  m_tableModel = new FactorTableModel(doc, this);
  m_table = new QTableView;
  m_table->setModel(m_tableModel);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(22);
  m_presets = new PresetBox(dialogs);
  m_operations = new SetOperationsBox;

  m_log = new QCheckBox("log λ");
  m_enforce = new QCheckBox("keep λ monotone");
  m_enforce->setToolTip(
      "On: dragging a point moves its neighbours so λ stays non-decreasing.\n"
      "Off: points are free and violations are marked in red.");
  m_enforce->setChecked(doc->enforceMonotone());
  m_compare = new QComboBox;
  m_compare->addItem("all visible sets", int(CompareMode::AllVisible));
  m_compare->addItem("overlay A and B", int(CompareMode::Overlay));
  m_compare->addItem("difference λ_B − λ_A", int(CompareMode::Difference));
  m_setA = new QComboBox;
  m_setB = new QComboBox;

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_log);
  controls->addWidget(m_enforce);
  controls->addSpacing(16);
  controls->addWidget(new QLabel("Show"));
  controls->addWidget(m_compare);
  controls->addWidget(new QLabel("A"));
  controls->addWidget(m_setA, 1);
  controls->addWidget(new QLabel("B"));
  controls->addWidget(m_setB, 1);

  auto* left = new QWidget;
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  leftLayout->addLayout(controls);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(m_plot);
  split->addWidget(m_table);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  leftLayout->addWidget(split, 1);

  auto* side = new QWidget;
  auto* sideLayout = new QVBoxLayout(side);
  sideLayout->addWidget(m_operations);
  sideLayout->addWidget(m_presets);
  sideLayout->addStretch(1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(side);
  scroll->setWidgetResizable(true);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(side->sizeHint().width() + 20);

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(left, 1);
  layout->addWidget(scroll);

  connect(doc, &WorkbenchDocument::changed, this, &FactorEditorPanel::refresh);
  connect(doc, &WorkbenchDocument::modelReset, this, [this] {
    m_presets->setTrainingWindow(m_doc->model().trainingWindow());
    m_presets->setTargetWindow(m_doc->targetWindow());
  });
  connect(m_log, &QCheckBox::toggled, this, &FactorEditorPanel::refresh);
  connect(m_enforce, &QCheckBox::toggled, doc, &WorkbenchDocument::setEnforceMonotone);
  for (QComboBox* box : {m_compare, m_setA, m_setB}) {
    connect(box, &QComboBox::currentIndexChanged, this, &FactorEditorPanel::refresh);
  }
  connect(m_plot, &FactorPlot::factorsEdited, this, [this](int pair, QVector<double> f) {
    attempt("Edit factors", [&] {
      m_doc->editFactors(m_doc->activeIndex(), std::vector<double>(f.begin(), f.end()),
                         QString("drag λ_%1").arg(pair));
    });
  });
  connect(m_tableModel, &FactorTableModel::editRejected, this,
          [this](const QString& message) { m_reporter->error("Edit factor", message); });
  connect(m_presets, &PresetBox::presetRequested, this, [this](const PresetRequest& r) {
    attempt("New factor set", [&] {
      Preset preset = makePreset(m_doc->model().rope, r);
      const FactorSet set = preset.set;
      m_doc->addSet(m_doc->makeEntry(set, std::move(preset)),
                    QString("add '%1'").arg(QString::fromStdString(set.name)));
    });
  });
  connect(m_operations, &SetOperationsBox::scaleRequested, this,
          [this](double k) { attempt("Scale", [&] { m_doc->scaleActive(k); }); });
  connect(m_operations, &SetOperationsBox::smoothRequested, this,
          [this](int r) { attempt("Smooth", [&] { m_doc->smoothActive(r); }); });
  connect(m_operations, &SetOperationsBox::clampRequested, this,
          [this](double lo, double hi) { attempt("Clamp", [&] { m_doc->clampActive(lo, hi); }); });
  connect(m_operations, &SetOperationsBox::resetRequested, this,
          [this] { attempt("Reset", [&] { m_doc->resetActiveToPreset(); }); });
  connect(m_operations, &SetOperationsBox::nHatRequested, this,
          [this](int n) { attempt("n_hat", [&] { m_doc->setActiveNHat(n); }); });
  connect(m_operations, &SetOperationsBox::attentionFactorRequested, this,
          [this](std::optional<double> a) {
            attempt("Attention factor", [&] { m_doc->setActiveAttentionFactor(a); });
          });
  m_presets->setTrainingWindow(doc->model().trainingWindow());
  m_presets->setTargetWindow(doc->targetWindow());
  refresh();
}

ScientificPlot* FactorEditorPanel::currentPlot() const { return m_plot->plot(); }

void FactorEditorPanel::setLogScale(bool log) { m_log->setChecked(log); }

void FactorEditorPanel::setCompare(CompareMode mode, int setA, int setB) {
  m_setA->setCurrentIndex(setA);
  m_setB->setCurrentIndex(setB);
  m_compare->setCurrentIndex(m_compare->findData(int(mode)));
}

std::pair<int, int> FactorEditorPanel::compareSets() const {
  return {m_setA->currentIndex(), m_setB->currentIndex()};
}

void FactorEditorPanel::attempt(const QString& what, const std::function<void()>& edit) {
  try {
    edit();
  } catch (const std::exception& e) {
    m_reporter->error(what, QString::fromUtf8(e.what()));
    refresh();  // drop any preview the refused edit left on the plot
  }
}

void FactorEditorPanel::refreshCompareChoices() {
  for (QComboBox* box : {m_setA, m_setB}) {
    const QSignalBlocker block(box);
    const int keep = box->currentIndex();
    const QVariant keepId = box->currentData();  // the set it showed, whatever came and went
    box->clear();
    for (const FactorSetEntry& e : m_doc->sets()) {
      box->addItem(QString::fromStdString(e.set.name), QVariant::fromValue(e.id));
    }
    const int same = keepId.isValid() ? box->findData(keepId) : -1;
    box->setCurrentIndex(same >= 0 ? same
                         : keep >= 0 && keep < box->count()
                             ? keep
                             : std::min(box == m_setB ? 1 : 0, box->count() - 1));
  }
}

void FactorEditorPanel::refresh() {
  refreshCompareChoices();
  {
    const QSignalBlocker block(m_enforce);
    m_enforce->setChecked(m_doc->enforceMonotone());
  }
  m_operations->showEntry(m_doc->activeEntry());
  const auto mode = static_cast<CompareMode>(m_compare->currentData().toInt());
  m_setA->setEnabled(mode != CompareMode::AllVisible);
  m_setB->setEnabled(mode != CompareMode::AllVisible);
  const int pairs = m_doc->model().pairs();
  auto curveOf = [&](int i) {
    const FactorSetEntry& e = m_doc->entry(i);
    return FactorCurve{QString::fromStdString(e.set.name), e.color, e.set.factors,
                       i == m_doc->activeIndex()};
  };
  std::vector<FactorCurve> curves;
  QString yLabel = "rescale factor λ_i = f_i / inv_freq_i";
  const int a = m_setA->currentIndex(), b = m_setB->currentIndex();
  if (mode == CompareMode::AllVisible) {
    for (int i = 0; i < m_doc->setCount(); ++i) {
      if (m_doc->entry(i).visible || i == m_doc->activeIndex()) curves.push_back(curveOf(i));
    }
  } else if (a >= 0 && b >= 0 && mode == CompareMode::Overlay) {
    curves = {curveOf(a)};
    if (b != a) curves.push_back(curveOf(b));
  } else if (a >= 0 && b >= 0) {
    const auto& fa = m_doc->entry(a).set.factors;
    const auto& fb = m_doc->entry(b).set.factors;
    FactorCurve diff{QString("%1 − %2").arg(m_setB->currentText(), m_setA->currentText()),
                     m_doc->entry(b).color,
                     {},
                     false};
    for (size_t i = 0; i < fa.size() && i < fb.size(); ++i) diff.values.push_back(fb[i] - fa[i]);
    curves = {diff};
    yLabel = "difference λ_B − λ_A";
  }
  // Sets of another length (imported for another model) are not drawn against these pairs.
  std::erase_if(curves, [&](const FactorCurve& c) { return int(c.values.size()) != pairs; });
  const bool difference = mode == CompareMode::Difference;
  m_log->setEnabled(!difference);
  if (difference) {
    m_plot->setSpectrumContext(0, 0);
  } else {
    m_plot->setSpectrumContext(m_doc->model().rope.base, m_doc->model().rotaryDim());
  }
  m_plot->setLogScale(m_log->isChecked() && !difference);
  m_plot->setEnforceMonotone(m_doc->enforceMonotone());
  m_plot->setCurves(curves, yLabel);
}

}  // namespace rope
