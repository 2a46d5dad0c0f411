#include "workbench_actions.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QSettings>
#include <QTextBrowser>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

#include "file_dialogs.h"
#include "reporter.h"
#include "runtime_options_dialog.h"
#include "scientific_plot.h"
#include "settings_keys.h"
#include "workbench_document.h"
#include "workbench_resources.h"
#include "workbench_session.h"

namespace rope {

WorkbenchActions::WorkbenchActions(WorkbenchDocument* doc, WorkbenchSession* session,
                                   FileDialogs* dialogs, Reporter* reporter,
                                   std::function<ScientificPlot*()> currentPlot, QWidget* parent)
    : QObject(parent),
      m_doc(doc),
      m_session(session),
      m_dialogs(dialogs),
      m_reporter(reporter),
      m_currentPlot(std::move(currentPlot)),
      m_parent(parent) {
  m_undo = doc->undoStack()->createUndoAction(this, "&Undo");
  m_undo->setShortcut(QKeySequence::Undo);
  m_redo = doc->undoStack()->createRedoAction(this, "&Redo");
  m_redo->setShortcut(QKeySequence::Redo);
  connect(session, &WorkbenchSession::fileUsed, this, &WorkbenchActions::remember);
  connect(session, &WorkbenchSession::datasetUsed, this, &WorkbenchActions::rememberDataset);
}

void WorkbenchActions::addMenus(QMenuBar* bar) {
  QMenu* file = bar->addMenu("&File");
  file->addAction("Open &model folder…", QKeySequence::Open, this,
                  &WorkbenchActions::openModelFolder);
  file->addAction("Open &dataset…", this, &WorkbenchActions::openDataset);
  file->addAction("&Import factors…", this, &WorkbenchActions::importFactors);
  QMenu* exportMenu = file->addMenu("&Export active set as");
  exportMenu->addAction("Hugging Face config.json…", this,
                        [this] { exportFactors(FactorFormat::HfConfig); });
  exportMenu->addAction("LongRoPE CSV…", this,
                        [this] { exportFactors(FactorFormat::LongRopeCsv); });
  exportMenu->addAction("LongRoPE CSV with n_hat (dim_mono_n)…", this,
                        [this] { exportFactors(FactorFormat::LongRopeNCsv); });
  exportMenu->addAction("Project JSON…", this, [this] { exportFactors(FactorFormat::Project); });
  exportMenu->addAction("llama.cpp / vLLM options…", this, &WorkbenchActions::showRuntimeOptions);
  file->addAction("Export current &plot (PNG, SVG, PDF)…", this, &WorkbenchActions::exportPlot);
  file->addSeparator();
  file->addAction("Open &session…", this, &WorkbenchActions::openSession);
  file->addAction("&Save session…", QKeySequence::Save, this, &WorkbenchActions::saveSession);
  m_recent = file->addMenu("&Recent files");
  m_recentDatasets = file->addMenu("Recent &datasets");
  rebuildRecentMenu();
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, m_parent, &QWidget::close);

  QMenu* edit = bar->addMenu("&Edit");
  edit->addAction(m_undo);
  edit->addAction(m_redo);

  QMenu* help = bar->addMenu("&Help");
  help->addAction("RoPE &formulas and sources", this, [this] { showFormulas(); });
}

QString WorkbenchActions::startDirectory() const {
  return QSettings().value(settings::kLastDirectory, QDir::homePath()).toString();
}

void WorkbenchActions::openModelFolder() {
  const QString dir =
      m_dialogs->openDirectory("Open a Hugging Face model folder", startDirectory());
  if (!dir.isEmpty()) m_session->openModel(dir);
}

void WorkbenchActions::importFactors() {
  const QString path = m_dialogs->openFile(
      "Import factors", startDirectory(),
      "Factor files (*.csv *.txt *.json);;LongRoPE CSV (*.csv *.txt);;JSON (*.json)");
  if (!path.isEmpty()) m_session->importFactors(path);
}

void WorkbenchActions::openDataset() {
  const QStringList paths = m_dialogs->openFiles(
      "Open dataset (one or more files)", startDirectory(),
      "Datasets (*.bin *.npy *.safetensors *.txt *.md);;Token ids (*.bin *.npy *.safetensors);;"
      "Text (*.txt *.md)");
  if (!paths.isEmpty()) m_session->openDataset(paths);
}

void WorkbenchActions::exportFactors(FactorFormat format) {
  const FactorSetEntry* e = m_doc->activeEntry();
  if (!e) {
    m_reporter->error("Export factors", "There is no active factor set to export.");
    return;
  }
  QString name =
      QString::fromStdString(e->set.name).replace(QRegularExpression("[^A-Za-z0-9_.-]+"), "_");
  QString filter;
  switch (format) {
    case FactorFormat::HfConfig:
      name += "-config.json";
      filter = "Hugging Face config (*.json)";
      break;
    case FactorFormat::LongRopeCsv:
      name += ".csv";
      filter = "LongRoPE CSV (*.csv)";
      break;
    case FactorFormat::LongRopeNCsv:
      name += "-n.csv";
      filter = "LongRoPE CSV with n_hat (*.csv)";
      break;
    case FactorFormat::Project:
      name += ".rope.json";
      filter = "RoPE Workbench project (*.json)";
      break;
  }
  const QString path =
      m_dialogs->saveFile("Export factors", QDir(startDirectory()).filePath(name), filter);
  if (!path.isEmpty() && m_session->exportActive(path, format)) remember(path);
}

void WorkbenchActions::showRuntimeOptions() {
  // Not modal: the command line stays at hand while the user works on.
  auto* dialog = new RuntimeOptionsDialog(m_session->runtimeOptionsText(), m_parent);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->show();
}

void WorkbenchActions::exportPlot() {
  ScientificPlot* plot = m_currentPlot ? m_currentPlot() : nullptr;
  if (!plot) return;
  const QString path =
      m_dialogs->saveFile("Export plot", QDir(startDirectory()).filePath("plot.png"),
                          "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)");
  if (path.isEmpty()) return;
  QString error;
  if (!plot->exportTo(path, 0, 0, &error)) {
    m_reporter->error("Export plot", error);
    return;
  }
  emit wrote(path);
}

void WorkbenchActions::openSession() {
  const QString path =
      m_dialogs->openFile("Open session", startDirectory(), "RoPE Workbench project (*.json)");
  if (!path.isEmpty()) m_session->openSession(path);
}

void WorkbenchActions::saveSession() {
  const QString current = m_session->sessionPath();
  const QString path = m_dialogs->saveFile(
      "Save session",
      current.isEmpty() ? QDir(startDirectory()).filePath("session.rope.json") : current,
      "RoPE Workbench project (*.json)");
  if (!path.isEmpty()) m_session->writeSession(path);
}

void WorkbenchActions::showFormulas(const QString& anchor) {
  QDialog dialog(m_parent);
  dialog.setWindowTitle("RoPE formulas and sources");
  auto* layout = new QVBoxLayout(&dialog);
  auto* text = new QTextBrowser;
  text->setHtml(formulasHtml());
  text->setOpenExternalLinks(true);
  layout->addWidget(text);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  layout->addWidget(buttons);
  dialog.resize(760, 640);
  if (!anchor.isEmpty()) {
    // After the layout, so that the page knows where the section is.
    QTimer::singleShot(0, text, [text, anchor] { text->scrollToAnchor(anchor); });
  }
  dialog.exec();
}

QStringList WorkbenchActions::recentFiles() const {
  return QSettings().value(settings::kRecentFiles).toStringList();
}

void WorkbenchActions::remember(const QString& path) {
  QSettings store;
  QStringList recent = store.value(settings::kRecentFiles).toStringList();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > settings::kMaxRecentFiles) recent.removeLast();
  store.setValue(settings::kRecentFiles, recent);
  store.setValue(settings::kLastDirectory, QFileInfo(absolute).absolutePath());
  rebuildRecentMenu();
}

QStringList WorkbenchActions::recentDatasets() const {
  return QSettings().value(settings::kRecentDatasets).toStringList();
}

void WorkbenchActions::rememberDataset(const QStringList& paths) {
  QSettings store;
  QStringList recent = store.value(settings::kRecentDatasets).toStringList();
  QStringList absolute;
  for (const QString& p : paths) absolute << QFileInfo(p).absoluteFilePath();
  const QString entry = absolute.join('\n');
  recent.removeAll(entry);
  recent.prepend(entry);
  while (recent.size() > settings::kMaxRecentFiles) recent.removeLast();
  store.setValue(settings::kRecentDatasets, recent);
  store.setValue(settings::kLastDirectory, QFileInfo(absolute.front()).absolutePath());
  rebuildRecentMenu();
}

void WorkbenchActions::rebuildRecentMenu() {
  if (m_recentDatasets) {
    m_recentDatasets->clear();
    const QStringList datasets = recentDatasets();
    for (const QString& entry : datasets) {
      const QStringList paths = entry.split('\n', Qt::SkipEmptyParts);
      if (paths.isEmpty()) continue;
      const QString label = paths.size() == 1
                                ? paths.front()
                                : QString("%1 (+%2 more)").arg(paths.front()).arg(paths.size() - 1);
      m_recentDatasets->addAction(label, this, [this, paths] { m_session->openDataset(paths); });
    }
    m_recentDatasets->setEnabled(!datasets.isEmpty());
  }
  if (!m_recent) return;
  m_recent->clear();
  const QStringList recent = recentFiles();
  for (const QString& path : recent) {
    m_recent->addAction(path, this, [this, path] { m_session->openPath(path); });
  }
  m_recent->setEnabled(!recent.isEmpty());
}

}  // namespace rope
