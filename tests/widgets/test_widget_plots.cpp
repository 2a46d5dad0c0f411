// ropewidgets alone: the plot wrapper coalesces replots and exports; FactorPlot's drag
// follows the mouse, keeps the monotone rule, marks violations when the rule is off.
#include <QApplication>
#include <QFileInfo>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "cos_heatmap.h"
#include "factor_ops.h"
#include "factor_plot.h"
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
    const QString cell = h.originalPlot()->tooltipAt(h.originalPlot()->coordToPixel({12000, 40}));
    QVERIFY2(cell.contains("cos = ") && cell.contains("outside the angles seen in training"),
             qPrintable(cell));
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
    // Original: every pair is outside training beyond p = 4096 (75 of 101 columns).
    QCOMPARE(h.outsideCells(0), 75 * 64);
    // PI 4x keeps every angle inside what training reached up to 16384.
    QCOMPARE(h.outsideCells(1), 0);
  }
};

QTEST_MAIN(TestWidgetPlots)
#include "test_widget_plots.moc"
