#include "recipe_panel.h"

#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "background_job.h"
#include "io/hf_config.h"
#include "recipe_options_form.h"
#include "recipe_stages_view.h"
#include "rope/rope_math.h"
#include "scientific_plot.h"
#include "spin_boxes.h"
#include "train/demo_assets.h"
#include "train/kjv_corpus.h"
#include "workbench_document.h"

namespace rope {
namespace {

using State = RecipeStagesView::State;
constexpr int kStages = RecipeStagesView::kStages;

// "ETA 12 s" / "ETA 3 min 5 s" from the trainer's estimate.
QString etaSecondsText(double seconds) {
  const long left = std::lround(std::max(0.0, seconds));
  if (left < 60) return QString("ETA %1 s").arg(left);
  return QString("ETA %1 min %2 s").arg(left / 60).arg(left % 60);
}

}  // namespace

RecipePanel::RecipePanel(WorkbenchDocument* doc, FileDialogs* dialogs, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_job(new BackgroundJob(this)), m_view(new RecipeStagesView) {
  if (!dialogs) {
    m_ownDialogs = std::make_unique<QtFileDialogs>(this);
    dialogs = m_ownDialogs.get();
  }
  m_dialogs = dialogs;
  m_frame = new JobFrame(JobFrame::Options{}, dialogs);
  m_options = new RecipeOptionsForm;
  m_threads = makeSpinBox(0, 256, recipe::Params{}.threads, "Torch CPU threads; 0: all");
  m_threads->setSpecialValueText("all");
  m_folder = new QLineEdit;
  m_folder->setPlaceholderText("the recipe's folder");
  m_folder->setToolTip(
      "Every stage's output goes here; Run needs a new folder, Resume continues one");
  m_chooseFolder = new QPushButton("Choose…");
  m_resume = new QPushButton("Resume");
  m_resume->setToolTip("Continue the folder's recipe where it stopped (the same options)");
  m_data = new QLabel;
  m_data->setWordWrap(true);

  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(m_folder, 1);
  folderRow->addWidget(m_chooseFolder);
  auto* where = new QFormLayout;
  where->addRow("Threads", m_threads);
  where->addRow("Folder", folderRow);
  auto* side = new QVBoxLayout;
  side->addWidget(m_data);
  side->addWidget(m_options);
  side->addLayout(where);
  side->addStretch(1);
  m_frame->setControls(side);
  m_frame->addButton(m_resume);

  // The result: the final model and the stages' factor sets.
  m_modelLabel = new QLabel;
  m_modelLabel->setWordWrap(true);
  m_modelLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_openModel = new QPushButton("Open in workbench");
  m_openModel->setToolTip("Open the final model as File > Open model does");
  m_sets = new QListWidget;
  m_sets->setToolTip("The stages' factor sets (checked ones are added)");
  m_sets->setMaximumHeight(m_sets->fontMetrics().lineSpacing() * 5);
  m_addSets = new QPushButton("Add to project");
  m_addSets->setToolTip("Add the checked factor sets to the project (undoable)");
  auto* result = new QGroupBox("Result");
  auto* resultLayout = new QVBoxLayout(result);
  resultLayout->addWidget(m_modelLabel);
  resultLayout->addWidget(m_openModel);
  resultLayout->addWidget(m_sets, 1);
  resultLayout->addWidget(m_addSets);
  m_view->setResultWidget(result);
  m_frame->setView(m_view);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_frame);

  connect(m_frame, &JobFrame::runRequested, this, [this] { run(); });
  connect(m_frame, &JobFrame::cancelRequested, this, &RecipePanel::cancel);
  connect(m_frame, &JobFrame::wrote, this, &RecipePanel::wrote);
  connect(m_resume, &QPushButton::clicked, this, [this] { resume(); });
  connect(m_chooseFolder, &QPushButton::clicked, this, &RecipePanel::chooseFolder);
  connect(m_folder, &QLineEdit::editingFinished, this, &RecipePanel::openFolder);
  connect(m_openModel, &QPushButton::clicked, this,
          [this] { emit openModelRequested(m_modelFolder); });
  connect(m_addSets, &QPushButton::clicked, this, &RecipePanel::addSetsToProject);
  m_frame->setImageSource([this] { return currentPlot(); });
  auto showData = [this] {
    const DatasetInfo& d = m_doc->dataset();
    m_data->setText(QString("Model: %1. ").arg(m_doc->model().name) +
                    (d.isEmpty() ? QString("Search data: none (File > Open dataset)")
                     : d.demoTest
                         ? QString("Search data: the demo corpus's validation split.")
                         : QString("Search data: the dataset (%1 files).").arg(d.files.size())));
  };
  // A session's recipe folder opens here (one that is gone: said in the status line).
  connect(m_doc, &WorkbenchDocument::recipeFolderChanged, this, [this] {
    const QString folder = m_doc->recipeFolder();
    if (folder.isEmpty() || m_job->isRunning() ||
        folder == QFileInfo(m_folder->text().trimmed()).absoluteFilePath()) {
      return;
    }
    m_folder->setText(folder);
    if (recipe::isRecipeFolder(folder.toStdString())) {
      openFolder();
    } else {
      m_frame->setStatus(QString("%1 holds no recipe any more").arg(folder));
    }
  });
  connect(m_doc, &WorkbenchDocument::datasetChanged, this, showData);
  connect(m_doc, &WorkbenchDocument::modelReset, this, showData);
  showData();
  showFolder();
  setRunning(false);
}

RecipePanel::~RecipePanel() { shutdown(); }

std::optional<recipe::Params> RecipePanel::params(bool resume) {
  const QString folder = m_folder->text().trimmed();
  if (folder.isEmpty()) {
    m_frame->setStatus("Choose the recipe's folder");
    return std::nullopt;
  }
  if (!resume && QFileInfo::exists(folder)) {
    m_frame->setStatus(
        QString("%1 exists: Resume continues it, or choose another folder").arg(folder));
    return std::nullopt;
  }
  // Resuming the folder that was opened, its options as they were shown: the recipe's own,
  // search data and corpus included (the controls may round some, or lack them).
  const bool recorded =
      resume && m_recorded && m_recorded->outDir == folder.toStdString() && !m_options->edited();
  recipe::Params p = recorded ? *m_recorded : recipe::Params{};
  const QString model = m_doc->model().folder;
  try {
    p.modelDir = resolveModel(model.isEmpty() ? "demo" : model.toStdString());
    if (!recorded) {
      p.searchData = searchData(m_doc->dataset());
      const QString corpus = m_options->corpus();
      p.corpusDir = corpus.isEmpty() || corpus == "kjv" ? prepareKjvCorpus(defaultCorpusDir())
                                                        : corpus.toStdString();
    }
  } catch (const std::exception& e) {
    m_frame->setStatus(QString("no model or data: %1").arg(e.what()));
    return std::nullopt;
  }
  p.outDir = folder.toStdString();
  if (!recorded) m_options->fill(p);
  p.threads = m_threads->value();
  p.device = m_doc->device().toStdString();
  p.resume = resume;
  p.command = "rope-workbench (Recipe tab)";
  try {
    recipe::validateParams(p);  // everything core can check before any work
  } catch (const std::exception& e) {
    m_frame->setStatus(QString::fromStdString(e.what()));
    return std::nullopt;
  }
  return p;
}

bool RecipePanel::run() { return start(false); }

bool RecipePanel::resume() { return start(true); }

bool RecipePanel::start(bool resume) {
  if (m_job->isRunning()) return false;
  std::optional<recipe::Params> p = params(resume);
  if (!p) return false;
  if (resume) {
    // What the folder holds already: its finished stages and the curves a resumed run does
    // not report again.
    try {
      m_view->showRecord(recipe::readRecord(p->outDir), stageNames(*p), true);
    } catch (const std::exception& e) {
      m_frame->setStatus(QString::fromUtf8(e.what()));
      return false;
    }
  } else {
    m_view->reset(stageNames(*p), {});
  }
  m_params = p;
  m_doc->setRecipeFolder(QFileInfo(QString::fromStdString(p->outDir)).absoluteFilePath());
  m_scored = 0;
  m_lastMessage = {};
  m_frame->started(resume ? "resuming…" : "starting…");
  const recipe::Params params = *p;  // the worker's snapshot
  m_job->start([this, params](BackgroundJob::Context& ctx) -> std::function<void()> {
    const recipe::Result result = recipe::run(params, [&ctx, this](const recipe::Event& e) {
      const Update u = updateOf(e);
      if (u.kind != Update::Message || !u.message.isEmpty()) ctx.post([this, u] { onUpdate(u); });
      return ctx.proceed();  // false once cancelled: the recipe stops after this batch or step
    });
    return [this, result] { onDone(result); };
  });
  setRunning(true);
  return true;
}

RecipePanel::Update RecipePanel::updateOf(const recipe::Event& e) {
  Update u;
  u.stage = static_cast<int>(e.stage);
  u.message = QString::fromStdString(e.message);
  if (e.search) {
    u.generation = e.search->generation;
    if (e.search->kind == SearchEvent::CandidateScored) {
      u.kind = Update::Candidate;
    } else {  // GenerationDone, or GenerationRestored for a resumed search's history
      u.kind = Update::Generation;
      u.best = e.search->best;
    }
  } else if (e.train) {
    u.kind = Update::Training;
    u.step = e.train->step;
    u.steps = e.train->steps;
    u.loss = e.train->loss;
    u.validationLoss = e.train->validationLoss;
    u.windowLoss = e.train->shortValidationLoss;
    u.etaSeconds = e.train->etaSeconds;
  }
  return u;
}

void RecipePanel::onUpdate(const Update& u) {
  if (u.stage >= kStages) {  // the export
    if (!u.message.isEmpty()) m_frame->setStatus(u.message);
    return;
  }
  if (m_view->state(u.stage) == State::Waiting) {
    // A new stage: the one before finished with its last line as its result.
    const int previous = m_view->runningStage();
    if (previous >= 0) m_view->setStageResult(previous, State::Done, m_lastMessage[previous]);
    m_view->setRunning(u.stage);
    m_scored = 0;
    m_generation = 0;
    m_best = 0;
  }
  switch (u.kind) {
    case Update::Candidate:
      onCandidate(u.stage);
      break;
    case Update::Generation:
      m_generation = u.generation;
      m_best = u.best;
      m_view->addSearchGeneration(u.stage, u.generation, u.best);
      break;
    case Update::Training: {
      // One loss curve over both fine-tunings: stage 5's steps follow stage 2's.
      const int offset = u.stage == static_cast<int>(recipe::Stage::Refine) ? m_params->steps : 0;
      if (offset > 0) m_view->startLossSegment(offset + 1);
      if (u.step > 0) m_view->addTrainingLoss(offset + u.step, u.loss);
      if (u.validationLoss) m_view->addValidationLoss(offset + u.step, *u.validationLoss);
      if (u.windowLoss) m_view->addWindowLoss(offset + u.step, *u.windowLoss);
      if (u.steps > 0) {
        showProgress(u.stage, double(u.step) / u.steps,
                     QString("step %1/%2 · loss %3 · %4")
                         .arg(u.step)
                         .arg(u.steps)
                         .arg(u.loss, 0, 'f', 3)
                         .arg(etaSecondsText(u.etaSeconds)));
      }
      break;
    }
    case Update::Message:
      break;
  }
  if (!u.message.isEmpty()) {
    m_lastMessage[u.stage] = u.message;
    m_frame->setStatus(QString("stage %1/%2: %3").arg(u.stage + 1).arg(kStages).arg(u.message));
  }
}

void RecipePanel::onCandidate(int stage) {
  ++m_scored;
  const double fraction = std::min(0.99, double(m_scored) / std::max(1, expectedCandidates(stage)));
  QString text = QString("generation %1 · %2 candidates").arg(m_generation).arg(m_scored);
  if (m_best > 0) text += QString(" · best %1").arg(m_best, 0, 'f', 3);
  showProgress(stage, fraction, text);
}

int RecipePanel::expectedCandidates(int stage) const {
  if (!m_params) return 1;
  const GenerationSchedule schedule = scheduleForPopulation(m_params->population);
  const int generations =
      stage == static_cast<int>(recipe::Stage::Short) && m_params->shortGenerations > 0
          ? m_params->shortGenerations
          : m_params->generations;
  return m_params->population + generations * (schedule.mutations + schedule.crossovers);
}

void RecipePanel::showProgress(int stage, double fraction, const QString& text) {
  m_view->setStageProgress(stage, fraction, text);
  m_frame->setProgress((stage + std::clamp(fraction, 0.0, 1.0)) / kStages);
}

void RecipePanel::onDone(const recipe::Result& r) {
  const int stopped = std::max(0, m_view->runningStage());
  if (!r.valid) m_view->stopRunning();
  showStageResults(r);
  QString message;
  if (r.valid) {
    message = QString("done in %1 s: %2")
                  .arg(r.seconds, 0, 'f', 0)
                  .arg(QString::fromStdString(r.modelDir));
  } else if (r.cancelled) {
    message = QString("cancelled in stage %1/%2 (%3); Resume continues %4")
                  .arg(stopped + 1)
                  .arg(kStages)
                  .arg(recipe::stageName(recipe::Stage(stopped)))
                  .arg(QString::fromStdString(m_params->outDir));
  } else {
    message = "failed: " + QString::fromStdString(r.error);
  }
  QStringList warnings;
  for (const std::string& w : r.warnings) warnings << QString::fromStdString(w);
  if (!warnings.isEmpty())
    message += QString(" (%1 warnings: see the tooltip)").arg(warnings.size());
  showFolder();
  m_frame->finished(message, r.valid);
  if (!warnings.isEmpty()) m_frame->statusLabel()->setToolTip(message + "\n" + warnings.join("\n"));
  setRunning(false);
  emit finished(r.valid, message);
}

void RecipePanel::showStageResults(const recipe::Result& r) {
  for (const recipe::StageCost& c : r.stages) {
    const int s = static_cast<int>(c.stage);
    if (s < kStages) {
      m_view->setStageResult(s, c.skipped ? State::DoneEarlier : State::Done,
                             RecipeStagesView::costText(c));
    }
  }
}

void RecipePanel::cancel() {
  if (!m_job->isRunning()) return;
  m_job->cancel();
  m_frame->setStatus("cancelling after the current batch or step…");
}

void RecipePanel::shutdown() { m_job->cancelAndWait(); }

bool RecipePanel::isRunning() const { return m_job->isRunning(); }

void RecipePanel::chooseFolder() {
  const QString dir = m_dialogs->openDirectory("Recipe folder", m_folder->text());
  if (dir.isEmpty()) return;
  // An existing recipe is resumed where it is; any other folder holds a new one.
  const QString fresh = QString("recipe-%1").arg(m_options->target()->value());
  m_folder->setText(recipe::isRecipeFolder(dir.toStdString()) ? dir : QDir(dir).filePath(fresh));
  openFolder();
}

std::array<QString, kStages> RecipePanel::stageNames(const recipe::Params& p) const {
  const int fineTune = recipe::firstTarget(p);
  // The window of the model the recipe runs on (an opened record's need not be the open
  // one); the open model's when that one does not read.
  int window = m_doc->model().trainingWindow();
  if (!p.modelDir.empty()) {
    try {
      window = originalWindow(readRopeParams(p.modelDir));
    } catch (const std::exception&) {
    }
  }
  return {QString("1  search at %1").arg(fineTune), QString("2  fine-tune at %1").arg(fineTune),
          QString("3  search again at %1").arg(p.target),
          QString("4  short readjust at %1").arg(window),
          p.refineSteps > 0 ? QString("5  fine-tune again at %1").arg(fineTune)
                            : QString("5  (no second fine-tuning)")};
}

void RecipePanel::openFolder() {
  const QString folder = m_folder->text().trimmed();
  if (m_job->isRunning()) return;
  if (!recipe::isRecipeFolder(folder.toStdString())) {
    // A folder for a new run: the record shown before goes.
    if (m_recorded) {
      m_recorded.reset();
      recipe::Params p;
      m_options->fill(p);
      m_view->reset(stageNames(p), {});
      m_frame->setProgress(0);
    }
    showFolder();
    return;
  }
  try {
    openRecord(recipe::readRecord(folder.toStdString()));
  } catch (const std::exception& e) {
    m_frame->setStatus(QString::fromUtf8(e.what()));
    showFolder();
  }
}

void RecipePanel::openRecord(const recipe::Record& record) {
  if (m_job->isRunning()) return;
  const recipe::Params& o = record.options;
  m_folder->setText(QString::fromStdString(o.outDir));
  // The demo corpus stays the empty field (params() prepares it where it always is).
  m_options->setOptions(
      o, QFileInfo(QString::fromStdString(o.corpusDir)).canonicalFilePath() ==
             QFileInfo(QString::fromStdString(defaultCorpusDir())).canonicalFilePath());
  m_recorded = o;
  m_doc->setRecipeFolder(QFileInfo(m_folder->text()).absoluteFilePath());
  m_view->showRecord(record, stageNames(o), false);
  showFolder();
  const int done = recipe::finishedStages(record);
  int stopped = -1;
  for (int s = 0; s < kStages; ++s) {
    if (!record.stages[s].cost && record.stages[s].started) stopped = s;
  }
  const int stages = recipe::stageCount(o);
  m_frame->setProgress(double(done) / stages);
  QString text =
      !record.modelDir.empty()
          ? QString("a finished recipe (%1 stages): final model %2")
                .arg(stages)
                .arg(QString::fromStdString(record.modelDir))
          : QString("%1 of %2 stages done%3; Resume continues it")
                .arg(done)
                .arg(stages)
                .arg(stopped < 0 ? QString() : QString(", stage %1 stopped").arg(stopped + 1));
  // Resume runs on the open model: say so when the recipe ran on another.
  const QString ranOn = QFileInfo(QString::fromStdString(o.modelDir)).canonicalFilePath();
  if (ranOn != QFileInfo(m_doc->model().folder).canonicalFilePath()) {
    text += QString(" (it ran on %1: open that model to resume it)")
                .arg(QString::fromStdString(o.modelDir));
  }
  m_frame->setStatus(text);
}

QStringList RecipePanel::stageFactorFiles() const {
  QStringList files;
  for (int i = 0; i < m_sets->count(); ++i) files << m_sets->item(i)->data(Qt::UserRole).toString();
  return files;
}

void RecipePanel::showFolder() {
  const QDir dir(m_folder->text().trimmed());
  const bool set = !m_folder->text().trimmed().isEmpty();
  m_sets->clear();
  const std::pair<recipe::Stage, const char*> stages[] = {
      {recipe::Stage::Search, "stage 1: long factors at L'"},
      {recipe::Stage::Search2, "stage 3: long factors at L''"},
      {recipe::Stage::Short, "stage 4: long and short factors"}};
  for (const auto& [stage, what] : stages) {
    const QString file = dir.filePath(QString(recipe::stageFolder(stage)) + "/factors.json");
    if (!set || !QFileInfo::exists(file)) continue;
    auto* item = new QListWidgetItem(
        QString("%1/factors.json — %2").arg(recipe::stageFolder(stage)).arg(what), m_sets);
    item->setData(Qt::UserRole, file);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
  }
  // A finished recipe's model, from this run or an earlier one.
  const QString model = dir.filePath(recipe::stageFolder(recipe::Stage::Export));
  m_modelFolder = set && QFileInfo::exists(QDir(model).filePath("config.json")) ? model : QString();
  m_modelLabel->setText(m_modelFolder.isEmpty()
                            ? QString("The final model appears here when the recipe has finished.")
                            : QString("Final model: %1").arg(m_modelFolder));
  setRunning(m_job->isRunning());
}

void RecipePanel::addSetsToProject() {
  for (int i = 0; i < m_sets->count(); ++i) {
    const QListWidgetItem* item = m_sets->item(i);
    if (item->checkState() == Qt::Checked) {
      emit importFactorsRequested(item->data(Qt::UserRole).toString());
    }
  }
}

ScientificPlot* RecipePanel::currentPlot() const {
  // The loss curve once the fine-tuning has drawn one, else the searches'.
  return m_view->lossPlot()->curveCount() > 0 ? m_view->lossPlot() : m_view->searchPlot();
}

void RecipePanel::setRunning(bool running) {
  m_resume->setEnabled(!running);
  m_chooseFolder->setEnabled(!running);
  m_openModel->setEnabled(!running && !m_modelFolder.isEmpty());
  m_addSets->setEnabled(!running && m_sets->count() > 0);
}

}  // namespace rope
