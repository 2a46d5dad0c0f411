#include "passkey_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

#include "job_frame.h"
#include "scientific_plot.h"
#include "set_choices.h"
#include "spin_boxes.h"
#include "workbench_document.h"

namespace rope {
namespace {

// Comma-separated numbers; nullopt when one does not parse.
template <typename T>
std::optional<std::vector<T>> parseList(const QString& text) {
  std::vector<T> out;
  for (const QString& item : text.split(',', Qt::SkipEmptyParts)) {
    bool ok = false;
    const double v = item.trimmed().toDouble(&ok);
    if (!ok) return std::nullopt;
    if constexpr (std::is_integral_v<T>) {
      if (v != static_cast<T>(v) || v < 1) return std::nullopt;
    }
    out.push_back(static_cast<T>(v));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

QString depthLabel(double d) { return QString::number(d, 'g', 3); }

}  // namespace

PasskeyPanel::PasskeyPanel(WorkbenchDocument* doc, FileDialogs* dialogs, QWidget* parent)
    : QWidget(parent),
      m_doc(doc),
      m_job(new PasskeyJob(this)),
      m_plotA(new ScientificPlot),
      m_plotB(new ScientificPlot) {
  if (!dialogs) {
    m_ownDialogs = std::make_unique<QtFileDialogs>(this);
    dialogs = m_ownDialogs.get();
  }
  JobFrame::Options options;
  options.sideWidth = 320;
  m_frame = new JobFrame(options, dialogs);
  m_model = new QLineEdit("demo");
  m_model->setToolTip("A Hugging Face model folder with tokenizer.model, or 'demo'");
  m_lengths = new QLineEdit("128,256,512,1024");
  m_lengths->setToolTip("Prompt lengths in tokens, BOS included");
  m_depths = new QLineEdit("0,0.25,0.5,0.75,1");
  m_depths->setToolTip("Where the key sits: 0 right after the instruction, 1 right before the "
                       "question");
  m_trials = makeSpinBox(1, 1000, 5);
  m_trials->setToolTip("Prompts per cell; trial t of every cell uses the same key");
  m_seed = makeSpinBox(0, 1000000, 1);
  m_threads = makeSpinBox(0, 256, 1);
  m_threads->setToolTip("Torch CPU threads; 0: one per hardware thread");
  m_setA = new QComboBox;
  m_setB = new QComboBox;
  m_compare = new QCheckBox("Compare with set B");
  m_compare->setChecked(true);

  auto* form = new QFormLayout;
  form->addRow("Model", m_model);
  form->addRow("Lengths", m_lengths);
  form->addRow("Depths", m_depths);
  form->addRow("Trials", m_trials);
  form->addRow("Seed", m_seed);
  form->addRow("Threads", m_threads);
  form->addRow("Set A", m_setA);
  form->addRow(m_compare);
  form->addRow("Set B", m_setB);
  auto* side = new QVBoxLayout;
  side->addLayout(form);
  side->addStretch(1);
  m_frame->setControls(side);
  auto* view = new QWidget;
  auto* plots = new QHBoxLayout(view);
  plots->setContentsMargins(0, 0, 0, 0);
  plots->addWidget(m_plotA, 1);
  plots->addWidget(m_plotB, 1);
  m_frame->setView(view);
  m_frame->setImageSource([this] { return m_plotA; });
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_frame);

  m_plotB->linkAxes(m_plotA, Qt::Horizontal | Qt::Vertical);
  for (int i = 0; i < 2; ++i) {
    ScientificPlot* plot = this->plot(i);
    plot->setTitle(i == 0 ? "Set A" : "Set B");
    plot->setAxisLabels("length (tokens)", "key depth");
    plot->setLegendVisible(false);
    plot->setCaption(
        "Share of keys retrieved at each depth and length; past the training window "
        "a method keeps the key or loses it.",
        "views-passkey");
    plot->setEmptyHint(i == 0 ? "Run the test to see set A's accuracy per length and depth"
                              : "Tick \"Compare with set B\" and run to see set B beside A");
    plot->setTooltipFormatter([this, i](const PlotPoint& p) -> QString {
      const passkey::Result* r = result(i);
      if (!r || p.curve != -1 || p.index < 0 || p.index >= static_cast<int>(r->cells.size())) {
        return {};
      }
      const passkey::Cell& c = r->cells[p.index];
      return QString("length %1, depth %2: accuracy %3 (%4/%5), key log p %6 per token")
          .arg(c.length)
          .arg(depthLabel(c.depth))
          .arg(c.accuracy, 0, 'f', 2)
          .arg(c.correct)
          .arg(c.trials)
          .arg(c.meanLogprob, 0, 'f', 3);
    });
  }

  connect(m_frame, &JobFrame::runRequested, this, [this] { run(); });
  connect(m_frame, &JobFrame::cancelRequested, this, &PasskeyPanel::cancel);
  connect(m_frame, &JobFrame::wrote, this, &PasskeyPanel::wrote);
  connect(m_compare, &QCheckBox::toggled, m_setB, &QWidget::setEnabled);
  connect(m_job, &PasskeyJob::progress, this, [this](int done, int total) {
    m_frame->setProgress(total > 0 ? double(done) / total : 0);
    m_frame->setStatus(QString("running: %1 of %2 prompts").arg(done).arg(total));
  });
  // Cells stream in as they finish; the set's final result is the last of them.
  connect(m_job, &PasskeyJob::cellReady, this, &PasskeyPanel::showResult);
  connect(m_job, &PasskeyJob::setReady, this, &PasskeyPanel::showResult);
  connect(m_job, &PasskeyJob::finished, this, &PasskeyPanel::onFinished);
  connect(m_doc, &WorkbenchDocument::changed, this, &PasskeyPanel::fillSetBoxes);
  connect(m_doc, &WorkbenchDocument::modelReset, this, [this] {
    if (!m_doc->model().folder.isEmpty()) m_model->setText(m_doc->model().folder);
  });
  fillSetBoxes();
}

PasskeyPanel::~PasskeyPanel() { shutdown(); }

void PasskeyPanel::fillSetBoxes() { fillSetPair(m_setA, m_setB, *m_doc); }

std::optional<PasskeyRequest> PasskeyPanel::request() {
  PasskeyRequest r;
  const QString model = m_model->text().trimmed();
  r.modelDir = model.isEmpty() ? "demo" : model;
  const auto lengths = parseList<int>(m_lengths->text());
  const auto depths = parseList<double>(m_depths->text());
  if (!lengths) {
    m_frame->setStatus("Lengths: give positive whole numbers separated by commas");
    return std::nullopt;
  }
  if (!depths) {
    m_frame->setStatus("Depths: give numbers in [0, 1] separated by commas");
    return std::nullopt;
  }
  r.lengths = *lengths;
  r.depths = *depths;
  r.trials = m_trials->value();
  r.seed = static_cast<quint64>(m_seed->value());
  r.threads = m_threads->value();
  auto setAt = [this](const QComboBox* box) -> std::pair<QString, std::optional<FactorSet>> {
    const int i = box->currentIndex() - 1;
    if (i < 0 || i >= m_doc->setCount()) return {"model's RoPE", std::nullopt};
    return {QString::fromStdString(m_doc->entry(i).set.name), m_doc->entry(i).set};
  };
  r.sets.push_back(setAt(m_setA));
  if (m_compare->isChecked()) r.sets.push_back(setAt(m_setB));
  return r;
}

bool PasskeyPanel::run() {
  const std::optional<PasskeyRequest> r = request();
  if (!r || !m_job->start(*r)) return false;
  for (int i = 0; i < 2; ++i) {
    m_results[i].reset();
    plot(i)->clear();
  }
  m_frame->started("loading the model and its tokenizer…");
  return true;
}

void PasskeyPanel::cancel() {
  m_job->cancel();
  m_frame->setStatus("cancelling…");
}

void PasskeyPanel::shutdown() { m_job->cancelAndWait(); }

bool PasskeyPanel::isRunning() const { return m_job->isRunning(); }

const passkey::Result* PasskeyPanel::result(int set) const {
  return set >= 0 && set < 2 ? m_results[set].get() : nullptr;
}

HeatmapData PasskeyPanel::heatmapOf(const passkey::Result& r) {
  HeatmapData h;
  h.nx = static_cast<int>(r.methodology.lengths.size());
  h.ny = static_cast<int>(r.methodology.depths.size());
  h.xMin = 0;
  h.xMax = h.nx - 1;
  h.yMin = 0;
  h.yMax = h.ny - 1;
  // Lengths outer; cells still running (a partial result) hold NaN.
  h.values.assign(static_cast<size_t>(h.nx) * h.ny, std::nan(""));
  for (size_t i = 0; i < r.cells.size() && i < h.values.size(); ++i) {
    h.values[i] = r.cells[i].accuracy;
  }
  h.nanColor = QColor(235, 235, 235);
  h.zMin = 0;  // one fixed scale for A and B
  h.zMax = 1;
  h.zLabel = "accuracy (fraction of keys retrieved)";
  // viridis: perceptually even, readable in grey and by colour-blind readers
  h.gradientStops = {{0.0, QColor(0x44, 0x01, 0x54)}, {0.25, QColor(0x3b, 0x52, 0x8b)},
                     {0.5, QColor(0x21, 0x91, 0x8c)}, {0.75, QColor(0x5e, 0xc9, 0x62)},
                     {1.0, QColor(0xfd, 0xe7, 0x25)}};
  return h;
}

void PasskeyPanel::showResult(int set, std::shared_ptr<const passkey::Result> result) {
  if (set < 0 || set > 1) return;
  m_results[set] = result;
  ScientificPlot* plot = this->plot(set);
  const HeatmapData h = heatmapOf(*result);
  plot->clear();
  plot->setHeatmap(h);
  QVector<double> xs, ys;
  QStringList xl, yl;
  for (int i = 0; i < h.nx; ++i) {
    xs << i;
    xl << QString::number(result->methodology.lengths[i]);
  }
  for (int i = 0; i < h.ny; ++i) {
    ys << i;
    yl << depthLabel(result->methodology.depths[i]);
  }
  plot->setTickLabels(Qt::Horizontal, xs, xl);
  plot->setTickLabels(Qt::Vertical, ys, yl);
  plot->setXRange(-0.5, h.nx - 0.5);
  plot->setYRange(-0.5, h.ny - 0.5);
  int correct = 0, trials = 0;
  for (size_t i = 0; i < result->cells.size(); ++i) {
    const passkey::Cell& c = result->cells[i];
    correct += c.correct;
    trials += c.trials;
    // The accuracy in the cell, dark on the bright end of viridis and light on the dark end.
    const int ix = static_cast<int>(i) / h.ny, iy = static_cast<int>(i) % h.ny;
    plot->addLabel(QPointF(ix, iy), QString::number(c.accuracy, 'f', 2),
                   c.accuracy > 0.6 ? Qt::black : Qt::white);
  }
  const size_t cells = result->methodology.lengths.size() * result->methodology.depths.size();
  plot->setTitle(QString("%1: %2 of %3 keys (window %4)%5")
                     .arg(QString::fromStdString(result->methodology.ropeSource))
                     .arg(correct)
                     .arg(trials)
                     .arg(result->methodology.originalMaxPosition)
                     .arg(result->cells.size() < cells
                              ? QString(" · %1 of %2 cells").arg(result->cells.size()).arg(cells)
                              : QString()));
}

void PasskeyPanel::onFinished(std::shared_ptr<const PasskeyOutcome> outcome) {
  if (outcome->valid) {
    m_frame->finished(QString("done in %1 s (seed %2, %3 trials per cell)")
                          .arg(outcome->elapsedSeconds, 0, 'f', 1)
                          .arg(outcome->request.seed)
                          .arg(outcome->request.trials),
                      true);
  } else {
    m_frame->finished(outcome->cancelled ? QString("cancelled") : "failed: " + outcome->error,
                      false);
  }
}

}  // namespace rope
