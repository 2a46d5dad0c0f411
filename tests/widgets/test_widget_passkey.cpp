// The Passkey tab offscreen: a real background job on the demo model fills both heatmaps with
// what core's passkey test computes; bad input, cancel, and closing while a job runs.
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>
#include <cmath>

#include "data/tokenizer.h"
#include "eval/passkey.h"
#include "model_info.h"
#include "passkey_panel.h"
#include "scientific_plot.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "workbench_document.h"

using namespace rope;

namespace {

QString demoModel() {
  try {
    return QString::fromStdString(demoModelDir());
  } catch (const InputError&) {
    return {};
  }
}

std::shared_ptr<const PasskeyOutcome> waitFinished(QSignalSpy& spy) {
  if (spy.isEmpty() && !spy.wait(300000)) return nullptr;
  return spy.takeFirst().at(0).value<std::shared_ptr<const PasskeyOutcome>>();
}

}  // namespace

class TestWidgetPasskey : public QObject {
  Q_OBJECT

 private slots:
  void fillsHeatmapsFromRealJob() {
    const QString dir = demoModel();
    if (dir.isEmpty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // its tokenizer.model
    WorkbenchDocument doc;
    PasskeyPanel panel(&doc);
    doc.resetToModel(loadModelInfo(dir));
    QCOMPARE(panel.modelEdit()->text(), dir);
    QVERIFY(panel.setBBox()->count() > 1);
    panel.lengthsEdit()->setText("128, 256");
    panel.depthsEdit()->setText("0,1");
    panel.trialsBox()->setValue(2);
    panel.seedBox()->setValue(5);
    panel.compareBox()->setChecked(true);
    panel.setBBox()->setCurrentIndex(1);
    const FactorSet setB = doc.entry(0).set;
    QVERIFY(!panel.plot(0)->hasHeatmap());

    QSignalSpy ready(panel.job(), &PasskeyJob::setReady);
    QSignalSpy cells(panel.job(), &PasskeyJob::cellReady);
    QSignalSpy done(panel.job(), &PasskeyJob::finished);
    QVERIFY(panel.run());
    QVERIFY(panel.isRunning());  // returned at once: the work is on the worker thread
    QVERIFY(!panel.run());       // one job at a time
    const auto outcome = waitFinished(done);
    QVERIFY(outcome);
    QVERIFY2(outcome->valid, qPrintable(outcome->error));
    QCOMPARE(ready.count(), 2);
    QCOMPARE(outcome->results.size(), size_t(2));
    // Issue 16, item 13: the cells stream in one by one (2 lengths x 2 depths x 2 sets).
    QCOMPARE(cells.count(), 8);
    const auto first = cells.at(0).at(1).value<std::shared_ptr<const passkey::Result>>();
    QCOMPARE(first->cells.size(), size_t(1));
    QCOMPARE(first->methodology.lengths, (std::vector<int>{128, 256}));
    const HeatmapData partial = PasskeyPanel::heatmapOf(*first);
    QCOMPARE(partial.values.size(), size_t(4));
    QVERIFY(std::isnan(partial.values[3]));  // not run yet: its own colour

    for (int set = 0; set < 2; ++set) {
      ScientificPlot* plot = panel.plot(set);
      plot->replotNow();
      QVERIFY(plot->hasHeatmap());
      const passkey::Result* r = panel.result(set);
      QVERIFY(r);
      QCOMPARE(r->cells.size(), size_t(4));
      QCOMPARE(plot->tickLabels(Qt::Horizontal), QStringList({"128", "256"}));
      QCOMPARE(plot->tickLabels(Qt::Vertical), QStringList({"0", "1"}));
      // One fixed colour scale for A and B, with its colour bar (issue 16, item 2).
      QVERIFY(plot->hasColorBar());
      QCOMPARE(plot->colorBarRange(), std::make_pair(0.0, 1.0));
      QVERIFY(plot->colorBarLabel().startsWith("accuracy"));
      // Every cell says its accuracy.
      QStringList accuracies;
      for (const passkey::Cell& c : r->cells) accuracies << QString::number(c.accuracy, 'f', 2);
      QCOMPARE(plot->labels(), accuracies);
      // The cell (256, depth 1) under the mouse names its accuracy.
      const QString tip = plot->tooltipAt(plot->coordToPixel(QPointF(1, 1)));
      QVERIFY2(tip.startsWith("length 256, depth 1: accuracy"), qPrintable(tip));
      QVERIFY2(tip.contains(QString("(%1/2)").arg(r->cells[3].correct)), qPrintable(tip));
    }

    // What the panel shows is what core computes for the same inputs.
    passkey::Params p;
    p.modelDir = resolveModel(dir.toStdString());
    p.engine.threads = 1;
    p.lengths = {128, 256};
    p.depths = {0, 1};
    p.trials = 2;
    p.seed = 5;
    p.factorSet = setB;
    const passkey::Result core = passkey::run(p);
    QVERIFY2(core.valid, core.error.c_str());
    for (size_t i = 0; i < core.cells.size(); ++i) {
      QCOMPARE(panel.result(1)->cells[i].correct, core.cells[i].correct);
      QCOMPARE(panel.result(1)->cells[i].meanLogprob, core.cells[i].meanLogprob);
    }
  }

  void badInputStartsNothing() {
    WorkbenchDocument doc;
    PasskeyPanel panel(&doc);
    panel.lengthsEdit()->setText("128,abc");
    QVERIFY(!panel.run());
    QVERIFY(!panel.isRunning());
    QVERIFY(panel.statusLabel()->text().startsWith("Lengths"));
    panel.lengthsEdit()->setText("128");
    panel.depthsEdit()->setText("");
    QVERIFY(!panel.run());
    QVERIFY(panel.statusLabel()->text().startsWith("Depths"));

    const QString dir = demoModel();
    if (dir.isEmpty()) return;
    // The job tokenizes the demo model's tokenizer.model before it checks the depths.
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");
    // Depths outside [0, 1] parse, and the job reports core's reason.
    panel.modelEdit()->setText(dir);
    panel.depthsEdit()->setText("0,1.5");
    QSignalSpy done(panel.job(), &PasskeyJob::finished);
    QVERIFY(panel.run());
    const auto outcome = waitFinished(done);
    QVERIFY(outcome && !outcome->valid && !outcome->cancelled);
    QVERIFY2(outcome->error.contains("outside [0, 1]"), qPrintable(outcome->error));
    QVERIFY(panel.statusLabel()->text().startsWith("failed"));
  }

  void cancelStopsJob() {
    const QString dir = demoModel();
    if (dir.isEmpty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // its tokenizer.model
    WorkbenchDocument doc;
    PasskeyPanel panel(&doc);
    panel.modelEdit()->setText(dir);
    panel.lengthsEdit()->setText("1024");
    panel.depthsEdit()->setText("0,0.5,1");
    panel.trialsBox()->setValue(20);
    panel.compareBox()->setChecked(false);
    QSignalSpy progress(panel.job(), &PasskeyJob::progress);
    QSignalSpy done(panel.job(), &PasskeyJob::finished);
    QVERIFY(panel.run());
    QVERIFY(progress.wait(120000));  // the first trial is done
    QElapsedTimer t;
    t.start();
    panel.cancel();
    const auto outcome = waitFinished(done);
    QVERIFY(outcome);
    QVERIFY(outcome->cancelled);
    QVERIFY(!outcome->valid);
    QVERIFY(progress.count() < 60);  // stopped well before the 60 trials
    qInfo("cancel took %lld ms; %d progress signals; job ran %.2f s",
          static_cast<long long>(t.elapsed()), int(progress.count()), outcome->elapsedSeconds);
    QCOMPARE(panel.statusLabel()->text(), QString("cancelled"));
    QVERIFY(!panel.plot(0)->hasHeatmap());

    // Closing the window while a job runs cancels and joins it.
    QVERIFY(panel.run());
    QVERIFY(panel.isRunning());
    panel.shutdown();
    QVERIFY(!panel.isRunning());
  }
};

QTEST_MAIN(TestWidgetPasskey)
#include "test_widget_passkey.moc"
