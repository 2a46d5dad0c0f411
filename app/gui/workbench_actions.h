#pragma once
// WorkbenchActions: the menus and their actions (File, Edit, Help) and the recent-files list.
// A handler asks the injected FileDialogs for a path and calls the session; nothing else.

#include <QObject>
#include <QStringList>
#include <functional>

#include "io/factor_files.h"

class QAction;
class QMenu;
class QMenuBar;
class QWidget;

namespace rope {

class WorkbenchDocument;
class WorkbenchSession;
class FileDialogs;
class Reporter;
class ScientificPlot;

class WorkbenchActions : public QObject {
  Q_OBJECT
 public:
  WorkbenchActions(WorkbenchDocument* doc, WorkbenchSession* session, FileDialogs* dialogs,
                   Reporter* reporter, std::function<ScientificPlot*()> currentPlot,
                   QWidget* parent);

  void addMenus(QMenuBar* bar);
  QStringList recentFiles() const;
  QStringList recentDatasets() const;

  // The File menu's handlers, callable directly.
  void openModelFolder();
  void importFactors();
  void openDataset();
  void exportFactors(FactorFormat format);
  // The command lines in a selectable field with a Copy button (a RuntimeOptionsDialog).
  void showRuntimeOptions();
  void exportPlot();
  void openSession();
  void saveSession();
  // The formulas page, scrolled to a section's anchor (empty: the top).
  void showFormulas(const QString& anchor = {});

  QAction* undoAction() const { return m_undo; }
  QAction* redoAction() const { return m_redo; }

 signals:
  // A plot was exported to path (the session's exports say so through WorkbenchSession).
  void wrote(const QString& path);

 private:
  void remember(const QString& path);
  void rebuildRecentMenu();
  // Several files are one recent entry (their absolute paths joined by newlines).
  void rememberDataset(const QStringList& paths);
  QString startDirectory() const;

  WorkbenchDocument* m_doc;
  WorkbenchSession* m_session;
  FileDialogs* m_dialogs;
  Reporter* m_reporter;
  std::function<ScientificPlot*()> m_currentPlot;
  QWidget* m_parent;
  QAction* m_undo = nullptr;
  QAction* m_redo = nullptr;
  QMenu* m_recent = nullptr;
  QMenu* m_recentDatasets = nullptr;
};

}  // namespace rope
