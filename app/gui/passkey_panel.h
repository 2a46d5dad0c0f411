#pragma once
// The Passkey tab: LongRoPE's passkey retrieval test for factor set A (and B side by side):
// picks the model, lengths, depths, trials and seed, snapshots them into a PasskeyRequest and
// runs it as a background PasskeyJob in the shared JobFrame (progress with ETA); each cell's
// accuracy appears in the depth x length heatmap, written in the cell, as soon as that cell is
// done. Cancel stops the job; shutdown() (window close) cancels and joins.

#include <QWidget>
#include <memory>
#include <optional>

#include "file_dialogs.h"
#include "job_frame.h"
#include "passkey_job.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace rope {

class WorkbenchDocument;
class ScientificPlot;
struct HeatmapData;

class PasskeyPanel : public QWidget {
  Q_OBJECT
 public:
  // dialogs: where export paths are asked for (null: QFileDialog; tests inject their own).
  explicit PasskeyPanel(WorkbenchDocument* doc, FileDialogs* dialogs = nullptr,
                        QWidget* parent = nullptr);
  ~PasskeyPanel() override;

  // The request the controls describe now (GUI thread); nullopt (and the reason in the status
  // line) when the lengths or depths do not parse.
  std::optional<PasskeyRequest> request();
  // Starts the job for request(); false when the input does not parse or a job runs.
  bool run();
  void cancel();
  // Cancels and joins the job (the window is closing).
  void shutdown();
  bool isRunning() const;

  PasskeyJob* job() const { return m_job; }
  // The heatmap of set A (0) or B (1).
  ScientificPlot* plot(int set) const { return set == 0 ? m_plotA : m_plotB; }
  ScientificPlot* currentPlot() const { return m_plotA; }
  // The last result shown for set A (0) or B (1); null before one arrives.
  const passkey::Result* result(int set) const;

  // The heatmap of a result: accuracy per (length, depth) cell, lengths along x and depths
  // along y as categories (cell index), accuracy from 0 to 1; cells a partial result does not
  // hold yet are NaN.
  static HeatmapData heatmapOf(const passkey::Result& result);

  // Controls, for tests and sessions.
  QLineEdit* modelEdit() const { return m_model; }
  QLineEdit* lengthsEdit() const { return m_lengths; }
  QLineEdit* depthsEdit() const { return m_depths; }
  QSpinBox* trialsBox() const { return m_trials; }
  QSpinBox* seedBox() const { return m_seed; }
  QComboBox* setABox() const { return m_setA; }
  QComboBox* setBBox() const { return m_setB; }
  QCheckBox* compareBox() const { return m_compare; }
  QLabel* statusLabel() const { return m_frame->statusLabel(); }
  JobFrame* frame() const { return m_frame; }

 signals:
  void wrote(const QString& path);  // an export

 private:
  void fillSetBoxes();
  void showResult(int set, std::shared_ptr<const passkey::Result> result);
  void onFinished(std::shared_ptr<const PasskeyOutcome> outcome);

  WorkbenchDocument* m_doc;
  std::unique_ptr<FileDialogs> m_ownDialogs;
  JobFrame* m_frame = nullptr;
  PasskeyJob* m_job = nullptr;
  ScientificPlot* m_plotA = nullptr;
  ScientificPlot* m_plotB = nullptr;
  std::shared_ptr<const passkey::Result> m_results[2];
  QLineEdit* m_model = nullptr;
  QLineEdit* m_lengths = nullptr;
  QLineEdit* m_depths = nullptr;
  QSpinBox* m_trials = nullptr;
  QSpinBox* m_seed = nullptr;
  QSpinBox* m_threads = nullptr;
  QComboBox* m_setA = nullptr;
  QComboBox* m_setB = nullptr;
  QCheckBox* m_compare = nullptr;
};

}  // namespace rope
