// The Attention tab offscreen: a real background job on the hf-tiny Llama fixture fills the
// maps, the entropy heatmap, the curves and the per-pair view with what core computes; A/B
// difference, log colours, tooltips and export; cancel and closing while a job runs.
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include "analysis/attention_analysis.h"
#include "attention_charts.h"
#include "attention_panel.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "model_info.h"
#include "scientific_plot.h"
#include "workbench_document.h"

using namespace rope;

namespace {

const QString kModel = ROPE_FIXTURES_DIR "/hf-tiny/llama_default";
const QString kTokens = kModel + "/reference_long.safetensors";

void setUp(WorkbenchDocument& doc, AttentionPanel& panel, int tokens) {
  doc.resetToModel(loadModelInfo(kModel));  // presets that fit the fixture (8 pairs)
  QCOMPARE(QFileInfo(panel.modelEdit()->text()).canonicalFilePath(),
           QFileInfo(kModel).canonicalFilePath());
  panel.dataEdit()->setText(kTokens);
  panel.tokensBox()->setValue(tokens);
  panel.layerBox()->setValue(1);
  panel.headBox()->setValue(2);
}

std::shared_ptr<const AttentionViews> waitFinished(AttentionPanel& panel, QSignalSpy& spy) {
  if (spy.isEmpty() && !spy.wait(120000)) return nullptr;
  return spy.takeFirst().at(0).value<std::shared_ptr<const AttentionViews>>();
}

}  // namespace

class TestWidgetAttention : public QObject {
  Q_OBJECT

 private slots:
  void receivesDataFromRealJob() {
    WorkbenchDocument doc;
    AttentionPanel panel(&doc);
    setUp(doc, panel, 300);
    panel.compareBox()->setChecked(true);
    panel.setBBox()->setCurrentIndex(1);
    const QString bName = panel.setBBox()->currentText();
    QSignalSpy head(panel.job(), &AttentionJob::headReady);
    QSignalSpy done(panel.job(), &AttentionJob::finished);
    QVERIFY(panel.run());
    QVERIFY(!panel.run());  // one job at a time
    const auto views = waitFinished(panel, done);
    QVERIFY(views);
    QVERIFY2(views->valid, qPrintable(views->error));
    QCOMPARE(head.size(), 1);
    QVERIFY(views->complete);
    QVERIFY(!panel.isRunning());
    QCOMPARE(views->setNames, (QStringList{"model's RoPE", bName}));
    QCOMPARE(views->head.size(), size_t(2));
    QCOMPARE(views->meanEntropy.size(), size_t(2));
    QCOMPARE(views->meanEntropy[0].size(), size_t(2 * 4));

    // What the tab shows is what core computes for the same tokens with the same threads (the
    // products' rounding may depend on OpenBLAS's thread count).
    Transformer::Options engine;
    engine.threads = panel.threadsBox()->value();
    Transformer model(kModel.toStdString(), engine);
    attention::Params p;
    p.ids = SafetensorsFile(kTokens.toStdString()).tensor("input_ids").toInt64s();
    p.layers = {1};
    p.heads = {2};
    p.grid = 384;
    const attention::Result direct = attention::analyze(model, p);
    QVERIFY(direct.valid);
    QCOMPARE(views->ids, p.ids);
    QCOMPARE(views->head[0].grid.values, direct.heads[0].grid.values);  // 300 x 300, unpooled
    QCOMPARE(views->head[0].entropy, direct.heads[0].entropy);
    p.layers = {};
    p.heads = {};
    p.grid = 0;
    const attention::Result all = attention::analyze(model, p);
    for (size_t i = 0; i < all.heads.size(); ++i) {
      QVERIFY(std::abs(views->meanEntropy[0][i] - all.heads[i].meanEntropy) < 1e-9);
    }

    AttentionCharts* charts = panel.charts();
    for (int i = 0; i < 3; ++i) QVERIFY(charts->mapPlot(i)->hasHeatmap());
    QVERIFY(!charts->mapPlot(2)->isHidden());
    QVERIFY(charts->entropyHeatmap(0)->hasHeatmap());
    QVERIFY(charts->entropyHeatmap(1)->hasHeatmap());
    // The layer x head maps: entropy, or the mass beyond the window, of each (layer, head).
    panel.resize(1400, 800);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    charts->setCurrentIndex(1);
    ScientificPlot* overview = charts->entropyHeatmap(0);
    overview->replotNow();
    const QPointF cell = overview->coordToPixel(QPointF(3, 1));  // head 3, layer 1
    QVERIFY2(overview->tooltipAt(cell).contains(
                 QString::number(all.heads[1 * 4 + 3].meanEntropy, 'g', 4)),
             qPrintable(overview->tooltipAt(cell)));
    charts->overviewMeasureBox()->setCurrentIndex(1);
    overview->replotNow();
    QCOMPARE(all.heads[1 * 4 + 3].meanBeyondWindowMass, 0.0);  // 300 tokens, window 512
    QVERIFY2(overview->tooltipAt(cell).endsWith("mean mass beyond the training window 0"),
             qPrintable(overview->tooltipAt(cell)));
    QCOMPARE(charts->entropyCurves()->curveCount(), 2);
    QCOMPARE(charts->pairShares()->curveCount(), 2);
    QCOMPARE(charts->pairShares()->curveY(0).size(), 8);
    QCOMPARE(charts->distanceCurves()->curveCount(), 2);
    QVERIFY(charts->summaryText().contains("mean entropy"));
    QVERIFY(panel.statusLabel()->text().startsWith("done"));

    // Issue 16, item 2: every heatmap has a colour bar, with one scale across A and B.
    QCOMPARE(overview->colorBarLabel(), charts->entropyHeatmap(1)->colorBarLabel());
    QCOMPARE(overview->colorBarRange(), charts->entropyHeatmap(1)->colorBarRange());
    for (int i = 0; i < 3; ++i) QVERIFY(charts->mapPlot(i)->hasColorBar());
    QVERIFY(charts->mapPlot(0)->colorBarLabel().startsWith("attention probability"));
    QCOMPARE(charts->mapPlot(0)->colorBarRange(), charts->mapPlot(1)->colorBarRange());
    QCOMPARE(charts->mapPlot(2)->colorBarLabel(), QString("probability B − A"));

    // The tooltip names the query and key tokens and the probability of the cell.
    charts->setCurrentIndex(0);
    ScientificPlot* map = charts->mapPlot(0);
    map->replotNow();
    // Issue 16, item 3: square maps; the masked triangle (keys after the query) is its own
    // thing, not a probability of zero.
    QVERIFY2(std::abs(map->plotAreaAspect() - 1) < 0.05,
             qPrintable(QString::number(map->plotAreaAspect())));
    const QString masked = map->tooltipAt(map->coordToPixel(QPointF(250, 10)));
    QVERIFY2(masked.contains("masked"), qPrintable(masked));
    const QPointF pixel = map->coordToPixel(QPointF(10, 250));
    const QString tip = map->tooltipAt(pixel);
    QVERIFY2(tip.contains("query 250") && tip.contains("key 10") && tip.contains("p = "),
             qPrintable(tip));
    const double want = direct.heads[0].grid.values[250 * 300 + 10];
    QVERIFY2(tip.contains(QString::number(want, 'g', 4)), qPrintable(tip));

    // Log colours and export.
    panel.colourBox()->setCurrentIndex(1);
    QVERIFY(charts->logColours());
    QTemporaryDir tmp;
    QString error;
    QVERIFY2(panel.currentPlot()->exportTo(tmp.filePath("map.png"), 400, 300, &error),
             qPrintable(error));
    QVERIFY(QFileInfo(tmp.filePath("map.png")).size() > 0);

    // Zoomed in, the visible part is pooled again on its own grid.
    map->setXRange(39.5, 99.5);    // keys 40..99
    map->setYRange(199.5, 259.5);  // queries 200..259
    const attention::Region wantRegion{200, 260, 40, 100};
    const attention::Region got = charts->visibleRegion();
    QCOMPARE(got.queryBegin, wantRegion.queryBegin);
    QCOMPARE(got.queryEnd, wantRegion.queryEnd);
    QCOMPARE(got.keyBegin, wantRegion.keyBegin);
    QCOMPARE(got.keyEnd, wantRegion.keyEnd);
    panel.poolingBox()->setCurrentIndex(1);  // mean
    QVERIFY(panel.runVisibleRegion());
    const auto zoomed = waitFinished(panel, done);
    QVERIFY(zoomed && zoomed->valid);
    p.layers = {1};
    p.heads = {2};
    p.grid = 384;
    p.region = wantRegion;
    p.pooling = attention::Pooling::Mean;
    const attention::Result region = attention::analyze(model, p);
    QCOMPARE(zoomed->head[0].grid.rows, 60);
    QCOMPARE(zoomed->head[0].grid.values, region.heads[0].grid.values);
    QVERIFY(charts->mapPlot(0)->xRange().first > 30);  // the map shows the region
  }

  void curvesForEveryVisibleSet() {
    WorkbenchDocument doc;
    AttentionPanel panel(&doc);
    setUp(doc, panel, 120);
    panel.offsetBox()->setValue(100);  // tokens 100..219 of the document, RoPE positions 0..119
    panel.overviewBox()->setChecked(false);
    panel.allSetsBox()->setChecked(true);
    const AttentionRequest r = panel.request();
    QVERIFY(!r.compare);
    int visible = 0;
    for (const FactorSetEntry& e : doc.sets()) visible += e.visible ? 1 : 0;
    QCOMPARE(int(r.sets.size()), 1 + visible);  // the model's RoPE (A) and every visible set
    QSignalSpy done(panel.job(), &AttentionJob::finished);
    QVERIFY(panel.run());
    const auto views = waitFinished(panel, done);
    QVERIFY(views && views->valid);
    QVERIFY(views->meanEntropy.empty());
    QCOMPARE(panel.charts()->entropyCurves()->curveCount(), 1 + visible);
    const QVector<double> x = panel.charts()->entropyCurves()->curveX(0);
    QCOMPARE(x.front(), 0.0);
    QCOMPARE(x.back(), 119.0);
    const std::vector<int64_t> all =
        SafetensorsFile(kTokens.toStdString()).tensor("input_ids").toInt64s();
    QCOMPARE(views->ids, std::vector<int64_t>(all.begin() + 100, all.begin() + 220));
    QCOMPARE(panel.charts()->pairShares()->curveCount(), 1 + visible);
    QVERIFY(panel.charts()->mapPlot(1)->isHidden());  // no A/B: one map
  }

  void cancelStopsTheJob() {
    WorkbenchDocument doc;
    AttentionPanel panel(&doc);
    setUp(doc, panel, 300);
    QSignalSpy done(panel.job(), &AttentionJob::finished);
    QVERIFY(panel.run());
    panel.cancel();
    const auto views = waitFinished(panel, done);
    QVERIFY(views);
    QVERIFY(views->cancelled);
    QVERIFY(!views->valid);
    QCOMPARE(panel.statusLabel()->text(), QString("cancelled"));
    // The panel runs again after a cancel.
    panel.overviewBox()->setChecked(false);
    QVERIFY(panel.run());
    const auto again = waitFinished(panel, done);
    QVERIFY(again && again->valid);
  }

  void badRequestReportsError() {
    WorkbenchDocument doc;
    AttentionPanel panel(&doc);
    setUp(doc, panel, 300);
    panel.headBox()->setValue(9);
    QSignalSpy done(panel.job(), &AttentionJob::finished);
    QVERIFY(panel.run());
    const auto views = waitFinished(panel, done);
    QVERIFY(views && !views->valid && !views->cancelled);
    QVERIFY2(panel.statusLabel()->text().contains("head 9 is out of range"),
             qPrintable(panel.statusLabel()->text()));
  }

  void closingWhileRunningJoins() {
    WorkbenchDocument doc;
    auto* panel = new AttentionPanel(&doc);
    setUp(doc, *panel, 300);
    QVERIFY(panel->run());
    QVERIFY(panel->isRunning());
    QElapsedTimer timer;
    timer.start();
    delete panel;  // cancels and joins
    QVERIFY(timer.elapsed() < 20000);
    QCoreApplication::processEvents();  // queued results for the dead job are dropped
  }
};

QTEST_MAIN(TestWidgetAttention)
#include "test_widget_attention.moc"
