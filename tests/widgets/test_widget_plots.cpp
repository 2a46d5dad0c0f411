// ropewidgets alone: the plot wrapper coalesces replots and exports, labels log axes with
// readable numbers, gives heatmaps colour bars, keeps legends off the data, hovers, resets,
// links axes and keeps an equal aspect; FactorPlot's drag follows the mouse, keeps the
// monotone rule, marks violations when the rule is off; the cos heatmap greys only what
// training never saw.
#include <QApplication>
#include <QFileInfo>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

#include "cos_heatmap.h"
#include "factor_ops.h"
#include "factor_plot.h"
#include "plot_ticks.h"
#include "rope/factor_set.h"
#include "scientific_plot.h"
#include "spectrum_plot.h"

using namespace rope;

namespace {

void sendMouse(QWidget* w, QEvent::Type type, QPointF pos, Qt::MouseButton button,
               Qt::MouseButtons buttons) {
  QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
  QCoreApplication::sendEvent(w, &e);
}

std::vector<double> ramp(int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(1.0 + 0.1 * i);
  return v;
}

}  // namespace

class TestWidgetPlots : public QObject {
  Q_OBJECT
 private slots:
  void replotsAreCoalesced() {
    ScientificPlot plot;
    plot.resize(400, 300);
    plot.show();
    QSignalSpy spy(&plot, &ScientificPlot::replotted);
    for (int i = 0; i < 50; ++i) plot.addCurve(QString::number(i), {0, 1}, {0, double(i)}, {});
    QVERIFY(plot.replotPending());
    QVERIFY(spy.wait(2000));
    QCOMPARE(spy.count(), 1);
    QVERIFY(!plot.replotPending());
  }

  void exportsPngSvgPdf() {
    ScientificPlot plot;
    plot.addCurve("line", {0, 1, 2}, {1, 4, 9}, {});
    plot.rescaleAxes();
    QTemporaryDir dir;
    for (const QString& suffix : ScientificPlot::exportSuffixes()) {
      const QString path = dir.filePath("plot." + suffix);
      QString error;
      QVERIFY2(plot.exportTo(path, 640, 400, &error), qPrintable(error));
      QVERIFY(QFileInfo(path).size() > 500);
    }
    QString error;
    QVERIFY(!plot.exportTo(dir.filePath("plot.bmpx"), 0, 0, &error));
    QVERIFY(error.contains("unknown image type"));
  }

  void mouseDragEditsTheEditableCurve() {
    FactorPlot fp;
    fp.resize(640, 420);
    fp.show();
    QVERIFY(QTest::qWaitForWindowExposed(&fp));
    const std::vector<double> values = ramp(32);
    fp.setCurves({{"other", Qt::red, std::vector<double>(32, 2.0), false},
                  {"active", Qt::blue, values, true}},
                 "λ");
    fp.plot()->replotNow();
    QSignalSpy spy(&fp, &FactorPlot::factorsEdited);
    const int curve = fp.editableCurve();
    QVERIFY(curve >= 0);
    QCOMPARE(fp.plot()->curveY(curve).size(), 32);
    QWidget* canvas = fp.plot()->canvas();
    const QPointF from = fp.plot()->coordToPixel({10, values[10]});
    const QPointF to = fp.plot()->coordToPixel({10, 2.5});
    sendMouse(canvas, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
    QVERIFY(fp.isDragging());
    sendMouse(canvas, QEvent::MouseMove, to, Qt::NoButton, Qt::LeftButton);
    // The preview is on the plot before the release.
    QVERIFY(std::abs(fp.plot()->curveY(curve)[10] - 2.5) < 0.05);
    sendMouse(canvas, QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 10);
    const auto edited = spy.at(0).at(1).value<QVector<double>>();
    QVERIFY(std::abs(edited[10] - 2.5) < 0.05);
    // Monotone: later points below the new value rise to it, earlier ones stay.
    QVERIFY(isMonotone(std::vector<double>(edited.begin(), edited.end())));
    QCOMPARE(edited[11], std::max(values[11], edited[10]));
    QCOMPARE(edited[5], values[5]);
    // Nobody took the edit: the plot shows the curves it was given again.
    QCOMPARE(fp.plot()->curveY(fp.editableCurve())[10], values[10]);
  }

  void dragFactorKeepsMonotone() {
    const std::vector<double> v = ramp(8);
    const auto down = dragFactor(v, 5, 1.05, true);
    QVERIFY(isMonotone(down));
    QCOMPARE(down[5], 1.05);
    QCOMPARE(down[0], 1.0);
    QCOMPARE(down[4], 1.05);  // earlier factors above the new value drop to it
    const auto free = dragFactor(v, 5, 1.05, false);
    QVERIFY(!isMonotone(free));
    QCOMPARE(monotoneViolations(free), std::vector<int>{5});
  }

  void violationsAreMarkedWhenNotEnforced() {
    FactorPlot fp;
    std::vector<double> v = ramp(16);
    v[7] = 0.5;
    fp.setEnforceMonotone(false);
    fp.setCurves({{"active", Qt::blue, v, true}}, "λ");
    QCOMPARE(fp.plot()->curveCount(), 2);
    QVERIFY(fp.plot()->curveName(1).startsWith("not monotone"));
    QCOMPARE(fp.plot()->curveX(1), QVector<double>{7});
    fp.setEnforceMonotone(true);
    QCOMPARE(fp.plot()->curveCount(), 1);
  }

  void hoverShowsValues() {
    FactorPlot fp;
    fp.resize(640, 420);
    fp.show();
    QVERIFY(QTest::qWaitForWindowExposed(&fp));
    fp.setSpectrumContext(10000, 128);
    fp.setCurves({{"PI 4x", Qt::blue, std::vector<double>(64, 4.0), true}}, "λ");
    fp.plot()->replotNow();
    const QString tip = fp.plot()->tooltipAt(fp.plot()->coordToPixel({0, 4.0}));
    QVERIFY2(tip.contains("PI 4x") && tip.contains("pair 0") && tip.contains("λ = 4"),
             qPrintable(tip));
    QVERIFY2(tip.contains("wavelength 6.3 tokens") && tip.contains("effective wavelength 25.1"),
             qPrintable(tip));
    QVERIFY(fp.plot()->tooltipAt({2, 2}).isEmpty());

    CosHeatmap h;
    h.resize(800, 400);
    h.show();
    QVERIFY(QTest::qWaitForWindowExposed(&h));
    CosHeatmapInput in;
    h.setInput(in);
    h.originalPlot()->replotNow();
    const QString cell = h.originalPlot()->tooltipAt(h.originalPlot()->coordToPixel({12000, 50}));
    QVERIFY2(cell.contains("cos = ") && cell.contains("outside the angles seen in training"),
             qPrintable(cell));
    // Pair 5 turns many times inside the window: every angle was seen.
    const QString fast = h.originalPlot()->tooltipAt(h.originalPlot()->coordToPixel({12000, 5}));
    QVERIFY2(fast.contains("cos = ") && !fast.contains("outside"), qPrintable(fast));
  }

  void spectrumMarksCriticalPairAndWindows() {
    SpectrumPlot sp(SpectrumView::Wavelength);
    SpectrumInput in;
    in.sets.push_back({"PI", Qt::blue, std::vector<double>(64, 4.0)});
    sp.setInput(in);
    // Llama-2: base 1e4, d 128, window 4096: pairs from 46 on have wavelengths > 4096.
    QCOMPARE(sp.criticalPair(), 46);
    QCOMPARE(sp.plot()->curveY(0).size(), 64);
    const double w0 = sp.plot()->curveY(0)[0];
    QVERIFY(std::abs(w0 - 2 * M_PI) < 1e-9);
    QVERIFY(std::abs(sp.plot()->curveY(1)[0] - 4 * 2 * M_PI) < 1e-9);  // effective wavelength
  }

  void heatmapMarksUnseenCells() {
    CosHeatmap h;
    CosHeatmapInput in;
    in.columns = 101;  // positions 0, 163.84, ... 16384
    in.factors = std::vector<double>(64, 4.0);
    in.scaledName = "PI";
    h.setInput(in);
    QVERIFY(h.originalPlot()->hasHeatmap());
    QVERIFY(h.scaledPlot()->hasHeatmap());
    // Original: beyond p = 4096 (75 of 101 columns), only the pairs that turn less than once
    // in the window (46..63, right of the critical pair) meet angles training never saw.
    QCOMPARE(h.outsideCells(0), 75 * 18);
    // PI 4x keeps every angle inside what training reached up to 16384.
    QCOMPARE(h.outsideCells(1), 0);
    for (ScientificPlot* plot : {h.originalPlot(), h.scaledPlot()}) {
      QVERIFY(plot->hasColorBar());
      QCOMPARE(plot->colorBarLabel(), QString("cos(p·θᵢ)"));
      QCOMPARE(plot->colorBarRange(), std::make_pair(-1.0, 1.0));
    }
  }

  // Issue 16, item 1: log ticks read as numbers with the digits that tell them apart.
  void logTicksAreReadableNumbers_data() {
    QTest::addColumn<double>("lower");
    QTest::addColumn<double>("upper");
    QTest::addColumn<QStringList>("labels");
    QTest::newRow("perplexity 22-38") << 22.0 << 38.0 << QStringList{"25", "30", "35"};
    QTest::newRow("resumed search 28-33")
        << 28.0 << 33.0 << QStringList{"28", "29", "30", "31", "32", "33"};
    QTest::newRow("one decade") << 5.0 << 60.0 << QStringList{"5", "10", "20", "50"};
    QTest::newRow("six decades") << 0.5 << 2e6
                                 << QStringList{"1", "10", "100", "1000", "10000", "10⁵", "10⁶"};
    QTest::newRow("narrow around 1.1")
        << 1.05 << 1.16 << QStringList{"1.050", "1.075", "1.100", "1.125", "1.150"};
  }

  void logTicksAreReadableNumbers() {
    QFETCH(double, lower);
    QFETCH(double, upper);
    QFETCH(QStringList, labels);
    const LogTicks ticks = readableLogTicks(lower, upper);
    QStringList got;
    for (double t : ticks.ticks) got << readableTickLabel(t, ticks);
    QCOMPARE(got, labels);
    // The plot draws the same labels on a log axis.
    ScientificPlot plot;
    plot.resize(500, 400);
    plot.setYScale(AxisScale::Log);
    plot.addCurve("c", {0, 1}, {lower, upper}, {});
    plot.setYRange(lower, upper);
    plot.replotNow();
    QCOMPARE(plot.tickLabels(Qt::Vertical), labels);
  }

  // Issue 16, item 2: a heatmap comes with its colour bar, title, range and scale.
  void heatmapHasColorBar() {
    ScientificPlot plot;
    plot.resize(500, 400);
    HeatmapData h;
    h.nx = h.ny = 2;
    h.values = {1e-4, 1e-2, 1e-3, 1};
    h.zMin = 1e-4;
    h.zMax = 1;
    h.zScale = AxisScale::Log;
    h.zLabel = "attention probability";
    h.gradientStops = {{0, Qt::black}, {1, Qt::white}};
    plot.setHeatmap(h);
    plot.replotNow();
    QVERIFY(plot.hasColorBar());
    QCOMPARE(plot.colorBarLabel(), QString("attention probability"));
    QCOMPARE(plot.colorBarScale(), AxisScale::Log);
    QCOMPARE(plot.colorBarRange(), std::make_pair(1e-4, 1.0));
    plot.clear();
    QVERIFY(!plot.hasColorBar());
  }

  // Issue 16, item 12: the legend sits below the plot area; an empty plot shows its hint.
  void legendOutsideAndEmptyHint() {
    ScientificPlot plot;
    plot.resize(500, 400);
    plot.setEmptyHint("Run a sweep to see perplexity against length");
    plot.replotNow();
    QVERIFY(plot.showsEmptyHint());
    QVERIFY(!plot.legendShown());
    plot.addCurve("PI 4x", {0, 1, 2}, {1, 2, 3}, {});
    plot.addCurve("YaRN 4x", {0, 1, 2}, {2, 3, 1}, {});
    plot.rescaleAxes();
    plot.replotNow();
    QVERIFY(!plot.showsEmptyHint());
    QVERIFY(plot.legendShown());
    QVERIFY2(plot.legendArea().top() >= plot.plotArea().bottom(),
             qPrintable(QString("legend top %1, plot area bottom %2")
                            .arg(plot.legendArea().top())
                            .arg(plot.plotArea().bottom())));
    plot.setCaption("what to look for", "spectrum");
    QCOMPARE(plot.caption(), QString("what to look for"));
  }

  // Issue 16, item 6: crosshair readout, wheel zoom with a double-click reset, linked axes.
  void hoverZoomResetAndLinkedAxes() {
    ScientificPlot a, b;
    for (ScientificPlot* p : {&a, &b}) {
      p->resize(500, 400);
      p->show();
      QVERIFY(QTest::qWaitForWindowExposed(p));
      p->addCurve("c", {0, 10}, {0, 10}, {});
      p->setXRange(0, 10);
      p->setYRange(0, 10);
      p->replotNow();
    }
    a.linkAxes(&b, Qt::Horizontal);
    QWidget* canvas = a.canvas();
    const QPointF centre = a.coordToPixel({5, 5});
    sendMouse(canvas, QEvent::MouseMove, centre, Qt::NoButton, Qt::NoButton);
    QVERIFY2(a.readoutText().contains("x 5") && a.readoutText().contains("y 5"),
             qPrintable(a.readoutText()));
    QWheelEvent wheel(centre, canvas->mapToGlobal(centre), {}, QPoint(0, 240), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(canvas, &wheel);
    const auto zoomed = a.xRange();
    QVERIFY(zoomed.second - zoomed.first < 9);
    QCOMPARE(b.xRange(), zoomed);                      // linked
    QVERIFY(b.yRange() == std::make_pair(0.0, 10.0));  // only x is linked
    QMouseEvent dbl(QEvent::MouseButtonDblClick, centre, canvas->mapToGlobal(centre),
                    Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(canvas, &dbl);
    QCOMPARE(a.xRange(), std::make_pair(0.0, 10.0));
    QCOMPARE(a.yRange(), std::make_pair(0.0, 10.0));
    QCOMPARE(b.xRange(), std::make_pair(0.0, 10.0));
    b.setXRange(2, 4);
    QCOMPARE(a.xRange(), std::make_pair(2.0, 4.0));
  }

  // Issue 16, item 3: a map with equal aspect fills a wide widget with a square plot area.
  void equalAspectGivesSquareCells() {
    ScientificPlot plot;
    plot.resize(900, 360);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    HeatmapData h;
    h.nx = h.ny = 8;
    h.xMax = h.yMax = 7;
    h.values.assign(64, 0.5);
    h.gradientStops = {{0, Qt::black}, {1, Qt::white}};
    plot.setHeatmap(h);
    plot.setEqualAspect(true);
    plot.setXRange(-0.5, 7.5);
    plot.setYRange(-0.5, 7.5);
    plot.replotNow();
    QVERIFY2(std::abs(plot.plotAreaAspect() - 1) < 0.03,
             qPrintable(QString::number(plot.plotAreaAspect())));
    QVERIFY2(
        plot.plotArea().height() > 250,  // it uses the height it has
        qPrintable(QString("%1 x %2").arg(plot.plotArea().width()).arg(plot.plotArea().height())));
  }

  // Issue 16, item 5: one pairing convention, Hugging Face's (i, i + d/2).
  void pairsAreNamedAsHuggingFace() {
    FactorPlot fp;
    fp.resize(640, 420);
    fp.show();
    QVERIFY(QTest::qWaitForWindowExposed(&fp));
    fp.setSpectrumContext(10000, 128);
    fp.setCurves({{"PI 4x", Qt::blue, std::vector<double>(64, 4.0), true}}, "λ");
    fp.plot()->replotNow();
    QVERIFY(fp.plot()->axisLabel(Qt::Horizontal).contains("dims i and i + d/2"));
    const QString tip = fp.plot()->tooltipAt(fp.plot()->coordToPixel({3, 4.0}));
    QVERIFY2(tip.contains("pair 3 (dims 3, 67)"), qPrintable(tip));
    CosHeatmap h;
    h.setInput(CosHeatmapInput{});
    QVERIFY(h.originalPlot()->axisLabel(Qt::Vertical).contains("i + d/2"));
  }
};

QTEST_MAIN(TestWidgetPlots)
#include "test_widget_plots.moc"
