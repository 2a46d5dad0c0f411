#include "main_window.h"

#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QUndoStack>

#include "attention_panel.h"
#include "factor_editor_panel.h"
#include "factor_plot.h"
#include "file_dialogs.h"
#include "passkey_panel.h"
#include "perplexity_panel.h"
#include "project_dock.h"
#include "recipe_panel.h"
#include "reporter.h"
#include "scientific_plot.h"
#include "search_panel.h"
#include "session_guard.h"
#include "settings_keys.h"
#include "spectrum_panel.h"
#include "tooltip_wrapper.h"
#include "workbench_actions.h"
#include "workbench_document.h"
#include "workbench_resources.h"
#include "workbench_session.h"

namespace rope {

MainWindow::MainWindow(std::unique_ptr<FileDialogs> dialogs, std::unique_ptr<Reporter> reporter,
                       QWidget* parent)
    : QMainWindow(parent), m_dialogs(std::move(dialogs)), m_reporter(std::move(reporter)) {
  if (!m_dialogs) m_dialogs = std::make_unique<QtFileDialogs>(this);
  if (!m_reporter) m_reporter = std::make_unique<MessageBoxReporter>(this);
  m_warnings = std::make_unique<ScopedWarningSink>([this](const std::string& message) {
    QMetaObject::invokeMethod(
        this, [this, m = QString::fromStdString(message)] { m_reporter->info("Warning", m); },
        Qt::QueuedConnection);
  });
  ToolTipWrapper::install();  // before the panels set their tooltips
  setWindowIcon(workbenchIcon());
  setAcceptDrops(true);

  m_doc = new WorkbenchDocument(this);
  m_session = new WorkbenchSession(m_doc, m_reporter.get(), this);
  m_editor = new FactorEditorPanel(m_doc, m_dialogs.get(), m_reporter.get());
  m_spectrum = new SpectrumPanel(m_doc);
  m_tabs = new QTabWidget;
  m_tabs->addTab(m_editor, "Factor editor");
  m_tabs->addTab(m_spectrum, "RoPE spectrum");
  m_attention = new AttentionPanel(m_doc, m_dialogs.get());
  m_tabs->addTab(m_attention, "Attention");
  m_passkey = new PasskeyPanel(m_doc, m_dialogs.get());
  m_tabs->addTab(m_passkey, "Passkey");
  m_perplexity = new PerplexityPanel(m_doc, m_dialogs.get());
  m_tabs->addTab(m_perplexity, "Perplexity");
  m_search = new SearchPanel(m_doc, m_dialogs.get());
  m_tabs->addTab(m_search, "Search");
  m_recipe = new RecipePanel(m_doc, m_dialogs.get());
  m_tabs->addTab(m_recipe, "Recipe");
  setCentralWidget(m_tabs);

  m_dock = new ProjectDock(m_doc);
  addDockWidget(Qt::LeftDockWidgetArea, m_dock);

  m_actions = new WorkbenchActions(
      m_doc, m_session, m_dialogs.get(), m_reporter.get(), [this] { return currentPlot(); }, this);
  m_actions->addMenus(menuBar());
  // A caption's link opens the formulas page at its section.
  for (ScientificPlot* plot : findChildren<ScientificPlot*>()) {
    connect(plot, &ScientificPlot::captionLinkActivated, m_actions,
            [this](const QString& anchor) { m_actions->showFormulas(anchor); });
  }
  m_guard = new SessionGuard(m_doc, m_session, m_dialogs.get(), m_reporter.get(), this);
  connect(m_guard, &SessionGuard::message, this,
          [this](const QString& text) { statusBar()->showMessage(text, 15000); });
  connect(m_session, &WorkbenchSession::wrote, this, &MainWindow::confirmWritten);
  connect(m_actions, &WorkbenchActions::wrote, this, &MainWindow::confirmWritten);
  connect(m_perplexity, &PerplexityPanel::wrote, this, &MainWindow::confirmWritten);
  connect(m_search, &SearchPanel::wrote, this, &MainWindow::confirmWritten);
  connect(m_recipe, &RecipePanel::wrote, this, &MainWindow::confirmWritten);
  connect(m_recipe, &RecipePanel::openModelRequested, m_session, &WorkbenchSession::openModel);
  connect(m_recipe, &RecipePanel::importFactorsRequested, m_session,
          &WorkbenchSession::importFactors);
  connect(m_attention, &AttentionPanel::wrote, this, &MainWindow::confirmWritten);
  connect(m_passkey, &PasskeyPanel::wrote, this, &MainWindow::confirmWritten);

  auto* model = new QLabel;
  statusBar()->addWidget(model, 1);
  auto showModel = [this, model] {
    model->setText(m_doc->model().summary());
    updateTitle();
  };
  connect(m_doc, &WorkbenchDocument::modelReset, this, showModel);
  connect(m_doc->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
  showModel();
  resize(1500, 950);
}

MainWindow::~MainWindow() {
  // ~QWidget deletes the children after this destructor: the document's undo stack then says
  // cleanChanged, when this is no longer a MainWindow and the document no longer a
  // WorkbenchDocument. Its slots must not run then (UBSan: test_widget_gui_session).
  disconnect(m_doc->undoStack(), nullptr, this, nullptr);
  disconnect(m_doc, nullptr, this, nullptr);
}

void MainWindow::updateTitle() {
  setWindowTitle(QString("RoPE Workbench — %1%2")
                     .arg(m_doc->model().name, m_doc->undoStack()->isClean() ? "" : " *"));
}

void MainWindow::confirmWritten(const QString& path) {
  statusBar()->showMessage(QString("Wrote %1").arg(QFileInfo(path).absoluteFilePath()), 15000);
}

JobFrame* MainWindow::jobFrame(const QString& name) const {
  if (name == "attention") return m_attention->frame();
  if (name == "passkey") return m_passkey->frame();
  if (name == "perplexity") return m_perplexity->frame();
  if (name == "search") return m_search->frame();
  if (name == "recipe") return m_recipe->frame();
  return nullptr;
}

bool MainWindow::selectTab(const QString& name) {
  if (name == "factors") {
    m_tabs->setCurrentWidget(m_editor);
    return true;
  }
  if (JobFrame* frame = jobFrame(name)) {
    m_tabs->setCurrentWidget(frame->parentWidget());
    return true;
  }
  const int view = QStringList{"spectrum", "rotations", "heatmap"}.indexOf(name);
  if (view < 0) return false;
  m_tabs->setCurrentWidget(m_spectrum);
  m_spectrum->views()->setCurrentIndex(view);
  return true;
}

ScientificPlot* MainWindow::currentPlot() const {
  if (m_tabs->currentWidget() == m_attention) return m_attention->currentPlot();
  if (m_tabs->currentWidget() == m_passkey) return m_passkey->currentPlot();
  if (m_tabs->currentWidget() == m_perplexity) return m_perplexity->currentPlot();
  if (m_tabs->currentWidget() == m_search) return m_search->currentPlot();
  if (m_tabs->currentWidget() == m_recipe) return m_recipe->currentPlot();
  return m_tabs->currentWidget() == m_editor ? m_editor->currentPlot() : m_spectrum->currentPlot();
}

void MainWindow::flushPlots() {
  for (ScientificPlot* plot : findChildren<ScientificPlot*>()) plot->replotNow();
}

void MainWindow::restoreSettings() {
  QSettings s;
  restoreGeometry(s.value(settings::kGeometry).toByteArray());
  restoreState(s.value(settings::kWindowState).toByteArray());
  m_tabs->setCurrentIndex(s.value(settings::kCurrentTab, 0).toInt());
  m_spectrum->views()->setCurrentIndex(s.value(settings::kSpectrumView, 0).toInt());
  m_editor->setLogScale(s.value(settings::kLogScale, false).toBool());
  m_doc->setEnforceMonotone(s.value(settings::kEnforceMonotone, true).toBool());
  m_doc->setDevice(s.value(settings::kDevice, "cpu").toString());  // ignored when not here
  try {
    const QString dtype = s.value(settings::kDtype, "float32").toString();
    m_doc->setDtype(parseComputeDType(dtype.toStdString()));
  } catch (const std::exception&) {
    // a stale or edited value: keep float32
  }
}

void MainWindow::saveSettings() const {
  QSettings s;
  s.setValue(settings::kGeometry, saveGeometry());
  s.setValue(settings::kWindowState, saveState());
  s.setValue(settings::kCurrentTab, m_tabs->currentIndex());
  s.setValue(settings::kSpectrumView, m_spectrum->views()->currentIndex());
  s.setValue(settings::kLogScale, m_editor->factorPlot()->logScale());
  s.setValue(settings::kEnforceMonotone, m_doc->enforceMonotone());
  s.setValue(settings::kDevice, m_doc->device());
  s.setValue(settings::kDtype, QString::fromStdString(computeDTypeName(m_doc->dtype())));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!m_guard->confirmClose()) {  // Cancel, or a save that did not happen
    event->ignore();
    return;
  }
  m_passkey->shutdown();     // cancels and joins a running passkey test
  m_attention->shutdown();   // cancels and joins a running analysis
  m_perplexity->shutdown();  // cancels and joins a running sweep
  m_search->shutdown();      // cancels and joins a running search
  m_recipe->shutdown();      // cancels and joins a running recipe (its folder stays resumable)
  saveSettings();
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.isEmpty() || !urls.front().isLocalFile()) return;
  event->acceptProposedAction();
  m_session->openPath(urls.front().toLocalFile());
}

}  // namespace rope
