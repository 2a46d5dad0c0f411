// The Recipe tab offscreen on a tiny trained model (tests/core/tiny_training.h): a real recipe
// runs to the end through the panel (the five stages done, the loss curve and the searches
// drawn, the final model opens in the workbench and the stages' sets join the project); a
// cancel in the fine-tuning stage leaves a folder that Resume finishes; a bad option or other
// options on resume show core's message and start nothing. And the Search tab's progressive
// stage and short readjust reach longrope::Params and run to a set with short factors. A
// folder an earlier run left opens as its record (options, stages, curves as the run drew them;
// a stopped one where it stopped) and resumes from there; rope-workbench --recipe opens one.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "../core/tiny_training.h"
#include "background_job.h"
#include "data/tokenizer.h"
#include "gui_test_fakes.h"
#include "launch.h"
#include "main_window.h"
#include "model_info.h"
#include "recipe_options_form.h"
#include "recipe_panel.h"
#include "recipe_stages_view.h"
#include "scientific_plot.h"
#include "search_panel.h"
#include "train/demo_assets.h"
#include "train/kjv_corpus.h"
#include "workbench_document.h"
#include "workbench_session.h"

using namespace rope;
using State = RecipeStagesView::State;

class TestWidgetRecipe : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void init();
  void cleanup() { m_window.reset(); }
  void runsEveryStageAndAddsTheResult();
  void cancelledInFineTuningResumesToTheEnd();
  void badOptionsStartNothing();
  void optionsReachTheParams();
  void opensAFolderAsItsRecord();
  void stoppedFolderOpensWhereItStoppedAndResumes();
  void resumesARecordTheControlsCannotHold();
  void launchOpensARecipe();
  void searchTabStagesReachTheParams();
  void searchTabRunsEveryStageToASetWithShortFactors();

 private:
  RecipePanel* panel() const { return m_window->recipePanel(); }
  // Options of a recipe that finishes in a few seconds (tests/core/test_recipe.cpp's).
  void setTinyOptions(const QString& folder);
  // The tiny model, its validation split as the dataset.
  void openTinyModel();
  bool waitFinished(QSignalSpy& spy) { return !spy.isEmpty() || spy.wait(60000); }
  // A new window with every control at its default, on the tiny model; the folder typed in.
  void openInNewWindow(const QString& folder);

  QTemporaryDir m_dir;
  QString m_corpus, m_model;
  FakeDialogs* m_dialogs = nullptr;
  FakeReporter* m_reporter = nullptr;
  std::unique_ptr<MainWindow> m_window;
};

void TestWidgetRecipe::initTestCase() {
  if (!Tokenizer::available()) QSKIP("built without SentencePiece");
  QStandardPaths::setTestModeEnabled(true);
  m_corpus = m_dir.filePath("corpus");
  testing::writeCorpus(m_corpus.toStdString());
  m_model = m_dir.filePath("base");
  QVERIFY(train(testing::tinyParams(m_corpus.toStdString(), m_model.toStdString()), {}).valid);
}

void TestWidgetRecipe::init() {
  m_window = makeTestWindow(m_dialogs, m_reporter);
  openTinyModel();
}

void TestWidgetRecipe::openTinyModel() {
  m_window->session()->loadModel(m_model);
  QStringList validation;
  for (const auto& f : corpusFiles(m_corpus.toStdString(), "validation")) {
    validation << QString::fromStdString(f);
  }
  m_window->session()->loadDataset(validation);
}

void TestWidgetRecipe::setTinyOptions(const QString& folder) {
  RecipePanel* p = panel();
  p->options()->target()->setValue(128);  // 4x the window of 32
  p->options()->fineTuneLength()->setValue(64);
  p->options()->samples()->setValue(1);
  p->options()->population()->setValue(4);
  p->options()->generations()->setValue(2);
  p->options()->steps()->setValue(4);
  p->options()->batch()->setValue(2);
  p->options()->warmup()->setValue(1);
  p->options()->passkeyShare()->setValue(0);  // the tiny window holds no passkey prompt
  p->options()->evalEvery()->setValue(2);
  p->options()->refineSteps()->setValue(2);
  p->threadsBox()->setValue(1);
  p->options()->corpusEdit()->setText(m_corpus);
  p->folderEdit()->setText(folder);
}

void TestWidgetRecipe::runsEveryStageAndAddsTheResult() {
  // The folder dialog: a plain folder gets a new recipe folder inside it.
  m_dialogs->answer = m_dir.path();
  setTinyOptions({});
  panel()->chooseFolder();
  const QString folder = m_dir.filePath("recipe-128");
  QCOMPARE(panel()->folderEdit()->text(), folder);

  QSignalSpy done(panel(), &RecipePanel::finished);
  QVERIFY(panel()->run());
  QVERIFY(panel()->isRunning());
  QVERIFY(!panel()->resumeButton()->isEnabled());
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
  QVERIFY(panel()->statusLabel()->text().startsWith("done"));

  RecipeStagesView* view = panel()->stagesView();
  for (int s = 0; s < RecipeStagesView::kStages; ++s) {
    QCOMPARE(view->state(s), State::Done);
    QCOMPARE(view->table()->item(s, 1)->text(), QString("done"));
    QVERIFY(!view->table()->item(s, 3)->text().isEmpty());  // its cost
  }
  // The loss curve: a training loss per step of both fine-tunings (stage 5's after stage 2's),
  // validation at steps 2 and 4 and at the end of stage 5.
  ScientificPlot* loss = view->lossPlot();
  QCOMPARE(loss->curveX(0), QVector<double>({1, 2, 3, 4, 5, 6}));
  QVERIFY(loss->curveX(1).contains(4));
  QVERIFY(loss->curveX(1).contains(6));
  // The validation at the original window (the default short share trains short windows), at
  // the same steps; the 20-step mean of the training loss over the same steps.
  QCOMPARE(loss->curveX(3), loss->curveX(1));
  QCOMPARE(loss->curveX(2), loss->curveX(0));
  QCOMPARE(loss->curveY(2)[1], (loss->curveY(0)[0] + loss->curveY(0)[1]) / 2);
  QCOMPARE(loss->curveY(2)[4], loss->curveY(0)[4]);  // stage 5's mean starts at its own step
  // The searches: generations 0..2 of stages 1, 3 and 4.
  QCOMPARE(view->searchPlot()->curveCount(), 3);
  for (int c = 0; c < 3; ++c) QCOMPARE(view->searchPlot()->curveX(c), QVector<double>({0, 1, 2}));
  QCOMPARE(panel()->frame()->progress(), 1.0);

  // The final model opens in the workbench, and the stages' sets join its project.
  QCOMPARE(panel()->modelFolder(), QDir(folder).filePath("model"));
  QVERIFY(panel()->modelLabel()->text().contains(panel()->modelFolder()));
  QVERIFY(panel()->openModelButton()->isEnabled());
  panel()->openModelButton()->click();
  QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
  WorkbenchDocument* doc = m_window->document();
  QCOMPARE(QDir(doc->model().folder).canonicalPath(), QDir(panel()->modelFolder()).canonicalPath());
  QCOMPARE(panel()->stageFactorFiles().size(), 3);
  const int before = doc->setCount();
  panel()->addSetsButton()->click();
  QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));
  QCOMPARE(doc->setCount(), before + 3);
  QVERIFY(!doc->entry(doc->setCount() - 1).set.shortFactors.empty());  // stage 4's

  // Run again on the finished folder (the recipe's own model again): refused; Resume skips
  // every stage.
  openTinyModel();
  done.clear();
  QVERIFY(!panel()->run());
  QVERIFY2(panel()->statusLabel()->text().contains("Resume continues it"),
           qPrintable(panel()->statusLabel()->text()));
  QVERIFY(panel()->resume());
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
  for (int s = 0; s < RecipeStagesView::kStages; ++s) QCOMPARE(view->state(s), State::DoneEarlier);

  // Other options on resume: core's message, nothing started.
  panel()->options()->steps()->setValue(8);
  QVERIFY(!panel()->resume());
  QVERIFY(!panel()->isRunning());
  QVERIFY2(panel()->statusLabel()->text().contains("was started with other options"),
           qPrintable(panel()->statusLabel()->text()));
}

void TestWidgetRecipe::cancelledInFineTuningResumesToTheEnd() {
  const QString folder = m_dir.filePath("cancelled");
  setTinyOptions(folder);
  panel()->options()->steps()->setValue(200);  // long enough to cancel inside
  panel()->options()->evalEvery()->setValue(50);
  RecipeStagesView* view = panel()->stagesView();
  // Cancel as soon as the fine-tuning's first loss arrives.
  connect(view->table(), &QTableWidget::itemChanged, panel(), [&] {
    if (view->state(1) == State::Running && view->lossPlot()->curveCount() > 0) panel()->cancel();
  });
  QSignalSpy done(panel(), &RecipePanel::finished);
  QVERIFY(panel()->run());
  QVERIFY(waitFinished(done));
  disconnect(view->table(), &QTableWidget::itemChanged, panel(), nullptr);
  QVERIFY(!done.first().at(0).toBool());
  const QString message = done.first().at(1).toString();
  QVERIFY2(message.contains("cancelled in stage 2/5 (finetune)"), qPrintable(message));
  QCOMPARE(view->state(0), State::Done);
  QCOMPARE(view->state(1), State::Stopped);
  QCOMPARE(view->state(2), State::Waiting);
  QVERIFY(!QFileInfo::exists(QDir(folder).filePath("model")));
  QVERIFY(panel()->modelFolder().isEmpty());
  QCOMPARE(panel()->stageFactorFiles().size(), 1);  // stage 1's set can be added already

  done.clear();
  QVERIFY(panel()->resume());
  QCOMPARE(view->state(0), State::DoneEarlier);
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
  QCOMPARE(view->state(0), State::DoneEarlier);
  for (int s = 1; s < RecipeStagesView::kStages; ++s) QCOMPARE(view->state(s), State::Done);
  QVERIFY(!view->lossPlot()->curveX(0).isEmpty());
  QVERIFY(view->lossPlot()->curveX(0).last() == 200 + 2);  // then stage 5's two steps
  QCOMPARE(panel()->modelFolder(), QDir(folder).filePath("model"));
}

void TestWidgetRecipe::badOptionsStartNothing() {
  const QString folder = m_dir.filePath("refused");
  setTinyOptions(folder);
  panel()->options()->fineTuneLength()->setValue(32);  // not above the window of 32
  QVERIFY(!panel()->run());
  QVERIFY(!panel()->isRunning());
  QVERIFY(!panel()->job()->hasLiveThread());
  QVERIFY2(panel()->statusLabel()->text().contains(
               "must be longer than the model's original window (32)"),
           qPrintable(panel()->statusLabel()->text()));
  QVERIFY(!QFileInfo::exists(folder));
  QCOMPARE(panel()->stagesView()->state(0), State::Waiting);

  panel()->options()->fineTuneLength()->setValue(64);
  QVERIFY(!panel()->resume());  // nothing there to resume
  QVERIFY(panel()->statusLabel()->text().contains("nothing to resume"));
  panel()->folderEdit()->clear();
  QVERIFY(!panel()->run());
  QVERIFY(panel()->statusLabel()->text().contains("folder"));
  QVERIFY(!QFileInfo::exists(folder));
}

void TestWidgetRecipe::optionsReachTheParams() {
  setTinyOptions(m_dir.filePath("options"));
  auto p = panel()->params(false);
  QVERIFY(p);
  QVERIFY(!p->criticalFloor && p->passkeyKeysByLength);  // the defaults
  panel()->options()->criticalFloor()->setChecked(true);
  panel()->options()->keysByLength()->setChecked(false);
  p = panel()->params(false);
  QVERIFY(p);
  QVERIFY(p->criticalFloor && !p->passkeyKeysByLength);
  QVERIFY(!QFileInfo::exists(m_dir.filePath("options")));  // params alone start nothing
}

void TestWidgetRecipe::openInNewWindow(const QString& folder) {
  m_window = makeTestWindow(m_dialogs, m_reporter);
  openTinyModel();
  panel()->folderEdit()->setText(folder);
  emit panel()->folderEdit()->editingFinished();
}

void TestWidgetRecipe::opensAFolderAsItsRecord() {
  const QString folder = m_dir.filePath("record");
  setTinyOptions(folder);
  panel()->options()->seed()->setValue(3);
  panel()->options()->criticalFloor()->setChecked(true);
  QSignalSpy done(panel(), &RecipePanel::finished);
  QVERIFY(panel()->run());
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
  ScientificPlot* loss = panel()->stagesView()->lossPlot();
  ScientificPlot* search = panel()->stagesView()->searchPlot();
  const QVector<double> steps = loss->curveX(0), losses = loss->curveY(0);
  const QVector<double> validSteps = loss->curveX(1);
  QVector<QVector<double>> bests;
  for (int c = 0; c < search->curveCount(); ++c) bests << search->curveY(c);

  openInNewWindow(folder);
  // The controls hold the recipe's options: params for a resume pass core's check that they
  // are the ones recipe.json holds.
  QCOMPARE(panel()->options()->target()->value(), 128);
  QCOMPARE(panel()->options()->seed()->value(), 3);
  QVERIFY(panel()->options()->criticalFloor()->isChecked());
  QCOMPARE(panel()->options()->corpusEdit()->text(), m_corpus);
  const auto again = panel()->params(true);
  QVERIFY2(again, qPrintable(panel()->statusLabel()->text()));
  RecipeStagesView* view = panel()->stagesView();
  for (int s = 0; s < RecipeStagesView::kStages; ++s) {
    QCOMPARE(view->state(s), State::DoneEarlier);
    QVERIFY(!view->table()->item(s, 3)->text().isEmpty());  // its cost
  }
  QVERIFY2(panel()->statusLabel()->text().startsWith("a finished recipe (5 stages)"),
           qPrintable(panel()->statusLabel()->text()));
  QCOMPARE(panel()->modelFolder(), QDir(folder).filePath("model"));
  QCOMPARE(panel()->stageFactorFiles().size(), 3);
  // The curves as the run drew them (the log keeps four decimals of a loss).
  auto sameCurves = [&] {
    loss = view->lossPlot();
    if (loss->curveX(0) != steps || loss->curveX(1) != validSteps ||
        loss->curveX(3) != validSteps) {
      return false;
    }
    for (int i = 0; i < steps.size(); ++i) {
      if (std::fabs(loss->curveY(0)[i] - losses[i]) > 1e-4) return false;
    }
    if (view->searchPlot()->curveCount() != bests.size()) return false;
    for (int c = 0; c < bests.size(); ++c) {
      if (view->searchPlot()->curveY(c) != bests[c]) return false;
    }
    return true;
  };
  QVERIFY(sameCurves());

  // Resume: nothing left to do; the record stays drawn.
  QSignalSpy resumed(panel(), &RecipePanel::finished);
  QVERIFY(panel()->resume());
  QVERIFY(waitFinished(resumed));
  QVERIFY2(resumed.first().at(0).toBool(), qPrintable(resumed.first().at(1).toString()));
  for (int s = 0; s < RecipeStagesView::kStages; ++s) QCOMPARE(view->state(s), State::DoneEarlier);
  QVERIFY(sameCurves());

  // Opened with another model in the workbench: said, since Resume runs on the open model.
  m_window->session()->loadModel(QString::fromStdString(demoModelDir()));
  emit panel()->folderEdit()->editingFinished();
  QVERIFY2(panel()->statusLabel()->text().contains("open that model to resume it"),
           qPrintable(panel()->statusLabel()->text()));
  // Its rows name the lengths of the model it ran on (window 32), not the open one's (128).
  QCOMPARE(view->table()->item(3, 0)->text(), QString("4  short readjust at 32"));
  // A folder for a new run (no recipe in it) clears the record shown; a spoilt record is one
  // status line.
  panel()->folderEdit()->setText(m_dir.filePath("new-run"));
  emit panel()->folderEdit()->editingFinished();
  QCOMPARE(view->state(0), State::Waiting);
  QCOMPARE(view->lossPlot()->curveCount(), 0);
  QVERIFY(panel()->modelFolder().isEmpty());
  const QString spoilt = m_dir.filePath("spoilt");
  QVERIFY(QDir().mkpath(spoilt));
  QFile recipeFile(QDir(spoilt).filePath("recipe.json"));
  QVERIFY(recipeFile.open(QIODevice::WriteOnly));
  recipeFile.write("{\"options\": {\"model\": 3}}");
  recipeFile.close();
  panel()->folderEdit()->setText(spoilt);
  emit panel()->folderEdit()->editingFinished();
  QVERIFY2(panel()->statusLabel()->text().contains("'model' must be"),
           qPrintable(panel()->statusLabel()->text()));
  QVERIFY2(m_reporter->errors.isEmpty(), qPrintable(m_reporter->errors.join("\n")));

  // A session keeps the folder: reopened, the tab shows the recipe again; a folder that has
  // gone since is said.
  openTinyModel();
  panel()->folderEdit()->setText(folder);
  emit panel()->folderEdit()->editingFinished();
  if (m_window->document()->setCount() == 0) {
    FactorSet set;
    set.name = "ones";
    set.method = "search";
    set.factors.assign(m_window->document()->model().pairs(), 1.0);
    m_window->document()->addSet(m_window->document()->makeEntry(set, std::nullopt), "add");
  }
  const QString session = m_dir.filePath("record-session.json");
  m_window->session()->saveSession(session);
  m_window = makeTestWindow(m_dialogs, m_reporter);
  m_window->session()->loadSession(session);
  view = panel()->stagesView();
  QCOMPARE(panel()->folderEdit()->text(), folder);
  QCOMPARE(view->state(4), State::DoneEarlier);
  QVERIFY(sameCurves());
  QVERIFY(QDir(folder).removeRecursively());
  m_window = makeTestWindow(m_dialogs, m_reporter);
  m_window->session()->loadSession(session);
  QVERIFY2(panel()->statusLabel()->text().contains("holds no recipe any more"),
           qPrintable(panel()->statusLabel()->text()));
}

void TestWidgetRecipe::stoppedFolderOpensWhereItStoppedAndResumes() {
  const QString folder = m_dir.filePath("stopped");
  setTinyOptions(folder);
  panel()->options()->steps()->setValue(200);
  panel()->options()->evalEvery()->setValue(1);  // a checkpoint every step
  RecipeStagesView* view = panel()->stagesView();
  connect(view->table(), &QTableWidget::itemChanged, panel(), [&] {
    if (view->state(1) == State::Running && view->lossPlot()->curveX(1).size() >= 3) {
      panel()->cancel();
    }
  });
  QSignalSpy done(panel(), &RecipePanel::finished);
  QVERIFY(panel()->run());
  QVERIFY(waitFinished(done));
  QVERIFY(!done.first().at(0).toBool());

  openInNewWindow(folder);
  view = panel()->stagesView();
  QCOMPARE(view->state(0), State::DoneEarlier);
  QCOMPARE(view->state(1), State::Stopped);
  QVERIFY2(view->table()->item(1, 3)->text().startsWith("stopped; checkpoint at step"),
           qPrintable(view->table()->item(1, 3)->text()));
  QCOMPARE(view->state(2), State::Waiting);
  QVERIFY2(panel()->statusLabel()->text().startsWith(
               "1 of 5 stages done, stage 2 stopped; Resume continues it"),
           qPrintable(panel()->statusLabel()->text()));
  const QVector<double> before = view->lossPlot()->curveX(0);
  QVERIFY(before.size() >= 3);
  QCOMPARE(before.first(), 1.0);
  QCOMPARE(view->searchPlot()->curveCount(), 1);

  // Resume: the fine-tuning goes on after its checkpoint, one loss per step on one curve.
  QSignalSpy resumed(panel(), &RecipePanel::finished);
  QVERIFY(panel()->resume());
  QCOMPARE(view->state(1), State::Waiting);
  QVERIFY(waitFinished(resumed));
  QVERIFY2(resumed.first().at(0).toBool(), qPrintable(resumed.first().at(1).toString()));
  const QVector<double> after = view->lossPlot()->curveX(0);
  QCOMPARE(after.size(), 200 + 2);
  for (int i = 0; i < after.size(); ++i) QCOMPARE(after[i], double(i + 1));
}

void TestWidgetRecipe::resumesARecordTheControlsCannotHold() {
  // rope-cli extend's options: a short share the controls round (two decimals) and validation
  // windows they lack. Opened, Resume continues it with its own options.
  recipe::Params p;
  p.modelDir = m_model.toStdString();
  p.outDir = m_dir.filePath("held").toStdString();
  p.target = 128;
  p.fineTuneLength = 64;
  p.searchData.paths = corpusFiles(m_corpus.toStdString(), "validation");
  p.searchData.format = TokenFormat::Text;
  p.samples = 1;
  p.population = 4;
  p.generations = 1;
  p.corpusDir = m_corpus.toStdString();
  p.steps = 2;
  p.batch = 2;
  p.warmupSteps = 1;
  p.passkeyShare = 0;
  p.shortShare = 0.375;
  p.evalEvery = 2;
  p.evalWindows = 3;
  p.refineSteps = 2;
  p.threads = 1;
  const recipe::Result r = recipe::run(p);
  QVERIFY2(r.valid, r.error.c_str());

  openInNewWindow(QString::fromStdString(p.outDir));
  QCOMPARE(panel()->options()->shortShare()->value(), 0.38);
  QSignalSpy done(panel(), &RecipePanel::finished);
  QVERIFY2(panel()->resume(), qPrintable(panel()->statusLabel()->text()));
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
  // A control changed after opening: the controls' options, which core refuses.
  panel()->options()->steps()->setValue(3);
  QVERIFY(!panel()->resume());
  QVERIFY2(panel()->statusLabel()->text().contains("was started with other options"),
           qPrintable(panel()->statusLabel()->text()));
}

void TestWidgetRecipe::launchOpensARecipe() {
  const QString folder = m_dir.filePath("launched");
  setTinyOptions(folder);
  QSignalSpy done(panel(), &RecipePanel::finished);
  QVERIFY(panel()->run());
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));

  // --recipe: its tab, and the model it ran on (no --model or --session).
  QString error;
  const auto options = parseLaunchOptions({"rope-workbench", "--recipe", folder}, &error);
  QVERIFY2(options, qPrintable(error));
  QCOMPARE(options->tab, QString("recipe"));
  m_window = makeTestWindow(m_dialogs, m_reporter);
  applyLaunchOptions(*m_window, *options);
  QCOMPARE(QDir(m_window->document()->model().folder).canonicalPath(),
           QDir(m_model).canonicalPath());
  QCOMPARE(panel()->folderEdit()->text(), folder);
  QCOMPARE(panel()->stagesView()->state(4), State::DoneEarlier);
  QCOMPARE(
      parseLaunchOptions({"rope-workbench", "--recipe", folder, "--tab", "factors"}, &error)->tab,
      QString("factors"));
  // A screenshot of it; a folder that holds no recipe: one message, exit code 1, no file.
  const QString shot = m_dir.filePath("recipe.png");
  QCOMPARE(runWorkbench({"rope-workbench", "--recipe", folder, "--screenshot", shot}), 0);
  QVERIFY(QFileInfo(shot).size() > 0);
  const QString none = m_dir.filePath("none.png");
  QCOMPARE(runWorkbench({"rope-workbench", "--recipe", m_corpus, "--screenshot", none}), 1);
  QVERIFY(!QFileInfo::exists(none));
}

void TestWidgetRecipe::searchTabStagesReachTheParams() {
  SearchPanel* search = m_window->searchPanel();
  search->targetBox()->setValue(64);
  auto p = search->params();
  QVERIFY(p);
  QCOMPARE(p->stage2Target, 0);  // off by default
  QVERIFY(!p->searchShortFactors);
  QVERIFY(!p->longFactors);
  QVERIFY(!search->stage2TargetBox()->isEnabled());

  search->stage2Box()->setChecked(true);
  QVERIFY(search->stage2TargetBox()->isEnabled());
  search->stage2TargetBox()->setValue(128);
  search->shortBox()->setChecked(true);
  search->shortGenerationsBox()->setValue(3);
  p = search->params();
  QVERIFY(p);
  QCOMPARE(p->targetLength, 64);
  QCOMPARE(p->stage2Target, 128);
  QVERIFY(p->searchShortFactors);
  QCOMPARE(p->shortGenerations, 3);

  // The short readjust alone for a set of the document: its long factors, its target.
  WorkbenchDocument* doc = m_window->document();
  FactorSet set;
  set.name = "given long factors";
  set.method = "search";
  set.factors.assign(doc->model().pairs(), 1.5);
  set.targetLength = 96;
  doc->addSet(doc->makeEntry(set, std::nullopt), "add");
  QComboBox* given = search->longFactorsBox();
  const int index = given->findText("given long factors");
  QVERIFY(index > 0);
  given->setCurrentIndex(index);
  QVERIFY(!search->stage2Box()->isEnabled());
  QVERIFY(!search->targetBox()->isEnabled());
  QVERIFY(search->shortBox()->isChecked());
  p = search->params();
  QVERIFY(p);
  QVERIFY(p->longFactors);
  QCOMPARE(p->longFactors->factors, set.factors);
  QCOMPARE(p->targetLength, 96);
  QCOMPARE(p->stage2Target, 0);
  QVERIFY(p->searchShortFactors);
  given->setCurrentIndex(0);
  QVERIFY(search->stage2Box()->isEnabled());
  QVERIFY(!search->params()->longFactors);
}

void TestWidgetRecipe::searchTabRunsEveryStageToASetWithShortFactors() {
  SearchPanel* search = m_window->searchPanel();
  search->targetBox()->setValue(64);
  search->populationBox()->setValue(4);
  search->generationsBox()->setValue(1);
  search->samplesBox()->setValue(1);
  search->stage2Box()->setChecked(true);
  search->stage2TargetBox()->setValue(128);
  search->shortBox()->setChecked(true);
  QSignalSpy done(search, &SearchPanel::finished);
  QVERIFY(search->run());
  QVERIFY(waitFinished(done));
  QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));

  // Generations 0 and 1 of each stage, one after another on the plots' axis.
  QStringList stages;
  QVector<int> xs;
  for (const auto& g : search->generations()) {
    stages << g.stage;
    xs << g.x;
  }
  QCOMPARE(stages, QStringList({"long", "long", "stage2", "stage2", "short", "short"}));
  QCOMPARE(xs, QVector<int>({0, 1, 2, 3, 4, 5}));
  QCOMPARE(search->progressPlot()->curveCount(), 6);  // best and mean per stage
  QVERIFY(search->heatmapPlot()->hasHeatmap());

  QVERIFY(search->best());
  QCOMPARE(search->best()->targetLength, 128);
  QCOMPARE(int(search->best()->shortFactors.size()), m_window->document()->model().pairs());
  WorkbenchDocument* doc = m_window->document();
  const int before = doc->setCount();
  QVERIFY(search->adoptBest());
  QCOMPARE(doc->setCount(), before + 1);
  QCOMPARE(doc->entry(before).set.shortFactors, search->best()->shortFactors);
  QCOMPARE(doc->entry(before).set.factors, search->best()->factors);
}

QTEST_MAIN(TestWidgetRecipe)
#include "test_widget_recipe.moc"
