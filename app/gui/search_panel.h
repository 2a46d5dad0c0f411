#pragma once
// The Search tab: LongRoPE's search (core's longrope::run) on the document's model as a
// background job (BackgroundJob). The controls are snapshotted into longrope::Params; the
// worker posts every scored candidate and every finished generation. Live: best and mean
// perplexity per generation, the population as a scatter, the best candidate's factors per
// generation as a heatmap (generation x pair), and the current best as the document's
// "search best (live)" set, so the factor editor draws it while the job runs (it goes when
// the job ends). Pause blocks the worker between candidate batches (cancel still works); a
// checkpoint file makes a search resumable, and a resumed search draws the generations its
// checkpoint holds again. "Adopt best" adds the best as a factor set (undoable), after a
// cancel too once a generation has finished.
//
// Beyond the long search, the tab offers core's later stages: the progressive stage (a second
// search at L2 > L' whose factors multiply the first's) and the short readjust (the short
// factors at the original window, the long factors fixed), or the short readjust alone for a
// chosen set of the document. The plots draw the stages one after another on the generation
// axis (a best and a mean curve per stage); the heatmap and the live set show the stage's
// result as a factor set (stage two's multipliers applied, the short stage's short factors).

#include <QWidget>
#include <memory>
#include <optional>
#include <vector>

#include "file_dialogs.h"
#include "job_frame.h"
#include "rope/factor_set.h"
#include "search/longrope_search.h"
#include "search_history.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace rope {

class BackgroundJob;
class ScientificPlot;
class WorkbenchDocument;

class SearchPanel : public QWidget {
  Q_OBJECT
 public:
  static constexpr const char* kLiveSetName = "search best (live)";

  // dialogs: where paths are asked for (null: QFileDialog; tests inject their own).
  explicit SearchPanel(WorkbenchDocument* doc, FileDialogs* dialogs = nullptr,
                       QWidget* parent = nullptr);
  ~SearchPanel() override;

  // The params the controls describe now; nullopt (reason in the status line) when invalid.
  std::optional<longrope::Params> params();
  bool run();  // false when the input is not valid or a job runs
  void setPaused(bool paused);
  bool isPaused() const;
  void cancel();
  void shutdown();  // cancels and joins (the window is closing)
  bool isRunning() const;
  // Adds the best candidate as a factor set through the undo stack; false without one.
  bool adoptBest();

  using Generation = SearchGeneration;
  const std::vector<Generation>& generations() const { return m_generations; }
  int candidatesScored() const { return m_scored; }
  const std::optional<FactorSet>& best() const { return m_best; }
  bool exportCsv(const QString& path, QString* error) const;

  BackgroundJob* job() const { return m_job; }
  ScientificPlot* progressPlot() const { return m_curves; }
  ScientificPlot* populationPlot() const { return m_population; }
  ScientificPlot* heatmapPlot() const { return m_heatmap; }
  ScientificPlot* currentPlot() const { return m_curves; }
  QSpinBox* targetBox() const { return m_target; }
  QSpinBox* populationBox() const { return m_populationSize; }
  QSpinBox* generationsBox() const { return m_generationCount; }
  QSpinBox* samplesBox() const { return m_samples; }
  // Perplexity (the paper's) or LongRoPE2's needle-driven perplexity.
  QComboBox* fitnessBox() const { return m_fitness; }
  QSpinBox* seedBox() const { return m_seed; }
  QCheckBox* nHatBox() const { return m_nHat; }
  QCheckBox* criticalFloorBox() const { return m_criticalFloor; }
  QCheckBox* attentionBox() const { return m_attention; }
  QCheckBox* screeningBox() const { return m_screening; }
  QLineEdit* checkpointEdit() const { return m_checkpoint; }
  QCheckBox* resumeBox() const { return m_resume; }
  // The progressive stage (off by default) and its target L2.
  QCheckBox* stage2Box() const { return m_stage2; }
  QSpinBox* stage2TargetBox() const { return m_stage2Target; }
  // The short readjust and its generations (0: as many as the long search).
  QCheckBox* shortBox() const { return m_short; }
  QSpinBox* shortGenerationsBox() const { return m_shortGenerations; }
  // The short readjust alone for a set of the document (item 0: none, search the long factors).
  QComboBox* longFactorsBox() const { return m_longFactors; }
  QListWidget* seedList() const { return m_seeds; }
  QLabel* statusLabel() const { return m_frame->statusLabel(); }
  QLabel* dataLabel() const { return m_data; }
  JobFrame* frame() const { return m_frame; }

 signals:
  void finished(bool valid, QString message);
  void wrote(const QString& path);  // an export

 private:
  void fillSeeds();
  void fillLongFactors();
  void updateStageControls();
  // The position of a stage's generation on the plots' axis: a new stage starts after the last.
  int axisPosition(const QString& stage, int generation);
  void onCandidate(const QString& stage, int generation, double fitness);
  void onGeneration(Generation g);
  void showCurves();
  // The stage's best candidate as a whole factor set (long factors, short factors).
  FactorSet stageBest(const Generation& g) const;
  void onDone(const longrope::Result& result);
  void showLiveBest(const FactorSet& set);
  int liveBestIndex() const;  // -1: none
  void removeLiveBest();      // when the job ends
  // The factor range the search may use (its grid's bounds): the heatmap's colour scale.
  std::pair<double, double> factorBounds() const;
  // Generations from the first shown to `last` on the shared x axis of the three plots.
  void showGenerations(int last);
  void setRunning(bool running);

  WorkbenchDocument* m_doc;
  std::unique_ptr<FileDialogs> m_ownDialogs;
  JobFrame* m_frame = nullptr;
  BackgroundJob* m_job = nullptr;
  ScientificPlot* m_curves = nullptr;
  ScientificPlot* m_population = nullptr;
  ScientificPlot* m_heatmap = nullptr;
  QSpinBox* m_target = nullptr;
  QSpinBox* m_populationSize = nullptr;
  QSpinBox* m_generationCount = nullptr;
  QSpinBox* m_samples = nullptr;
  QComboBox* m_fitness = nullptr;
  QSpinBox* m_seed = nullptr;
  QSpinBox* m_threads = nullptr;
  QCheckBox* m_nHat = nullptr;
  QCheckBox* m_criticalFloor = nullptr;
  QCheckBox* m_attention = nullptr;
  QCheckBox* m_screening = nullptr;
  QLineEdit* m_checkpoint = nullptr;
  QCheckBox* m_resume = nullptr;
  QCheckBox* m_stage2 = nullptr;
  QSpinBox* m_stage2Target = nullptr;
  QCheckBox* m_short = nullptr;
  QSpinBox* m_shortGenerations = nullptr;
  QComboBox* m_longFactors = nullptr;
  QListWidget* m_seeds = nullptr;
  QPushButton* m_adopt = nullptr;
  QLabel* m_data = nullptr;  // which data the search tunes on, and why
  QString m_device;  // status line
  std::optional<longrope::Params> m_params;
  std::vector<Generation> m_generations;
  QVector<double> m_scatterX, m_scatterY;
  int m_scored = 0;
  QString m_stage;               // the stage the last event came from
  int m_stageStart = 0;          // its first position on the generation axis
  FactorSet m_longBest;          // the long factors the later stages build on (stage one's, two's)
  FactorSet m_stageOne;          // stage one's best: what stage two's multipliers multiply
  int m_expectedCandidates = 0;  // over all stages (the progress bar)
  std::optional<FactorSet> m_best;
  FactorSet m_template;  // model context of the live set
  quint64 m_liveId = 0;  // the live set's id in the document; 0: none
};

}  // namespace rope
