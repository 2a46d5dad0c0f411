#pragma once
// The Attention tab: picks the model, the text and positions, the layer and head, factor set A
// (and B in A/B mode) from the document, pooling and colour scale; snapshots them into an
// AttentionRequest and runs it as a background AttentionJob; AttentionCharts shows the result.
// Cancel stops the job; shutdown() (window close) cancels and joins.

#include <QWidget>
#include <memory>

#include "attention_job.h"
#include "file_dialogs.h"
#include "job_frame.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace rope {

class WorkbenchDocument;
class AttentionCharts;
class ScientificPlot;

class AttentionPanel : public QWidget {
  Q_OBJECT
 public:
  // dialogs: where paths are asked for (null: QFileDialog; tests inject their own).
  explicit AttentionPanel(WorkbenchDocument* doc, FileDialogs* dialogs = nullptr,
                          QWidget* parent = nullptr);
  ~AttentionPanel() override;

  // The request the controls describe now (GUI thread).
  AttentionRequest request() const;
  // Starts the job for request(); false while one runs.
  bool run();
  // Runs the chosen head again with the grid over the part of the map on screen (zoomed in:
  // finer cells), without the every-layer overview.
  bool runVisibleRegion();
  void cancel();
  // Cancels and joins the job (the window is closing).
  void shutdown();
  bool isRunning() const;

  AttentionCharts* charts() const { return m_charts; }
  AttentionJob* job() const { return m_job; }
  ScientificPlot* currentPlot() const;

  // Controls, for tests and sessions.
  QLineEdit* modelEdit() const { return m_model; }
  QLineEdit* dataEdit() const { return m_data; }
  QSpinBox* tokensBox() const { return m_tokens; }
  QSpinBox* offsetBox() const { return m_offset; }
  QSpinBox* layerBox() const { return m_layer; }
  QSpinBox* headBox() const { return m_head; }
  QComboBox* setABox() const { return m_setA; }
  QComboBox* setBBox() const { return m_setB; }
  QCheckBox* compareBox() const { return m_compare; }
  QCheckBox* overviewBox() const { return m_overview; }
  QCheckBox* allSetsBox() const { return m_allSets; }
  QComboBox* poolingBox() const { return m_pooling; }
  QSpinBox* threadsBox() const { return m_threads; }
  QComboBox* colourBox() const { return m_colour; }
  QLabel* statusLabel() const { return m_frame->statusLabel(); }
  JobFrame* frame() const { return m_frame; }

 signals:
  void wrote(const QString& path);  // an export

 private:
  void fillSetBoxes();
  void onHeadReady(std::shared_ptr<const AttentionViews> views);
  void onFinished(std::shared_ptr<const AttentionViews> views);
  void setRunning(bool running);

  WorkbenchDocument* m_doc;
  std::unique_ptr<FileDialogs> m_ownDialogs;
  FileDialogs* m_dialogs = nullptr;
  JobFrame* m_frame = nullptr;
  AttentionJob* m_job = nullptr;
  AttentionCharts* m_charts = nullptr;
  QLineEdit* m_model = nullptr;
  QLineEdit* m_data = nullptr;
  QSpinBox* m_document = nullptr;
  QSpinBox* m_offset = nullptr;
  QSpinBox* m_tokens = nullptr;
  QSpinBox* m_layer = nullptr;
  QSpinBox* m_head = nullptr;
  QComboBox* m_setA = nullptr;
  QComboBox* m_setB = nullptr;
  QCheckBox* m_compare = nullptr;
  QCheckBox* m_overview = nullptr;
  QCheckBox* m_allSets = nullptr;
  QComboBox* m_pooling = nullptr;
  QComboBox* m_colour = nullptr;
  QSpinBox* m_grid = nullptr;
  QSpinBox* m_threads = nullptr;
  QPushButton* m_refine = nullptr;
};

}  // namespace rope
