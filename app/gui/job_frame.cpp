#include "job_frame.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "file_dialogs.h"
#include "scientific_plot.h"

namespace rope {
namespace {

constexpr int kStatusLines = 3;

}  // namespace

QString etaText(double fraction, qint64 elapsedMs) {
  if (!(fraction > 0)) return "ETA …";
  const qint64 left = static_cast<qint64>(elapsedMs / 1000.0 * (1 - fraction) / fraction);
  if (left < 60) return QString("ETA %1 s").arg(left);
  return QString("ETA %1 min %2 s").arg(left / 60).arg(left % 60);
}

JobFrame::JobFrame(const Options& o, FileDialogs* dialogs, QWidget* parent)
    : QWidget(parent), m_dialogs(dialogs) {
  m_run = new QPushButton(o.runText);
  m_cancel = new QPushButton("Cancel");
  if (o.pausable) {
    m_pause = new QPushButton("Pause");
    m_pause->setCheckable(true);
    connect(m_pause, &QPushButton::toggled, this, [this](bool paused) {
      showPaused(paused);
      emit pauseToggled(paused);
    });
  }
  if (o.csv) m_csv = new QPushButton("Export CSV…");
  if (o.image) m_image = new QPushButton("Export image…");
  m_progress = new QProgressBar;
  m_progress->setRange(0, 1000);
  m_progress->setValue(0);
  m_progress->setFormat("%p%");
  m_status = new QLabel;
  m_status->setWordWrap(true);
  m_status->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  // A fixed height: a long status wraps inside it and nothing below moves.
  m_status->setFixedHeight(m_status->fontMetrics().lineSpacing() * kStatusLines + 4);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_run);
  if (m_pause) buttons->addWidget(m_pause);
  buttons->addWidget(m_cancel);
  auto* exports = new QGridLayout;
  int column = 0;
  for (QPushButton* b : {m_csv, m_image}) {
    if (b) exports->addWidget(b, 0, column++);
  }
  m_extraButtons = exports;
  auto* jobBlock = new QVBoxLayout;
  jobBlock->addLayout(buttons);
  jobBlock->addWidget(m_progress);
  jobBlock->addWidget(m_status);
  jobBlock->addLayout(exports);

  m_side = new QWidget;
  auto* side = new QVBoxLayout(m_side);
  side->setContentsMargins(0, 0, 0, 0);
  side->addStretch(1);  // replaced by the controls
  side->addLayout(jobBlock);
  m_side->setMaximumWidth(o.sideWidth);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(m_side);

  connect(m_run, &QPushButton::clicked, this, &JobFrame::runRequested);
  connect(m_cancel, &QPushButton::clicked, this, &JobFrame::cancelRequested);
  if (m_csv) connect(m_csv, &QPushButton::clicked, this, [this] { exportCsv(); });
  if (m_image) connect(m_image, &QPushButton::clicked, this, [this] { exportImage(); });
  setRunning(false);
}

void JobFrame::setControls(QWidget* controls) {
  auto* side = static_cast<QVBoxLayout*>(m_side->layout());
  if (m_controls) {
    side->removeWidget(m_controls);
    delete m_controls;
  } else {
    delete side->takeAt(0);  // the stretch
  }
  m_controls = controls;
  side->insertWidget(0, controls, 1);
}

void JobFrame::setControls(QLayout* controls) {
  auto* widget = new QWidget;
  widget->setLayout(controls);
  controls->setContentsMargins(0, 0, 0, 0);
  setControls(widget);
}

void JobFrame::setView(QWidget* view) {
  if (m_view) {
    layout()->removeWidget(m_view);
    delete m_view;
  }
  m_view = view;
  static_cast<QHBoxLayout*>(layout())->addWidget(view, 1);
}

void JobFrame::addButton(QPushButton* button) {
  auto* grid = static_cast<QGridLayout*>(m_extraButtons);
  const int n = grid->count();
  grid->addWidget(button, n / 2, n % 2);
}

void JobFrame::setCsvWriter(std::function<bool(const QString&, QString*)> writer) {
  m_csvWriter = std::move(writer);
}

void JobFrame::setImageSource(std::function<ScientificPlot*()> plot) {
  m_imageSource = std::move(plot);
}

void JobFrame::started(const QString& status) {
  m_clock.start();
  m_progress->setValue(0);
  m_progress->setFormat("%p%");
  setStatus(status);
  setRunning(true);
}

void JobFrame::setProgress(double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  m_progress->setValue(static_cast<int>(std::lround(fraction * 1000)));
  if (m_running) {
    m_progress->setFormat(QString("%p% · %1").arg(etaText(fraction, m_clock.elapsed())));
  }
}

double JobFrame::progress() const { return m_progress->value() / 1000.0; }

void JobFrame::setStatus(const QString& text) {
  m_status->setText(text);
  m_status->setToolTip(text);
}

QString JobFrame::status() const { return m_status->text(); }

void JobFrame::finished(const QString& status, bool completed) {
  setRunning(false);
  if (completed) m_progress->setValue(1000);
  m_progress->setFormat("%p%");
  setStatus(status);
  emit ended(completed);
}

void JobFrame::showPaused(bool paused) {
  if (!m_pause) return;
  if (m_pause->isChecked() != paused) {
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(paused);
  }
  m_pause->setText(paused ? "Resume" : "Pause");
}

void JobFrame::setRunning(bool running) {
  m_running = running;
  m_run->setEnabled(!running);
  m_cancel->setEnabled(running);
  if (m_pause) {
    m_pause->setEnabled(running);
    if (!running) showPaused(false);
  }
}

bool JobFrame::exportCsv(const QString& given) {
  if (!m_csvWriter) return false;
  const QString path =
      given.isEmpty() ? m_dialogs->saveFile("Export CSV", {}, "CSV (*.csv)") : given;
  if (path.isEmpty()) return false;
  QString error;
  if (!m_csvWriter(path, &error)) {
    setStatus(error);
    return false;
  }
  setStatus("Wrote " + path);
  emit wrote(path);
  return true;
}

bool JobFrame::exportImage(const QString& given) {
  ScientificPlot* plot = m_imageSource ? m_imageSource() : nullptr;
  if (!plot) return false;
  const QString path = given.isEmpty()
                           ? m_dialogs->saveFile("Export image", {}, "Images (*.png *.svg *.pdf)")
                           : given;
  if (path.isEmpty()) return false;
  plot->replotNow();
  QString error;
  if (!plot->exportTo(path, 0, 0, &error)) {
    setStatus(error);
    return false;
  }
  setStatus("Wrote " + path);
  emit wrote(path);
  return true;
}

}  // namespace rope
