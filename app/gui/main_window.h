#pragma once
// MainWindow composes the workbench: the project dock, the factor editor and spectrum tabs,
// the menus (WorkbenchActions), the file handling (WorkbenchSession) and the guard of unsaved
// work (SessionGuard) around one WorkbenchDocument. It owns no logic of its own beyond
// settings, drops, the status bar and screenshots.

#include <QMainWindow>
#include <memory>

#include "file_dialogs.h"
#include "reporter.h"
#include "util/warnings.h"

class QTabWidget;

namespace rope {

class WorkbenchDocument;
class WorkbenchSession;
class WorkbenchActions;
class SessionGuard;
class ProjectDock;
class FactorEditorPanel;
class SpectrumPanel;
class PasskeyPanel;
class AttentionPanel;
class PerplexityPanel;
class SearchPanel;
class RecipePanel;
class ScientificPlot;
class JobFrame;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // Null dialogs/reporter: QFileDialog and QMessageBox. Tests inject their own.
  explicit MainWindow(std::unique_ptr<FileDialogs> dialogs = nullptr,
                      std::unique_ptr<Reporter> reporter = nullptr, QWidget* parent = nullptr);
  ~MainWindow() override;

  WorkbenchDocument* document() const { return m_doc; }
  WorkbenchSession* session() const { return m_session; }
  WorkbenchActions* actions() const { return m_actions; }
  // Unsaved work: the quit prompt, the autosaved recovery session.
  SessionGuard* guard() const { return m_guard; }
  ProjectDock* projectDock() const { return m_dock; }
  FactorEditorPanel* factorEditor() const { return m_editor; }
  SpectrumPanel* spectrumPanel() const { return m_spectrum; }
  PasskeyPanel* passkeyPanel() const { return m_passkey; }
  AttentionPanel* attentionPanel() const { return m_attention; }
  PerplexityPanel* perplexityPanel() const { return m_perplexity; }
  SearchPanel* searchPanel() const { return m_search; }
  RecipePanel* recipePanel() const { return m_recipe; }

  // "factors", "spectrum", "rotations", "heatmap" or a job tab; false for an unknown name.
  bool selectTab(const QString& name);
  static QStringList jobTabNames() {
    return {"attention", "passkey", "perplexity", "search", "recipe"};
  }
  static QStringList tabNames() {
    return QStringList{"factors", "spectrum", "rotations", "heatmap"} + jobTabNames();
  }
  // The frame of a job tab (jobTabNames()); null for another name.
  JobFrame* jobFrame(const QString& name) const;
  ScientificPlot* currentPlot() const;
  // Replots every plot now (screenshots).
  void flushPlots();

  void restoreSettings();
  void saveSettings() const;

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void updateTitle();
  // "Wrote PATH" in the status bar for a while.
  void confirmWritten(const QString& path);

  std::unique_ptr<FileDialogs> m_dialogs;
  std::unique_ptr<Reporter> m_reporter;
  // Core's warnings about the user's files (from any thread), shown by the reporter.
  std::unique_ptr<ScopedWarningSink> m_warnings;
  WorkbenchDocument* m_doc = nullptr;
  WorkbenchSession* m_session = nullptr;
  WorkbenchActions* m_actions = nullptr;
  SessionGuard* m_guard = nullptr;
  ProjectDock* m_dock = nullptr;
  FactorEditorPanel* m_editor = nullptr;
  SpectrumPanel* m_spectrum = nullptr;
  PasskeyPanel* m_passkey = nullptr;
  AttentionPanel* m_attention = nullptr;
  PerplexityPanel* m_perplexity = nullptr;
  SearchPanel* m_search = nullptr;
  RecipePanel* m_recipe = nullptr;
  QTabWidget* m_tabs = nullptr;
};

}  // namespace rope
