#pragma once
// The Recipe tab's view of a run: the five stages of LongRoPE's recipe with their state and
// the current stage's progress (a table), the fine-tunings' loss curve (training loss per step,
// validation loss points) and the searches' best perplexity per generation (a curve per search
// stage), live or from a folder's record. It shows what the panel hands it and knows nothing
// of jobs. GUI thread only.

#include <QString>
#include <QWidget>
#include <array>
#include <set>

#include "recipe/record.h"

class QTableWidget;

namespace rope {

class ScientificPlot;

class RecipeStagesView : public QWidget {
  Q_OBJECT
 public:
  // search, fine-tune, search again, short readjust, fine-tune again
  static constexpr int kStages = recipe::kStageCount;
  static constexpr int kMeanSteps = 20;
  enum class State { Waiting, Running, Done, DoneEarlier, Stopped };
  static QString stateName(State state);  // "waiting", "running", "done", "done earlier", ...
  // A finished stage's result column: "ppl 27.85 · 80 evaluations · 45 s", ...
  static QString costText(const recipe::StageCost& cost);

  explicit RecipeStagesView(QWidget* parent = nullptr);
  // A widget of the panel's beside the table (the result block); the view takes ownership.
  void setResultWidget(QWidget* widget);

  // A new run: every stage waiting, or done earlier where doneEarlier says so (a resumed
  // folder); the plots cleared. names: the stages' rows ("1  search at 1024", ...).
  void reset(const std::array<QString, kStages>& names,
             const std::array<bool, kStages>& doneEarlier);
  // Stage `stage` (0..4) runs: the ones before it count as done (unless done earlier).
  void setRunning(int stage);
  // The running stage's progress in [0, 1] and a line about it ("step 12/400, loss 3.2").
  void setStageProgress(int stage, double fraction, const QString& text);
  void setStageResult(int stage, State state, const QString& text);
  // The running stage (if any) stopped: cancelled or failed.
  void stopRunning();
  State state(int stage) const { return m_states[stage]; }
  int runningStage() const;  // -1: none

  // A record (recipe/record.h) as reset() and then its finished stages done earlier with
  // their costs, every search's best per generation, the fine-tunings' losses (stage 5's
  // steps after stage 2's); an unfinished stage stopped where it stopped. resuming: a run
  // continues it, so the unfinished stage waits and its search's generations are left to
  // the resumed search, which reports them again.
  void showRecord(const recipe::Record& record, const std::array<QString, kStages>& names,
                  bool resuming);

  // The training loss's mean starts again at this step (stage 5's first, after stage 2's).
  void startLossSegment(int firstStep);
  void addTrainingLoss(int step, double loss);
  void addValidationLoss(int step, double loss);
  void addWindowLoss(int step, double loss);
  // A search stage's (0, 2 or 3) best fitness after a generation.
  void addSearchGeneration(int stage, int generation, double best);

  QTableWidget* table() const { return m_table; }
  // Curve 0: the training loss per step; curve 1: the validation loss points; curve 2: the
  // training loss's mean over the last kMeanSteps steps (a step's rows mix lengths, so single
  // steps scatter); curve 3: the validation loss at the original window (when the
  // fine-tuning trains short windows: how the window's quality holds).
  ScientificPlot* lossPlot() const { return m_loss; }
  ScientificPlot* searchPlot() const { return m_search; }

 private:
  void setCell(int row, int column, const QString& text);
  void showLoss();
  // A finite loss onto a curve's points (non-finite ones, a diverged step's, are left out).
  static void append(QVector<double>& steps, QVector<double>& losses, int step, double loss);
  void showState(int stage);

  QTableWidget* m_table = nullptr;
  ScientificPlot* m_loss = nullptr;
  ScientificPlot* m_search = nullptr;
  std::array<State, kStages> m_states{};
  QVector<double> m_steps, m_losses, m_validSteps, m_validLosses, m_windowSteps, m_windowLosses;
  std::set<int> m_segmentStarts;  // first steps of the loss's later segments
  std::array<QVector<double>, kStages> m_generations, m_bests;
  std::array<int, kStages> m_searchCurve{-1, -1, -1, -1, -1};  // the stage's curve in m_search
};

}  // namespace rope
