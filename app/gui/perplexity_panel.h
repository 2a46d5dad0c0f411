#pragma once
// The Perplexity tab: factor sets (checked in a list) x lengths x samples (and stride) run as
// a background sweep (BackgroundJob + runSweep); each cell streams into the perplexity-vs-
// length plot (log y, one curve per set) and the table as it finishes, its methodology in the
// tooltip. The shared JobFrame holds Run, Cancel (within one forward pass), progress with ETA,
// the status line with device and dtype, and the CSV and image exports. shutdown() (window
// close) cancels and joins.

#include <QColor>
#include <QVector>
#include <QWidget>
#include <memory>
#include <optional>
#include <vector>

#include "file_dialogs.h"
#include "job_frame.h"
#include "perplexity_sweep.h"

class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QSpinBox;
class QTableWidget;

namespace rope {

class BackgroundJob;
class ScientificPlot;
class WorkbenchDocument;

class PerplexityPanel : public QWidget {
  Q_OBJECT
 public:
  // dialogs: where paths are asked for (null: QFileDialog; tests inject their own).
  explicit PerplexityPanel(WorkbenchDocument* doc, FileDialogs* dialogs = nullptr,
                           QWidget* parent = nullptr);
  ~PerplexityPanel() override;

  // The request the controls describe now; nullopt (reason in the status line) when not valid.
  std::optional<SweepRequest> request();
  bool run();  // false when the input is not valid or a job runs
  void cancel();
  void shutdown();  // cancels and joins (the window is closing)
  bool isRunning() const;

  const std::vector<SweepCell>& cells() const { return m_cells; }
  bool exportCsv(const QString& path, QString* error) const;
  bool exportImage(const QString& path, QString* error) const;

  BackgroundJob* job() const { return m_job; }
  ScientificPlot* plot() const { return m_plot; }
  ScientificPlot* currentPlot() const { return m_plot; }
  QTableWidget* table() const { return m_table; }
  QListWidget* setList() const { return m_sets; }
  QLineEdit* lengthsEdit() const { return m_lengths; }
  QSpinBox* samplesBox() const { return m_samples; }
  QSpinBox* strideBox() const { return m_stride; }
  QLabel* statusLabel() const { return m_frame->statusLabel(); }
  QProgressBar* progressBar() const { return m_frame->progressBar(); }
  JobFrame* frame() const { return m_frame; }

 signals:
  void finished(bool valid, QString message);
  void wrote(const QString& path);  // an export

 private:
  void fillSets();
  void addCell(const SweepCell& cell);
  void onProgress(double fraction);
  void onDone(const SweepOutcome& outcome);

  WorkbenchDocument* m_doc;
  std::unique_ptr<FileDialogs> m_ownDialogs;
  JobFrame* m_frame = nullptr;
  BackgroundJob* m_job = nullptr;
  ScientificPlot* m_plot = nullptr;
  QTableWidget* m_table = nullptr;
  QListWidget* m_sets = nullptr;
  QLineEdit* m_lengths = nullptr;
  QSpinBox* m_samples = nullptr;
  QSpinBox* m_stride = nullptr;
  QSpinBox* m_threads = nullptr;
  QString m_engine;  // "cpu, float32" once the model is loaded
  std::vector<SweepCell> m_cells;
  std::vector<int> m_curveOfSet;  // request set -> plot curve
  QVector<QColor> m_requestColors;  // request set -> its set's colour (request())
  QVector<QColor> m_runColors;      // the same for the running sweep
  std::optional<SweepRequest> m_request;
};

}  // namespace rope
