// Views that teach (issue 16, items 6, 11, 12): plots of the job tabs say what to do while
// empty, shared axes move together, long tooltips wrap, every plot has a caption linking to
// the formulas page, and the job frame's controls stay where they are while a job runs.
#include <QComboBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>

#include "attention_charts.h"
#include "attention_panel.h"
#include "gui_test_fakes.h"
#include "job_frame.h"
#include "main_window.h"
#include "passkey_panel.h"
#include "perplexity_panel.h"
#include "scientific_plot.h"
#include "search_panel.h"
#include "spectrum_panel.h"
#include "tooltip_wrapper.h"
#include "workbench_resources.h"

using namespace rope;

class TestWidgetGuiViews : public QObject {
  Q_OBJECT
  std::unique_ptr<MainWindow> m_window;

  // Every plot of the four job tabs.
  QList<ScientificPlot*> jobPlots() const {
    QList<ScientificPlot*> plots;
    for (QWidget* tab :
         std::initializer_list<QWidget*>{m_window->perplexityPanel(), m_window->searchPanel(),
                                         m_window->attentionPanel(), m_window->passkeyPanel()}) {
      plots << tab->findChildren<ScientificPlot*>();
    }
    return plots;
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("rope-workbench-tests");
  }

  void init() {
    m_window = std::make_unique<MainWindow>(std::make_unique<FakeDialogs>(),
                                            std::make_unique<FakeReporter>());
  }

  void cleanup() { m_window.reset(); }

  // Item 12: an empty plot says what to do instead of showing axes and an empty legend.
  void emptyPlotsSayWhatToDo() {
    ScientificPlot* ppl = m_window->perplexityPanel()->plot();
    ppl->replotNow();
    QVERIFY(ppl->showsEmptyHint());
    QVERIFY(!ppl->legendShown());
    int hinted = 0;
    for (ScientificPlot* plot : jobPlots()) {
      plot->replotNow();
      hinted += plot->showsEmptyHint();
    }
    // Perplexity 1, search 3, attention 5 (A map, overview A, three curve views), passkey 2.
    QVERIFY2(hinted >= 11, qPrintable(QString::number(hinted)));
  }

  // Item 6: plots that share an axis stay linked.
  void sharedAxesMoveTogether() {
    SearchPanel* search = m_window->searchPanel();
    search->progressPlot()->setXRange(2, 9);
    QCOMPARE(search->populationPlot()->xRange(), std::make_pair(2.0, 9.0));
    QCOMPARE(search->heatmapPlot()->xRange(), std::make_pair(2.0, 9.0));
    AttentionCharts* charts = m_window->attentionPanel()->charts();
    charts->mapPlot(0)->setXRange(10, 20);
    charts->mapPlot(0)->setYRange(30, 40);
    for (int i = 1; i < 3; ++i) {
      QCOMPARE(charts->mapPlot(i)->xRange(), std::make_pair(10.0, 20.0));
      QCOMPARE(charts->mapPlot(i)->yRange(), std::make_pair(30.0, 40.0));
    }
    PasskeyPanel* passkey = m_window->passkeyPanel();
    passkey->plot(1)->setXRange(0.5, 1.5);
    QCOMPARE(passkey->plot(0)->xRange(), std::make_pair(0.5, 1.5));
  }

  // The job frame: the controls do not move while a job runs (a long status wraps inside its
  // fixed height), the progress bar carries the ETA, exports confirm their path.
  void jobFrameControlsStayPut() {
    m_window->resize(1500, 950);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    for (JobFrame* frame :
         {m_window->perplexityPanel()->frame(), m_window->searchPanel()->frame(),
          m_window->attentionPanel()->frame(), m_window->passkeyPanel()->frame()}) {
      m_window->findChild<QTabWidget*>()->setCurrentWidget(frame->parentWidget());
      QCoreApplication::processEvents();
      const QRect cancel = frame->cancelButton()->geometry();
      const QRect progress = frame->progressBar()->geometry();
      frame->started("loading the model…");
      frame->setStatus(QString("running on cpu, float32 — generation 3, 120 candidates scored, "
                               "a status long enough to wrap over several lines ")
                           .repeated(3));
      frame->setProgress(0.25);
      QCoreApplication::processEvents();
      QCOMPARE(frame->cancelButton()->geometry(), cancel);
      QCOMPARE(frame->progressBar()->geometry(), progress);
      QVERIFY(frame->cancelButton()->isEnabled());
      QVERIFY(!frame->runButton()->isEnabled());
      QVERIFY2(frame->progressBar()->format().contains("ETA"),
               qPrintable(frame->progressBar()->format()));
      frame->finished("done", true);
      QVERIFY(frame->runButton()->isEnabled());
      QCOMPARE(frame->progress(), 1.0);
    }
  }

  // Item 11: every plot has a one-line caption whose link names a section of the formulas
  // page that exists.
  void everyPlotHasACaptionLinkingToTheFormulas() {
    const QString formulas = formulasHtml();
    const QList<ScientificPlot*> plots = m_window->findChildren<ScientificPlot*>();
    QVERIFY(plots.size() >= 15);
    for (ScientificPlot* plot : plots) {
      QVERIFY2(!plot->caption().isEmpty(), qPrintable(plot->title()));
      const QString anchor = plot->captionAnchor();
      QVERIFY2(formulas.contains(QString("<a name=\"%1\">").arg(anchor)), qPrintable(anchor));
    }
    const QString wavelengths =
        m_window->spectrumPanel()->views()->widget(0)->findChild<ScientificPlot*>()->caption();
    QVERIFY2(wavelengths.contains("right of the critical pair"), qPrintable(wavelengths));
  }

  // Item 12: long tooltips wrap.
  void longTooltipsWrap() {
    const QString tip = m_window->searchPanel()->fitnessBox()->toolTip();
    QVERIFY2(tip.startsWith("<p style=\"white-space:pre-wrap\">"), qPrintable(tip));
    QVERIFY(tip.contains("LongRoPE2"));
    QCOMPARE(ToolTipWrapper::wrapped("short"), QString("short"));
  }
};

QTEST_MAIN(TestWidgetGuiViews)
#include "test_widget_gui_views.moc"
