#pragma once
// The Recipe tab: LongRoPE's whole recipe (core's recipe::run: search, fine-tune, search again
// on the fine-tuned model, short readjust, fine-tune again, export) on the document's model as
// a background job (BackgroundJob), in one folder. The controls are snapshotted into
// recipe::Params and checked by core before anything starts (a bad option is one status line,
// and no job, no folder). Run starts a new folder; Resume continues one (Params::resume:
// finished stages are skipped, a search continues from its checkpoint, fine-tuning from its
// last one; other options are refused with core's message). Cancel stops after the current
// batch of candidates or training step, and the folder stays resumable.
//
// A folder an earlier run left (the workbench's or rope-cli extend's) opens as its record
// (recipe/record.h): its options fill the controls, its stages show as done earlier or stopped
// with their costs, the curves as far as its logs and checkpoints go; Resume continues it.
//
// Live (RecipeStagesView): the five stages with their state and the current stage's progress,
// the fine-tunings' loss curve (one curve, stage 5 after stage 2) and the searches' best
// perplexity per generation. At the end: the final model's folder with a button that opens it
// in the workbench (as File > Open model), and the stages' factor sets (1-search, 3-search2,
// 4-short) to add to the project.

#include <QWidget>
#include <array>
#include <memory>
#include <optional>

#include "file_dialogs.h"
#include "job_frame.h"
#include "recipe/extend.h"
#include "recipe/record.h"

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace rope {

class BackgroundJob;
class RecipeOptionsForm;
class RecipeStagesView;
class ScientificPlot;
class WorkbenchDocument;

class RecipePanel : public QWidget {
  Q_OBJECT
 public:
  // dialogs: where the folder is asked for (null: QFileDialog; tests inject their own).
  explicit RecipePanel(WorkbenchDocument* doc, FileDialogs* dialogs = nullptr,
                       QWidget* parent = nullptr);
  ~RecipePanel() override;

  // The params the controls describe now, checked by core (recipe::validateParams); nullopt
  // (the reason in the status line) when they are not valid. resume: continue the folder.
  std::optional<recipe::Params> params(bool resume);
  bool run();     // a new folder; false when the input is not valid or a job runs
  bool resume();  // continues the folder
  void cancel();
  void shutdown();  // cancels and joins (the window is closing)
  bool isRunning() const;
  // Asks for the recipe's folder: an existing recipe's folder is taken as it is (to resume),
  // any other folder gets a new recipe-TARGET folder inside it.
  void chooseFolder();
  // Shows a recipe's folder as an earlier run left it: the folder, its options in the
  // controls, its stages and curves, what it holds in the status line (and the model it ran
  // on when that is not the open one: Resume needs it). Not while a job runs.
  void openRecord(const recipe::Record& record);
  // The final model's folder after a finished run (empty before).
  QString modelFolder() const { return m_modelFolder; }
  // The factor files the stages wrote so far (1-search, 3-search2, 4-short), as listed.
  QStringList stageFactorFiles() const;
  // Asks to add the ticked stage sets to the project (importFactorsRequested per file).
  void addSetsToProject();

  BackgroundJob* job() const { return m_job; }
  RecipeStagesView* stagesView() const { return m_view; }
  ScientificPlot* currentPlot() const;
  RecipeOptionsForm* options() const { return m_options; }
  QSpinBox* threadsBox() const { return m_threads; }
  QLineEdit* folderEdit() const { return m_folder; }
  QPushButton* resumeButton() const { return m_resume; }
  QPushButton* openModelButton() const { return m_openModel; }
  QPushButton* addSetsButton() const { return m_addSets; }
  QListWidget* setsList() const { return m_sets; }
  QLabel* modelLabel() const { return m_modelLabel; }
  QLabel* statusLabel() const { return m_frame->statusLabel(); }
  JobFrame* frame() const { return m_frame; }

 signals:
  void finished(bool valid, QString message);
  // Open the final model in the workbench (File > Open model's path).
  void openModelRequested(const QString& folder);
  // Add a factor file's sets to the project (File > Import factors' path).
  void importFactorsRequested(const QString& file);
  void wrote(const QString& path);  // an export

 private:
  // What the worker hands the GUI thread of a recipe::Event (which points into the search).
  struct Update {
    int stage = 0;  // 0..4, 5: the export
    QString message;
    enum Kind { Message, Candidate, Generation, Training } kind = Message;
    int generation = 0;
    double best = 0;
    int step = 0, steps = 0;
    double loss = 0;
    std::optional<double> validationLoss;
    std::optional<double> windowLoss;  // validation at the original window (short windows)
    double etaSeconds = 0;
  };
  static Update updateOf(const recipe::Event& e);

  bool start(bool resume);
  void onUpdate(const Update& u);
  void onCandidate(int stage);
  void onDone(const recipe::Result& result);
  void showStageResults(const recipe::Result& result);
  // The folder's stage sets and final model, as far as they exist.
  void showFolder();
  // The folder field's recipe (openRecord), or for another folder showFolder only; a record
  // that does not read is one status line.
  void openFolder();
  // The stages' rows for these options ("1  search at 1024", ...).
  std::array<QString, recipe::kStageCount> stageNames(const recipe::Params& p) const;
  void setRunning(bool running);
  // The expected candidates of a search stage (the population, then the children per
  // generation): the stage's progress.
  int expectedCandidates(int stage) const;
  void showProgress(int stage, double fraction, const QString& text);

  WorkbenchDocument* m_doc;
  FileDialogs* m_dialogs;
  std::unique_ptr<FileDialogs> m_ownDialogs;
  JobFrame* m_frame = nullptr;
  BackgroundJob* m_job = nullptr;
  RecipeStagesView* m_view = nullptr;
  RecipeOptionsForm* m_options = nullptr;
  QSpinBox* m_threads = nullptr;
  QLineEdit* m_folder = nullptr;
  QPushButton* m_chooseFolder = nullptr;
  QPushButton* m_resume = nullptr;
  QLabel* m_data = nullptr;  // what the recipe runs on
  QLabel* m_modelLabel = nullptr;
  QPushButton* m_openModel = nullptr;
  QListWidget* m_sets = nullptr;
  QPushButton* m_addSets = nullptr;
  std::optional<recipe::Params> m_params;  // the running job's
  // The options of the record last opened: a resume of its folder with the controls as they
  // showed them runs with these (exact, and with the options the controls do not hold).
  std::optional<recipe::Params> m_recorded;
  QString m_modelFolder;
  int m_scored = 0;                      // candidates of the running search stage
  int m_generation = 0;                  // its last finished generation
  double m_best = 0;                     // and that generation's best
  std::array<QString, recipe::kStageCount> m_lastMessage;  // per stage: its result when done
};

}  // namespace rope
