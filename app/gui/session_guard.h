#pragma once
// SessionGuard: work that cannot be lost. It knows whether the document holds unsaved work
// (the undo stack is not clean, or a recovered session was restored and not saved yet), asks
// Save / Discard / Cancel before the window closes, autosaves a recovery session every
// kAutosaveMs while there is unsaved work, and offers that session at the next start. The
// recovery file is removed once the work is saved or discarded. GUI thread only.

#include <QObject>
#include <QString>

class QTimer;

namespace rope {

class WorkbenchDocument;
class WorkbenchSession;
class FileDialogs;
class Reporter;

class SessionGuard : public QObject {
  Q_OBJECT
 public:
  static constexpr int kAutosaveMs = 60 * 1000;

  SessionGuard(WorkbenchDocument* doc, WorkbenchSession* session, FileDialogs* dialogs,
               Reporter* reporter, QObject* parent = nullptr);

  bool isModified() const;
  // Before the window closes: true when it may (nothing unsaved, saved, or discarded); false
  // when the user cancelled or the save failed or was cancelled.
  bool confirmClose();
  // Saves to the session's file, else to a path the dialogs ask for; false when cancelled
  // or failed (the reporter said why).
  bool save();

  // Where the recovery session goes (QStandardPaths::AppDataLocation).
  static QString recoveryPath();
  // Writes the recovery session when there is unsaved work (true), else removes it.
  bool autosaveNow();
  // At start: when a recovery session exists, asks whether to restore it; true when it was
  // restored (the document then counts as modified).
  bool offerRecovery();
  bool autosaveActive() const;

 signals:
  // One line for the status bar (an autosave that failed).
  void message(const QString& text);

 private:
  void discardRecovery();

  WorkbenchDocument* m_doc;
  WorkbenchSession* m_session;
  FileDialogs* m_dialogs;
  Reporter* m_reporter;
  QTimer* m_timer = nullptr;
  bool m_restored = false;  // a recovered session is shown and not saved yet
};

}  // namespace rope
