#include "perplexity_panel.h"

#include <QFile>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSaveFile>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "background_job.h"
#include "job_frame.h"
#include "scientific_plot.h"
#include "set_choices.h"
#include "spin_boxes.h"
#include "workbench_document.h"

namespace rope {
namespace {

std::optional<std::vector<int>> parseLengths(const QString& text) {
  std::vector<int> out;
  for (const QString& item : text.split(',', Qt::SkipEmptyParts)) {
    bool ok = false;
    const int v = item.trimmed().toInt(&ok);
    if (!ok || v < 2) return std::nullopt;
    out.push_back(v);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

QString csvField(QString s) {
  if (s.contains(',') || s.contains('"') || s.contains('\n')) {
    s.replace("\"", "\"\"");
    return "\"" + s + "\"";
  }
  return s;
}

}  // namespace

PerplexityPanel::PerplexityPanel(WorkbenchDocument* doc, FileDialogs* dialogs, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_job(new BackgroundJob(this)), m_plot(new ScientificPlot) {
  if (!dialogs) {
    m_ownDialogs = std::make_unique<QtFileDialogs>(this);
    dialogs = m_ownDialogs.get();
  }
  JobFrame::Options options;
  options.csv = true;
  options.sideWidth = 320;
  m_frame = new JobFrame(options, dialogs);
  m_sets = new QListWidget;
  m_sets->setToolTip("The factor sets to measure (checked)");
  m_lengths = new QLineEdit("128,256,512");
  m_lengths->setToolTip("Lengths in tokens, separated by commas");
  m_samples = makeSpinBox(1, 1000, 2, "Documents per length: the first ones holding the length");
  m_stride = makeSpinBox(0, 1 << 20, 0,
                         "0: each document truncated to the length (one pass); "
                         "S > 0: sliding windows with step S over the whole document");
  m_threads = makeSpinBox(0, 256, 1, "Torch CPU threads; 0: one per hardware thread");
  m_table = new QTableWidget(0, 6);
  m_table->setHorizontalHeaderLabels({"set", "length", "perplexity", "NLL", "tokens", "docs"});
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

  auto* form = new QFormLayout;
  form->addRow("Lengths", m_lengths);
  form->addRow("Samples", m_samples);
  form->addRow("Stride", m_stride);
  form->addRow("Threads", m_threads);
  auto* controls = new QVBoxLayout;
  controls->addWidget(new QLabel("Factor sets"));
  controls->addWidget(m_sets, 1);
  controls->addLayout(form);
  m_frame->setControls(controls);
  auto* view = new QWidget;
  auto* right = new QVBoxLayout(view);
  right->setContentsMargins(0, 0, 0, 0);
  right->addWidget(m_plot, 3);
  right->addWidget(m_table, 2);
  m_frame->setView(view);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_frame);

  m_plot->setTitle("Perplexity vs length");
  m_plot->setAxisLabels("length (tokens)", "perplexity");
  m_plot->setYScale(AxisScale::Log);
  m_plot->setEmptyHint("Run a sweep to see perplexity against length");
  m_plot->setCaption(
      "A method that extends the context keeps perplexity flat past the training "
      "window; a rise marks where it stops working.",
      "views-perplexity");
  m_plot->setTooltipFormatter([this](const PlotPoint& p) -> QString {
    for (const SweepCell& c : m_cells) {
      if (p.curve >= 0 && c.set < static_cast<int>(m_curveOfSet.size()) &&
          m_curveOfSet[c.set] == p.curve && c.result.length == static_cast<int>(p.x)) {
        return QString("%1 at %2: perplexity %3\n%4")
            .arg(c.setName)
            .arg(c.result.length)
            .arg(c.result.ppl, 0, 'f', 3)
            .arg(methodologyText(c.methodology));
      }
    }
    return {};
  });

  connect(m_frame, &JobFrame::runRequested, this, [this] { run(); });
  connect(m_frame, &JobFrame::cancelRequested, this, &PerplexityPanel::cancel);
  connect(m_frame, &JobFrame::wrote, this, &PerplexityPanel::wrote);
  m_frame->setCsvWriter(
      [this](const QString& path, QString* error) { return exportCsv(path, error); });
  m_frame->setImageSource([this] { return m_plot; });
  connect(m_doc, &WorkbenchDocument::changed, this, &PerplexityPanel::fillSets);
  fillSets();
}

PerplexityPanel::~PerplexityPanel() { shutdown(); }

void PerplexityPanel::fillSets() {
  // At first the model's own RoPE and the first set.
  refillChecklist(m_sets, setChoiceNames(*m_doc), setChoiceIds(*m_doc),
                  [](int i) { return i <= 1; });
}

std::optional<SweepRequest> PerplexityPanel::request() {
  SweepRequest r;
  r.modelDir = m_doc->model().folder.isEmpty() ? "demo" : m_doc->model().folder;
  const auto lengths = parseLengths(m_lengths->text());
  if (!lengths) {
    m_frame->setStatus("Lengths: give whole numbers >= 2 separated by commas");
    return std::nullopt;
  }
  r.lengths = *lengths;
  r.samples = m_samples->value();
  r.stride = m_stride->value();
  r.threads = m_threads->value();
  // The document's dataset (empty: the demo test split), device and dtype.
  const DatasetInfo& dataset = m_doc->dataset();
  if (dataset.isEmpty()) {
    m_frame->setStatus("No dataset: open one with File > Open dataset");
    return std::nullopt;
  }
  r.data = dataset.files;
  r.device = m_doc->device().toStdString();
  r.dtype = m_doc->dtype();
  m_requestColors.clear();
  for (int i = 0; i < m_sets->count(); ++i) {
    if (m_sets->item(i)->checkState() != Qt::Checked) continue;
    const quint64 id = m_sets->item(i)->data(kSetIdRole).value<quint64>();
    const int index = m_doc->indexOfId(id);
    if (id == 0) {
      r.sets.emplace_back("model's RoPE", std::nullopt);
      m_requestColors.push_back(Qt::black);
    } else if (index >= 0) {
      const FactorSetEntry& e = m_doc->entry(index);
      r.sets.emplace_back(QString::fromStdString(e.set.name), e.set);
      m_requestColors.push_back(e.color);  // the set's own colour, by identity
    }
  }
  if (r.sets.empty()) {
    m_frame->setStatus("Check at least one factor set");
    return std::nullopt;
  }
  return r;
}

bool PerplexityPanel::run() {
  std::optional<SweepRequest> r = request();
  if (!r || m_job->isRunning()) return false;
  m_request = r;
  m_cells.clear();
  m_table->setRowCount(0);
  m_plot->clear();
  m_curveOfSet.assign(r->sets.size(), -1);
  m_runColors = m_requestColors;
  m_engine.clear();
  m_frame->started("loading the model…");
  const SweepRequest request = *r;  // the worker's snapshot
  m_job->start([this, request](BackgroundJob::Context& ctx) -> std::function<void()> {
    const SweepOutcome o = runSweep(
        request,
        [&ctx, this](double fraction) {
          ctx.post([this, fraction] { onProgress(fraction); });
          return ctx.proceed();
        },
        [&ctx, this](QString device, QString dtype) {
          ctx.post([this, device, dtype] { m_engine = device + ", " + dtype; });
        },
        [&ctx, this](const SweepCell& cell) { ctx.post([this, cell] { addCell(cell); }); });
    return [this, o] { onDone(o); };
  });
  return true;
}

void PerplexityPanel::cancel() {
  if (!m_job->isRunning()) return;
  m_job->cancel();
  m_frame->setStatus("cancelling…");
}

void PerplexityPanel::shutdown() { m_job->cancelAndWait(); }

bool PerplexityPanel::isRunning() const { return m_job->isRunning(); }

void PerplexityPanel::onProgress(double fraction) {
  m_frame->setProgress(fraction);
  m_frame->setStatus(QString("running on %1 — %2 of %3 cells")
                         .arg(m_engine.isEmpty() ? QString("…") : m_engine)
                         .arg(m_cells.size())
                         .arg(m_request ? m_request->sets.size() * m_request->lengths.size() : 0));
}

void PerplexityPanel::addCell(const SweepCell& cell) {
  m_cells.push_back(cell);
  if (m_cells.size() == 1 && m_doc->model().trainingWindow() > 0) {
    // Where the caption says to look: does perplexity stay flat past it?
    const int window = m_doc->model().trainingWindow();
    m_plot->addVerticalLine(window, QString("training window %1").arg(window), Qt::darkGray);
  }
  const int row = m_table->rowCount();
  m_table->insertRow(row);
  const QStringList values{cell.setName,
                           QString::number(cell.result.length),
                           QString::number(cell.result.ppl, 'f', 3),
                           QString::number(cell.result.nll, 'f', 4),
                           QString::number(cell.result.tokens),
                           QString::number(cell.result.samples)};
  const QString tip = methodologyText(cell.methodology);
  for (int c = 0; c < values.size(); ++c) {
    auto* item = new QTableWidgetItem(values[c]);
    item->setToolTip(tip);
    m_table->setItem(row, c, item);
  }
  QVector<double> xs, ys;
  for (const SweepCell& c : m_cells) {
    if (c.set != cell.set) continue;
    xs << c.result.length;
    ys << c.result.ppl;
  }
  int& curve = m_curveOfSet.at(cell.set);
  if (curve < 0) {
    CurveStyle style;
    style.color = m_runColors.value(cell.set, Qt::black);
    style.pointSize = 6;
    curve = m_plot->addCurve(cell.setName, xs, ys, style);
  } else {
    m_plot->setCurveData(curve, xs, ys);
  }
  m_plot->rescaleAxes();
}

void PerplexityPanel::onDone(const SweepOutcome& o) {
  QString message;
  if (o.valid) {
    message = QString("done: %1 cells in %2 s on %3, %4")
                  .arg(m_cells.size())
                  .arg(o.elapsedSeconds, 0, 'f', 1)
                  .arg(o.device, o.dtype);
  } else {
    message = o.cancelled ? QString("cancelled after %1 cells").arg(m_cells.size())
                          : "failed: " + o.error;
  }
  m_frame->finished(message, o.valid);
  emit finished(o.valid, message);
}

bool PerplexityPanel::exportCsv(const QString& path, QString* error) const {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
    if (error) *error = "cannot write " + path + ": " + f.errorString();
    return false;
  }
  QString text = "set,length,perplexity,nll,tokens,documents,methodology\n";
  for (const SweepCell& c : m_cells) {
    text += QString("%1,%2,%3,%4,%5,%6,%7\n")
                .arg(csvField(c.setName))
                .arg(c.result.length)
                .arg(c.result.ppl, 0, 'g', 10)
                .arg(c.result.nll, 0, 'g', 10)
                .arg(c.result.tokens)
                .arg(c.result.samples)
                .arg(csvField(methodologyText(c.methodology)));
  }
  f.write(text.toUtf8());
  if (!f.commit()) {
    if (error) *error = "cannot write " + path + ": " + f.errorString();
    return false;
  }
  return true;
}

bool PerplexityPanel::exportImage(const QString& path, QString* error) const {
  m_plot->replotNow();
  return m_plot->exportTo(path, 0, 0, error);
}

}  // namespace rope
