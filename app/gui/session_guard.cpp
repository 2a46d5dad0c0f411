#include "session_guard.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTimer>
#include <QUndoStack>
#include <exception>

#include "file_dialogs.h"
#include "reporter.h"
#include "settings_keys.h"
#include "workbench_document.h"
#include "workbench_session.h"

namespace rope {

SessionGuard::SessionGuard(WorkbenchDocument* doc, WorkbenchSession* session, FileDialogs* dialogs,
                           Reporter* reporter, QObject* parent)
    : QObject(parent),
      m_doc(doc),
      m_session(session),
      m_dialogs(dialogs),
      m_reporter(reporter),
      m_timer(new QTimer(this)) {
  m_timer->setInterval(kAutosaveMs);
  connect(m_timer, &QTimer::timeout, this, &SessionGuard::autosaveNow);
  m_timer->start();
  // Another model or session replaces the recovered work (offerRecovery sets it after).
  connect(m_doc, &WorkbenchDocument::modelReset, this, [this] { m_restored = false; });
  connect(m_session, &WorkbenchSession::wrote, this, [this](const QString& path) {
    if (path == m_session->sessionPath()) {
      m_restored = false;
      discardRecovery();
    }
  });
}

bool SessionGuard::isModified() const { return m_restored || !m_doc->undoStack()->isClean(); }

bool SessionGuard::autosaveActive() const { return m_timer->isActive(); }

QString SessionGuard::recoveryPath() {
  return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
      .filePath(settings::kRecoveryFile);
}

void SessionGuard::discardRecovery() { QFile::remove(recoveryPath()); }

bool SessionGuard::autosaveNow() {
  if (!isModified() || m_doc->setCount() == 0) {
    discardRecovery();
    return false;
  }
  try {
    QDir().mkpath(QFileInfo(recoveryPath()).absolutePath());
    m_session->saveSession(recoveryPath());
  } catch (const std::exception& e) {
    emit message(QString("Autosave failed: %1").arg(QString::fromUtf8(e.what())));
    return false;
  }
  return true;
}

bool SessionGuard::save() {
  QString path = m_session->sessionPath();
  if (path.isEmpty()) {
    path = m_dialogs->saveFile("Save session", QDir::home().filePath("session.rope.json"),
                               "RoPE Workbench project (*.json)");
  }
  return !path.isEmpty() && m_session->writeSession(path);
}

bool SessionGuard::confirmClose() {
  if (isModified()) {
    const QString what = m_session->sessionPath().isEmpty()
                             ? QString("The work of this session has not been saved.")
                             : QString("%1 has unsaved changes.")
                                   .arg(QFileInfo(m_session->sessionPath()).fileName());
    switch (m_reporter->askUnsaved("Quit RoPE Workbench", what + " Save it before quitting?")) {
      case Reporter::Unsaved::Cancel:
        return false;
      case Reporter::Unsaved::Save:
        if (!save()) return false;
        break;
      case Reporter::Unsaved::Discard:
        break;
    }
  }
  m_timer->stop();
  discardRecovery();  // saved, discarded or nothing to lose: no recovery at the next start
  return true;
}

bool SessionGuard::offerRecovery() {
  const QFileInfo file(recoveryPath());
  if (!file.exists()) return false;
  const QString when = file.lastModified().toString("yyyy-MM-dd hh:mm");
  if (!m_reporter->askYesNo("Restore unsaved work",
                            QString("The workbench closed with unsaved work (autosaved %1). "
                                    "Restore it?")
                                .arg(when))) {
    discardRecovery();
    return false;
  }
  try {
    m_session->loadSession(recoveryPath());
  } catch (const std::exception& e) {
    m_reporter->error("Restore unsaved work", QString::fromUtf8(e.what()));
    discardRecovery();
    return false;
  }
  m_restored = true;  // nothing on disk but the recovery file holds it
  return true;
}

}  // namespace rope
