// The Perplexity and Search tabs offscreen, on the demo model: real background jobs stream
// into the plots and tables; the GUI thread stays responsive (a 10 ms timer's largest lateness
// < 50 ms); pause holds the search between candidates; cancel stops a running job within a
// forward pass or so; closing the window during jobs leaves no worker thread behind.
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QUndoStack>
#include <QtTest>
#include <cmath>

#include "background_job.h"
#include "data/tokenizer.h"
#include "gui_test_fakes.h"
#include "main_window.h"
#include "model_info.h"
#include "perplexity_panel.h"
#include "scientific_plot.h"
#include "search_panel.h"
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

// A 10 ms timer on the GUI thread that records how late it fires at worst.
class LatenessProbe {
 public:
  LatenessProbe() {
    m_timer.setInterval(10);
    m_timer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_timer, &QTimer::timeout, [this] {
      const qint64 now = m_clock.nsecsElapsed();
      m_worstMs = std::max(m_worstMs, (now - m_last) / 1e6 - 10.0);
      m_last = now;
      ++m_ticks;
    });
    m_clock.start();
    m_last = m_clock.nsecsElapsed();
    m_timer.start();
  }
  double worstMs() const { return m_worstMs; }
  int ticks() const { return m_ticks; }

 private:
  QTimer m_timer;
  QElapsedTimer m_clock;
  qint64 m_last = 0;
  double m_worstMs = 0;
  int m_ticks = 0;
};

bool waitFinished(QSignalSpy& spy, int ms = 120000) { return !spy.isEmpty() || spy.wait(ms); }

}  // namespace

class TestWidgetJobs : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    m_dir = demoModel();
    if (m_dir.isEmpty()) QSKIP("no demo model (resources/demo-model or $ROPE_DEMO_MODEL)");
  }

  void perplexitySweepStreamsIntoPlotAndTable() {
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    PerplexityPanel panel(&doc);
    QVERIFY(doc.setCount() >= 1);
    // The model's own RoPE and the first set are checked by default.
    QCOMPARE(panel.setList()->item(0)->checkState(), Qt::Checked);
    QCOMPARE(panel.setList()->item(1)->checkState(), Qt::Checked);
    panel.lengthsEdit()->setText("64, 128,256,512");
    panel.samplesBox()->setValue(2);

    QSignalSpy done(&panel, &PerplexityPanel::finished);
    LatenessProbe probe;
    QVERIFY(panel.run());
    QVERIFY(panel.isRunning());  // returned at once: the work runs on the worker thread
    QVERIFY(!panel.run());       // one job at a time
    // Renamed before its first cell arrives: its curve still takes the set's colour (the
    // set is known by identity, not by the name it was run under).
    const QColor firstColor = doc.entry(0).color;
    doc.renameSet(0, "renamed while running");
    QVERIFY(waitFinished(done));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
    qInfo("perplexity sweep: worst GUI-thread lateness %.1f ms over %d ticks", probe.worstMs(),
          probe.ticks());
    QVERIFY2(probe.worstMs() < 50, qPrintable(QString::number(probe.worstMs())));
    QVERIFY(panel.statusLabel()->text().contains("cpu, float32"));

    QCOMPARE(panel.cells().size(), size_t(8));
    QCOMPARE(panel.table()->rowCount(), 8);
    ScientificPlot* plot = panel.plot();
    plot->replotNow();
    QCOMPARE(plot->curveCount(), 2);
    for (int c = 0; c < 2; ++c) {
      if (plot->curveName(c) != "model's RoPE") QCOMPARE(plot->curveColor(c), firstColor);
    }
    QCOMPARE(plot->yScale(), AxisScale::Log);
    for (int c = 0; c < 2; ++c) {
      QCOMPARE(plot->curveX(c), QVector<double>({64, 128, 256, 512}));
    }
    for (const SweepCell& cell : panel.cells()) {
      QVERIFY(cell.result.ppl > 1 && std::isfinite(cell.result.ppl));
      QVERIFY(std::abs(cell.result.ppl - std::exp(cell.result.nll)) < 1e-6 * cell.result.ppl);
      QCOMPARE(cell.result.samples, 2);
      QCOMPARE(cell.result.tokens, int64_t(2 * (cell.result.length - 1)));
      QCOMPARE(cell.methodology.lengths, std::vector<int>{cell.result.length});
      const int point = plot->curveX(cell.set).indexOf(cell.result.length);
      QCOMPARE(plot->curveY(cell.set).at(point), cell.result.ppl);
    }
    // Past the 128-token window the model's own RoPE gets worse: the curve is not flat.
    const QVector<double> own = plot->curveY(0);
    QVERIFY(own[2] > own[1]);
    // The table row carries its methodology.
    QVERIFY(panel.table()->item(0, 2)->toolTip().contains("truncated"));
    QCOMPARE(panel.table()->item(0, 1)->text(), QString("64"));

    QTemporaryDir tmp;
    QString error;
    const QString csv = tmp.filePath("ppl.csv");
    QVERIFY2(panel.exportCsv(csv, &error), qPrintable(error));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 9);
    QVERIFY(lines[1].startsWith("model's RoPE,64,"));
    const QString png = tmp.filePath("ppl.png");
    QVERIFY2(panel.exportImage(png, &error), qPrintable(error));
    QVERIFY(QFileInfo(png).size() > 1000);
    QVERIFY(!panel.exportCsv(tmp.filePath("no/such/dir/x.csv"), &error));
  }

  // The search tab's checkboxes reach the params the job runs with.
  void searchOptionsReachTheParams() {
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    SearchPanel panel(&doc);
    panel.targetBox()->setValue(256);
    auto p = panel.params();
    QVERIFY(p.has_value());
    QVERIFY(!p->criticalFloor && p->searchNHat);
    panel.criticalFloorBox()->setChecked(true);
    panel.nHatBox()->setChecked(false);
    p = panel.params();
    QVERIFY(p.has_value());
    QVERIFY(p->criticalFloor && !p->searchNHat);
    QCOMPARE(p->targetLength, 256);
  }

  void searchRunsLivePausesAndAdopts() {
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    SearchPanel panel(&doc);
    panel.targetBox()->setValue(256);
    panel.populationBox()->setValue(4);
    panel.generationsBox()->setValue(1);
    panel.samplesBox()->setValue(1);
    panel.seedBox()->setValue(3);
    QTemporaryDir tmp;
    panel.checkpointEdit()->setText(tmp.filePath("search.ckpt"));
    const int setsBefore = doc.setCount();

    // The live best, as the document holds it while the search runs.
    std::vector<double> liveSeen;
    connect(&doc, &WorkbenchDocument::changed, &panel, [&] {
      for (const FactorSetEntry& e : doc.sets()) {
        if (e.set.name == SearchPanel::kLiveSetName) liveSeen = e.set.factors;
      }
    });

    QSignalSpy done(&panel, &SearchPanel::finished);
    LatenessProbe probe;
    QVERIFY(panel.run());
    panel.setPaused(true);
    QVERIFY(panel.isPaused());
    // Paused: the worker blocks in the progress callback after the first candidate.
    QTRY_VERIFY_WITH_TIMEOUT(panel.candidatesScored() >= 1, 60000);
    const int held = panel.candidatesScored();
    QTest::qWait(600);  // a negative check (nothing more is scored) needs a window of time
    QCOMPARE(panel.candidatesScored(), held);
    QVERIFY(panel.isRunning());
    QVERIFY(panel.statusLabel()->text().contains("paused"));
    panel.setPaused(false);
    QVERIFY(waitFinished(done));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
    qInfo("search: worst GUI-thread lateness %.1f ms over %d ticks", probe.worstMs(),
          probe.ticks());
    QVERIFY2(probe.worstMs() < 50, qPrintable(QString::number(probe.worstMs())));

    // Generation 0 (the initial population) and generation 1.
    QCOMPARE(panel.generations().size(), size_t(2));
    QVERIFY(panel.candidatesScored() >= 4);
    ScientificPlot* curves = panel.progressPlot();
    QCOMPARE(curves->curveCount(), 2);
    QCOMPARE(curves->curveX(0), QVector<double>({0, 1}));
    QVERIFY(curves->curveY(0)[1] <= curves->curveY(0)[0]);  // elitist: best never worse
    QVERIFY(curves->curveY(1)[0] >= curves->curveY(0)[0]);  // mean >= best
    QCOMPARE(panel.populationPlot()->curveX(0).size(), panel.candidatesScored());
    QVERIFY(panel.heatmapPlot()->hasHeatmap());
    QCOMPARE(int(panel.generations().back().bestFactors.size()), doc.model().pairs());
    QVERIFY(QFileInfo::exists(tmp.filePath("search.ckpt")));

    // The live best was a document set the factor editor drew while the search ran; it does
    // not linger once the job has ended (Adopt best keeps a result).
    QCOMPARE(liveSeen, panel.generations().back().bestFactors);
    QCOMPARE(doc.setCount(), setsBefore);
    for (const FactorSetEntry& e : doc.sets()) {
      QVERIFY(e.set.name != SearchPanel::kLiveSetName);
    }
    QVERIFY(panel.best().has_value());
    QCOMPARE(panel.best()->factors, panel.generations().back().bestFactors);

    const int before = doc.setCount();
    QVERIFY(panel.adoptBest());
    QCOMPARE(doc.setCount(), before + 1);
    QCOMPARE(doc.entry(before).set.factors, panel.best()->factors);
    doc.undoStack()->undo();
    QCOMPARE(doc.setCount(), before);
    QCOMPARE(setsBefore, before);

    const std::vector<double> firstBest = panel.best()->factors;
    QString error;
    QVERIFY2(panel.exportCsv(tmp.filePath("search.csv"), &error), qPrintable(error));
    QFile f(tmp.filePath("search.csv"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts).size(), 3);

    // The same search into a new checkpoint, cancelled while paused after its first
    // candidate, then resumed from that file: the result equals the uninterrupted search's.
    panel.checkpointEdit()->setText(tmp.filePath("again.ckpt"));
    done.clear();
    QVERIFY(panel.run());
    panel.setPaused(true);
    QTRY_VERIFY_WITH_TIMEOUT(panel.candidatesScored() >= 1, 60000);
    panel.cancel();  // wakes the paused worker, which stops
    QVERIFY(waitFinished(done));
    QVERIFY(!done.first().at(0).toBool());
    QVERIFY2(done.first().at(1).toString().contains("resumable"),
             qPrintable(done.first().at(1).toString()));
    QVERIFY(!panel.best().has_value());
    QVERIFY(QFileInfo::exists(tmp.filePath("again.ckpt")));
    panel.resumeBox()->setChecked(true);
    done.clear();
    QVERIFY(panel.run());
    QVERIFY(waitFinished(done));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
    QVERIFY(panel.best().has_value());
    QCOMPARE(panel.best()->factors, firstBest);
  }

  // A resumed search draws the generations its checkpoint holds again, and a cancelled one
  // that finished a generation can still adopt its best so far.
  void resumedSearchKeepsItsHistoryAndAdoptsAfterCancel() {
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    SearchPanel panel(&doc);
    panel.targetBox()->setValue(256);
    panel.populationBox()->setValue(4);
    panel.generationsBox()->setValue(0);  // the initial population only
    panel.samplesBox()->setValue(1);
    QTemporaryDir tmp;
    panel.checkpointEdit()->setText(tmp.filePath("history.ckpt"));
    const int setsBefore = doc.setCount();
    QSignalSpy done(&panel, &SearchPanel::finished);
    QVERIFY(panel.run());
    QVERIFY(waitFinished(done));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
    QCOMPARE(panel.generations().size(), size_t(1));
    const double firstBest = panel.generations().front().best;

    // One more generation from the checkpoint: generation 0 is drawn again before 1.
    panel.generationsBox()->setValue(1);
    panel.resumeBox()->setChecked(true);
    done.clear();
    QVERIFY(panel.run());
    QVERIFY(waitFinished(done));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
    QCOMPARE(panel.generations().size(), size_t(2));
    QCOMPARE(panel.generations().front().generation, 0);
    QCOMPARE(panel.generations().front().best, firstBest);
    QCOMPARE(panel.progressPlot()->curveX(0), QVector<double>({0, 1}));
    QCOMPARE(panel.heatmapPlot()->xRange().first, -0.5);  // from generation 0
    const std::vector<double> bestFactors = panel.best()->factors;

    // A third generation, cancelled while paused on the restored history: the history is
    // kept and the best so far (generation 1's) can be adopted.
    panel.generationsBox()->setValue(2);
    done.clear();
    QVERIFY(panel.run());
    panel.setPaused(true);
    QTRY_VERIFY_WITH_TIMEOUT(!panel.generations().empty(), 60000);
    panel.cancel();
    QVERIFY(waitFinished(done));
    QVERIFY(!done.first().at(0).toBool());
    QCOMPARE(panel.generations().size(), size_t(2));
    QVERIFY(panel.best().has_value());
    QCOMPARE(panel.best()->factors, bestFactors);
    QCOMPARE(doc.setCount(), setsBefore);  // no live set left behind
    QVERIFY(panel.adoptBest());
    QCOMPARE(doc.setCount(), setsBefore + 1);
    QCOMPARE(doc.entry(setsBefore).set.factors, bestFactors);
  }

  // The needle fitness (LongRoPE2) from the tab: the search runs on it and its plots say so.
  void searchWithNeedleFitness() {
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    SearchPanel panel(&doc);
    panel.targetBox()->setValue(256);
    panel.populationBox()->setValue(4);
    panel.generationsBox()->setValue(0);
    panel.samplesBox()->setValue(2);
    const int needle = panel.fitnessBox()->findData(static_cast<int>(longrope::Fitness::Needle));
    QVERIFY(needle >= 0);
    panel.fitnessBox()->setCurrentIndex(needle);
    QSignalSpy done(&panel, &SearchPanel::finished);
    QVERIFY(panel.run());
    QVERIFY(waitFinished(done));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(done.first().at(1).toString()));
    QVERIFY(panel.progressPlot()->title().contains("needle"));
    QVERIFY(panel.best().has_value());
    QCOMPARE(panel.generations().size(), size_t(1));
    QVERIFY(std::isfinite(panel.generations().front().best));
  }

  void cancelStopsARunningSweep() {
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    PerplexityPanel panel(&doc);
    panel.lengthsEdit()->setText("512,1024");
    panel.samplesBox()->setValue(8);
    panel.strideBox()->setValue(32);  // many forward passes per cell
    QSignalSpy done(&panel, &PerplexityPanel::finished);
    QVERIFY(panel.run());
    QTRY_VERIFY_WITH_TIMEOUT(panel.progressBar()->value() > 0, 60000);
    QElapsedTimer t;
    t.start();
    panel.cancel();
    QVERIFY(waitFinished(done, 30000));
    QVERIFY(!panel.isRunning());
    qInfo("perplexity cancel took %lld ms", t.elapsed());
    QVERIFY(t.elapsed() < 5000);
    QVERIFY(!done.first().at(0).toBool());
    QVERIFY(done.first().at(1).toString().startsWith("cancelled"));
    QVERIFY(panel.cells().size() < 4);
    QVERIFY(!panel.isRunning());
  }

  void failuresBecomeOneMessage() {
    WorkbenchDocument doc;
    doc.resetToModel(loadModelInfo(m_dir));
    PerplexityPanel ppl(&doc);
    ppl.lengthsEdit()->setText("abc");
    QVERIFY(!ppl.run());  // bad input: nothing starts, the status line says why
    QVERIFY(ppl.statusLabel()->text().contains("Lengths"));
    ppl.lengthsEdit()->setText("50000000");  // longer than every document: core throws
    QSignalSpy pplDone(&ppl, &PerplexityPanel::finished);
    QVERIFY(ppl.run());
    QVERIFY(waitFinished(pplDone));
    QVERIFY(!pplDone.first().at(0).toBool());
    QVERIFY2(pplDone.first().at(1).toString().startsWith("failed: "),
             qPrintable(pplDone.first().at(1).toString()));
    QCOMPARE(ppl.statusLabel()->text(), pplDone.first().at(1).toString());
    QVERIFY(!ppl.isRunning());

    SearchPanel search(&doc);
    search.resumeBox()->setChecked(true);
    QVERIFY(!search.run());  // resume without a checkpoint file
    QVERIFY(search.statusLabel()->text().contains("checkpoint"));
    QTemporaryDir tmp;
    search.checkpointEdit()->setText(tmp.filePath("missing.ckpt"));
    search.targetBox()->setValue(256);
    search.populationBox()->setValue(4);
    QSignalSpy searchDone(&search, &SearchPanel::finished);
    QVERIFY(search.run());
    QVERIFY(waitFinished(searchDone));
    QVERIFY(!searchDone.first().at(0).toBool());
    QVERIFY2(searchDone.first().at(1).toString().startsWith("failed: "),
             qPrintable(searchDone.first().at(1).toString()));
  }

  void closingTheWindowDuringJobsLeavesNoThread() {
    // Its two jobs must still be running when the window closes; without SentencePiece they
    // fail at once on the demo corpus and the check would race their end.
    if (!Tokenizer::available()) QSKIP("built without SentencePiece");  // the demo corpus
    MainWindow w(std::make_unique<FakeDialogs>(), std::make_unique<FakeReporter>());
    w.document()->resetToModel(loadModelInfo(m_dir));
    w.show();
    PerplexityPanel* ppl = w.perplexityPanel();
    SearchPanel* search = w.searchPanel();
    QVERIFY(ppl && search);
    ppl->lengthsEdit()->setText("1024");
    ppl->samplesBox()->setValue(8);
    ppl->strideBox()->setValue(16);
    search->targetBox()->setValue(512);
    search->populationBox()->setValue(8);
    search->generationsBox()->setValue(20);
    QVERIFY(ppl->run());
    QVERIFY(search->run());
    search->setPaused(true);  // a paused worker must still end on close
    QVERIFY(ppl->job()->hasLiveThread());
    QVERIFY(search->job()->hasLiveThread());
    QElapsedTimer t;
    t.start();
    QVERIFY(w.close());
    qInfo("close with two jobs running took %lld ms", t.elapsed());
    QVERIFY(!ppl->job()->hasLiveThread());
    QVERIFY(!search->job()->hasLiveThread());
    QVERIFY(!ppl->isRunning());
    QVERIFY(!search->isRunning());
    QCoreApplication::sendPostedEvents();  // what the stopped workers posted is dropped
    QCOMPARE(ppl->cells().size(), size_t(0));
  }

 private:
  QString m_dir;
};

QTEST_MAIN(TestWidgetJobs)
#include "test_widget_jobs.moc"
