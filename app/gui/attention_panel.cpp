#include "attention_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>
#include <algorithm>

#include "attention_charts.h"
#include "job_frame.h"
#include "scientific_plot.h"
#include "set_choices.h"
#include "spin_boxes.h"
#include "workbench_document.h"

namespace rope {

AttentionPanel::AttentionPanel(WorkbenchDocument* doc, FileDialogs* dialogs, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_job(new AttentionJob(this)), m_charts(new AttentionCharts) {
  if (!dialogs) {
    m_ownDialogs = std::make_unique<QtFileDialogs>(this);
    dialogs = m_ownDialogs.get();
  }
  m_dialogs = dialogs;
  JobFrame::Options options;
  options.runText = "Analyse";
  options.sideWidth = 360;
  m_frame = new JobFrame(options, dialogs);
  m_model = new QLineEdit("demo");
  m_model->setToolTip("A Hugging Face model folder, or 'demo' for the bundled demo model");
  m_data = new QLineEdit;
  m_data->setPlaceholderText("demo test split (King James Bible books)");
  m_data->setToolTip(
      "A token file (.bin, .npy, .safetensors) or a text file; empty: the demo "
      "model's test split");
  auto* browse = new QPushButton("…");
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = m_dialogs->openFile("Text or token file", {}, {});
    if (!path.isEmpty()) m_data->setText(path);
  });
  m_document = makeSpinBox(0, 100000, 0);
  m_offset = makeSpinBox(0, 100000000, 0);
  m_tokens = makeSpinBox(2, 131072, 1024);
  m_layer = makeSpinBox(0, 1023, 0);
  m_head = makeSpinBox(0, 1023, 0);
  m_grid = makeSpinBox(16, 2048, 384);
  // Half the hardware threads: the GUI and the rest of the desktop keep a core, and on a
  // loaded 2-core machine one torch thread measured 3.6x faster than two (bench/RESULTS.md).
  m_threads = makeSpinBox(1, 256, std::max(1, QThread::idealThreadCount() / 2));
  m_threads->setToolTip("CPU threads for the analysis (torch intra-op threads)");
  m_grid->setToolTip("Display grid: the T x T map is pooled to at most this many cells a side");
  m_setA = new QComboBox;
  m_setB = new QComboBox;
  m_compare = new QCheckBox("A/B: compare with set B");
  m_overview = new QCheckBox("Every layer and head (entropy heatmap)");
  m_overview->setChecked(true);
  m_allSets = new QCheckBox("Curves for every visible set too");
  m_allSets->setToolTip(
      "Entropy vs position, attention vs distance and logit share per RoPE "
      "pair for the chosen head under every visible factor set");
  m_pooling = new QComboBox;
  m_pooling->addItems({"max per cell", "mean per cell"});
  m_colour = new QComboBox;
  m_colour->addItems({"linear colours", "log colours"});
  m_refine = new QPushButton("Re-pool visible part");
  m_refine->setToolTip(
      "Zoom or pan the map, then analyse the same head again with the grid "
      "over what is on screen: finer cells");

  auto* form = new QFormLayout;
  form->addRow("Model", m_model);
  auto* dataRow = new QHBoxLayout;
  dataRow->addWidget(m_data, 1);
  dataRow->addWidget(browse);
  form->addRow("Text", dataRow);
  form->addRow("Document", m_document);
  form->addRow("First token", m_offset);
  form->addRow("Tokens", m_tokens);
  form->addRow("Layer", m_layer);
  form->addRow("Head", m_head);
  form->addRow("Set A", m_setA);
  form->addRow(m_compare);
  form->addRow("Set B", m_setB);
  form->addRow(m_overview);
  form->addRow(m_allSets);
  form->addRow("Pooling", m_pooling);
  form->addRow("Grid", m_grid);
  form->addRow("Colour scale", m_colour);
  form->addRow("CPU threads", m_threads);
  auto* side = new QVBoxLayout;
  side->addLayout(form);
  side->addStretch(1);
  m_frame->setControls(side);
  m_frame->addButton(m_refine);
  m_frame->setView(m_charts);
  m_frame->setImageSource([this] { return currentPlot(); });
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_frame);

  connect(m_frame, &JobFrame::runRequested, this, [this] { run(); });
  connect(m_frame, &JobFrame::cancelRequested, this, &AttentionPanel::cancel);
  connect(m_frame, &JobFrame::wrote, this, &AttentionPanel::wrote);
  connect(m_refine, &QPushButton::clicked, this, [this] { runVisibleRegion(); });
  connect(m_compare, &QCheckBox::toggled, m_setB, &QWidget::setEnabled);
  connect(m_colour, &QComboBox::currentIndexChanged, this,
          [this](int i) { m_charts->setLogColours(i == 1); });
  connect(m_job, &AttentionJob::progress, this,
          [this](int percent) { m_frame->setProgress(percent / 100.0); });
  connect(m_job, &AttentionJob::headReady, this, &AttentionPanel::onHeadReady);
  connect(m_job, &AttentionJob::finished, this, &AttentionPanel::onFinished);
  connect(m_doc, &WorkbenchDocument::changed, this, &AttentionPanel::fillSetBoxes);
  // A model folder opened in the workbench is the one analysed.
  connect(m_doc, &WorkbenchDocument::modelReset, this, [this] {
    if (!m_doc->model().folder.isEmpty()) m_model->setText(m_doc->model().folder);
  });
  fillSetBoxes();
  if (!m_doc->model().folder.isEmpty()) m_model->setText(m_doc->model().folder);
  m_setB->setEnabled(false);
  setRunning(false);
}

AttentionPanel::~AttentionPanel() { shutdown(); }

void AttentionPanel::fillSetBoxes() { fillSetPair(m_setA, m_setB, *m_doc); }

AttentionRequest AttentionPanel::request() const {
  AttentionRequest r;
  r.modelDir = m_model->text().trimmed().isEmpty() ? "demo" : m_model->text().trimmed();
  if (!m_data->text().trimmed().isEmpty()) r.dataPaths << m_data->text().trimmed();
  r.document = m_document->value();
  r.offset = m_offset->value();
  r.tokens = m_tokens->value();
  r.layer = m_layer->value();
  r.head = m_head->value();
  r.grid = m_grid->value();
  r.pooling = m_pooling->currentIndex() == 1 ? attention::Pooling::Mean : attention::Pooling::Max;
  r.overview = m_overview->isChecked();
  r.threads = m_threads->value();
  auto setAt = [this](const QComboBox* box) -> std::pair<QString, std::optional<FactorSet>> {
    const int i = box->currentIndex() - 1;
    if (i < 0 || i >= m_doc->setCount()) return {"model's RoPE", std::nullopt};
    return {QString::fromStdString(m_doc->entry(i).set.name), m_doc->entry(i).set};
  };
  r.sets.push_back(setAt(m_setA));
  r.compare = m_compare->isChecked();
  if (r.compare) r.sets.push_back(setAt(m_setB));
  if (m_allSets->isChecked()) {
    std::vector<int> chosen = {m_setA->currentIndex() - 1};
    if (r.compare) chosen.push_back(m_setB->currentIndex() - 1);
    for (int i = 0; i < m_doc->setCount(); ++i) {
      if (m_doc->entry(i).visible && std::find(chosen.begin(), chosen.end(), i) == chosen.end()) {
        r.sets.push_back({QString::fromStdString(m_doc->entry(i).set.name), m_doc->entry(i).set});
      }
    }
  }
  return r;
}

bool AttentionPanel::run() {
  if (!m_job->start(request())) return false;
  m_frame->started("running…");
  setRunning(true);
  return true;
}

bool AttentionPanel::runVisibleRegion() {
  const auto shown = m_charts->views();
  if (!shown || !shown->valid) return false;
  AttentionRequest r = shown->request;  // the tokens and sets on screen, not edited controls
  r.region = m_charts->visibleRegion();
  r.overview = false;
  r.pooling = m_pooling->currentIndex() == 1 ? attention::Pooling::Mean : attention::Pooling::Max;
  if (!m_job->start(r)) return false;
  m_frame->started(QString("re-pooling queries %1–%2, keys %3–%4…")
                       .arg(r.region.queryBegin)
                       .arg(r.region.queryEnd - 1)
                       .arg(r.region.keyBegin)
                       .arg(r.region.keyEnd - 1));
  setRunning(true);
  return true;
}

void AttentionPanel::cancel() {
  m_job->cancel();
  m_frame->setStatus("cancelling…");
}

void AttentionPanel::shutdown() { m_job->cancelAndWait(); }

bool AttentionPanel::isRunning() const { return m_job->isRunning(); }

ScientificPlot* AttentionPanel::currentPlot() const { return m_charts->currentPlot(); }

void AttentionPanel::setRunning(bool running) { m_refine->setEnabled(!running); }

void AttentionPanel::onHeadReady(std::shared_ptr<const AttentionViews> views) {
  m_charts->showViews(views);
  m_layer->setMaximum(std::max(0, views->numLayers - 1));
  m_head->setMaximum(std::max(0, views->numHeads - 1));
  m_frame->setStatus(QString("head ready in %1 s; every layer and head next…")
                         .arg(views->elapsedSeconds, 0, 'f', 2));
}

void AttentionPanel::onFinished(std::shared_ptr<const AttentionViews> views) {
  setRunning(false);
  if (views->valid) {
    m_charts->showViews(views);
    m_frame->finished(QString("done in %1 s").arg(views->elapsedSeconds, 0, 'f', 2), true);
  } else {
    m_frame->finished(views->cancelled ? QString("cancelled") : "failed: " + views->error, false);
  }
}

}  // namespace rope
